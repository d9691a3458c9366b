// The queue's ticket list, windowed: only the rows in view plus a buffer above and below are in
// the DOM, so 1,000 open tickets render about as fast as 30 (issue 18: "< 100 ms with 1,000
// open tickets"; bench/console_bench.py). Every row has one height (app.css: `#queue > .row`,
// `--row-h`); the list's padding stands in for the rows above and below the window, so the
// scroll bar is the whole list's. A row is built once per state of its ticket (opts.key) and
// reused: a live update or a selection rebuilds only the rows whose key changed, and scrolling
// re-uses rows already built. Selection and keyboard focus live in the app's state (ids), not in
// the DOM: reveal(i) scrolls any row of the whole list into view before it is selected.
"use strict";
window.CareQueueList = (function () {
  const BUFFER = 8;       // rows built above and below the visible ones
  const FALLBACK = 40;    // rows shown while the list has no height (hidden pane)
  const CACHE_MAX = 600;  // built rows kept for reuse (beyond: the ones out of view are dropped)

  // opts: { list: the <ol>, scroller: its scrolling ancestor, key(t): a string that changes
  // whenever the row must be rebuilt, build(t): the <li> of a ticket (with data-id) }
  function create(opts) {
    const list = opts.list, scroller = opts.scroller;
    let items = [], built = new Map(), pitch = 0, gap = 0, frame = 0, window0 = [0, 0];

    function metrics() {
      if (!pitch) {
        const style = getComputedStyle(list);
        gap = parseFloat(style.rowGap) || 0;
        const h = parseFloat(style.getPropertyValue("--row-h")) || 100;
        pitch = h + gap;
      }
      return pitch;
    }

    function listTop() {  // the list's top, in the scroller's content coordinates
      return list.getBoundingClientRect().top - scroller.getBoundingClientRect().top + scroller.scrollTop;
    }

    function range() {
      const n = items.length, p = metrics(), h = scroller.clientHeight;
      if (!h || !list.offsetParent) return [0, Math.min(n, FALLBACK)];
      const top = scroller.scrollTop - listTop();
      const start = Math.max(0, Math.floor(top / p) - BUFFER);
      const end = Math.min(n, Math.ceil((top + h) / p) + BUFFER);
      return [Math.min(start, end), end];
    }

    function rowFor(t, i) {
      const key = opts.key(t);
      let entry = built.get(t.id);
      if (!entry || entry.key !== key) {
        entry = { key, node: opts.build(t) };
        built.set(t.id, entry);
      }
      const node = entry.node;
      if (node.getAttribute("aria-posinset") !== String(i + 1)) node.setAttribute("aria-posinset", String(i + 1));
      if (node.getAttribute("aria-setsize") !== String(items.length)) node.setAttribute("aria-setsize", String(items.length));
      return node;
    }

    function paint() {
      const [start, end] = range(), p = metrics();
      window0 = [start, end];
      const nodes = [];
      for (let i = start; i < end; i++) nodes.push(rowFor(items[i], i));
      const padTop = start * p + "px", padBottom = (items.length - end) * p + "px";
      if (list.style.paddingTop !== padTop) list.style.paddingTop = padTop;
      if (list.style.paddingBottom !== padBottom) list.style.paddingBottom = padBottom;
      const current = list.children;
      let same = current.length === nodes.length;
      for (let i = 0; same && i < nodes.length; i++) same = current[i] === nodes[i];
      if (!same) list.replaceChildren(...nodes);
      if (built.size > CACHE_MAX) {  // keep the rows in view, drop the others
        const keep = new Set(nodes);
        for (const [id, entry] of built) if (!keep.has(entry.node)) built.delete(id);
      }
    }

    function schedule() {
      if (!frame) frame = requestAnimationFrame(() => { frame = 0; paint(); });
    }

    // The list now shows `next` (in order); rows are rebuilt only where their key changed.
    function update(next) {
      items = next;
      const ids = new Set(next.map((t) => t.id));
      for (const id of built.keys()) if (!ids.has(id)) built.delete(id);
      paint();
    }

    // Scroll the scroller just enough for row i (of the whole list) to be in view, then paint.
    function reveal(i) {
      if (i < 0 || i >= items.length || !scroller.clientHeight) return paint();
      const p = metrics(), top = listTop() + i * p, bottom = top + p - gap;
      if (top < scroller.scrollTop) scroller.scrollTop = top;
      else if (bottom > scroller.scrollTop + scroller.clientHeight) scroller.scrollTop = bottom - scroller.clientHeight;
      paint();
    }

    const resized = () => { pitch = 0; schedule(); };
    scroller.addEventListener("scroll", schedule, { passive: true });
    window.addEventListener("resize", resized);
    return {
      update, reveal, paint,
      destroy() {
        scroller.removeEventListener("scroll", schedule);
        window.removeEventListener("resize", resized);
        if (frame) cancelAnimationFrame(frame);
      },
      clear() { built.clear(); paint(); },  // rebuild every row (e.g. label colours changed)
      rendered: () => window0.slice(),      // [start, end) of the rows in the DOM
      size: () => items.length,
    };
  }

  return { create };
})();
