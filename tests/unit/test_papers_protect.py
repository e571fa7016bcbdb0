"""Disclosure control of the Board paper on tiny frames: counts of 1 to 5 are hidden in a public paper."""
from __future__ import annotations

import pandas as pd

from pipeline import disclosure as dc
from pipeline.papers.protect import Protected, cell, cells, intervals, row_of, small_any


def _table(audience: str) -> dc.SuppressedTable:
    frame = pd.DataFrame({"yes_n": [3, 40], "answered_n": [10, 50], "ci_low_pct": [10.0, 66.5],
                          "ci_high_pct": [60.0, 88.5]}, index=["C1", "C2"])
    mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    if audience == "public":
        mask.loc["C1", ["yes_n", "ci_low_pct", "ci_high_pct"]] = True
    return dc.SuppressedTable(frame, mask, mask.copy(), ["yes_n", "answered_n"], audience)


def test_a_small_count_is_c_in_a_public_paper_only():
    public, board = Protected("public"), Protected("board")
    assert [public.count(n) for n in (0, 1, 5, 6, 1234)] == ["0", dc.SUPPRESSED, dc.SUPPRESSED, "6", "1,234"]
    assert [board.count(n) for n in (1, 5)] == ["1", "5"]
    assert not public.small(None) and not public.small(float("nan"))


def test_cells_and_intervals_follow_the_mask():
    t = _table("public")
    assert cell(t, "C1", "yes_n", str) == dc.SUPPRESSED and cell(t, "C2", "yes_n", str) == "40"
    assert cells(t, "answered_n", str) == ["10", "50"]
    # 66.5 and 88.5 round half away from zero: 67% and 89%
    assert intervals(t) == [dc.SUPPRESSED, "67% to 89%"]


def test_small_any_and_row_of():
    assert small_any([0, 6, 12]) is False and small_any([0, 3]) is True and small_any([None, "x"]) is False
    frame = pd.DataFrame({"k": ["a", "b"], "v": [1, 2]})
    assert row_of(frame, "k", "b")["v"] == 2 and row_of(frame, "k", "z") is None and row_of(None, "k", "a") is None
