"""Unit tests of pipeline.questionnaire: tiny inline frames, hand-worked expected values."""
from __future__ import annotations

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from pipeline import questionnaire as qn
from pipeline.params import QuestionnaireParams, load_params
from pipeline.paths import PARAMS_FILE

NA = None

TEAMS = pd.DataFrame({
    "team_id": ["T1", "T2", "T3", "T4"],
    "team_name": ["One", "Two", "Three", "Four"],
    "area": ["East", "East", "West", "West"],
    "team_type": ["duty_assessment", "long_term", "long_term", "disability"],
})
QUESTIONS = pd.DataFrame({
    "question_id": ["Q1", "Q2", "Q3", "Q4", "Q5"],
    "text": ["a", "b", "c", "d", "e"],
    "theme": ["Th1", "Th1", "Th2", "Th2", "Th2"],
    "scale": ["agree4", "yes_partly_no", "agree4", "yes_partly_no", "agree4"],
})
#      Q1              Q2        Q3                   Q4     Q5
ANSWERS = {
    "T1": ["strongly_agree", "yes", "disagree", "yes", "agree"],
    "T2": ["agree", "partly", "na", "no", "disagree"],
    "T3": [NA, "no", "strongly_disagree", "yes", "agree"],
    "T4": ["disagree", "yes", "strongly_disagree", "no", "agree"],
}
RETURNS = pd.DataFrame(
    [[t, pd.Timestamp("2009-01-20"), "Team manager", *a, "a private remark"] for t, a in ANSWERS.items()],
    columns=["team_id", "completed_date", "respondent_role", "Q1", "Q2", "Q3", "Q4", "Q5", "comments"],
)


def _params(below: float, k: int):
    base = load_params(PARAMS_FILE)
    return base.model_copy(update={"questionnaire": QuestionnaireParams(
        county_pressure_below_pct=below, local_pressures_k=k)})


@pytest.fixture
def long():
    return qn.answers_long(RETURNS, QUESTIONS, TEAMS)


def test_question_summary_blank_na_partly(long):
    # Hand count. Q1: SA, A, blank, D -> answered 3, positive 2 (66.67%).
    # Q2: yes, partly, no, yes -> partly is answered, not positive: 2 of 4.
    # Q3: D, na, SD, SD -> na left out: 0 of 3. Q4: 2 of 4. Q5: A, D, A, A -> 3 of 4.
    got = qn.question_summary(long, QUESTIONS)
    exp = pd.DataFrame({
        "question_id": ["Q1", "Q2", "Q3", "Q4", "Q5"],
        "theme": ["Th1", "Th1", "Th2", "Th2", "Th2"],
        "scale": ["agree4", "yes_partly_no", "agree4", "yes_partly_no", "agree4"],
        "responses_n": [4, 4, 4, 4, 4],
        "answered_n": [3, 4, 3, 4, 4],
        "na_n": [0, 0, 1, 0, 0],
        "blank_n": [1, 0, 0, 0, 0],
        "positive_n": [2, 2, 0, 2, 3],
        "negative_n": [1, 2, 3, 2, 1],
        "positive_pct": [200 / 3, 50.0, 0.0, 50.0, 75.0],
        "strongly_agree_n": [1, 0, 0, 0, 0],
        "agree_n": [1, 0, 0, 0, 3],
        "disagree_n": [1, 0, 1, 0, 1],
        "strongly_disagree_n": [0, 0, 2, 0, 0],
        "yes_n": [0, 2, 0, 2, 0],
        "partly_n": [0, 1, 0, 0, 0],
        "no_n": [0, 1, 0, 2, 0],
    })
    assert_frame_equal(got, exp)


