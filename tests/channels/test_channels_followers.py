"""What the channels do for the agents beyond messages, against the fake platforms:

* follower profiles captured at ingress (Telegram ``from``, X ``users``, WhatsApp ``contacts``;
  Messenger gives only the id), with first / last seen and the last message id;
* a send refused for the reply window is recorded on the ticket as such (Messenger 10/2018278,
  Instagram 10/2534022, WhatsApp 131047), not as a generic failure;
* an agent reply between 24 h and 7 d goes out with the HUMAN_AGENT tag, a WhatsApp template as
  ``type: template`` (per-message options in the event's ``carebot`` metadata);
* typing indicators and read receipts (``bot.channels.signals``) in each platform's wire format.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis

from bot.channels.instagram import InstagramOutput
from bot.channels.messenger import MessengerInput, MessengerOutput
from bot.channels.settings import (
    InstagramSettings,
    MessengerSettings,
    TelegramSettings,
    WhatsAppSettings,
    XSettings,
)
from bot.channels.signals import READ, TYPING, PlatformSignals
from bot.channels.telegram import TelegramInput
from bot.channels.whatsapp import WhatsAppInput, WhatsAppOutput
from bot.channels.x import XInput
from bot.followers.book import Conversation, FollowerBook
from bot.queue import AgentQueue
from tests.conftest import make_escalation
from tests.fakes.channel_env import APP_SECRET, META_AUTH, ChannelEnv, MetaEnv
from tests.fakes.fixtures import fast_client, wait_until
from tests.fakes.payloads import (
    messenger_text,
    telegram_message,
    whatsapp_text,
    x_dm,
    x_signature,
)
from tests.fakes.platforms import Credentials, FakePlatform

pytest_plugins = ["tests.fakes.fixtures"]

BOT_TOKEN = "123456:ABC-test_token"
TG_SECRET = "tg-secret"
BRAND = "3001"
WA_ID = "16315551181"
PSID = "24000001"
WAMID = "wamid.HBgLMTYzMTU1NTExODEVAgASGBQzQTRBNjU5"


class TelegramEnv(ChannelEnv):
    def headers_for(self, body: bytes, secret: Any) -> dict[str, str]:
        return {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}


class XEnv(ChannelEnv):
    def headers_for(self, body: bytes, secret: Any) -> dict[str, str]:
        return {"x-twitter-webhooks-signature": x_signature(body, "cs")}


def profile(client: redis.Redis, channel: str, sender: str) -> dict[str, Any]:
    return FollowerBook(client).profile(Conversation(channel, sender))


def served(env: ChannelEnv, payload: Any) -> None:
    assert env.send(payload).status_code == 200
    wait_until(lambda: len(env.messages) == 1)
    env.app.drain()


def test_telegram_follower_name_and_handle_are_captured(
    serve_channel: Callable[..., Any], redis_client: redis.Redis
) -> None:
    settings = {"bot_token": BOT_TOKEN, "secret_token": TG_SECRET}
    env = serve_channel(TelegramEnv, TelegramInput,
                        lambda fake: TelegramSettings(**settings, api_base=fake.api_base))
    served(env, telegram_message(872330001, 4242, 17, text="hi"))
    got = profile(redis_client, "telegram", "4242")
    assert (got["name"], got["handle"], got["channel"], got["sender"]) == (
        "Ana", "@ana", "telegram", "4242")
    assert got["first_seen"] == got["last_seen"]
    assert FollowerBook(redis_client).last_message_id(Conversation("telegram", "4242")) == "17"


def test_x_follower_name_and_handle_come_from_the_users_map(
    serve_channel: Callable[..., Any], redis_client: redis.Redis, creds: Credentials
) -> None:
    fields = {"consumer_key": creds.consumer_key, "consumer_secret": creds.consumer_secret,
              "access_token": creds.access_token,
              "access_token_secret": creds.access_token_secret, "user_id": BRAND}
    env = serve_channel(XEnv, XInput, lambda fake: XSettings(**fields, api_base=fake.api_base))
    served(env, x_dm(BRAND, "777", "where is my order", "1500000000000000001"))
    got = profile(redis_client, "x", "777")
    assert (got["name"], got["handle"]) == ("user 777", "@user777")


def test_whatsapp_profile_name_and_messenger_id_only(
    serve_channel: Callable[..., Any], redis_client: redis.Redis, creds: Credentials
) -> None:
    fields = {"access_token": creds.token, "phone_number_id": creds.phone_number_id, **META_AUTH}
    env = serve_channel(MetaEnv, WhatsAppInput,
                        lambda fake: WhatsAppSettings(**fields, api_base=fake.api_base))
    served(env, whatsapp_text(creds.phone_number_id, WA_ID, "hola", WAMID))
    got = profile(redis_client, "whatsapp", WA_ID)
    assert got["name"] == "Kerry Fisher" and "handle" not in got
    assert FollowerBook(redis_client).last_message_id(Conversation("whatsapp", WA_ID)) == WAMID

    env = serve_channel(MetaEnv, MessengerInput, lambda fake: MessengerSettings(
        page_access_token=creds.token, **META_AUTH, api_base=fake.api_base))
    served(env, messenger_text(PSID, "hello", "m_1"))
    got = profile(redis_client, "messenger", PSID)
    assert "name" not in got and got["sender"] == PSID and got["last_seen"] > 0


def test_profiles_are_cleaned_and_redis_down_does_not_stop_a_message(
    redis_client: redis.Redis, channel_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    book = FollowerBook(redis_client)
    conv = Conversation("telegram", "9")
    book.seen(conv, name="  Ana\u202e\x00  Bell " + "x" * 200, handle="@ana\n")
    got = book.profile(conv)
    assert got["name"].startswith("Ana Bell x") and len(got["name"]) == 100
    assert got["handle"] == "@ana"

    from bot.followers import ingress
    from bot.settings import reset_settings

    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    reset_settings()
    ingress.remember("telegram", "10", "1", {"name": "Bo"})  # logs, does not raise
    ingress.remember("telegram", "bad id with spaces", "1", {})


# -- sends: reply windows, tags, templates -----------------------------------------------------


def meta_output(kind: str, fake: FakePlatform, creds: Credentials) -> Any:
    if kind == "messenger":
        return MessengerOutput(MessengerSettings(page_access_token=creds.token, **META_AUTH,
                                                 api_base=fake.api_base), fast_client(kind))
    return InstagramOutput(InstagramSettings(access_token=creds.token, **META_AUTH,
                                             api_base=fake.api_base), fast_client(kind))


def whatsapp_output(fake: FakePlatform, creds: Credentials) -> WhatsAppOutput:
    return WhatsAppOutput(WhatsAppSettings(access_token=creds.token, app_secret=APP_SECRET,
                                           verify_token="v", phone_number_id=creds.phone_number_id,
                                           api_base=fake.api_base), fast_client("whatsapp"))


@pytest.mark.parametrize("channel", ["messenger", "instagram", "whatsapp"])
def test_a_send_refused_for_the_reply_window_is_recorded_as_such(
    channel: str,
    platform_factory: Callable[[str], FakePlatform],
    creds: Credentials,
    channel_env: Path,
    redis_client: redis.Redis,
) -> None:
    fake = platform_factory(channel)
    out = whatsapp_output(fake, creds) if channel == "whatsapp" else meta_output(
        channel, fake, creds)
    queue = AgentQueue(redis_client)
    tid = queue.escalate(make_escalation(PSID, channel=channel)).ticket_id
    fake.refuse_window_next()
    asyncio.run(out.send_text_message(PSID, "Sorry for the wait!", carebot={"agent": "ana"}))
    [request] = fake.requests
    assert request.status == 400
    [failure] = [m for m in queue.get(tid).transcript if m["role"] == "system"]
    assert failure["reason"] == "reply_window_closed"
    assert failure["reply"] == "Sorry for the wait!"
    assert "reply window closed" in failure["text"]
    code = "131047" if channel == "whatsapp" else "code 10"
    assert code in failure["error"]

    fake.fail_next(status=403)  # any other refusal stays a plain failure
    asyncio.run(out.send_text_message(PSID, "again"))
    other = [m for m in queue.get(tid).transcript if m["role"] == "system"][-1]
    assert other["reply"] == "again"
    if channel == "whatsapp":  # the fake's generic 4xx is Graph's (#10) without the subcode
        assert "reason" not in other


@pytest.mark.parametrize("channel", ["messenger", "instagram"])
def test_human_agent_tag_goes_on_agent_replies_that_carry_it(
    channel: str,
    platform_factory: Callable[[str], FakePlatform],
    creds: Credentials,
    channel_env: Path,
) -> None:
    fake = platform_factory(channel)
    out = meta_output(channel, fake, creds)
    asyncio.run(out.send_text_message(PSID, "tagged", carebot={"agent": "ana",
                                                                "tag": "HUMAN_AGENT"}))
    asyncio.run(out.send_image_url(PSID, "https://cdn.example/p.jpg",
                                   carebot={"tag": "HUMAN_AGENT"}))
    asyncio.run(out.send_text_message(PSID, "plain", carebot={"agent": "ana"}))
    asyncio.run(out.send_text_message(PSID, "bogus", carebot={"tag": "PROMOTION"}))
    tagged, image, plain, bogus = [r.json for r in fake.wait_for(4)]
    for body in (tagged, image):
        assert (body["messaging_type"], body["tag"]) == ("MESSAGE_TAG", "HUMAN_AGENT")
    assert image["message"] == {"attachment": {"type": "image",
                                               "payload": {"url": "https://cdn.example/p.jpg"}}}
    for body in (plain, bogus):
        assert "tag" not in body
        assert body.get("messaging_type") == ("RESPONSE" if channel == "messenger" else None)
    assert out.tag is None  # the shared output is untouched


def test_whatsapp_template_is_sent_instead_of_the_text(
    platform_factory: Callable[[str], FakePlatform], creds: Credentials, channel_env: Path
) -> None:
    fake = platform_factory("whatsapp")
    out = whatsapp_output(fake, creds)
    template = {"name": "care_follow_up", "language": {"code": "en_US"}, "components": [
        {"type": "body", "parameters": [{"type": "text", "text": "Kerry"},
                                        {"type": "text", "text": "it ships today."}]}]}
    asyncio.run(out.send_text_message(WA_ID, "Hi Kerry, …", carebot={"template": template}))
    asyncio.run(out.send_text_message(WA_ID, "free text"))
    sent, text = [r.json for r in fake.wait_for(2)]
    assert sent == {"messaging_product": "whatsapp", "recipient_type": "individual",
                    "to": WA_ID, "type": "template", "template": template}
    assert text["type"] == "text" and out.template is None


# -- typing indicators and read receipts -------------------------------------------------------


def signals_env(fakes: dict[str, FakePlatform], creds: Credentials) -> dict[str, str]:
    return {
        "MESSENGER_PAGE_ACCESS_TOKEN": creds.token, "MESSENGER_APP_SECRET": APP_SECRET,
        "MESSENGER_VERIFY_TOKEN": "v", "MESSENGER_API_BASE": fakes["messenger"].api_base,
        "INSTAGRAM_ACCESS_TOKEN": creds.token, "INSTAGRAM_APP_SECRET": APP_SECRET,
        "INSTAGRAM_VERIFY_TOKEN": "v", "INSTAGRAM_API_BASE": fakes["instagram"].api_base,
        "WHATSAPP_ACCESS_TOKEN": creds.token, "WHATSAPP_APP_SECRET": APP_SECRET,
        "WHATSAPP_VERIFY_TOKEN": "v", "WHATSAPP_PHONE_NUMBER_ID": creds.phone_number_id,
        "WHATSAPP_API_BASE": fakes["whatsapp"].api_base,
        "TELEGRAM_BOT_TOKEN": BOT_TOKEN, "TELEGRAM_SECRET_TOKEN": TG_SECRET,
        "TELEGRAM_API_BASE": fakes["telegram"].api_base,
        "X_CONSUMER_KEY": creds.consumer_key, "X_CONSUMER_SECRET": creds.consumer_secret,
        "X_ACCESS_TOKEN": creds.access_token, "X_ACCESS_TOKEN_SECRET": creds.access_token_secret,
        "X_USER_ID": BRAND, "X_API_BASE": fakes["x"].api_base,
    }


def test_typing_and_read_signals_in_each_platforms_wire_format(creds: Credentials) -> None:
    fakes = {name: FakePlatform(name, Credentials(**{**creds.__dict__, "token": BOT_TOKEN})
                                if name == "telegram" else creds).start()
             for name in ("messenger", "instagram", "whatsapp", "telegram", "x")}
    try:
        signals = PlatformSignals(signals_env(fakes, creds))
        for channel in ("messenger", "instagram"):
            assert signals.send(TYPING, channel, PSID)
            assert signals.send(READ, channel, PSID)
            typing, seen = fakes[channel].wait_for(2)
            assert typing.path == "/v19.0/me/messages"
            assert typing.query == {"access_token": creds.token}
            assert typing.json == {"recipient": {"id": PSID}, "sender_action": "typing_on"}
            assert seen.json == {"recipient": {"id": PSID}, "sender_action": "mark_seen"}

        assert not signals.send(TYPING, "whatsapp", WA_ID)  # no message id to mark
        assert signals.send(TYPING, "whatsapp", WA_ID, WAMID)
        assert signals.send(READ, "whatsapp", WA_ID, WAMID)
        typing, read = fakes["whatsapp"].wait_for(2)
        assert typing.headers["authorization"] == f"Bearer {creds.token}"
        assert typing.json == {"messaging_product": "whatsapp", "status": "read",
                               "message_id": WAMID, "typing_indicator": {"type": "text"}}
        assert read.json == {"messaging_product": "whatsapp", "status": "read",
                             "message_id": WAMID}

        assert signals.send(TYPING, "telegram", "4242")
        assert not signals.supports("telegram", READ) and not signals.send(READ, "telegram", "1")
        [action] = fakes["telegram"].wait_for(1)
        assert action.path == f"/bot{BOT_TOKEN}/sendChatAction"
        assert action.json == {"chat_id": "4242", "action": "typing"}

        assert signals.send(TYPING, "x", "777")
        assert signals.send(READ, "x", "777", "1500000000000000001")
        typing, read = fakes["x"].wait_for(2)
        assert (typing.path, typing.query) == ("/1.1/direct_messages/indicate_typing.json",
                                               {"recipient_id": "777"})
        assert read.path == "/1.1/direct_messages/mark_read.json"
        assert read.query == {"recipient_id": "777", "last_read_event_id": "1500000000000000001"}
        assert typing.status == read.status == 204  # the OAuth 1.0a signature verified

        assert not signals.supports("rest", TYPING) and not signals.send(TYPING, "rest", "a")
        unconfigured = PlatformSignals({})
        assert not unconfigured.supports("whatsapp", TYPING)
        assert not unconfigured.send(TYPING, "whatsapp", WA_ID, WAMID)
    finally:
        for fake in fakes.values():
            fake.stop()
