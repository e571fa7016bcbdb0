"""A catalogue of broken reviews: one per rule of the data contract.

Each test breaks the tiny valid review of conftest.py in one place and asserts
the exact file, sheet, Excel row, column and rule reported (header = row 1, so
the first data row is row 2).
"""
from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from tiny_review import REVIEW_YML, TABLES, write_review
from pipeline.issues import ValidationFailed
from pipeline.load import load_review


def issues_of(folder):
    """Every issue of a review folder (errors and queries), as simple tuples."""
    try:
        review = load_review(folder.name, folder)
        found = review.issues
    except ValidationFailed as exc:
        found = exc.issues
    return [(i.severity, i.file, i.sheet, i.row, i.column, i.rule) for i in found], found


def broken(tmp_path, table, old, new, count=1):
    tables = dict(TABLES)
    assert old in tables[table], f"fixture text {old!r} not in {table}"
    tables[table] = tables[table].replace(old, new, count)
    return write_review(tmp_path / "tiny", tables)


def test_valid_review_has_no_issues(tiny):
    got, _ = issues_of(tiny)
    assert got == []


def test_valid_review_types(tiny):
    review = load_review("tiny", tiny)
    audit = review.table("case_audit")
    assert audit["category_of_abuse"].tolist() == ["NEG", "PHY"]  # label "Physical abuse" accepted
    assert audit.loc[1, "first_core_group_date"] is pd_nat()
    q = review.table("questionnaire")
    assert q["completed_date"].tolist() == [dt.datetime(2009, 1, 10), dt.datetime(2009, 1, 12)]  # UK order
    assert q["Q1"].tolist() == ["agree", "strongly_agree"]
    assert review.table("teams")["agency"].tolist() == ["css", "css"]  # default
    assert "_row" not in audit.columns


def pd_nat():
    import pandas as pd

    return pd.NaT


def test_missing_required_table(tmp_path):
    tables = dict(TABLES, teams=None)
    folder = write_review(tmp_path / "tiny", tables)
    got, _ = issues_of(folder)
    assert ("error", "teams.csv", None, None, None, "missing_table") in got


def test_questions_required_with_questionnaire(tmp_path):
    folder = write_review(tmp_path / "tiny", dict(TABLES, questions=None))
    got, _ = issues_of(folder)
    assert ("error", "questions.csv", None, None, None, "missing_table") in got


def test_evidence_map_required_for_phase_only(tmp_path):
    folder = write_review(tmp_path / "tiny", dict(TABLES, evidence_map=None))
    got, _ = issues_of(folder)
    assert ("error", "evidence_map.csv", None, None, None, "missing_table") in got
    annual = REVIEW_YML.replace("kind: phase", "kind: annual")
    folder2 = write_review(tmp_path / "annual" / "tiny", dict(TABLES, evidence_map=None), annual)
    got2, _ = issues_of(folder2)
    assert not [g for g in got2 if g[0] == "error"]


def test_missing_column(tmp_path):
    folder = broken(tmp_path, "teams", "team_id,team_name,area", "team_id,label,area")
    got, _ = issues_of(folder)
    assert ("error", "teams.csv", None, 1, "team_name", "missing_column") in got


def test_misspelt_column_is_an_error_with_did_you_mean(tmp_path):
    folder = broken(tmp_path, "teams", "team_id,team_name,area", "team_id,team_nom,area")
    got, found = issues_of(folder)
    assert ("error", "teams.csv", None, 1, "team_nom", "misspelt_column") in got
    assert not [g for g in got if g[5] == "missing_column"]  # one clear issue, not two
    issue = next(i for i in found if i.rule == "misspelt_column")
    assert "did you mean 'team_name'" in issue.message


def test_unknown_column_in_narrow_table_is_a_query(tmp_path):
    folder = broken(tmp_path, "recommendations", "due_date\n", "due_date,colour\n")
    folder = write_review(folder, dict(TABLES, recommendations=TABLES["recommendations"]
                                       .replace("due_date\n", "due_date,colour\n")
                                       .replace("31/03/2009\n", "31/03/2009,blue\n")))
    got, _ = issues_of(folder)
    assert got == [("query", "recommendations.csv", None, 1, "colour", "unknown_column")]


def test_header_alias_and_case(tmp_path):
    folder = broken(tmp_path, "case_audit", "case_id,team_id", "LAchildID, TEAM_ID ")
    got, _ = issues_of(folder)
    assert got == []


