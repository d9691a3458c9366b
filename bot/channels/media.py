"""Fetching what followers send (images, video, audio, files) for the workspace, with the
platform's credentials, so the agent's browser never sees a token.

================  ========================================================================
platform          how the bytes are fetched (``MediaFetcher.fetch``)
================  ========================================================================
WhatsApp          ``GET {base}/{media_id}`` (Bearer) → ``{"url", "mime_type", "file_size"}``,
                  then ``GET url`` with the same Bearer token
Telegram          ``GET {base}/bot{token}/getFile?file_id=…`` → ``file_path``, then
                  ``GET {base}/file/bot{token}/{file_path}``
Messenger,        the attachment's CDN URL (``*.fbcdn.net``, ``*.fbsbx.com``,
Instagram         ``*.cdninstagram.com``), no token
X                 the ``media_url_https`` (``*.twimg.com``, ``ton.twitter.com``), signed
                  with OAuth 1.0a (``ton.twitter.com`` requires it)
================  ========================================================================

Hostile by default: only the platforms' own hosts are fetched (plus the channel's configured API
host, where a test server stands in), never a URL a REST or web-chat follower typed (no server-side
request forgery); no redirects are followed; the body is streamed and cut at ``max_bytes``
(10 MB: ``MediaTooLarge``); only the content types of :data:`CONTENT_TYPES` are passed on
(``MediaUnsupported``). Errors never carry a URL (Telegram's has the bot token in its path).
"""

from __future__ import annotations

import logging
import mimetypes
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from bot.channels.signals import PlatformSignals

logger = logging.getLogger(__name__)

MAX_BYTES = 10 * 1024 * 1024
CONTENT_TYPES = frozenset({
    "image/jpeg", "image/png", "image/gif", "image/webp",
    "video/mp4", "video/3gpp", "video/quicktime",
    "audio/ogg", "audio/mpeg", "audio/mp4", "audio/aac", "audio/amr", "audio/opus",
    "audio/wav", "application/pdf", "text/plain",
})
PLATFORM_HOSTS: dict[str, tuple[str, ...]] = {
    "messenger": ("fbcdn.net", "fbsbx.com"),
    "instagram": ("fbcdn.net", "fbsbx.com", "cdninstagram.com"),
    "whatsapp": ("fbsbx.com", "fbcdn.net", "whatsapp.net"),
    "x": ("twimg.com", "ton.twitter.com"),
    "telegram": ("api.telegram.org",),
}
MEDIA_ID = re.compile(r"^[A-Za-z0-9_.:=-]{1,512}$")
TIMEOUT = (3.0, 20.0)


class MediaError(Exception):
    """Media that cannot be shown: ``status`` / ``code`` / ``message`` for the API."""

    status = 502
    code = "media_unavailable"
    message = "The platform did not give this attachment."

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail or self.message)


class MediaNotFound(MediaError):
    status, code = 404, "not_found"
    message = "This message has no attachment that can be fetched."


class MediaTooLarge(MediaError):
    status, code = 413, "too_large"
    message = f"The attachment is larger than {MAX_BYTES // (1024 * 1024)} MB; open it on the " \
              "platform."


class MediaUnsupported(MediaError):
    status, code = 415, "unsupported_media"
    message = "This kind of attachment cannot be shown in the workspace; open it on the platform."


class MediaUnavailable(MediaError):
    """The platform refused, timed out, or is not configured here."""


@dataclass(frozen=True)
class Media:
    """Fetched bytes and their (allowed) content type."""

    content_type: str
    body: bytes


def _type(value: str | None) -> str:
    return (value or "").split(";", 1)[0].strip().lower()


def _host_allowed(url: str, allowed: tuple[str, ...], extra_origin: str) -> bool:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if extra_origin and f"{parts.scheme}://{parts.netloc}" == extra_origin:
        return True
    if parts.scheme != "https" or not host:
        return False
    return any(host == h or host.endswith("." + h) for h in allowed)


def _origin(api_base: str) -> str:
    parts = urlsplit(api_base)
    return f"{parts.scheme}://{parts.netloc}"


