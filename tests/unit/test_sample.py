"""Unit tests of pipeline.sample: sample size, allocation, certainty stratum, reproducible draw."""
from __future__ import annotations

import json

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal, assert_series_equal

from pipeline import sample as sm
from pipeline.stats import sample_size

# ------------------------------------------------------------------ sample size by hand
# z for 95% = 1.959964, z^2 = 3.841459; worst case p = 0.5 so p(1-p) = 0.25.


def test_sample_size_kent_population_margin_5():
    # N = 1068, e = 0.05: n0 = 3.841459 x 0.25 / 0.0025 = 384.146
    # n = 384.146 / (1 + 383.146 / 1068) = 384.146 / 1.358751 = 282.72 -> 283 cases
    assert sample_size(5, N=1068) == 283


def test_sample_size_small_population_margin_10():
    # N = 200, e = 0.10: n0 = 3.841459 x 0.25 / 0.01 = 96.0365
    # n = 96.0365 / (1 + 95.0365 / 200) = 96.0365 / 1.475182 = 65.10 -> 66 cases
    assert sample_size(10, N=200) == 66


def test_sample_size_tiny_population_margin_5():
    # N = 50, e = 0.05: n = 384.146 / (1 + 383.146 / 50) = 384.146 / 8.66292 = 44.34 -> 45 cases
    assert sample_size(5, N=50) == 45


# ------------------------------------------------------------------ allocation


def test_allocate_largest_remainder_hand_example():
    # N = 100 in strata of 55, 27, 18; n = 10 -> quotas 5.5, 2.7, 1.8
    # whole parts 5, 2, 1 (= 8); 2 left go to the largest fractions .8 (C) and .7 (B)
    # -> 5, 3, 2. (Rounding each quota would give 6 + 3 + 2 = 11, one too many.)
    sizes = pd.Series([55, 27, 18], index=["A", "B", "C"])
    assert_series_equal(sm.allocate(sizes, 10), pd.Series([5, 3, 2], index=["A", "B", "C"], dtype="int64"))


def test_allocate_ties_go_to_larger_stratum_and_add_up():
    # strata 30, 50, 20; n = 5 -> quotas 1.5, 2.5, 1.0 -> whole 1, 2, 1 (= 4); the one left:
    # fractions .5 (A) and .5 (B) tie -> the larger stratum B -> 1, 3, 1
    sizes = pd.Series([30, 50, 20], index=["A", "B", "C"])
    assert sm.allocate(sizes, 5).tolist() == [1, 3, 1]
    for n in range(0, 101):
        got = sm.allocate(sizes, n)
        assert int(got.sum()) == n
        assert (got <= sizes).all()
        # proportional: each stratum within one case of its exact quota
        assert ((got - sizes * n / 100).abs() < 1).all()


def test_allocate_rejects_more_than_the_population():
    with pytest.raises(ValueError):
        sm.allocate(pd.Series([3, 4], index=["A", "B"]), 8)


# ------------------------------------------------------------------ the draw

TEAMS = pd.DataFrame({
    "team_id": ["T1", "T2", "T3", "T4"],
    "team_name": ["East duty", "East long-term", "West duty", "West long-term"],
    "area": ["East", "East", "West", "West"],
    "team_type": ["duty_assessment", "long_term", "duty_assessment", "long_term"],
})


def population() -> pd.DataFrame:
    """200 cases: T1 40, T2 80, T3 30, T4 50; 12 high-risk cases spread over the teams."""
    teams = ["T1"] * 40 + ["T2"] * 80 + ["T3"] * 30 + ["T4"] * 50
    n = len(teams)
    icare = ["no"] * n
    police = ["no"] * n
    dissent = ["no"] * n
    for i in (0, 1, 2, 45, 46):       # T1 x3, T2 x2: interim care order at home
        icare[i] = "yes"
    for i in (121, 122, 150, 151):    # T3 x2, T4 x2: police investigation
        police[i] = "yes"
    for i in (60, 160, 2):            # T2, T4 and (again) case 2: legal dissent
        dissent[i] = "yes"
    return pd.DataFrame({
        "case_id": [f"K{i:04d}" for i in range(n)],
        "team_id": teams,
        "cpp_start_date": pd.Timestamp("2008-06-01"),
        "category_of_abuse": "NEG",
        "interim_care_order_at_home": icare,
        "police_investigation_open": police,
        "legal_dissent": dissent,
    })


HIGH_RISK = {"K0000", "K0001", "K0002", "K0045", "K0046", "K0121", "K0122", "K0150", "K0151",
             "K0060", "K0160"}  # 11 distinct cases


