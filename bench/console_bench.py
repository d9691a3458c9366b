"""The console's ticket list with 1,000 open tickets: how long one render takes in Chromium,
with and without label chips (issue 18: "the ticket list must stay interactive, < 100 ms to
render, with 1,000 open tickets").

    .venv/bin/python bench/console_bench.py --tickets 1000 --rounds 30

The console's own ``render.js``, ``labels.js`` and ``queue_list.js`` (and ``app.css``) are
loaded into a page with the queue pane's markup. The list is windowed as ``renderQueue`` uses
it (``CareQueueList`` with ``CareRender.row``); timed in the page with ``performance.now()``,
each step followed by a forced layout: a first render, a live update (the list fetched again
with one new and one relabelled ticket), a scroll to the middle, a far ``j``/``k`` selection,
and for reference every row built (the list before the fix). Debian's Chromium
(``/usr/bin/chromium``), headless. Prints one JSON object and writes
``bench/reports/console.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import command_line, machine, print_json  # noqa: E402

CONSOLE = ROOT / "bot" / "workspace" / "console"
CHROMIUM = "/usr/bin/chromium"
PAGE = """<!doctype html><html><head><meta charset="utf-8"></head><body>
<main class="layout"><aside class="queue-pane"><ol id="queue" class="queue"></ol></aside>
<section class="ticket-pane"></section><aside class="context-pane"></aside></main></body></html>"""

TICKETS = """(n, withLabels, seed) => {
  const now = Date.now() / 1000;
  const labels = ["vip", "refund", "bug-report", "late-delivery", "warranty", "press"];
  const reasons = ["negative_tone", "sarcasm", "asked_for_human", "complex_topic"];
  const tickets = [];
  for (let i = 0; i < n; i++) {
    tickets.push({
      id: "T-" + String(100000 + i), status: i % 5 ? "queued" : "claimed",
      channel: ["whatsapp", "instagram", "messenger", "x"][i % 4], sender: "follower-" + i,
      priority: 1 + (i % 4), base_priority: 4, reasons: [reasons[i % 4], reasons[(i + 1) % 4]],
      labels: withLabels ? labels.slice(i % 6, i % 6 + (i % 4)) : [],
      tone: {label: "negative", negative: 0.8, sarcasm: 0.2},
      preview: "My parka arrived with a broken zipper and nobody answers my emails " + i + seed,
      messages: 3, notes: 0, escalations: 1, enqueued_at: now - 600 - i, updated_at: now,
      waiting_seconds: 600 + i, claimed_by: i % 5 ? null : "ana", first_reply_at: null,
    });
  }
  return tickets;
}"""

# One timed step per round, in the page: performance.now() around the work and a forced layout
# (what the browser must do before it can paint the list).
MEASURE = """([n, withLabels, rounds, scenario]) => {
  const R = window.CareRender, QL = window.CareQueueList, now = Date.now() / 1000;
  const make = window.__tickets;
  const list = document.getElementById("queue"), pane = document.querySelector(".queue-pane");
  let selected = "T-100003";
  // what app.js's renderQueue does: key = what a row shows, build = CareRender.row
  const key = (t) => JSON.stringify([t.status, t.priority, t.claimed_by, t.sender, t.channel,
    t.reasons, t.labels, t.tone, t.preview, t.first_reply_at, t.enqueued_at, t.id === selected]);
  const build = (t) => R.row(t, t.id === selected, "ana", now);
  const times = [];
  let chips = 0, rows = 0;
  for (let r = 0; r < rounds; r++) {
    pane.scrollTop = 0;
    list.replaceChildren();
    const tickets = make(n, withLabels, "");
    let ql = null, t0 = 0;
    if (scenario === "all_rows") {  // before issue 18's fix: every row built on every render
      t0 = performance.now();
      list.replaceChildren(...tickets.map((t) => build(t)));
    } else {
      ql = QL.create({ list, scroller: pane, key, build });
      if (scenario === "first") {  // a cold render: sign-in, tab or label-filter change
        t0 = performance.now();
        ql.update(tickets);
      } else {
        ql.update(tickets);
        void document.body.offsetHeight;
        if (scenario === "live") {  // a live event: the whole list fetched again, 1 new + 1 changed
          const next = make(n, withLabels, "");
          next[5] = Object.assign({}, next[5], {labels: ["vip"]});
          next.unshift(Object.assign({}, next[0], {id: "T-999999", sender: "new-follower"}));
          t0 = performance.now();
          ql.update(next);
        } else if (scenario === "scroll") {  // jump to the middle of the list
          t0 = performance.now();
          pane.scrollTop = pane.scrollHeight / 2;
          ql.paint();
        } else if (scenario === "select") {  // j/k: the next row selected, far down the list
          t0 = performance.now();
          const far = Math.min(700, tickets.length - 1);
          selected = tickets[far].id;
          ql.update(tickets);
          ql.reveal(far);
        }
      }
    }
    void document.body.offsetHeight;  // layout, as the browser must before painting
    times.push(performance.now() - t0);
    chips = list.querySelectorAll(".label-chip").length;
    rows = list.children.length;
    if (ql) ql.destroy();
    selected = "T-100003";
  }
  times.sort((a, b) => a - b);
  return {times, chips, rows};
}"""

SCENARIOS = (
    ("first_render_with_labels", "first", True,
     "first render (sign-in, tab, label filter), with labels"),
    ("first_render_without_labels", "first", False, "first render, without labels"),
    ("live_update", "live", True, "live update: list fetched again, 1 new + 1 relabelled ticket"),
    ("scroll_middle", "scroll", True, "scroll to the middle of the list"),
    ("select_far_row", "select", True, "j/k: select row 700 and scroll it into view"),
    ("all_rows_before", "all_rows", True, "reference: every row built (the list before the fix)"),
)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round((len(ordered) - 1) * q / 100)))], 2)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tickets", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--report", default=str(ROOT / "bench" / "reports" / "console.md"))


def run(args: argparse.Namespace) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    css = (CONSOLE / "app.css").read_text()
    scripts = [(CONSOLE / name).read_text() for name in ("render.js", "labels.js", "queue_list.js")]
    out: dict[str, Any] = {"tickets": args.tickets, "rounds": args.rounds}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.set_content(PAGE)
        page.add_style_tag(content=css)
        for script in scripts:
            page.add_script_tag(content=script)
        page.evaluate("f => { window.__tickets = eval(f); }", TICKETS)
        for name, scenario, labelled, _ in SCENARIOS:
            page.evaluate(MEASURE, [args.tickets, labelled, 3, scenario])  # warm up
            result = page.evaluate(MEASURE, [args.tickets, labelled, args.rounds, scenario])
            times = result["times"]
            out[name] = {"rows_in_dom": result["rows"], "label_chips": result["chips"],
                         "p50_ms": pct(times, 50), "p95_ms": pct(times, 95),
                         "max_ms": round(max(times), 2)}
        out["chromium"] = browser.version
        browser.close()
    out["target_ms"] = 100
    out["load_average"] = [round(x, 2) for x in os.getloadavg()]
    write_report(Path(args.report), out)
    return out


def write_report(path: Path, data: dict[str, Any]) -> None:
    lines = "\n".join(
        f"| {title} | {data[name]['rows_in_dom']} | {data[name]['label_chips']} | "
        f"{data[name]['p50_ms']} | {data[name]['p95_ms']} | {data[name]['max_ms']} |"
        for name, _, _, title in SCENARIOS)
    load = ", ".join(str(x) for x in data["load_average"])
    text = f"""# Console ticket list: render time with {data['tickets']} open tickets

Command: `{command_line()}`
When: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {machine()};
load average (1, 5, 15 min) at the end of the run: {load};
Chromium {data['chromium']} (headless), viewport 1366×768

The console's own `render.js`, `labels.js`, `queue_list.js` and `app.css` in a page with the
queue pane's markup. The list is windowed (`queue_list.js`): only the rows in view plus 8 above
and below are in the DOM, rows are rebuilt only when what they show changed. Each round times,
in the page (`performance.now()`), one step and the forced layout after it; {data['rounds']}
rounds after 3 warm-up rounds. Target: under {data['target_ms']} ms per render.

| step ({data['tickets']} open tickets) | rows in the DOM | label chips | p50 ms | p95 ms | max ms |
|---|---|---|---|---|---|
{lines}

```json
{json.dumps(data, indent=2)}
```
"""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    print_json(run(parser.parse_args()))
