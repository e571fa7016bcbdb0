"""Unit tests of pipeline.workforce on tiny inline frames, expected values worked by hand.

Latest period (2008-12), three teams:

    team area established in_post agency vacancy  cp  lac cin  workers
    A    East       10        5      1       5    12    6   6     6
    B    East       40       38      2       2   100   60  40    40
    C    West       20       22      0       0    30   30  28    22   (in post > established: floored)

County vacancy = (5 + 2 + 0) / (10 + 40 + 20) = 7 / 70 = 10%, whereas the mean
of the team rates is (50 + 5 + 0) / 3 = 18.33%, and without the floor it would
be (5 + 2 - 2) / 70 = 7.14%.
County caseload = (24 + 200 + 88) / (6 + 40 + 22) = 312 / 68.
"""
from __future__ import annotations

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from pipeline import workforce as wf


@pytest.fixture
def teams() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "team_id": ["A", "B", "C", "D"],
            "team_name": ["Team A", "Team B", "Team C", "Team D"],
            "area": ["East", "East", "West", "West"],
            "team_type": ["long_term"] * 4,
        }
    )


def _wf(rows):
    df = pd.DataFrame(
        rows,
        columns=["period", "team_id", "established_fte", "in_post_fte", "agency_fte",
                 "cases_cp", "cases_lac", "cases_cin"],
    )
    df["period"] = pd.to_datetime(df["period"])
    for c in ["established_fte", "in_post_fte", "agency_fte"]:
        df[c] = df[c].astype("float64")
    for c in ["cases_cp", "cases_lac", "cases_cin"]:
        df[c] = df[c].astype("Int64")
    return df


@pytest.fixture
def workforce() -> pd.DataFrame:
    return _wf(
        [
            ("2008-09-01", "A", 10, 8, 0, 10, 5, 5),
            ("2008-12-01", "A", 10, 5, 1, 12, 6, 6),
            ("2008-12-01", "B", 40, 38, 2, 100, 60, 40),
            ("2008-12-01", "C", 20, 22, 0, 30, 30, 28),
        ]
    )


def test_latest_period(workforce):
    assert wf.latest_period(workforce) == pd.Timestamp("2008-12-01")


def test_team_table(workforce, teams, params):
    got = wf.team_table(workforce, teams, params)
    expected = pd.DataFrame(
        {
            "team_id": ["A", "B", "C"],
            "area": ["East", "East", "West"],
            "vacancy_fte": [5.0, 2.0, 0.0],  # C: 20 - 22 floored at 0
            "vacancy_pct": [50.0, 5.0, 0.0],
            "caseload_per_worker": [24 / 6, 200 / 40, 88 / 22],
            "agency_pct": [100 / 6, 5.0, 0.0],
            "is_above_vacancy_threshold": [True, False, False],
        }
    )
    assert_frame_equal(got[expected.columns].reset_index(drop=True), expected, check_dtype=False)
    assert got["caseload_per_worker"].tolist() == [4.0, 5.0, 4.0]
    assert (got["period"] == pd.Timestamp("2008-12-01")).all()


def test_threshold_is_strictly_above(teams, params):
    # 4 established, 3 in post: exactly 25% vacancy -> not above a 25% threshold
    df = _wf([("2008-12-01", "D", 4, 3, 0, 1, 1, 1)])
    got = wf.team_table(df, teams, params)
    assert got["vacancy_pct"].iloc[0] == 25.0
    assert not got["is_above_vacancy_threshold"].iloc[0]


def test_summary_is_ratio_of_sums(workforce, teams, params):
    got = wf.summary_table(workforce, teams, params)
    expected = pd.DataFrame(
        {
            "level": ["county", "area", "area"],
            "name": ["County", "East", "West"],
            "vacancy_pct": [10.0, 100 * 7 / 50, 0.0],
            "caseload_per_worker": [312 / 68, 224 / 46, 4.0],
            "cp_per_worker": [142 / 68, 112 / 46, 30 / 22],
            "lac_per_worker": [96 / 68, 66 / 46, 30 / 22],
            "cin_per_worker": [74 / 68, 46 / 46, 28 / 22],
            "agency_pct": [100 * 3 / 68, 100 * 3 / 46, 0.0],
            "teams_n": pd.array([3, 2, 1], dtype="Int64"),
            "teams_above_threshold_n": pd.array([1, 1, 0], dtype="Int64"),
        }
    )
    assert_frame_equal(got[expected.columns], expected)
    # the mean of team rates would be 18.33%: not what we report
    assert got["vacancy_pct"].iloc[0] != pytest.approx((50 + 5 + 0) / 3)


