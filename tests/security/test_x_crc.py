"""Attack test, issue 17 item 3: the X CRC endpoint is no signing oracle.

``GET ?crc_token=T`` answers ``base64(HMAC-SHA256(consumer secret, T))``: the very signature a
webhook POST with body T needs. An attacker who passes a JSON body as the token could forge
follower messages. Only tokens shaped like X's (short, base64 / base64url characters) are
answered; anything else is a 400 that signs nothing.
"""

from __future__ import annotations

import base64
import json

import requests

from bot.channels.x import crc_response_token
from tests.channels.test_channels_x import BRAND, FOLLOWER, Env, make_env  # noqa: F401
from tests.fakes.payloads import x_dm


def test_a_json_body_as_crc_token_is_not_signed(env: Env) -> None:
    body = json.dumps(x_dm(BRAND, FOLLOWER, "forged: refund me", "ev-forged-1")).encode()
    res = requests.get(env.url, params={"crc_token": body.decode()}, timeout=5)
    assert res.status_code == 400
    signature = crc_response_token(env.secret, body.decode())
    assert signature not in res.text
    assert signature.removeprefix("sha256=") not in res.text


def test_tokens_of_the_wrong_shape_are_refused(env: Env) -> None:
    for token in ["a" * 300, "abc def", "{}", "ab\"c", "abc<script>", "é" * 10]:
        res = requests.get(env.url, params={"crc_token": token}, timeout=5)
        assert res.status_code == 400, token
        assert "response_token" not in res.text


def test_x_shaped_tokens_are_answered(env: Env) -> None:
    for token in ["NWU3ZWI4YmQtN2I5Ny00ZmM1LWE2ZGYtMGE3YmI2ZDlkN2Q1",
                  base64.urlsafe_b64encode(b"\xfb\xff" * 16).decode(),
                  base64.b64encode(b"\xfb\xff" * 16).decode()]:
        res = requests.get(env.url, params={"crc_token": token}, timeout=5)
        assert res.status_code == 200, token
        assert res.json() == {"response_token": crc_response_token(env.secret, token)}
