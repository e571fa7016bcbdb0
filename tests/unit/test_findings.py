"""Unit tests of pipeline.findings: values, n, ratings, deferral, narrative and "no data" rows.

Ratings (as params.yaml): share_pct higher is better, green >= 80, amber >= 60;
vacancy_pct lower is better, green <= 10, amber <= 20; caseload_per_worker
green <= 18, amber <= 24; cpp_open_change_pct has no rating.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from pipeline import findings as fd


@pytest.fixture
def summaries() -> dict:
    return {
        "question_summary": pd.DataFrame(
            {"question_id": ["Q1", "Q2", "Q3"], "theme": ["t"] * 3,
             "answered_n": [40, 1000, 10], "positive_n": [32, 799, 9], "positive_pct": [80.0, 79.9, 90.0]}
        ),
        "criterion_compliance": pd.DataFrame(
            {"criterion_id": ["C01", "C02"], "domain": ["d", "d"], "reference": ["Para 9.1", None],
             "yes_n": [30, 599], "no_n": [15, 300], "not_evidenced_n": [5, 101], "na_n": [2, 0],
             "compliance_pct": [60.0, 59.9], "ci_low_pct": [46.2, 56.8], "ci_high_pct": [72.4, 62.9]}
        ),
        "timescale_summary": pd.DataFrame(
            {"measure_id": ["icpc_timely"], "met_n": [45], "not_met_n": [5], "not_yet_due_n": [3],
             "met_pct": [90.0], "ci_low_pct": [78.6], "ci_high_pct": [95.7]}
        ),
        "workforce_measures": pd.DataFrame(
            {"measure": ["vacancy_pct", "caseload_per_worker", "agency_pct"], "value": [20.0, 25.0, 10.0],
             "unit": ["%", "cases per worker", "%"], "n": [30, 30, 30]}
        ),
        "monitoring_measures": pd.DataFrame(
            {"measure": ["cpp_open_change_pct"], "value": [16.5], "unit": ["%"], "n": [12]}
        ),
    }


def _map(rows):
    return pd.DataFrame(rows, columns=["finding_id", "finding", "evidence", "source", "ref", "phase", "rag"])


EVIDENCE = _map(
    [
        ("F1", "Policies", "Q1 at 80", "questionnaire", "Q1", 1, None),
        ("F1", "Policies", "Q2 at 79.9", "questionnaire", "q2", 1, None),  # ref matched case-insensitively
        ("F2", "Plans", "C01 at 60", "case_audit", "C01", 1, None),
        ("F2", "Plans", "C02 at 59.9", "case_audit", "C02", 1, None),
        ("F3", "Capacity", "ICPC on time", "timescale", "icpc_timely", 1, None),
        ("F3", "Capacity", "vacancies", "workforce", "vacancy_pct", 1, None),
        ("F3", "Capacity", "caseloads", "workforce", "caseload_per_worker", 1, None),
        ("F4", "Demand", "plans rising", "monitoring", "cpp_open_change_pct", 1, None),
        ("F4", "Demand", "partners", "narrative", None, 1, "grey"),
        ("F5", "Health", "Q3 later", "questionnaire", "Q3", 2, None),
        ("F5", "Health", "narrative later", "narrative", None, 3, "red"),
        ("F6", "Leadership", "agency", "workforce", "agency_pct", 1, None),
        ("F6", "Leadership", "board view", "narrative", None, 1, "Red"),
    ]
)


def test_matrix(params, summaries):
    got = fd.build_matrix(EVIDENCE, params, 1, **summaries)
    na = pd.NA
    expected = pd.DataFrame(
        {
            "finding_id": ["F1", "F1", "F2", "F2", "F3", "F3", "F3", "F4", "F4", "F5", "F5", "F6", "F6"],
            "ref_label": ["Q1", "Q2", "Para 9.1", "C02", "icpc_timely", "vacancy_pct", "caseload_per_worker",
                          "cpp_open_change_pct", na, "Q3", na, "agency_pct", na],
            "value": [80.0, 79.9, 60.0, 59.9, 90.0, 20.0, 25.0, 16.5, np.nan, 90.0, np.nan, 10.0, np.nan],
            "unit": ["%", "%", "%", "%", "%", "%", "cases per worker", "%", na, "%", na, "%", na],
            # n: answered; yes + no + not_evidenced (30+15+5, 599+300+101); met + not_met; teams; months
            "n": [40, 1000, 50, 1000, 50, 30, 30, 12, na, 10, na, 30, na],
            "rag": ["green", "amber", "amber", "red", "green", "amber", "red", na, "grey", na, na, "green", "red"],
            "is_rated": [True, True, True, True, True, True, True, False, False, False, False, True, True],
            "is_deferred": [False] * 9 + [True, True] + [False, False],
            "deferred_label": [na] * 9 + ["to be reviewed in phase 2", "to be reviewed in phase 3", na, na],
            # F3: its capacity rows (vacancy amber, caseload red) are rated under capacity, not under F3,
            # which has a timescale row: F3 is green. F6 has no practice row: its capacity row counts.
            "finding_rag": ["amber", "amber", "red", "red", "green", "green", "green", na, na, na, na, "red", "red"],
        }
    )
    expected = expected.astype(
        {"finding_id": "string", "ref_label": "string", "unit": "string", "n": "Int64", "rag": "string",
         "deferred_label": "string", "finding_rag": "string"}
    )
    assert_frame_equal(got[expected.columns], expected)
    # evidence map order and text kept
    assert got["evidence"].tolist() == EVIDENCE["evidence"].tolist()
    assert got["ref"].tolist()[1] == "q2"
    assert got["ci_low_pct"].tolist()[2:5] == [46.2, 56.8, 78.6]
    assert got["ci_low_pct"].isna().tolist()[:2] == [True, True]
    assert not got["is_no_data"].any()


@pytest.mark.parametrize(
    "source, ref, value, rag",
    [
        ("questionnaire", "Q1", 80.0, "green"),
        ("questionnaire", "Q1", 79.9, "amber"),
        ("case_audit", "C01", 60.0, "amber"),
        ("timescale", "icpc_timely", 59.9, "red"),
        ("workforce", "vacancy_pct", 10.0, "green"),
        ("workforce", "vacancy_pct", 10.1, "amber"),
        ("workforce", "vacancy_pct", 20.0, "amber"),
        ("workforce", "vacancy_pct", 20.1, "red"),
        ("workforce", "agency_pct", 0.0, "green"),
        ("workforce", "caseload_per_worker", 18.0, "green"),
        ("workforce", "caseload_per_worker", 24.0, "amber"),
        ("workforce", "caseload_per_worker", 24.01, "red"),
        ("monitoring", "cpp_open_change_pct", 50.0, None),
        ("questionnaire", "Q1", np.nan, None),
    ],
)
def test_rating_boundaries(params, source, ref, value, rag):
    assert fd.rate_row(source, ref, value, params) == rag


def test_worst_rag():
    assert fd.worst_rag(["green", "red", "amber"]) == "red"
    assert fd.worst_rag(["green", "amber", "green"]) == "amber"
    assert fd.worst_rag(["grey", None, pd.NA]) is None


def test_no_data_rows(params, summaries):
    em = _map(
        [
            ("F1", "Plans", "Q1", "questionnaire", "Q1", 1, None),
            ("F1", "Plans", "C01", "case_audit", "C01", 1, None),
            ("F1", "Plans", "ICPC", "timescale", "icpc_timely", 2, None),
            ("F2", "Only missing", "C02", "case_audit", "C02", 1, None),
        ]
    )
    got = fd.build_matrix(em, params, 1, question_summary=summaries["question_summary"])
    assert got["unit"].tolist() == ["%", "no data", "no data", "no data"]
    assert got["value"].isna().tolist() == [False, True, True, True]
    assert got["n"].isna().tolist() == [False, True, True, True]
    assert got["rag"].isna().tolist() == [False, True, True, True]
    assert got["is_no_data"].tolist() == [False, True, True, True]
    assert got["is_deferred"].tolist() == [False, False, True, False]  # a later phase is still deferred
    # F1: only Q1 (80, green) is rated; F2 has nothing rated
    assert got["finding_rag"].iloc[:3].tolist() == ["green"] * 3
    assert pd.isna(got["finding_rag"].iloc[3])


def test_unknown_ref_in_present_table_is_an_error(params, summaries):
    em = _map([("F1", "x", "x", "questionnaire", "Q99", 1, None)])
    with pytest.raises(ValueError, match="Q99"):
        fd.build_matrix(em, params, 1, question_summary=summaries["question_summary"])


def test_annual_review_defers_nothing(params, summaries):
    em = _map([("F1", "x", "x", "questionnaire", "Q3", 3, None)])
    got = fd.build_matrix(em, params, None, **summaries)
    assert not got["is_deferred"].iloc[0]
    assert got["rag"].iloc[0] == "green"


def test_by_finding(params, summaries):
    got = fd.by_finding(fd.build_matrix(EVIDENCE, params, 1, **summaries))
    expected = pd.DataFrame(
        {
            "finding_id": ["F1", "F2", "F3", "F4", "F5", "F6"],
            "finding_rag": ["amber", "red", "green", pd.NA, pd.NA, "red"],
            "rows_n": [2, 2, 3, 2, 2, 2],
            "rated_n": [2, 2, 3, 0, 0, 2],
            "deferred_n": [0, 0, 0, 0, 2, 0],
        }
    ).astype({"finding_id": "string", "finding_rag": "string", "rows_n": "Int64", "rated_n": "Int64",
              "deferred_n": "Int64"})
    assert_frame_equal(got[expected.columns], expected)


def _Review(tables, meta):
    from pipeline.review import Review

    return Review("t", None, meta, tables)


def test_write_outputs_reads_summaries(tmp_path, params, summaries):
    assert fd.write_outputs(_Review({}, {"phase": 1}), params, tmp_path) == []
    summaries["question_summary"].to_csv(tmp_path / "questionnaire__question_summary.csv", index=False)
    em = _map(
        [
            ("F1", "x", "Q2", "questionnaire", "Q2", 1, None),
            ("F1", "x", "C01", "case_audit", "C01", 1, None),  # review has no case_audit: no data
        ]
    )
    review = _Review({"evidence_map": em, "questionnaire": pd.DataFrame({"team_id": ["A"]})}, {"phase": 1})
    paths = fd.write_outputs(review, params, tmp_path)
    assert [p.name for p in paths] == ["findings__matrix.csv", "findings__by_finding.csv",
                                       "findings__three_cs.csv", "findings__recommendation_links.csv"]
    m = pd.read_csv(paths[0])
    assert m["value"].iloc[0] == 79.9 and m["unit"].tolist() == ["%", "no data"]
    assert m["finding_rag"].tolist() == ["amber", "amber"]


# ---------------------------------------------------------------- issue 12: what a rating means

def test_rating_basis_and_labels(params, summaries):
    em = _map(
        [
            ("F1", "Narrative only", "board view", "narrative", None, 1, "green"),
            ("F2", "Narrative grey", "later", "narrative", None, 1, "grey"),
            ("F3", "Mixed", "Q1 at 80", "questionnaire", "Q1", 1, None),
            ("F3", "Mixed", "board view", "narrative", None, 1, "amber"),
            ("F4", "Deferred judgement", "later", "narrative", None, 2, "red"),
        ]
    )
    got = fd.build_matrix(em, params, 1, **summaries)
    assert got["rating_basis"].tolist() == ["reviewers_judgement", "not_rated", "measured",
                                            "reviewers_judgement", "not_rated"]
    assert got["finding_rating_basis"].tolist() == ["reviewers_judgement", "not_rated", "measured",
                                                    "measured", "not_rated"]
    assert got["finding_rating_label"].tolist() == ["Green: reviewers' judgement", "Not rated",
                                                    "Amber", "Amber", "Not rated"]
    by = fd.by_finding(got).set_index("finding_id")
    assert by.at["F1", "finding_rating_label"] == "Green: reviewers' judgement"
    assert pd.isna(by.at["F2", "finding_rag"])


def test_capacity_is_its_own_heading(params, summaries):
    got = fd.build_matrix(EVIDENCE, params, 1, **summaries)
    assert got["heading"].tolist()[:8] == ["competence", "competence", "compliance", "compliance",
                                           "compliance", "capacity", "capacity", "capacity"]
    assert got["counts_to_finding"].tolist()[4:7] == [True, False, False]
    cs = fd.three_cs(got).set_index("heading")
    assert cs.index.tolist() == ["compliance", "competence", "capacity"]
    # compliance: C01 amber, C02 red, icpc green; competence: Q1 green, Q2 amber (Q3 deferred);
    # capacity: vacancy amber, caseload red, agency green, cpp change unrated
    assert cs["heading_rag"].tolist() == ["red", "amber", "red"]
    assert cs["rated_n"].tolist() == [3, 2, 3]
    assert cs.loc["capacity", ["red_n", "amber_n", "green_n"]].tolist() == [1, 1, 1]
    assert cs["rows_n"].tolist() == [3, 2, 4]


def test_worst_row_is_named(params, summaries):
    by = fd.by_finding(fd.build_matrix(EVIDENCE, params, 1, **summaries)).set_index("finding_id")
    assert by.at["F2", "worst_ref"] == "C02" and by.at["F2", "worst_value"] == 59.9
    assert by.at["F1", "worst_ref"] == "q2"
    assert pd.isna(by.at["F4", "worst_ref"])


def test_case_audit_rows_use_the_weighted_share(params, summaries):
    cc = summaries["criterion_compliance"].assign(
        weighted_pct=[52.0, 81.0], weighted_ci_low_pct=[40.0, 70.0], weighted_ci_high_pct=[64.0, 90.0],
        is_weighted=[True, True])
    em = _map([("F1", "x", "C01", "case_audit", "C01", 1, None)])
    got = fd.build_matrix(em, params, 1, criterion_compliance=cc)
    assert got["value"].iloc[0] == 52.0 and got["ci_low_pct"].iloc[0] == 40.0
    assert got["rag"].iloc[0] == "red" and got["is_weighted"].iloc[0]


def test_recommendation_links_from_finding_ids(params, summaries):
    matrix = fd.build_matrix(EVIDENCE, params, 1, **summaries)
    recs = pd.DataFrame({"rec_id": ["R1", "R2", "R3"], "finding_ids": ["F1; f3", None, "F6"]})
    got = fd.recommendation_links(recs, matrix)
    assert got[["rec_id", "finding_id"]].values.tolist() == [["R1", "F1"], ["R1", "F3"], ["R3", "F6"]]
    assert got["finding"].tolist() == ["Policies", "Capacity", "Leadership"]
    with pytest.raises(ValueError, match="R9 names finding 'F99'"):
        fd.recommendation_links(pd.DataFrame({"rec_id": ["R9"], "finding_ids": ["F99"]}), matrix)
    assert fd.recommendation_links(None, matrix).empty


def test_validator_names_an_unknown_finding_id():
    from pipeline.validate import check_recommendation_findings
    recs = pd.DataFrame({"rec_id": ["R1", "R2"], "finding_ids": ["JAR1; jar5", "JAR1; JAR99"],
                         "_file": ["recommendations.csv"] * 2, "_sheet": [None, None], "_row": [2, 3]})
    em = pd.DataFrame({"finding_id": ["JAR1", "JAR5"]})
    issues = check_recommendation_findings(recs, {"evidence_map": em}, None)
    assert len(issues) == 1
    i = issues[0]
    assert (i.file, i.row, i.column, i.value, i.rule) == ("recommendations.csv", 3, "finding_ids", "JAR99",
                                                          "unknown_finding")
