"""Shared helpers of the example generators: lookup files, random streams, working days, seeds."""
from __future__ import annotations

import calendar
import datetime as dt
from pathlib import Path

import holidays
import numpy as np
import pandas as pd
import yaml


EXAMPLE_DATA = Path(__file__).resolve().parent.parent / "example_data"
REVIEW_ID = "example-phase1"

# One independent random stream per table, so that changing how one table is
# drawn never changes another.
_STREAM = {
    "workforce": 1,
    "monitoring": 2,
    "questionnaire": 3,
    "case_population": 4,
    "case_audit": 5,
    "monitoring_extension": 6,
}

# England and Wales bank holidays of the years the example covers.
_BANK_HOLIDAYS = np.array(
    sorted(holidays.country_holidays("GB", subdiv="ENG", years=range(2005, 2014))),
    dtype="datetime64[D]",
)


# --------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------

def _rng(seed: int, table: str) -> np.random.Generator:
    return np.random.default_rng([seed, _STREAM[table]])


def _read_csv(name: str) -> pd.DataFrame:
    return pd.read_csv(EXAMPLE_DATA / name, dtype=str, keep_default_na=False)


def _targets() -> dict:
    with open(EXAMPLE_DATA / "targets.yml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _day(value) -> np.datetime64:
    return np.datetime64(pd.Timestamp(str(value)).date(), "D")


def _add_wd(d: np.datetime64, n: int) -> np.datetime64:
    """The n-th working day after d (n may be negative: before d)."""
    roll = "backward" if n >= 0 else "forward"
    return np.busday_offset(np.datetime64(d, "D"), n, roll=roll, holidays=_BANK_HOLIDAYS)


def _wd_between(a: np.datetime64, b: np.datetime64) -> int:
    """Working days d with a < d <= b."""
    one = np.timedelta64(1, "D")
    a, b = np.datetime64(a, "D"), np.datetime64(b, "D")
    return int(np.busday_count(a + one, b + one, holidays=_BANK_HOLIDAYS))


def _to_wd(d: np.datetime64) -> np.datetime64:
    """d itself if a working day, else the working day before it."""
    return np.busday_offset(np.datetime64(d, "D"), 0, roll="backward", holidays=_BANK_HOLIDAYS)


def _add_months(d: np.datetime64, months: int) -> np.datetime64:
    """Same day `months` on, or the last day of that month (data contract)."""
    date = pd.Timestamp(d).date()
    m = date.month - 1 + months
    year, month = date.year + m // 12, m % 12 + 1
    day = min(date.day, calendar.monthrange(year, month)[1])
    return np.datetime64(dt.date(year, month, day), "D")


def _iso(d) -> str:
    return "" if d is None or pd.isna(d) else str(np.datetime64(d, "D"))


def _allocate(total: int, weights, caps=None) -> np.ndarray:
    """Split an integer total over weights, largest remainder, never above caps."""
    w = np.asarray(weights, dtype=float)
    caps = np.full(len(w), 10**12, dtype=np.int64) if caps is None else np.asarray(caps, dtype=np.int64)
    if total > caps.sum():
        raise ValueError(f"cannot allocate {total} under caps summing to {caps.sum()}")
    out = np.zeros(len(w), dtype=np.int64)
    free = np.ones(len(w), dtype=bool)
    remaining = total
    while remaining > 0:
        share = np.where(free, w, 0.0)
        if share.sum() <= 0:
            share = free.astype(float)
        exact = remaining * share / share.sum()
        add = np.floor(exact).astype(np.int64)
        order = np.lexsort((np.arange(len(w)), -(exact - add)))
        for i in order[: remaining - add.sum()]:
            add[i] += 1
        add = np.minimum(add, caps - out)
        out += add
        remaining = total - out.sum()
        free = out < caps
    return out


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    df.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def _fte(units) -> list[str]:
    """Half-FTE units as text with one decimal (exact in binary)."""
    return [f"{u / 2:.1f}" for u in units]


# --------------------------------------------------------------------------
# tables
# --------------------------------------------------------------------------

SEEDS = {
    "example-phase1": 2009,
    "example-phase2": 20090423,
    "example-phase3": 20090625,
    "example-annual-2010": 2010,
    "example-annual-2011": 2011,
    "example-annual-2012": 2012,
}
