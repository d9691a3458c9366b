"""The web console in real headless Chromium (Debian's ``/usr/bin/chromium``, driven by
Playwright; no browser is ever downloaded), against the running bot and workspace.

An agent signs in, sees a fresh escalation appear live, claims it, edits the bot's draft, sends
it and resolves; the follower receives the reply on the REST channel and the bot answers their
next FAQ question again. Two agents in two browsers claim one ticket: one wins, the other is told.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Iterator

import pytest
import redis

from bot.queue import AgentQueue
from bot.workspace.accounts import Accounts
from tests.test_workspace_support import (  # noqa: F401  (fixtures)
    WorkspaceStack,
    accounts_fixture,
    escalate,
    open_ticket,
    workspace_stack_fixture,
)

CHROMIUM = Path("/usr/bin/chromium")
FAQ_AGAIN = "how long is delivery usually"


@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: the browser tests need Debian's package "
            "(apt-get install -y chromium; .ci/run does it). No browser is downloaded.",
            pytrace=False,
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(
            "playwright is not installed: run 'make install' (requirements.lock).", pytrace=False
        )
    with sync_playwright() as p:
        yield p


def launch(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)


@pytest.fixture(scope="module")
def browser(playwright: Any) -> Iterator[Any]:
    b = launch(playwright)
    yield b
    b.close()


class Console:
    """One agent's browser tab on the console; page errors fail the test."""

    def __init__(self, browser: Any, stack: WorkspaceStack) -> None:
        self.context = browser.new_context(viewport={"width": 1366, "height": 768})
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.url = stack.url

    def sign_in(self, token: str, name: str) -> None:
        self.page.goto(self.url + "/")
        assert self.page.url.endswith("/login")
        self.page.fill("#login-token", token)
        self.page.click("#login-submit")
        self.page.wait_for_url(self.url + "/")
        self.page.wait_for_selector(f"#me:has-text('{name}')")
        self.page.wait_for_selector("#live.on")  # the live stream is open

    def row(self, ticket_id: str) -> Any:
        return self.page.locator(f'#queue li[data-id="{ticket_id}"]')

    def text(self, selector: str) -> str:
        return str(self.page.locator(selector).inner_text())

    def close(self) -> None:
        assert not self.errors, self.errors
        self.context.close()


def test_sign_in_is_required_and_wrong_tokens_are_refused(
    browser: Any, workspace_stack: WorkspaceStack, accounts: Accounts
) -> None:
    accounts.add("ana", "agent")
    console = Console(browser, workspace_stack)
    page = console.page
    page.goto(workspace_stack.url + "/")
    assert page.url.endswith("/login")
    page.fill("#login-token", "cbt_wrong")
    page.click("#login-submit")
    page.wait_for_selector("#login-error:not([hidden])")
    assert "not valid" in console.text("#login-error")
    console.close()


def test_agent_answers_a_live_escalation_and_hands_the_follower_back(
    browser: Any,
    workspace_stack: WorkspaceStack,
    accounts: Accounts,
    redis_client: redis.Redis,
) -> None:
    stack = workspace_stack
    console = Console(browser, stack)
    console.sign_in(accounts.add("ana", "agent"), "ana")
    page = console.page
    page.evaluate("window.__notReloaded = true")

    # A follower gets escalated while the agent watches: the row appears without a reload.
    who = escalate(stack, "this is ridiculous, my order is two weeks late and nobody answers")
    tid = open_ticket(redis_client, who)
    console.row(tid).wait_for()
    assert page.evaluate("window.__notReloaded") is True
    row = console.text(f'#queue li[data-id="{tid}"]')
    assert "negative tone" in row and who in row and "rest" in row

    # Keyboard: j selects it, c claims it.
    page.keyboard.press("j")
    page.wait_for_selector(f"#ticket-title:has-text('{tid}')")
    assert "negative tone" in console.text("#why")
    page.keyboard.press("c")
    page.wait_for_selector("#ticket-status:has-text('You hold this conversation')")
    assert AgentQueue(redis_client).get(tid).claimed_by == "ana"

    # The draft is the bot's; the agent edits it and sends with Ctrl+Enter.
    draft = AgentQueue(redis_client).get(tid).draft
    reply = page.locator("#reply")
    assert reply.input_value() == draft
    edited = "Hi, Ana here. " + draft
    reply.fill(edited)
    reply.press("Control+Enter")
    page.wait_for_selector("#transcript .msg.agent:has-text('Ana here')")
    assert [m["text"] for m in stack.wait_inbox(who)] == [edited]

    # A new follower message appears in the open conversation, live.
    assert stack.texts(who, "ok thanks, order 4417") == []
    page.wait_for_selector("#transcript .msg.follower:has-text('order 4417')")

    page.click("#resolve-btn")
    page.wait_for_selector("#ticket-status:has-text('Closed')")
    assert AgentQueue(redis_client).get(tid).status == "resolved"
    assert "business days" in stack.texts(who, FAQ_AGAIN)[0]  # the bot answers again
    console.close()