def test_bad_code(tmp_path):
    folder = broken(tmp_path, "teams", "duty_assessment", "duty")
    got, found = issues_of(folder)
    assert ("error", "teams.csv", None, 2, "team_type", "code") in got
    issue = next(i for i in found if i.rule == "code")
    assert issue.value == "duty" and "duty_assessment" in issue.message


def test_bad_code_in_question_column_uses_the_question_scale(tmp_path):
    # Q2 is yes_partly_no: "agree" is not one of its codes
    folder = broken(tmp_path, "questionnaire", "agree,yes", "agree,agree")
    got, _ = issues_of(folder)
    assert got == [("error", "questionnaire.csv", None, 2, "Q2", "code")]


def test_bad_date(tmp_path):
    folder = broken(tmp_path, "questionnaire", "2009-01-10", "2009-13-10")
    got, _ = issues_of(folder)
    assert got == [("error", "questionnaire.csv", None, 2, "completed_date", "date")]


def test_us_order_date(tmp_path):
    folder = broken(tmp_path, "recommendations", "31/03/2009", "03/31/2009")
    got, found = issues_of(folder)
    assert got == [("error", "recommendations.csv", None, 2, "due_date", "date_us_order")]
    assert found[0].value == "03/31/2009"


def test_integer_and_range(tmp_path):
    folder = broken(tmp_path, "case_audit", "ics_only,4,NEG", "ics_only,18,NEG")
    got, _ = issues_of(folder)
    assert got == [("error", "case_audit.csv", None, 2, "age_years", "range")]
    folder = broken(tmp_path, "case_audit", "ics_only,4,NEG", "ics_only,four,NEG")
    got, _ = issues_of(folder)
    assert got == [("error", "case_audit.csv", None, 2, "age_years", "integer")]


def test_required_blank(tmp_path):
    folder = broken(tmp_path, "teams", "T2,Dartford long-term,West", "T2,,West")
    got, _ = issues_of(folder)
    assert got == [("error", "teams.csv", None, 3, "team_name", "required")]


def test_duplicate_id(tmp_path):
    folder = broken(tmp_path, "teams", "T2,Dartford", "T1,Dartford")
    got, _ = issues_of(folder)
    assert ("error", "teams.csv", None, 3, "team_id", "duplicate") in got


def test_duplicate_return_per_team(tmp_path):
    folder = broken(tmp_path, "questionnaire", "T2,12/01/2009", "T1,12/01/2009")
    got, _ = issues_of(folder)
    assert got == [("error", "questionnaire.csv", None, 3, "team_id", "duplicate")]


def test_duplicate_period_team_in_workforce(tmp_path):
    folder = broken(tmp_path, "workforce", "2008-12,T2", "2008-12,T1")
    got, _ = issues_of(folder)
    assert got == [("error", "workforce.csv", None, 3, "period+team_id", "duplicate")]


def test_unknown_team(tmp_path):
    folder = broken(tmp_path, "case_audit", "K2,T2", "K2,T9")
    got, found = issues_of(folder)
    assert got == [("error", "case_audit.csv", None, 3, "team_id", "unknown_team")]
    assert found[0].value == "T9"


def test_question_column_not_in_bank(tmp_path):
    tables = dict(TABLES, questionnaire=TABLES["questionnaire"].replace(",comments", ",Q3,comments")
                  .replace("yes,COMMENT", "yes,agree,COMMENT").replace("partly,\n", "partly,agree,\n"))
    folder = write_review(tmp_path / "tiny", tables)
    got, _ = issues_of(folder)
    assert got == [("error", "questionnaire.csv", None, 1, "Q3", "question_not_in_bank")]


def test_question_in_bank_without_column(tmp_path):
    tables = dict(TABLES, questions=TABLES["questions"] + "Q3,Visits on time,Visits,agree4\n")
    folder = write_review(tmp_path / "tiny", tables)
    got, _ = issues_of(folder)
    assert got == [("error", "questionnaire.csv", None, 1, "Q3", "question_missing_column")]


def test_question_columns_matched_case_insensitively(tmp_path):
    folder = broken(tmp_path, "questionnaire", "Q1,Q2", "q1, Q2 ")
    got, _ = issues_of(folder)
    assert got == []


def test_criterion_column_mismatch(tmp_path):
    folder = broken(tmp_path, "case_audit", ",C01,C02,", ",C01,C03,")
    got, _ = issues_of(folder)
    assert ("error", "case_audit.csv", None, 1, "C03", "criterion_not_in_bank") in got
    assert ("error", "case_audit.csv", None, 1, "C02", "criterion_missing_column") in got


