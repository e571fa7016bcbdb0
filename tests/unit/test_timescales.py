"""Unit tests of pipeline.timescales: dates counted by hand against the calendar.

England and Wales bank holidays used here: Thu 25 and Fri 26 December 2008,
Thu 1 January 2009.
"""
from __future__ import annotations

import math

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from pipeline import timescales as ts
from pipeline.params import Timescale, load_params
from pipeline.paths import PARAMS_FILE

T = pd.Timestamp
NaT = pd.NaT
Z95 = 1.959963984540054
PARAMS = load_params(PARAMS_FILE)


def wilson(k, n, z=Z95):
    """Wilson score interval in percent, written out independently of pipeline.stats."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (0.0 if k == 0 else 100 * (centre - half), 100.0 if k == n else 100 * (centre + half))


def test_icpc_15_working_days_across_christmas():
    # Strategy discussion Fri 19 Dec 2008. Working days after it: Mon 22 (1), Tue 23 (2),
    # Wed 24 (3), [Thu 25, Fri 26 bank holidays, weekend], Mon 29 (4), Tue 30 (5), Wed 31 (6),
    # [Thu 1 Jan bank holiday], Fri 2 (7), Mon 5 (8), Tue 6 (9), Wed 7 (10), Thu 8 (11),
    # Fri 9 (12), Mon 12 (13), Tue 13 (14), Wed 14 (15), Thu 15 (16).
    got = ts.measure_status(pd.Series([T("2008-12-19"), T("2008-12-19")]),
                            pd.Series([T("2009-01-14"), T("2009-01-15")]),
                            Timescale(working_days=15), T("2009-02-27"))
    exp = pd.DataFrame({
        "start_date": [T("2008-12-19")] * 2,
        "event_date": [T("2009-01-14"), T("2009-01-15")],
        "deadline_date": pd.Series([T("2009-01-14")] * 2, dtype="datetime64[ns]"),
        "elapsed_working_days": pd.array([15, 16], dtype="Int64"),
        "status": ["met", "not_met"],
    })
    assert_frame_equal(got, exp)


def test_30_november_plus_3_months_is_28_february():
    # Review within 3 calendar months of an ICPC on 30 Nov 2008: deadline 28 Feb 2009.
    got = ts.measure_status(pd.Series([T("2008-11-30")] * 2),
                            pd.Series([T("2009-02-28"), T("2009-03-01")]),
                            Timescale(calendar_months=3), T("2009-03-31"))
    assert got["deadline_date"].tolist() == [T("2009-02-28")] * 2
    assert got["status"].tolist() == ["met", "not_met"]


def test_review_not_yet_happened_not_yet_due_or_not_met():
    census = T("2009-02-27")
    got = ts.measure_status(
        pd.Series([T("2008-11-30"), T("2008-11-27"), T("2008-11-26")]),
        pd.Series([NaT, NaT, NaT], dtype="datetime64[ns]"),
        Timescale(calendar_months=3), census)
    # deadlines 28 Feb (after census: not yet due), 27 Feb (= census: not after, so not met),
    # 26 Feb (before census: not met)
    assert got["deadline_date"].tolist() == [T("2009-02-28"), T("2009-02-27"), T("2009-02-26")]
    assert got["status"].tolist() == ["not_yet_due", "not_met", "not_met"]
    assert got["elapsed_working_days"].isna().all()


def test_core_group_not_happened_uses_nth_working_day_as_deadline():
    # ICPC Thu 15 Jan 2009; 10th working day after: Thu 29 Jan (Fri 16 = 1 ... Thu 29 = 10).
    got = ts.measure_status(pd.Series([T("2009-01-15"), T("2009-01-15")]),
                            pd.Series([NaT, NaT], dtype="datetime64[ns]"),
                            Timescale(working_days=10), T("2009-01-28"))
    assert got["deadline_date"].tolist() == [T("2009-01-29")] * 2
    assert got["status"].tolist() == ["not_yet_due"] * 2
    later = ts.measure_status(pd.Series([T("2009-01-15")]), pd.Series([NaT], dtype="datetime64[ns]"),
                              Timescale(working_days=10), T("2009-01-29"))
    assert later["status"].tolist() == ["not_met"]


CASES = pd.DataFrame({
    "case_id": ["K1", "K2", "K3"],
    "team_id": ["T1", "T1", "T2"],
    "strategy_discussion_date": [T("2008-12-19"), T("2008-12-19"), T("2008-11-10")],
    "icpc_date": [T("2009-01-14"), T("2009-01-15"), T("2008-11-26")],
    "first_core_group_date": [T("2009-01-28"), NaT, NaT],
    "review_conference_date": [NaT, NaT, T("2009-02-26")],
    "last_visit_date": [T("2009-01-30"), T("2009-01-29"), T("2009-02-20")],
    "audit_date": [T("2009-02-13"), T("2009-02-13"), T("2009-02-27")],
})
CENSUS = T("2009-02-27")


def test_case_timescales_and_summary():
    # K1: ICPC 15 wd (met); core group Wed 28 Jan = 10 wd after Wed 14 Jan (met);
    #     review not held, deadline 14 Apr > census (not yet due);
    #     visit Fri 30 Jan -> audit Fri 13 Feb = 10 wd (met).
    # K2: ICPC 16 wd (not met); core group not held, deadline Thu 29 Jan <= census (not met);
    #     review not held, deadline 15 Apr (not yet due); visit Thu 29 Jan -> 13 Feb = 11 wd (not met).
    # K3: strategy Mon 10 Nov -> ICPC Wed 26 Nov = 12 wd (met); core group not held,
    #     deadline Wed 10 Dec (Thu 27 Nov = 1 ... Wed 10 Dec = 10) <= census (not met);
    #     review Thu 26 Feb on its deadline 26 Feb (met); visit Fri 20 -> Fri 27 Feb = 5 wd (met).
    cases = ts.case_timescales(CASES, CENSUS, PARAMS)
    assert cases["status"].tolist() == [
        "met", "met", "not_yet_due", "met",
        "not_met", "not_met", "not_yet_due", "not_met",
        "met", "not_met", "met", "met",
    ]
    assert cases["elapsed_working_days"].iloc[[0, 1, 3, 4, 7, 8, 11]].tolist() == [15, 10, 10, 16, 11, 12, 5]
    assert cases["elapsed_working_days"].iloc[[2, 5, 6, 9, 10]].isna().all()  # not held / calendar months
    assert cases["deadline_date"].iloc[[5, 9]].tolist() == [T("2009-01-29"), T("2008-12-10")]
    got = ts.summary(cases, PARAMS)
    exp = pd.DataFrame({
        "measure_id": ["icpc_timely", "core_group_timely", "review_timely", "visit_timely"],
        "met_n": [2, 1, 1, 2],
        "not_met_n": [1, 2, 0, 1],
        "not_yet_due_n": [0, 0, 2, 0],
        "due_n": [3, 3, 1, 3],
        "met_pct": [200 / 3, 100 / 3, 100.0, 200 / 3],
        "ci_low_pct": [wilson(2, 3)[0], wilson(1, 3)[0], wilson(1, 1)[0], wilson(2, 3)[0]],
        "ci_high_pct": [wilson(2, 3)[1], wilson(1, 3)[1], 100.0, wilson(2, 3)[1]],
    })
    assert_frame_equal(got[exp.columns.tolist()], exp, check_exact=False, rtol=1e-12)
    assert got["limit_working_days"].tolist() == [15, 10, pd.NA, 10]
    assert got["limit_calendar_months"].tolist() == [pd.NA, pd.NA, 3, pd.NA]


def test_summary_fpc_interval():
    cases = ts.case_timescales(CASES, CENSUS, PARAMS)
    got = ts.summary(cases, PARAMS, N=6)
    # icpc: 2 of 3 due, N = 6 -> n_eff = 3 * 5 / 3 = 5, p kept at 2/3 (k_eff = 10/3)
    assert got["ci_low_pct"].iloc[0] == pytest.approx(wilson(10 / 3, 5)[0], rel=1e-12)
    assert got["ci_high_pct"].iloc[0] == pytest.approx(wilson(10 / 3, 5)[1], rel=1e-12)


class _Review:
    def __init__(self, tables, meta):
        self.tables, self.meta = tables, meta

    def table(self, name):
        return self.tables.get(name)


def test_write_outputs_publishes_no_case_ids(tmp_path):
    paths = ts.write_outputs(_Review({"case_audit": CASES}, {"census_date": CENSUS}), PARAMS, tmp_path)
    names = sorted(p.relative_to(tmp_path).as_posix() for p in paths)
    assert "timescales__summary.csv" in names
    assert "figures/timescales__summary.png" in names
    assert not any("cases" in n for n in names)
    for p in tmp_path.rglob("*"):
        if p.is_file() and p.suffix in {".csv", ".json", ".svg"}:
            text = p.read_text(encoding="utf-8")
            assert "K1" not in text and "case_id" not in text, p
    assert ts.write_outputs(_Review({}, {"census_date": CENSUS}), PARAMS, tmp_path / "x") == []


def test_write_outputs_fig_dir_and_no_figures(tmp_path):
    review = _Review({"case_audit": CASES}, {"census_date": CENSUS})
    only = ts.write_outputs(review, PARAMS, tmp_path / "a", figures=False)
    assert [p.name for p in only] == ["timescales__summary.csv"]
    paths = ts.write_outputs(review, PARAMS, tmp_path / "b", fig_dir=tmp_path / "b" / "figures" / "case_audit")
    assert (tmp_path / "b" / "figures" / "case_audit" / "timescales__summary.svg") in paths
    empty = _Review({"case_audit": CASES.iloc[0:0]}, {"census_date": CENSUS})
    assert ts.write_outputs(empty, PARAMS, tmp_path / "c") == []


def test_case_timescales_needs_no_identifiers():
    # The analysis snapshot drops case_id (and may drop team_id): the timescales still compute.
    cases = ts.case_timescales(CASES.drop(columns=["case_id", "team_id"]), CENSUS, PARAMS)
    assert list(cases.columns) == ["case_row", "measure_id", "start_date", "event_date", "deadline_date",
                                   "elapsed_working_days", "status"]
    assert cases["case_row"].tolist() == [0] * 4 + [1] * 4 + [2] * 4
