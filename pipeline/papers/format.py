"""Numbers and dates as the papers print them.

Every figure is rounded here, halves away from zero
(:func:`pipeline.stats.round_half_away`), so a paper, its tables and its
charts' words agree on the last digit. A missing value reads "n/a".
"""
from __future__ import annotations

import pandas as pd

from pipeline.stats import round_half_away


def missing(value) -> bool:
    """None, NaN or NaT (a string is never missing, even when empty)."""
    if value is None:
        return True
    if isinstance(value, str):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def pct(value, digits: int = 0) -> str:
    """A percentage for print: 16.5 -> "17%"; ``digits`` places after the point."""
    if missing(value):
        return "n/a"
    return f"{round_half_away(float(value), digits):.{digits}f}%"


def num(value, digits: int = 0) -> str:
    """A number for print with thousands separators: 1234.5 -> "1,235"; ``digits`` places after the point."""
    if missing(value):
        return "n/a"
    rounded = round_half_away(float(value), digits)
    if digits == 0:
        return f"{int(rounded):,}"
    return f"{rounded:,.{digits}f}"


def whole(value) -> str:
    """A number rounded to a whole one, without separators (the ends of an interval: "42")."""
    return f"{int(round_half_away(float(value))):d}"


def signed(value) -> str:
    """A change in whole points with its sign: "+3", "-2", "0"; "n/a" when missing."""
    if missing(value):
        return "n/a"
    r = int(round_half_away(float(value)))
    return f"{r:+d}" if r != 0 else "0"


def month_label(value) -> str:
    """A month for print: "2009-03" (or a date) -> "March 2009"."""
    text = str(value)
    return pd.Timestamp(text + ("-01" if len(text) == 7 else "")).strftime("%B %Y")


def date_label(value) -> str:
    """A date for print: "2009-03-31" -> "31 March 2009"; "n/a" when missing."""
    if missing(value):
        return "n/a"
    ts = pd.Timestamp(value)
    return f"{ts.day} {ts:%B %Y}"


def short_date(value) -> str:
    """A date in short form: "2009-03-31" -> "31 Mar 2009"; "" when missing."""
    if missing(value):
        return ""
    ts = pd.Timestamp(value)
    return f"{ts.day} {ts:%b %Y}"


def name_list(items: list[str]) -> str:
    """Items in a sentence: "none", "A", "A and B", "A, B and C"."""
    if not items:
        return "none"
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def year_label(census_date) -> str:
    """The financial year (April to March) holding a census date: 31 March 2012 -> "2011-12"."""
    ts = pd.Timestamp(census_date)
    start = ts.year if ts.month >= 4 else ts.year - 1
    return f"{start}-{(start + 1) % 100:02d}"
