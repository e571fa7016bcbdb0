"""Shared test fixtures: a small, explicit set of parameters (not params.yaml)."""
from __future__ import annotations

import pytest

from pipeline.params import Params

PARAMS = {
    "reviews": ["t"],
    "intervals": {"confidence": 0.95},
    "timescales": {
        "icpc_timely": {"working_days": 15},
        "core_group_timely": {"working_days": 10},
        "review_timely": {"calendar_months": 3},
        "visit_timely": {"working_days": 10},
    },
    "questionnaire": {"county_pressure_below_pct": 75, "local_pressures_k": 2},
    "workforce": {"vacancy_threshold_pct": 25},
    "monitoring": {"baseline_months": 12, "shift_run": 7, "trend_run": 6},
    "sample": {"margin_pct": 5, "seed": 1},
    "ratings": {
        "share_pct": {"better": "higher", "green": 80, "amber": 60},
        "vacancy_pct": {"better": "lower", "green": 10, "amber": 20},
        "agency_pct": {"better": "lower", "green": 10, "amber": 20},
        "caseload_per_worker": {"better": "lower", "green": 18, "amber": 24},
    },
}


@pytest.fixture
def params() -> Params:
    """The default thresholds of the data contract and issue 3, written out here."""
    return Params.model_validate(PARAMS)


# --------------------------------------------------------------------------- genuine Quarto for the engine tests

def find_quarto() -> str | None:
    """The quarto the engine tests use: $CP_QUARTO, else <repo>/.tools/quarto/bin/quarto, else PATH."""
    import os
    import shutil
    from pathlib import Path

    if os.environ.get("CP_QUARTO"):
        return os.environ["CP_QUARTO"]
    kit = Path(__file__).resolve().parents[1] / ".tools" / "quarto" / "bin" / "quarto"
    return str(kit) if kit.exists() else shutil.which("quarto")


@pytest.fixture(scope="session")
def quarto_exe() -> str:
    """The genuine Quarto executable; in CI (CI=true) a missing Quarto fails the test, elsewhere it skips."""
    import os

    exe = find_quarto()
    if exe:
        return exe
    message = "genuine Quarto not found ($CP_QUARTO, .tools/quarto/bin/quarto or PATH); install it with .ci/run"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)
