"""The workspace API with the social channels (issue 18 items 4, 6, 7, 8), end to end: a real
``carebot workspace`` process, the fake platforms and a fake Rasa that sends agent replies
through carebot's own output channels (``tests/fakes/channel_workspace.py``).

* reply windows: the ticket shows the time left; Messenger between 24 h and 7 d replies with
  the HUMAN_AGENT tag, after 7 d refuses; WhatsApp after 24 h takes only approved templates;
  a platform's refusal for the window is a 409 ``reply_window_closed``, not a generic failure;
* presence: viewing / typing reported, broadcast over the event stream, typing renews the lease
  and holds the draft lock; a second agent is refused with "… is typing";
* typing indicators and read receipts reach the platforms, rate-limited;
* the contact panel: profile, earlier tickets with outcome and notes, the bot's answers in
  between, linking and unlinking conversations across channels.
"""

from __future__ import annotations

import json
import queue as queue_lib
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
import requests

from bot.followers.book import Conversation, FollowerBook
from bot.followers.keys import FollowerKeys
from bot.queue import AgentQueue, Keys
from bot.workspace.accounts import Accounts
from tests.conftest import make_escalation
from tests.fakes.channel_workspace import ChannelWorkspace, channel_workspace
from tests.workspace.test_workspace_support import Api

DAY = 86400.0
WA_ID = "16315551181"
WAMID = "wamid.HBgLMTYzMTU1NTExODEVAgASGBQzQTRBNjU5"
PSID = "24000001"


@pytest.fixture(scope="module")
def cw(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChannelWorkspace]:
    with channel_workspace(redis_url, tmp_path_factory.mktemp("cw")) as running:
        yield running


@pytest.fixture
def ws(cw: ChannelWorkspace, redis_client: redis.Redis) -> ChannelWorkspace:
    cw.reset()
    return cw


@pytest.fixture
def team(ws: ChannelWorkspace, accounts: Accounts) -> dict[str, Api]:
    roles = {"ana": "agent", "bob": "agent", "sue": "supervisor", "tim": "trainer"}
    return {name: Api(ws.url, accounts.add(name, role)) for name, role in roles.items()}


def open_ticket(client: redis.Redis, ws: ChannelWorkspace, channel: str, sender: str,
                age: float, text: str = "where is my order?",
                queue: AgentQueue | None = None) -> str:
    """A ticket whose follower last wrote ``age`` seconds ago (and the tracker to match)."""
    ts = time.time() - age
    ws.rasa.user(f"{channel}:{sender}", text, channel, ts=ts)  # Rasa's conversation id
    esc = make_escalation(sender, channel=channel, text=text,
                          transcript=[{"role": "follower", "text": text, "ts": ts}])
    return (queue or AgentQueue(client)).escalate(esc).ticket_id


def claimed(client: redis.Redis, ws: ChannelWorkspace, api: Api, channel: str, sender: str,
            age: float) -> str:
    tid = open_ticket(client, ws, channel, sender, age)
    assert api.post(f"/api/tickets/{tid}/claim").status_code == 200
    return tid


# -- reply windows -------------------------------------------------------------------------------


def test_whatsapp_after_24_hours_takes_only_an_approved_template(
    ws: ChannelWorkspace, team: dict[str, Api], redis_client: redis.Redis
) -> None:
    ana = team["ana"]
    tid = claimed(redis_client, ws, ana, "whatsapp", WA_ID, 2 * DAY)
    window = ana.get(f"/api/tickets/{tid}").json()["reply_window"]
    assert (window["state"], window["can_send_text"], window["templates"]) == (
        "templates_only", False, True)
    assert "approved template" in window["message"]

    refused = ana.post(f"/api/tickets/{tid}/reply", json={"text": "Hi! Still there?"})
    assert refused.status_code == 409
    assert refused.json()["error"] == "reply_window_closed"
    assert "approved template" in refused.json()["message"]
    assert ws.fakes["whatsapp"].requests == []

    listed = ana.get("/api/templates").json()["templates"]
    assert [(t["name"], t["params"]) for t in listed] == [("care_follow_up", 2),
                                                           ("care_reopen", 1)]
    for bad in ({"name": "nope", "params": []}, {"name": "care_follow_up", "params": ["x"]},
                {"name": "care_follow_up", "params": ["Kerry", "two\nlines"]}, "care_reopen"):
        r = ana.post(f"/api/tickets/{tid}/reply", json={"template": bad})
        assert (r.status_code, r.json()["error"]) == (422, "invalid"), bad

    sent = ana.post(f"/api/tickets/{tid}/reply", json={"template": {
        "name": "care_follow_up", "language": "en_US", "params": ["Kerry", "it ships today."]}})
    assert sent.status_code == 200, sent.text
    message = sent.json()["message"]
    assert message["template"] == "care_follow_up"
    assert message["text"].startswith("Hi Kerry, this is Ridgeline Outfitters following up on "
                                      "your message: it ships today.")
    [request] = ws.fakes["whatsapp"].wait_for(1)
    assert request.json["type"] == "template"
    assert request.json["template"] == {
        "name": "care_follow_up", "language": {"code": "en_US"}, "components": [
            {"type": "body", "parameters": [{"type": "text", "text": "Kerry"},
                                            {"type": "text", "text": "it ships today."}]}]}
    [bot] = [e for e in ws.rasa.events(f"whatsapp:{WA_ID}") if e["event"] == "bot"]
    assert bot["metadata"]["carebot"]["agent"] == "ana"  # on the tracker, for the bot's context


