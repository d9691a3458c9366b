"""The patches bench's arithmetic and instrumentation (``bench/rasa_patches_bench.py``,
``bench/rasa_patches_micro.py``): the keep/drop rule, the paired saving, call recording that
leaves the patches as they were."""

from __future__ import annotations

from typing import Any

from bench import rasa_patches_micro as micro
from bench.rasa_patches_bench import ALL_ON, configurations, paired_saving, verdicts
from bot.rasa_ext import patches


def _samples(on: list[float], off: list[float]) -> dict[str, list[dict[str, float]]]:
    return {ALL_ON: [{"rasa": v - 1, "actions": 1.0, "wall": 0.0} for v in on],
            "without X.y": [{"rasa": v - 1, "actions": 1.0, "wall": 0.0} for v in off]}


def test_the_saving_is_paired_by_round() -> None:
    saved = paired_saving(_samples([10.0, 12.0, 11.0], [11.0, 12.5, 14.0]), "without X.y")
    assert saved == {"median": 1.0, "min": 0.5, "max": 3.0}


def test_a_patch_is_kept_from_3_percent_and_0_1_ms() -> None:
    meso = {ALL_ON: {"server_cpu_ms_per_msg": 10.0}}
    samples = _samples([10.0], [10.5])
    samples["without A.b"] = [{"rasa": 9.0, "actions": 1.0, "wall": 0.0}]
    timed: dict[str, Any] = {"X.y": {"saved_ms_per_msg": 0.3}, "A.b": {"saved_ms_per_msg": 0.29}}
    result = verdicts(meso, timed, samples)
    assert result["threshold_ms_per_msg"] == 0.3
    assert result["patches"]["X.y"]["verdict"] == "keep"
    assert result["patches"]["A.b"]["verdict"] == "drop"
    assert result["patches"]["X.y"]["share_of_server_cpu"] == 0.03
    small = verdicts({ALL_ON: {"server_cpu_ms_per_msg": 2.0}}, {"X.y": {"saved_ms_per_msg": 0.09}},
                     _samples([2.0], [2.1]))
    assert small["threshold_ms_per_msg"] == 0.1  # 3 % of 2 ms is less than 0.1 ms
    assert small["patches"]["X.y"]["verdict"] == "drop"


def test_configurations_turn_each_patch_off_alone() -> None:
    patches.apply()
    configs = configurations()
    assert configs[ALL_ON] == () and set(configs["all off"]) == set(patches.APPLIED)
    singles = [v for k, v in configs.items() if k.startswith("without ")]
    assert sorted(singles) == sorted((name,) for name in patches.APPLIED)


def test_recording_counts_calls_and_puts_the_patches_back() -> None:
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.events import Event

    patches.apply()
    before = {name: getattr(e.owner, e.attr) for name, e in patches.APPLIED.items()}
    build = RemoteAction._action_call_format
    rec = micro.Recorded()
    with micro.recording(rec):
        assert Event.resolve_by_type("user") is Event.resolve_by_type("user")
        RemoteAction("action_x", None)._validate_action_result({"events": []})
    assert rec.calls["Event.resolve_by_type"] == 2 and rec.type_names == ["user", "user"]
    assert rec.calls["RemoteAction._validate_action_result"] == 1
    assert rec.results == [{"events": []}]
    assert {name: getattr(e.owner, e.attr) for name, e in patches.APPLIED.items()} == before
    assert RemoteAction._action_call_format is build
