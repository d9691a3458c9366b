// The workspace API as the console uses it: JSON calls with the session cookie, live events.
"use strict";
window.CareApi = (function () {
  class ApiError extends Error {
    constructor(status, body) {
      super((body && body.message) || "Request failed (" + status + ")");
      this.status = status;
      this.code = (body && body.error) || "error";
      this.holder = body && body.holder;
      this.typing = !!(body && body.typing);
      this.window = body && body.window;
    }
  }

  async function call(method, path, body) {
    const init = {
      method,
      credentials: "same-origin",
      headers: { "X-Carebot-CSRF": "1", "Accept": "application/json" },
    };
    if (body instanceof Blob) {  // an image upload: the bytes as they are
      init.headers["Content-Type"] = body.type || "application/octet-stream";
      init.body = body;
    } else if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch (e) {
      throw new ApiError(0, { error: "offline", message: "The workspace cannot be reached; retrying…" });
    }
    if (res.status === 401) {
      location.replace("/login");
      throw new ApiError(401, { error: "unauthorized", message: "Signed out." });
    }
    if (res.status === 204) return null;
    let data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    if (!res.ok) throw new ApiError(res.status, data);
    return data;
  }

  const t = (id) => "/api/tickets/" + encodeURIComponent(id);
  const notices = new Map();  // kind -> [fn]
  return {
    ApiError,
    request: call,  // any JSON call (the /review and /audit pages use this one too)
    me: () => call("GET", "/api/me"),
    agents: () => call("GET", "/api/agents"),
    // up to 1,000 open tickets (the API's maximum): the queue list is windowed (queue_list.js)
    list: (status, label) => call("GET", "/api/tickets?limit=1000&status=" + (status || "open") +
      (label ? "&label=" + encodeURIComponent(label) : "")),
    stats: () => call("GET", "/api/stats"),
    replyImages: () => call("GET", "/api/reply-images"),
    uploadImage: (id, file) => call("POST", t(id) + "/images", file),
    overview: (minutes) => call("GET", "/api/overview?minutes=" + encodeURIComponent(minutes)),
    ticket: (id) => call("GET", t(id)),
    claimNext: () => call("POST", "/api/tickets/claim-next"),
    claim: (id) => call("POST", t(id) + "/claim"),
    heartbeat: (id) => call("POST", t(id) + "/heartbeat"),
    reply: (id, text) => call("POST", t(id) + "/reply", { text }),
    // {text} | {text, image_url} | {template: {name, language, params}}
    replyWith: (id, body) => call("POST", t(id) + "/reply", body),
    presence: (id, state) => call("POST", t(id) + "/presence", { state }),
    contact: (id) => call("GET", t(id) + "/contact"),
    follower: (channel, sender) => call("GET", "/api/followers/" + encodeURIComponent(channel) +
      "/" + encodeURIComponent(sender)),
    link: (a, b) => call("POST", "/api/followers/link", { a, b }),
    unlink: (conv) => call("POST", "/api/followers/unlink", conv),
    templates: () => call("GET", "/api/templates"),
    note: (id, text) => call("POST", t(id) + "/notes", { text }),
    release: (id) => call("POST", t(id) + "/release"),
    transfer: (id, to, force) => call("POST", t(id) + "/transfer", { to, force: !!force }),
    resolve: (id, force) => call("POST", t(id) + "/resolve", { force: !!force }),
    handback: (id, force) => call("POST", t(id) + "/handback", { force: !!force }),
    signOut: () => call("DELETE", "/api/session"),
    faqs: () => call("GET", "/api/review/faqs"),
    // {ticket, text, faq: KEY | null, key?, note?, use_reply?} -> the review proposal it joined
    flag: (body) => call("POST", "/api/review/flag", body),
    // canned responses, labels, search (canned.js, labels.js, search.js)
    canned: (q) => call("GET", "/api/canned" + (q ? "?q=" + encodeURIComponent(q) : "")),
    renderCanned: (id, key) => call("POST", t(id) + "/canned/" + key.split("/").map(encodeURIComponent).join("/") + "/render"),
    labels: () => call("GET", "/api/labels"),
    addLabel: (id, label) => call("POST", t(id) + "/labels", { label }),
    removeLabel: (id, label) => call("DELETE", t(id) + "/labels/" + encodeURIComponent(label)),
    setLabelColour: (label, colour) => call("PUT", "/api/labels/" + encodeURIComponent(label), { colour }),
    search: (params) => call("GET", "/api/search?" + new URLSearchParams(params).toString()),
    // {ticket, text, label: calm | positive | negative | sarcastic, note?} -> the tone proposal
    toneFlag: (body) => call("POST", "/api/review/tone-flag", body),

    // Server-sent events: onEvent(event) for each queue change; onState(true|false) when the
    // stream opens or drops (EventSource reconnects by itself, replaying from Last-Event-ID).
    live(onEvent, onState) {
      const source = new EventSource("/api/events");
      source.addEventListener("queue", (e) => {
        try { onEvent(JSON.parse(e.data)); } catch (err) { console.error(err); }
      });
      source.onopen = () => onState(true);
      source.onerror = () => onState(false);
      for (const [kind, fns] of notices) {
        source.addEventListener(kind, (e) => {
          let data = null;
          try { data = JSON.parse(e.data); } catch (err) { return; }
          for (const fn of fns) { try { fn(data); } catch (err) { console.error(err); } }
        });
      }
      return source;
    },
    // Live notices that are not queue events (e.g. "presence"): register before live() starts.
    onNotice(kind, fn) {
      if (!notices.has(kind)) notices.set(kind, []);
      notices.get(kind).push(fn);
    },
  };
})();
