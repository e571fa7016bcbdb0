"""The forms round trip: a case-audit workbook made by pipeline.forms, filled in through
openpyxl the way a person would, reads back to the same table and analysis as the CSV.

Uses the tiny valid review of tests/validation/conftest.py (on the test pythonpath).
"""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from tiny_review import TABLES, write_review
from pipeline import case_audit as ca
from pipeline import forms
from pipeline.contract import contract
from pipeline.load import load_review

SAMPLE = pd.DataFrame({"case_id": ["K1", "K2"], "team_id": ["T1", "T2"]})

# What the auditors enter for the two cases of TABLES["case_audit"], as a person would:
# code labels picked from the drop-downs, some dates typed as UK text, others entered as
# real Excel dates, whole numbers as numbers, blanks left blank.
ENTRIES = {
    "K1": {
        "auditor": "Auditor A", "audit_date": "20/01/2009", "record_source": "ICS only",
        "age_years": 4, "category_of_abuse": "Neglect",
        "referral_date": dt.datetime(2008, 9, 1), "strategy_discussion_date": dt.datetime(2008, 9, 2),
        "s47_start_date": "03/09/2008", "icpc_date": dt.datetime(2008, 9, 20),
        "cpp_start_date": dt.datetime(2008, 9, 20), "first_core_group_date": "30/09/2008",
        "review_conference_date": dt.datetime(2008, 12, 15), "last_visit_date": "15/01/2009",
        "last_visit_seen_alone": "Yes", "previous_cpp_count": 0,
        "interim_care_order_at_home": "No", "police_investigation_open": "No", "legal_dissent": "No",
        "C01": "Yes", "C02": "Not evidenced", "grade_overall": "Good",
    },
    "K2": {
        "auditor": "Auditor B", "audit_date": "21/01/2009", "record_source": "ICS and paper",
        "age_years": 9, "category_of_abuse": "Physical abuse",
        "referral_date": "1/10/2008", "strategy_discussion_date": dt.datetime(2008, 10, 1),
        "s47_start_date": dt.datetime(2008, 10, 2), "icpc_date": "15/10/2008",
        "cpp_start_date": dt.datetime(2008, 10, 15), "last_visit_date": dt.datetime(2009, 1, 19),
        "last_visit_seen_alone": "No", "previous_cpp_count": 1,
        "interim_care_order_at_home": "Yes", "police_investigation_open": "No", "legal_dissent": "No",
        "C01": "No", "C02": "N/A", "grade_overall": "Requires improvement",
    },
}


def _tables_without_case_audit() -> dict[str, str]:
    return {k: v for k, v in TABLES.items() if k != "case_audit"}


def _range_values(wb, ref: str) -> list[str]:
    """The values of a drop-down's source range such as Lists!$E$2:$E$5."""
    sheet, cells = ref.split("!")
    ws = wb[sheet.strip("'")]
    return [row[0].value for row in ws[cells.replace("$", "")]]


def _validation_of(ws, column_letter: str, row: int = 2):
    found = [dv for dv in ws.data_validations.dataValidation if f"{column_letter}{row}" in dv.sqref]
    return found[0] if len(found) == 1 else None if not found else pytest.fail(f"two validations on {column_letter}")


def _choose(wb, ws, col_letter: str, label: str) -> str:
    """Pick ``label`` from a cell's drop-down, failing if the drop-down does not offer it."""
    dv = _validation_of(ws, col_letter)
    assert dv is not None and dv.type == "list", f"column {col_letter} has no drop-down"
    offered = _range_values(wb, dv.formula1)
    assert label in offered, f"{label!r} not offered in {offered}"
    return label


