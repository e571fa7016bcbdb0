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