class MediaFetcher:
    """Fetches one attachment of a follower message (blocking; run it in a thread)."""

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        max_bytes: int = MAX_BYTES,
        session_factory: Callable[[], requests.Session] = requests.Session,
    ) -> None:
        self._settings = PlatformSignals(env)
        self.max_bytes = max_bytes
        self._session_factory = session_factory

    def fetch(self, channel: str, attachment: Mapping[str, Any]) -> Media:
        """The bytes of ``attachment`` (an entry of a follower message's ``attachments``)."""
        s = self._settings.settings_for(channel)
        if s is None:
            if channel in PLATFORM_HOSTS:
                raise MediaUnavailable(f"{channel} is not configured in the workspace")
            raise MediaNotFound(f"no media on {channel}")
        session = self._session_factory()
        try:
            if channel == "whatsapp":
                return self._whatsapp(session, s, attachment)
            if channel == "telegram":
                return self._telegram(session, s, attachment)
            return self._by_url(session, s, channel, attachment)
        except requests.RequestException as exc:
            raise MediaUnavailable(f"{channel}: {type(exc).__name__}") from None
        finally:
            session.close()

    # -- per platform ------------------------------------------------------------------------

    def _media_id(self, attachment: Mapping[str, Any]) -> str:
        media_id = attachment.get("media_id")
        if not isinstance(media_id, str) or not MEDIA_ID.match(media_id):
            raise MediaNotFound("no media id")
        return media_id

    def _whatsapp(self, session: requests.Session, s: Any,
                  attachment: Mapping[str, Any]) -> Media:
        auth = {"Authorization": f"Bearer {s.access_token}"}
        meta = session.get(f"{s.api_base}/{self._media_id(attachment)}", headers=auth,
                           timeout=TIMEOUT, allow_redirects=False)
        if meta.status_code == 404:
            raise MediaNotFound("expired or unknown media id")
        info = self._json(meta, "whatsapp")
        url = info.get("url")
        if not isinstance(url, str) or not _host_allowed(url, PLATFORM_HOSTS["whatsapp"],
                                                         _origin(s.api_base)):
            raise MediaUnavailable("whatsapp: media URL on an unexpected host")
        size = info.get("file_size")
        if isinstance(size, int) and size > self.max_bytes:
            raise MediaTooLarge()
        return self._download(session, url, headers=auth, declared=_type(info.get("mime_type")))

    def _telegram(self, session: requests.Session, s: Any,
                  attachment: Mapping[str, Any]) -> Media:
        base = f"{s.api_base}/bot{s.bot_token}"
        meta = session.get(f"{base}/getFile", params={"file_id": self._media_id(attachment)},
                           timeout=TIMEOUT, allow_redirects=False)
        info = self._json(meta, "telegram")
        found = info.get("result")
        result: dict[str, Any] = found if isinstance(found, dict) else {}
        path = result.get("file_path")
        if not isinstance(path, str) or not path or ".." in path or path.startswith("/"):
            raise MediaUnavailable("telegram: no file path (files over 20 MB are not served)")
        size = result.get("file_size")
        if isinstance(size, int) and size > self.max_bytes:
            raise MediaTooLarge()
        guessed = _type(mimetypes.guess_type(path)[0])
        if path.endswith(".oga"):
            guessed = "audio/ogg"
        return self._download(session, f"{s.api_base}/file/bot{s.bot_token}/{path}",
                              declared=guessed, prefer_declared=True)

    def _by_url(self, session: requests.Session, s: Any, channel: str,
                attachment: Mapping[str, Any]) -> Media:
        url = attachment.get("url")
        if not isinstance(url, str) or not url:
            raise MediaNotFound("no URL")
        if not _host_allowed(url, PLATFORM_HOSTS.get(channel, ()), _origin(s.api_base)):
            raise MediaNotFound(f"{channel}: not a platform media URL")
        auth = None
        if channel == "x":
            from requests_oauthlib import OAuth1

            auth = OAuth1(s.consumer_key, s.consumer_secret, s.access_token,
                          s.access_token_secret)
        return self._download(session, url, auth=auth)

    # -- shared --------------------------------------------------------------------------------

    @staticmethod
    def _json(response: requests.Response, channel: str) -> dict[str, Any]:
        if response.status_code >= 400:
            raise MediaUnavailable(f"{channel}: HTTP {response.status_code}")
        try:
            data = response.json()
        except ValueError:
            raise MediaUnavailable(f"{channel}: not JSON") from None
        if not isinstance(data, dict):
            raise MediaUnavailable(f"{channel}: unexpected answer")
        return data

    def _download(self, session: requests.Session, url: str, *,
                  headers: dict[str, str] | None = None, auth: Any = None,
                  declared: str = "", prefer_declared: bool = False) -> Media:
        with session.get(url, headers=headers, auth=auth, timeout=TIMEOUT, stream=True,
                         allow_redirects=False) as response:
            if response.status_code == 404:
                raise MediaNotFound("gone from the platform")
            if response.status_code >= 300:
                raise MediaUnavailable(f"download: HTTP {response.status_code}")
            given = _type(response.headers.get("Content-Type"))
            content_type = declared if (prefer_declared or not given or
                                        given == "application/octet-stream") and declared \
                else given
            if content_type not in CONTENT_TYPES:
                raise MediaUnsupported(content_type or "no content type")
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > self.max_bytes:
                raise MediaTooLarge()
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > self.max_bytes:
                    raise MediaTooLarge()
                chunks.append(chunk)
        return Media(content_type, b"".join(chunks))
