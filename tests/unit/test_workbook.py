"""The papers' tables as an official-statistics workbook (issue 15, item 5): cover, contents, notes,
one table per sheet, [c] for a hidden cell with its note, synthetic data marked on the cover and in
every table, and text never a formula."""
from __future__ import annotations

import zipfile

import numpy as np
import openpyxl
import pandas as pd

from pipeline import disclosure as dc
from pipeline.papers import workbook as wb


def compliance(audience: str) -> dc.SuppressedTable:
    # C01: 3 of 20 yes -> 3 is a count of 1 to 5, hidden; C02: 14 of 20, none small
    frame = pd.DataFrame({"domain": ["=cmd|' /C calc'!A0", "Planning"], "reference": ["Para 15", None],
                          "yes_n": [3, 14], "no_n": [17, 6], "not_evidenced_n": [0, 0], "answered_n": [20, 20],
                          "compliance_pct": [15.0, 70.0], "ci_low_pct": [5.2, 53.1], "ci_high_pct": [36.0, 88.8]},
                         index=pd.Index(["C01", "C02"], name="criterion_id"))
    return dc.apply_if_public(audience, frame, ["yes_n", "no_n", "not_evidenced_n", "answered_n"],
                              sums={"answered_n": ["yes_n", "no_n", "not_evidenced_n"]}, keep=["answered_n"],
                              derived={c: ["yes_n", "answered_n"] for c in ("compliance_pct", "ci_low_pct",
                                                                           "ci_high_pct")})


def rows(ws):
    return [[c.value for c in r] for r in ws.iter_rows()]


def find(ws, first):
    return next(r for r in rows(ws) if r and r[0] == first)


def write(tmp_path, audience="public", synthetic=True):
    path = wb.write_workbook(tmp_path / wb.ANNUAL_FILE, "annual", {"compliance": compliance(audience),
                                                                   "grades": None},
                             title="Tiny annual audit", authority="Test Council", synthetic=synthetic, year="2011-12")
    return openpyxl.load_workbook(path), path


def test_structure_cover_contents_notes_then_one_table_per_sheet(tmp_path):
    book, _ = write(tmp_path)
    assert book.sheetnames == ["Cover", "Contents", "Notes", "Table 1"]  # grades absent: no sheet
    assert book["Cover"]["A1"].value == "Annual practice-audit tables: Tiny annual audit"
    contents = rows(book["Contents"])
    assert any(r[0] == "Table 1" and "Compliance with each audit criterion, 2011-12" in r[1] for r in contents)


def test_hidden_cells_are_c_with_their_note(tmp_path):
    book, _ = write(tmp_path)
    ws = book["Table 1"]
    header = find(ws, "Criterion")
    c01 = dict(zip(header, find(ws, "C01")))
    c02 = dict(zip(header, find(ws, "C02")))
    assert c01["Yes (cases)"] == "[c]" and c01["Compliance (%)"] == "[c]"
    # secondary: with 20 judged shown, no and not evidenced both shown would give the 3 away
    assert "[c]" in (c01["No (cases)"], c01["Not evidenced (cases)"])
    assert c02["Yes (cases)"] == 14 and c02["Compliance (%)"] == 70
    assert c02["Reference"] == "[x]"
    title = ws["A1"].value
    notes = {r[0]: r[1] for r in rows(book["Notes"]) if isinstance(r[0], int)}
    c_note = next(n for n, text in notes.items() if text.startswith("[c] marks a cell"))
    assert f"[note {c_note}]" in title


def test_board_audience_shows_every_figure_and_no_suppression_note(tmp_path):
    book, _ = write(tmp_path, audience="board")
    ws = book["Table 1"]
    c01 = dict(zip(find(ws, "Criterion"), find(ws, "C01")))
    assert c01["Yes (cases)"] == 3 and c01["Compliance (%)"] == 15
    assert not any(isinstance(r[1], str) and r[1].startswith("[c] marks") for r in rows(book["Notes"]))


def test_synthetic_marked_on_cover_and_every_table(tmp_path):
    book, _ = write(tmp_path)
    assert any("Synthetic data: not real cases" in str(v) for r in rows(book["Cover"]) for v in r)
    for name in book.sheetnames[3:]:
        assert book[name]["A2"].value == "Synthetic data: not real cases"
    notes = [r[1] for r in rows(book["Notes"]) if isinstance(r[0], int)]
    assert any(n.startswith("Synthetic data") for n in notes)
    real, _ = write(tmp_path / "real", synthetic=False)
    assert not any("Synthetic" in str(v) for ws in real for r in rows(ws) for v in r)


def test_text_is_never_a_formula_and_bytes_are_reproducible(tmp_path):
    book, path = write(tmp_path)
    cell = next(c for r in book["Table 1"].iter_rows() for c in r if c.value == "=cmd|' /C calc'!A0")
    assert cell.data_type == "s"
    with zipfile.ZipFile(path) as z:
        assert not any("<f>" in z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/"))
    _, again = write(tmp_path / "again")
    assert again.read_bytes() == path.read_bytes()


def test_publish_frame_keeps_only_listed_columns():
    t = compliance("public")
    out = wb.publish_frame(t, {"yes_n": "Yes", "answered_n": "Judged"}, "Criterion")
    assert list(out.columns) == ["Criterion", "Yes", "Judged"]
    assert out["Judged"].tolist() == [20, 20]
    assert wb.publish_frame(pd.DataFrame({"x": [np.nan, 2.25]}), {"x": "X"}, "I")["X"].tolist() == ["[x]", 2.3]


def test_link_markup_in_the_data_stays_text(tmp_path):
    table = compliance("board")
    two_links = "[one](http://a.example) and [two](file:///etc/passwd)"
    table.frame.loc["C02", "domain"] = two_links
    path = wb.write_workbook(tmp_path / wb.BOARD_FILE, "board", {"compliance": table}, title="[t](http://t.example)",
                             authority="Test Council", synthetic=True)
    book = openpyxl.load_workbook(path)
    sheet = book["Table 1"]
    assert find(sheet, "C02")[1] == two_links  # as typed, not two hyperlinks (gptables' link syntax)
    links = [c.hyperlink.target for ws in book.worksheets for r in ws.iter_rows() for c in r if c.hyperlink]
    assert not [t for t in links if t and ("example" in t or t.startswith("file:"))], links  # contents links only
