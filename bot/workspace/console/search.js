// Search (GET /api/search): "s" or Ctrl+K focuses the box in the top bar. Words search the
// transcripts and the followers' ids and names; filters are written in the box:
// channel:whatsapp label:vip label:"vip customer" reason:sarcasm agent:ana status:resolved
// from:2024-05-01 to:2024-05-31. Enter searches; the results replace the queue (↓/↑ in the box,
// or j/k, open them one by one; Esc in the box or × goes back to the queue).
"use strict";
window.CareSearch = (function () {
  const $ = (id) => document.getElementById(id);
  const FILTERS = ["channel", "label", "reason", "agent", "status", "from", "to"];
  let api = null, R = null, onOpen = null, results = [], active = -1;

  function parse(text) {
    const params = {}, words = [];
    const re = /(\w+):"([^"]*)"|(\w+):(\S+)|(\S+)/g;
    let m;
    while ((m = re.exec(text))) {
      const key = (m[1] || m[3] || "").toLowerCase(), value = m[2] !== undefined ? m[2] : m[4];
      if (key && FILTERS.includes(key)) params[key] = value;
      else words.push(m[0]);
    }
    if (words.length) params.q = words.join(" ");
    return params;
  }

  function date(ts) {
    return ts ? new Date(ts * 1000).toLocaleDateString([], { month: "short", day: "numeric" }) : "";
  }

  function row(hit, i) {
    const node = R.el("li", { class: "row result" + (i === active ? " selected" : ""),
      dataset: { id: hit.id }, role: "option", tabindex: "-1" },
    R.el("div", { class: "row-top" },
      R.el("b", {}, hit.id),
      R.el("span", { class: "status-chip " + hit.status }, hit.status),
      R.el("span", { class: "chan" }, hit.channel),
      R.el("span", { class: "sender" }, hit.sender),
      R.el("span", { class: "holder" }, date(hit.created_at))),
    R.el("div", { class: "row-mid" }, window.CareLabels.chips(hit.labels)),
    R.el("p", { class: "preview" }, hit.snippet || ""));
    node.addEventListener("click", () => { active = i; paint(); onOpen(hit.id); });
    return node;
  }

  function paint() {
    $("search-list").replaceChildren(...results.map(row));
    const sel = $("search-list").children[active];
    if (sel) sel.scrollIntoView({ block: "nearest" });
  }

  async function run() {
    const text = $("search-box").value.trim();
    if (!text) return close();
    const params = parse(text);
    $("search-status").textContent = "Searching…";
    show(true);
    try {
      const data = await api.search(params);
      results = data.tickets;
      active = results.length ? 0 : -1;
      const count = data.total === null ? results.length + (data.more ? "+" : "") : data.total;
      let note = count + " found";
      if (data.ignored && data.ignored.length) note += " · ignored: " + data.ignored.join(", ");
      $("search-status").textContent = note;
      paint();
    } catch (err) {
      results = [];
      paint();
      $("search-status").textContent = err.message || String(err);
    }
  }

  function show(on) {  // the results take the queue pane's place
    $("search-results").hidden = !on;
    $("search-results").parentElement.classList.toggle("searching", on);
  }

  function close() {
    results = []; active = -1;
    $("search-box").value = "";
    show(false);
    $("search-box").blur();
  }

  function onKey(e) {
    if (e.key === "Enter") {
      e.preventDefault();
      if (active >= 0 && document.activeElement !== $("search-box")) onOpen(results[active].id);
      else run();
    } else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      if (!results.length) return;
      e.preventDefault();
      move(e.key === "ArrowDown" ? 1 : -1);
    } else if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      close();
    }
  }

  function move(step) {  // j/k while the results are shown
    if (!results.length) return;
    active = Math.max(0, Math.min(results.length - 1, active + step));
    paint();
    onOpen(results[active].id);
  }

  function focus() {
    $("search-box").focus();
    $("search-box").select();
  }

  function init(deps) {
    api = deps.api; R = deps.render; onOpen = deps.onOpen;
    $("search-box").addEventListener("keydown", onKey);
    $("search-close").addEventListener("click", close);
  }

  return { init, focus, close, move, parse, isOpen: () => !$("search-results").hidden };
})();
