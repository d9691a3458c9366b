"""The platforms' send APIs as the fakes emulate them: endpoints, auth, limits, error shapes.

``SendApi(platform, credentials).answer(...)`` gives the (status, JSON body, headers) the real API
would give; ``scripted(...)`` the platform-shaped answer for an injected failure (5xx, 4xx, 429).
Error bodies: Graph ``{"error": {"message", "type": "OAuthException", "code", "fbtrace_id"}}``;
Telegram ``{"ok": false, "error_code", "description", "parameters"}``; X API v2 problem objects.
"""

from __future__ import annotations

import itertools
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlencode

from oauthlib.oauth1 import Client as OAuth1Client

GRAPH_VERSION = "v19.0"
TEXT_LIMITS = {"messenger": 2000, "instagram": 1000, "whatsapp": 4096, "x": 10000, "telegram": 4096}
PLATFORMS = tuple(TEXT_LIMITS)
SENDER_ACTIONS = ("typing_on", "typing_off", "mark_seen")
MESSAGE_TAGS = ("HUMAN_AGENT", "CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE",
                "ACCOUNT_UPDATE")
CHAT_ACTIONS = ("typing", "upload_photo", "record_video", "upload_video", "record_voice",
                "upload_voice", "upload_document", "choose_sticker", "find_location")
X_SIGNALS = {  # X API v1.1 direct-message signals -> their required query parameters
    "/1.1/direct_messages/indicate_typing.json": ("recipient_id",),
    "/1.1/direct_messages/mark_read.json": ("recipient_id", "last_read_event_id"),
}


def image_type(data: Any) -> str | None:
    """What the platforms' media pipelines make of uploaded bytes (their own sniffing)."""
    if not isinstance(data, bytes):
        return None
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def uploaded(body: Any, field: str) -> dict[str, Any] | None:
    """The file ``field`` of a multipart body (``tests.fakes.platforms.parse_multipart``)."""
    files = body.get("__files__") if isinstance(body, dict) else None
    found = files.get(field) if isinstance(files, dict) else None
    return found if isinstance(found, dict) else None


def text_length(platform: str, text: str) -> int:
    """Text length as the platform counts it (Instagram: UTF-8 bytes; Telegram: UTF-16 units)."""
    if platform == "instagram":
        return len(text.encode("utf-8"))
    if platform == "telegram":
        return len(text.encode("utf-16-le")) // 2
    return len(text)


@dataclass
class Credentials:
    """What the fake accepts as authentication."""

    token: str = "test-token"  # Graph access token / WhatsApp bearer / Telegram bot token
    phone_number_id: str = "106540352242922"
    consumer_key: str = "ck"
    consumer_secret: str = "cs"
    access_token: str = "at"
    access_token_secret: str = "ats"


def graph_error(message: str, code: int, status: int = 400, **extra: Any) -> tuple[int, Any]:
    error = {"message": message, "type": "OAuthException", "code": code, **extra}
    error["fbtrace_id"] = "A" + uuid.uuid4().hex[:22]
    return status, {"error": error}


def telegram_error(status: int, description: str, **extra: Any) -> tuple[int, Any]:
    return status, {"ok": False, "error_code": status, "description": description, **extra}


def x_problem(status: int, title: str, detail: str | None = None) -> tuple[int, Any]:
    return status, {
        "title": title,
        "detail": detail or title,
        "type": "about:blank",
        "status": status,
    }


# One request as the handlers of ``SendApi`` see it: method, path, query, headers, body, host.
Request = tuple[str, str, dict[str, str], dict[str, str], Any, str]


