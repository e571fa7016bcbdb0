"""Property tests of disclosure control on random small tables (hypothesis, derandomised).

Each table is one line: three parts and their total (yes + no + not evidenced =
judged), every cell a count that may be hidden. What a reader can work out is
found here by brute force, not by the module's integer programme: every whole
number assignment of the hidden parts is enumerated (the hidden total, if any,
follows from them) and kept when it agrees with the printed cells. Then:

* every count of 1 to 5 is hidden;
* every hidden small count, and every sum of hidden cells of the line whose true
  total is 1 to 5, can take every value from 0 to 10 (the protection interval);
* no cheaper set of hidden cells (by the stated cost: fewest cells that are not
  small, then fewest cells, then the smallest total) would also pass.
"""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from hypothesis import given, settings, strategies as st

from pipeline import disclosure as dc
from pipeline import protection as pr

COLS = ["a", "b", "c", "t"]
INTERVAL = pr.Interval(0, 10)


def reader_ranges(vals: list[int], hidden: list[bool]) -> dict[tuple[int, ...], tuple[int, int]]:
    """Min and max of every sum of hidden cells, over every assignment a reader cannot rule out."""
    parts = [i for i in range(3) if hidden[i]]
    bound = sum(vals[:3]) + 12  # a hidden part can exceed the true total only if the total is hidden
    grids = np.meshgrid(*[np.arange(bound + 1)] * len(parts), indexing="ij") if parts else []
    cols = {i: g.ravel() for i, g in zip(parts, grids)}
    n = len(next(iter(cols.values()))) if cols else 1
    full = {i: cols.get(i, np.full(n, vals[i])) for i in range(3)}
    total = full[0] + full[1] + full[2]
    ok = np.ones(n, bool) if hidden[3] else total == vals[3]
    full[3] = total
    out = {}
    members = [i for i in range(4) if hidden[i]]
    for k in range(1, len(members) + 1):
        for combo in itertools.combinations(members, k):
            s = sum(full[i] for i in combo)[ok]
            top = np.inf if hidden[3] and parts and s.max() >= bound else s.max()  # no total: unbounded
            out[combo] = (int(s.min()), top)
    return out


def passes(vals, hidden) -> bool:
    for combo, (lo, hi) in reader_ranges(vals, hidden).items():
        if 1 <= sum(vals[i] for i in combo) <= 5 and not (lo <= INTERVAL.low and hi >= INTERVAL.high):
            return False
    return True


def cost(vals, extra) -> tuple:
    v = [vals[i] for i in extra]
    return (sum(1 for x in v if not 1 <= x <= 5), len(v), sum(v))


lines = st.lists(st.integers(0, 14), min_size=3, max_size=3)


@settings(derandomize=True, max_examples=60, deadline=None)
@given(lines)
def test_small_counts_and_small_sums_reach_the_interval_at_least_cost(parts):
    vals = parts + [sum(parts)]
    frame = pd.DataFrame([vals], columns=COLS, index=["r"])
    got = dc.suppress_table(frame, COLS, sums={"t": ["a", "b", "c"]}, interval=INTERVAL, threshold=(1, 5))
    hidden = got.mask.loc["r"].tolist()
    primary = [1 <= v <= 5 for v in vals]
    assert all(h for h, p in zip(hidden, primary) if p)
    assert passes(vals, hidden)
    extra = tuple(i for i in range(4) if hidden[i] and not primary[i])
    others = [i for i in range(4) if not primary[i]]
    if any(primary):
        best = min((cost(vals, s) for k in range(len(others) + 1) for s in itertools.combinations(others, k)
                    if passes(vals, [primary[i] or i in s for i in range(4)])), default=None)
        assert best is not None and cost(vals, extra) == best
    else:
        assert extra == ()


@settings(derandomize=True, max_examples=30, deadline=None)
@given(st.lists(lines, min_size=2, max_size=4))
def test_rows_are_protected_independently_and_the_display_never_shows_a_small_count(rows):
    frame = pd.DataFrame([r + [sum(r)] for r in rows], columns=COLS)
    got = dc.suppress_table(frame, COLS, sums={"t": ["a", "b", "c"]}, interval=INTERVAL, threshold=(1, 5))
    show = got.display
    for i, r in frame.iterrows():
        vals = r.tolist()
        assert passes(vals, got.mask.loc[i].tolist())
        for col, v in zip(COLS, vals):
            assert (show.at[i, col] == "c") if 1 <= v <= 5 else show.at[i, col] in ("c", str(v))
