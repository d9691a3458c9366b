// The answer audit (/audit): supervisors mark the bot's sampled answers right or wrong, from the
// keyboard (j/k, r, w). Texts are untrusted: textContent only. Trainers see it read-only.
"use strict";
(function () {
  const call = window.CareApi.request;  // /static/api.js: CSRF header, 401 → /login, errors with .status
  const $ = (id) => document.getElementById(id);
  const pct = (x) => (x === null || x === undefined) ? "–" : (Math.round(x * 1000) / 10) + "%";
  const state = { items: [], index: -1, status: "pending", canMark: false, faqs: null };
  let toastTimer = null;

  function toast(text, kind) {
    const t = $("toast");
    t.textContent = text;
    t.className = "toast show " + (kind || "");
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { t.className = "toast"; }, 4000);
  }

  function why(item) {
    const parts = [];
    if (item.sampled) parts.push("random sample");
    if (item.low_confidence) parts.push("low confidence");
    return parts.join(" · ");
  }

  function row(item, i) {
    const li = document.createElement("li");
    li.className = "row" + (item.verdict ? " " + item.verdict : "");
    li.id = "audit-" + item.id;
    li.dataset.id = item.id;
    li.tabIndex = -1;
    li.setAttribute("role", "option");
    const top = document.createElement("span");
    const faq = document.createElement("span");
    faq.className = "faq";
    faq.textContent = item.faq;
    const meta = document.createElement("span");
    meta.className = "muted";
    meta.textContent = " " + item.id + " · " + why(item) + (item.verdict ? " · " + item.verdict : "");
    top.append(faq, meta);
    const text = document.createElement("span");
    text.className = "text";
    text.textContent = item.text;
    li.append(top, text);
    li.addEventListener("click", () => select(i));
    return li;
  }

  function renderList() {
    const list = $("audit-list");
    list.replaceChildren(...state.items.map(row));
    $("audit-empty").hidden = state.items.length > 0;
    if (state.index >= state.items.length) state.index = state.items.length - 1;
    if (state.index < 0 && state.items.length) state.index = 0;
    select(state.index);
  }

  function select(i) {
    state.index = i;
    const rows = $("audit-list").children;
    for (let n = 0; n < rows.length; n++) {
      rows[n].classList.toggle("selected", n === i);
      rows[n].setAttribute("aria-selected", n === i ? "true" : "false");
    }
    closeWrong();
    const item = state.items[i];
    $("audit-none").hidden = !!item;
    $("audit-item").hidden = !item;
    if (!item) return;
    if (rows[i]) { rows[i].focus({ preventScroll: true }); rows[i].scrollIntoView({ block: "nearest" }); }
    $("item-id").textContent = item.id;
    $("item-why").textContent = why(item);
    $("item-why").className = "why-chip" + (item.low_confidence && !item.sampled ? " low" : "");
    $("item-status").textContent = item.verdict ? "" : "waiting for a verdict";
    const when = item.answered_at ? new Date(item.answered_at * 1000).toLocaleString() : "";
    $("item-meta").textContent = item.conversation + " · " + item.channel + " · " + when +
      (item.model_id ? " · model " + item.model_id : "");
    $("item-text").textContent = item.text;
    $("item-faq").textContent = "faq/" + item.faq;
    $("item-conf").textContent = "confidence " + pct(item.confidence) + " (intent " +
      pct(item.intent_confidence) + ", answer " + pct(item.answer_confidence) + ")";
    $("item-answer").textContent = item.answer || item.response;
    $("item-ranking").replaceChildren(...(item.ranking || []).map((g) => {
      const li = document.createElement("li");
      li.textContent = g.label + " " + pct(g.confidence);
      return li;
    }));
    const verdict = $("item-verdict");
    verdict.hidden = !item.verdict;
    verdict.className = "verdict " + item.verdict;
    if (item.verdict) {
      verdict.textContent = "Marked " + item.verdict + " by " + item.decided_by +
        (item.correct ? " · should have been " + item.correct : "") +
        (item.proposal ? " · trainers: " + item.proposal : "") + (item.note ? " · " + item.note : "");
    }
    $("verdict-actions").hidden = !state.canMark || !!item.verdict;
    $("right-note").value = "";
  }

  async function load() {
    const data = await call("GET", "/api/audit?status=" + state.status + "&limit=200");
    state.items = data.items;
    $("audit-count").textContent = state.status === "pending" ? data.pending : data.items.length;
    $("audit-count-label").textContent = state.status === "pending" ? "waiting for a verdict"
      : $("audit-status").selectedOptions[0].textContent.toLowerCase();
    renderList();
  }

  async function loadPrecision() {
    try {
      const r = await call("GET", "/api/audit/precision?days=30");
      const p = r.precision;
      const chip = $("precision");
      chip.textContent = p.verdicts
        ? "answers right " + pct(p.precision) + " (95% CI " + pct(p.low) + "–" + pct(p.high) + ", " +
          p.verdicts + " checked, 30 days)"
        : "no random-sample verdict yet (30 days)";
      const lc = r.low_confidence_precision;
      chip.title = "Production precision: right/(right+wrong) of the rate-sampled answers, Wilson " +
        "95% interval. Low-confidence answers (all audited, not a random sample): " +
        (lc.verdicts ? pct(lc.precision) + " of " + lc.verdicts : "none checked yet") + ".";
    } catch (e) { /* a figure, not the page */ }
  }

  async function mark(body) {
    const item = state.items[state.index];
    if (!item || item.verdict || !state.canMark) return;
    try {
      const done = await call("POST", "/api/audit/" + item.id + "/mark", body);
      toast(done.id + " marked " + done.verdict + (done.proposal ? " → " + done.proposal +
        " for the trainers" : "") + (done.proposal_error ? " (" + done.proposal_error + ")" : ""), "ok");
      if (state.status === "pending") {
        state.items.splice(state.index, 1);
        $("audit-count").textContent = Math.max(0, Number($("audit-count").textContent) - 1);
        renderList();
      } else {
        state.items[state.index] = done;
        renderList();
      }
      loadPrecision();
      return true;
    } catch (e) {
      if (!$("wrong-form").hidden) {
        $("wrong-error").textContent = e.message;
        $("wrong-error").hidden = false;
      } else {
        toast(e.message, "error");
      }
      if (e.status === 409) load();
      return false;
    }
  }

  // -- "wrong": what it should have been ---------------------------------------------------
  async function faqs() {
    if (state.faqs === null) state.faqs = (await call("GET", "/api/review/faqs")).faqs;
    return state.faqs;
  }

  function kind() { return document.querySelector("input[name=correct-kind]:checked").value; }

  function setKind(value) {
    document.querySelector("input[name=correct-kind][value=" + value + "]").checked = true;
    $("wrong-faq").hidden = value !== "faq";
    $("wrong-new").hidden = value !== "new_faq";
  }

  function filterFaqs() {
    const item = state.items[state.index];
    const q = $("wrong-search").value.trim().toLowerCase();
    const list = (state.faqs || []).filter((f) => f.key !== (item && item.faq) &&
      (!q || f.key.includes(q.replace(/\s+/g, "_")) || (f.answer || "").toLowerCase().includes(q) ||
       (f.description || "").toLowerCase().includes(q)));
    list.sort((a, b) => (b.key.startsWith(q) ? 1 : 0) - (a.key.startsWith(q) ? 1 : 0));
    $("wrong-faq-list").replaceChildren(...list.map((f) => {
      const o = document.createElement("option");
      o.value = f.key;
      o.textContent = f.key + (f.description ? " — " + f.description : "");
      o.title = f.answer || "";
      return o;
    }));
    if (list.length) $("wrong-faq-list").value = list[0].key;
    $("wrong-count").textContent = list.length + " of " + (state.faqs || []).length;
  }

  async function openWrong() {
    const item = state.items[state.index];
    if (!item || item.verdict || !state.canMark) return;
    $("wrong-form").hidden = false;
    $("wrong-error").hidden = true;
    $("wrong-search").value = "";
    $("wrong-key").value = "";
    $("wrong-note").value = "";
    setKind("faq");
    $("wrong-search").focus();
    try { await faqs(); filterFaqs(); } catch (e) { $("wrong-error").textContent = e.message; $("wrong-error").hidden = false; }
  }

  function closeWrong() {
    $("wrong-form").hidden = true;
  }

  async function submitWrong(ev) {
    ev.preventDefault();
    const k = kind();
    const body = { verdict: "wrong", note: $("wrong-note").value.trim() };
    if (k === "faq") {
      const key = $("wrong-faq-list").value;
      if (!key) {
        $("wrong-error").textContent = "Choose the FAQ it should have been (or a new FAQ, or no FAQ).";
        $("wrong-error").hidden = false;
        return;
      }
      body.correct = key;
    } else {
      body.correct = k;
      if (k === "new_faq" && $("wrong-key").value.trim()) body.key = $("wrong-key").value.trim();
    }
    if (await mark(body)) closeWrong();
  }

  function inField(el) {
    return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT");
  }

  function onKey(ev) {
    const form = $("wrong-form");
    if (!form.hidden && form.contains(document.activeElement)) {
      if (ev.key === "Escape") { ev.preventDefault(); closeWrong(); select(state.index); return; }
      if (ev.altKey && ev.key === "n") { ev.preventDefault(); setKind("new_faq"); $("wrong-key").focus(); return; }
      if (ev.altKey && ev.key === "h") { ev.preventDefault(); setKind("negative"); $("wrong-note").focus(); return; }
      if (document.activeElement === $("wrong-search") && (ev.key === "ArrowDown" || ev.key === "ArrowUp")) {
        ev.preventDefault();
        const sel = $("wrong-faq-list");
        const n = sel.options.length;
        if (!n) return;
        const at = Math.max(0, Math.min(n - 1, sel.selectedIndex + (ev.key === "ArrowDown" ? 1 : -1)));
        sel.selectedIndex = at;
        return;
      }
      return;  // typing in the form
    }
    if (inField(document.activeElement)) {
      if (ev.key === "Escape") { document.activeElement.blur(); select(state.index); }
      else if (ev.key === "Enter" && document.activeElement === $("right-note")) {
        ev.preventDefault(); mark({ verdict: "right", note: $("right-note").value.trim() });
      }
      return;
    }
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const help = $("audit-help");
    if (help.open) return;
    const tabs = { "1": "pending", "2": "wrong", "3": "right", "4": "decided" };
    if (ev.key === "j" || ev.key === "ArrowDown") {
      ev.preventDefault();
      if (state.index < state.items.length - 1) select(state.index + 1);
    } else if (ev.key === "k" || ev.key === "ArrowUp") {
      ev.preventDefault();
      if (state.index > 0) select(state.index - 1);
    } else if (ev.key === "r") {
      ev.preventDefault(); mark({ verdict: "right", note: $("right-note").value.trim() });
    } else if (ev.key === "w") {
      ev.preventDefault(); openWrong();
    } else if (ev.key === "n" && state.canMark) {
      ev.preventDefault(); $("right-note").focus();
    } else if (ev.key === "?") {
      ev.preventDefault(); help.showModal();
    } else if (tabs[ev.key]) {
      ev.preventDefault();
      state.status = tabs[ev.key];
      $("audit-status").value = state.status;
      state.index = 0;
      load();
    }
  }

  document.addEventListener("DOMContentLoaded", async () => {
    const me = await call("GET", "/api/me");
    $("me").textContent = me.name + " · " + me.role;
    state.canMark = (me.permissions || []).includes("audit");
    $("readonly").hidden = state.canMark;
    document.addEventListener("keydown", onKey);
    $("audit-status").addEventListener("change", () => {
      state.status = $("audit-status").value; state.index = 0; load();
    });
    $("right-btn").addEventListener("click", () => mark({ verdict: "right", note: $("right-note").value.trim() }));
    $("wrong-btn").addEventListener("click", openWrong);
    $("wrong-cancel").addEventListener("click", () => { closeWrong(); select(state.index); });
    $("wrong-form").addEventListener("submit", submitWrong);
    $("wrong-search").addEventListener("input", filterFaqs);
    document.querySelectorAll("input[name=correct-kind]").forEach((r) =>
      r.addEventListener("change", () => setKind(r.value)));
    $("help-btn").addEventListener("click", () => $("audit-help").showModal());
    await load();
    loadPrecision();
  });
})();
