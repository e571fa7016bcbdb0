"""The official-statistics workbooks beside the papers (issue 15, item 5), on the examples: written
into the output folder with the papers, the same suppression as the paper's own table ([c] in the
workbook exactly where the Word paper prints c), and invented data marked on every table."""
from __future__ import annotations

import docx
import openpyxl
import pytest

from pipeline import cli
from pipeline.papers import publish
from pipeline.paths import output_dir, processed_dir

pytestmark = pytest.mark.integration
ANNUAL = ("example-annual-2010", "example-annual-2011", "example-annual-2012")
BOARD = "example-phase1"
SYNTHETIC = "Synthetic data: not real cases"


def _ensure_built(review_ids, render_last: bool = True):
    for review_id in review_ids:
        if not (processed_dir(review_id) / "_tables" / "review.json").exists():
            assert cli.build(review_id, jobs=2, render=False) == 0
    if render_last:
        assert publish.render_review(review_ids[-1], quiet=True) == 0


def _sheet_rows(ws, first_header: str):
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    start = next(i for i, r in enumerate(rows) if r and r[0] == first_header)
    header = rows[start]
    return [dict(zip(header, r)) for r in rows[start + 1:] if r and r[0] is not None]


@pytest.fixture(scope="module")
def annual():
    _ensure_built(ANNUAL)
    out = output_dir(ANNUAL[-1])
    return openpyxl.load_workbook(out / "annual-audit-tables.xlsx"), docx.Document(out / "annual-audit-report.docx")


def test_annual_workbook_hides_exactly_what_the_paper_hides(annual):
    book, word = annual
    paper = next(t for t in word.tables if [c.text for c in t.rows[0].cells][:3] == ["Criterion", "Ref", "Yes"])
    printed = {}
    for row in paper.rows[1:]:
        cells = [c.text for c in row.cells]
        printed[cells[0].split(":")[0]] = {"Yes (cases)": cells[2], "No (cases)": cells[3],
                                           "Not evidenced (cases)": cells[4], "Judged (cases)": cells[5]}
    sheet = _sheet_rows(book["Table 1"], "Criterion")
    assert {r["Criterion"] for r in sheet} == set(printed)
    hidden = 0
    for r in sheet:
        for header, text in printed[r["Criterion"]].items():
            if text == "c":
                hidden += 1
                assert r[header] == "[c]", (r["Criterion"], header)
            else:
                assert r[header] == int(text.replace(",", "")), (r["Criterion"], header)
    assert hidden > 0  # the example has small counts, so the check above compared hidden cells


def test_annual_workbook_structure_and_synthetic_marking(annual):
    book, _ = annual
    assert book.sheetnames[:3] == ["Cover", "Contents", "Notes"]
    tables = book.sheetnames[3:]
    assert len(tables) == 4
    for name in tables:
        assert book[name]["A2"].value == SYNTHETIC
    notes = [r[1] for r in book["Notes"].iter_rows(values_only=True) if isinstance(r[0], int)]
    assert any(n.startswith("[c] marks a cell") for n in notes)


def test_board_workbook_beside_the_board_paper():
    _ensure_built((BOARD,))
    book = openpyxl.load_workbook(output_dir(BOARD) / "board-paper-tables.xlsx")
    assert book.sheetnames[:3] == ["Cover", "Contents", "Notes"]
    assert all(book[name]["A2"].value == SYNTHETIC for name in book.sheetnames[3:])
    cells = [v for name in book.sheetnames[3:] for r in book[name].iter_rows(values_only=True) for v in r]
    assert "[c]" not in cells  # a board review is not suppressed