@pytest.mark.parametrize("old,new,column,rule", [
    ("2008-09-01,2008-09-02", "2008-09-03,2008-09-02", "strategy_discussion_date",
     "date_order:referral_date<=strategy_discussion_date"),
    ("2008-09-02,2008-09-03", "2008-09-02,2008-09-01", "s47_start_date",
     "date_order:strategy_discussion_date<=s47_start_date"),
    ("2008-09-03,2008-09-20,2008-09-20", "2008-09-03,2008-09-02,2008-09-20", "icpc_date",
     "date_order:s47_start_date<=icpc_date"),
    ("2008-09-20,2008-09-20,2008-09-30", "2008-09-20,2008-09-19,2008-09-30", "cpp_start_date",
     "date_order:icpc_date<=cpp_start_date"),
    ("2008-09-20,2008-09-30", "2008-09-20,2008-09-10", "first_core_group_date",
     "date_order:icpc_date<=first_core_group_date"),
    ("2008-09-30,2008-12-15", "2008-09-30,2008-09-20", "review_conference_date",
     "date_order:icpc_date<review_conference_date"),
    ("2008-12-15,2009-01-15", "2008-12-15,2009-01-25", "last_visit_date",
     "date_order:last_visit_date<=audit_date"),
])
def test_date_order(tmp_path, old, new, column, rule):
    folder = broken(tmp_path, "case_audit", old, new)
    got, _ = issues_of(folder)
    assert got == [("error", "case_audit.csv", None, 2, column, rule)]


def test_audit_date_after_census(tmp_path):
    folder = broken(tmp_path, "case_audit", "Auditor B,2009-01-21", "Auditor B,2009-02-21")
    got, _ = issues_of(folder)
    assert ("error", "case_audit.csv", None, 3, "audit_date", "after_census_date") in got


def test_monitoring_stock_reconciliation(tmp_path):
    folder = broken(tmp_path, "monitoring", "2008-11,East,11,5,3,2,1,51", "2008-11,East,11,5,3,2,1,52")
    got, found = issues_of(folder)
    assert ("error", "monitoring.csv", None, 5, "cpp_open", "reconcile_stock") in got
    # and the County row of that month no longer equals the sum of the areas
    assert ("error", "monitoring.csv", None, 7, "cpp_open", "reconcile_county") in got


def test_monitoring_county_reconciliation(tmp_path):
    folder = broken(tmp_path, "monitoring", "2008-12,County,29", "2008-12,County,30")
    got, found = issues_of(folder)
    assert got == [("error", "monitoring.csv", None, 10, "referrals", "reconcile_county")]
    assert "29" in found[0].message


def test_monitoring_month_gap_and_rows_in_any_order(tmp_path):
    text = TABLES["monitoring"]
    lines = text.splitlines()
    shuffled = "\n".join([lines[0]] + list(reversed(lines[1:]))) + "\n"
    folder = write_review(tmp_path / "tiny", dict(TABLES, monitoring=shuffled))
    assert issues_of(folder)[0] == []
    gap = "\n".join(line for line in lines if not line.startswith("2008-11")) + "\n"
    folder = write_review(tmp_path / "gap" / "tiny", dict(TABLES, monitoring=gap))
    got, _ = issues_of(folder)
    assert ("error", "monitoring.csv", None, 5, "month", "month_gap") in got


def test_monitoring_unknown_area(tmp_path):
    folder = broken(tmp_path, "monitoring", "2008-10,West", "2008-10,North")
    got, _ = issues_of(folder)
    assert ("error", "monitoring.csv", None, 3, "area", "unknown_area") in got


def test_evidence_ref_unknown_and_missing_table(tmp_path):
    folder = broken(tmp_path, "evidence_map", "questionnaire,Q1", "questionnaire,Q9")
    got, _ = issues_of(folder)
    assert got == [("error", "evidence_map.csv", None, 2, "ref", "unknown_ref")]
    folder = write_review(tmp_path / "noworkforce" / "tiny", dict(TABLES, workforce=None))
    got, _ = issues_of(folder)
    assert got == [("query", "evidence_map.csv", None, 5, "ref", "ref_no_data")]


def test_narrative_row_needs_rag(tmp_path):
    folder = broken(tmp_path, "evidence_map", "2,grey", "2,")
    got, _ = issues_of(folder)
    assert got == [("error", "evidence_map.csv", None, 6, "rag", "required")]


