// The contact panel (i, or the Contact button): the follower behind the open conversation — name
// or handle where the platform gives it, channel, first seen — the conversations linked to the
// same person (unlink), a form to link another conversation (channel + id), every earlier ticket
// with its outcome, notes and last reply, and the bot's answers in between, from the trackers.
// GET /api/tickets/{id}/contact; POST /api/followers/link | unlink. Text only via textContent.
"use strict";
window.CareContact = (function () {
  const api = window.CareApi;
  const $ = (id) => document.getElementById(id);
  const el = (...a) => window.CareRender.el(...a);
  let ticket = null, canWork = false, panel = null;

  const day = (ts) => ts ? new Date(ts * 1000).toLocaleDateString([], { year: "numeric",
    month: "short", day: "numeric" }) : "—";
  const when = (ts) => ts ? day(ts) + " " + new Date(ts * 1000).toLocaleTimeString([],
    { hour: "2-digit", minute: "2-digit" }) : "";
  const who = (f) => f.name || f.handle || f.sender;

  function conversations(p) {
    return p.contact.conversations.map((c) => {
      const current = c.channel === p.conversation.channel && c.sender === p.conversation.sender;
      const unlink = p.contact.id && canWork
        ? el("button", { type: "button", class: "unlink", "data-channel": c.channel,
            "data-sender": c.sender }, "Unlink") : null;
      if (unlink) unlink.addEventListener("click", () => act(() => api.unlink(
        { channel: c.channel, sender: c.sender }), "Unlinked " + c.sender + " on " + c.channel + "."));
      return el("li", { class: current ? "current" : "" },
        el("span", { class: "chan" }, c.channel), " ", el("b", {}, who(c)),
        c.handle && c.name ? " " + c.handle : "", el("span", { class: "muted" }, " · id " + c.sender +
          (c.last_seen ? " · last wrote " + when(c.last_seen) : "")), " ", unlink);
    });
  }

  function ticketItem(t) {
    const outcome = t.status === "resolved" ? (t.outcome || "resolved").replace("_", " ") : t.status;
    return el("li", { class: "past-ticket" },
      el("div", {}, el("b", {}, t.id), " ", el("span", { class: "chan" }, t.channel), " ",
        el("span", { class: "status " + t.status }, outcome),
        el("span", { class: "muted" }, " · opened " + when(t.created_at) +
          (t.resolved_at ? " · closed " + when(t.resolved_at) + (t.resolved_by ? " by " + t.resolved_by : "") : "")),
        " ", window.CareRender.el("span", { class: "badges" }, (t.reasons || []).map((r) =>
          el("span", { class: "badge reason-" + r }, r.replace(/_/g, " "))))),
      t.text ? el("blockquote", {}, t.text) : null,
      t.last_agent_reply ? el("p", { class: "muted" }, "Last reply: " + t.last_agent_reply) : null,
      (t.notes || []).length ? el("ul", { class: "past-notes" }, t.notes.map((n) =>
        el("li", {}, "📝 " + (n.agent || "?") + ": " + (n.text || "")))) : null);
  }

  function turns(p) {
    const b = p.bot;
    if (!b.available) return [el("p", { class: "muted" }, b.error || "The bot's side is not available.")];
    if (!b.turns.length) return [el("p", { class: "muted" }, "No conversation with the bot yet.")];
    const items = b.turns.map((t) => el("li", { class: "turn " + t.role + (t.ticket ? " in-ticket" : "") },
      el("span", { class: "muted" }, when(t.ts) + " · " + (t.role === "agent" ? (t.agent || "agent")
        : t.role) + (t.ticket ? " · " + t.ticket : "") + (t.response ? " · " + t.response : "")),
      el("div", {}, t.text || "(no text)")));
    return [el("p", { class: "muted" }, b.answered_by_bot + " answer(s) by the bot outside tickets · " +
      b.follower_messages + " follower message(s)" + (b.turns_total > b.turns.length
        ? " · last " + b.turns.length + " of " + b.turns_total : "")), el("ol", { class: "turns" }, items)];
  }

  function render() {
    const p = panel, f = p.follower;
    $("contact-title").textContent = who(f) + (f.handle && f.name ? " (" + f.handle + ")" : "");
    $("contact-facts").replaceChildren(
      el("span", { class: "chan" }, p.conversation.channel), " id " + p.conversation.sender,
      " · first seen " + day(p.first_seen),
      p.contact.id ? " · contact " + p.contact.id : "");
    $("contact-conversations").replaceChildren(...conversations(p));
    $("contact-link").hidden = !canWork;
    $("contact-tickets").replaceChildren(...(p.tickets.length ? p.tickets.map(ticketItem)
      : [el("li", { class: "muted" }, "No tickets.")]));
    $("contact-turns").replaceChildren(...turns(p));
    $("contact-error").hidden = true;
  }

  function showError(err) {
    $("contact-error").textContent = err.message || String(err);
    $("contact-error").hidden = false;
  }

  async function act(fn, okText) {
    try {
      panel = await fn();
      render();
      if (okText && window.CareToast) window.CareToast(okText, "ok");
    } catch (err) { showError(err); }
  }

  async function open() {
    if (!ticket) return;
    const dialog = $("contact-dialog");
    $("contact-title").textContent = "Loading…";
    for (const id of ["contact-conversations", "contact-tickets", "contact-turns", "contact-facts"]) {
      $(id).replaceChildren();
    }
    if (!dialog.open) dialog.showModal();
    await act(() => api.contact(ticket.id));
  }

  async function link(event) {
    event.preventDefault();
    if (!panel) return;
    const channel = $("link-channel").value, sender = $("link-sender").value.trim();
    if (!sender) return showError(new Error("Type the follower's id on that channel."));
    await act(() => api.link(panel.conversation, { channel, sender }),
      "Linked " + sender + " on " + channel + ".");
    $("link-sender").value = "";
  }

  document.addEventListener("care:ticket", (e) => {
    ticket = e.detail.ticket;
    canWork = !!e.detail.canWork;
    $("contact-btn").hidden = !ticket;
  });
  document.addEventListener("keydown", (e) => {
    if (e.key !== "i" || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.target.matches("input, textarea, select") || document.querySelector("dialog[open]")) return;
    if (!ticket) return;
    e.preventDefault();
    open();
  });
  document.addEventListener("DOMContentLoaded", () => {
    $("contact-btn").addEventListener("click", open);
    $("contact-link").addEventListener("submit", link);
    $("contact-close").addEventListener("click", () => $("contact-dialog").close());
  });
  return { open };
})();
