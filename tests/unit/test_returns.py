"""The returns tracker (issue 15, item 4): sampled cases not yet returned, returns not in the sample,
cases returned twice (by two auditors or in two files) and returns per auditor, in an .xlsx beside the
sample list. Expected values are counted by hand from the rows below."""
from __future__ import annotations

import openpyxl
import pandas as pd

from pipeline import returns as rt
from pipeline import sample as sm
from pipeline.__main__ import main
from tiny_review import TABLES, write_review

HEADER = TABLES["case_audit"].splitlines()[0]
ROW = TABLES["case_audit"].splitlines()[1].split(",")  # K1's row; the case id and auditor are replaced
HOSTILE = "=HYPERLINK(\"http://x.invalid\",\"K3\")"


def row(case_id: str, auditor: str) -> list[str]:
    return [case_id, ROW[1], auditor] + ROW[3:]


def returns_folder(tmp_path):
    """case_audit.csv from Auditor A (K1, K2, K9) and a workbook from Auditor B (K1 again, K4, a formula)."""
    lines = [HEADER] + [",".join(row(c, "Auditor A")) for c in ("K1", "K2", "K9")]
    folder = write_review(tmp_path / "raw", {**TABLES, "case_audit": "\n".join(lines) + "\n"})
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "case_audit"
    ws.append(HEADER.split(","))
    for c in ("K1", "K4"):
        ws.append(row(c, "Auditor B"))
    ws.append(row("x", "Auditor B"))
    ws.cell(row=4, column=1).value = HOSTILE
    ws.cell(row=4, column=1).data_type = "s"
    wb.save(folder / "returns_auditor_b.xlsx")
    return folder


SAMPLE = pd.DataFrame({"case_id": ["K1", "K2", "K3", "K4", "K5"], "team_id": "T1", "area": "East",
                       "team_type": "duty_assessment", "stratum": "East / duty_assessment",
                       "is_certainty": "no"})


def test_returns_are_read_without_validation_dropping_the_duplicate(tmp_path):
    got, unread = rt.read_returns(returns_folder(tmp_path))
    assert unread == []
    assert sorted(got["case_id"]) == sorted(["K1", "K1", "K2", "K9", "K4", HOSTILE])
    k1 = got[got["case_id"] == "K1"]
    assert sorted(zip(k1["auditor"], k1["file"], k1["row"])) == [
        ("Auditor A", "case_audit.csv", 2), ("Auditor B", "returns_auditor_b.xlsx", 2)]


def test_tracker_views_by_hand(tmp_path):
    returns, _ = rt.read_returns(returns_folder(tmp_path))
    t = rt.track(SAMPLE, returns)
    # sample K1-K5; returned K1 (twice), K2, K4, and K9 and the formula-like id, which are not sampled
    assert t.outstanding["case_id"].tolist() == ["K3", "K5"]
    assert sorted(t.not_sampled["case_id"]) == sorted(["K9", HOSTILE])
    assert t.twice["case_id"].tolist() == ["K1", "K1"]
    assert sorted(t.twice["auditor"]) == ["Auditor A", "Auditor B"]
    by = t.by_auditor.set_index("auditor")
    # A: K1 K2 K9 -> 3 returns, 2 in the sample, 1 not, 1 (K1) also returned elsewhere
    # B: K1 K4 formula -> 3 returns, 2 in the sample, 1 not, 1 (K1)
    assert by.loc["Auditor A"].tolist() == [3, 3, 2, 1, 1]
    assert by.loc["Auditor B"].tolist() == [3, 3, 2, 1, 1]
    assert dict(zip(t.summary["measure"], t.summary["n"])) == {
        "Cases in the sample": 5, "Sampled cases returned": 3, "Sampled cases not yet returned": 2,
        "Returns received (rows)": 6, "Returns of cases not in the sample": 2,
        "Cases returned more than once": 1, "Auditors": 2}


def test_command_writes_the_workbook_beside_the_sample_only(tmp_path, monkeypatch, capsys):
    folder = returns_folder(tmp_path)
    out = tmp_path / "processed" / "tiny" / "sample"
    out.mkdir(parents=True)
    SAMPLE.assign(is_certainty=[True, False, False, False, True]).to_csv(out / sm.CASES_FILE, index=False)
    monkeypatch.setattr(sm, "sample_dir", lambda review_id: out)
    monkeypatch.setattr(rt, "sample_dir", lambda review_id: out)
    monkeypatch.setattr("pipeline.cli.raw_dir", lambda review_id: folder)
    assert main(["returns", "tiny"]) == 0
    printed = capsys.readouterr().out
    assert "Sampled cases not yet returned: 2" in printed
    for case_id in ("K1", "K3", "K9"):
        assert case_id not in printed  # the terminal gets counts only
    book = openpyxl.load_workbook(out / rt.TRACKER_FILE)
    assert book.sheetnames == ["Summary", "Not yet returned", "Not in the sample", "Returned twice", "By auditor"]
    ws = book["Not yet returned"]
    assert [c.value for c in ws[1]][:2] == ["Case id", "Team"]
    assert [ws.cell(row=r, column=1).value for r in (2, 3)] == ["K3", "K5"]
    assert [ws.cell(row=r, column=6).value for r in (2, 3)] == ["no", "yes"]  # K3 drawn, K5 high risk
    cells = [c for r in book["Not in the sample"].iter_rows(min_row=2) for c in r if c.value == HOSTILE]
    assert cells and all(c.data_type == "s" for c in cells)  # the literal text, not a formula
    assert book["Returned twice"].freeze_panes == "A2" and book["Returned twice"].auto_filter.ref


def test_command_without_a_sample_says_how_to_draw_one(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sm, "sample_dir", lambda review_id: tmp_path / "none")
    monkeypatch.setattr(rt, "sample_dir", lambda review_id: tmp_path / "none")
    assert main(["returns", "example-phase1"]) == 1
    assert "python -m pipeline sample example-phase1" in capsys.readouterr().out
    assert not (tmp_path / "none").exists()


def test_a_sheet_without_its_columns_is_named_as_unread(tmp_path):
    folder = write_review(tmp_path / "raw", {**TABLES, "case_audit": None})
    wb = openpyxl.Workbook()
    wb.active.title = "case_audit"
    wb.active.append(["case_id", "team_id"])  # the auditor forgot the other columns
    wb.active.append(["K7", "T1"])
    wb.save(folder / "short.xlsx")
    _, unread = rt.read_returns(folder)
    assert any(i.file == "short.xlsx" and i.rule == "missing_column" for i in unread)


def test_returns_unread_without_their_criteria_bank_are_named(tmp_path):
    folder = returns_folder(tmp_path)
    (folder / "audit_criteria.csv").unlink()
    got, unread = rt.read_returns(folder)
    assert got.empty and any(i.table == "audit_criteria" for i in unread)
