// FAQ and tone review: list, edit, accept, reject (textContent only: texts are untrusted).
"use strict";
(function () {
  const call = window.CareApi.request;  // /static/api.js: CSRF header, 401 → /login
  const $ = (sel, root) => (root || document).querySelector(sel);
  const msg = (text, bad) => {
    const m = $("#msg"); m.textContent = text; m.className = bad ? "error" : "";
  };
  const lines = (text) => text.split("\n").map((s) => s.trim()).filter(Boolean);

  function edits(card) {
    return { kind: $(".kind", card).value, key: $(".key", card).value.trim(),
      answer: $(".answer", card).value.trim() || undefined,
      topic: $(".topic", card).value.trim() || undefined,
      examples: lines($(".examples", card).value) };
  }

  // A tone proposal: an agent marked the bot's tone call wrong; accepting appends the message
  // with the chosen label to data/tone/reviewed.yml.
  function renderTone(p) {
    const card = $("#tone-card").content.firstElementChild.cloneNode(true);
    const m = p.messages[0] || {};
    $(".pid", card).textContent = p.id;
    $(".what", card).textContent = "tone: should be " + p.label + " · " + p.status;
    $(".text", card).textContent = m.text || (p.examples || [])[0] || "";
    const tone = m.tone || {};
    $(".was", card).textContent = (m.was ? "The bot called it " + m.was : "The bot's call is not on the ticket")
      + (tone.negative !== undefined ? " (negative " + Math.round(tone.negative * 100) + "%, sarcasm "
        + Math.round((tone.sarcasm || 0) * 100) + "%)" : "") + " · " + (m.ticket || "")
      + " [" + (m.reasons || []).join(", ") + "] · flagged by " + (m.flagged_by || "?");
    for (const s of tone.signals || []) {
      const li = document.createElement("li"); li.textContent = s; $(".signals", card).appendChild(li);
    }
    if (m.note) {
      const li = document.createElement("li"); li.textContent = "note: " + m.note;
      $(".messages", card).appendChild(li);
    }
    $(".label", card).value = p.label;
    if (p.status !== "pending") {
      card.querySelectorAll("input, textarea, select, button").forEach((e) => { e.disabled = true; });
      $(".result", card).textContent = p.status + " by " + p.decided_by + ". "
        + ((p.result && p.result.summary) || []).join(" ") + (p.note ? " " + p.note : "");
    }
    const act = async (fn) => {
      try { await fn(); } catch (e) {
        $(".result", card).textContent = e.message;
        $(".result", card).className = "result error";
      }
    };
    const label = () => ({ label: $(".label", card).value });
    $(".save", card).addEventListener("click", () => act(async () => {
      card.replaceWith(render(await call("POST", "/api/review/" + p.id + "/edit", label())));
    }));
    $(".accept", card).addEventListener("click", () => act(async () => {
      card.replaceWith(render(await call("POST", "/api/review/" + p.id + "/accept", label())));
      msg("Accepted " + p.id + ". Train & load the model when you are done reviewing.");
    }));
    $(".reject", card).addEventListener("click", () => act(async () => {
      card.replaceWith(render(await call("POST", "/api/review/" + p.id + "/reject",
        { reason: $(".reason", card).value })));
    }));
    return card;
  }

  function render(p) {
    if (p.kind === "tone") return renderTone(p);
    const card = $("#card").content.firstElementChild.cloneNode(true);
    $(".pid", card).textContent = p.id;
    $(".what", card).textContent =
      (p.kind === "examples" ? "examples for faq/" + p.key
        : p.kind === "negative" ? "negative: should not be answered with faq/" + p.key
        : "new FAQ " + p.key)
      + " · " + p.messages.length + " message(s) · " + p.status;
    $(".kind", card).value = p.kind;
    $(".key", card).value = p.key;
    $(".topic", card).value = p.topic || "";
    $(".answer", card).value = p.answer || "";
    $(".examples", card).value = p.examples.join("\n");
    const showNew = () => {
      const isNew = $(".kind", card).value === "new_faq";
      $(".answer-row", card).hidden = !isNew; $(".topic-row", card).hidden = !isNew;
    };
    $(".kind", card).addEventListener("change", showNew); showNew();
    if (p.needs_examples) {
      const n = $(".needs", card); n.hidden = false;
      n.textContent = "A new FAQ needs " + p.needs_examples
        + " more example(s) before it can be accepted.";
    }
    for (const m of p.messages) {
      const li = document.createElement("li");
      li.textContent = (m.ticket || m.audit || "") + " [" + (m.reasons || []).join(", ") + "] "
        + (m.answered ? "(the bot answered faq/" + m.answered + ") " : "")
        + (m.flagged_by ? "(flagged by " + m.flagged_by + ") " : "") + m.text;
      if (m.note) {
        const note = document.createElement("span"); note.className = "note";
        note.textContent = "note: " + m.note; li.appendChild(note);
      }
      for (const r of m.replies || []) {
        const span = document.createElement("span"); span.className = "reply";
        span.textContent = "agent: " + r; li.appendChild(span);
      }
      $(".messages", card).appendChild(li);
    }
    const alts = (p.alternatives || []).map((a) => a.key + " " + a.score.toFixed(2));
    $(".alts", card).textContent = alts.length ? "Closest FAQs: " + alts.join(", ") : "";
    if (p.status !== "pending") {
      card.querySelectorAll("input, textarea, select, button")
        .forEach((e) => { e.disabled = true; });
      $(".result", card).textContent = p.status + " by " + p.decided_by + ". "
        + ((p.result && p.result.summary) || []).join(" ") + (p.note ? " " + p.note : "");
    }
    const act = async (fn) => {
      try { await fn(); } catch (e) {
        $(".result", card).textContent = e.message;
        $(".result", card).className = "result error";
      }
    };
    $(".save", card).addEventListener("click", () => act(async () => {
      const updated = await call("POST", "/api/review/" + p.id + "/edit", edits(card));
      card.replaceWith(render(updated));
    }));
    $(".accept", card).addEventListener("click", () => act(async () => {
      const done = await call("POST", "/api/review/" + p.id + "/accept", edits(card));
      card.replaceWith(render(done));
      msg("Accepted " + p.id + ". Train & load the model when you are done reviewing.");
    }));
    $(".reject", card).addEventListener("click", () => act(async () => {
      const done = await call("POST", "/api/review/" + p.id + "/reject",
        { reason: $(".reason", card).value });
      card.replaceWith(render(done));
    }));
    return card;
  }

  async function load() {
    const list = $("#list");
    try {
      const data = await call("GET", "/api/review?status=" + $("#status").value);
      list.replaceChildren(...data.proposals.map(render));
      if (!data.proposals.length) { const p = document.createElement("p"); p.className = "empty";
        p.textContent = "Nothing to review."; list.appendChild(p); }
    } catch (e) { msg(e.message, true); }
  }
  $("#status").addEventListener("change", load);
  $("#suggest-btn").addEventListener("click", async () => {
    msg("Clustering escalations…");
    try {
      const r = await call("POST", "/api/review/suggest", {});
      msg(r.proposals.length + " new proposal(s)."); load();
    }
    catch (e) { msg(e.message, true); }
  });
  $("#train-btn").addEventListener("click", async () => {
    msg("Training (only what changed) and loading the model…");
    try {
      const r = await call("POST", "/api/review/train", {});
      msg("The bot now uses " + r.model + " (" + r.seconds + "s).");
    }
    catch (e) { msg(e.message, true); }
  });
  load();
})();
