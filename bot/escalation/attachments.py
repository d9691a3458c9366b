"""Follower-supplied ``attachments``, normalised before they reach a decision, a ticket or the
console.

The channels build ``attachments`` themselves (``docs/channels.md``), but a REST or socket.io
follower can put anything in a message's ``metadata``: a string, ten thousand entries, objects
with made-up keys, ``javascript:`` URLs. :func:`normalise_attachments` keeps at most
:data:`MAX_ATTACHMENTS` objects, each ``{"type", "url"?, "media_id"?, "emoji"?}`` with bounded
text values (an unknown ``type`` becomes ``other``; a URL must be http(s)); anything else is
dropped. Applied where metadata enters a decision or a ticket (``bot.escalation.decision``,
``bot.escalation.handoff``), whichever channel it came from.
"""

from __future__ import annotations

from typing import Any, Mapping

MAX_ATTACHMENTS = 10
MAX_VALUE_CHARS = 2048
MAX_EMOJI_CHARS = 32
KINDS = frozenset({"image", "video", "audio", "file", "location", "sticker", "reaction",
                   "story_mention", "other"})


def _text(value: Any, limit: int) -> str | None:
    if isinstance(value, str) and 0 < len(value) <= limit:
        return value
    return None


def normalise_one(item: Mapping[str, Any]) -> dict[str, str]:
    """One attachment object with the allowed keys only."""
    kind = item.get("type")
    entry = {"type": kind if isinstance(kind, str) and kind in KINDS else "other"}
    url = _text(item.get("url"), MAX_VALUE_CHARS)
    if url and url.lower().startswith(("https://", "http://")):
        entry["url"] = url
    media_id = _text(item.get("media_id"), MAX_VALUE_CHARS)
    if media_id:
        entry["media_id"] = media_id
    emoji = _text(item.get("emoji"), MAX_EMOJI_CHARS)
    if emoji:
        entry["emoji"] = emoji
    return entry


def normalise_attachments(value: Any) -> list[dict[str, str]]:
    """``value`` (a message's ``metadata["attachments"]``) as a short list of clean objects;
    anything that is not a list of objects gives ``[]``."""
    if not isinstance(value, list):
        return []
    return [normalise_one(item) for item in value[:MAX_ATTACHMENTS * 10]
            if isinstance(item, Mapping)][:MAX_ATTACHMENTS]


def clean_metadata(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``metadata`` with its ``attachments`` (when present) normalised."""
    cleaned = dict(metadata)
    if "attachments" in cleaned:
        cleaned["attachments"] = normalise_attachments(cleaned["attachments"])
    return cleaned
