"""Platform reply windows: when may a brand still write to a follower, and how.

Pure functions (no I/O), used by the workspace to show an agent the time left on a ticket, to
pick how a reply is sent, and to recognise a platform's refusal for this reason:

* **Messenger** and **Instagram**: free-form replies (``messaging_type: RESPONSE``) for 24 hours
  after the follower's last message; from then until 7 days only with the human-agent tag
  (``messaging_type: MESSAGE_TAG, tag: HUMAN_AGENT``); after 7 days not at all until the
  follower writes again. Refused sends answer Graph error code 10 with subcode 2018278
  (Messenger) or 2534022 (Instagram).
* **WhatsApp**: free-form messages for 24 hours (the customer service window); afterwards only
  approved templates (``type: template``). A refused send answers error 131047
  ("Re-engagement message").
* **Telegram**, **X**, the web chat and REST: no window.

``reply_window(channel, last_inbound_at, now)`` gives the state; ``is_window_refusal(channel,
body)`` classifies a platform's error answer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

HOUR = 3600.0
DAY = 24 * HOUR

HUMAN_AGENT_TAG = "HUMAN_AGENT"
WINDOW_CLOSED = "reply_window_closed"
"""The reason recorded on a ticket when a platform refused a reply for its reply window."""

# channel -> (free-form seconds, tagged seconds or None, templates after the window)
RULES: dict[str, tuple[float, float | None, bool]] = {
    "messenger": (DAY, 7 * DAY, False),
    "instagram": (DAY, 7 * DAY, False),
    "whatsapp": (DAY, None, True),
}

# Graph errors meaning "outside the allowed window": (code, subcode or None for any)
_META_REFUSALS = {(10, 2018278), (10, 2534022), (10, 2018108)}
_WHATSAPP_REFUSALS = {131047}
_PLATFORM_NAMES = {"messenger": "Messenger", "instagram": "Instagram", "whatsapp": "WhatsApp"}

OPEN = "open"
"""Free-form replies allowed."""
HUMAN_AGENT = "human_agent"
"""Messenger/Instagram between 24 h and 7 d: replies go out with the human-agent tag."""
TEMPLATES_ONLY = "templates_only"
"""WhatsApp after 24 h: only approved templates."""
CLOSED = "closed"
"""Messenger/Instagram after 7 d: nothing can be sent until the follower writes."""
UNLIMITED = "unlimited"
"""The channel has no window (Telegram, X, web chat, REST)."""
UNKNOWN = "unknown"
"""A windowed channel, but no follower message is known to count from."""


@dataclass(frozen=True)
class ReplyWindow:
    """Where a conversation stands in its channel's reply window."""

    channel: str
    state: str
    last_inbound_at: float | None = None
    free_until: float | None = None
    """End of free-form replies (24 h after the last follower message)."""
    closes_at: float | None = None
    """End of the current state: free-form end when open, tag end (7 d) when tagged."""
    seconds_left: float | None = None
    """Until ``closes_at`` (0 when passed; None without a window)."""
    tag: str | None = None
    """The message tag a reply must carry now (``HUMAN_AGENT``), if any."""
    templates: bool = False
    """Whether approved templates can be sent once free-form replies are over (WhatsApp)."""

    @property
    def can_send_text(self) -> bool:
        """Whether a free-form reply (tagged or not) can be sent now."""
        return self.state in (OPEN, HUMAN_AGENT, UNLIMITED, UNKNOWN)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["can_send_text"] = self.can_send_text
        data["message"] = describe(self)
        return data


def reply_window(channel: str, last_inbound_at: float | None, now: float) -> ReplyWindow:
    """The reply window of a conversation on ``channel`` whose follower last wrote at
    ``last_inbound_at`` (unix seconds; None when unknown), at ``now``."""
    rule = RULES.get(channel)
    if rule is None:
        return ReplyWindow(channel, UNLIMITED)
    free, tagged, templates = rule
    if last_inbound_at is None:
        return ReplyWindow(channel, UNKNOWN, templates=templates)
    free_until = last_inbound_at + free
    if now < free_until:
        return ReplyWindow(channel, OPEN, last_inbound_at, free_until, free_until,
                           free_until - now, templates=templates)
    if tagged is not None:
        tag_until = last_inbound_at + tagged
        if now < tag_until:
            return ReplyWindow(channel, HUMAN_AGENT, last_inbound_at, free_until, tag_until,
                               tag_until - now, tag=HUMAN_AGENT_TAG)
        return ReplyWindow(channel, CLOSED, last_inbound_at, free_until, tag_until, 0.0)
    return ReplyWindow(channel, TEMPLATES_ONLY, last_inbound_at, free_until, free_until, 0.0,
                       templates=templates)


def _span(seconds: float) -> str:
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, int(DAY))
    hours, rest = divmod(rest, int(HOUR))
    minutes = rest // 60
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m"


def describe(window: ReplyWindow) -> str:
    """One sentence for the agent about ``window``."""
    name = _PLATFORM_NAMES.get(window.channel, window.channel)
    left = _span(window.seconds_left or 0)
    if window.state == OPEN:
        return f"{name} reply window: {left} left."
    if window.state == HUMAN_AGENT:
        return (f"The 24-hour {name} window has passed: replies go out with the human-agent "
                f"tag for {left} more.")
    if window.state == CLOSED:
        return (f"The 7-day {name} window has closed: nothing can be sent until the follower "
                "writes again.")
    if window.state == TEMPLATES_ONLY:
        return ("The 24-hour WhatsApp window has closed: only an approved template can be sent "
                "until the follower writes again.")
    if window.state == UNKNOWN:
        return f"{name} allows replies for 24 hours after the follower's last message."
    return ""


def _graph_error(body: Any) -> dict[str, Any]:
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def is_window_refusal(channel: str, body: Any) -> bool:
    """Whether ``body``, a platform's error answer, refuses a send for the reply window."""
    error = _graph_error(body)
    code, subcode = _int(error.get("code")), _int(error.get("error_subcode"))
    if channel == "whatsapp":
        return code in _WHATSAPP_REFUSALS
    if channel in ("messenger", "instagram"):
        return (code, subcode) in _META_REFUSALS
    return False


def refusal_message(channel: str) -> str:
    """What the agent is told when ``channel`` refused a reply for its window."""
    name = _PLATFORM_NAMES.get(channel, channel)
    if channel == "whatsapp":
        return ("WhatsApp refused the reply: more than 24 hours have passed since the "
                "follower's last message. Send an approved template instead.")
    return (f"{name} refused the reply: it is outside the allowed reply window. The follower "
            "has to write again first.")
