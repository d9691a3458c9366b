// The care console: queue, conversation, actions, live updates and keyboard shortcuts.
"use strict";
(function () {
  const api = window.CareApi, R = window.CareRender, F = window.CareFlag;
  const C = window.CareCanned, L = window.CareLabels, S = window.CareSearch;
  const TF = window.CareToneFlag, QL = window.CareQueueList;
  const $ = (id) => document.getElementById(id);
  const state = {
    me: null, agents: [], tickets: [], stats: null, tab: "waiting", selected: null,
    current: null, drafts: new Map(), clockSkew: 0, fetchedAt: 0, seen: new Set(), first: true,
    flagged: new Map(),  // ticket id + "\n" + message text -> review proposal id (this session)
    labelFilter: "",  // the queue shows only tickets with this label (labels.js)
    toneFlagged: new Map(),  // the same for tone flags
  };
  const now = () => Date.now() / 1000 + state.clockSkew;

  // -- feedback ---------------------------------------------------------------------------------
  let toastTimer = null;
  function toast(text, kind) {
    const box = $("toast");
    box.textContent = text;
    box.className = "toast show " + (kind || "");
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { box.className = "toast"; }, kind === "error" ? 8000 : 4000);
  }
  function alertTicket(text) {
    const box = $("ticket-alert");
    box.textContent = text || "";
    box.hidden = !text;
  }
  function fail(err) { toast(err.message || String(err), "error"); }
  window.CareToast = toast;

  // -- data ---------------------------------------------------------------------------------------
  async function refreshQueue() {
    const [list, stats] = await Promise.all([api.list("open", state.labelFilter), api.stats()]);
    state.clockSkew = list.now - Date.now() / 1000;
    state.tickets = list.tickets;
    state.byId = new Map(list.tickets.map((t) => [t.id, t]));
    state.stats = stats;
    for (const t of list.tickets) {
      if (!state.first && !state.seen.has(t.id) && t.status === "queued") flashLater(t.id);
      state.seen.add(t.id);
    }
    state.first = false;
    renderQueue();
    renderStats();
  }
  const newRows = new Set();
  function flashLater(id) { newRows.add(id); setTimeout(() => newRows.delete(id), 6000); }

  async function refreshTicket() {
    const id = state.selected;
    if (!id) return;
    try {
      const t = await api.ticket(id);
      if (state.selected !== id) return;  // j/k moved on while it loaded: a later call shows it
      state.current = t;
    } catch (err) {
      if (state.selected !== id) return;
      if (err.status === 404) { state.selected = null; state.current = null; }
      else return fail(err);
    }
    renderTicket();
  }

  let queueTimer = null, ticketTimer = null;
  function soon(fn, which) {
    if (which === "q") { clearTimeout(queueTimer); queueTimer = setTimeout(() => fn().catch(fail), 120); }
    else { clearTimeout(ticketTimer); ticketTimer = setTimeout(() => fn().catch(fail), 120); }
  }

  // -- rendering ----------------------------------------------------------------------------------
  function visible() {
    const me = state.me && state.me.name;
    if (state.tab === "waiting") return state.tickets.filter((t) => t.status === "queued");
    if (state.tab === "mine") return state.tickets.filter((t) => t.claimed_by === me);
    return state.tickets;
  }

  // The list is windowed (queue_list.js): only the rows in view are built, and a row is rebuilt
  // only when what it shows changed (its key), so a live update touches a few rows at most.
  let queueList = null;
  function rowKey(t) {
    return JSON.stringify([t.status, t.priority, t.claimed_by, t.sender, t.channel, t.reasons,
      t.labels, (t.labels || []).map(L.colour), t.tone, t.preview, t.first_reply_at, t.first_reply_at ? t.waiting_seconds : t.enqueued_at,
      t.id === state.selected, newRows.has(t.id), state.me && state.me.name]);
  }
  function buildRow(t) {
    const row = R.row(t, t.id === state.selected, state.me && state.me.name, now());
    if (newRows.has(t.id)) row.classList.add("new");
    return row;
  }
  function queueRows() {
    if (!queueList) {
      queueList = QL.create({ list: $("queue"), scroller: document.querySelector(".queue-pane"),
        key: rowKey, build: buildRow });
      $("queue").addEventListener("click", (e) => {
        const row = e.target.closest("li[data-id]");
        if (row) select(row.dataset.id);
      });
    }
    return queueList;
  }

  function renderQueue() {
    const me = state.me && state.me.name, list = visible();
    queueRows().update(list);
    $("queue-empty").hidden = list.length > 0;
    const waiting = state.tickets.filter((t) => t.status === "queued").length;
    $("count-waiting").textContent = waiting;
    $("count-mine").textContent = state.tickets.filter((t) => t.claimed_by === me).length;
    $("count-all").textContent = state.tickets.length;
    $("claim-next-btn").disabled = waiting === 0 || !can("work");
    document.title = (waiting ? "(" + waiting + ") " : "") + "carebot workspace";
    document.querySelectorAll(".tabs [role=tab]").forEach((b) =>
      b.setAttribute("aria-selected", String(b.dataset.tab === state.tab)));
  }

  function renderStats() {
    const s = state.stats;
    if (!s) return;
    const chips = ["1", "2", "3", "4"].map((p) =>
      R.el("span", { class: "stat p" + p, title: "waiting at priority " + p }, "P" + p + " " + (s.depth_by_priority[p] || 0)));
    const typical = s.typical_wait_seconds == null ? "—" : R.duration(s.typical_wait_seconds);
    $("stats").replaceChildren(...chips, R.el("span", { class: "stat", id: "oldest" }, oldestText()),
      R.el("span", { class: "stat", title: "median wait before a claim, lately" }, "typical wait " + typical));
  }
  function oldestText() {  // the longest wait in the queue, ticking
    const t0 = now(), queued = state.tickets.filter((t) => t.status === "queued");
    return "oldest " + (queued.length ? R.duration(Math.max(...queued.map((t) => R.waiting(t, t0)))) : "—");
  }

  function tick() {  // waiting times count up between refreshes (the rows in the DOM only)
    const t0 = now(), byId = state.byId || new Map();
    for (const span of $("queue").querySelectorAll("[data-wait]")) {
      const t = byId.get(span.dataset.wait);
      if (t) span.textContent = R.duration(R.waiting(t, t0));
    }
    if (state.current && state.current.summary) $("ticket-wait").textContent = waitText(state.current.summary);
    if ($("oldest")) $("oldest").textContent = oldestText();
  }
  function waitText(s) {
    return (s.first_reply_at ? "waited " : "waiting ") + R.duration(R.waiting(s, now()));
  }

  function renderTicket() {
    const t = state.current;
    $("no-ticket").hidden = !!t;
    $("ticket").hidden = !t;
    $("context").hidden = !t;
    if (!t) return;
    const me = state.me.name, held = t.status === "claimed" && t.claimed_by === me;
    $("ticket-prio").replaceWith(Object.assign(R.prio(t.priority), { id: "ticket-prio" }));
    $("ticket-title").textContent = t.id + " · " + t.sender + " on " + t.channel;
    $("ticket-status").textContent = t.status === "claimed"
      ? (held ? "You hold this conversation" : "Claimed by " + t.claimed_by)
      : t.status === "queued" ? "Waiting in the queue" : "Closed (" + (t.outcome || "resolved") + ")";
    $("ticket-status").className = "status " + (held ? "mine" : t.status);
    $("ticket-wait").textContent = waitText(t.summary);
    $("ticket-labels").replaceChildren(...[L.chips(t.labels)].filter(Boolean));
    $("label-btn").hidden = !can("label");
    const log = $("transcript"), atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    const turns = t.transcript.map((m, i) => R.message(m, me, flagControl(t, m),
      { ticket: t.id, index: i, channel: t.channel }));
    if (t.trimmed_messages > 0) {  // the ticket keeps its first message and the newest ones
      turns.splice(1, 0, R.message({ role: "system", text: t.trimmed_messages +
        " earlier message(s) not kept: a ticket keeps its first message and the newest ones." }, me, null));
    }
    log.replaceChildren(...turns);
    if (atBottom || log.dataset.ticket !== t.id) log.scrollTop = log.scrollHeight;
    log.dataset.ticket = t.id;
    $("why").replaceChildren(...R.why(t).filter(Boolean));
    $("tone").replaceChildren(...R.tone(t, toneControl(t)).filter(Boolean));
    $("nlu").replaceChildren(...R.nlu(t));
    $("notes").replaceChildren(...t.notes.map(R.note));
    renderComposer(t, held);
    // presence.js, window.js, contact.js follow the open conversation
    document.dispatchEvent(new CustomEvent("care:ticket", { detail: { ticket: t, held, me,
      canWork: can("work") } }));
  }

  function renderComposer(t, held) {
    const reply = $("reply"), open = t.status !== "resolved", work = can("work");
    if (document.activeElement !== reply || reply.dataset.ticket !== t.id) {
      reply.value = state.drafts.has(t.id) ? state.drafts.get(t.id) : t.draft;
    }
    reply.dataset.ticket = t.id;
    reply.disabled = !held;
    $("reply-label").textContent = held ? "Reply to " + t.sender + " on " + t.channel + " (edit the bot's draft)"
      : !open ? "Closed — the bot answers this follower again"
      : "Bot's draft — claim the conversation to reply";
    $("claim-btn").hidden = !(open && work && !held && t.status === "queued");
    for (const id of ["send-btn", "reset-draft-btn", "release-btn", "handback-btn", "resolve-btn"]) {
      $(id).hidden = !held;
    }
    const reassign = can("reassign") && open && !held;
    const select = $("transfer-to");
    const choices = state.agents.filter((a) => a.name !== me() && ["agent", "supervisor", "admin"].includes(a.role));
    select.replaceChildren(...choices.map((a) => R.el("option", { value: a.name }, a.name + " (" + a.role + ")")));
    $("transfer-btn").textContent = held ? "Transfer" : "Reassign";
    select.parentElement.hidden = !(choices.length && (held || reassign));
  }

  const me = () => state.me && state.me.name;
  const can = (p) => !!state.me && state.me.permissions.includes(p);

  // -- flag for FAQ (flag.js) ---------------------------------------------------------------------
  // Follower messages of a conversation someone answered (claimed or closed) can be flagged as
  // "should have been FAQ X" / "new FAQ" for the trainers' review list.
  const flaggable = (t) => !!t && can("note") && (t.status === "claimed" || t.status === "resolved");
  const flagKey = (id, text) => id + "\n" + F.norm(text);
  function flagControl(t, m) {
    if (!flaggable(t) || m.role !== "follower") return null;
    return { done: state.flagged.get(flagKey(t.id, m.text)) || "",
      onClick: () => openFlag(m.text) };
  }
  function openFlag(text) {
    const t = state.current;
    if (!flaggable(t)) return toast("Flag messages of a claimed or closed conversation.", "error");
    F.open(t, text || F.defaultText(t)).catch(fail);
  }
  function toneControl(t) {
    if (!can("note") || !t.text) return null;
    return { was: TF.botCall(t), done: state.toneFlagged.get(flagKey(t.id, t.text)) || "",
      onClick: (label) => openToneFlag(label) };
  }
  function openToneFlag(label) {
    const t = state.current;
    if (!t) return;
    try { TF.open(t, label); } catch (err) { fail(err); }
  }
  function markToneFlagged(t, text, pid) {
    state.toneFlagged.set(flagKey(t.id, text), pid);
    if (state.current && state.current.id === t.id) renderTicket();
  }
  function toneFlagged(t, text, proposal) {
    markToneFlagged(t, text, proposal.id);
    toast("Tone flagged for the trainers' review: " + proposal.id + " (should be " + proposal.label + ").", "ok");
  }
  function markFlagged(t, text, pid) {
    state.flagged.set(flagKey(t.id, text), pid);
    if (state.current && state.current.id === t.id) renderTicket();
  }
  function flagged(t, text, proposal) {
    markFlagged(t, text, proposal.id);
    toast("Flagged for the trainers' review: " + proposal.id + " (" + (proposal.kind === "new_faq"
      ? "new FAQ" + (proposal.key ? " " + proposal.key : "") : "examples for " + proposal.key) + ").", "ok");
  }

  // -- actions ------------------------------------------------------------------------------------
  async function select(id) {
    if (state.selected !== id) alertTicket("");
    state.selected = id;
    renderQueue();
    queueRows().reveal(visible().findIndex((t) => t.id === id));  // anywhere in the whole list
    await refreshTicket();
  }

  function move(step) {
    const list = visible();
    if (!list.length) return;
    const i = list.findIndex((t) => t.id === state.selected);
    const next = i < 0 ? 0 : Math.max(0, Math.min(list.length - 1, i + step));
    select(list[next].id);
  }

  async function act(fn, okText) {
    try {
      const result = await fn();
      if (okText) toast(okText, "ok");
      return result;
    } catch (err) {
      if (["already_claimed", "not_holder", "closed", "reply_window_closed", "draft_in_progress",
        "delivery_failed"].includes(err.code)) {
        alertTicket(err.message);
      }
      fail(err);
      return undefined;
    } finally {
      soon(refreshQueue, "q");
      soon(refreshTicket, "t");
    }
  }

  async function claim() {
    const id = state.selected;
    if (!id) return;
    const t = await act(() => api.claim(id), "You hold " + id + ". Edit the draft and send.");
    if (t) { alertTicket(""); state.current = t; renderTicket(); $("reply").focus(); }
  }

  async function claimNext() {
    const t = await act(() => api.claimNext());
    if (t === null) return toast("Nothing is waiting.");
    if (!t) return;
    state.tab = "mine";
    state.selected = t.id;
    state.current = t;
    toast("You hold " + t.id + ". Edit the draft and send.", "ok");
    renderTicket();
    $("reply").focus();
  }

  async function send() {
    const t = state.current, reply = $("reply");
    if (!t || reply.disabled) return;
    const text = reply.value.trim(), image = $("reply-image").value.trim();
    const upload = window.CareAttach ? window.CareAttach.imageId() : null;
    if (!text) return toast("The reply is empty.", "error");
    if (window.CareAttach && window.CareAttach.busy()) return toast("The image is still uploading.", "error");
    $("send-btn").disabled = true;
    try {
      const body = upload ? { text, image_id: upload } : image ? { text, image_url: image } : { text };
      const done = await act(() => api.replyWith(t.id, body), "Sent to " + t.sender + " on " + t.channel + ".");
      if (done) {
        $("reply-image").value = "";
        if (window.CareAttach) window.CareAttach.clear();
        state.drafts.set(t.id, ""); reply.value = ""; reply.blur();
        document.dispatchEvent(new CustomEvent("care:sent", { detail: { ticket: t } }));
      }
    } finally {
      $("send-btn").disabled = false;
    }
  }

  async function close(kind) {
    const t = state.current;
    if (!t || t.status !== "claimed" || t.claimed_by !== me()) return;
    const fn = kind === "resolve" ? () => api.resolve(t.id) : () => api.handback(t.id);
    const done = await act(fn, kind === "resolve" ? t.id + " resolved; the bot answers " + t.sender + " again."
      : t.id + " handed back to the bot.");
    if (done) state.drafts.delete(t.id);
  }

  async function release() {
    const t = state.current;
    if (t && t.claimed_by === me()) await act(() => api.release(t.id), t.id + " is back in the queue.");
  }

  async function transfer() {
    const t = state.current, to = $("transfer-to").value;
    if (!t || !to) return;
    const force = t.claimed_by !== me();
    await act(() => api.transfer(t.id, to, force), t.id + " now belongs to " + to + ".");
  }

  async function addNote(event) {
    event.preventDefault();
    const input = $("note-text"), t = state.current;
    if (!t || !input.value.trim()) return;
    if (await act(() => api.note(t.id, input.value.trim()), "Note added.")) input.value = "";
  }

  async function heartbeat() {  // keep the leases of the conversations I hold
    for (const t of state.tickets.filter((x) => x.claimed_by === me())) {
      try { await api.heartbeat(t.id); } catch (err) {
        if (err.code === "not_holder") toast("Your claim on " + t.id + " ran out; it is back in the queue.", "error");
      }
    }
  }

  function onEvent(ev) {
    soon(refreshQueue, "q");
    if (ev.ticket === state.selected) soon(refreshTicket, "t");
    if (ev.type === "label_added") {  // a new label's colour: the rows showing it are rebuilt
      L.refresh().then(renderQueue).catch(() => {});
    }
    if (ev.type === "escalated") toast("New escalation " + ev.ticket + ": " + (ev.data.reasons || []).join(", "));
    if (ev.type === "lease_expired" && ev.data.agent === me()) toast("Your claim on " + ev.ticket + " ran out.", "error");
    if (ev.type === "transferred" && ev.data.to === me()) toast(ev.ticket + " was assigned to you.", "ok");
  }

  function onLive(up) {
    $("live").textContent = up ? "live" : "reconnecting…";
    $("live").className = "live " + (up ? "on" : "off");
    if (up) { soon(refreshQueue, "q"); soon(refreshTicket, "t"); }
  }

  // -- keyboard -----------------------------------------------------------------------------------
  function onKey(e) {
    const typing = e.target.matches("input, textarea, select");
    if (e.key.toLowerCase() === "k" && (e.ctrlKey || e.metaKey) && !document.querySelector("dialog[open]")) {
      e.preventDefault(); S.focus(); return;
    }
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && e.target.id === "reply") { e.preventDefault(); send(); return; }
    if (e.key === "Escape") { if (typing) e.target.blur(); return; }
    if (typing || e.ctrlKey || e.metaKey || e.altKey || document.querySelector("dialog[open]")) return;
    const keys = {
      j: () => (S.isOpen() ? S.move(1) : move(1)), k: () => (S.isOpen() ? S.move(-1) : move(-1)),
      ArrowDown: () => move(1), ArrowUp: () => move(-1),
      c: claim, n: claimNext, e: () => close("resolve"), h: () => close("handback"), u: release,
      r: () => { if (!$("reply").disabled) $("reply").focus(); },
      o: () => { if (state.current) $("note-text").focus(); },
      f: () => openFlag(),
      l: openLabels, L: () => $("label-filter").focus(), s: () => S.focus(),
      t: () => openToneFlag(),
      "1": () => setTab("waiting"), "2": () => setTab("mine"), "3": () => setTab("all"),
      "?": () => $("help").showModal(),
    };
    const fn = keys[e.key];
    if (fn) { e.preventDefault(); fn(); }
  }
  function setTab(tab) { state.tab = tab; renderQueue(); }

  // -- canned responses, labels, search (canned.js, labels.js, search.js) ------------------------
  function openLabels() {
    if (!state.current) return toast("Select a conversation first.", "error");
    if (!can("label")) return toast("Your role cannot label conversations.", "error");
    L.open(state.current);
  }
  function labelled(id, labels) {
    if (state.current && state.current.id === id) { state.current.labels = labels; renderTicket(); }
    soon(refreshQueue, "q");
  }
  function filterByLabel(label) {
    state.labelFilter = label;
    refreshQueue().catch(fail);
  }

  // -- start --------------------------------------------------------------------------------------
  async function start() {
    try {
      state.me = await api.me();
      state.agents = (await api.agents()).agents;
    } catch (err) { return fail(err); }
    $("me").textContent = state.me.name + " · " + state.me.role;
    $("review-link").hidden = !can("train");
    F.init({ api, onDone: flagged, onKnown: markFlagged });
    C.init({ api, current: () => state.current });
    S.init({ api, render: R, onOpen: (id) => select(id) });
    await L.init({ api, onChange: labelled, onFilter: filterByLabel }).catch(fail);
    $("label-btn").addEventListener("click", openLabels);
    TF.init({ api, onDone: toneFlagged, onKnown: markToneFlagged });
    if (window.CareAttach) window.CareAttach.init({ api });
    document.querySelectorAll(".tabs [role=tab]").forEach((b) => b.addEventListener("click", () => setTab(b.dataset.tab)));
    $("claim-next-btn").addEventListener("click", claimNext);
    $("claim-btn").addEventListener("click", claim);
    $("composer").addEventListener("submit", (e) => { e.preventDefault(); send(); });
    $("reset-draft-btn").addEventListener("click", () => {
      if (state.current) { $("reply").value = state.current.draft; state.drafts.delete(state.current.id); }
    });
    $("reply").addEventListener("input", () => { if (state.current) state.drafts.set(state.current.id, $("reply").value); });
    $("release-btn").addEventListener("click", release);
    $("resolve-btn").addEventListener("click", () => close("resolve"));
    $("handback-btn").addEventListener("click", () => close("handback"));
    $("transfer-btn").addEventListener("click", transfer);
    $("note-form").addEventListener("submit", addNote);
    $("help-btn").addEventListener("click", () => $("help").showModal());
    $("signout-btn").addEventListener("click", async () => { try { await api.signOut(); } finally { location.replace("/login"); } });
    document.addEventListener("keydown", onKey);
    await refreshQueue().catch(fail);
    api.live(onEvent, onLive);
    setInterval(tick, 1000);
    setInterval(() => refreshQueue().catch(() => {}), 30000);  // belt and braces next to live events
    setInterval(heartbeat, Math.max(5, state.me.lease_seconds / 3) * 1000);
  }
  start();
})();