def test_windows_1252_and_bom_are_read(tmp_path):
    folder = write_review(tmp_path / "tiny")
    text = TABLES["teams"].replace("Ashford duty", "Ashford duty – café")
    (folder / "teams.csv").write_bytes(text.encode("cp1252"))
    (folder / "questions.csv").write_bytes(TABLES["questions"].encode("utf-8-sig"))
    review = load_review("tiny", folder)
    assert review.table("teams")["team_name"].iloc[0] == "Ashford duty – café"
    assert review.table("questions")["question_id"].tolist() == ["Q1", "Q2"]


def test_wrong_encoding(tmp_path):
    folder = write_review(tmp_path / "tiny")
    (folder / "teams.csv").write_bytes(TABLES["teams"].encode("utf-16"))
    got, _ = issues_of(folder)
    assert ("error", "teams.csv", None, 1, None, "encoding") in got


def test_empty_file(tmp_path):
    folder = write_review(tmp_path / "tiny")
    (folder / "recommendations.csv").write_bytes(b"")
    got, _ = issues_of(folder)
    assert got == [("error", "recommendations.csv", None, None, None, "empty_file")]


def test_header_only_required_table_is_error_optional_is_query(tmp_path):
    folder = write_review(tmp_path / "tiny", dict(TABLES, teams="team_id,team_name,area,team_type\n"))
    got, _ = issues_of(folder)
    assert ("error", "teams.csv", None, None, None, "no_rows") in got
    folder = write_review(tmp_path / "b" / "tiny", dict(TABLES, recommendations="rec_id,text,phase,status\n"))
    got, _ = issues_of(folder)
    assert got == [("query", "recommendations.csv", None, None, None, "no_rows")]


def test_excel_error_value(tmp_path):
    folder = broken(tmp_path, "workforce", "2008-12,T2,12,11", "2008-12,T2,#N/A,11")
    got, _ = issues_of(folder)
    assert got == [("error", "workforce.csv", None, 3, "established_fte", "excel_error")]


def test_review_yml_rules(tmp_path):
    folder = write_review(tmp_path / "tiny", review_yml=REVIEW_YML.replace("review_id: tiny", "review_id: other")
                          .replace("audience: board", "audience: everyone"))
    got, _ = issues_of(folder)
    assert ("error", "review.yml", None, None, "review_id", "review_id") in got
    assert ("error", "review.yml", None, None, "audience", "code") in got


def _workbook(path, tables, skip=()):
    import csv
    import io

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, text in tables.items():
        if name in skip or text is None:
            continue
        ws = wb.create_sheet(name)
        for row in csv.reader(io.StringIO(text)):
            ws.append(row)
    wb.save(path)


def test_workbook_is_read_like_csv(tmp_path):
    folder = tmp_path / "tiny"
    folder.mkdir()
    (folder / "review.yml").write_text(REVIEW_YML)
    _workbook(folder / "review.xlsx", TABLES)
    # an Excel date cell in place of a text date
    wb = openpyxl.load_workbook(folder / "review.xlsx")
    wb["questionnaire"]["B2"] = dt.datetime(2009, 1, 10)
    wb.save(folder / "review.xlsx")
    csv_review = load_review("tiny", write_review(tmp_path / "csv" / "tiny"))
    xl_review = load_review("tiny", folder)
    import pandas.testing as pdt

    for name in TABLES:
        pdt.assert_frame_equal(xl_review.table(name), csv_review.table(name), check_dtype=False)


def test_workbook_with_missing_sheet(tmp_path):
    folder = tmp_path / "tiny"
    folder.mkdir()
    (folder / "review.yml").write_text(REVIEW_YML)
    _workbook(folder / "review.xlsx", TABLES, skip=("audit_criteria",))
    got, _ = issues_of(folder)
    assert ("error", "review.xlsx", "audit_criteria", None, None, "missing_table") in got


def test_workbook_cell_error_names_sheet_and_row(tmp_path):
    folder = tmp_path / "tiny"
    folder.mkdir()
    (folder / "review.yml").write_text(REVIEW_YML)
    _workbook(folder / "review.xlsx", dict(TABLES, teams=TABLES["teams"].replace("long_term", "longterm")))
    got, _ = issues_of(folder)
    assert got == [("error", "review.xlsx", "teams", 3, "team_type", "code")]
