"""The console's "Flag for FAQ" in real headless Chromium (``tests/fakes/browser.py``), against
the running bot and workspace: an agent feeds the trainers' review list.

An agent resolves a conversation and flags the follower's message as an existing FAQ
(``track_order``): the trainer's review list and ``/review`` page show it with the agent's reply.
On a claimed conversation the keyboard flags a message as a new FAQ; flagging it again is
refused and the dialog says why.
"""

from __future__ import annotations

from typing import Any

import redis

from bot.workspace.accounts import Accounts
from tests.fakes.browser import Console, browser_fixture, playwright_fixture  # noqa: F401
from tests.workspace.test_workspace_support import WorkspaceStack, escalate, open_ticket


def review_list(stack: WorkspaceStack, token: str) -> list[dict[str, Any]]:
    """The trainers' review list as the API shows it to ``token``."""
    res = stack.client(token).get("/api/review")
    assert res.status_code == 200, res.text
    return list(res.json()["proposals"])


def test_agent_flags_a_resolved_conversation_as_an_existing_faq_for_the_trainers(
    browser: Any, workspace_stack: WorkspaceStack, accounts: Accounts,
    redis_client: redis.Redis,
) -> None:
    from bot.faq.store import FaqStore
    from tests.workspace.test_workspace_support import ROOT

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
