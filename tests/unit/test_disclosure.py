"""Unit tests of pipeline.disclosure: small counts hidden, and hidden for good.

Expected masks are worked out by hand from the rule (counts 1 to 5 hidden; a line
with exactly one hidden cell gets its smallest non-zero shown count hidden). The
recoverability check is independent of the module: it reads only the display
strings a reader would see, writes down the equations the reader knows (row and
column totals, the audit sample size) and, for each ``c``, asks a linear
programme for the smallest and largest value the cell could take. A cell is
protected when the two differ.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from scipy.optimize import linprog

from pipeline import disclosure as dc


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


def test_pinned_cell_gets_one_more_cell_hidden():
    # The audit hides the smallest shown count in r1.C's row: r1.D (20). r1.C then
    # lies on the cycle r1.C - r3.C - r3.D - r1.D and can move.
    got = dc.suppress_table(BRIDGE, list("ABCDT"), sums={"T": list("ABCD")},
                            row_sums={"T": ["r1", "r2", "r3", "r4"]})
    assert_frame_equal(got.primary, mask_from(BRIDGE, BRIDGE_PRIMARY))
    assert_frame_equal(got.mask, mask_from(BRIDGE, BRIDGE_PRIMARY + [("r1", "D")]))
    assert_protected(got.display, BRIDGE_EQS)


def test_hidden_zero_pinned_by_non_negativity():
    # x0 + x1 = 3 and x1 + x2 = 0 with all three hidden: the null space leaves them
    # free, but x1, x2 >= 0 forces both to 0 and so x0 = 3. Only the programme sees it.
    vals = np.array([3.0, 0.0, 0.0, 3.0, 0.0])
    eqs = [([0, 1, 3], [1.0, 1.0, -1.0]), ([1, 2, 4], [1.0, 1.0, -1.0])]
    hidden = np.array([True, True, True, False, False])
    assert dc._pinned(vals, hidden, eqs) == [0, 1, 2]
    assert dc._pinned(vals, np.array([True, True, False, True, False]), eqs[:1]) == []


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
    # assessment: inadequate 2 hidden, then outstanding 8 (smallest left).
    # planning: 3 and 2 both hidden; nothing more. supervision (no inadequate row:
    # a known 0): blank 1 hidden, so graded 49 goes (graded + blank = 50 audited);
    # the grades then have outstanding 4 and graded 49 hidden, two in the line.
    got = dc.suppress_long(GRADES, by="domain", category="grade", value="n",
                           total="graded_n", group_counts=["blank_n"],
                           sums={"cases_n": ["graded_n", "blank_n"]},
                           derived={"pct": ["n", "graded_n"]})
    hidden = [(0, "n"), (0, "pct"), (3, "n"), (3, "pct"), (4, "n"), (4, "pct"),
              (7, "n"), (7, "pct"), (8, "n")]
    hidden += [(i, c) for i in (8, 9, 10) for c in ("graded_n", "blank_n", "pct")]
    assert_frame_equal(got.mask, mask_from(GRADES, hidden))
    assert got.display["n"].tolist() == ["c", "30", "10", "c", "c", "34", "11", "c",
                                         "c", "28", "17"]
    eqs = []
    for dom, rows in GRADES.groupby("domain").groups.items():
        rows = list(rows)
        eqs.append(([(1, r, "n") for r in rows] + [(-1, rows[0], "graded_n")], 0))
        eqs.append(([(1, rows[0], "graded_n"), (1, rows[0], "blank_n")], 50))
        for r in rows[1:]:  # the reader knows the repeated group cells are equal
            eqs += [([(1, r, c), (-1, rows[0], c)], 0) for c in ("graded_n", "blank_n")]
    assert_protected(got.display, eqs)


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


def test_keep_hides_a_zero_rather_than_the_headline_percentage():
    # C01 (yes 47, no 3, not evidenced 0): with yes and answered kept, the 0 not
    # evidenced is hidden beside the 3, so no + not evidenced = 3 and either could
    # be 0 to 3; 94% stays. C07 (no 4, blank 1): not evidenced 9 goes with the 4;
    # in answered 49 + na 0 + blank c = 50 the standard rule would hide answered
    # (and the percentage); kept, the 0 not-applicable is hidden instead.
    frame = pd.concat([COMPLIANCE.loc[["C01"]], pd.DataFrame({
        "yes_n": [36], "no_n": [4], "not_evidenced_n": [9], "na_n": [0], "blank_n": [1],
        "answered_n": [49], "compliance_pct": [100 * 36 / 49], "ci_low_pct": [60.1],
        "ci_high_pct": [83.6], "cases_n": [50]}, index=pd.Index(["C07"], name="criterion_id"))])
    standard = dc.suppress_table(frame, COUNTS, sums=SUMS, derived=DERIVED)
    assert standard.mask.at["C07", "answered_n"] and standard.mask.at["C07", "compliance_pct"]
    got = dc.suppress_table(frame, COUNTS, sums=SUMS, derived=DERIVED,
                            keep=["yes_n", "answered_n"])
    assert_frame_equal(got.mask, mask_from(frame, [
        ("C01", "no_n"), ("C01", "not_evidenced_n"),
        ("C07", "no_n"), ("C07", "not_evidenced_n"), ("C07", "blank_n"), ("C07", "na_n")]))
    assert got.to_display({"compliance_pct": lambda v: f"{v:.0f}%"})["compliance_pct"].tolist() \
        == ["94%", "73%"]
    rows = frame.index
    eqs = (row_equations(rows, SUMS["answered_n"], "answered_n")
           + [([(1, r, "answered_n"), (1, r, "na_n"), (1, r, "blank_n")], 50) for r in rows])
    assert_protected(got.display, eqs)
