"""No person's name in a paper: file and sheet names never reach an output.

The issue list (``validation__issues.csv``, for the review team) names the
files and sheets; the papers, which list the queries, must not.

A copy of the example review whose case audit comes as the workbook
``Audit returns - Jane Smith.xlsx``, with the sheet "Case Audit" and headers
as people write them ("Case ID", "Category of Abuse"), is read as the case
audit, gives the same tables and figures as the CSV, and no output (HTML, PDF
text, the XML inside docx and pptx, CSVs other than the issue list, notebooks,
figures) holds the name.
"""
from __future__ import annotations

import csv
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pandas.testing as pdt
import pytest
from pypdf import PdfReader

from pipeline import case_audit, cli
from pipeline.load import load_review
from pipeline.params import params
from pipeline.paths import PROCESSED_DIR, RAW_DIR, REPORT_DIR, output_dir, processed_dir

pytestmark = pytest.mark.integration
EXAMPLE = "example-phase1"
REVIEW = "test-inputs-names"
NAME = "Jane Smith"
WORKBOOK = f"Audit returns - {NAME}.xlsx"


def as_people_write_it(column: str) -> str:
    """case_id -> "Case ID", category_of_abuse -> "Category Of Abuse" (spaces, capitals)."""
    words = column.replace("_", " ").title()
    return words.replace(" Id", " ID") if words.endswith(" Id") else words


def _copy_review(folder: Path) -> None:
    shutil.copytree(RAW_DIR / EXAMPLE, folder)
    yml = (folder / "review.yml").read_text(encoding="utf-8")
    (folder / "review.yml").write_text(yml.replace(f"review_id: {EXAMPLE}", f"review_id: {REVIEW}"), encoding="utf-8")
    source = folder / "case_audit.csv"
    with open(source, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    source.unlink()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Case Audit"
    ws.append([as_people_write_it(h) for h in rows[0]])
    for row in rows[1:]:
        ws.append(row)
    wb.create_sheet(f"Notes by {NAME}")["A1"] = "an auditor's own notes"  # a query that names the sheet
    wb.save(folder / WORKBOOK)
    (folder / f"{NAME} comments.txt").write_text("not a table\n", encoding="utf-8")  # a query naming the file


@pytest.fixture(scope="module")
def built():
    folder = RAW_DIR / REVIEW
    made = [folder, PROCESSED_DIR / REVIEW, output_dir(REVIEW), REPORT_DIR / "_build" / REVIEW]
    assert not any(p.exists() for p in made), "left over from an earlier run: remove it by hand"
    _copy_review(folder)
    try:
        assert cli.build(REVIEW, jobs=2, render=True) == 0
        yield folder
    finally:
        for path in made:
            shutil.rmtree(path, ignore_errors=True)


def test_headers_people_write_are_the_contract_names():
    assert as_people_write_it("case_id") == "Case ID"
    assert as_people_write_it("category_of_abuse") == "Category Of Abuse"


def test_the_workbook_is_read_as_the_case_audit_with_the_same_rows(built):
    xl = load_review(REVIEW, built)
    original = load_review(EXAMPLE)
    assert original.issues == []
    assert sorted((i.severity, i.file, i.sheet, i.rule) for i in xl.issues) == [
        ("query", WORKBOOK, f"Notes by {NAME}", "unknown_sheet"),
        ("query", f"{NAME} comments.txt", None, "unknown_file")]
    assert set(xl.tables["case_audit"]["_file"]) == {WORKBOOK}
    assert set(xl.tables["case_audit"]["_sheet"]) == {"Case Audit"}
    pdt.assert_frame_equal(xl.table("case_audit"), original.table("case_audit"))


def test_the_figures_are_those_of_the_csv(built, tmp_path):
    """The case-audit tables of the build equal those the analysis gives from the original CSV."""
    written = case_audit.write_outputs(load_review(EXAMPLE), params(), tmp_path, figures=False)
    assert written
    for path in written:
        built_csv = processed_dir(REVIEW) / path.name
        assert built_csv.read_bytes() == path.read_bytes(), path.name


def _texts(path: Path) -> list[str]:
    """The text a reader (or a program) can get out of one output file."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return [page.extract_text() or "" for page in PdfReader(path).pages]
    if suffix in (".docx", ".pptx", ".xlsx"):
        with zipfile.ZipFile(path) as zf:
            return [zf.read(n).decode("utf-8", "replace") for n in zf.namelist()]
    return [path.read_bytes().decode("utf-8", "replace")]


def test_no_output_holds_the_name(built):
    outputs = sorted(p for root in (output_dir(REVIEW), processed_dir(REVIEW)) for p in root.rglob("*")
                     if p.is_file() and p.name not in ("validation__issues.csv", "validation__issues.xlsx"))
    assert any(p.suffix == ".pdf" for p in outputs) and any(p.suffix == ".pptx" for p in outputs)
    found = [str(p) for p in outputs if any(NAME in t or "Jane" in t for t in _texts(p))]
    assert found == []


def test_the_annexes_name_the_inputs_by_table(built):
    html = (output_dir(REVIEW) / "board-paper.html").read_text(encoding="utf-8")
    assert "case_audit" in html
    assert WORKBOOK not in html