def test_two_agents_claim_the_same_ticket_one_wins_the_other_is_told(
    playwright: Any,
    workspace_stack: WorkspaceStack,
    accounts: Accounts,
    redis_client: redis.Redis,
) -> None:
    browsers = [launch(playwright), launch(playwright)]
    consoles = [Console(b, workspace_stack) for b in browsers]
    try:
        for console, name in zip(consoles, ("ana", "bob"), strict=True):
            console.sign_in(accounts.add(name, "agent"), name)
        tid = open_ticket(redis_client, escalate(workspace_stack))
        for console in consoles:
            console.row(tid).click()
            console.page.wait_for_selector("#claim-btn:not([hidden])")
        # Both press Claim at the same instant (timers on one clock, two browser processes).
        at = int(time.time() * 1000) + 600
        for console in consoles:
            console.page.evaluate(
                "at => setTimeout(() => document.getElementById('claim-btn').click(),"
                " at - Date.now())",
                at,
            )
        holder = None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and holder is None:
            holder = AgentQueue(redis_client).get(tid).claimed_by
            time.sleep(0.1)
        assert holder in ("ana", "bob")
        winner, loser = consoles if holder == "ana" else consoles[::-1]
        winner.page.wait_for_selector("#ticket-status:has-text('You hold this conversation')")
        loser.page.wait_for_selector("#ticket-alert:not([hidden])")
        assert f"{tid} is already claimed by {holder}." in loser.text("#ticket-alert")
        loser.page.wait_for_selector(f"#ticket-status:has-text('Claimed by {holder}')")
        assert loser.page.locator("#reply").is_disabled()
        assert not winner.page.locator("#reply").is_disabled()
        for console in consoles:
            console.close()
    finally:
        for b in browsers:
            b.close()


def test_keyboard_help_and_empty_queue(
    browser: Any, workspace_stack: WorkspaceStack, accounts: Accounts
) -> None:
    console = Console(browser, workspace_stack)
    console.sign_in(accounts.add("ana", "agent"), "ana")
    page = console.page
    assert page.locator("#queue-empty").is_visible()
    page.keyboard.press("n")  # claim next: nothing waiting
    page.wait_for_selector("#toast:has-text('Nothing is waiting')")
    page.keyboard.press("?")
    assert page.locator("#help").is_visible()
    assert "Ctrl" in console.text("#help") and "hand back" in console.text("#help")
    page.keyboard.press("Escape")
    assert not page.locator("#help").is_visible()
    console.close()


def test_web_chat_follower_is_answered_from_the_console_in_another_tab(
    browser: Any,
    workspace_stack: WorkspaceStack,
    accounts: Accounts,
    redis_client: redis.Redis,
) -> None:
    """The README's walk-through: chat as a follower, get escalated, answer from the console."""
    console = Console(browser, workspace_stack)
    console.sign_in(accounts.add("me", "admin"), "me")
    chat = console.context.new_page()  # another tab of the same browser
    chat.set_default_timeout(20_000)
    chat.goto(f"http://localhost:{workspace_stack.settings.webchat_port}/")
    chat.wait_for_selector("#status:has-text('online')")
    chat.fill("#text", "can i please chat with an actual person")
    chat.press("#text", "Enter")
    chat.wait_for_selector(".msg.bot:has-text('team')")

    tickets = AgentQueue(redis_client).list()
    assert [t.channel for t in tickets] == ["socketio"]
    tid = tickets[0].id
    page = console.page
    console.row(tid).click()
    page.click("#claim-btn")
    page.wait_for_selector("#ticket-status:has-text('You hold this conversation')")
    page.fill("#reply", "Hi! I'm Me from the care team. How can I help?")
    page.click("#send-btn")
    chat.wait_for_selector(".msg.bot:has-text('Me from the care team')")  # live in the chat

    page.keyboard.press("h")  # hand back to the bot
    page.wait_for_selector("#ticket-status:has-text('Closed')")
    chat.fill("#text", "how long does shipping take")
    chat.press("#text", "Enter")
    chat.wait_for_selector(".msg.bot:has-text('business days')")
    console.close()


