"""The shared CSV writer: every line break survives a round trip, formulas never run."""
from __future__ import annotations

import pandas as pd

from pipeline.outputs import write_csv


def test_every_line_break_reads_back_as_one_row(tmp_path):
    frame = pd.DataFrame({"text": ["lone\rreturn", "windows\r\nbreak", "unix\nbreak", "plain"], "n": [1, 2, 3, 4]})
    path = write_csv(frame, tmp_path / "t.csv")
    back = pd.read_csv(path)
    # four rows, as written; a carriage return is kept as a line break (LF), never as a new row
    assert back["n"].tolist() == [1, 2, 3, 4]
    assert back["text"].tolist() == ["lone\nreturn", "windows\nbreak", "unix\nbreak", "plain"]


def test_formula_text_is_quoted_but_numbers_are_not(tmp_path):
    frame = pd.DataFrame({"name": ["=HYPERLINK(1)", "+1", "-2", "@SUM(A1)", "Team A"]})
    path = write_csv(frame, tmp_path / "t.csv")
    back = pd.read_csv(path, dtype=str)
    assert back["name"].tolist() == ["'=HYPERLINK(1)", "+1", "-2", "'@SUM(A1)", "Team A"]