def _fill(path: Path) -> None:
    """Fill the pre-filled rows of a case-audit form like a person using Excel."""
    wb = openpyxl.load_workbook(path)
    ws = wb["case_audit"]
    col = {c.value: c.column_letter for c in ws[1]}
    for row in range(2, ws.max_row + 1):
        case_id = ws[f"A{row}"].value
        if case_id not in ENTRIES:
            continue
        for name, value in ENTRIES[case_id].items():
            letter = col[name]
            if isinstance(value, str) and _validation_of(ws, letter) is not None \
                    and _validation_of(ws, letter).type == "list":
                value = _choose(wb, ws, letter, value)
            ws[f"{letter}{row}"] = value
    wb.save(path)


@pytest.fixture
def reviews(tmp_path):
    """The tiny review as CSV, and a filled case-audit form made from it."""
    csv_folder = write_review(tmp_path / "csv" / "tiny")
    csv_review = load_review("tiny", csv_folder)
    form = forms.build_case_audit_form(csv_review, tmp_path / "forms" / "case_audit_form.xlsx", sample=SAMPLE)
    _fill(form)
    return csv_review, form, tmp_path


def _analysis(review) -> pd.DataFrame:
    return ca.criterion_compliance(review.table("case_audit"), review.table("audit_criteria"),
                                   N=review.meta.get("cp_population"))


def test_filled_workbook_reads_back_as_the_csv(reviews):
    csv_review, form, tmp_path = reviews
    folder = write_review(tmp_path / "xlsx" / "tiny", _tables_without_case_audit())
    shutil.copy(form, folder / "case_audit_form.xlsx")
    xlsx_review = load_review("tiny", folder)
    assert_frame_equal(xlsx_review.table("case_audit"), csv_review.table("case_audit"))
    assert_frame_equal(_analysis(xlsx_review), _analysis(csv_review))
    # the Instructions and Lists sheets are ignored without a query
    assert not [i for i in xlsx_review.issues if i.rule == "unknown_sheet"]


def test_returns_split_across_workbooks_are_combined(reviews):
    csv_review, form, tmp_path = reviews
    folder = write_review(tmp_path / "split" / "tiny", _tables_without_case_audit())
    for name, drop in (("case_audit_auditor_a.xlsx", "K2"), ("case_audit_auditor_b.xlsx", "K1")):
        wb = openpyxl.load_workbook(form)
        ws = wb["case_audit"]
        rows = [r for r in range(2, ws.max_row + 1) if ws[f"A{r}"].value == drop]
        ws.delete_rows(rows[0])
        wb.save(folder / name)
    xlsx_review = load_review("tiny", folder)
    assert_frame_equal(xlsx_review.table("case_audit"), csv_review.table("case_audit"))
    assert_frame_equal(_analysis(xlsx_review), _analysis(csv_review))


def test_csv_and_workbook_parts_are_concatenated(reviews):
    """A case_audit.csv and case_audit sheets in the same folder are one table (documented)."""
    csv_review, form, tmp_path = reviews
    tables = _tables_without_case_audit()
    lines = TABLES["case_audit"].splitlines()
    tables["case_audit"] = "\n".join(lines[:2]) + "\n"  # header and K1
    folder = write_review(tmp_path / "mixed" / "tiny", tables)
    wb = openpyxl.load_workbook(form)
    ws = wb["case_audit"]
    ws.delete_rows([r for r in range(2, ws.max_row + 1) if ws[f"A{r}"].value == "K1"][0])
    wb.save(folder / "returns.xlsx")
    mixed = load_review("tiny", folder)
    # files are read in name order: case_audit.csv (K1) then returns.xlsx (K2), as in the CSV
    assert_frame_equal(mixed.table("case_audit"), csv_review.table("case_audit"))


