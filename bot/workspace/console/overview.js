// The console's overview strip: the last hour's deflection and the supervisor alerts
// (GET /api/overview: spikes of messages, escalations or one escalation reason, and long waits),
// and for supervisors and trainers the answer audit's production precision (its `audit` part)
// with the link to the audit page (/audit).
"use strict";
(function () {
  const api = window.CareApi;
  const POLL_MS = 30000;

  function percent(x) {
    return x === null || x === undefined ? "–" : Math.round(x * 100) + "%";
  }

  let auditor = false;  // may read the answer audit (supervisor, trainer, admin)

  function renderPrecision(audit) {
    const chip = document.getElementById("precision-chip");
    if (!auditor || !audit) { chip.hidden = true; return; }
    const p = audit.precision;
    chip.hidden = false;
    chip.textContent = p.verdicts
      ? "answers right " + percent(p.precision) + " (" + percent(p.low) + "–" + percent(p.high) + ")"
      : "answers right: not measured yet";
    chip.title = "Production precision of the bot's FAQ answers, last " + audit.days + " days: " +
      p.right + " right of " + p.verdicts + " checked in the random sample (Wilson 95% interval); " +
      audit.pending + " waiting for a verdict";
  }

  function render(data) {
    renderPrecision(data.audit);
    const chip = document.getElementById("deflection");
    chip.hidden = false;
    chip.textContent = "bot answered " + percent(data.deflection_rate) + " · last hour";
    chip.title = data.messages + " follower messages, " + data.answered + " answered by the bot, " +
      data.escalated + " escalated in the last " + data.window_minutes + " min";
    const box = document.getElementById("alerts");
    box.replaceChildren(...data.alerts.map((a) => {
      const row = document.createElement("div");
      row.className = "alert banner " + a.kind;
      row.setAttribute("role", "alert");
      row.textContent = (a.kind === "long_wait" ? "⏱ " : "⚠ ") + a.message;
      return row;
    }));
    box.hidden = data.alerts.length === 0;
  }

  async function refresh() {
    try {
      render(await api.overview(60));
    } catch (e) {
      if (e.status === 403) return;  // a role without read: nothing to show
    }
  }

  document.addEventListener("DOMContentLoaded", async () => {
    try {
      const me = await api.me();
      auditor = (me.permissions || []).includes("audit_read");
      document.getElementById("audit-link").hidden = !auditor;
    } catch (e) { /* app.js shows sign-in problems */ }
    refresh();
    setInterval(refresh, POLL_MS);
  });
})();
