"""In-process rate limits of the Rasa server's inbound routes (``make run``; nginx's
``limit_req`` does the per-IP part in production, see ``deploy/nginx.conf``).

Two token buckets, refilled continuously:

- per client address (``CAREBOT_RATE_LIMIT_PER_IP`` requests a minute, bursts up to as many): the
  REST webhook and inbox, and every platform webhook, checked before anything else is read;
- per follower (``CAREBOT_RATE_LIMIT_PER_SENDER`` messages a minute): REST and web-chat messages,
  checked once the sender is authenticated (so nobody can use up someone else's allowance).

Over a limit the answer is 429 with ``Retry-After`` (whole seconds) and nothing else happens.
The client address is the socket's peer, or, when the peer is a trusted proxy
(``CAREBOT_TRUSTED_PROXIES``: the local proxy of ``CAREBOT_INSTANCES`` > 1, nginx), the
right-most address in ``X-Forwarded-For`` that is not a trusted proxy itself. Buckets live in
memory, one process each (several instances: each has its own), at most ``MAX_KEYS`` of them
(the least recently used are forgotten, i.e. refilled).
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.settings import get_settings

MAX_KEYS = 100_000

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class RateLimiter:
    """Token buckets keyed by a string: ``per_minute`` tokens a minute, as many at most."""

    def __init__(
        self,
        per_minute: int,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = MAX_KEYS,
    ) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def acquire(self, key: str) -> float:
        """Take one token for ``key``: 0.0 when allowed, else the seconds until one is there."""
        if self.capacity <= 0:
            return 0.0
        now = self._clock()
        with self._lock:
            tokens, stamp = self._buckets.pop(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - stamp) * self.rate)
            wait = 0.0
            if tokens >= 1.0:
                tokens -= 1.0
            else:
                wait = (1.0 - tokens) / self.rate
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        return wait


def parse_networks(spec: str) -> tuple[Network, ...]:
    """``"127.0.0.1/8, ::1"`` → networks; ``ValueError`` naming a bad entry."""
    networks = []
    for item in (part.strip() for part in spec.split(",")):
        if item:
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                raise ValueError(f"not an IP address or network: {item!r}") from None
    return tuple(networks)


def _trusted(address: str, networks: Iterable[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_address(request: Request, trusted: Iterable[Network] | None = None) -> str:
    """The client's address: the peer, or what a trusted proxy peer forwarded."""
    networks = tuple(trusted if trusted is not None else _trusted_proxies())
    peer = str(request.ip or "")
    if not _trusted(peer, networks):
        return peer
    forwarded = request.headers.get("x-forwarded-for", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            return hop[:64]
    return peer


# -- the process's limiters ----------------------------------------------------------------------

_limiters: dict[str, RateLimiter] = {}
_networks: list[tuple[Network, ...]] = []
_lock = threading.Lock()


def _trusted_proxies() -> tuple[Network, ...]:
    with _lock:
        if not _networks:
            _networks.append(parse_networks(",".join(get_settings().trusted_proxies)))
        return _networks[0]


def limiter(kind: str) -> RateLimiter:
    """The process's ``"ip"`` or ``"sender"`` limiter, sized from the settings on first use."""
    with _lock:
        found = _limiters.get(kind)
        if found is None:
            settings = get_settings()
            per_minute = (
                settings.rate_limit_per_ip if kind == "ip" else settings.rate_limit_per_sender
            )
            found = _limiters[kind] = RateLimiter(per_minute)
        return found


def reset() -> None:
    """Forget every bucket and the limits (after the settings changed; tests)."""
    with _lock:
        _limiters.clear()
        _networks.clear()


def too_many(wait: float) -> HTTPResponse:
    """429 with ``Retry-After``."""
    seconds = max(1, math.ceil(wait))
    return response.json(
        {"error": f"too many requests: retry in {seconds} s"},
        status=429,
        headers={"Retry-After": str(seconds)},
    )


def refuse_ip(request: Request) -> HTTPResponse | None:
    """429 when the request's client address is over its limit, else None (a token taken)."""
    wait = limiter("ip").acquire(client_address(request))
    return too_many(wait) if wait else None


def sender_wait(conversation: str) -> float:
    """0.0 when the follower may send one more message (a token taken), else seconds to wait."""
    return limiter("sender").acquire(conversation)
