"""The console's windowed ticket list (``bot/workspace/console/queue_list.js``) in real headless
Chromium, on a real workspace process and real Redis (tickets escalated straight into the queue).

With 260 open tickets (more than ``GET /api/tickets``' default page of 200) only the rows in view
plus a buffer are in the DOM; ``j``/``k`` walk the whole list, far past the rows first rendered,
and the selected row is scrolled into view and marked; live events update the list in place: a
new ticket and a relabelled one change the counts and their rows, while the rows that did not
change stay the very same DOM nodes. Render time: ``bench/console_bench.py`` (never asserted).
"""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any, cast

import pytest
import redis

from bot.queue import AgentQueue
from bot.queue.labels import Labels
from bot.workspace.accounts import Accounts
from tests.conftest import make_escalation
from tests.fakes.browser import Console, browser_fixture, playwright_fixture  # noqa: F401
from tests.fakes.workspace_process import api_workspace

TICKETS = 260


@pytest.fixture(scope="module")
def workspace_url(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[str]:
    with api_workspace(redis_url, tmp_path_factory.mktemp("console-queue-list")) as url:
        yield url


def selected(page: Any) -> dict[str, Any]:
    """The selected row: its id, position in the whole list, and whether it is in view."""
    return cast(dict[str, Any], page.evaluate("""() => {
      const row = document.querySelector('#queue li[aria-selected="true"]');
      if (!row) return {};
      const pane = document.querySelector('.queue-pane').getBoundingClientRect();
      const box = row.getBoundingClientRect();
      return {id: row.dataset.id, pos: Number(row.getAttribute('aria-posinset')),
              size: Number(row.getAttribute('aria-setsize')),
              inView: box.top >= pane.top - 1 && box.bottom <= pane.bottom + 1};
    }"""))


def test_keyboard_walks_the_whole_windowed_list_and_live_updates_touch_only_changed_rows(
    browser: Any, workspace_url: str, redis_client: redis.Redis
) -> None:
    queue = AgentQueue(redis_client)
    ids = [queue.escalate(make_escalation(f"f{i:03d}", priority=3)).ticket_id
           for i in range(TICKETS)]  # one priority: queue order is creation order
    token = Accounts(redis_client).add("ana", "agent")

    console = Console(browser, cast(Any, SimpleNamespace(url=workspace_url)))
    console.sign_in(token, "ana")
    page = console.page
    console.row(ids[0]).wait_for()
    page.wait_for_selector(f"#count-waiting:text-is('{TICKETS}')")  # every ticket, not 200
    rendered = page.locator("#queue li").count()
    assert 5 <= rendered <= 60, rendered  # the window, not the whole list
    assert console.row(ids[-1]).count() == 0
    # the scroll bar is the whole list's: the list is as tall as all its rows
    height = page.evaluate("document.getElementById('queue').getBoundingClientRect().height")
    assert height > TICKETS * 90

    # j walks far past the rows first rendered; every step selects, scrolls and opens the row
    page.keyboard.press("j")
    page.wait_for_selector(f"#ticket-title:has-text('{ids[0]}')")
    for _ in range(119):
        page.keyboard.press("j")
    page.wait_for_selector(f"#ticket-title:has-text('{ids[119]}')")
    now = selected(page)
    assert now == {"id": ids[119], "pos": 120, "size": TICKETS, "inView": True}, now
    assert console.row(ids[0]).count() == 0  # scrolled out of the DOM
    assert page.locator("#queue li").count() <= 60
    for _ in range(4):
        page.keyboard.press("k")
    page.wait_for_selector(f"#ticket-title:has-text('{ids[115]}')")
    assert selected(page)["pos"] == 116 and selected(page)["inView"]

    # Live: mark the rows now in the DOM, then a new urgent ticket arrives (top of the queue)
    # and one visible ticket gets a label, both from outside the console
    page.evaluate("() => document.querySelectorAll('#queue li')"
                  ".forEach((r) => { r.__kept = r.dataset.id; })")
    neighbour, relabelled = ids[117], ids[118]
    urgent = queue.escalate(make_escalation("urgent-one", priority=1)).ticket_id
    Labels(queue).add(relabelled, "sue", "vip")
    page.wait_for_selector(f"#count-waiting:text-is('{TICKETS + 1}')")
    console.row(relabelled).locator(".label-chip[data-label='vip']").wait_for()
    now = selected(page)
    assert now["id"] == ids[115] and now["pos"] == 117 and now["size"] == TICKETS + 1, now
    kept = page.evaluate(f"""() => ({{
      neighbour: document.querySelector('#queue li[data-id="{neighbour}"]').__kept,
      relabelled: document.querySelector('#queue li[data-id="{relabelled}"]').__kept || null}})""")
    # only the changed row was rebuilt
    assert kept == {"neighbour": neighbour, "relabelled": None}, kept
    assert console.row(urgent).count() == 0  # far above the window

    # back to the top: the new ticket's row is built, and a click opens it
    page.evaluate("document.querySelector('.queue-pane').scrollTop = 0")
    console.row(urgent).wait_for()
    console.row(urgent).click()
    page.wait_for_selector(f"#ticket-title:has-text('{urgent}')")
    assert selected(page)["pos"] == 1
    # k from the top stays at the top; the Mine tab is empty and shows so
    page.keyboard.press("k")
    assert selected(page)["id"] == urgent
    page.keyboard.press("2")
    page.wait_for_selector("#queue-empty:visible")
    assert page.locator("#queue li").count() == 0
    page.keyboard.press("1")
    console.row(urgent).wait_for()
    console.close()
