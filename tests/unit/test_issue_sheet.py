"""validation__issues.xlsx beside the CSV (issue 15, item 5): filters, frozen header, severity first,
widths that fit, and every text cell a literal string (never a formula)."""
from __future__ import annotations

import zipfile

import openpyxl
import pandas as pd

from pipeline.issues import ERROR, ISSUE_COLUMNS, QUERY, Issue, write_issues

HOSTILE = '=HYPERLINK("http://example.invalid","click")'


def _issues():
    return [
        Issue(QUERY, "teams", "teams.csv", None, 4, "area", "+SUM(A1)", "blank_row", "a query"),
        Issue(ERROR, "case_audit", "returns.xlsx", "case_audit", 7, "case_id", HOSTILE, "unique",
              "the case id is entered twice; a rather long message that says so in many words"),
        Issue(ERROR, "review", "review.yml", None, None, None, None, "missing_key", "-no value"),
    ]


def test_workbook_written_beside_the_csv_with_the_same_rows(tmp_path):
    csv = tmp_path / "validation__issues.csv"
    write_issues(_issues(), csv)
    book = tmp_path / "validation__issues.xlsx"
    assert csv.exists() and book.exists()
    ws = openpyxl.load_workbook(book)["issues"]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    assert rows[0] == ISSUE_COLUMNS and rows[0][0] == "severity"
    # errors first (2), then the query; same order as the CSV
    assert [r[0] for r in rows[1:]] == ["error", "error", "query"]
    frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
    assert [r[1] for r in rows[1:]] == frame["table"].tolist()


def test_header_frozen_filtered_and_widths_fit(tmp_path):
    write_issues(_issues(), tmp_path / "validation__issues.csv")
    ws = openpyxl.load_workbook(tmp_path / "validation__issues.xlsx")["issues"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:I4"  # 9 columns, header + 3 rows
    assert ws["A1"].font.bold
    # the value column (G) fits the hostile text (45 characters), the severity column (A) "severity"
    assert ws.column_dimensions["G"].width >= len(HOSTILE)
    assert 8 <= ws.column_dimensions["A"].width < 20


def test_text_that_looks_like_a_formula_stays_text(tmp_path):
    write_issues(_issues(), tmp_path / "validation__issues.csv")
    book = tmp_path / "validation__issues.xlsx"
    ws = openpyxl.load_workbook(book)["issues"]
    values = {c.value: c.data_type for r in ws.iter_rows(min_row=2) for c in r if c.value is not None}
    assert values[HOSTILE] == "s" and values["+SUM(A1)"] == "s" and values["-no value"] == "s"
    with zipfile.ZipFile(book) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet  # no formula element anywhere


def test_same_issues_give_the_same_bytes(tmp_path):
    a, b = tmp_path / "a" / "validation__issues.csv", tmp_path / "b" / "validation__issues.csv"
    write_issues(_issues(), a)
    write_issues(_issues(), b)
    assert a.with_suffix(".xlsx").read_bytes() == b.with_suffix(".xlsx").read_bytes()


def test_no_issues_still_gives_a_workbook_with_its_header(tmp_path):
    write_issues([], tmp_path / "validation__issues.csv")
    ws = openpyxl.load_workbook(tmp_path / "validation__issues.xlsx")["issues"]
    assert [c.value for c in ws[1]] == ISSUE_COLUMNS
    assert ws["A2"].value == "None."
