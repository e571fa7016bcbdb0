"""Unit tests of pipeline.disclosure: small counts hidden, and hidden for good.

Expected masks are worked out by hand from the rule (counts 1 to 5 hidden; then
the cheapest further cells -- fewest not-small cells, then fewest headline
cells, then fewest cells, then the smallest total -- so that every hidden small
count, and every small sum of hidden cells in a line, can take any value from 0
to at least 10 given what is shown). The recoverability check is independent of
the module: it reads only the display strings a reader would see, writes down
the equations the reader knows (row and column totals, the audit sample size)
and, for each ``c`` and each sum of ``c`` cells in a line, asks an integer
programme for the smallest and largest value it could take.
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from scipy.optimize import LinearConstraint, linprog, milp

from pipeline import disclosure as dc
from pipeline import protection as pr


# ---------------------------------------------------------------- the reader's attack

def feasible_ranges(display: pd.DataFrame, equations) -> dict:
    """Min and max of every ``c`` cell given the shown cells and the known equations.

    ``equations``: list of ``(terms, rhs)``, ``terms`` a list of ``(coef, row, col)``
    naming cells of ``display``; ``sum(coef * cell) == rhs``. Unknowns are the cells
    shown as ``c``; all cells are >= 0.
    """
    unknown = sorted({(r, c) for r in display.index for c in display.columns
                      if display.at[r, c] == "c"}, key=str)
    idx = {u: k for k, u in enumerate(unknown)}
    A = np.zeros((len(equations), len(unknown)))
    b = np.zeros(len(equations))
    for e, (terms, rhs) in enumerate(equations):
        b[e] = rhs
        for coef, r, c in terms:
            shown = display.at[r, c]
            if shown == "c":
                A[e, idx[(r, c)]] += coef
            else:
                b[e] -= coef * float(shown)
    out = {}
    for u, k in idx.items():
        obj = np.zeros(len(unknown))
        obj[k] = 1
        lo = linprog(obj, A_eq=A, b_eq=b, bounds=(0, None), method="highs")
        hi = linprog(-obj, A_eq=A, b_eq=b, bounds=(0, None), method="highs")
        assert lo.status == 0, f"infeasible or failed: {lo.message}"
        out[u] = (lo.fun, math.inf if hi.status == 3 else -hi.fun)
    return out


def integer_range(display: pd.DataFrame, equations, cells, extra=()) -> tuple[float, float]:
    """Min and max of the sum of ``cells`` (all ``c``) over whole numbers >= 0, given the shown
    cells, ``equations`` as in :func:`feasible_ranges`, and ``extra`` inequalities
    ``(terms, lower)`` meaning ``sum(coef * cell) >= lower``."""
    unknown = sorted({(r, c) for r in display.index for c in display.columns
                      if display.at[r, c] == "c"}, key=str)
    idx = {u: k for k, u in enumerate(unknown)}
    rows, lo, hi = [], [], []
    for kind, items in (("eq", equations), ("ge", extra)):
        for terms, rhs in items:
            a = np.zeros(len(unknown))
            for coef, r, c in terms:
                if display.at[r, c] == "c":
                    a[idx[(r, c)]] += coef
                else:
                    rhs -= coef * float(display.at[r, c].replace(",", ""))
            rows.append(a)
            lo.append(rhs)
            hi.append(rhs if kind == "eq" else np.inf)
    obj = np.zeros(len(unknown))
    for u in cells:
        obj[idx[u]] = 1
    cons = [LinearConstraint(np.array(rows), lo, hi)]
    ones = np.ones(len(unknown))
    a = milp(obj, constraints=cons, integrality=ones, bounds=(0, np.inf))
    b = milp(-obj, constraints=cons, integrality=ones, bounds=(0, np.inf))
    assert a.status == 0, a.message
    return a.fun, (math.inf if b.status != 0 else -b.fun)


def assert_interval_protected(display, equations, truth: pd.DataFrame, extra=(), reach=(0, 10)):
    """Every hidden true 1-5, and every sum of hidden cells in one equation whose true total is
    1-5, ranges from at most reach[0] to at least reach[1]."""
    targets = [((r, c),) for r in display.index for c in display.columns
               if display.at[r, c] == "c" and 1 <= truth.at[r, c] <= 5]
    for terms, _ in equations:
        hidden = [(r, c) for _, r, c in terms if display.at[r, c] == "c"]
        for k in range(2, len(hidden) + 1):
            for combo in itertools.combinations(hidden, k):
                if 1 <= sum(truth.at[r, c] for r, c in combo) <= 5:
                    targets.append(combo)
    for t in targets:
        lo, hi = integer_range(display, equations, t, extra)
        assert lo <= reach[0] and hi >= reach[1], (t, lo, hi)


def assert_protected(display, equations):
    ranges = feasible_ranges(display, equations)
    pinned = {u: r for u, r in ranges.items() if r[1] - r[0] <= 1e-6}
    assert pinned == {}


def row_equations(rows, parts, total):
    """In each row, the parts add up to the total column."""
    return [([(1, r, p) for p in parts] + [(-1, r, total)], 0) for r in rows]


def col_equations(cols, part_rows, total_row):
    """In each column, the part rows add up to the totals row."""
    return [([(1, r, c) for r in part_rows] + [(-1, total_row, c)], 0) for c in cols]


def mask_from(frame, hidden):
    exp = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    for r, c in hidden:
        exp.at[r, c] = True
    return exp


# ---------------------------------------------------------------- primary suppression

def test_zero_and_six_shown_one_to_five_hidden():
    frame = pd.DataFrame({"team": list("abcdef"), "n": [0, 1, 3, 5, 6, 40]})
    got = dc.suppress_table(frame, ["n"])
    assert got.display["n"].tolist() == ["0", "c", "c", "c", "6", "40"]
    assert got.mask["n"].tolist() == [False, True, True, True, False, False]
    assert got.mask["team"].tolist() == [False] * 6
    assert got.display["team"].tolist() == list("abcdef")


def test_text_count():
    assert [dc.suppress_text_count(n) for n in (0, 1, 5, 6, 120)] == ["0", "c", "c", "6", "120"]
    with pytest.raises(ValueError):
        dc.suppress_text_count(2.5)
    with pytest.raises(ValueError):
        dc.suppress_text_count(float("nan"))


# ---------------------------------------------------------------- secondary suppression

def test_row_total_forces_the_next_smallest():
    # 3 + 10 + 12 = 25: with 3 hidden, 25 - 10 - 12 gives it back, so 10 goes too.
    frame = pd.DataFrame({"a_n": [3, 7], "b_n": [10, 8], "c_n": [12, 9], "total_n": [25, 24]},
                         index=["r1", "r2"])
    cols = ["a_n", "b_n", "c_n", "total_n"]
    got = dc.suppress_table(frame, cols, sums={"total_n": ["a_n", "b_n", "c_n"]})
    assert_frame_equal(got.mask, mask_from(frame, [("r1", "a_n"), ("r1", "b_n")]))
    assert_frame_equal(got.primary, mask_from(frame, [("r1", "a_n")]))
    assert got.display.loc["r1"].tolist() == ["c", "c", "12", "25"]
    assert got.display.loc["r2"].tolist() == ["7", "8", "9", "24"]
    assert_protected(got.display, row_equations(frame.index, ["a_n", "b_n", "c_n"], "total_n"))


def test_two_way_table_chain_across_a_column():
    # Hiding r1.A (2) forces r1.B (10, row r1); column A then has one hidden and
    # gives r2.A (8); column B gives r2.B (9); row r2 then has two. A 2 x 2 block.
    frame = pd.DataFrame({"A": [2, 8, 15, 25], "B": [10, 9, 40, 59], "C": [20, 30, 7, 57],
                          "T": [32, 47, 62, 141]}, index=["r1", "r2", "r3", "T"])
    got = dc.suppress_table(frame, list("ABCT"), sums={"T": list("ABC")},
                            row_sums={"T": ["r1", "r2", "r3"]})
    assert_frame_equal(got.mask, mask_from(frame, [("r1", "A"), ("r1", "B"),
                                                   ("r2", "A"), ("r2", "B")]))
    eqs = (row_equations(frame.index, list("ABC"), "T")
           + col_equations(list("ABCT"), ["r1", "r2", "r3"], "T"))
    assert_protected(got.display, eqs)


def test_small_total_hidden_and_chained_through_the_totals_row():
    # Row r1 is 1 + 2 = 3: all three hidden (primary). Each column then has one
    # hidden cell above the totals row, so r2's cells go too; the totals row stays.
    frame = pd.DataFrame({"a": [1, 10, 11], "b": [2, 20, 22], "t": [3, 30, 33]},
                         index=["r1", "r2", "T"])
    got = dc.suppress_table(frame, ["a", "b", "t"], sums={"t": ["a", "b"]},
                            row_sums={"T": ["r1", "r2"]})
    assert_frame_equal(got.mask, mask_from(frame, [(r, c) for r in ("r1", "r2")
                                                   for c in ("a", "b", "t")]))
    assert got.display.loc["T"].tolist() == ["11", "22", "33"]
    eqs = row_equations(frame.index, ["a", "b"], "t") + col_equations(["a", "b", "t"],
                                                                      ["r1", "r2"], "T")
    assert_protected(got.display, eqs)


BRIDGE = pd.DataFrame({
    "A": [2, 5, 50, 70, 127],
    "B": [3, 1, 60, 80, 144],
    "C": [4, 30, 2, 4, 40],
    "D": [20, 40, 3, 5, 68],
    "T": [29, 76, 115, 159, 379],
}, index=["r1", "r2", "r3", "r4", "T"])
BRIDGE_PRIMARY = [("r1", "A"), ("r1", "B"), ("r2", "A"), ("r2", "B"), ("r1", "C"),
                  ("r3", "C"), ("r3", "D"), ("r4", "C"), ("r4", "D")]
BRIDGE_EQS = (row_equations(BRIDGE.index, list("ABCD"), "T")
              + col_equations(list("ABCDT"), ["r1", "r2", "r3", "r4"], "T"))


def test_two_hidden_per_line_is_not_enough_the_check_can_fail():
    # The primary cells alone already leave every row and column with 0 or >= 2
    # hidden, yet r1.C is pinned: rows r2 and columns A, B give r1.A + r1.B = 5,
    # so r1.C = 29 - 20 - 5 = 4. The reader's check must find exactly that.
    shown = BRIDGE.astype(str).mask(mask_from(BRIDGE, BRIDGE_PRIMARY), "c")
    ranges = feasible_ranges(shown, BRIDGE_EQS)
    pinned = {u: r for u, r in ranges.items() if r[1] - r[0] <= 1e-6}
    assert pinned == {("r1", "C"): pytest.approx((4.0, 4.0))}


def test_pinned_cell_gets_more_cells_hidden_until_the_interval_is_reached():
    # The search hides further cells until every small count in the bridge can take any
    # value from 0 to 10; the reader's integer programme (written here) confirms it.
    got = dc.suppress_table(BRIDGE, list("ABCDT"), sums={"T": list("ABCD")},
                            row_sums={"T": ["r1", "r2", "r3", "r4"]})
    assert_frame_equal(got.primary, mask_from(BRIDGE, BRIDGE_PRIMARY))
    assert got.mask.to_numpy()[got.primary.to_numpy()].all()
    assert not got.mask.loc["T"].any(), "the totals row is shown"
    assert_protected(got.display, BRIDGE_EQS)
    assert_interval_protected(got.display, BRIDGE_EQS, BRIDGE)


def test_hidden_zero_pinned_by_non_negativity():
    # x0 + x1 = 3 and x1 + x2 = 0 with all three hidden: the null space leaves them
    # free, but x1, x2 >= 0 forces both to 0 and so x0 = 3. Only a programme sees it.
    problem = pr.Problem(values=np.array([3.0, 0.0, 0.0, 3.0, 0.0]),
                         unknown=np.array([True, True, True, False, False]),
                         equations=[([0, 1, 3], [1.0, 1.0, -1.0]), ([1, 2, 4], [1.0, 1.0, -1.0])],
                         sensitive=np.ones(5, bool))
    assert pr.feasible_range(problem, [0]) == (3.0, 3.0)
    assert pr.feasible_range(problem, [1, 2]) == (0.0, 0.0)
    # x0 alone and x0 + x1 (the hidden cells of the first line, 3 in all) are pinned
    assert [f.cells for f in pr.audit(problem, (1, 5), pr.Interval(0, 10))] == [(0,), (0, 1)]


# ---------------------------------------------------------------- percentages

COMPLIANCE = pd.DataFrame({
    "criterion_id": ["C01", "C03", "C04"],
    "yes_n": [47, 32, 30], "no_n": [3, 13, 10], "not_evidenced_n": [0, 5, 10],
    "na_n": [0, 0, 0], "blank_n": [0, 0, 0], "answered_n": [50, 50, 50],
    "compliance_pct": [94.0, 64.0, 60.0],
    "ci_low_pct": [84.1, 50.5, 46.5], "ci_high_pct": [97.9, 75.6, 72.1],
    "cases_n": [50, 50, 50],
}).set_index("criterion_id")
COUNTS = ["yes_n", "no_n", "not_evidenced_n", "na_n", "blank_n", "answered_n"]
SUMS = {"answered_n": ["yes_n", "no_n", "not_evidenced_n"],
        "cases_n": ["answered_n", "na_n", "blank_n"]}
ON_YES = ["yes_n", "answered_n"]
DERIVED = {"compliance_pct": ON_YES, "ci_low_pct": ON_YES, "ci_high_pct": ON_YES}


def test_percentages_hidden_with_their_counts_only():
    # C01: no 3 hidden, so yes 47 (smaller than answered 50) goes too, and with it
    # the percentage and interval. C03: not evidenced 5 hidden, then no 13; the
    # percentage rests on yes and answered, both shown, so it stays.
    # cases_n (the audit sample, published elsewhere) is a fixed total.
    got = dc.suppress_table(COMPLIANCE, COUNTS, sums=SUMS, derived=DERIVED)
    exp = mask_from(COMPLIANCE, [("C01", "no_n"), ("C01", "yes_n"), ("C01", "compliance_pct"),
                                 ("C01", "ci_low_pct"), ("C01", "ci_high_pct"),
                                 ("C03", "not_evidenced_n"), ("C03", "no_n")])
    assert_frame_equal(got.mask, exp)
    show = got.to_display({"compliance_pct": lambda v: f"{v:.0f}%"})
    assert show.at["C01", "compliance_pct"] == "c"
    assert show.at["C03", "compliance_pct"] == "64%"
    assert show.at["C01", "cases_n"] == "50"
    rows = COMPLIANCE.index
    eqs = (row_equations(rows, SUMS["answered_n"], "answered_n")
           + [([(1, r, "answered_n"), (1, r, "na_n"), (1, r, "blank_n")], 50) for r in rows])
    assert_protected(got.display, eqs)
    # the percentage would give yes back: 94% of 50 answered is 47
    assert got.numeric.loc["C01", ["yes_n", "compliance_pct", "ci_low_pct"]].isna().all()


def test_fixed_total_of_one_to_five_refused():
    frame = pd.DataFrame({"a_n": [2], "b_n": [1], "cases_n": [3]})
    with pytest.raises(dc.DisclosureError):
        dc.suppress_table(frame, ["a_n", "b_n"], sums={"cases_n": ["a_n", "b_n"]})


# ---------------------------------------------------------------- long tables

GRADES = pd.DataFrame({
    "domain": ["assessment"] * 4 + ["planning"] * 4 + ["supervision"] * 3,
    "grade": ["outstanding", "good", "requires_improvement", "inadequate"] * 2
             + ["outstanding", "good", "requires_improvement"],
    "n": [8, 30, 10, 2, 3, 34, 11, 2, 4, 28, 17],
    "graded_n": [50] * 8 + [49] * 3,
    "blank_n": [0] * 8 + [1] * 3,
    "cases_n": [50] * 11,
})
GRADES["pct"] = 100 * GRADES["n"] / GRADES["graded_n"]


def test_long_table_each_domain_is_a_line():
    # assessment: inadequate 2 hidden; outstanding 8 beside it makes 2 + 8 = 10, enough.
    # planning: 3 and 2 hidden add up to 5, itself a small count a reader gets from the
    # totals, so requires improvement 11 goes too (the three then range over 0..16).
    # supervision (no inadequate row: a known 0): blank 1 can only be covered by hiding
    # graded 49 (graded + blank = 50 audited); with outstanding 4 that leaves 4 + blank = 5
    # pinned, so requires improvement 17 goes as well (the cheapest of 17 and 28).
    got = dc.suppress_long(GRADES, by="domain", category="grade", value="n",
                           total="graded_n", group_counts=["blank_n"],
                           sums={"cases_n": ["graded_n", "blank_n"]},
                           derived={"pct": ["n", "graded_n"]})
    hidden = [(i, c) for i in (0, 3, 4, 6, 7, 8, 10) for c in ("n", "pct")] + [(9, "pct")]
    hidden += [(i, c) for i in (8, 9, 10) for c in ("graded_n", "blank_n")]
    assert_frame_equal(got.mask, mask_from(GRADES, hidden))
    assert got.display["n"].tolist() == ["c", "30", "10", "c", "c", "34", "c", "c",
                                         "c", "28", "c"]
    eqs = []
    for dom, rows in GRADES.groupby("domain").groups.items():
        rows = list(rows)
        eqs.append(([(1, r, "n") for r in rows] + [(-1, rows[0], "graded_n")], 0))
        eqs.append(([(1, rows[0], "graded_n"), (1, rows[0], "blank_n")], 50))
        for r in rows[1:]:  # the reader knows the repeated group cells are equal
            eqs += [([(1, r, c), (-1, rows[0], c)], 0) for c in ("graded_n", "blank_n")]
    assert_protected(got.display, eqs)
    assert_interval_protected(got.display, eqs[:2] + eqs[6:8] + eqs[12:14], GRADES)


# ---------------------------------------------------------------- policy and outputs

SMALL = pd.DataFrame({"team": ["a", "b"], "cases_n": [3, 12], "cases_pct": [20.0, 80.0]})


def test_board_review_passed_through_unchanged():
    got = dc.apply_if_public("board", SMALL, ["cases_n"], derived={"cases_pct": ["cases_n"]})
    assert_frame_equal(got.numeric, SMALL)
    assert not got.mask.to_numpy().any()
    assert got.display["cases_n"].tolist() == ["3", "12"]
    assert got.note == ""
    assert got.text(0, "cases_n") == "3"


def test_public_review_suppressed_through_the_same_call():
    got = dc.apply_if_public("public", SMALL, ["cases_n"], derived={"cases_pct": ["cases_n"]})
    assert got.display["cases_n"].tolist() == ["c", "12"]
    assert got.display["cases_pct"].tolist() == ["c", "80.0"]
    assert got.note == dc.CONVENTION_NOTE
    long = dc.apply_if_public("public", GRADES, ["graded_n", "blank_n"], long=True,
                              by="domain", category="grade", value="n", total="graded_n")
    assert long.display.at[3, "n"] == "c"


def test_unknown_audience_refused():
    with pytest.raises(ValueError):
        dc.apply_if_public("everyone", SMALL, ["cases_n"])


def test_chart_data_and_sentences_never_carry_a_hidden_value():
    frame = pd.DataFrame({"a_n": [3, 7], "b_n": [10, 8], "c_n": [12, 9], "total_n": [25, 24]},
                         index=["r1", "r2"])
    got = dc.suppress_table(frame, ["a_n", "b_n", "c_n", "total_n"],
                            sums={"total_n": ["a_n", "b_n", "c_n"]})
    exp = frame.astype({"a_n": "float64", "b_n": "float64"})
    exp.loc["r1", ["a_n", "b_n"]] = np.nan
    assert_frame_equal(dc.chart_safe(got), exp)
    assert got.text("r1", "b_n") == "c"  # hidden only as a secondary cell
    assert got.text("r1", "c_n") == "12"
    with pytest.raises(TypeError):
        dc.chart_safe(frame)


def test_counts_must_be_whole_and_non_negative():
    with pytest.raises(ValueError):
        dc.suppress_table(pd.DataFrame({"n": [-1, 7]}), ["n"])
    with pytest.raises(ValueError):
        dc.suppress_table(pd.DataFrame({"n": [1.5, 7]}), ["n"])


C07 = pd.concat([COMPLIANCE.loc[["C01"]], pd.DataFrame({
    "yes_n": [36], "no_n": [4], "not_evidenced_n": [9], "na_n": [0], "blank_n": [1],
    "answered_n": [49], "compliance_pct": [100 * 36 / 49], "ci_low_pct": [60.1],
    "ci_high_pct": [83.6], "cases_n": [50]}, index=pd.Index(["C07"], name="criterion_id"))])
C07_EQS = (row_equations(C07.index, SUMS["answered_n"], "answered_n")
           + [([(1, r, "answered_n"), (1, r, "na_n"), (1, r, "blank_n")], 50) for r in C07.index])


def test_blank_as_a_sensitive_cell_costs_the_denominator():
    # C01 (47 | 3 | 0 | 50): a hidden 0 beside the 3 would leave 3 + 0 = 3 pinned, so the
    # cheapest cover is yes 47 (one cell; answered 50 is pinned by the sample of 50).
    # C07 (36 | 4 | 9 | 49; na 0, blank 1): not evidenced 9 covers the 4 (4 + 9 = 13), but
    # the blank 1 in 49 + 0 + blank = 50 can only move if answered 49 is hidden too.
    got = dc.suppress_table(C07, COUNTS, sums=SUMS, derived=DERIVED, keep=["yes_n", "answered_n"])
    assert_frame_equal(got.mask, mask_from(C07, [
        ("C01", "no_n"), ("C01", "yes_n"), ("C07", "no_n"), ("C07", "blank_n"),
        ("C07", "not_evidenced_n"), ("C07", "answered_n")]
        + [(r, c) for r in ("C01", "C07") for c in ("compliance_pct", "ci_low_pct", "ci_high_pct")]))
    assert_interval_protected(got.display, C07_EQS, C07)


def test_unpublished_not_answered_never_hides_the_denominator():
    # Declared unpublished, na and blank are never printed and never hidden for being small:
    # C07 keeps answered 49 and its 73%; only the 4 and the 9 beside it go.
    counts = ["yes_n", "no_n", "not_evidenced_n", "answered_n", "na_n", "blank_n"]
    got = dc.suppress_table(C07, counts, sums=SUMS, derived=DERIVED, keep=["yes_n", "answered_n"],
                            unpublished=["na_n", "blank_n"])
    assert got.mask.loc["C07"].tolist() == [c in ("no_n", "not_evidenced_n") for c in C07.columns]
    assert got.to_display({"compliance_pct": lambda v: f"{v:.0f}%"}).at["C07", "compliance_pct"] == "73%"
    assert not got.mask[["na_n", "blank_n"]].to_numpy().any()


# ---------------------------------------------------------------- the cost-based choice, by hand

def test_two_small_cells_need_a_third_when_they_reach_only_seven():
    # 3 + 4 + 20 = 27: the old rule stopped at the two small cells, but then each lies in 0..7.
    # Hiding 20 as well lets each move over 0..27; the total 27 stays (20 is cheaper).
    frame = pd.DataFrame({"a": [3], "b": [4], "c": [20], "t": [27]}, index=["r"])
    got = dc.suppress_table(frame, list("abct"), sums={"t": list("abc")})
    assert got.mask.loc["r"].tolist() == [True, True, True, False]
    assert_interval_protected(got.display, row_equations(["r"], list("abc"), "t"), frame)


def test_the_smallest_cover_is_chosen_not_the_first_in_order():
    # 2 | 30 | 12 | total 44: hiding 12 (not 30, which comes first) gives 2 + 12 = 14 >= 10.
    frame = pd.DataFrame({"a": [2], "b": [30], "c": [12], "t": [44]}, index=["r"])
    got = dc.suppress_table(frame, list("abct"), sums={"t": list("abc")})
    assert got.mask.loc["r"].tolist() == [True, False, True, False]
    # 2 | 30 | 6 | 38: hiding 6 gives only 2 + 6 = 8 < 10, so 30 is the cheapest cover
    frame = pd.DataFrame({"a": [2], "b": [30], "c": [6], "t": [38]}, index=["r"])
    got = dc.suppress_table(frame, list("abct"), sums={"t": list("abc")})
    assert got.mask.loc["r"].tolist() == [True, True, False, False]


TIMESCALE = pd.DataFrame({"met_n": [103, 109], "not_met_n": [4, 11], "due_n": [107, 120],
                          "nyd_n": [13, 0], "cases_n": [120, 120]}, index=["review", "icpc"])
TIMESCALE["met_pct"] = 100 * TIMESCALE["met_n"] / TIMESCALE["due_n"]


def test_a_share_hidden_for_its_small_complement_is_published_as_a_band():
    # review: not met 4 hidden, met 103 covers it (due 107 is pinned by 107 + 13 = 120).
    # 96% of 107: "95% or more" would say met >= 102, not met <= 5 (too narrow); "90% or
    # more" says met >= 97, not met anywhere in 0..10: the band printed.
    got = dc.suppress_table(TIMESCALE, ["met_n", "not_met_n", "due_n", "nyd_n"],
                            sums={"due_n": ["met_n", "not_met_n"], "cases_n": ["due_n", "nyd_n"]},
                            derived={"met_pct": ["met_n", "due_n"]}, keep=["met_n", "due_n"],
                            shares={"met_pct": ("met_n", "due_n")})
    assert got.mask.loc["review"].tolist() == [True, True, False, False, False, True]
    show = got.to_display({"met_pct": lambda v: f"{v:.0f}%"})
    assert show.loc["review"].tolist() == ["c", "c", "107", "13", "120", "90% or more"]
    assert show.loc["icpc"].tolist() == ["109", "11", "120", "0", "120", "91%"]
    assert got.text("review", "met_pct") == "90% or more"
    assert np.isnan(got.numeric.at["review", "met_pct"])
    eqs = row_equations(TIMESCALE.index, ["met_n", "not_met_n"], "due_n")
    band = [([(100, "review", "met_n"), (-90, "review", "due_n")], 0)]
    assert_interval_protected(show, eqs, TIMESCALE, extra=band)


def test_no_band_when_even_the_lowest_leaves_the_small_sum_too_narrow():
    # C14: 37 | 2 | 1 | 40. No + not evidenced = 3 is a small sum, so yes 37 goes too. At
    # 92.5% the bands 90, 85 and 80 leave no + not evidenced at most 4, 6 and 8: too narrow,
    # so the share is hidden; allowed a 75% band (yes >= 30), it reaches 10 and is printed.
    frame = pd.DataFrame({"yes_n": [37], "no_n": [2], "ne_n": [1], "judged_n": [40],
                          "na_n": [80], "cases_n": [120]}, index=["C14"])
    frame["pct"] = 100 * frame["yes_n"] / frame["judged_n"]
    kw = dict(sums={"judged_n": ["yes_n", "no_n", "ne_n"], "cases_n": ["judged_n", "na_n"]},
              derived={"pct": ["yes_n", "judged_n"]}, keep=["yes_n", "judged_n"],
              unpublished=["na_n"], shares={"pct": ("yes_n", "judged_n")})
    counts = ["yes_n", "no_n", "ne_n", "judged_n", "na_n"]
    got = dc.suppress_table(frame, counts, **kw)
    assert got.display.loc["C14", ["yes_n", "no_n", "ne_n", "judged_n", "pct"]].tolist() == \
        ["c", "c", "c", "40", "c"]
    banded = dc.suppress_table(frame, counts, bands=(75,), **kw)
    assert banded.text("C14", "pct") == "75% or more"