def test_plan_sizes_certainty_and_allocation():
    sp = sm.plan_sample(population(), TEAMS, margin_pct=10, seed=1)
    p = sp.plan
    # N = 200, margin 10: 66 cases (hand calculation above); 11 high-risk cases taken in full;
    # (T1 3, T2 3, T3 2, T4 3); 66 - 11 = 55 allocated to the 189 others:
    # East/duty (T1) 37, East/long (T2) 77, West/duty (T3) 28, West/long (T4) 47.
    # quotas 55 x (37, 77, 28, 47) / 189 = 10.767, 22.407, 8.148, 13.677 -> whole 10, 22, 8, 13 (= 53);
    # 2 left -> the largest fractions .767 (East/duty), .677 (West/long) -> 11, 22, 8, 14.
    assert (p["population_n"], p["high_risk_n"], p["required_n"], p["proportional_n"], p["drawn_n"]) == \
        (200, 11, 66, 55, 66)
    expected = pd.DataFrame({
        "stratum": [sm.CERTAINTY, "East / duty_assessment", "East / long_term",
                    "West / duty_assessment", "West / long_term"],
        "population_n": [11, 37, 77, 28, 47],
        "sample_n": [11, 11, 22, 8, 14],
    })
    assert_frame_equal(sp.strata[["stratum", "population_n", "sample_n"]], expected)
    # the case list follows the plan: every high-risk case, as certainty, and the allocation per stratum
    assert set(sp.cases.loc[sp.cases["is_certainty"], "case_id"]) == HIGH_RISK
    assert not sp.cases.loc[~sp.cases["is_certainty"], "case_id"].isin(HIGH_RISK).any()
    counts = sp.cases.groupby("stratum").size()
    assert counts.to_dict() == dict(zip(expected["stratum"], expected["sample_n"]))
    assert sp.cases["case_id"].is_unique
    assert list(sp.cases.columns) == ["case_id", "team_id", "area", "team_type", "stratum", "is_certainty"]
    # each drawn case belongs to its stratum's area and team type
    merged = sp.cases.merge(TEAMS, on="team_id", suffixes=("", "_team"), validate="many_to_one")
    assert (merged["area"] == merged["area_team"]).all()
    assert (merged["team_type"] == merged["team_type_team"]).all()


def test_certainty_stratum_taken_even_when_larger_than_required():
    pop = population()
    # cases 0-69 legal dissent, plus the police cases 121, 122, 150, 151: 74 high-risk > 66 required
    pop["legal_dissent"] = ["yes"] * 70 + ["no"] * 130
    sp = sm.plan_sample(pop, TEAMS, margin_pct=10, seed=1)
    assert sp.plan["high_risk_n"] == 74
    assert sp.plan["proportional_n"] == 0
    assert sp.plan["drawn_n"] == 74
    assert sp.cases["is_certainty"].all()


def test_draw_is_reproducible_and_ignores_row_order():
    pop = population()
    a = sm.plan_sample(pop, TEAMS, margin_pct=10, seed=20090212).cases
    b = sm.plan_sample(pop.sample(frac=1, random_state=7), TEAMS, margin_pct=10, seed=20090212).cases
    assert_frame_equal(a, b)
    c = sm.plan_sample(pop, TEAMS, margin_pct=10, seed=20090213).cases
    # same design, other cases: the certainty cases are the same, the random ones differ
    assert set(a.loc[a["is_certainty"], "case_id"]) == set(c.loc[c["is_certainty"], "case_id"])
    assert set(a.loc[~a["is_certainty"], "case_id"]) != set(c.loc[~c["is_certainty"], "case_id"])
    assert a.groupby("stratum").size().equals(c.groupby("stratum").size())


def test_plan_files_carry_no_case_id(tmp_path):
    sp = sm.plan_sample(population(), TEAMS, margin_pct=10, seed=1)
    paths = sm.write_sample(sp, tmp_path, review_id="tiny", census_date=pd.Timestamp("2009-01-30"))
    plan_text = paths["plan"].read_text(encoding="utf-8")
    strata_text = paths["strata"].read_text(encoding="utf-8")
    for case_id in population()["case_id"]:
        assert case_id not in plan_text
        assert case_id not in strata_text
    plan = json.loads(plan_text)
    assert (plan["review_id"], plan["seed"], plan["margin_pct"], plan["census_date"]) == ("tiny", 1, 10.0, "2009-01-30")
    assert sum(s["sample_n"] for s in plan["strata"]) == plan["drawn_n"] == 66
    back = pd.read_csv(paths["cases"], dtype={"case_id": str})
    assert back["case_id"].tolist() == sp.cases["case_id"].tolist()


def test_unknown_team_is_an_error():
    pop = population()
    pop.loc[0, "team_id"] = "T9"
    with pytest.raises(ValueError, match="T9"):
        sm.plan_sample(pop, TEAMS, margin_pct=10, seed=1)
