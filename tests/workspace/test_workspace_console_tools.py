"""The console's canned responses, labels and search in real headless Chromium
(``tests/fakes/browser.py``), on a real workspace process and real Redis (tickets escalated
straight into the queue: no bot needed).

One agent: "/" in the reply box picks a canned response and inserts it filled in for the
conversation (the follower's name, the order number, the agent's name); "l" labels the
conversation and the chip shows in the ticket and its queue row; the label filter narrows the
queue; "s" searches every conversation and finds a closed one by a word of its transcript.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any, cast

import pytest
import redis

from bot.queue import AgentQueue
from bot.workspace.accounts import Accounts
from bot.workspace.canned import CannedStore
from tests.conftest import make_escalation
from tests.fakes.browser import Console, browser_fixture, playwright_fixture  # noqa: F401
from tests.fakes.workspace_process import api_workspace


@pytest.fixture(scope="module")
def workspace_url(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[str]:
    with api_workspace(redis_url, tmp_path_factory.mktemp("console-tools")) as url:
        yield url


def follower(text: str, **extra: Any) -> dict[str, Any]:
    return {"role": "follower", "text": text, "ts": 1.0, **extra}


def test_canned_picker_labels_filter_and_search(
    browser: Any, workspace_url: str, redis_client: redis.Redis
) -> None:
    queue = AgentQueue(redis_client)
    old = queue.escalate(make_escalation("kay", transcript=[
        follower("The kayak paddle I bought snapped on day one")])).ticket_id
    queue.claim(old, "bob")
    queue.resolve(old, "bob")
    parka = queue.escalate(make_escalation("marta", priority=1, nlu={
        "entities": [{"entity": "order_number", "value": "RO-4417"}]}, transcript=[
        follower("The zipper of my parka broke", metadata={"profile": {"name": "Marta Q"}})])
    ).ticket_id
    voucher = queue.escalate(make_escalation("vic", priority=2, transcript=[
        follower("Where is my voucher code?")])).ticket_id
    CannedStore(redis_client).create(
        "ships-today", "Replacement ships today",
        "Hi {{first_name}}, your replacement for order {{order_number}} ships today. "
        "{{agent_name}}", "sue")
    token = Accounts(redis_client).add("ana", "agent")

    console = Console(browser, cast(Any, SimpleNamespace(url=workspace_url)))
    console.sign_in(token, "ana")
    page = console.page
    console.row(parka).click()
    page.wait_for_selector(f"#ticket-title:has-text('{parka}')")
    page.keyboard.press("c")
    page.wait_for_selector("#ticket-status:has-text('You hold this conversation')")

    # "/" in the reply box: the picker; type to filter, Enter inserts the rendered response
    page.fill("#reply", "")
    page.focus("#reply")
    page.keyboard.press("/")
    page.wait_for_selector("#canned-dialog[open]")
    page.wait_for_selector("#canned-list option[value='faq/shipping_time']", state="attached")
    page.keyboard.type("replacement")
    page.wait_for_function("() => document.getElementById('canned-list').value === 'ships-today'")
    page.keyboard.press("Enter")
    page.wait_for_function("() => !document.getElementById('canned-dialog').open")
    assert page.locator("#reply").input_value() == (
        "Hi Marta, your replacement for order RO-4417 ships today. Ana")
    assert page.evaluate("() => document.activeElement.id") == "reply"

    # "l": a label; its chip shows on the ticket and in the queue row
    page.keyboard.press("Escape")
    page.keyboard.press("l")
    page.wait_for_selector("#label-dialog[open]")
    page.keyboard.type("VIP")
    page.keyboard.press("Enter")
    page.wait_for_selector("#label-current .label-chip[data-label='vip']")
    page.keyboard.press("Escape")
    page.wait_for_function("() => !document.getElementById('label-dialog').open")
    page.wait_for_selector("#ticket-labels .label-chip[data-label='vip']")
    page.keyboard.press("3")  # all open conversations (the claimed one is no longer waiting)
    console.row(parka).locator(".label-chip[data-label='vip']").wait_for()
    assert console.row(voucher).locator(".label-chip").count() == 0

    # the label filter narrows the queue to the labelled conversation
    page.select_option("#label-filter", "vip")
    console.row(voucher).wait_for(state="detached")
    assert page.locator("#queue li").count() == 1 and console.row(parka).is_visible()
    page.select_option("#label-filter", "")
    console.row(voucher).wait_for()

    # "s": search every conversation; a closed one is found by a word of its transcript
    page.focus("#reply")
    page.keyboard.press("Escape")
    page.keyboard.press("s")
    assert page.evaluate("() => document.activeElement.id") == "search-box"
    page.keyboard.type("kayak")
    page.keyboard.press("Enter")
    result = page.locator(f"#search-list li[data-id='{old}']")
    result.wait_for()
    assert page.locator("#search-list li").count() == 1
    assert "kayak paddle" in result.inner_text() and "resolved" in result.inner_text()
    assert page.locator("#queue").is_hidden()
    result.click()
    page.wait_for_selector(f"#ticket-title:has-text('{old}')")
    page.focus("#search-box")
    page.keyboard.type(" status:open")
    page.keyboard.press("Enter")
    page.wait_for_selector("#search-status:has-text('0 found')")
    page.keyboard.press("Escape")
    page.wait_for_selector("#queue", state="visible")
    console.close()
