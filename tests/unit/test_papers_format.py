"""The paper kit's formatting: hand-worked values, halves away from zero."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from pipeline.papers import format as fmt
from pipeline.stats import round_half_away


@pytest.mark.parametrize("value,digits,expected", [
    (2.5, 0, 3.0), (3.5, 0, 4.0), (-2.5, 0, -3.0), (0.125, 2, 0.13), (2.675, 2, 2.68), (16.49, 0, 16.0),
    (0.05, 1, 0.1), (1234.5, 0, 1235.0),
])
def test_round_half_away_rounds_halves_away_from_zero(value, digits, expected):
    # Python's round() gives 2, 4, -2, 0.12, 2.67: halves to even, and binary 2.675 is just below 2.675
    assert round_half_away(value, digits) == expected


@pytest.mark.parametrize("value,digits,expected", [
    (16.5, 0, "17%"), (12.5, 0, "13%"), (0, 0, "0%"), (33.333, 1, "33.3%"), (None, 0, "n/a"),
    (float("nan"), 0, "n/a"), (pd.NA, 0, "n/a"), (99.95, 1, "100.0%"),
])
def test_pct(value, digits, expected):
    assert fmt.pct(value, digits) == expected


@pytest.mark.parametrize("value,digits,expected", [
    (1234.5, 0, "1,235"), (2.5, 0, "3"), (1234567, 0, "1,234,567"), (18.25, 1, "18.3"), (0.0, 1, "0.0"),
    (None, 0, "n/a"), (math.nan, 1, "n/a"),
])
def test_num(value, digits, expected):
    assert fmt.num(value, digits) == expected


def test_whole_and_signed():
    assert [fmt.whole(x) for x in (41.5, 42.49, 0.5)] == ["42", "42", "1"]
    assert [fmt.signed(x) for x in (2.5, -2.5, 0.4, -0.4, None)] == ["+3", "-3", "0", "0", "n/a"]


def test_dates_and_months():
    assert fmt.date_label("2009-03-05") == "5 March 2009"
    assert fmt.date_label(None) == "n/a" and fmt.date_label(pd.NaT) == "n/a"
    assert fmt.month_label("2009-12") == "December 2009"
    assert fmt.month_label("2010-01-31") == "January 2010"
    assert fmt.short_date("2009-09-30") == "30 Sep 2009" and fmt.short_date(None) == ""


@pytest.mark.parametrize("census,label", [("2012-03-31", "2011-12"), ("2012-04-01", "2012-13"),
                                          ("1999-12-31", "1999-00")])
def test_year_label_is_the_financial_year(census, label):
    assert fmt.year_label(census) == label


def test_name_list():
    assert fmt.name_list([]) == "none"
    assert fmt.name_list(["M01"]) == "M01"
    assert fmt.name_list(["M01", "M02"]) == "M01 and M02"
    assert fmt.name_list(["M01", "M02", "M03"]) == "M01, M02 and M03"