def test_messenger_between_one_and_seven_days_replies_with_the_human_agent_tag(
    ws: ChannelWorkspace, team: dict[str, Api], redis_client: redis.Redis
) -> None:
    ana = team["ana"]
    tid = claimed(redis_client, ws, ana, "messenger", PSID, 2 * DAY)
    window = ana.get(f"/api/tickets/{tid}").json()["reply_window"]
    assert (window["state"], window["tag"]) == ("human_agent", "HUMAN_AGENT")
    assert 4.9 * DAY < window["seconds_left"] < 5 * DAY

    r = ana.post(f"/api/tickets/{tid}/reply", json={"text": "So sorry for the delay!"})
    assert r.status_code == 200, r.text
    assert r.json()["message"]["tag"] == "HUMAN_AGENT"
    [request] = ws.fakes["messenger"].wait_for(1)
    assert request.json == {"recipient": {"id": PSID}, "messaging_type": "MESSAGE_TAG",
                            "tag": "HUMAN_AGENT", "message": {"text": "So sorry for the delay!"}}

    fresh = claimed(redis_client, ws, ana, "messenger", "24000002", 3600)
    assert ana.post(f"/api/tickets/{fresh}/reply", json={"text": "hi"}).status_code == 200
    assert ws.fakes["messenger"].wait_for(2)[1].json["messaging_type"] == "RESPONSE"

    old = claimed(redis_client, ws, ana, "instagram", "17841400000000001", 8 * DAY)
    assert ana.get(f"/api/tickets/{old}").json()["reply_window"]["state"] == "closed"
    r = ana.post(f"/api/tickets/{old}/reply", json={"text": "hello?"})
    assert (r.status_code, r.json()["error"]) == (409, "reply_window_closed")
    assert "7-day Instagram window has closed" in r.json()["message"]
    assert ws.fakes["instagram"].requests == []


def test_a_platform_refusal_for_the_window_is_reported_as_such(
    ws: ChannelWorkspace, team: dict[str, Api], redis_client: redis.Redis
) -> None:
    ana = team["ana"]
    tid = claimed(redis_client, ws, ana, "whatsapp", WA_ID, 3600)
    ws.fakes["whatsapp"].refuse_window_next()
    r = ana.post(f"/api/tickets/{tid}/reply", json={"text": "Here is your tracking link."})
    assert r.status_code == 409, r.text
    assert r.json()["error"] == "reply_window_closed"
    assert r.json()["message"].startswith("WhatsApp refused the reply: more than 24 hours")
    transcript = AgentQueue(redis_client).get(tid).transcript
    assert transcript[-2]["role"] == "agent"  # kept on the ticket …
    assert transcript[-1]["reason"] == "reply_window_closed"  # … with why it did not go out

    other = claimed(redis_client, ws, ana, "telegram", "4242", 3600)
    ws.fakes["telegram"].fail_next(status=403)
    r = ana.post(f"/api/tickets/{other}/reply", json={"text": "hi"})
    assert (r.status_code, r.json()["error"]) == (502, "delivery_failed")
    assert "bot was blocked by the user" in r.json()["message"]
    assert "reason" not in AgentQueue(redis_client).get(other).transcript[-1]

    r = ana.post(f"/api/tickets/{other}/reply", json={"text": "hi", "image_url": "http://x/y"})
    assert (r.status_code, r.json()["error"]) == (422, "invalid")
    r = ana.post(f"/api/tickets/{other}/reply", json={"text": "photo of the label",
                                                     "image_url": "https://cdn.example/l.jpg"})
    assert r.status_code == 200 and r.json()["message"]["image"] == "https://cdn.example/l.jpg"
    photo = ws.fakes["telegram"].wait_for(2)[-1]
    assert photo.path.endswith("/sendPhoto")
    assert photo.json == {"chat_id": "4242", "photo": "https://cdn.example/l.jpg"}
    r = ana.post(f"/api/tickets/{other}/reply", json={"template": {"name": "care_reopen",
                                                                   "params": ["Ana"]}})
    assert (r.status_code, r.json()["message"]) == (422, "Templates are sent on WhatsApp only.")


