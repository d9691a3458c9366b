"""Outbound HTTP to the platforms' send APIs: timeouts, retries, rate limits, message splitting.

``SendClient`` posts JSON with a (connect 3 s, read 10 s) timeout and retries with exponential
backoff plus jitter on 5xx and network errors (at most 4 attempts). A 429 (or a platform-specific
throttle signalled in the body, see ``ThrottleHook``) waits the time the platform asks for, capped:
when the platform asks for longer than the cap we give up at once instead of retrying early. Other
4xx answers are permanent. Every failure ends in ``DeliveryFailed``, which never contains the
request URL (it carries tokens for some platforms).

Sends are blocking (``requests``); async callers run them on ``send_executor()`` threads so the
Sanic event loop never waits on a platform.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import logging
import random
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any, TypeVar

import requests

from bot.channels.windows import WINDOW_CLOSED, is_window_refusal

logger = logging.getLogger(__name__)

T = TypeVar("T")

ThrottleHook = Callable[[requests.Response], "float | None"]
"""Returns a delay in seconds when a response means "slow down" (0: use backoff), else None."""

Measure = Callable[[str], int]

CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 10.0
MAX_ATTEMPTS = 4
RETRY_AFTER_CAP = 30.0

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


class DeliveryFailed(Exception):
    """A message could not be delivered to the platform after the retries allowed."""

    def __init__(
        self,
        channel: str,
        detail: str,
        *,
        status: int | None = None,
        attempts: int = 1,
        reason: str = "",
    ) -> None:
        self.channel = channel
        self.detail = detail
        self.status = status
        self.attempts = attempts
        self.reason = reason
        """Why, when the platform said so in a way we recognise (``reply_window_closed``)."""
        super().__init__(str(self))

    def __str__(self) -> str:
        status = f"HTTP {self.status}" if self.status is not None else "no HTTP response"
        return f"{self.channel}: {self.detail} ({status}, {self.attempts} attempt(s))"


def send_executor() -> ThreadPoolExecutor:
    """The shared thread pool for blocking sends (built on first use)."""
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=16, thread_name_prefix="carebot-send")
        return _executor


async def run_blocking(fn: Callable[..., T], *args: Any) -> T:
    """Run a blocking call on the send executor without blocking the event loop."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(send_executor(), functools.partial(fn, *args))


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    current = datetime.fromtimestamp(now if now is not None else time.time(), tz=timezone.utc)
    return max(0.0, (when - current).total_seconds())


def describe_error(response: requests.Response) -> str:
    """A short, token-free description of a platform's error answer."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:300] or response.reason or "error"
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and error.get("message"):
            code = error.get("code")
            return f"{error['message']} (code {code})" if code is not None else error["message"]
        for key in ("description", "detail", "title", "message"):
            if isinstance(body.get(key), str):
                return str(body[key])
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return str(errors[0].get("message", errors[0]))
    return str(body)[:300]


def refusal_reason(channel: str, response: requests.Response) -> str:
    """``reply_window_closed`` when a 4xx refuses the send for the platform's reply window."""
    try:
        body = response.json()
    except ValueError:
        return ""
    return WINDOW_CLOSED if is_window_refusal(channel, body) else ""


