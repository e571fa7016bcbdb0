"""Unit tests of pipeline.case_audit: tiny inline frames, hand-worked expected values."""
from __future__ import annotations

import math

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from pipeline import case_audit as ca
from pipeline.params import load_params
from pipeline.paths import PARAMS_FILE

Z95 = 1.959963984540054  # Phi^-1(0.975)


def wilson(k, n, z=Z95):
    """Wilson (1927) score interval in percent, written out independently of pipeline.stats."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    lo = 0.0 if k == 0 else 100 * (centre - half)
    hi = 100.0 if k == n else 100 * (centre + half)
    return lo, hi


CRITERIA = pd.DataFrame({
    "criterion_id": ["C01", "C02"],
    "text": ["Is the assessment sound?", "Is recording adequate?"],
    "domain": ["Assessment", "Recording"],
    "reference": ["Para 21", None],
})
AUDIT = pd.DataFrame({
    "case_id": [f"K{i}" for i in range(1, 7)],
    "team_id": ["T1", "T1", "T2", "T2", "T3", "T3"],
    "auditor": ["Auditor A"] * 6,
    "record_source": ["ics_only", "ics_only", "ics_and_paper", "ics_only", "ics_and_paper", "ics_and_paper"],
    "interim_care_order_at_home": ["yes", "no", "no", "no", "no", "no"],
    "police_investigation_open": ["no", "yes", "no", "no", "no", "no"],
    "legal_dissent": ["no", "no", "no", "no", "no", "yes"],
    "C01": ["yes", "yes", "no", "not_evidenced", "na", None],
    "C02": ["yes", "not_evidenced", "not_evidenced", "yes", "yes", "yes"],
    "grade_supervision": ["good", "outstanding", "requires_improvement", "inadequate", "good", None],
    "grade_overall": ["good", "requires_improvement", "inadequate", "inadequate", "outstanding", "good"],
})


def test_compliance_leaves_out_na_and_blank_and_counts_not_evidenced_against():
    got = ca.criterion_compliance(AUDIT, CRITERIA)
    # C01: yes, yes, no, not_evidenced, na, blank -> 2 of 4 (na and blank out; n/e counts against)
    # C02: yes x4, not_evidenced x2 -> 4 of 6
    lo1, hi1 = wilson(2, 4)
    lo2, hi2 = wilson(4, 6)
    exp = pd.DataFrame({
        "criterion_id": ["C01", "C02"],
        "domain": ["Assessment", "Recording"],
        "reference": ["Para 21", None],
        "yes_n": [2, 4], "no_n": [1, 0], "not_evidenced_n": [1, 2], "na_n": [1, 0], "blank_n": [1, 0],
        "answered_n": [4, 6],
        "compliance_pct": [50.0, 400 / 6],
        "ci_low_pct": [lo1, lo2], "ci_high_pct": [hi1, hi2],
    })
    assert_frame_equal(got[exp.columns], exp, check_exact=False, rtol=1e-12)
    assert got["yes_n"].tolist() == [2, 4] and got["compliance_pct"].iloc[0] == 50.0


def test_compliance_interval_uses_finite_population_correction():
    got = ca.criterion_compliance(AUDIT, CRITERIA, N=10)
    # C01: n = 4 of N = 10 -> n_eff = 4 * 9 / 6 = 6, p = 0.5 kept (k_eff = 3)
    # C02: n = 6 -> n_eff = 6 * 9 / 4 = 13.5, p = 2/3 (k_eff = 9)
    assert got["ci_low_pct"].tolist() == pytest.approx([wilson(3, 6)[0], wilson(9, 13.5)[0]], rel=1e-12)
    assert got["ci_high_pct"].tolist() == pytest.approx([wilson(3, 6)[1], wilson(9, 13.5)[1]], rel=1e-12)


def test_grades_distribution():
    got = ca.grades(AUDIT)
    exp = pd.DataFrame({
        "domain": ["supervision"] * 4 + ["overall"] * 4,
        "grade": ["outstanding", "good", "requires_improvement", "inadequate"] * 2,
        "n": [1, 2, 1, 1, 1, 2, 1, 2],
        "pct": [20.0, 40.0, 20.0, 20.0, 100 / 6, 200 / 6, 100 / 6, 200 / 6],
        "graded_n": [5] * 4 + [6] * 4,
        "blank_n": [1] * 4 + [0] * 4,
    })
    assert_frame_equal(got, exp)


def test_supervision_overall_2x2():
    got = ca.supervision_overall(AUDIT)
    # Case 6 has no supervision grade: left out. Of cases 1-5:
    # supervision good+ (1, 2, 5): overall good+ 1, 5 -> a = 2; case 2 overall RI -> b = 1
    # supervision not (3, 4): overall inadequate both -> c = 0, d = 2
    # Fisher, margins rows (3, 2), cols (2, 3), n = 5: P(a) = C(3,a) C(2,2-a) / C(5,2)
    # = 0.1, 0.6, 0.3 for a = 0, 1, 2; observed a = 2 (0.3): p = 0.1 + 0.3 = 0.4.
    # Zero cell: Haldane +0.5 -> OR = 2.5 * 2.5 / (1.5 * 0.5) = 25 / 3.
    se = math.sqrt(1 / 2.5 + 1 / 1.5 + 1 / 0.5 + 1 / 2.5)
    odds = 25 / 3
    exp = pd.DataFrame({
        "supervision_group": ["good_or_better", "not_good_or_better"],
        "overall_good_or_better_n": [2, 0],
        "overall_not_good_or_better_n": [1, 2],
        "cases_n": [3, 2],
        "overall_good_or_better_pct": [200 / 3, 0.0],
        "odds_ratio": [odds] * 2,
        "or_ci_low": [math.exp(math.log(odds) - Z95 * se)] * 2,
        "or_ci_high": [math.exp(math.log(odds) + Z95 * se)] * 2,
        "p_value": [0.4] * 2,
        "is_haldane_corrected": [True, True],
        "graded_n": [5, 5],
        "ungraded_n": [1, 1],
    })
    assert_frame_equal(got, exp, check_exact=False, rtol=1e-9)


def test_high_risk_against_the_rest():
    got = ca.high_risk_compliance(AUDIT, CRITERIA)
    # high risk = cases 1 (ICO), 2 (police), 6 (legal dissent); others 3, 4, 5
    # C01 high: yes, yes, blank -> 2/2; other: no, n/e, na -> 0/2
    # C02 high: yes, n/e, yes -> 2/3; other: n/e, yes, yes -> 2/3
    exp = pd.DataFrame({
        "criterion_id": ["C01", "C01", "C02", "C02"],
        "domain": ["Assessment", "Assessment", "Recording", "Recording"],
        "group": ["high_risk", "other"] * 2,
        "cases_n": [3, 3, 3, 3],
        "population_n": pd.array([None] * 4, dtype="Int64"),
        "yes_n": [2, 0, 2, 2], "no_n": [0, 1, 0, 0], "not_evidenced_n": [0, 1, 1, 1],
        "na_n": [0, 1, 0, 0], "blank_n": [1, 0, 0, 0],
        "answered_n": [2, 2, 3, 3],
        "compliance_pct": [100.0, 0.0, 200 / 3, 200 / 3],
        "ci_low_pct": [wilson(2, 2)[0], 0.0, wilson(2, 3)[0], wilson(2, 3)[0]],
        "ci_high_pct": [100.0, wilson(0, 2)[1], wilson(2, 3)[1], wilson(2, 3)[1]],
    })
    assert_frame_equal(got, exp, check_exact=False, rtol=1e-12)


def test_high_risk_population_from_case_population():
    pop = pd.DataFrame({"interim_care_order_at_home": ["yes", "no", "no", "no", "no", "no", "no", "no"],
                        "police_investigation_open": ["no"] * 7 + ["yes"],
                        "legal_dissent": ["no"] * 8})
    got = ca.high_risk_compliance(AUDIT, CRITERIA, case_population=pop)
    assert got["population_n"].tolist() == [2, 6, 2, 6]
    # high risk: 3 audited of a population of 2 -> n >= N: the interval is the point
    hr = got[got["group"] == "high_risk"]
    assert hr["ci_low_pct"].tolist() == pytest.approx(hr["compliance_pct"].tolist())


def test_not_evidenced_by_source():
    got = ca.not_evidenced_by_source(AUDIT, CRITERIA)
    # ics_only (cases 1, 2, 4): C01 yes, yes, n/e; C02 yes, n/e, yes -> 2 n/e of 6 answered
    # ics_and_paper (3, 5, 6): C01 no, na, blank; C02 n/e, yes, yes -> 1 of 4
    exp = pd.DataFrame({
        "record_source": ["ics_only", "ics_and_paper"],
        "cases_n": [3, 3], "answered_n": [6, 4], "not_evidenced_n": [2, 1],
        "not_evidenced_pct": [100 / 3, 25.0],
        "ci_low_pct": [wilson(2, 6)[0], wilson(1, 4)[0]],
        "ci_high_pct": [wilson(2, 6)[1], wilson(1, 4)[1]],
    })
    assert_frame_equal(got, exp, check_exact=False, rtol=1e-12)


def test_precision_and_sample_sizes():
    got = ca.precision(50, 200)
    # n_eff = 50 * 199 / 150; margin = 100 z sqrt(0.25 / n_eff)
    # Cochran: n0 = z^2 / 4 / e^2: e = 0.05 -> 384.15, /(1 + 383.15/200) = 131.75 -> 132;
    # e = 0.10 -> 96.04, /(1 + 95.04/200) = 65.10 -> 66
    n_eff = 50 * 199 / 150
    exp = pd.DataFrame({
        "audited_n": [50], "population_n": pd.array([200], dtype="Int64"),
        "effective_n": [n_eff], "margin_pct": [100 * Z95 * math.sqrt(0.25 / n_eff)],
        "sample_needed_margin_5_n": [132], "sample_needed_margin_10_n": [66],
    })
    assert_frame_equal(got[exp.columns], exp, check_exact=False, rtol=1e-12)
    # without strata the design-based margin is the simple-random-sample one
    assert got["design_margin_pct"].iloc[0] == pytest.approx(exp["margin_pct"].iloc[0])
    assert not got["is_design_based"].iloc[0]


def test_precision_without_population_and_census():
    no_n = ca.precision(100, None)
    assert no_n["margin_pct"].iloc[0] == pytest.approx(100 * Z95 * 0.05)  # sqrt(0.25/100) = 0.05
    assert no_n["sample_needed_margin_5_n"].iloc[0] == 385  # 384.15 up
    assert no_n["sample_needed_margin_10_n"].iloc[0] == 97  # 96.04 up
    assert ca.precision(200, 200)["margin_pct"].iloc[0] == 0.0


class _Review:
    def __init__(self, tables, meta=None):
        self.tables = tables
        self.meta = meta or {}

    def table(self, name):
        return self.tables.get(name)


def test_write_outputs(tmp_path):
    params = load_params(PARAMS_FILE)
    review = _Review({"case_audit": AUDIT, "audit_criteria": CRITERIA}, {"cp_population": 40})
    paths = ca.write_outputs(review, params, tmp_path)
    names = {p.relative_to(tmp_path).as_posix() for p in paths}
    for need in ("case_audit__criterion_compliance.csv", "case_audit__grades.csv", "case_audit__high_risk.csv",
                 "case_audit__supervision_overall.csv", "case_audit__not_evidenced_by_source.csv",
                 "case_audit__precision.csv", "figures/case_audit__compliance.png",
                 "figures/case_audit__criterion_C01.png", "figures/case_audit__criterion_C01.json"):
        assert need in names
    assert "figures/case_audit__criterion_C02.png" not in names  # no reference
    for p in tmp_path.rglob("*"):
        if p.is_file() and p.suffix in {".csv", ".json", ".svg"}:
            text = p.read_text(encoding="utf-8")
            assert "K1" not in text and "Auditor A" not in text and "case_id" not in text, p
    assert ca.write_outputs(_Review({"audit_criteria": CRITERIA}), params, tmp_path / "x") == []


# ---------------------------------------------------------------- issue 12: design-weighted estimates

POPULATION = pd.DataFrame({
    "case_id": [f"P{i}" for i in range(20)],
    "team_id": ["T1"] * 20,
    "interim_care_order_at_home": ["yes", "no", "no", "no"] + ["no"] * 16,
    "police_investigation_open": ["no", "yes", "no", "no"] + ["no"] * 16,
    "legal_dissent": ["no", "no", "yes", "yes"] + ["no"] * 16,
})  # 4 high-risk cases, 16 other


def test_weighted_compliance_is_the_post_stratified_share():
    """High risk = K1, K2, K6 (N_h = 4); other = K3, K4, K5 (N_h = 16): W = 0.2, 0.8.

    C01: high risk yes, yes (K6 blank) -> 2/2; other no, not_evidenced (K5 na) -> 0/2;
    weighted = 0.2 x 1 + 0.8 x 0 = 20%. Both p_h are 0 or 1, so the variance
    cannot be estimated: design effect 1, Wilson on the 4 answered cases.
    C02: high risk yes, not_evidenced, yes -> 2/3; other not_evidenced, yes, yes -> 2/3;
    weighted = 66.67%; s_h^2 = 3 (2/3)(1/3) / 2 = 1/3;
    V = 0.04 (1 - 3/4) (1/3)/3 + 0.64 (1 - 3/16) (1/3)/3 = 0.53 / 9;
    n_eff = (2/9) / V = 2 / 0.53.
    """
    got = ca.criterion_compliance(AUDIT, CRITERIA, N=20, case_population=POPULATION).set_index("criterion_id")
    assert got.at["C01", "weighted_pct"] == pytest.approx(20.0)
    assert got.at["C01", "compliance_pct"] == pytest.approx(50.0)  # 2 of 4 unweighted
    lo, hi = wilson(0.8, 4)
    assert got.at["C01", "weighted_ci_low_pct"] == pytest.approx(lo)
    assert got.at["C01", "weighted_ci_high_pct"] == pytest.approx(hi)
    assert got.at["C02", "weighted_pct"] == pytest.approx(200 / 3)
    n_eff = 2 / 0.53
    assert got.at["C02", "weighted_effective_n"] == pytest.approx(n_eff)
    lo, hi = wilson(2 / 3 * n_eff, n_eff)
    assert got.at["C02", "weighted_ci_low_pct"] == pytest.approx(lo)
    assert got.at["C02", "weighted_ci_high_pct"] == pytest.approx(hi)
    assert got["is_weighted"].all()
    for cid in ("C01", "C02"):
        assert got.at[cid, "weighted_ci_low_pct"] <= got.at[cid, "weighted_pct"] <= got.at[cid, "weighted_ci_high_pct"]


def test_weighted_columns_equal_unweighted_without_case_population():
    got = ca.criterion_compliance(AUDIT, CRITERIA, N=40)
    for w, u in (("weighted_pct", "compliance_pct"), ("weighted_ci_low_pct", "ci_low_pct"),
                 ("weighted_ci_high_pct", "ci_high_pct")):
        pd.testing.assert_series_equal(got[w], got[u], check_names=False)
    assert not got["is_weighted"].any()


def test_weighted_stratum_without_answers_is_left_out():
    """C01 answered only in high-risk cases: the weighted share is the high-risk share."""
    audit = AUDIT.copy()
    audit["C01"] = ["yes", "no", "na", "na", "na", "yes"]
    got = ca.criterion_compliance(audit, CRITERIA, case_population=POPULATION).set_index("criterion_id")
    assert got.at["C01", "weighted_pct"] == pytest.approx(200 / 3)  # 2 of 3, weight 1


def test_precision_design_based_margin():
    strata = ca.audit_strata(AUDIT, POPULATION)
    assert strata == ((3, 4), (3, 16))
    got = ca.precision(6, 20, strata=strata)
    # V = 0.2^2 (1 - 3/4) (3/2 x 0.25)/3 + 0.8^2 (1 - 3/16) (3/2 x 0.25)/3
    V = 0.04 * 0.25 * 0.125 + 0.64 * 0.8125 * 0.125
    assert got["design_margin_pct"].iloc[0] == pytest.approx(100 * Z95 * math.sqrt(V))
    assert got["is_design_based"].iloc[0]
    assert got["high_risk_population_n"].iloc[0] == 4 and got["other_audited_n"].iloc[0] == 3