def test_trend(workforce, teams, params):
    got = wf.trend_table(workforce, teams, params)
    county = got[got["level"] == "county"].reset_index(drop=True)
    expected = pd.DataFrame(
        {
            "period": pd.to_datetime(["2008-09-01", "2008-12-01"]),
            "vacancy_pct": [20.0, 10.0],  # Sept: A alone, 2 / 10
            "caseload_per_worker": [20 / 8, 312 / 68],
            "teams_n": pd.array([1, 3], dtype="Int64"),
        }
    )
    assert_frame_equal(county[expected.columns], expected, check_dtype=False)
    assert got[["period", "name"]].astype(str).values.tolist() == [
        ["2008-09-01", "County"], ["2008-09-01", "East"],
        ["2008-12-01", "County"], ["2008-12-01", "East"], ["2008-12-01", "West"],
    ]


def test_measures(workforce, teams, params):
    got = wf.measures_table(workforce, teams, params)
    expected = pd.DataFrame(
        {
            "measure": ["vacancy_pct", "caseload_per_worker", "agency_pct"],
            "value": [10.0, 312 / 68, 100 * 3 / 68],
            "unit": ["%", "cases per worker", "%"],
            "n": pd.array([3, 3, 3], dtype="Int64"),
        }
    )
    assert_frame_equal(got, expected, check_dtype=False)


def test_no_workers_gives_missing_caseload_not_inf(teams, params):
    df = _wf([("2008-12-01", "D", 4, 0, 0, 3, 0, 0)])
    got = wf.team_table(df, teams, params)
    assert pd.isna(got["caseload_per_worker"].iloc[0])
    assert pd.isna(got["agency_pct"].iloc[0])
    assert got["vacancy_pct"].iloc[0] == 100.0


class _Review:
    def __init__(self, tables):
        self.tables = tables
        self.meta = {}
        self.review_id = "t"

    def table(self, name):
        return self.tables.get(name)


def test_write_outputs_absent_table(tmp_path, teams, params):
    assert wf.write_outputs(_Review({"teams": teams}), params, tmp_path) == []
    assert list(tmp_path.iterdir()) == []


def test_write_outputs_tables(tmp_path, workforce, teams, params):
    paths = wf.write_outputs(_Review({"teams": teams, "workforce": workforce}), params, tmp_path,
                             figures=False)
    assert [p.name for p in paths] == [
        "workforce__teams.csv", "workforce__summary.csv", "workforce__trend.csv", "workforce__measures.csv",
    ]
    teams_csv = pd.read_csv(tmp_path / "workforce__teams.csv")
    assert teams_csv["period"].tolist() == ["2008-12"] * 3
    assert teams_csv["agency_pct"].iloc[0] == pytest.approx(100 / 6, rel=1e-12)  # unrounded
    assert b"\r\n" not in (tmp_path / "workforce__summary.csv").read_bytes()


def test_write_outputs_figures(tmp_path, workforce, teams, params):
    import json

    paths = wf.write_outputs(_Review({"teams": teams, "workforce": workforce}), params, tmp_path)
    names = {p.name for p in paths}
    for stem in ("workforce__vacancy_by_team", "workforce__caseload_composition"):
        assert {f"{stem}.png", f"{stem}.svg", f"{stem}.csv", f"{stem}.json"} <= names
    meta = json.loads((tmp_path / "figures" / "workforce__vacancy_by_team.json").read_text())
    # one team (A, 50%) above the 25% threshold, county 10%
    assert "1 team is above the 25% threshold: Team A" in meta["alt"]
    assert "County vacancy rate 10%" in meta["alt"]
