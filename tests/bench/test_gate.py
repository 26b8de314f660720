import json
import subprocess
from pathlib import Path

import pytest

from unspin.bench import gate

DATA = Path(gate.__file__).resolve().parents[1] / "data"


def test_floors_file_is_consistent():
    data = gate.load_floors()
    history = data["history"]
    assert history, "floors.json needs at least one history entry"
    assert data["floors"] == history[-1]["floors"], (
        "floors.json was edited by hand: use unspin bench --update-floors"
    )
    for entry in history:
        assert entry["reason"].strip()
    for prev, cur in zip(history, history[1:], strict=False):
        assert gate.lowered(prev["floors"], cur["floors"]) == cur["lowered"]


def test_floors_not_lowered_against_last_commit():
    rel = "src/unspin/bench/floors.json"
    root = Path(gate.__file__).resolve().parents[3]
    try:
        committed = subprocess.run(
            ["git", "show", f"HEAD:{rel}"], cwd=root, capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        pytest.skip("git is not available")
    if committed.returncode != 0:
        pytest.skip("floors.json is not committed yet")
    old = json.loads(committed.stdout)
    new = gate.load_floors()
    relaxed = gate.lowered(old["floors"], new["floors"])
    if relaxed:
        added = new["history"][len(old["history"]) :]
        assert added and all(e["reason"].strip() for e in added), (
            f"floors lowered without a reason: {relaxed}; run unspin bench --update-floors --reason '...'"
        )


def test_check_fails_below_a_floor():
    floors = {"floors": {"x@35.ner": 0.5, "x@35.damage": 0.005}}
    assert gate.check({"x@35.ner": 0.6, "x@35.damage": 0.001}, floors) == []
    assert len(gate.check({"x@35.ner": 0.4, "x@35.damage": 0.001}, floors)) == 1
    assert len(gate.check({"x@35.ner": 0.6, "x@35.damage": 0.02}, floors)) == 1
    assert len(gate.check({"x@35.ner": 0.6}, floors)) == 1


def test_update_floors_records_reason(tmp_path):
    path = tmp_path / "floors.json"
    gate.update_floors("first", {"a@35.ner": 0.8, "a@35.damage": 0.001}, path)
    out = gate.update_floors("decoder change", {"a@35.ner": 0.6, "a@35.damage": 0.001}, path)
    assert out["lowered"] == ["a@35.ner: 0.75 -> 0.55"]
    data = json.loads(path.read_text())
    assert data["history"][-1]["reason"] == "decoder change"
    with pytest.raises(ValueError):
        gate.update_floors("  ", {"a@35.ner": 0.1}, path)


def test_gold_texts_are_ours():
    texts = gate.gold_texts()
    assert len(texts) >= 15
    assert all(40 < len(t.split()) < 200 for t in texts)


def test_identity_baseline_changes_nothing():
    m = gate.measure(False)
    assert all(v == 0.0 for k, v in m.items())


def test_gate_holds_for_the_shipped_engine():
    if not (DATA / "lexicon.sqlite").exists():
        pytest.skip("the shipped lexicon is not built (run the README set-up)")
    from unspin import Engine

    failures = gate.check(gate.measure(Engine()))
    assert not failures, "quality regressed below the pinned floors:\n" + "\n".join(failures)
