"""bench/own_faq_bench.py reads every user text of the conversation tests."""

from __future__ import annotations

from pathlib import Path

from bench.own_faq_bench import story_texts


def test_story_texts_lists_every_user_step_by_file(tmp_path: Path) -> None:
    (tmp_path / "a.yml").write_text(
        'version: "3.1"\nstories:\n- story: one\n  steps:\n  - user: |\n      where is my order\n'
        "    intent: faq/track_order\n  - action: action_respond\n  - user: thanks\n"
        "    intent: thanks\n  - action: action_respond\n"
    )
    (tmp_path / "b.yml").write_text('version: "3.1"\nstories: []\n')
    assert story_texts(tmp_path) == [("a.yml", "where is my order"), ("a.yml", "thanks")]


def test_the_project_stories_are_found() -> None:
    rows = story_texts(Path(__file__).resolve().parents[1] / "stories")
    files = {name for name, _ in rows}
    assert {"test_faq.yml", "test_handoff.yml", "test_smalltalk.yml"} <= files
    assert all(text for _, text in rows)