# -- presence, drafts in progress ----------------------------------------------------------------


class Stream:
    """A console's event stream: the ``event: presence`` notices, as they arrive."""

    def __init__(self, api: Api) -> None:
        self.response = api.get("/api/events", stream=True)
        assert self.response.status_code == 200
        self.notices: queue_lib.Queue[dict[str, Any]] = queue_lib.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        kind = ""
        try:
            for line in self.response.iter_lines(decode_unicode=True):
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: ") and kind == "presence":
                    self.notices.put(json.loads(line[6:]))
        except requests.RequestException:
            pass

    def next_for(self, ticket: str, timeout: float = 10.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                notice = self.notices.get(timeout=0.2)
            except queue_lib.Empty:
                continue
            if notice["ticket"] == ticket:
                return list(notice["presence"])
        raise AssertionError("no presence notice")

    def close(self) -> None:
        """Hang up without waiting (closing blocks until the server's next keepalive)."""
        threading.Thread(target=self.response.close, daemon=True).start()


def test_presence_is_broadcast_and_a_draft_in_progress_keeps_others_out(
    ws: ChannelWorkspace, team: dict[str, Api], redis_client: redis.Redis
) -> None:
    ana, bob, sue = team["ana"], team["bob"], team["sue"]
    tid = claimed(redis_client, ws, ana, "telegram", "4242", 60)
    stream = Stream(bob)
    try:
        time.sleep(0.3)  # the stream is subscribed
        r = bob.post(f"/api/tickets/{tid}/presence", json={"state": "viewing"})
        assert r.status_code == 200
        assert [(p["agent"], p["state"]) for p in stream.next_for(tid)] == [("bob", "viewing")]

        lease = AgentQueue(redis_client).get(tid).lease_until or 0
        time.sleep(0.05)
        r = ana.post(f"/api/tickets/{tid}/presence", json={"state": "typing"})
        assert r.status_code == 200 and r.json()["lease_until"] > lease  # typing renews it
        seen = stream.next_for(tid)
        assert [(p["agent"], p["state"]) for p in seen] == [("ana", "typing"), ("bob", "viewing")]
        assert [(p["agent"], p["state"]) for p in
                bob.get(f"/api/tickets/{tid}/presence").json()["presence"]] == [
            ("ana", "typing"), ("bob", "viewing")]
    finally:
        stream.close()

    # Bob cannot type, claim or reply on it, and is told Ana is writing.
    for path, body in (("presence", {"state": "typing"}), ("reply", {"text": "me too"})):
        r = bob.post(f"/api/tickets/{tid}/{path}", json=body)
        assert r.status_code == 409, path
        assert r.json() == {"error": "not_holder", "holder": "ana", "typing": True, "message":
                            f"You do not hold {tid}: ana does, who is typing a reply right now."
                            }, path
    r = bob.post(f"/api/tickets/{tid}/claim")
    assert (r.status_code, r.json()["typing"]) == (409, True)
    assert r.json()["message"] == (
        f"{tid} is already claimed by ana, who is typing a reply right now.")

    # Ana's lease lapses (her laptop sleeps) while her draft lock still holds: Bob still
    # cannot take the ticket; a supervisor can, with force.
    keys = Keys()
    redis_client.hset(keys.ticket(tid), "lease_until", time.time() - 1)
    redis_client.zadd(keys.claimed, {tid: time.time() - 1})
    r = bob.post(f"/api/tickets/{tid}/claim")
    assert (r.status_code, r.json()["error"], r.json()["holder"]) == (409, "draft_in_progress",
                                                                      "ana")
    assert "ana is typing a reply" in r.json()["message"]
    assert bob.post(f"/api/tickets/{tid}/claim", json={"force": True}).status_code == 403
    assert sue.post(f"/api/tickets/{tid}/claim", json={"force": True}).status_code == 200
    assert AgentQueue(redis_client).get(tid).claimed_by == "sue"


def test_sending_releases_the_draft_and_presence_input_is_checked(
    ws: ChannelWorkspace, team: dict[str, Api], redis_client: redis.Redis
) -> None:
    ana, tim = team["ana"], team["tim"]
    tid = claimed(redis_client, ws, ana, "telegram", "4242", 60)
    assert ana.post(f"/api/tickets/{tid}/presence", json={"state": "typing"}).status_code == 200
    assert redis_client.get(FollowerKeys().draft(tid)) == "ana"
    assert ana.post(f"/api/tickets/{tid}/reply", json={"text": "Done!"}).status_code == 200
    assert redis_client.get(FollowerKeys().draft(tid)) is None
    [entry] = ana.get(f"/api/tickets/{tid}/presence").json()["presence"]
    assert (entry["agent"], entry["state"]) == ("ana", "viewing")
    assert ana.post(f"/api/tickets/{tid}/presence", json={"state": "left"}).status_code == 200
    assert ana.get(f"/api/tickets/{tid}/presence").json()["presence"] == []

    for body in ({"state": "dancing"}, {}, {"state": ["typing"]}):
        r = ana.post(f"/api/tickets/{tid}/presence", json=body)
        assert (r.status_code, r.json()["error"]) == (422, "invalid")
    assert ana.post("/api/tickets/T-999999/presence", json={"state": "viewing"}
                    ).status_code == 404
    assert ana.post("/api/tickets/nope/presence", json={"state": "viewing"}).status_code == 404
    assert tim.post(f"/api/tickets/{tid}/presence", json={"state": "viewing"}).status_code == 200
    assert tim.post(f"/api/tickets/{tid}/presence", json={"state": "typing"}).status_code == 422
    assert Api(ws.url, None).post(f"/api/tickets/{tid}/presence",
                                  json={"state": "viewing"}).status_code == 401


# -- typing indicators and read receipts -------------------------------------------------------


def test_typing_indicator_and_read_receipt_reach_the_follower_rate_limited(
    ws: ChannelWorkspace, team: dict[str, Api], redis_client: redis.Redis
) -> None:
    ana, tim = team["ana"], team["tim"]
    FollowerBook(redis_client).seen(Conversation("whatsapp", WA_ID), name="Kerry",
                                    message_id=WAMID)
    tid = claimed(redis_client, ws, ana, "whatsapp", WA_ID, 60)
    fake = ws.fakes["whatsapp"]

    assert tim.post(f"/api/tickets/{tid}/presence", json={"state": "viewing"}).status_code == 200
    time.sleep(0.5)
    assert fake.requests == []  # a trainer reading along marks nothing as read

    assert ana.post(f"/api/tickets/{tid}/presence", json={"state": "viewing"}).status_code == 200
    [read] = fake.wait_for(1)
    assert read.json == {"messaging_product": "whatsapp", "status": "read", "message_id": WAMID}
    for state in ("viewing", "typing", "typing", "typing"):
        assert ana.post(f"/api/tickets/{tid}/presence", json={"state": state}).status_code == 200
    [_, typing] = fake.wait_for(2)
    assert typing.json["typing_indicator"] == {"type": "text"}
    time.sleep(0.5)
    assert len(fake.requests) == 2  # once per message for reads, once per 5 s for typing

    FollowerBook(redis_client).seen(Conversation("whatsapp", WA_ID), message_id=WAMID + "2")
    assert ana.post(f"/api/tickets/{tid}/presence", json={"state": "viewing"}).status_code == 200
    assert fake.wait_for(3)[-1].json["message_id"] == WAMID + "2"  # a new message: read again

    tg = claimed(redis_client, ws, ana, "telegram", "4242", 60)
    assert ana.post(f"/api/tickets/{tg}/presence", json={"state": "typing"}).status_code == 200
    [action] = ws.fakes["telegram"].wait_for(1)
    assert action.json == {"chat_id": "4242", "action": "typing"}


# -- the contact panel -------------------------------------------------------------------------


def test_contact_panel_shows_the_follower_earlier_tickets_and_the_bot_between(
    ws: ChannelWorkspace, team: dict[str, Api], redis_client: redis.Redis
) -> None:
    ana, tim = team["ana"], team["tim"]
    book = FollowerBook(redis_client)
    tg = Conversation("telegram", "4242")
    book.seen(tg, name="Ana Bell", handle="@anabell", at=time.time() - 20 * DAY)
    t0 = time.time() - 10 * DAY
    ws.rasa.user("telegram:4242", "how long does shipping take", "telegram", ts=t0)
    ws.rasa.bot("telegram:4242", "Orders ship in 2-4 business days.", ts=t0 + 1,
                utter_action="utter_faq/shipping")
    then = [time.time() - 9 * DAY]  # the first ticket, nine days ago
    back_then = AgentQueue(redis_client, clock=lambda: then[0])
    first = open_ticket(redis_client, ws, "telegram", "4242", 9 * DAY, "my parcel is lost",
                        queue=back_then)
    back_then.claim(first, "bob")
    back_then.add_note(first, "bob", "Carrier claim opened, ref 88.")
    back_then.reply(first, "bob", "We opened a claim with the carrier.")
    then[0] += 60
    back_then.resolve(first, "bob")
    ws.rasa.user("telegram:4242", "can I return boots", "telegram", ts=time.time() - 5 * DAY)
    ws.rasa.bot("telegram:4242", "You can return unworn items within 60 days.",
                ts=time.time() - 5 * DAY + 1, utter_action="utter_faq/returns")
    second = open_ticket(redis_client, ws, "telegram", "4242", 1, "this is ridiculous")

    r = tim.get(f"/api/tickets/{second}/contact")
    assert r.status_code == 200, r.text
    panel = r.json()
    assert panel["follower"]["name"] == "Ana Bell" and panel["follower"]["handle"] == "@anabell"
    assert panel["first_seen"] == pytest.approx(time.time() - 20 * DAY, abs=5)
    assert panel["contact"] == {"id": None, "conversations": [panel["follower"]]}
    assert [t["id"] for t in panel["tickets"]] == [second, first]
    old = panel["tickets"][1]
    assert (old["status"], old["outcome"], old["resolved_by"]) == ("resolved", "resolved", "bob")
    assert [n["text"] for n in old["notes"]] == ["Carrier claim opened, ref 88."]
    assert old["last_agent_reply"] == "We opened a claim with the carrier."
    bot = panel["bot"]
    assert bot["available"] and bot["answered_by_bot"] == 2
    answers = [t for t in bot["turns"] if t["role"] == "bot"]
    assert [a["response"] for a in answers] == ["utter_faq/shipping", "utter_faq/returns"]
    assert all("ticket" not in a for a in answers)  # between tickets, not in them
    during = [t for t in bot["turns"] if t.get("ticket") == first]
    assert [t["text"] for t in during] == ["my parcel is lost"]

    # The same person writes on WhatsApp: an agent links the conversations.
    wa = Conversation("whatsapp", WA_ID)
    book.seen(wa, name="Ana B.")
    third = open_ticket(redis_client, ws, "whatsapp", WA_ID, 30)
    r = ana.post("/api/followers/link", json={"a": {"channel": "telegram", "sender": "4242"},
                                              "b": {"channel": "whatsapp", "sender": WA_ID}})
    assert r.status_code == 200, r.text
    linked = r.json()
    assert linked["contact"]["id"] == "C-000001"
    assert [(c["channel"], c["sender"]) for c in linked["contact"]["conversations"]] == [
        ("telegram", "4242"), ("whatsapp", WA_ID)]
    assert [t["id"] for t in linked["tickets"]] == [third, second, first]
    other = ana.get(f"/api/followers/whatsapp/{WA_ID}").json()
    assert other["contact"]["id"] == "C-000001" and other["follower"]["name"] == "Ana B."

    r = ana.post("/api/followers/unlink", json={"channel": "whatsapp", "sender": WA_ID})
    assert r.status_code == 200 and r.json()["contact"]["id"] is None
    assert ana.get(f"/api/tickets/{second}/contact").json()["contact"]["id"] is None
    r = ana.post("/api/followers/unlink", json={"channel": "whatsapp", "sender": WA_ID})
    assert (r.status_code, r.json()["error"]) == (409, "not_linked")

    ws.rasa.unavailable = True  # the bot server is down: the panel still answers
    panel = ana.get(f"/api/tickets/{second}/contact").json()
    assert panel["bot"]["available"] is False and "could not be reached" in panel["bot"]["error"]
    assert len(panel["tickets"]) == 2


def test_linking_refuses_what_is_not_a_known_conversation(
    ws: ChannelWorkspace, team: dict[str, Api], redis_client: redis.Redis
) -> None:
    ana, tim = team["ana"], team["tim"]
    open_ticket(redis_client, ws, "telegram", "4242", 60)
    a = {"channel": "telegram", "sender": "4242"}
    cases = [
        ({"a": a, "b": {"channel": "whatsapp", "sender": "999"}}, 404),
        ({"a": a, "b": a}, 422),
        ({"a": a, "b": {"channel": "WhatsApp!", "sender": "1"}}, 422),
        ({"a": a, "b": {"channel": "x", "sender": "has space"}}, 422),
        ({"a": a, "b": {"channel": "x", "sender": "a:b"}}, 422),
        ({"a": a, "b": {"channel": "x", "sender": "9" * 129}}, 422),
        ({"a": a, "b": "whatsapp:1"}, 422),
        ({"a": a}, 422),
    ]
    for body, status in cases:
        r = ana.post("/api/followers/link", json=body)
        assert r.status_code == status, (body, r.text)
    assert tim.post("/api/followers/link", json={"a": a, "b": a}).status_code == 403
    assert ana.get("/api/followers/whatsapp/999").status_code == 404
    assert ana.get("/api/followers/Bad!/1").status_code == 422
    assert ana.get("/api/tickets/T-999999/contact").status_code == 404
    assert ana.post("/api/followers/link", data="[1]",
                    headers={"Content-Type": "application/json"}).status_code == 400


def test_the_ticket_index_is_backfilled_for_tickets_from_before(
    redis_client: redis.Redis,
) -> None:
    queue, book = AgentQueue(redis_client), FollowerBook(redis_client)
    conv = Conversation("x", "u1")
    old = queue.escalate(make_escalation("u1", channel="x")).ticket_id
    queue.resolve(old, "sue", force=True)
    redis_client.delete(Keys().events)  # its events are long trimmed away
    new = queue.escalate(make_escalation("u1", channel="x", text="again")).ticket_id
    book.sync_index()  # no cursor yet: the ticket hashes are scanned once
    assert book.ticket_ids([conv]) == [new, old]
    queue.resolve(new, "sue", force=True)
    newest = queue.escalate(make_escalation("u1", channel="x", text="third")).ticket_id
    assert book.sync_index() == 1  # from the stream, after the cursor
    assert book.ticket_ids([conv]) == [newest, new, old]
    assert book.ticket_ids([conv], limit=1) == [newest]


# -- media -----------------------------------------------------------------------------------------

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


def test_follower_media_is_fetched_through_the_workspace(
    ws: ChannelWorkspace, team: dict[str, Api], redis_client: redis.Redis
) -> None:
    tim = team["tim"]  # reading is enough
    media_id = ws.fakes["whatsapp"].add_media("1037543291543636", "image/png", PNG)
    big = ws.fakes["whatsapp"].add_media("1037543291543637", "video/mp4", b"0" * (10 * 2**20 + 1))
    ts = time.time() - 60
    esc = make_escalation(WA_ID, channel="whatsapp", transcript=[
        {"role": "follower", "text": "", "ts": ts, "attachments": [
            {"type": "image", "media_id": media_id}, {"type": "video", "media_id": big},
            {"type": "location", "url": "https://maps.google.com/?q=1,2"}]},
        {"role": "bot", "text": "hi", "ts": ts + 1,
         "attachments": [{"type": "image", "media_id": media_id}]}])
    tid = AgentQueue(redis_client).escalate(esc).ticket_id

    r = tim.get(f"/api/tickets/{tid}/media/0/0")
    assert r.status_code == 200 and r.content == PNG
    assert r.headers["content-type"] == "image/png"
    assert r.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert "private" in r.headers["cache-control"]
    assert ws.creds.token not in r.text and "Bearer" not in str(r.headers)

    r = tim.get(f"/api/tickets/{tid}/media/0/1")
    assert (r.status_code, r.json()["error"]) == (413, "too_large")
    for path in ("0/2", "0/3", "1/0", "5/0"):  # a location, no such one, the bot's, none
        assert tim.get(f"/api/tickets/{tid}/media/{path}").status_code == 404, path
    assert tim.get(f"/api/tickets/{tid}/media/-1/0").status_code == 404
    assert Api(ws.url, None).get(f"/api/tickets/{tid}/media/0/0").status_code == 401

    rest = AgentQueue(redis_client).escalate(make_escalation("ws-1", channel="rest", transcript=[
        {"role": "follower", "text": "", "ts": ts,
         "attachments": [{"type": "image", "url": "http://169.254.169.254/latest"}]}])).ticket_id
    r = tim.get(f"/api/tickets/{rest}/media/0/0")  # never fetched for a REST follower
    assert (r.status_code, r.json()["error"]) == (404, "not_found")
