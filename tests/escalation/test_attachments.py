"""bot/escalation/attachments.py: whatever a follower sends as ``attachments`` becomes a short
list of clean objects."""

from __future__ import annotations

from bot.escalation.attachments import MAX_ATTACHMENTS, clean_metadata, normalise_attachments


def test_channel_attachments_pass_unchanged() -> None:
    built = [{"type": "image", "url": "https://cdn.example/a.png"},
             {"type": "audio", "media_id": "wamid.1"}, {"type": "reaction", "emoji": "❤️"}]
    assert normalise_attachments(built) == built


def test_anything_else_is_dropped_or_cut() -> None:
    for junk in ("x", 42, None, {"type": "image"}, [1, "a", None, [{}]]):
        assert normalise_attachments(junk) == []
    flood = [{"type": "image"}] * 10_000
    assert normalise_attachments(flood) == [{"type": "image"}] * MAX_ATTACHMENTS
    odd = normalise_attachments([{"type": "exe", "url": "javascript:alert(1)", "x": {"y": 1},
                                  "media_id": "m" * 5000, "emoji": ["🙂"]}])
    assert odd == [{"type": "other"}]


def test_clean_metadata_touches_attachments_only() -> None:
    metadata = {"message_id": "m1", "attachments": "x", "language": "es"}
    assert clean_metadata(metadata) == {"message_id": "m1", "attachments": [], "language": "es"}
    assert clean_metadata({"message_id": "m1"}) == {"message_id": "m1"}