# -- "Flag for FAQ": an agent feeds the trainers' review list ------------------------------------


def review_list(stack: WorkspaceStack, token: str) -> list[dict[str, Any]]:
    res = stack.client(token).get("/api/review")
    assert res.status_code == 200, res.text
    return list(res.json()["proposals"])


def test_agent_flags_a_resolved_conversation_as_an_existing_faq_for_the_trainers(
    browser: Any, workspace_stack: WorkspaceStack, accounts: Accounts,
    redis_client: redis.Redis,
) -> None:
    from bot.faq.store import FaqStore
    from tests.test_workspace_support import ROOT

    stack = workspace_stack
    trainer = accounts.add("tess", "trainer")
    agent = accounts.add("ana", "agent")
    console = Console(browser, stack)
    console.sign_in(agent, "ana")
    page = console.page
    assert page.locator("#review-link").is_hidden()  # agents do not review

    asked = "this is ridiculous, my order is two weeks late and nobody answers"
    tid = open_ticket(redis_client, escalate(stack, asked))
    console.row(tid).click()
    page.wait_for_selector(f"#ticket-title:has-text('{tid}')")
    assert page.locator("#transcript .flag-btn").count() == 0  # nobody answered it yet
    page.keyboard.press("c")
    page.wait_for_selector("#ticket-status:has-text('You hold this conversation')")
    answer = "So sorry! Here is your tracking link: ridgeline-outfitters.example/track/4417"
    page.fill("#reply", answer)
    page.click("#send-btn")
    page.wait_for_selector("#transcript .msg.agent:has-text('tracking link')")
    page.keyboard.press("Escape")
    page.keyboard.press("e")  # resolve
    page.wait_for_selector("#ticket-status:has-text('Closed')")

    # The follower's message gets the control; the dialog searches the FAQs.
    page.click(f"#transcript .msg.follower:has-text('{asked[:30]}') .flag-btn")
    dialog = page.locator("#flag-dialog")
    dialog.wait_for()
    assert page.locator("#flag-message").input_value() == asked
    assert page.locator("#flag-faq").input_value() == ""  # "new FAQ" until one is chosen
    page.wait_for_selector("#flag-faq option[value='shipping_time']", state="attached")
    page.keyboard.type("track")  # the search box has the focus
    page.wait_for_function("document.getElementById('flag-faq').value === 'track_order'")
    assert page.locator("#flag-faq option").nth(1).get_attribute("value") == "track_order"
    assert page.locator("#flag-new").is_hidden()  # no key / answer for an existing FAQ
    page.fill("#flag-note", "asked where the parcel is")
    page.keyboard.press("Enter")
    page.wait_for_selector("#toast:has-text('examples for track_order')")
    assert not dialog.is_visible()
    page.wait_for_selector("#transcript .msg.follower .flagged:has-text('R-')")

    # The trainer's review list has it: the message, the agent's reply, who flagged it.
    [proposal] = review_list(stack, trainer)
    assert proposal["kind"] == "examples" and proposal["key"] == "track_order"
    assert proposal["examples"] == [asked] and proposal["source"] == "flag"
    [message] = proposal["messages"]
    assert message["ticket"] == tid and message["text"] == asked
    assert message["replies"] == [answer] and message["reply"] == answer
    assert message["flagged_by"] == "ana" and message["note"] == "asked where the parcel is"
    # Flagging is not accepting: the agent cannot review, and nothing is in data/ yet.
    assert stack.client(agent).get("/api/review").status_code == 403
    assert asked not in {e.text for e in FaqStore(ROOT).get("track_order").examples}
    console.close()

    # The trainer's console links to the review page, which lists the flagged message.
    review = Console(browser, stack)
    review.sign_in(trainer, "tess")
    review.page.click("#review-link")
    review.page.wait_for_url(stack.url + "/review")
    card = review.page.locator(f".proposal:has-text('{proposal['id']}')")
    card.wait_for()
    assert "examples for faq/track_order" in card.inner_text()
    assert review.page.locator(f".proposal:has-text('{proposal['id']}') .key").input_value() \
        == "track_order"
    card.locator("summary").click()
    assert "agent: " + answer in card.inner_text() and "flagged by ana" in card.inner_text()
    review.close()


