// Platform reply windows on the open conversation (the ticket's reply_window, computed by the
// workspace from the follower's last message): the time left next to the title; a warning over
// the reply box once free-form replies are over (Messenger / Instagram: the human-agent tag is
// used for 7 days; WhatsApp: only approved templates); on WhatsApp, a picker of the approved
// templates (GET /api/templates) with their parameters, sent instead of the text.
"use strict";
window.CareWindow = (function () {
  const api = window.CareApi;
  const $ = (id) => document.getElementById(id);
  const el = (...a) => window.CareRender.el(...a);
  const NAMES = { messenger: "Messenger", instagram: "Instagram", whatsapp: "WhatsApp" };
  let ticket = null, held = false, templates = null;

  function left(w) {
    if (!w || !w.closes_at) return null;
    return Math.max(0, w.closes_at - Date.now() / 1000);
  }

  function chip(w) {
    const box = $("ticket-window");
    if (!w || w.state === "unlimited" || w.state === "unknown") { box.hidden = true; return; }
    const name = NAMES[w.channel] || w.channel, secs = left(w);
    let text = "", cls = "window ok";
    if (w.state === "open" && secs > 0) {
      text = name + " window: " + window.CareRender.duration(secs) + " left";
      if (secs < 3600) cls = "window warn";
    } else if (w.state === "human_agent" || (w.state === "open" && w.channel !== "whatsapp")) {
      text = "24 h passed · human-agent tag · " + window.CareRender.duration(secs || 0) + " left";
      cls = "window warn";
    } else if (w.state === "templates_only" || w.state === "open") {
      text = "WhatsApp 24 h window closed · templates only";
      cls = "window bad";
    } else {
      text = name + " 7-day window closed";
      cls = "window bad";
    }
    box.textContent = text;
    box.className = cls;
    box.title = w.message || "";
    box.hidden = false;
  }

  function warning(w) {
    const box = $("window-warning"), secs = left(w);
    let text = "";
    if (w && ["human_agent", "templates_only", "closed"].includes(w.state)) text = w.message;
    else if (w && w.state === "open" && secs !== null && secs < 3600) {
      text = (NAMES[w.channel] || w.channel) + " closes the reply window in " +
        window.CareRender.duration(secs) + "; after that " + (w.templates
          ? "only approved templates can be sent." : "replies need the human-agent tag.");
    }
    box.textContent = text;
    box.hidden = !text || !held;
    box.className = "window-warning" + (w && ["templates_only", "closed"].includes(w.state)
      ? " bad" : "");
  }

  async function loadTemplates() {
    if (templates === null) {
      templates = [];
      try { templates = (await api.templates()).templates; } catch (err) { templates = null; }
    }
    return templates || [];
  }

  function renderParams() {
    const chosen = (templates || [])[Number($("template-name").value)];
    const box = $("template-params");
    if (!chosen) { box.replaceChildren(); $("template-preview").textContent = ""; return; }
    const inputs = [];
    for (let i = 1; i <= chosen.params; i++) {
      const input = el("input", { class: "template-param", "data-index": String(i),
        placeholder: "{{" + i + "}}" + (i === 1 && ticket ? " e.g. the follower's name" : ""),
        maxlength: "1024", "aria-label": "Parameter " + i });
      input.addEventListener("input", preview);
      inputs.push(input);
    }
    box.replaceChildren(...inputs);
    preview();
  }

  function params() {
    return Array.from(document.querySelectorAll("#template-params .template-param"))
      .map((i) => i.value.trim());
  }

  function preview() {
    const chosen = (templates || [])[Number($("template-name").value)];
    if (!chosen) return;
    const values = params();
    $("template-preview").textContent = chosen.body.replace(/\{\{(\d+)\}\}/g,
      (m, n) => values[Number(n) - 1] || m);
  }

  async function templateBox(w) {
    const box = $("template-box");
    const show = !!(ticket && held && ticket.channel === "whatsapp" && w &&
      w.state === "templates_only");
    box.hidden = !show;
    if (!show) return;
    const found = await loadTemplates();
    const select = $("template-name");
    if (select.options.length !== found.length) {
      select.replaceChildren(...found.map((t, i) => el("option", { value: String(i) },
        t.name + " (" + t.language + ")" + (t.description ? " — " + t.description : ""))));
      renderParams();
    }
    $("template-empty").hidden = found.length > 0;
  }

  async function sendTemplate() {
    const chosen = (templates || [])[Number($("template-name").value)];
    if (!ticket || !chosen) return;
    const id = ticket.id, button = $("template-send");
    button.disabled = true;
    try {
      await api.replyWith(id, { template: { name: chosen.name, language: chosen.language,
        params: params() } });
      document.dispatchEvent(new CustomEvent("care:sent", { detail: { ticket } }));
      window.CareToast && window.CareToast("Template " + chosen.name + " sent to " +
        ticket.sender + ".", "ok");
      for (const input of document.querySelectorAll("#template-params .template-param")) {
        input.value = "";
      }
    } catch (err) {
      const alert = $("ticket-alert");
      alert.textContent = err.message;
      alert.hidden = false;
    } finally {
      button.disabled = false;
    }
  }

  function onTicket(e) {
    ticket = e.detail.ticket;
    held = !!e.detail.held;
    const w = ticket ? ticket.reply_window : null;
    if (!ticket) return;
    $("reply-image").disabled = !held;
    chip(w);
    warning(w);
    templateBox(w).catch(() => {});
  }

  document.addEventListener("care:ticket", onTicket);
  document.addEventListener("DOMContentLoaded", () => {
    $("template-name").addEventListener("change", renderParams);
    $("template-send").addEventListener("click", sendTemplate);
  });
  setInterval(() => {  // the countdown
    if (ticket && ticket.reply_window) { chip(ticket.reply_window); warning(ticket.reply_window); }
  }, 15000);
  return {};
})();
