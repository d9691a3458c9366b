// "Flag for FAQ": an agent marks a follower message of a claimed or resolved conversation as
// "should have been FAQ X" or "new FAQ"; it joins the trainers' review list
// (POST /api/review/flag). Nothing reaches the bot's data until a trainer accepts it (/review).
// Keyboard: f opens the dialog, type to search the FAQs, ↑/↓ choose, Enter flags, Esc closes.
"use strict";
window.CareFlag = (function () {
  const $ = (id) => document.getElementById(id);
  const norm = (s) => String(s || "").split(/\s+/).filter(Boolean).join(" ");
  const NEW = "";  // the option value of "new FAQ"
  let api = null, onDone = null, onKnown = null, ticket = null, faqs = null, faqsAt = 0;

  // Follower messages of the conversation, once each, in order.
  function followerTexts(t) {
    const seen = new Set(), out = [];
    for (const m of t.transcript || []) {
      const text = norm(m.text);
      if (m.role === "follower" && text && !seen.has(text)) { seen.add(text); out.push(text); }
    }
    return out;
  }

  // The agent's reply to a follower message: the first agent message after it (as the server).
  function replyTo(t, text) {
    let asked = false;
    for (const m of t.transcript || []) {
      if (m.role === "follower" && norm(m.text) === text) asked = true;
      else if (asked && m.role === "agent" && norm(m.text)) return m.text;
    }
    return null;
  }

  // What f flags by default: the message that was escalated, else the latest follower message.
  function defaultText(t) {
    const texts = followerTexts(t);
    return texts.includes(norm(t.text)) ? norm(t.text) : texts[texts.length - 1];
  }

  async function loadFaqs() {
    if (!faqs || Date.now() - faqsAt > 60000) {
      faqs = (await api.faqs()).faqs.sort((a, b) => a.key.localeCompare(b.key));
      faqsAt = Date.now();
    }
  }

  function option(value, label, title) {
    const o = document.createElement("option");
    o.value = value; o.textContent = label; if (title) o.title = title;
    return o;
  }

  // The searchable select: the query narrows the FAQs; key matches first, then the topic
  // (description), then the answer's wording.
  function rank(f, q) {
    if (!q) return 0;
    if (f.key.includes(q.replace(/\s+/g, "_"))) return 1;
    if ((f.description || "").toLowerCase().includes(q)) return 2;
    return (f.answer || "").toLowerCase().includes(q) ? 3 : 0;
  }
  function fillOptions() {
    const q = $("flag-search").value.trim().toLowerCase(), select = $("flag-faq");
    const keep = select.value;
    const hits = (faqs || []).map((f) => [rank(f, q), f]).filter(([r]) => !q || r > 0)
      .sort((a, b) => a[0] - b[0]).map(([, f]) => f);  // stable: by key within a rank
    select.replaceChildren(option(NEW, "+ New FAQ (none of these)"),
      ...hits.map((f) => option(f.key, f.key + (f.description ? " — " + f.description : ""), f.answer)));
    const keys = hits.map((f) => f.key);
    select.value = keys.includes(keep) ? keep : (q && keys.length ? keys[0] : NEW);
    $("flag-count").textContent = q ? hits.length + " of " + (faqs || []).length + " FAQs" : (faqs || []).length + " FAQs";
    syncKind();
  }

  function syncKind() {
    const isNew = $("flag-faq").value === NEW;
    $("flag-new").hidden = !isNew;
    $("flag-submit").firstChild.textContent = isNew ? "Flag as new FAQ " : "Flag as " + $("flag-faq").value + " ";
  }

  function syncMessage() {
    const reply = replyTo(ticket, $("flag-message").value);
    $("flag-use-reply").disabled = !reply;
    $("flag-use-reply").checked = !!reply;
    $("flag-reply").textContent = reply || "(no agent reply to this message)";
  }

  function showError(text) {
    $("flag-error").textContent = text || "";
    $("flag-error").hidden = !text;
  }

  async function open(t, text) {
    const texts = followerTexts(t);
    if (!texts.length) throw new Error("This conversation has no follower message to flag.");
    ticket = t;
    $("flag-ticket").textContent = t.id + " · " + t.sender + " on " + t.channel;
    $("flag-message").replaceChildren(...texts.map((m) => option(m, m.length > 110 ? m.slice(0, 107) + "…" : m, m)));
    $("flag-message").value = texts.includes(norm(text)) ? norm(text) : defaultText(t);
    for (const id of ["flag-search", "flag-key", "flag-note"]) $(id).value = "";
    showError("");
    syncMessage();
    fillOptions();
    $("flag-dialog").showModal();
    $("flag-search").focus();
    try { await loadFaqs(); } catch (err) { showError(err.message); }
    fillOptions();
  }

  async function submit(event) {
    event.preventDefault();
    if (!ticket) return;
    const faq = $("flag-faq").value || null;
    const body = { ticket: ticket.id, text: $("flag-message").value, faq };
    if (!faq) {
      if ($("flag-key").value.trim()) body.key = $("flag-key").value.trim();
      body.use_reply = $("flag-use-reply").checked && !$("flag-use-reply").disabled;
    }
    if ($("flag-note").value.trim()) body.note = $("flag-note").value.trim();
    $("flag-submit").disabled = true;
    try {
      const proposal = await api.flag(body);
      $("flag-dialog").close();
      onDone(ticket, body.text, proposal);
    } catch (err) {
      showError(err.message || String(err));
      const known = err.status === 409 && /\((R-\d+)\)/.exec(err.message || "");
      if (known) onKnown(ticket, body.text, known[1]);  // flagged before: mark it
    } finally {
      $("flag-submit").disabled = false;
    }
  }

  function onSearchKey(e) {  // ↑/↓ move through the list without leaving the search box
    const select = $("flag-faq"), n = select.options.length;
    if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
    e.preventDefault();
    select.selectedIndex = Math.max(0, Math.min(n - 1, select.selectedIndex + (e.key === "ArrowDown" ? 1 : -1)));
    syncKind();
  }

  function init(deps) {
    api = deps.api; onDone = deps.onDone; onKnown = deps.onKnown;
    $("flag-form").addEventListener("submit", submit);
    $("flag-search").addEventListener("input", fillOptions);
    $("flag-search").addEventListener("keydown", onSearchKey);
    $("flag-faq").addEventListener("change", syncKind);
    $("flag-faq").addEventListener("keydown", (e) => {
      if (e.key === "Enter") { e.preventDefault(); $("flag-form").requestSubmit(); }
    });
    $("flag-faq").addEventListener("dblclick", () => $("flag-form").requestSubmit());
    $("flag-message").addEventListener("change", syncMessage);
    $("flag-cancel").addEventListener("click", () => $("flag-dialog").close());
  }

  return { init, open, defaultText, norm, isOpen: () => $("flag-dialog").open };
})();