def test_agent_flags_a_message_as_a_new_faq_with_the_keyboard(
    browser: Any, workspace_stack: WorkspaceStack, accounts: Accounts,
    redis_client: redis.Redis,
) -> None:
    stack = workspace_stack
    trainer = accounts.add("tess", "trainer")
    console = Console(browser, stack)
    console.sign_in(accounts.add("ana", "agent"), "ana")
    page = console.page
    tid = open_ticket(redis_client, escalate(stack))
    console.row(tid).click()
    page.wait_for_selector(f"#ticket-title:has-text('{tid}')")
    page.keyboard.press("f")  # a queued conversation: nothing to flag yet
    page.wait_for_selector("#toast:has-text('claimed or closed conversation')")
    page.keyboard.press("c")
    page.wait_for_selector("#ticket-status:has-text('You hold this conversation')")
    answer = "Yes! We gift wrap any order for $5: tick 'gift wrap' at checkout."
    page.fill("#reply", answer)
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#transcript .msg.agent:has-text('gift wrap')")
    page.keyboard.press("Escape")

    # Still claimed (not resolved yet): f flags the escalated message.
    page.keyboard.press("f")
    page.locator("#flag-dialog").wait_for()
    assert page.locator("#flag-message").input_value() == "get me a real person please"
    assert page.locator("#flag-reply").inner_text() == answer
    assert page.locator("#flag-use-reply").is_checked()
    page.fill("#flag-key", "gift_wrapping")
    page.fill("#flag-note", "people ask about gift wrap every December")
    page.focus("#flag-search")
    page.keyboard.press("Enter")
    page.wait_for_selector("#toast:has-text('new FAQ gift_wrapping')")

    [proposal] = review_list(stack, trainer)
    assert proposal["kind"] == "new_faq" and proposal["key"] == "gift_wrapping"
    assert proposal["answer"] == answer and proposal["answer_source"] == f"agent reply on {tid}"
    assert proposal["needs_examples"] == 9  # a trainer adds examples before accepting
    [message] = proposal["messages"]
    assert message["text"] == "get me a real person please" and message["replies"] == [answer]
    assert message["note"] == "people ask about gift wrap every December"

    page.wait_for_selector("#transcript .msg.follower .flagged")  # a label now, no button
    assert page.locator("#transcript .flag-btn").count() == 0

    # After a reload the console does not know; flagging again is refused, the dialog says
    # why and stays open, and the message gets its label.
    page.reload()
    page.wait_for_selector("#live.on")
    page.keyboard.press("2")  # Mine
    console.row(tid).click()
    page.wait_for_selector("#transcript .msg.follower .flag-btn")
    page.keyboard.press("f")
    page.locator("#flag-dialog").wait_for()
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#flag-error:has-text('in the review list already ({proposal['id']})')")
    assert page.locator("#flag-dialog").is_visible()
    page.keyboard.press("Escape")
    page.wait_for_selector(f"#transcript .msg.follower .flagged:has-text('{proposal['id']}')")
    assert not page.locator("#flag-dialog").is_visible()
    assert len(review_list(stack, trainer)) == 1
    console.close()


def test_supervisor_sees_deflection_and_a_spike_alert(
    browser: Any, workspace_stack: WorkspaceStack, accounts: Accounts, redis_client: Any
) -> None:
    from bot.metrics import record

    prefix = workspace_stack.settings.queue_prefix
    for _ in range(3):
        record(redis_client, prefix, "answered", response="utter_faq/returns")
    record(redis_client, prefix, "escalated", reasons=["asked_for_human"])
    console = Console(browser, workspace_stack)
    console.sign_in(accounts.add("sam", "supervisor"), "sam")
    page = console.page
    page.wait_for_selector("#deflection:has-text('75%')")
    assert page.locator("#alerts").is_hidden()  # 4 messages: under the spike minimum
    for _ in range(12):  # an outage: angry followers, no history to compare with
        record(redis_client, prefix, "escalated", reasons=["negative_tone"])
    page.reload()
    page.wait_for_selector("#alerts .banner:has-text(\"'negative_tone'\")")
    assert "escalations in the last 15 min" in console.text("#alerts")
    console.close()