def test_drop_downs_are_the_contract_code_lists(reviews):
    csv_review, form, _ = reviews
    spec = contract()
    wb = openpyxl.load_workbook(form)
    ws = wb["case_audit"]
    header = [c.value for c in ws[1]]
    table = spec.tables["case_audit"]
    # header: contract columns in contract order, then the criteria of the bank
    assert header == list(table.columns) + ["C01", "C02"]
    # written out by hand from the data contract
    by_hand = {
        "C01": ["Yes", "No", "Not evidenced", "N/A"],
        "category_of_abuse": ["Neglect", "Physical abuse", "Sexual abuse", "Emotional abuse", "Multiple"],
        "legal_dissent": ["Yes", "No"],
        "grade_overall": ["Outstanding", "Good", "Requires improvement", "Inadequate"],
    }
    for cell in ws[1]:
        name, letter = cell.value, cell.column_letter
        col = table.columns.get(name)
        kind = col.type if col else "code"
        dv = _validation_of(ws, letter)
        if kind == "code":
            codes = col.codes if col else table.wide.codes
            offered = _range_values(wb, dv.formula1)
            assert offered == [spec.code_label(c) for c in spec.codes[codes]], name
            # and the validator reads each label back as its code, in order
            assert [spec.code_lookup(codes)[lbl.casefold()] for lbl in offered] == list(spec.codes[codes])
            if name in by_hand:
                assert offered == by_hand[name]
            assert dv.sqref == openpyxl.worksheet.cell_range.MultiCellRange(f"{letter}2:{letter}{forms.FORM_ROWS + 1}")
        elif kind == "date":
            assert (dv.type, dv.operator, dv.formula1, dv.formula2) == ("date", "between", "36526", "73415")
            assert ws[f"{letter}2"].number_format == "DD/MM/YYYY"
        elif kind == "integer":
            assert dv.type == "whole"
            assert int(dv.formula1) == col.min
            assert (dv.formula2 is None and col.max is None) or int(dv.formula2) == col.max
        elif name == "team_id":
            assert _range_values(wb, dv.formula1) == ["T1", "T2"]
        else:
            assert dv is None, name
    # criterion text as a note on its header; pre-filled case and team ids
    letter_of = {c.value: c.column_letter for c in ws[1]}
    assert ws[f"{letter_of['C01']}1"].comment.text.startswith("C01 (Planning, Para 30.2): Is the plan clear?")
    assert [(ws[f"A{r}"].value, ws[f"B{r}"].value) for r in (2, 3)] == [("K1", "T1"), ("K2", "T2")]
    assert ws.freeze_panes == "B2"
    assert wb.sheetnames == ["case_audit", "Instructions", "Lists"]


def test_questionnaire_form_drop_downs_follow_each_question_scale(tmp_path):
    review = load_review("tiny", write_review(tmp_path / "tiny"))
    path = forms.build_questionnaire_form(review, tmp_path / "q.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["questionnaire"]
    header = {c.value: c.column_letter for c in ws[1]}
    assert list(header) == ["team_id", "completed_date", "respondent_role", "Q1", "Q2", "comments"]
    assert _range_values(wb, _validation_of(ws, header["Q1"]).formula1) == \
        ["Strongly agree", "Agree", "Disagree", "Strongly disagree", "N/A"]
    assert _range_values(wb, _validation_of(ws, header["Q2"]).formula1) == ["Yes", "Partly", "No", "N/A"]
    assert "Thresholds are clear" in ws[f"{header['Q1']}1"].comment.text
    assert [ws[f"A{r}"].value for r in (2, 3)] == ["T1", "T2"]

    # filled in and returned, it reads back as the CSV questionnaire (comments and roles aside)
    answers = {"T1": ("10/01/2009", "Team manager", "Agree", "Yes", "COMMENT-one"),
               "T2": (dt.datetime(2009, 1, 12), "Team manager", "Strongly agree", "Partly", None)}
    for r in (2, 3):
        team = ws[f"A{r}"].value
        for name, value in zip(["completed_date", "respondent_role", "Q1", "Q2", "comments"], answers[team]):
            ws[f"{header[name]}{r}"] = value
    tables = {k: v for k, v in TABLES.items() if k != "questionnaire"}
    folder = write_review(tmp_path / "xlsx" / "tiny", tables)
    wb.save(folder / "questionnaire_returns.xlsx")
    assert_frame_equal(load_review("tiny", folder).table("questionnaire"), review.table("questionnaire"))
