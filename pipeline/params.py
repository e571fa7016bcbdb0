"""Parameters: ``params.yaml`` loaded once into a frozen, validated object.

An unknown key or a bad value stops the pipeline at start-up (PUDL's frozen
settings), so a typo in a threshold can never pass silently.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from pipeline.paths import PARAMS_FILE


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Intervals(_Frozen):
    confidence: float = Field(0.95, gt=0, lt=1)


class Timescale(_Frozen):
    working_days: int | None = Field(None, ge=1)
    calendar_months: int | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _one_limit(self):
        if (self.working_days is None) == (self.calendar_months is None):
            raise ValueError("give exactly one of working_days or calendar_months")
        return self


class Timescales(_Frozen):
    icpc_timely: Timescale
    core_group_timely: Timescale
    review_timely: Timescale
    visit_timely: Timescale


class QuestionnaireParams(_Frozen):
    county_pressure_below_pct: float = Field(ge=0, le=100)
    local_pressures_k: int = Field(ge=1)


class WorkforceParams(_Frozen):
    vacancy_threshold_pct: float = Field(ge=0, le=100)


class MonitoringParams(_Frozen):
    baseline_months: int = Field(ge=2)
    shift_run: int = Field(ge=2)
    trend_run: int = Field(ge=2)


class SampleParams(_Frozen):
    margin_pct: float = Field(gt=0, lt=100)
    seed: int


class LimitsParams(_Frozen):
    """Bounds on what one review folder may hold, so a hostile or broken file is refused quickly."""

    max_file_mb: float = Field(512, gt=0)  # any one file of the review folder
    max_rows: int = Field(2_000_000, ge=1)  # rows of one table in one file or sheet
    max_columns: int = Field(1_000, ge=1)  # columns of one header row
    max_cell_chars: int = Field(32_767, ge=1)  # characters in one cell (Excel's own limit)
    max_xlsx_uncompressed_mb: float = Field(400, gt=0)  # a workbook's members once unzipped
    max_yaml_kb: float = Field(64, gt=0)  # review.yml (anchors and aliases are refused outright)


class Rating(_Frozen):
    """Thresholds of a rated measure: green at or beyond `green`, amber at or beyond `amber`."""

    better: Literal["higher", "lower"]
    green: float
    amber: float

    @model_validator(mode="after")
    def _ordered(self):
        if self.better == "higher" and self.green < self.amber:
            raise ValueError("for better: higher, green must be >= amber")
        if self.better == "lower" and self.green > self.amber:
            raise ValueError("for better: lower, green must be <= amber")
        return self

    def rate(self, value: float | None) -> str | None:
        """The RAG rating of a value, or None when there is no value."""
        if value is None or value != value:  # NaN
            return None
        if self.better == "higher":
            return "green" if value >= self.green else "amber" if value >= self.amber else "red"
        return "green" if value <= self.green else "amber" if value <= self.amber else "red"


class Protection(_Frozen):
    """The protection interval: a hidden small count's feasible range must reach from at most
    ``at_most`` to at least ``at_least`` (docs/disclosure.md)."""

    at_most: int = Field(0, ge=0)
    at_least: int = Field(10, ge=1)

    @model_validator(mode="after")
    def _ordered(self):
        if self.at_least <= self.at_most:
            raise ValueError("at_least must be above at_most")
        return self


class DisclosureParams(_Frozen):
    """Disclosure control of public outputs (pipeline/disclosure.py)."""

    small_counts: tuple[int, int] = (1, 5)
    protection: Protection = Protection()
    share_bands_pct: tuple[int, ...] = (95, 90, 85, 80)

    @model_validator(mode="after")
    def _valid(self):
        lo, hi = self.small_counts
        if not 1 <= lo <= hi:
            raise ValueError("small_counts must be [low, high] with 1 <= low <= high")
        if self.protection.at_least <= hi:
            raise ValueError("protection.at_least must be above the largest small count")
        if any(not 0 < b < 100 for b in self.share_bands_pct):
            raise ValueError("share_bands_pct must lie strictly between 0 and 100")
        return self


class Params(_Frozen):
    reviews: tuple[str, ...]
    intervals: Intervals
    timescales: Timescales
    questionnaire: QuestionnaireParams
    workforce: WorkforceParams
    monitoring: MonitoringParams
    sample: SampleParams
    limits: LimitsParams = LimitsParams()
    ratings: dict[str, Rating]
    disclosure: DisclosureParams = DisclosureParams()


def load_params(path: Path | str = PARAMS_FILE) -> Params:
    """Read and validate a params file (no caching: tests pass their own)."""
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    return Params.model_validate(data)


@lru_cache(maxsize=1)
def params() -> Params:
    """The project's parameters, read once."""
    return load_params(PARAMS_FILE)
