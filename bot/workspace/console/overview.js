// The console's overview strip: the last hour's deflection and the supervisor alerts
// (GET /api/overview: spikes of messages, escalations or one escalation reason, and long waits).
"use strict";
(function () {
  const api = window.CareApi;
  const POLL_MS = 30000;

  function percent(x) {
    return x === null || x === undefined ? "–" : Math.round(x * 100) + "%";
  }

  function render(data) {
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

  document.addEventListener("DOMContentLoaded", () => {
    refresh();
    setInterval(refresh, POLL_MS);
  });
})();
