// DOM building for the console: queue rows, the transcript, the "why" panel. Text only through
// textContent (never innerHTML): follower messages are untrusted.
"use strict";
window.CareRender = (function () {
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "dataset") Object.assign(node.dataset, value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.appendChild(typeof child === "string" || typeof child === "number"
        ? document.createTextNode(String(child)) : child);
    }
    return node;
  }

  const REASONS = {
    negative_tone: "angry or frustrated wording",
    sarcasm: "sarcastic wording",
    complex_topic: "a topic that needs a person",
    asked_for_human: "the follower asked for a person",
    low_confidence: "the bot was not sure what was asked",
    out_of_scope: "no FAQ answer covers this question: the bot's nearest answer would have been wrong",
    ambiguous: "two answers looked equally likely",
    repeated_fallback: "the bot failed twice in a row",
    unsupported_message: "attachment, voice or another language",
    delivery_failed: "a reply could not be delivered",
  };
  const ROLE_LABEL = { follower: "Follower", bot: "Bot", agent: "Agent", system: "System" };

  function duration(seconds) {
    const s = Math.max(0, Math.floor(seconds || 0));
    if (s < 60) return s + "s";
    const m = Math.floor(s / 60);
    if (m < 60) return m + "m";
    const h = Math.floor(m / 60);
    return h + "h " + String(m % 60).padStart(2, "0") + "m";
  }

  function clock(ts) {
    if (!ts) return "";
    const d = new Date(ts * 1000);
    return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function reasonBadges(reasons) {
    return el("span", { class: "badges" }, (reasons || []).map((r) =>
      el("span", { class: "badge reason-" + r, title: REASONS[r] || r }, r.replace(/_/g, " "))));
  }

  function toneChip(tone) {
    if (!tone) return null;
    const neg = Number(tone.negative || 0), sar = Number(tone.sarcasm || 0);
    const label = sar >= 0.55 ? "sarcastic" : (tone.label || "neutral");
    if (label === "neutral" && Math.max(neg, sar) < 0.3) return el("span", { class: "tone" }, "calm");
    const cls = label === "negative" || label === "sarcastic" ? "tone bad"
      : label === "positive" ? "tone good" : "tone";
    return el("span", { class: cls, title: "negative " + neg.toFixed(2) + " · sarcasm " + sar.toFixed(2) },
      label + " " + Math.round(Math.max(neg, sar) * 100) + "%");
  }

  function prio(p) {
    return el("span", { class: "prio p" + p, title: "priority " + p + " (1 is most urgent)" }, "P" + p);
  }

  function row(t, selected, me, now) {
    const mine = t.claimed_by && t.claimed_by === me;
    const holder = t.claimed_by
      ? el("span", { class: mine ? "holder mine" : "holder" }, mine ? "yours" : "held by " + t.claimed_by)
      : null;
    return el("li", {
      class: "row" + (selected ? " selected" : "") + (mine ? " mine" : ""),
      dataset: { id: t.id }, role: "option", "aria-selected": selected ? "true" : "false",
      tabindex: "-1",
    },
    el("div", { class: "row-top" },
      prio(t.priority),
      el("span", { class: "wait", dataset: { wait: t.id } }, duration(waiting(t, now))),
      el("span", { class: "chan" }, t.channel),
      el("b", { class: "sender" }, t.sender),
      holder),
    el("div", { class: "row-mid" }, reasonBadges(t.reasons), toneChip(t.tone),
      window.CareLabels ? window.CareLabels.chips(t.labels) : null),
    el("p", { class: "preview" }, t.preview || ""));
  }

  // Seconds the follower has waited, ticking on the client between refreshes.
  function waiting(t, now) {
    if (t.first_reply_at) return t.waiting_seconds;
    return Math.max(t.waiting_seconds, now - t.enqueued_at);
  }

  // One transcript message. flag (follower messages of a flaggable conversation):
  // { done: proposal id or "", onClick } adds the "Flag for FAQ" control.
  // What a follower sent, fetched through the workspace (GET /api/tickets/{id}/media/{m}/{a}:
  // the platform's token never reaches the browser): images as thumbnails (click: full view),
  // video and audio players, files as a download. media: {ticket, index, channel}.
  const FETCHED = new Set(["messenger", "instagram", "whatsapp", "telegram", "x"]);
  function attachmentNode(a, i, media) {
    const kind = typeof a.type === "string" ? a.type : "file";
    const label = el("span", { class: "attachment" }, "📎 " + kind);
    if (!media || !FETCHED.has(media.channel) || !(a.url || a.media_id) ||
        !["image", "sticker", "story_mention", "video", "audio", "file"].includes(kind)) return label;
    const src = "/api/tickets/" + encodeURIComponent(media.ticket) + "/media/" + media.index + "/" + i;
    const failed = (node) => node.replaceWith(el("span", { class: "attachment" },
      "📎 " + kind + " (not available here; open it on the platform)"));
    if (kind === "image" || kind === "sticker" || kind === "story_mention") {
      const img = el("img", { class: "thumb", src, alt: kind + " from the follower", loading: "lazy",
        tabindex: "0", title: "Click for the full view" });
      img.addEventListener("error", () => failed(img));
      const show = () => {
        const view = document.getElementById("media-view");
        if (!view) return;
        view.querySelector("img").src = src;
        view.showModal();
      };
      img.addEventListener("click", show);
      img.addEventListener("keydown", (e) => { if (e.key === "Enter") show(); });
      return img;
    }
    if (kind === "video" || kind === "audio") {
      const player = el(kind, { class: "player " + kind, src, controls: true, preload: "none" });
      player.addEventListener("error", () => failed(player));
      return player;
    }
    return el("a", { class: "attachment", href: src, download: "" }, "📎 file (download)");
  }

  function message(m, me, flag, media) {
    const role = m.role || "system";
    const who = role === "agent" ? (m.agent === me ? "You" : (m.agent || "Agent")) : ROLE_LABEL[role] || role;
    // Tickets written before attachments were normalised may hold anything here.
    const listed = Array.isArray(m.attachments) ? m.attachments.slice(0, 10) : [];
    const attachments = listed.map((a, i) => (a && typeof a === "object")
      ? attachmentNode(a, i, role === "follower" ? media : null) : null).filter(Boolean);
    let control = null;
    if (flag && role === "follower" && m.text) {
      control = flag.done
        ? el("span", { class: "flagged", title: "in the trainers' review list" }, "⚑ flagged " + flag.done)
        : el("button", { type: "button", class: "flag-btn", title: "Flag for FAQ (f)" }, "⚑ Flag for FAQ");
      if (!flag.done) control.addEventListener("click", flag.onClick);
    }
    // How an agent reply went out (template, human-agent tag, image) and why a reply did not.
    const notes = [];
    if (typeof m.template === "string") notes.push("sent as the approved template " + m.template);
    if (m.tag === "HUMAN_AGENT") notes.push("sent with the human-agent tag (after 24 h)");
    if (typeof m.image === "string") {
      notes.push(m.image.startsWith("carebot-image:") ? "with an uploaded image" : "with an image: " + m.image);
    }
    if (m.reason === "reply_window_closed") notes.push("the platform's reply window had closed");
    return el("li", { class: "msg " + role + (m.reason ? " refused" : "") },
      el("div", { class: "msg-meta" }, who + (m.ts ? " · " + clock(m.ts) : ""), control),
      el("div", { class: "msg-text" }, m.text || (attachments.length ? "" : "(empty message)")),
      attachments.length ? el("div", {}, attachments) : null,
      notes.length ? el("div", { class: "msg-note" }, notes.join(" · ")) : null);
  }

  function bar(label, value, title, hot) {
    const pct = Math.round(Math.max(0, Math.min(1, Number(value || 0))) * 100);
    const meter = el("span", { class: "bar" }, el("span", { class: "fill" }));
    meter.firstChild.style.width = pct + "%";
    return el("div", { class: "score" + (hot && pct >= 55 ? " hot" : ""), title: title || "" },
      el("span", { class: "score-label" }, label), meter, el("span", { class: "score-val" }, pct + "%"));
  }

  function why(t) {
    const s = t.summary || {};
    const items = (t.reasons || []).map((r) => el("li", {},
      el("span", { class: "badge reason-" + r }, r.replace(/_/g, " ")), " ", REASONS[r] || ""));
    const aged = t.base_priority && t.priority < t.base_priority
      ? " (was P" + t.base_priority + ", raised while waiting)" : "";
    return [
      el("ul", { class: "reasons" }, items),
      el("p", { class: "muted" }, "Priority P" + t.priority + aged + " · escalated " +
        (t.escalations || 1) + "× · " + (s.messages || 0) + " messages"),
      t.text ? el("blockquote", {}, t.text) : null,
    ];
  }

  // The tone scores, the cues behind them (tone.signals: one per line), and "Tone wrong?":
  // wrong = { was: the bot's call, done: proposal id or "", onClick(label) } (null: no control).
  function tone(t, wrong) {
    const tn = t.tone || {};
    const signals = (tn.signals || []).map((s) => el("li", {}, s));
    let control = null;
    if (wrong && wrong.done) {
      control = el("p", { class: "tone-wrong flagged", title: "in the trainers' review list" }, "⚑ tone flagged " + wrong.done);
    } else if (wrong) {
      const choices = ["calm", "negative", "sarcastic"].filter((l) => l !== wrong.was).map((label) => {
        const b = el("button", { type: "button", class: "tone-btn", dataset: { label } }, label);
        b.addEventListener("click", () => wrong.onClick(label));
        return b;
      });
      control = el("p", { class: "tone-wrong", title: "Tone wrong? (t)" }, "Tone wrong? should be ", choices);
    }
    return [
      bar("negative", tn.negative, "how angry or frustrated", true),
      bar("sarcasm", tn.sarcasm, "how sarcastic", true),
      el("p", { class: "muted" }, "label: " + (tn.label || "neutral") + (wrong ? " · bot's call: " + wrong.was : "")),
      signals.length ? el("ul", { class: "signals", "aria-label": "tone signals" }, signals) : null,
      control,
    ];
  }

  function nlu(t) {
    const n = t.nlu || {};
    const lang = n.language && n.language.code ? " · language " + n.language.code : "";
    const ranking = (n.ranking || []).slice(0, 5).map((r) => bar(r.label || r.name || "?", r.confidence));
    return [
      el("p", {}, "intent ", el("b", {}, n.intent || "—"),
        n.faq ? [" · FAQ ", el("b", {}, n.faq)] : null,
        " · confidence " + Math.round(Number(n.confidence || 0) * 100) + "%" + lang),
      ranking.length ? el("div", { class: "ranking" }, ranking) : el("p", { class: "muted" }, "no ranking"),
    ].concat(entities(n.entities) || []);
  }

  const ENTITY_NAMES = { order_number: "order", tracking_number: "tracking" };

  // order and tracking numbers the follower gave (bot/nlu/pii), selectable to copy
  function entities(list) {
    if (!Array.isArray(list) || !list.length) return null;
    return el("p", { class: "entities" }, list.map((e) => el("span", { class: "badge" },
      (ENTITY_NAMES[e.entity] || String(e.entity)) + (e.carrier ? " (" + e.carrier + ")" : "") +
      " ", el("code", {}, String(e.value)))));
  }

  function note(n) {
    return el("li", {}, el("div", { class: "msg-meta" }, (n.agent || "?") + " · " + clock(n.ts)),
      el("div", {}, n.text || ""));
  }

  return { el, row, message, why, tone, nlu, note, prio, duration, waiting };
})();
