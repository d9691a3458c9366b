"""The answer audit page (``/audit``) in real headless Chromium (``tests/fakes/browser.py``): a
supervisor works through the bot's sampled answers from the keyboard, the console's overview
shows the measured precision, and a trainer sees the audit read-only.

The answers are what the running bot recorded (the test stack audits every answer) plus one
recorded directly as a low-confidence extra.
"""

from __future__ import annotations

from typing import Any

import redis
from playwright.sync_api import expect

from bot.audit.store import Answer, AuditStore
from bot.faq.review import ReviewStore
from bot.workspace.accounts import Accounts
from tests.fakes.browser import Console, browser_fixture, playwright_fixture  # noqa: F401
from tests.workspace.test_workspace_audit import wait_items
from tests.workspace.test_workspace_support import WorkspaceStack


def test_a_supervisor_audits_the_bot_s_answers_with_the_keyboard(
    browser: Any, workspace_stack: WorkspaceStack, accounts: Accounts,
    redis_client: redis.Redis,
) -> None:
    stack = workspace_stack
    sue = accounts.add("sue", "supervisor")
    asked = ["how long does shipping take?", "what are your store hours?",
             "do you ship to canada?"]
    for text in asked:
        assert stack.texts(stack.sender(), text)  # the bot answers each itself
    items = wait_items(stack, sue, 3)
    assert [i["text"] for i in items] == asked
    extra = AuditStore(redis_client).record(
        Answer(text="can you recommend a good pizza place", conversation="rest:x",
               channel="rest", faq="store_locations", response="utter_faq/store_locations",
               answer="Our stores…", confidence=0.91, intent_confidence=0.93,
               answer_confidence=0.98), sampled=False, low=True)

    console = Console(browser, stack)
    console.sign_in(sue, "sue")
    page = console.page
    page.wait_for_selector("#precision-chip:has-text('not measured yet')")
    page.click("#audit-link")
    page.wait_for_url(stack.url + "/audit")
    page.wait_for_selector("#audit-list li >> nth=3")
    assert page.locator("#audit-count").inner_text() == "4"
    assert page.locator("#readonly").is_hidden()
    # the first (oldest) answer is selected and focused: the follower's words, the answer
    assert page.locator("#item-text").inner_text() == asked[0]
    assert page.locator("#item-faq").inner_text() == "faq/shipping_time"
    assert "business days" in page.locator("#item-answer").inner_text()
    assert page.evaluate("document.activeElement.dataset.id") == items[0]["id"]

    page.keyboard.press("r")  # right
    page.wait_for_selector("#toast:has-text('marked right')")
    assert page.locator("#audit-count").inner_text() == "3"
    assert page.locator("#item-text").inner_text() == asked[1]  # the next one
    page.keyboard.press("j")
    assert page.locator("#item-text").inner_text() == asked[2]
    page.keyboard.press("k")
    assert page.locator("#item-text").inner_text() == asked[1]
    page.keyboard.press("j")

    # wrong: another FAQ, chosen by typing, Enter marks it
    page.keyboard.press("w")
    page.wait_for_selector("#wrong-form:not([hidden])")
    assert page.evaluate("document.activeElement.id") == "wrong-search"
    page.wait_for_selector("#wrong-faq-list option[value='store_hours']", state="attached")
    assert items[2]["faq"] == "international_shipping"  # not offered: the answer it gave
    assert page.locator("#wrong-faq-list option[value='international_shipping']").count() == 0
    page.keyboard.type("track")
    expect(page.locator("#wrong-faq-list")).to_have_value("track_order")
    page.fill("#wrong-note", "asks about Canada")
    page.keyboard.press("Enter")
    page.wait_for_selector("#toast:has-text('marked wrong')")
    marked = AuditStore(redis_client).get(items[2]["id"])
    assert marked["status"] == "wrong" and marked["correct"] == "track_order"
    assert marked["note"] == "asks about Canada" and marked["proposal"].startswith("R-")
    proposal = ReviewStore(redis_client).get(marked["proposal"])
    assert proposal["kind"] == "examples" and proposal["key"] == "track_order"

    # the low-confidence extra: wrong, no FAQ covers it (Alt+h), Esc first cancels
    page.keyboard.press("j")
    assert page.locator("#item-text").inner_text() == "can you recommend a good pizza place"
    assert page.locator("#item-why").inner_text() == "low confidence"
    page.keyboard.press("w")
    page.wait_for_selector("#wrong-form:not([hidden])")
    page.keyboard.press("Escape")
    page.wait_for_selector("#wrong-form", state="hidden")
    assert AuditStore(redis_client).get(extra)["status"] == "pending"
    page.keyboard.press("w")
    page.wait_for_selector("#wrong-form:not([hidden])")
    page.keyboard.press("Alt+h")
    assert page.locator("input[name=correct-kind][value=negative]").is_checked()
    page.keyboard.press("Enter")
    page.wait_for_selector("#toast:has-text('marked wrong')")
    negative = ReviewStore(redis_client).get(AuditStore(redis_client).get(extra)["proposal"])
    assert negative["kind"] == "negative" and negative["key"] == "store_locations"

    # the rate sample: 1 right, 1 wrong so far (the extra is reported apart)
    page.wait_for_selector("#precision:has-text('answers right 50%')")
    assert "2 checked" in page.locator("#precision").inner_text()
    page.keyboard.press("2")  # marked wrong
    page.wait_for_selector("#audit-list li >> nth=1")
    assert page.locator("#audit-list li").count() == 2
    assert "Marked wrong by sue" in page.locator("#item-verdict").inner_text()
    assert page.locator("#verdict-actions").is_hidden()
    page.keyboard.press("?")
    assert page.locator("#audit-help").is_visible()
    page.keyboard.press("Escape")

    # the console's overview shows the precision with its interval
    page.goto(stack.url + "/")
    page.wait_for_selector("#precision-chip:has-text('answers right 50%')")
    assert "(" in page.locator("#precision-chip").inner_text()
    console.close()


def test_a_trainer_sees_the_audit_read_only_and_an_agent_not_at_all(
    browser: Any, workspace_stack: WorkspaceStack, accounts: Accounts,
) -> None:
    stack = workspace_stack
    tim = accounts.add("tim", "trainer")
    ana = accounts.add("ana", "agent")
    assert stack.texts(stack.sender(), "how long does shipping take?")
    [item] = wait_items(stack, tim, 1)
    trainer = Console(browser, stack)
    trainer.sign_in(tim, "tim")
    page = trainer.page
    page.wait_for_selector("#audit-link:not([hidden])")
    page.goto(stack.url + "/audit")
    page.wait_for_selector("#audit-list li")
    assert page.locator("#readonly").is_visible()
    assert page.locator("#verdict-actions").is_hidden()
    page.keyboard.press("r")  # nothing happens for a reader
    page.keyboard.press("w")
    assert page.locator("#wrong-form").is_hidden()
    assert AuditStore(trainer_redis(stack)).get(item["id"])["status"] == "pending"
    trainer.close()

    agent = Console(browser, stack)
    agent.sign_in(ana, "ana")
    assert agent.page.locator("#audit-link").is_hidden()
    assert agent.page.locator("#precision-chip").is_hidden()
    res = agent.page.goto(stack.url + "/audit")
    assert res is not None and res.status == 403
    agent.close()


def trainer_redis(stack: WorkspaceStack) -> redis.Redis:
    return redis.Redis.from_url(stack.settings.redis_url, decode_responses=True)
