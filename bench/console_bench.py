"""The console's ticket list with 1,000 open tickets: how long one render takes in Chromium,
with and without label chips (issue 18: "the ticket list must stay interactive, < 100 ms to
render, with 1,000 open tickets").

    .venv/bin/python bench/console_bench.py --tickets 1000 --rounds 30

The console's own ``render.js`` and ``labels.js`` (and ``app.css``) are loaded into a page with
the queue pane's markup; each round builds every row with ``CareRender.row`` (as
``renderQueue`` does), puts them in the list and forces layout, timed in the page with
``performance.now()``. Search results are timed the same way (200 rows, ``search.js``'s rows
are the same elements). Debian's Chromium (``/usr/bin/chromium``), headless. Prints one JSON
object and writes ``bench/reports/console.md``.
"""

from __future__ import annotations

import argparse
import json
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

MEASURE = """([n, withLabels, rounds]) => {
  const R = window.CareRender, now = Date.now() / 1000;
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
      preview: "My parka arrived with a broken zipper and nobody answers my emails " + i,
      messages: 3, notes: 0, escalations: 1, enqueued_at: now - 600 - i, updated_at: now,
      waiting_seconds: 600 + i, claimed_by: i % 5 ? null : "ana", first_reply_at: null,
    });
  }
  const list = document.getElementById("queue"), times = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    const rows = tickets.map((t) => R.row(t, t.id === "T-100003", "ana", now));
    list.replaceChildren(...rows);
    void document.body.offsetHeight;  // layout, as the browser must before painting
    times.push(performance.now() - t0);
  }
  const chips = list.querySelectorAll(".label-chip").length;
  times.sort((a, b) => a - b);
  return {times, chips};
}"""


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
    scripts = [(CONSOLE / name).read_text() for name in ("render.js", "labels.js")]
    out: dict[str, Any] = {"tickets": args.tickets, "rounds": args.rounds}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.set_content(PAGE)
        page.add_style_tag(content=css)
        for script in scripts:
            page.add_script_tag(content=script)
        for name, n, labelled in (("rows_with_labels", args.tickets, True),
                                  ("rows_without_labels", args.tickets, False),
                                  ("rows_200_with_labels", 200, True)):
            page.evaluate(MEASURE, [n, labelled, 3])  # warm up
            result = page.evaluate(MEASURE, [n, labelled, args.rounds])
            times = result["times"]
            out[name] = {"rows": n, "label_chips": result["chips"], "p50_ms": pct(times, 50),
                         "p95_ms": pct(times, 95), "max_ms": round(max(times), 2)}
        out["chromium"] = browser.version
        browser.close()
    out["target_ms"] = 100
    write_report(Path(args.report), out)
    return out


def write_report(path: Path, data: dict[str, Any]) -> None:
    w, wo, r2 = data["rows_with_labels"], data["rows_without_labels"], data["rows_200_with_labels"]
    text = f"""# Console ticket list: render time with {data['tickets']} open tickets

Command: `{command_line()}`
When: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {machine()};
Chromium {data['chromium']} (headless)

Each round builds every queue row with the console's `CareRender.row` (label chips from
`labels.js`), puts them in the list and forces layout, timed in the page; {data['rounds']}
rounds, after 3 warm-up rounds. Target: under {data['target_ms']} ms per render.

| list | rows | label chips | p50 ms | p95 ms | max ms |
|---|---|---|---|---|---|
| with labels | {w['rows']} | {w['label_chips']} | {w['p50_ms']} | {w['p95_ms']} | {w['max_ms']} |
| without labels | {wo['rows']} | 0 | {wo['p50_ms']} | {wo['p95_ms']} | {wo['max_ms']} |
| 200 rows (`GET /api/tickets`' default) | 200 | {r2['label_chips']} | {r2['p50_ms']} | \
{r2['p95_ms']} | {r2['max_ms']} |

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
