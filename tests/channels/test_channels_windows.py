"""Reply windows (bot/channels/windows.py) and approved WhatsApp templates
(bot/channels/templates.py): pure rules, no I/O."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.channels import templates
from bot.channels.windows import (
    CLOSED,
    DAY,
    HOUR,
    HUMAN_AGENT,
    OPEN,
    TEMPLATES_ONLY,
    UNKNOWN,
    UNLIMITED,
    is_window_refusal,
    reply_window,
)

T0 = 1_700_000_000.0


@pytest.mark.parametrize("channel", ["messenger", "instagram"])
def test_meta_window_open_then_human_agent_tag_then_closed(channel: str) -> None:
    w = reply_window(channel, T0, T0 + 23 * HOUR)
    assert (w.state, w.tag, w.seconds_left, w.closes_at) == (OPEN, None, HOUR, T0 + DAY)
    assert w.can_send_text and "1h 00m left" in w.to_dict()["message"]

    w = reply_window(channel, T0, T0 + DAY)  # exactly 24 h: free-form is over
    assert (w.state, w.tag, w.closes_at, w.seconds_left) == (
        HUMAN_AGENT, "HUMAN_AGENT", T0 + 7 * DAY, 6 * DAY)
    assert w.can_send_text and "human-agent tag for 6d 0h" in w.to_dict()["message"]

    w = reply_window(channel, T0, T0 + 7 * DAY + 1)
    assert (w.state, w.tag, w.seconds_left) == (CLOSED, None, 0.0)
    assert not w.can_send_text and "7-day" in w.to_dict()["message"]


def test_whatsapp_window_then_templates_only() -> None:
    w = reply_window("whatsapp", T0, T0 + 10 * 60)
    assert (w.state, w.templates, w.seconds_left) == (OPEN, True, DAY - 600)
    w = reply_window("whatsapp", T0, T0 + DAY + 1)
    assert (w.state, w.tag, w.can_send_text, w.templates) == (TEMPLATES_ONLY, None, False, True)
    assert "approved template" in w.to_dict()["message"]


@pytest.mark.parametrize("channel", ["telegram", "x", "rest", "socketio"])
def test_channels_without_a_window(channel: str) -> None:
    w = reply_window(channel, T0, T0 + 30 * DAY)
    assert (w.state, w.seconds_left, w.can_send_text) == (UNLIMITED, None, True)


def test_unknown_last_message_does_not_block() -> None:
    w = reply_window("whatsapp", None, T0)
    assert (w.state, w.can_send_text, w.closes_at) == (UNKNOWN, True, None)


def test_platform_refusals_are_recognised() -> None:
    def graph(code: int, subcode: int | None = None) -> dict[str, object]:
        error: dict[str, object] = {"message": "x", "type": "OAuthException", "code": code}
        if subcode is not None:
            error["error_subcode"] = subcode
        return {"error": error}

    assert is_window_refusal("messenger", graph(10, 2018278))
    assert is_window_refusal("instagram", graph(10, 2534022))
    assert is_window_refusal("whatsapp", graph(131047))
    assert not is_window_refusal("messenger", graph(10))  # a permission error, not the window
    assert not is_window_refusal("messenger", graph(613))
    assert not is_window_refusal("whatsapp", graph(131026))  # undeliverable, not the window
    assert not is_window_refusal("telegram", graph(131047))
    assert not is_window_refusal("whatsapp", ["not", "an", "object"])
    assert not is_window_refusal("whatsapp", {"error": {"code": "nope"}})


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "templates.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_templates_load_render_and_payload(tmp_path: Path) -> None:
    path = write(tmp_path, """
templates:
  - name: care_follow_up
    language: en_US
    description: Follow up
    body: "Hi {{1}}, about your order: {{2}}"
  - name: care_reopen
    language: es
    body: "¿Sigues necesitando ayuda?"
""")
    found = templates.load(path)
    assert [(t.name, t.language, t.params) for t in found] == [
        ("care_follow_up", "en_US", 2), ("care_reopen", "es", 0)]
    chosen = templates.find(found, "care_follow_up")
    params = chosen.check_params([" Ana ", "it ships today."])
    assert chosen.render(params) == "Hi Ana, about your order: it ships today."
    assert chosen.payload(params) == {
        "name": "care_follow_up", "language": {"code": "en_US"},
        "components": [{"type": "body", "parameters": [
            {"type": "text", "text": "Ana"}, {"type": "text", "text": "it ships today."}]}]}
    assert templates.find(found, "care_reopen", "es").payload([]) == {
        "name": "care_reopen", "language": {"code": "es"}}


def test_template_choices_are_checked(tmp_path: Path) -> None:
    found = templates.load(write(tmp_path, 'templates: [{name: a, language: en, body: "{{1}}"}]'))
    with pytest.raises(templates.TemplateError, match="approved"):
        templates.find(found, "b")
    with pytest.raises(templates.TemplateError, match="approved"):
        templates.find(found, "a", "fr")
    for bad in (["x", "y"], [], [1], "x", ["two\nlines"], ["a      b"], ["x" * 1025], ["  "]):
        with pytest.raises(templates.TemplateError):
            found[0].check_params(bad)


@pytest.mark.parametrize("text, problem", [
    ("templates: {a: 1}", "list"),
    ("templates: [{name: Bad-Name, language: en, body: hi}]", "name"),
    ("templates: [{name: a, language: english, body: hi}]", "language"),
    ("templates: [{name: a, language: en, body: ''}]", "body"),
    ('templates: [{name: a, language: en, body: "{{2}}"}]', "placeholders"),
    ("templates: [{name: a, language: en, body: x}, {name: a, language: en, body: y}]",
     "twice"),
    ("templates: [: :", "YAML"),
])
def test_malformed_template_files_are_refused(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(templates.TemplateError, match=problem):
        templates.load(write(tmp_path, text))


def test_no_file_no_templates(tmp_path: Path) -> None:
    assert templates.load(tmp_path / "missing.yml") == []
    assert templates.load(write(tmp_path, "# nothing yet\n")) == []


def test_the_shipped_templates_file_is_valid() -> None:
    shipped = Path(__file__).resolve().parents[2] / "config" / "whatsapp_templates.yml"
    assert [t.name for t in templates.load(shipped)] == ["care_follow_up", "care_reopen"]
