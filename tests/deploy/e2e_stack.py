"""End-to-end check of a running carebot stack, from outside, through nginx only
(scripts/test-deploy runs it against the compose stack; any deployment works).

    python tests/deploy/e2e_stack.py --public http://127.0.0.1:18080 \
        --workspace http://127.0.0.1:18000 --token cbt_...

1. the bot answers an FAQ over REST;  2. Rasa's HTTP API is not reachable on the public side
(nor on the workspace's), nor the workspace's model server (``/internal/model``);  3. an
escalation appears in the workspace API;  4. an agent's reply reaches the follower (REST
inbox);  5. after the hand-back the bot answers again.
Prints one line per step and exits 1 at the first failure. Standard library + requests.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from typing import Any, Callable

import requests

HANDOFF_WORDS = ("teammate", "care team")
FAQ_QUESTION = "how long does shipping take?"
FAQ_WORDS = ("business days",)
ESCALATION = "can I talk to a real person?"


class CheckFailed(AssertionError):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def poll(what: str, probe: Callable[[], Any], timeout: float, every: float = 1.0) -> Any:
    """``probe()`` until it returns something truthy (exceptions count as not yet)."""
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        try:
            value = probe()
            if value:
                return value
            last = value
        except (requests.RequestException, ValueError, KeyError) as error:
            last = error
        if time.monotonic() > deadline:
            raise CheckFailed(f"{what}: nothing after {timeout:.0f} s (last: {last!r})")
        time.sleep(every)


class Stack:
    def __init__(self, public: str, workspace: str, token: str, timeout: float) -> None:
        self.public = public.rstrip("/")
        self.workspace = workspace.rstrip("/")
        self.timeout = timeout
        self.http = requests.Session()
        self.agent = requests.Session()
        self.agent.headers["Authorization"] = f"Bearer {token}"
        self.tokens: dict[str, str] = {}  # conversation id -> the token the server issued

    def session(self) -> str:
        """A new REST conversation: the server issues its id and token (``/session``)."""
        res = self.http.post(f"{self.public}/webhooks/rest/session", timeout=60)
        check(res.status_code == 201, f"POST /webhooks/rest/session: {res.status_code} "
                                      f"{res.text[:200]}")
        data = res.json()
        self.tokens[data["sender"]] = data["token"]
        return str(data["sender"])

    def follower(self, sender: str) -> dict[str, str]:
        return {"X-Carebot-Token": self.tokens[sender]}

    def say(self, sender: str, text: str) -> list[str]:
        for _ in range(5):  # a polite client: 429 -> wait Retry-After, then again
            res = self.http.post(f"{self.public}/webhooks/rest/webhook",
                                 json={"sender": sender, "message": text},
                                 headers=self.follower(sender), timeout=120)
            if res.status_code != 429:
                break
            time.sleep(float(res.headers.get("Retry-After", "1")))
        check(res.status_code == 200, f"REST webhook answered {res.status_code}: {res.text[:200]}")
        return [m.get("text", "") for m in res.json() if isinstance(m, dict)]

    def api(self, method: str, path: str, **kw: Any) -> requests.Response:
        return self.agent.request(method, f"{self.workspace}/api{path}", timeout=60, **kw)


def step_ready(s: Stack) -> str:
    poll("nginx /healthz", lambda: s.http.get(f"{s.public}/healthz", timeout=5).ok, s.timeout)
    poll("a Rasa instance behind /readyz",
         lambda: s.http.get(f"{s.public}/readyz", timeout=5).ok, s.timeout, every=2)
    poll("the workspace", lambda: s.http.get(f"{s.workspace}/healthz", timeout=5).ok, s.timeout)
    return "nginx, Rasa and the workspace answer"


def step_faq(s: Stack, sender: str) -> str:
    texts = s.say(sender, FAQ_QUESTION)
    check(bool(texts), f"no answer to {FAQ_QUESTION!r}")
    check(any(w in texts[0] for w in FAQ_WORDS), f"not the shipping FAQ: {texts}")
    check(not any(w in texts[0] for w in HANDOFF_WORDS), f"handed off instead: {texts}")
    return f"{FAQ_QUESTION!r} -> {texts[0][:70]!r}"


def step_api_closed(s: Stack, rasa_token: str) -> str:
    probes = [("GET", "/"), ("GET", "/status"), ("GET", "/version"), ("GET", "/model"),
              ("PUT", "/model"), ("DELETE", "/model"), ("GET", "/conversations/x/tracker"),
              ("POST", "/conversations/x/tracker/events?output_channel=latest"),
              ("GET", "/domain"), ("GET", "/webhooks/rest/../../status"),
              ("GET", "/internal/model")]  # the workspace's model server: backend only
    seen = []
    for base in (s.public, s.workspace):
        for method, path in probes:
            if base == s.workspace and path == "/":
                continue  # the console's own page (a redirect to /login)
            for params in ({}, {"token": rasa_token} if rasa_token else {}):
                res = s.http.request(method, base + path, params=params, timeout=10, json=(
                    [] if method in ("POST", "PUT") else None))
                body = res.text
                rasa_like = "Hello from Rasa" in body or '"version"' in body or "events" in body
                check(res.status_code in (401, 403, 404, 405) and not rasa_like,
                      f"{method} {base}{path} answered {res.status_code}: {body[:120]!r}")
                seen.append(res.status_code)
    return f"{len(seen)} probes of Rasa's API: " + ", ".join(
        f"{code}x{seen.count(code)}" for code in sorted(set(seen)))


def step_escalation(s: Stack, sender: str) -> dict[str, Any]:
    texts = s.say(sender, ESCALATION)
    check(len(texts) == 1 and any(w in texts[0] for w in HANDOFF_WORDS),
          f"{ESCALATION!r} was not handed to a person: {texts}")

    def find() -> dict[str, Any] | None:
        res = s.api("GET", "/tickets")
        check(res.status_code == 200, f"GET /api/tickets: {res.status_code} {res.text[:200]}")
        # the ticket names the follower by the platform's id (the conversation id less "rest:")
        mine = [t for t in res.json()["tickets"]
                if t.get("sender") in (sender, sender.split(":", 1)[-1])]
        return mine[0] if mine else None

    ticket: dict[str, Any] = poll("the ticket in GET /api/tickets", find, 30)
    check("asked_for_human" in ticket.get("reasons", []), f"reasons: {ticket.get('reasons')}")
    return ticket


def step_reply(s: Stack, sender: str, ticket_id: str) -> str:
    res = s.api("POST", f"/tickets/{ticket_id}/claim")
    check(res.status_code == 200, f"claim: {res.status_code} {res.text[:200]}")
    text = f"Hi, this is the e2e agent ({uuid.uuid4().hex[:6]}). How can I help?"
    res = s.api("POST", f"/tickets/{ticket_id}/reply", json={"text": text})
    check(res.status_code == 200, f"reply: {res.status_code} {res.text[:300]}")

    def inbox() -> list[str]:
        got = s.http.get(f"{s.public}/webhooks/rest/inbox/{sender}",
                         headers=s.follower(sender), timeout=10)
        check(got.status_code == 200, f"inbox: {got.status_code} {got.text[:200]}")
        return [m.get("text", "") for m in got.json()]

    delivered = poll("the agent's reply in the follower's REST inbox", inbox, 20)
    check(text in delivered, f"inbox holds {delivered}, not the reply")
    return f"agent reply delivered to {sender}'s inbox"


def step_handback(s: Stack, sender: str, ticket_id: str) -> str:
    res = s.api("POST", f"/tickets/{ticket_id}/handback")
    check(res.status_code == 200, f"handback: {res.status_code} {res.text[:300]}")
    texts = poll("the bot answering after the hand-back", lambda: s.say(sender, FAQ_QUESTION), 20)
    check(any(w in texts[0] for w in FAQ_WORDS), f"after the hand-back: {texts}")
    return f"after the hand-back: {texts[0][:60]!r}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--public", default="http://127.0.0.1:18080")
    parser.add_argument("--workspace", default="http://127.0.0.1:18000")
    parser.add_argument("--token", default=os.environ.get("CAREBOT_AGENT_TOKEN", ""),
                        help="an agent token with the 'work' permission (CAREBOT_AGENT_TOKEN)")
    parser.add_argument("--rasa-token", default=os.environ.get("CAREBOT_RASA_TOKEN", ""),
                        help="Rasa's token: the public side must refuse even with it")
    parser.add_argument("--timeout", type=float, default=300,
                        help="seconds to wait for the stack to be ready")
    args = parser.parse_args(argv)
    if not args.token:
        parser.error("--token (or CAREBOT_AGENT_TOKEN) is required")
    s = Stack(args.public, args.workspace, args.token, args.timeout)
    results: list[dict[str, Any]] = []
    ticket: dict[str, Any] = {}
    senders: dict[str, str] = {}

    steps: list[tuple[str, Callable[[], str]]] = [
        ("ready", lambda: step_ready(s)),
        ("conversations issued", lambda: (
            senders.update(faq=s.session(), human=s.session())
            or f"{senders['faq']}, {senders['human']}")),
        ("faq over REST", lambda: step_faq(s, senders["faq"])),
        ("Rasa API closed", lambda: step_api_closed(s, args.rasa_token)),
        ("escalation in workspace", lambda: (
            ticket.update(step_escalation(s, senders["human"])) or
            f"ticket {ticket['id']} ({', '.join(ticket['reasons'])})")),
        ("agent reply delivered", lambda: step_reply(s, senders["human"], ticket["id"])),
        ("hand-back answered", lambda: step_handback(s, senders["human"], ticket["id"])),
    ]
    failed = False
    for name, step in steps:
        start = time.monotonic()
        try:
            detail, ok = step(), True
        except (CheckFailed, requests.RequestException, KeyError, ValueError) as error:
            detail, ok = f"{type(error).__name__}: {error}", False
        seconds = time.monotonic() - start
        results.append({"step": name, "ok": ok, "seconds": round(seconds, 1), "detail": detail})
        print(f"e2e: {'ok  ' if ok else 'FAIL'} {name:<26} {seconds:6.1f} s  {detail}", flush=True)
        if not ok:
            failed = True
            break
    print(json.dumps({"ok": not failed, "steps": results}), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
