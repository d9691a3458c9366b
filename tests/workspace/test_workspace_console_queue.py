"""The web console in real headless Chromium (``tests/fakes/browser.py``), against the running
bot and workspace: signing in and working the queue live.

An agent signs in, sees a fresh escalation appear live, claims it, edits the bot's draft, sends
it and resolves; the follower receives the reply on the REST channel and the bot answers their
next FAQ question again. Two agents in two browsers claim one ticket: one wins, the other is told.
A web-chat follower is answered from the console in another tab; a supervisor sees the deflection
rate and a spike alert. "Flag for FAQ": ``tests/workspace/test_workspace_console_flagging.py``.
"""

from __future__ import annotations

import time
from typing import Any

import redis

from bot.queue import AgentQueue
from bot.workspace.accounts import Accounts
from tests.fakes.browser import (  # noqa: F401  (fixtures)
    Console,
    browser_fixture,
    launch,
    playwright_fixture,
)
from tests.workspace.test_workspace_support import WorkspaceStack, escalate, open_ticket

FAQ_AGAIN = "how long is delivery usually"


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
    who = escalate(stack, "this is ridiculous, my order RL-552910 is two weeks late and nobody "
                          "answers")
    tid = open_ticket(redis_client, who)
    console.row(tid).wait_for()
    assert page.evaluate("window.__notReloaded") is True
    row = console.text(f'#queue li[data-id="{tid}"]')
    assert "negative tone" in row and who in row and "rest" in row

    # Keyboard: j selects it, c claims it.
    page.keyboard.press("j")
    page.wait_for_selector(f"#ticket-title:has-text('{tid}')")
    assert "negative tone" in console.text("#why")
    assert "order RL-552910" in console.text("#nlu")  # the order number, for the agent
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
    assert stack.wait_reply(who) == edited

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


def test_supervisor_sees_deflection_and_a_spike_alert(
    browser: Any, workspace_stack: WorkspaceStack, accounts: Accounts, redis_client: Any
) -> None:
    from bot.stats.metrics import record

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
