// "Tone wrong": an agent marks the bot's tone call on a follower message wrong ("should be calm /
// negative / sarcastic"); it joins the trainers' review list as a tone proposal
// (POST /api/review/tone-flag). A trainer's accept adds the message, so labelled, to the tone
// corpus (data/tone/reviewed.yml). Keyboard: t opens the dialog, Enter sends, Esc closes.
"use strict";
window.CareToneFlag = (function () {
  const $ = (id) => document.getElementById(id);
  const norm = (s) => String(s || "").split(/\s+/).filter(Boolean).join(" ");
  const LABELS = ["calm", "positive", "negative", "sarcastic"];
  let api = null, onDone = null, onKnown = null, ticket = null;

  // The bot's tone call on the ticket's escalated message, from its reasons (as the server).
  function botCall(t) {
    const reasons = t.reasons || [];
    return reasons.includes("sarcasm") ? "sarcastic" : reasons.includes("negative_tone") ? "negative" : "calm";
  }

  function followerTexts(t) {
    const seen = new Set(), out = [];
    for (const m of t.transcript || []) {
      const text = norm(m.text);
      if (m.role === "follower" && text && !seen.has(text)) { seen.add(text); out.push(text); }
    }
    if (norm(t.text) && !seen.has(norm(t.text))) out.unshift(norm(t.text));
    return out;
  }

  function option(value, label) {
    const o = document.createElement("option");
    o.value = value; o.textContent = label.length > 110 ? label.slice(0, 107) + "…" : label; o.title = label;
    return o;
  }

  function syncMessage() {
    const escalated = $("tone-message").value === norm(ticket.text);
    const was = escalated ? botCall(ticket) : "";
    $("tone-was").textContent = escalated
      ? "The bot called it " + was + " (negative " + Math.round(Number((ticket.tone || {}).negative || 0) * 100)
        + "%, sarcasm " + Math.round(Number((ticket.tone || {}).sarcasm || 0) * 100) + "%)."
      : "The bot's tone call on this message is not on the ticket.";
    for (const label of LABELS) {
      const input = document.querySelector('#tone-form input[value="' + label + '"]');
      input.disabled = escalated && (label === was || (was === "calm" && label === "positive"));
      if (input.disabled && input.checked) input.checked = false;
    }
    if (!document.querySelector("#tone-form input[name=tone-label]:checked")) {
      const first = document.querySelector("#tone-form input[name=tone-label]:not(:disabled)");
      if (first) first.checked = true;
    }
  }

  function showError(text) {
    $("tone-error").textContent = text || "";
    $("tone-error").hidden = !text;
  }

  // label: preselected correction (optional); text: the message (default: the escalated one).
  function open(t, label, text) {
    const texts = followerTexts(t);
    if (!texts.length) throw new Error("This conversation has no follower message.");
    ticket = t;
    $("tone-ticket").textContent = t.id + " · " + t.sender + " on " + t.channel;
    $("tone-message").replaceChildren(...texts.map((m) => option(m, m)));
    const wanted = norm(text || t.text);
    $("tone-message").value = texts.includes(wanted) ? wanted : texts[texts.length - 1];
    document.querySelectorAll("#tone-form input[name=tone-label]").forEach((i) => { i.checked = i.value === label; });
    $("tone-note").value = "";
    showError("");
    syncMessage();
    $("tone-dialog").showModal();
    const checked = document.querySelector("#tone-form input[name=tone-label]:checked");
    (checked || $("tone-message")).focus();
  }

  async function submit(event) {
    event.preventDefault();
    if (!ticket) return;
    const picked = document.querySelector("#tone-form input[name=tone-label]:checked");
    if (!picked) return showError("Choose what the tone should have been.");
    const body = { ticket: ticket.id, text: $("tone-message").value, label: picked.value };
    if ($("tone-note").value.trim()) body.note = $("tone-note").value.trim();
    $("tone-submit").disabled = true;
    try {
      const proposal = await api.toneFlag(body);
      $("tone-dialog").close();
      onDone(ticket, body.text, proposal);
    } catch (err) {
      showError(err.message || String(err));
      const known = err.status === 409 && /\((R-\d+)\)/.exec(err.message || "");
      if (known) onKnown(ticket, body.text, known[1]);
    } finally {
      $("tone-submit").disabled = false;
    }
  }

  function init(deps) {
    api = deps.api; onDone = deps.onDone; onKnown = deps.onKnown;
    $("tone-form").addEventListener("submit", submit);
    $("tone-message").addEventListener("change", syncMessage);
    $("tone-cancel").addEventListener("click", () => $("tone-dialog").close());
  }

  return { init, open, botCall, isOpen: () => $("tone-dialog").open };
})();
