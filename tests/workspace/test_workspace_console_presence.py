"""The console in headless Chromium with the social channels (``tests/fakes/channel_workspace.py``:
a real workspace process, fake platforms, fake Rasa): two agents see each other live in a
conversation ("ana is typing…"), the follower gets a typing indicator; a WhatsApp conversation
past its 24-hour window shows the time is up and is answered with an approved template; the
contact panel opens with ``i``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any, cast

import pytest
import redis

from bot.followers.book import Conversation, FollowerBook
from bot.queue import AgentQueue
from bot.workspace.accounts import Accounts
from tests.conftest import make_escalation
from tests.fakes.browser import (  # noqa: F401  (fixtures)
    Console,
    browser_fixture,
    playwright_fixture,
)
from tests.fakes.channel_workspace import ChannelWorkspace, channel_workspace

DAY = 86400.0
WA_ID = "16315551181"
WAMID = "wamid.HBgLMTYzMTU1NTExODEVAgASGBQzQTRBNjU5"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


@pytest.fixture(scope="module")
def cw(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChannelWorkspace]:
    with channel_workspace(redis_url, tmp_path_factory.mktemp("cwb")) as running:
        yield running


def ticket(client: redis.Redis, cw: ChannelWorkspace, channel: str, sender: str, age: float,
           text: str) -> str:
    ts = time.time() - age
    cw.rasa.user(f"{channel}:{sender}", text, channel, ts=ts)  # Rasa's conversation id
    esc = make_escalation(sender, channel=channel, text=text,
                          transcript=[{"role": "follower", "text": text, "ts": ts}])
    return AgentQueue(client).escalate(esc).ticket_id


def test_two_agents_see_each_other_and_the_follower_sees_typing(
    browser: Any, cw: ChannelWorkspace, accounts: Accounts, redis_client: redis.Redis
) -> None:
    cw.reset()
    tid = ticket(redis_client, cw, "telegram", "4242", 60, "my parcel never arrived")
    ana, bob = Console(browser, cast(Any, cw)), Console(browser, cast(Any, cw))
    ana.sign_in(accounts.add("ana", "agent"), "ana")
    bob.sign_in(accounts.add("bob", "agent"), "bob")

    ana.row(tid).click()
    ana.page.keyboard.press("c")
    ana.page.wait_for_selector("#ticket-status:has-text('You hold this conversation')")
    bob.page.keyboard.press("3")  # All open: the ticket is claimed, no longer waiting
    bob.row(tid).click()
    bob.page.wait_for_selector(f"#ticket-title:has-text('{tid}')")
    ana.page.wait_for_selector("#ticket-presence:has-text('bob')")  # ana sees bob looking
    bob.page.wait_for_selector("#ticket-presence:has-text('ana')")

    ana.page.locator("#reply").fill("")
    ana.page.locator("#reply").type("Hi, this is Ana from the care team", delay=20)
    bob.page.wait_for_selector("#ticket-presence .typing:has-text('ana is typing')")
    [action] = cw.fakes["telegram"].wait_for(1)  # the follower sees "typing…" in Telegram
    assert action.json == {"chat_id": "4242", "action": "typing"}
    assert bob.page.locator("#reply").is_disabled()
    assert "Claimed by ana" in bob.text("#ticket-status")

    ana.page.locator("#reply").press("Control+Enter")
    ana.page.wait_for_selector("#transcript .msg.agent:has-text('Ana from the care team')")
    bob.page.wait_for_selector("#transcript .msg.agent:has-text('Ana from the care team')")
    bob.page.wait_for_selector("#ticket-presence .typing", state="detached")
    assert "ana" in bob.text("#ticket-presence")  # still there, no longer typing
    ana.close()
    bob.close()


def test_whatsapp_past_24_hours_shows_it_and_sends_a_template_and_the_contact_panel(
    browser: Any, cw: ChannelWorkspace, accounts: Accounts, redis_client: redis.Redis
) -> None:
    cw.reset()
    FollowerBook(redis_client).seen(Conversation("whatsapp", WA_ID), name="Kerry Fisher",
                                    message_id=WAMID, at=time.time() - 2 * DAY)
    media_id = cw.fakes["whatsapp"].add_media("1037543291543636", "image/png", PNG)
    ts = time.time() - 2 * DAY
    cw.rasa.user(f"whatsapp:{WA_ID}", "is my refund done?", "whatsapp", ts=ts)
    tid = AgentQueue(redis_client).escalate(make_escalation(
        WA_ID, channel="whatsapp", text="is my refund done?", transcript=[
            {"role": "follower", "text": "is my refund done?", "ts": ts,
             "attachments": [{"type": "image", "media_id": media_id}]}])).ticket_id
    console = Console(browser, cast(Any, cw))
    console.sign_in(accounts.add("ana", "agent"), "ana")
    page = console.page
    console.row(tid).click()
    page.keyboard.press("c")
    page.wait_for_selector("#ticket-status:has-text('You hold this conversation')")
    page.wait_for_selector("#ticket-window:has-text('templates only')")
    thumb = page.locator("#transcript .msg.follower img.thumb")  # fetched via the workspace
    page.wait_for_function("img => img.complete && img.naturalWidth === 1", arg=thumb
                           .element_handle())
    assert thumb.get_attribute("src") == f"/api/tickets/{tid}/media/0/0"
    thumb.click()
    page.wait_for_selector("#media-view[open]")
    page.keyboard.press("Escape")
    assert "only an approved template" in console.text("#window-warning")

    page.wait_for_selector("#template-box:not([hidden])")
    page.select_option("#template-name", label="care_follow_up (en_US) — Follow up on a "
                                               "question after 24 hours")
    params = page.locator("#template-params .template-param")
    params.nth(0).fill("Kerry")
    params.nth(1).fill("your refund was sent yesterday.")
    assert "Hi Kerry, this is Ridgeline" in console.text("#template-preview")
    page.click("#template-send")
    page.wait_for_selector("#transcript .msg-note:has-text('approved template care_follow_up')")
    [sent] = cw.fakes["whatsapp"].wait_for(2)[-1:]
    assert sent.json["type"] == "template"
    assert sent.json["template"]["components"][0]["parameters"][1]["text"] == (
        "your refund was sent yesterday.")

    page.keyboard.press("Escape")
    page.keyboard.press("i")
    page.wait_for_selector("#contact-dialog[open]")
    page.wait_for_selector("#contact-title:has-text('Kerry Fisher')")
    assert "whatsapp" in console.text("#contact-facts")
    assert tid in console.text("#contact-tickets")
    assert "is my refund done?" in console.text("#contact-turns")
    page.keyboard.press("Escape")
    page.wait_for_selector("#contact-dialog[open]", state="detached")
    console.close()
