// Presence: who else views or types in the open conversation, live, and what this console
// reports about its agent (POST /api/tickets/{id}/presence): "viewing" every 10 s while a
// conversation is open and the tab visible, "typing" at most every 3 s while keys are pressed in
// the reply box (it renews the claim and holds the draft lock; the follower sees a typing
// indicator where the platform has one), "idle" after sending, "left" when another one is opened.
// Changes arrive as "presence" notices on the live event stream.
"use strict";
window.CarePresence = (function () {
  const api = window.CareApi;
  const $ = (id) => document.getElementById(id);
  const VIEW_EVERY = 10000, TYPE_EVERY = 3000;
  const state = { me: null, ticket: null, held: false, status: "", entries: new Map(),
    viewedAt: 0, typedAt: 0 };

  function others() {
    const list = state.entries.get(state.ticket) || [];
    const now = Date.now() / 1000;
    return list.filter((e) => e.agent !== state.me && e.until > now);
  }

  function render() {
    const box = $("ticket-presence");
    if (!box) return;
    const list = others();
    const typing = list.filter((e) => e.state === "typing").map((e) => e.agent);
    const viewing = list.filter((e) => e.state !== "typing").map((e) => e.agent);
    const parts = [];
    if (typing.length) parts.push(window.CareRender.el("span", { class: "typing" },
      "✍ " + typing.join(", ") + (typing.length > 1 ? " are" : " is") + " typing…"));
    if (viewing.length) parts.push(window.CareRender.el("span", { class: "viewing",
      title: "also looking at this conversation" }, "👁 " + viewing.join(", ")));
    box.replaceChildren(...parts);
    box.hidden = !parts.length;
  }

  async function report(kind) {
    const id = state.ticket;
    if (!id) return;
    try {
      const res = await api.presence(id, kind);
      if (res && res.ticket === id) { state.entries.set(id, res.presence); render(); }
    } catch (err) {
      if (kind === "typing" && err.code === "not_holder") state.typedAt = Date.now() + 30000;
    }
  }

  function onTicket(e) {
    const { ticket, held, me } = e.detail;
    state.me = me;
    const id = ticket ? ticket.id : null;
    if (id !== state.ticket) {
      if (state.ticket) api.presence(state.ticket, "left").catch(() => {});
      state.ticket = id;
      state.viewedAt = 0;
      state.typedAt = 0;
    }
    state.held = !!held;
    state.status = ticket ? ticket.status : "";
    if (id && Date.now() - state.viewedAt > VIEW_EVERY && document.visibilityState === "visible") {
      state.viewedAt = Date.now();
      report("viewing");
    }
    render();
  }

  function onInput() {
    if (!state.ticket || !state.held || Date.now() - state.typedAt < TYPE_EVERY) return;
    state.typedAt = Date.now();
    state.viewedAt = Date.now();
    report("typing");
  }

  api.onNotice("presence", (data) => {
    if (!data || typeof data.ticket !== "string" || !Array.isArray(data.presence)) return;
    state.entries.set(data.ticket, data.presence);
    if (data.ticket === state.ticket) render();
  });
  document.addEventListener("care:ticket", onTicket);
  document.addEventListener("care:sent", () => { state.typedAt = 0; report("idle"); });
  document.addEventListener("DOMContentLoaded", () => {
    const reply = $("reply");
    if (reply) reply.addEventListener("input", onInput);
  });
  setInterval(() => {  // keep "viewing" alive; let expired entries fade
    if (state.ticket && document.visibilityState === "visible" &&
        Date.now() - state.viewedAt > VIEW_EVERY) {
      state.viewedAt = Date.now();
      report("viewing");
    }
    render();
  }, 2000);
  window.addEventListener("pagehide", () => {
    if (state.ticket) {
      fetch("/api/tickets/" + encodeURIComponent(state.ticket) + "/presence", {
        method: "POST", credentials: "same-origin", keepalive: true,
        headers: { "X-Carebot-CSRF": "1", "Content-Type": "application/json" },
        body: JSON.stringify({ state: "left" }) }).catch(() => {});
    }
  });
  return { others, typing: () => others().filter((e) => e.state === "typing").map((e) => e.agent) };
})();
