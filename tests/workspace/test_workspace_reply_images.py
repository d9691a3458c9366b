"""Agents attach an image to a reply (issue 18 item 5), end to end: a real ``carebot workspace``
process, a fake Rasa that sends agent replies through carebot's own output channels, and the fake
platforms speaking each API's real wire format (``tests/fakes/channel_workspace.py``).

The agent uploads the bytes (``POST /api/tickets/{id}/images``), then sends the reply with the
image's id; every platform gets the image its own way: Messenger and Instagram as a multipart
``filedata`` attachment upload in the send call, WhatsApp as an upload to ``/media`` and then an
image message by that media id, Telegram as a multipart ``sendPhoto`` (``sendAnimation`` for a
GIF), X as ``/2/media/upload`` and then a DM whose attachment is the media id. REST refuses an
image before anything is sent; a type the platform does not take is refused at upload.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any, cast

import pytest
import redis

from bot.channels.reply_images import ReplyImages
from bot.queue import AgentQueue
from bot.workspace.accounts import Accounts
from tests.fakes.browser import Console, browser_fixture, playwright_fixture  # noqa: F401
from tests.fakes.channel_workspace import ChannelWorkspace, channel_workspace
from tests.fakes.images import GIF, JPEG, WEBP, png
from tests.workspace.test_workspace_followers import claimed
from tests.workspace.test_workspace_support import Api

HOUR = 3600.0
PNG = png(3, 2)
SENDERS = {"messenger": "24000001", "instagram": "17841400000000001",
           "whatsapp": "16315551181", "telegram": "4242", "x": "5005"}


@pytest.fixture(scope="module")
def cw(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChannelWorkspace]:
    with channel_workspace(redis_url, tmp_path_factory.mktemp("images")) as running:
        yield running


@pytest.fixture
def ws(cw: ChannelWorkspace, redis_client: redis.Redis) -> ChannelWorkspace:
    cw.reset()
    return cw


@pytest.fixture
def ana(ws: ChannelWorkspace, accounts: Accounts) -> Api:
    return Api(ws.url, accounts.add("ana", "agent"))


def upload(api: Api, tid: str, data: bytes, name_type: str = "image/png") -> Any:
    return api.post(f"/api/tickets/{tid}/images", data=data,
                    headers={"Content-Type": name_type})


def send_with_image(ws: ChannelWorkspace, api: Api, redis_client: redis.Redis, channel: str,
                    data: bytes) -> tuple[str, dict[str, Any]]:
    tid = claimed(redis_client, ws, api, channel, SENDERS[channel], HOUR)
    r = upload(api, tid, data)
    assert r.status_code == 201, r.text
    image = r.json()["image"]
    assert image["bytes"] == len(data) and image["ticket"] == tid
    r = api.post(f"/api/tickets/{tid}/reply", json={"text": "Here is the label to print.",
                                                    "image_id": image["id"]})
    assert r.status_code == 200, r.text
    assert r.json()["message"]["image"] == "carebot-image:" + image["id"]
    return tid, image


def test_messenger_and_instagram_upload_the_image_in_the_send_call(
    ws: ChannelWorkspace, ana: Api, redis_client: redis.Redis
) -> None:
    for channel in ("messenger", "instagram"):
        send_with_image(ws, ana, redis_client, channel, PNG)
        text, photo = ws.fakes[channel].wait_for(2)
        assert text.json["message"] == {"text": "Here is the label to print."}
        assert photo.headers["content-type"].startswith("multipart/form-data")
        form = photo.json
        assert form["recipient"] == json.dumps({"id": SENDERS[channel]})
        assert form.get("messaging_type") == ("RESPONSE" if channel == "messenger" else None)
        assert form["message"] == ('{"attachment": {"type": "image", "payload": '
                                   '{"is_reusable": false}}}')
        sent = form["__files__"]["filedata"]
        assert (sent["data"], sent["content_type"]) == (PNG, "image/png")
        assert photo.query == {"access_token": ws.creds.token}


def test_whatsapp_uploads_to_media_then_sends_the_image_by_id(
    ws: ChannelWorkspace, ana: Api, redis_client: redis.Redis
) -> None:
    send_with_image(ws, ana, redis_client, "whatsapp", JPEG)
    text, media, message = ws.fakes["whatsapp"].wait_for(3)
    assert text.json["type"] == "text"
    assert media.path.endswith(f"/{ws.creds.phone_number_id}/media")
    assert media.headers["authorization"] == f"Bearer {ws.creds.token}"
    form = media.json
    assert (form["messaging_product"], form["type"]) == ("whatsapp", "image/jpeg")
    assert form["__files__"]["file"]["data"] == JPEG
    media_id = media.json and ws.fakes["whatsapp"].api.media_ids
    assert message.json["type"] == "image" and message.json["image"]["id"] in media_id
    assert message.json["to"] == SENDERS["whatsapp"]


def test_telegram_sends_a_multipart_photo_and_a_gif_as_an_animation(
    ws: ChannelWorkspace, ana: Api, redis_client: redis.Redis
) -> None:
    tid, _ = send_with_image(ws, ana, redis_client, "telegram", PNG)
    _, photo = ws.fakes["telegram"].wait_for(2)
    assert photo.path.endswith("/sendPhoto")
    assert photo.json["chat_id"] == SENDERS["telegram"]
    assert photo.json["__files__"]["photo"]["data"] == PNG
    r = upload(ana, tid, GIF)
    assert r.status_code == 201, r.text
    assert ana.post(f"/api/tickets/{tid}/reply", json={
        "text": "and the animation", "image_id": r.json()["image"]["id"]}).status_code == 200
    animation = ws.fakes["telegram"].wait_for(4)[-1]
    assert animation.path.endswith("/sendAnimation")
    assert animation.json["__files__"]["animation"]["data"] == GIF


def test_x_uploads_the_media_then_sends_a_dm_with_its_id(
    ws: ChannelWorkspace, ana: Api, redis_client: redis.Redis
) -> None:
    send_with_image(ws, ana, redis_client, "x", WEBP)
    text, media, dm = ws.fakes["x"].wait_for(3)
    assert text.json == {"text": "Here is the label to print."}
    assert media.path == "/2/media/upload" and media.headers["authorization"].startswith("OAuth ")
    assert media.json["media_category"] == "dm_image"
    assert media.json["__files__"]["media"]["data"] == WEBP
    assert dm.path == f"/2/dm_conversations/with/{SENDERS['x']}/messages"
    [attachment] = dm.json["attachments"]
    assert attachment["media_id"] in ws.fakes["x"].api.media_ids and "text" not in dm.json


def test_channels_that_cannot_take_the_image_refuse_before_sending(
    ws: ChannelWorkspace, ana: Api, redis_client: redis.Redis
) -> None:
    policy = ana.get("/api/reply-images").json()
    assert "rest" not in policy["channels"] and policy["channels"]["whatsapp"] == [
        "image/jpeg", "image/png"]
    assert policy["max_bytes"] == 5120 * 1024

    rest = claimed(redis_client, ws, ana, "rest", "rest-follower-1", HOUR)
    r = upload(ana, rest, PNG)
    assert (r.status_code, r.json()["error"]) == (422, "image_not_supported")
    assert "Images cannot be sent on REST" in r.json()["message"]

    wa = claimed(redis_client, ws, ana, "whatsapp", SENDERS["whatsapp"], HOUR)
    r = upload(ana, wa, WEBP)
    assert (r.status_code, r.json()["error"]) == (415, "unsupported_image")
    assert r.json()["message"] == "WhatsApp does not take WEBP images: JPG, PNG only."

    # an image uploaded for one conversation cannot ride on another one's reply
    tg = claimed(redis_client, ws, ana, "telegram", SENDERS["telegram"], HOUR)
    image = upload(ana, tg, PNG).json()["image"]["id"]
    r = ana.post(f"/api/tickets/{wa}/reply", json={"text": "hi", "image_id": image})
    assert (r.status_code, r.json()["error"]) == (422, "invalid")
    r = ana.post(f"/api/tickets/{rest}/reply", json={"text": "hi", "image_id": image})
    assert (r.status_code, r.json()["error"]) == (422, "image_not_supported")
    r = ana.post(f"/api/tickets/{tg}/reply", json={"text": "hi", "image_id": image,
                                                   "image_url": "https://cdn.example/a.png"})
    assert (r.status_code, r.json()["error"]) == (422, "invalid")
    for fake in ws.fakes.values():
        assert fake.requests == []  # nothing went out
    assert AgentQueue(redis_client).get(wa).transcript[-1]["role"] == "follower"


def test_uploads_are_kept_24_hours_and_an_expired_one_is_refused_before_sending(
    ws: ChannelWorkspace, ana: Api, redis_client: redis.Redis, redis_url: str
) -> None:
    tid = claimed(redis_client, ws, ana, "telegram", SENDERS["telegram"], HOUR)
    image = upload(ana, tid, PNG).json()["image"]["id"]
    stored = ReplyImages(redis.Redis.from_url(redis_url))
    kept = stored.get(image)
    assert kept is not None and (kept.body, kept.content_type, kept.agent) == (
        PNG, "image/png", "ana")
    ttl = redis_client.ttl(stored.keys.reply_image(image))
    assert 23 * HOUR < int(ttl) <= 24 * HOUR  # type: ignore[arg-type]
    redis_client.delete(stored.keys.reply_image(image))  # as if it expired before Rasa sent it
    # the reply's check finds it gone: refused before the text goes out
    r = ana.post(f"/api/tickets/{tid}/reply", json={"text": "label", "image_id": image})
    assert (r.status_code, r.json()["error"]) == (422, "invalid")
    assert "kept 24 hours" in r.json()["message"]
    assert ws.fakes["telegram"].requests == []


def test_console_attaches_a_picked_image_and_refuses_on_rest(
    browser: Any, ws: ChannelWorkspace, accounts: Accounts, redis_client: redis.Redis,
    tmp_path: Any
) -> None:
    token = accounts.add("ana", "agent")
    api = Api(ws.url, token)
    tid = claimed(redis_client, ws, api, "telegram", SENDERS["telegram"], HOUR)
    rest = claimed(redis_client, ws, api, "rest", "rest-follower-2", HOUR)
    picture = tmp_path / "label.png"
    picture.write_bytes(PNG)

    console = Console(browser, cast(Any, SimpleNamespace(url=ws.url)))
    console.sign_in(token, "ana")
    page = console.page
    page.keyboard.press("2")  # Mine
    console.row(rest).click()
    page.wait_for_selector(f"#ticket-title:has-text('{rest}')")
    page.wait_for_selector("#attach-btn:disabled")
    assert "Images cannot be sent on rest" in console.text("#attach-status")

    console.row(tid).click()
    page.wait_for_selector(f"#ticket-title:has-text('{tid}')")
    page.wait_for_selector("#attach-btn:enabled")
    page.set_input_files("#reply-file", str(picture))
    page.wait_for_selector("#attach-preview:visible")
    assert "sent after the text" in console.text("#attach-status")
    page.fill("#reply", "Here is the label to print.")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#transcript:has-text('with an uploaded image')")
    [photo] = [r for r in ws.fakes["telegram"].wait_for(2) if r.path.endswith("/sendPhoto")]
    assert photo.json["__files__"]["photo"]["data"] == PNG
    page.wait_for_selector("#attach-preview", state="hidden")
    console.close()
