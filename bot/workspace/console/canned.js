// Canned responses in the reply box: "/" at the start of a word opens the picker (the team's
// saved replies and the bot's FAQ answers, GET /api/canned). Type to filter, ↑/↓ choose, Enter
// inserts the response rendered for the ticket (POST /api/tickets/{id}/canned/{key}/render:
// the follower's first name, order and tracking numbers, your name); a value nobody knows is a
// blank such as ⟦first name⟧, selected so you type over it. Esc closes ("/" then Esc types a
// plain slash).
"use strict";
window.CareCanned = (function () {
  const $ = (id) => document.getElementById(id);
  const CACHE_MS = 60000;
  let api = null, ticket = null, onInsert = null, items = null, loadedAt = 0, shown = [];
  let caret = null;  // [start, end] of the reply box selection when "/" was typed

  async function load() {
    if (!items || Date.now() - loadedAt > CACHE_MS) {
      items = (await api.canned()).canned;
      loadedAt = Date.now();
    }
  }

  // Every word must be in the key, title or text; key matches first, then the most used.
  function filter(q) {
    const words = q.toLowerCase().split(/\s+/).filter(Boolean);
    const rank = (c) => {
      const head = (c.key + " " + c.title).toLowerCase(), all = head + " " + c.text.toLowerCase();
      if (!words.every((w) => all.includes(w))) return -1;
      if (!words.length || c.key.startsWith(words[0])) return 0;
      return words.every((w) => head.includes(w)) ? 1 : 2;
    };
    return (items || []).map((c) => [rank(c), c]).filter(([r]) => r >= 0)
      .sort((a, b) => a[0] - b[0] || (a[1].source === "team" ? 0 : 1) - (b[1].source === "team" ? 0 : 1)
        || b[1].uses - a[1].uses || a[1].key.localeCompare(b[1].key)).map(([, c]) => c).slice(0, 50);
  }

  function fill() {
    const list = $("canned-list"), q = $("canned-search").value;
    const keep = list.value;
    shown = filter(q);
    list.replaceChildren(...shown.map((c) => {
      const o = document.createElement("option");
      o.value = c.key;
      o.textContent = (c.source === "faq" ? "FAQ · " : "/") + c.key + " — " + c.title;
      o.title = c.text;
      return o;
    }));
    const keys = shown.map((c) => c.key);
    list.value = keys.includes(keep) ? keep : (keys[0] || "");
    $("canned-empty").hidden = shown.length > 0;
    preview();
  }

  function preview() {
    const c = shown.find((x) => x.key === $("canned-list").value);
    $("canned-preview").textContent = c ? c.text : "";
  }

  function move(step) {
    const list = $("canned-list"), n = list.options.length;
    if (!n) return;
    list.selectedIndex = Math.max(0, Math.min(n - 1, list.selectedIndex + step));
    preview();
  }

  function insertAt(text) {
    const box = $("reply"), [start, end] = caret || [box.value.length, box.value.length];
    box.value = box.value.slice(0, start) + text + box.value.slice(end);
    box.focus();
    const blank = box.value.indexOf("⟦", start);
    const close = blank >= 0 ? box.value.indexOf("⟧", blank) : -1;
    if (blank >= 0 && close >= 0 && close < start + text.length) box.setSelectionRange(blank, close + 1);
    else box.setSelectionRange(start + text.length, start + text.length);
    box.dispatchEvent(new Event("input"));  // the console keeps the draft
  }

  async function choose() {
    const key = $("canned-list").value;
    if (!key || !ticket) return;
    showError("");
    try {
      const done = await api.renderCanned(ticket.id, key);
      $("canned-dialog").close();
      insertAt(done.text);
      if (onInsert) onInsert(done);
    } catch (err) {
      showError(err.message || String(err));
    }
  }

  function showError(text) {
    $("canned-error").textContent = text || "";
    $("canned-error").hidden = !text;
  }

  async function open(t) {
    ticket = t;
    const box = $("reply");
    caret = [box.selectionStart, box.selectionEnd];
    $("canned-search").value = "";
    showError("");
    fill();
    $("canned-dialog").showModal();
    $("canned-search").focus();
    try { await load(); } catch (err) { showError(err.message); }
    fill();
  }

  // "/" opens the picker at the start of the box or of a word (not inside a URL or a date).
  function onReplyKey(e, current) {
    if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey) return;
    const box = e.target, before = box.value.slice(0, box.selectionStart);
    if (before && !/\s$/.test(before)) return;
    const t = current();
    if (!t || box.disabled) return;
    e.preventDefault();
    open(t).catch((err) => showError(err.message));
  }

  function init(deps) {
    api = deps.api; onInsert = deps.onInsert;
    $("reply").addEventListener("keydown", (e) => onReplyKey(e, deps.current));
    $("canned-search").addEventListener("input", fill);
    $("canned-search").addEventListener("keydown", (e) => {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") { e.preventDefault(); move(e.key === "ArrowDown" ? 1 : -1); }
      else if (e.key === "Enter") { e.preventDefault(); choose(); }
    });
    $("canned-list").addEventListener("change", preview);
    $("canned-list").addEventListener("keydown", (e) => {
      if (e.key === "Enter") { e.preventDefault(); choose(); }
    });
    $("canned-list").addEventListener("dblclick", choose);
    $("canned-dialog").addEventListener("cancel", (e) => {  // Esc
      e.preventDefault();
      const plain = !$("canned-search").value;
      $("canned-dialog").close();
      if (plain) insertAt("/");  // "/" then Esc: the agent meant a slash
      else $("reply").focus();
    });
    $("canned-close").addEventListener("click", () => { $("canned-dialog").close(); $("reply").focus(); });
  }

  return { init, open, isOpen: () => $("canned-dialog").open, forget: () => { items = null; } };
})();
