"""Spreadsheets never execute: formula text in a review stays text in every output.

Team names that a spreadsheet would run as formulas go through a whole build,
the audit sample and the auditors' forms; every CSV and workbook written is
then scanned. In a workbook every text cell must be a string cell (no ``<f>``
element, no cell of type formula); in a CSV no text cell may begin with ``=``,
``+``, ``-``, ``@``, tab or carriage return unless it is a number. Ids that
look like formulas are refused at validation, with an error on their column.
"""
from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from tiny_review import TABLES, write_review
from pipeline.issues import ValidationFailed
from pipeline.load import load_review
from pipeline.paths import PROCESSED_DIR, PROJ_ROOT, RAW_DIR, REPORT_DIR, output_dir, processed_dir

EXAMPLE = "example-phase1"
REVIEW = "test-inputs-formulas"
FORMULAS = ['=HYPERLINK("http://example.invalid","click")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
            "=1+1"]
NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def runs_as_formula(text: str) -> bool:
    """What a spreadsheet program would run: text starting with = + - @ tab or CR, not a number."""
    return text[:1] in ("=", "+", "-", "@", "\t", "\r") and NUMBER.fullmatch(text) is None


def _with_formula_team_names(folder: Path) -> list[str]:
    shutil.copytree(RAW_DIR / EXAMPLE, folder)
    yml = (folder / "review.yml").read_text(encoding="utf-8")
    (folder / "review.yml").write_text(yml.replace(f"review_id: {EXAMPLE}", f"review_id: {REVIEW}"), encoding="utf-8")
    with open(folder / "teams.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    names = []
    for k, row in enumerate(rows[1:]):
        row[1] = FORMULAS[k % len(FORMULAS)] + (f" {k}" if k >= len(FORMULAS) else "")
        names.append(row[1])
    with open(folder / "teams.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    return names


@pytest.fixture(scope="module")
def built():
    folder = RAW_DIR / REVIEW
    made = [folder, PROCESSED_DIR / REVIEW, output_dir(REVIEW), REPORT_DIR / "_build" / REVIEW]
    assert not any(p.exists() for p in made), "left over from an earlier run: remove it by hand"
    names = _with_formula_team_names(folder)
    try:
        for command in (["build", REVIEW], ["sample", REVIEW], ["forms", REVIEW]):
            done = subprocess.run([sys.executable, "-m", "pipeline", *command], cwd=PROJ_ROOT,
                                  capture_output=True, text=True)
            assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        yield names
    finally:
        for path in made:
            shutil.rmtree(path, ignore_errors=True)


def _outputs(suffix: str) -> list[Path]:
    return sorted(p for root in (processed_dir(REVIEW), output_dir(REVIEW)) for p in root.rglob(f"*{suffix}"))


@pytest.mark.integration
def test_no_csv_cell_runs_as_a_formula(built):
    csvs = _outputs(".csv")
    assert any(p.name == "workforce__teams.csv" for p in csvs) and any(p.name == "sample__cases.csv" for p in csvs)
    found = []
    for path in csvs:
        for r, row in enumerate(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))), start=1):
            found += [(path.name, r, cell) for cell in row if runs_as_formula(cell)]
    assert found == []


@pytest.mark.integration
def test_team_names_survive_as_text(built):
    with open(processed_dir(REVIEW) / "workforce__teams.csv", newline="", encoding="utf-8") as fh:
        written = {row["team_name"] for row in csv.DictReader(fh)}
    assert written and written <= {"'" + n for n in built}  # each name whole, behind one quote


@pytest.mark.integration
def test_no_workbook_cell_is_a_formula(built):
    books = _outputs(".xlsx")
    assert {p.name for p in books} >= {"case_audit_form.xlsx", "questionnaire_form.xlsx"}
    for path in books:
        with zipfile.ZipFile(path) as zf:
            for name in zf.namelist():
                if name.startswith("xl/worksheets/"):
                    assert b"<f>" not in zf.read(name) and b"<f " not in zf.read(name), (path.name, name)
        wb = openpyxl.load_workbook(path)
        texts = set()
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (path.name, ws.title, cell.coordinate, cell.value)
                    if isinstance(cell.value, str):
                        texts.add(cell.value)
        if "questionnaire" in path.name:
            assert set(built) <= texts  # the names are in the Instructions sheet, as text


@pytest.mark.parametrize("table, old, new, column", [
    ("case_audit", "K1,T1", "=HYPERLINK(1),T1", "case_id"),
    ("case_audit", "K2,T2", "@K2,T2", "case_id"),
    ("teams", "T2,Dartford", "+T2,Dartford", "team_id"),
    ("audit_criteria", "C02,", "-C02,", "criterion_id"),
])
def test_formula_like_ids_are_refused(tmp_path, table, old, new, column):
    folder = write_review(tmp_path / "tiny", dict(TABLES, **{table: TABLES[table].replace(old, new, 1)}))
    with pytest.raises(ValidationFailed) as exc:
        load_review("tiny", folder)
    lines = TABLES[table].splitlines()
    row = lines.index(next(line for line in lines if line.startswith(old))) + 1
    assert ("error", f"{table}.csv", row, column, "formula_like_id") in {
        (i.severity, i.file, i.row, i.column, i.rule) for i in exc.value.issues}


def test_a_negative_number_as_id_is_not_a_formula(tmp_path):
    folder = write_review(tmp_path / "tiny", dict(TABLES, teams=TABLES["teams"].replace("T2,", "-2,")))
    try:
        load_review("tiny", folder)
        found = []
    except ValidationFailed as exc:
        found = exc.issues
    assert not [i for i in found if i.rule == "formula_like_id"]
