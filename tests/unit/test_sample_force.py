"""`sample` never overwrites the auditors' list silently (issue 15, item 4): without --force it refuses;
with --force the earlier sample is kept under sample/previous/, named by its seed and margin."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from pipeline import sample as sm
from pipeline.__main__ import main

TEAMS = pd.DataFrame({"team_id": ["T1", "T2"], "team_name": ["A", "B"], "area": ["East", "West"],
                      "team_type": ["duty_assessment", "long_term"]})


def population(n: int = 60) -> pd.DataFrame:
    return pd.DataFrame({"case_id": [f"K{i:03d}" for i in range(n)], "team_id": ["T1", "T2"] * (n // 2),
                         "interim_care_order_at_home": "no", "police_investigation_open": "no",
                         "legal_dissent": "no"})


def draw(folder, margin, seed):
    sp = sm.plan_sample(population(), TEAMS, margin_pct=margin, seed=seed)
    return sm.write_sample(sp, folder, review_id="tiny")


def test_nothing_to_keep_when_no_sample_exists(tmp_path):
    assert sm.keep_previous(tmp_path, force=False) is None
    assert sm.keep_previous(tmp_path, force=True) is None
    assert list(tmp_path.iterdir()) == []


def test_refuses_without_force_and_leaves_the_sample_untouched(tmp_path):
    paths = draw(tmp_path, 10, 1)
    before = {k: p.read_bytes() for k, p in paths.items()}
    with pytest.raises(sm.SampleExists, match="--force"):
        sm.keep_previous(tmp_path, force=False)
    assert {k: p.read_bytes() for k, p in paths.items()} == before
    assert not (tmp_path / "previous").exists()


def test_force_keeps_the_earlier_sample_named_by_seed_and_margin(tmp_path):
    first = draw(tmp_path, 10, 20090212)
    first_cases = first["cases"].read_bytes()
    kept = sm.keep_previous(tmp_path, force=True)
    assert kept == tmp_path / "previous" / "seed-20090212_margin-10"
    assert sorted(p.name for p in kept.iterdir()) == sorted([sm.CASES_FILE, sm.PLAN_FILE, sm.STRATA_FILE])
    assert (kept / sm.CASES_FILE).read_bytes() == first_cases
    assert not (tmp_path / sm.CASES_FILE).exists()  # room for the new one
    draw(tmp_path, 7.5, 20090212)
    assert sm.keep_previous(tmp_path, force=True).name == "seed-20090212_margin-7.5"
    # the same seed and margin drawn again (e.g. after the frame changed): kept beside, not over
    draw(tmp_path, 10, 20090212)
    assert sm.keep_previous(tmp_path, force=True).name == "seed-20090212_margin-10-2"
    assert (tmp_path / "previous" / "seed-20090212_margin-10" / sm.CASES_FILE).read_bytes() == first_cases


def test_command_refuses_then_keeps_with_force(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sm, "sample_dir", lambda review_id: tmp_path / review_id / "sample")
    out = tmp_path / "example-phase1" / "sample"
    assert main(["sample", "example-phase1", "--margin", "10", "--seed", "3"]) == 0
    first = (out / sm.CASES_FILE).read_bytes()
    capsys.readouterr()
    assert main(["sample", "example-phase1", "--margin", "5"]) == 1
    assert "--force" in capsys.readouterr().out
    assert (out / sm.CASES_FILE).read_bytes() == first
    assert main(["sample", "example-phase1", "--margin", "5", "--seed", "3", "--force"]) == 0
    kept = out / "previous" / "seed-3_margin-10"
    assert (kept / sm.CASES_FILE).read_bytes() == first
    assert json.loads((out / sm.PLAN_FILE).read_text())["margin_pct"] == 5.0
