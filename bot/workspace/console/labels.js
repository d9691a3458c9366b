// Labels: coloured chips on queue rows and the open ticket, "l" to add or remove them
// (POST/DELETE /api/tickets/{id}/labels), and the queue's label filter (GET /api/tickets?label=).
// Colours come from the label list (GET /api/labels); a new label gets its palette colour there.
"use strict";
window.CareLabels = (function () {
  const $ = (id) => document.getElementById(id);
  const colours = new Map();
  let api = null, ticket = null, onChange = null, names = [];

  // Readable text on any background colour (supervisors pick colours).
  function ink(hex) {
    const n = parseInt(String(hex).slice(1), 16);
    if (Number.isNaN(n)) return "#fff";
    const [r, g, b] = [(n >> 16) & 255, (n >> 8) & 255, n & 255];
    return 0.299 * r + 0.587 * g + 0.114 * b > 150 ? "#101828" : "#fff";
  }

  function chip(name, removable) {
    const node = document.createElement(removable ? "button" : "span");
    node.className = "label-chip";
    node.dataset.label = name;
    const bg = colours.get(name) || "#667085";
    node.style.background = bg;
    node.style.color = ink(bg);
    node.textContent = removable ? name + " ×" : name;
    if (removable) {
      node.type = "button";
      node.title = "Remove the label " + name;
      node.addEventListener("click", () => change("remove", name));
    }
    return node;
  }

  // The chips of a ticket's labels (queue rows, search results, the ticket head).
  function chips(labels) {
    if (!labels || !labels.length) return null;
    const box = document.createElement("span");
    box.className = "label-chips";
    for (const name of labels) box.appendChild(chip(name, false));
    return box;
  }

  async function refresh() {
    const data = await api.labels();
    colours.clear();
    names = data.labels.map((l) => l.name);
    for (const l of data.labels) colours.set(l.name, l.colour);
    $("label-options").replaceChildren(...names.map((n) => Object.assign(document.createElement("option"), { value: n })));
    const filter = $("label-filter"), keep = filter.value;
    filter.replaceChildren(Object.assign(document.createElement("option"), { value: "", textContent: "All labels" }),
      ...names.map((n) => Object.assign(document.createElement("option"), { value: n, textContent: n })));
    filter.value = names.includes(keep) ? keep : "";
  }

  function renderCurrent() {
    const labels = (ticket && ticket.labels) || [];
    $("label-current").replaceChildren(...labels.map((n) => chip(n, true)));
    $("label-none").hidden = labels.length > 0;
  }

  function showError(text) {
    $("label-error").textContent = text || "";
    $("label-error").hidden = !text;
  }

  async function change(op, name) {
    if (!ticket) return;
    showError("");
    try {
      const done = op === "add" ? await api.addLabel(ticket.id, name) : await api.removeLabel(ticket.id, name);
      ticket.labels = done.labels;
      if (op === "add" && !colours.has(name.trim().toLowerCase())) await refresh();
      renderCurrent();
      if (onChange) onChange(ticket.id, done.labels);
    } catch (err) {
      showError(err.message || String(err));
    }
  }

  function open(t) {
    ticket = t;
    $("label-ticket").textContent = t.id + " · " + t.sender + " on " + t.channel;
    $("label-input").value = "";
    showError("");
    renderCurrent();
    $("label-dialog").showModal();
    $("label-input").focus();
    refresh().catch(() => {});
  }

  function init(deps) {
    api = deps.api; onChange = deps.onChange;
    $("label-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      const name = $("label-input").value.trim();
      if (!name) return;
      await change("add", name);
      if ($("label-error").hidden) $("label-input").value = "";
    });
    $("label-close").addEventListener("click", () => $("label-dialog").close());
    $("label-filter").addEventListener("change", () => deps.onFilter($("label-filter").value));
    return refresh();
  }

  return { init, open, chips, refresh, isOpen: () => $("label-dialog").open,
    colour: (name) => colours.get(name) || "" };
})();