class SendClient:
    """Posts to one platform's send API with timeouts, retries and rate-limit handling."""

    def __init__(
        self,
        channel: str,
        *,
        connect_timeout: float = CONNECT_TIMEOUT,
        read_timeout: float = READ_TIMEOUT,
        max_attempts: int = MAX_ATTEMPTS,
        backoff_base: float = 0.5,
        backoff_cap: float = 8.0,
        retry_after_cap: float = RETRY_AFTER_CAP,
        throttle_hook: ThrottleHook | None = None,
        sleep: Callable[[float], None] = time.sleep,
        session_factory: Callable[[], requests.Session] = requests.Session,
    ) -> None:
        self.channel = channel
        self.timeout = (connect_timeout, read_timeout)
        self.max_attempts = max(1, max_attempts)
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.retry_after_cap = retry_after_cap
        self.throttle_hook = throttle_hook
        self._sleep = sleep
        self._session_factory = session_factory
        self._local = threading.local()

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = self._session_factory()
            self._local.session = session
        return session

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter for the wait after ``attempt`` (1-based)."""
        ceiling = min(self.backoff_cap, self.backoff_base * (2 ** (attempt - 1)))
        return random.uniform(ceiling / 2, ceiling)

    def _throttle_delay(self, response: requests.Response) -> float | None:
        if response.status_code in (429, 503):
            delay = parse_retry_after(response.headers.get("Retry-After"))
            if delay is not None:
                return delay
        if self.throttle_hook is not None:
            return self.throttle_hook(response)
        return None

    def post_json(
        self,
        url: str,
        payload: Any,
        *,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        auth: Any = None,
    ) -> Any:
        """POST ``payload`` as JSON; return the decoded answer (None if not JSON).

        Raises:
            DeliveryFailed: on a permanent error, or when retries are exhausted.
        """
        return self._post(url, {"json": payload}, params=params, headers=headers, auth=auth)

    def post_multipart(
        self,
        url: str,
        fields: dict[str, str],
        files: dict[str, tuple[str, bytes, str]],
        *,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        auth: Any = None,
    ) -> Any:
        """POST ``fields`` and ``files`` (name -> (filename, bytes, content type)) as
        ``multipart/form-data`` (media uploads), with the same retries as :meth:`post_json`."""
        return self._post(url, {"data": fields, "files": files}, params=params,
                          headers=headers, auth=auth)

    def _post(
        self,
        url: str,
        body: dict[str, Any],
        *,
        params: dict[str, str] | None,
        headers: dict[str, str] | None,
        auth: Any,
    ) -> Any:
        attempt = 0
        while True:
            attempt += 1
            last = attempt >= self.max_attempts
            try:
                response = self._session().post(
                    url,
                    **body,
                    params=params,
                    headers=headers,
                    auth=auth,
                    timeout=self.timeout,
                )
            except requests.RequestException as exc:
                detail = f"network error: {type(exc).__name__}"
                if last:
                    raise DeliveryFailed(self.channel, detail, attempts=attempt) from None
                delay = self.backoff(attempt)
                logger.warning(
                    "%s send failed (%s); retrying in %.1fs", self.channel, detail, delay
                )
                self._sleep(delay)
                continue

            status = response.status_code
            if 200 <= status < 300:
                try:
                    return response.json()
                except ValueError:
                    return None
            detail = describe_error(response)
            throttle = self._throttle_delay(response)
            if throttle is not None or status == 429:
                delay = throttle if throttle else self.backoff(attempt)
                if delay > self.retry_after_cap:
                    raise DeliveryFailed(
                        self.channel,
                        f"rate limited, platform asks to wait {delay:.0f}s: {detail}",
                        status=status,
                        attempts=attempt,
                    )
            elif status >= 500:
                delay = self.backoff(attempt)
            else:
                raise DeliveryFailed(self.channel, detail, status=status, attempts=attempt,
                                     reason=refusal_reason(self.channel, response))
            if last:
                raise DeliveryFailed(self.channel, detail, status=status, attempts=attempt)
            logger.warning(
                "%s send got HTTP %s (%s); retrying in %.1fs", self.channel, status, detail, delay
            )
            self._sleep(delay)


# --- message splitting -----------------------------------------------------------------------

_LEVELS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\n[ \t]*\n\s*"), "\n\n"),  # paragraphs
    (re.compile(r"\n"), "\n"),  # lines
    (re.compile(r"(?<=[.!?…。！？])\s+"), " "),  # sentences
    (re.compile(r"\s+"), " "),  # words
]


def utf8_len(text: str) -> int:
    """Length in UTF-8 bytes (Instagram counts bytes)."""
    return len(text.encode("utf-8"))


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units (Telegram counts these)."""
    return len(text.encode("utf-16-le")) // 2


def _hard_cut(text: str, limit: int, measure: Measure) -> list[str]:
    parts: list[str] = []
    current = ""
    for char in text:
        if current and measure(current + char) > limit:
            parts.append(current)
            current = ""
        current += char
    if current:
        parts.append(current)
    return parts


def _split(text: str, limit: int, measure: Measure, level: int) -> list[str]:
    if measure(text) <= limit:
        return [text]
    if level >= len(_LEVELS):
        return _hard_cut(text, limit, measure)
    pattern, joiner = _LEVELS[level]
    out: list[str] = []
    current = ""
    for piece in (p.strip() for p in pattern.split(text)):
        if not piece:
            continue
        if measure(piece) > limit:
            if current:
                out.append(current)
                current = ""
            out.extend(_split(piece, limit, measure, level + 1))
            continue
        candidate = f"{current}{joiner}{piece}" if current else piece
        if measure(candidate) <= limit:
            current = candidate
        else:
            out.append(current)
            current = piece
    if current:
        out.append(current)
    return out


def split_message(text: str, limit: int, measure: Measure = len) -> list[str]:
    """Split ``text`` into parts of at most ``limit`` (as counted by ``measure``).

    Breaks on paragraph, then line, then sentence, then word boundaries; a word is cut only
    when it is longer than the limit by itself. Returns ``[]`` for blank text.
    """
    if limit <= 0:
        raise ValueError("limit must be positive")
    text = text.strip()
    if not text:
        return []
    return _split(text, limit, measure, 0)