def test_positive_by_area(long):
    got = qn.positive_by_group(long, QUESTIONS, "area")
    # East = T1, T2; West = T3, T4
    exp = pd.DataFrame({
        "question_id": ["Q1", "Q1", "Q2", "Q2", "Q3", "Q3", "Q4", "Q4", "Q5", "Q5"],
        "group": ["East", "West"] * 5,
        "responses_n": [2] * 10,
        "answered_n": [2, 1, 2, 2, 1, 2, 2, 2, 2, 2],
        "positive_n": [2, 0, 1, 1, 0, 0, 1, 1, 1, 2],
        "positive_pct": [100.0, 0.0, 50.0, 50.0, 0.0, 0.0, 50.0, 50.0, 50.0, 100.0],
    })
    assert_frame_equal(got, exp)


def test_positive_by_team_type(long):
    got = qn.positive_by_group(long, QUESTIONS, "team_type")
    got = got[got["question_id"] == "Q1"].reset_index(drop=True)
    # disability T4 (D), duty_assessment T1 (SA), long_term T2 (A) + T3 (blank)
    exp = pd.DataFrame({
        "question_id": ["Q1"] * 3,
        "group": ["disability", "duty_assessment", "long_term"],
        "responses_n": [1, 1, 2],
        "answered_n": [1, 1, 1],
        "positive_n": [0, 1, 1],
        "positive_pct": [0.0, 100.0, 100.0],
    })
    assert_frame_equal(got, exp)


def test_county_pressures_strictly_below(long):
    summary = qn.question_summary(long, QUESTIONS)
    got = qn.county_pressures(summary, _params(50, 2))
    # Q2 and Q4 sit exactly at 50%: not below, so not pressures.
    exp = pd.DataFrame({
        "question_id": ["Q1", "Q2", "Q3", "Q4", "Q5"],
        "positive_pct": [200 / 3, 50.0, 0.0, 50.0, 75.0],
        "is_county_pressure": [False, False, True, False, False],
    })
    assert_frame_equal(got, exp)


@pytest.mark.parametrize("k, coinciding", [
    (1, [False, False, True, True]),   # T3: 1 local + 1 county negative; T4: 2 + 1
    (2, [False, False, False, True]),  # T3 falls short of k = 2
    (3, [False, False, False, False]),
])
def test_team_pressures_with_k(long, k, coinciding):
    params = _params(50, k)
    pressures = qn.county_pressures(qn.question_summary(long, QUESTIONS), params)
    got = qn.team_pressures(long, pressures, params)
    # Only Q3 is county-wide. Local = negatives on Q1, Q2, Q4, Q5:
    # T1 none; T2 partly, no, disagree = 3 (but Q3 na: no county negative);
    # T3 Q2 no = 1 (Q1 blank is not negative); T4 Q1 disagree, Q4 no = 2.
    exp = pd.DataFrame({
        "team_id": ["T1", "T2", "T3", "T4"],
        "area": ["East", "East", "West", "West"],
        "team_type": ["duty_assessment", "long_term", "long_term", "disability"],
        "local_pressures_n": [0, 3, 1, 2],
        "county_pressure_negatives_n": [1, 0, 1, 1],
        "is_coinciding": coinciding,
    })
    assert_frame_equal(got, exp)


def test_answer_outside_scale_is_refused():
    bad = RETURNS.copy()
    bad.loc[0, "Q1"] = "yes"  # Q1 is an agree4 question
    with pytest.raises(ValueError, match="Q1"):
        qn.answers_long(bad, QUESTIONS, TEAMS)


def test_heatmap_table_has_one_row_per_team_and_question(long):
    heat = qn.team_heatmap(long)
    assert heat.shape[0] == 4 * 5
    assert heat.loc[(heat["team_id"] == "T3") & (heat["question_id"] == "Q1"), "answer_code"].isna().all()
    assert list(heat.columns) == ["team_id", "area", "team_type", "question_id", "answer_code",
                                  "is_answered", "is_positive", "is_negative"]


class _Review:
    def __init__(self, tables, meta=None):
        self.tables = tables
        self.meta = meta or {}

    def table(self, name):
        return self.tables.get(name)


