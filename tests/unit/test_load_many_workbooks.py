"""A review folder of hundreds of workbooks, one per auditor (issue 8, item 4).

Each workbook is opened exactly once, whatever sheets it holds, and the rows of
every ``case_audit`` sheet are combined, each keeping its file and Excel row.
"""
from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from tiny_review import REVIEW_YML, TABLES
from pipeline.load import load_review

N_WORKBOOKS = 200
ROWS_EACH = 2


def write_folder(folder, n=N_WORKBOOKS):
    folder.mkdir(parents=True)
    (folder / "review.yml").write_text(REVIEW_YML.replace("kind: phase", "kind: annual"), encoding="utf-8")
    for name in ("teams", "audit_criteria"):
        (folder / f"{name}.csv").write_text(TABLES[name], encoding="utf-8")
    rows = list(csv.reader(io.StringIO(TABLES["case_audit"])))
    header, body = rows[0], rows[1:]
    for k in range(n):
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "case_audit"
        ws.append(header)
        for j in range(ROWS_EACH):
            row = list(body[j % len(body)])
            row[0] = f"K{k:03d}-{j}"            # a case id of its own
            row[2] = f"Auditor {k:03d}"
            ws.append(row)
        wb.create_sheet("Instructions").append(["Fill in one row per audited case."])
        wb.save(folder / f"audit_{k:03d}.xlsx")


def test_each_workbook_is_opened_once_and_rows_combined(tmp_path, monkeypatch):
    folder = tmp_path / "tiny"
    write_folder(folder)
    opened = []
    real = openpyxl.load_workbook

    def counting(filename, *args, **kwargs):
        opened.append(str(filename))
        return real(filename, *args, **kwargs)

    monkeypatch.setattr(openpyxl, "load_workbook", counting)
    review = load_review("tiny", folder)
    assert len(opened) == N_WORKBOOKS
    assert len(set(opened)) == N_WORKBOOKS
    audit = review.tables["case_audit"]
    assert len(audit) == N_WORKBOOKS * ROWS_EACH
    assert audit["_file"].nunique() == N_WORKBOOKS
    assert sorted(set(audit["_row"])) == [2, 3]
    assert audit["case_id"].is_unique
    assert [i for i in review.issues if i.severity == "error"] == []


def test_an_error_names_its_workbook(tmp_path):
    """One bad cell among 200 workbooks is reported in the right file and row."""
    folder = tmp_path / "tiny"
    write_folder(folder, n=20)
    path = folder / "audit_007.xlsx"
    wb = openpyxl.load_workbook(path)
    ws = wb["case_audit"]
    col = [c.value for c in ws[1]].index("age_years") + 1
    ws.cell(row=3, column=col, value="#N/A")
    wb.save(path)
    with pytest.raises(Exception) as info:
        load_review("tiny", folder)
    issues = [(i.file, i.sheet, i.row, i.column, i.rule) for i in info.value.issues if i.severity == "error"]
    assert issues == [("audit_007.xlsx", "case_audit", 3, "age_years", "excel_error")]