class SendApi:
    """One platform's send API."""

    def __init__(self, platform: str, credentials: Credentials) -> None:
        if platform not in PLATFORMS:
            raise ValueError(platform)
        self.platform = platform
        self.creds = credentials
        self.limit = TEXT_LIMITS[platform]
        self._ids = itertools.count(1)
        self.media_ids: set[str] = set()  # uploaded media (WhatsApp /media, X /2/media/upload)

    def answer(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        headers: dict[str, str],
        body: Any,
        host: str,
    ) -> tuple[int, Any, dict[str, str]]:
        """(status, JSON body, extra headers) for a request that passed scripting."""
        handler = getattr(
            self, f"_{self.platform if self.platform != 'instagram' else 'messenger'}"
        )
        status, payload = handler((method, path, query, headers, body, host))
        return status, payload, {}

    def _check_text(self, text: Any) -> str | None:
        if not isinstance(text, str) or not text:
            return "empty"
        if text_length(self.platform, text) > self.limit:
            return "long"
        return None

    def _messenger(self, req: Request) -> tuple[int, Any]:
        method, path, query, _, body, _ = req
        if method != "POST" or path != f"/{GRAPH_VERSION}/me/messages":
            return graph_error("Unknown path components: " + path, 2500)
        if query.get("access_token") != self.creds.token:
            return graph_error("Invalid OAuth access token - Cannot parse access token", 190)
        if isinstance(body, dict) and "__files__" in body:  # attachment upload in the send call
            try:
                body = {k: json.loads(v) if k in ("recipient", "message") else v
                        for k, v in body.items()}
            except ValueError:
                return graph_error("(#100) param recipient / message must be JSON", 100)
            attachment = (body.get("message") or {}).get("attachment") or {}
            filedata = uploaded(body, "filedata")
            if attachment.get("type") != "image" or "url" in (attachment.get("payload") or {}):
                return graph_error("(#100) message[attachment][type] must be image for filedata",
                                   100)
            if filedata is None or image_type(filedata["data"]) not in ("image/png", "image/jpeg",
                                                                         "image/gif"):
                return graph_error("(#100) Upload attachment failure.", 100,
                                   error_subcode=2018047)
        if not isinstance(body, dict) or not body.get("recipient", {}).get("id"):
            return graph_error("(#100) The parameter recipient is required", 100)
        if "sender_action" in body:
            if body["sender_action"] not in SENDER_ACTIONS or "message" in body:
                return graph_error("(#100) Param sender_action must be one of "
                                   "{MARK_SEEN, TYPING_ON, TYPING_OFF}", 100)
            return 200, {"recipient_id": body["recipient"]["id"]}
        if body.get("messaging_type") == "MESSAGE_TAG" and body.get("tag") not in MESSAGE_TAGS:
            return graph_error("(#100) Tag is required for MESSAGE_TAG messaging type", 100)
        message = body.get("message") or {}
        if "attachment" not in message:
            problem = self._check_text(message.get("text"))
            if problem == "long":
                return graph_error(
                    f"(#100) Length of param message[text] must be less than or equal to "
                    f"{self.limit}",
                    100,
                )
            if problem:
                return graph_error("(#100) The parameter message[text] is required", 100)
        replies = message.get("quick_replies") or []
        if len(replies) > 13:
            return graph_error(
                "(#100) param message[quick_replies] must have at most 13 items", 100
            )
        if any(len(q.get("title", "")) > 20 for q in replies):
            return graph_error("(#100) Quick reply title must be at most 20 characters", 100)
        answer = {"recipient_id": body["recipient"]["id"], "message_id": "m_" + uuid.uuid4().hex}
        if "__files__" in body:
            answer["attachment_id"] = str(next(self._ids) + 1_000_000)
        return 200, answer

    def _whatsapp(self, req: Request) -> tuple[int, Any]:
        method, path, _, headers, body, _ = req
        if method == "POST" and path == f"/{GRAPH_VERSION}/{self.creds.phone_number_id}/media":
            return self._whatsapp_media(headers, body)
        if method != "POST" or path != f"/{GRAPH_VERSION}/{self.creds.phone_number_id}/messages":
            return graph_error("Unsupported post request. Object with ID does not exist", 100)
        if headers.get("authorization") != f"Bearer {self.creds.token}":
            return graph_error("Invalid OAuth access token - Cannot parse access token", 190, 401)
        if not isinstance(body, dict) or body.get("messaging_product") != "whatsapp":
            return graph_error("(#100) The parameter messaging_product is required.", 100)

        def invalid(details: str) -> tuple[int, Any]:
            return graph_error(
                "(#100) Invalid parameter",
                100,
                error_data={"messaging_product": "whatsapp", "details": details},
            )

        if "status" in body:
            if body.get("status") != "read" or not str(body.get("message_id", "")).startswith(
                "wamid."
            ):
                return invalid("Param status must be 'read' with a valid message_id")
            typing = body.get("typing_indicator")
            if typing is not None and typing != {"type": "text"}:
                return invalid("Param typing_indicator['type'] must be 'text'")
            return 200, {"success": True}
        kind = body.get("type")
        if kind == "template":
            template = body.get("template") or {}
            if not template.get("name") or not (template.get("language") or {}).get("code"):
                return invalid("Param template['name'] and template['language']['code'] are "
                               "required")
            for component in template.get("components") or []:
                for parameter in component.get("parameters") or []:
                    if parameter.get("type") != "text" or not parameter.get("text"):
                        return invalid("Param template['components'][0]['parameters'] invalid")
        elif kind == "text":
            problem = self._check_text(body.get("text", {}).get("body"))
            if problem == "long":
                return invalid(f"Param text['body'] must be at most {self.limit} characters long.")
            if problem:
                return invalid("Param text['body'] is required")
        elif kind == "interactive":
            interactive = body.get("interactive", {})
            text = interactive.get("body", {}).get("text", "")
            if not text or len(text) > 1024:
                return invalid("Param interactive['body']['text'] must be at most 1024 characters")
            buttons = interactive.get("action", {}).get("buttons", [])
            if not 1 <= len(buttons) <= 3:
                return invalid("Param interactive['action']['buttons'] must have 1-3 items")
            if any(len(b["reply"]["title"]) > 20 for b in buttons):
                return invalid("Button title length invalid. Max 20 characters")
        elif kind == "image":
            image = body.get("image") or {}
            if "id" in image and str(image["id"]) not in self.media_ids:
                return graph_error("(#131053) Media upload error", 131053, error_data={
                    "messaging_product": "whatsapp", "details": "Unknown media id"})
            if not image.get("id") and not image.get("link"):
                return invalid("Param image['id'] or image['link'] is required")
        else:
            return invalid(f"Param type {kind!r} is invalid")
        to = body.get("to")
        return 200, {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": to}],
            "messages": [{"id": "wamid." + uuid.uuid4().hex}],
        }

    def _whatsapp_media(self, headers: dict[str, str], body: Any) -> tuple[int, Any]:
        """``POST /{phone-number-id}/media``: multipart messaging_product, type, file."""
        if headers.get("authorization") != f"Bearer {self.creds.token}":
            return graph_error("Invalid OAuth access token - Cannot parse access token", 190, 401)
        file = uploaded(body, "file")
        if not isinstance(body, dict) or body.get("messaging_product") != "whatsapp" or not file:
            return graph_error("(#100) The parameters messaging_product and file are required.",
                               100)
        kind = image_type(file["data"])
        if kind not in ("image/jpeg", "image/png") or body.get("type") != kind:
            return graph_error("(#131053) Media upload error", 131053, error_data={
                "messaging_product": "whatsapp",
                "details": f"Unsupported or mismatched media type {body.get('type')!r}"})
        media_id = str(next(self._ids) + 700_000_000_000_000)
        self.media_ids.add(media_id)
        return 200, {"id": media_id}

    def _x(self, req: Request) -> tuple[int, Any]:
        method, path, query, headers, body, host = req
        if path in X_SIGNALS:
            uri = f"http://{host}{path}?{urlencode(query)}"
            if method != "POST" or not self._oauth_ok(headers.get("authorization", ""), uri):
                return 401, {"errors": [{"code": 32, "message": "Could not authenticate you."}]}
            if not query.get("recipient_id") or not all(query.get(p) for p in X_SIGNALS[path]):
                return 400, {"errors": [{"code": 214, "message": "Missing parameter."}]}
            return 204, None
        if path == "/2/media/upload":
            return self._x_media(method, path, headers, body, host)
        parts = path.strip("/").split("/")
        if (
            method != "POST"
            or len(parts) != 5
            or parts[:3] != ["2", "dm_conversations", "with"]
            or parts[4] != "messages"
        ):
            return x_problem(404, "Not Found Error", f"Could not find {path}")
        if not self._oauth_ok(headers.get("authorization", ""), f"http://{host}{path}"):
            return x_problem(401, "Unauthorized")
        attachments = body.get("attachments") if isinstance(body, dict) else None
        if attachments is not None:
            ids = [a.get("media_id") for a in attachments if isinstance(a, dict)]
            if len(ids) != 1 or not all(str(i) in self.media_ids for i in ids):
                return x_problem(400, "Invalid Request", "attachments: unknown media_id")
        problem = self._check_text(body.get("text") if isinstance(body, dict) else None)
        if problem and not (attachments and "text" not in body):
            detail = "One or more parameters to your request was invalid."
            return 400, {
                "errors": [
                    {
                        "parameters": {"text": [str(body)[:50]]},
                        "message": f"text length must be 1-{self.limit}",
                    }
                ],
                "title": "Invalid Request",
                "detail": detail,
                "type": "https://api.twitter.com/2/problems/invalid-request",
            }
        return 201, {
            "data": {"dm_conversation_id": f"{parts[3]}-1", "dm_event_id": uuid.uuid4().hex}
        }

    def _x_media(self, method: str, path: str, headers: dict[str, str], body: Any,
                 host: str) -> tuple[int, Any]:
        """``POST /2/media/upload`` (one-shot): multipart ``media``, ``media_category``."""
        if method != "POST" or not self._oauth_ok(headers.get("authorization", ""),
                                                  f"http://{host}{path}"):
            return x_problem(401, "Unauthorized")
        media = uploaded(body, "media")
        category = body.get("media_category") if isinstance(body, dict) else None
        kind = image_type(media["data"]) if media else None
        if kind is None or category not in ("dm_image", "dm_gif") or (
                (category == "dm_gif") != (kind == "image/gif")):
            return x_problem(400, "Invalid Request", "media / media_category invalid")
        media_id = str(next(self._ids) + 1_880_000_000_000_000_000)
        self.media_ids.add(media_id)
        return 200, {"data": {"id": media_id, "media_key": "3_" + media_id,
                              "size": len(media["data"]) if media else 0,
                              "expires_after_secs": 86400}}

    def _oauth_ok(self, header: str, uri: str) -> bool:
        """Verify an OAuth 1.0a HMAC-SHA1 ``Authorization`` header for ``POST uri``."""
        if not header.startswith("OAuth "):
            return False
        params = {}
        for item in header[len("OAuth ") :].split(","):
            key, _, value = item.strip().partition("=")
            params[key] = value.strip('"')
        params = {k: unquote(v) for k, v in params.items()}
        if (
            params.get("oauth_consumer_key") != self.creds.consumer_key
            or params.get("oauth_token") != self.creds.access_token
        ):
            return False
        client = OAuth1Client(
            self.creds.consumer_key,
            client_secret=self.creds.consumer_secret,
            resource_owner_key=self.creds.access_token,
            resource_owner_secret=self.creds.access_token_secret,
            nonce=params.get("oauth_nonce"),
            timestamp=params.get("oauth_timestamp"),
        )
        _, signed, _ = client.sign(uri, http_method="POST")
        expected = dict(
            (k, unquote(v.strip('"')))
            for k, _, v in (
                i.strip().partition("=") for i in signed["Authorization"][6:].split(",")
            )
        )
        return expected.get("oauth_signature") == params.get("oauth_signature")

    def _telegram(self, req: Request) -> tuple[int, Any]:
        _, path, _, _, body, _ = req
        prefix = f"/bot{self.creds.token}/"
        if not path.startswith("/bot"):
            return telegram_error(404, "Not Found")
        if not path.startswith(prefix):
            return telegram_error(401, "Unauthorized")
        api_method = path[len(prefix) :]
        if (
            not isinstance(body, dict)
            or "chat_id" not in body
            and api_method != "answerCallbackQuery"
        ):
            return telegram_error(400, "Bad Request: chat_id is empty")
        if api_method == "sendMessage":
            problem = self._check_text(body.get("text"))
            if problem == "long":
                return telegram_error(400, "Bad Request: message is too long")
            if problem:
                return telegram_error(400, "Bad Request: message text is empty")
            for row in body.get("reply_markup", {}).get("inline_keyboard", []):
                for button in row:
                    data = button.get("callback_data")
                    if data is not None and not 1 <= len(data.encode("utf-8")) <= 64:
                        return telegram_error(400, "Bad Request: BUTTON_DATA_INVALID")
        elif api_method == "answerCallbackQuery":
            return 200, {"ok": True, "result": True}
        elif api_method == "sendChatAction":
            if body.get("action") not in CHAT_ACTIONS:
                return telegram_error(400, "Bad Request: wrong parameter action in request")
            return 200, {"ok": True, "result": True}
        elif api_method in ("sendPhoto", "sendAnimation"):
            field = "photo" if api_method == "sendPhoto" else "animation"
            file = uploaded(body, field)
            if file is not None:
                if image_type(file["data"]) is None:
                    return telegram_error(400, "Bad Request: IMAGE_PROCESS_FAILED")
            elif not isinstance(body.get(field), str) or not body.get(field):
                return telegram_error(400, f"Bad Request: there is no {field} in the request")
        else:
            return telegram_error(404, "Not Found")
        result = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": {"id": int(body["chat_id"]), "type": "private"},
        }
        return 200, {"ok": True, "result": result}

    def scripted(self, kind: str, status: int, seconds: float) -> tuple[int, Any, dict[str, str]]:
        """The platform-shaped answer for a scripted failure."""
        p = self.platform
        if kind == "window":  # a send outside the platform's reply window
            if p == "whatsapp":
                return (*graph_error("(#131047) Re-engagement message", 131047, error_data={
                    "messaging_product": "whatsapp",
                    "details": "Message failed to send because more than 24 hours have passed "
                               "since the customer last replied to this number."}), {})
            subcode = 2534022 if p == "instagram" else 2018278
            return (*graph_error("(#10) This message is sent outside of allowed window.", 10,
                                 error_subcode=subcode), {})
        if kind == "throttle":
            if p == "telegram":  # Telegram says it in the body only
                return (
                    *telegram_error(
                        429,
                        f"Too Many Requests: retry after {int(seconds)}",
                        parameters={"retry_after": seconds},
                    ),
                    {},
                )
            if p == "x":  # X says when the window resets (epoch seconds)
                reset = str(int(time.time() + seconds + 0.999))
                return (
                    *x_problem(429, "Too Many Requests"),
                    {"x-rate-limit-reset": reset, "x-rate-limit-remaining": "0"},
                )
            code = 130429 if p == "whatsapp" else 613
            return (
                *graph_error("(#613) Calls to this api have exceeded the rate limit.", code, 429),
                {"Retry-After": str(int(seconds))},
            )
        if p == "telegram":
            return (
                *telegram_error(
                    status,
                    "Internal Server Error"
                    if status >= 500
                    else "Forbidden: bot was blocked by the user",
                ),
                {},
            )
        if p == "x":
            return (*x_problem(status, "Service Unavailable" if status >= 500 else "Forbidden"), {})
        if status >= 500:
            return (
                *graph_error(
                    "An unexpected error has occurred. Please retry your request " "later.",
                    2,
                    status,
                    is_transient=True,
                ),
                {},
            )
        return (
            *graph_error(
                "(#10) This message is sent outside of allowed window.",
                10,
                status,
                error_subcode=2018278,
            ),
            {},
        )