def test_write_outputs_skips_without_questionnaire(tmp_path):
    review = _Review({"teams": TEAMS, "questions": QUESTIONS})
    assert qn.write_outputs(review, _params(75, 2), tmp_path) == []
    assert list(tmp_path.iterdir()) == []


def test_write_outputs_carries_no_free_text(tmp_path):
    review = _Review({"teams": TEAMS, "questions": QUESTIONS, "questionnaire": RETURNS})
    paths = qn.write_outputs(review, _params(75, 2), tmp_path)
    names = {p.name for p in paths}
    for need in ("questionnaire__question_summary.csv", "questionnaire__by_area.csv",
                 "questionnaire__by_team_type.csv", "questionnaire__pressures.csv",
                 "questionnaire__team_pressures.csv"):
        assert need in names
    for p in tmp_path.rglob("*"):
        if p.is_file() and p.suffix in {".csv", ".json", ".svg"}:
            text = p.read_text(encoding="utf-8")
            assert "private remark" not in text
            assert "Team manager" not in text
    summary = pd.read_csv(tmp_path / "questionnaire__question_summary.csv")
    assert summary["positive_n"].tolist() == [2, 2, 0, 2, 3]
    raw = (tmp_path / "questionnaire__question_summary.csv").read_bytes()
    assert b"\r\n" not in raw and b"66.66666666666667" in raw


def test_write_outputs_skips_an_empty_questionnaire(tmp_path):
    review = _Review({"teams": TEAMS, "questions": QUESTIONS, "questionnaire": RETURNS.iloc[0:0]})
    assert qn.write_outputs(review, _params(75, 2), tmp_path) == []


# ---------------------------------------------------------------- issue 12: response rate from data

def test_response_rate_census_has_no_intervals(long):
    resp = qn.response(RETURNS, TEAMS)
    assert resp.to_dict("records") == [{"group": "all", "units_asked_n": 4, "units_replied_n": 4,
                                        "response_rate_pct": 100.0, "is_census": True,
                                        "intervals_apply": False}]
    got = qn.with_intervals(qn.question_summary(long, QUESTIONS), resp)
    assert got["ci_low_pct"].isna().all() and got["ci_high_pct"].isna().all()


def test_response_rate_partial_gives_intervals_with_fpc():
    """26 of 40 units replied (phase 2): 65%; intervals apply, FPC for N = 40 units."""
    import math
    teams = pd.DataFrame({"team_id": [f"U{i}" for i in range(40)],
                          "agency": ["css"] * 24 + ["police"] * 16})
    returns = pd.DataFrame({"team_id": [f"U{i}" for i in range(20)] + [f"U{i}" for i in range(30, 36)]})
    resp = qn.response(returns, teams).set_index("group")
    assert resp.loc["all", ["units_asked_n", "units_replied_n"]].tolist() == [40, 26]
    assert resp.loc["all", "response_rate_pct"] == pytest.approx(65.0)
    assert bool(resp.loc["all", "intervals_apply"]) and not bool(resp.loc["all", "is_census"])
    assert resp.loc["css", "units_replied_n"] == 20 and resp.loc["police", "units_replied_n"] == 6
    summary = pd.DataFrame({"question_id": ["Q1"], "positive_n": [13], "answered_n": [26]})
    got = qn.with_intervals(summary, resp.reset_index())
    # Wilson on n_eff = 26 x 39 / 14 = 72.43 with p = 0.5: centre 0.5,
    # half = z / (1 + z^2/n) sqrt(0.25/n + z^2/(4 n^2))
    z, n = 1.959963984540054, 26 * 39 / 14
    half = z / (1 + z * z / n) * math.sqrt(0.25 / n + z * z / (4 * n * n))
    assert got["ci_low_pct"].iloc[0] == pytest.approx(100 * (0.5 - half))
    assert got["ci_high_pct"].iloc[0] == pytest.approx(100 * (0.5 + half))
