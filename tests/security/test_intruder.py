"""The intruder test: attack the three public annual reports with what they publish, and nothing else.

The three public examples (``example-annual-2010`` to ``-2012``) are built;
then this module reads only their rendered files. From the HTML it takes every
published count, share and denominator of the compliance, timescale and grade
tables, of every year each report shows (this year's tables, and the trend
tables that repeat the earlier years), and the number of cases audited each
year. The Word file must hold the same tables cell for cell, and the PDF the
same cells in the same order, so attacking the HTML is attacking all three.

It then writes down, for all years together, every equation and inequality a
reader knows (yes + no + not evidenced = judged; judged + not answered =
cases audited; met + not met = due; due + not yet due = cases audited; good +
below = graded; graded + blank = cases audited; a share printed as "92%"
between 91.5% and 92.5% of its denominator; a band "90% or more"), with every
cell a whole number >= 0, and asks an integer programme (``scipy.optimize.milp``,
written here independently of :mod:`pipeline.protection`) for the smallest and
largest value of every hidden cell and of every sum of hidden cells in a line.
The true values come from the processed results and the raw audit file. Every
true count of 1 to 5, single cell or sum, must have a range that reaches from
at most 0 to at least 10 (the protection interval of ``params.yaml``, written
out here).

Run as a script (``python tests/security/test_intruder.py``) it prints the
census of hidden cells -- how many counts are hidden over the three reports and
how many of them are not 1 to 5 -- from whatever is in ``report/_output/``.
"""
from __future__ import annotations

import itertools
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import LinearConstraint, milp

from html_text import read_html

ROOT = Path(__file__).resolve().parents[2]
REVIEWS = ("example-annual-2010", "example-annual-2011", "example-annual-2012")
SMALL = (1, 5)
PROTECT_AT_MOST, PROTECT_AT_LEAST = 0, 10  # params.yaml disclosure: protection, written out
TODAY_NOT_SMALL = 39  # measured by this census on the reports before issue 16 (see docs/disclosure.md)

# table -> (count columns as printed, the line's equations over short names, the share's parts)
COMPLIANCE = {"Yes": "yes", "No": "no", "Not evidenced": "ne", "Judged": "judged"}
TIMESCALE = {"Met": "met", "Not met": "not_met", "Due": "due", "Not yet due": "nyd"}
GRADES = {"Good or better": "good", "Requires improvement or inadequate": "below", "Graded": "graded"}
LINES = {  # sum(parts) == total; "cases" is the year's published number of cases audited
    "compliance": [(["yes", "no", "ne"], "judged"), (["judged", "not_answered"], "cases")],
    "timescale": [(["met", "not_met"], "due"), (["due", "nyd"], "cases")],
    "grades": [(["good", "below"], "graded"), (["graded", "blank"], "cases")],
}
SHARES = {"compliance": ("yes", "judged"), "timescale": ("met", "due"), "grades": ("good", "graded")}
NEVER_PRINTED = {"not_answered", "blank"}  # a reader never sees these: unknowns, not sensitive


# ------------------------------------------------------------------ reading what is published


def html_tables(path: Path) -> list[list[list[str]]]:
    return [t for t in read_html(path).tables if t]


def _find(tables, first_cells: list[str]):
    return [t for t in tables if t[0][: len(first_cells)] == first_cells]


def _count(text: str) -> int | None:
    return None if text == "c" else int(text.replace(",", ""))


def _share(text: str):
    """``("exact", p)`` for "92%", ``("band", X)`` for "X% or more", None for c."""
    text = text.strip()
    if text.startswith("c"):
        return None
    m = re.match(r"^(\d+)% or more", text)
    if m:
        return ("band", int(m.group(1)))
    m = re.match(r"^(\d+)%", text)
    assert m, f"unreadable share {text!r}"
    return ("exact", int(m.group(1)))


def _label_ids(review_id: str) -> dict[str, str]:
    """Timescale labels (long and short) as printed -> measure id (labels are published words)."""
    ts = pd.read_csv(ROOT / "data/processed" / review_id / "timescales__summary.csv")
    out = dict(zip(ts["label"], ts["measure_id"]))
    out.update(zip(ts["short_label"], ts["measure_id"]))
    return out


def published(review_id: str) -> dict:
    """Every published figure of one report: ``counts[(year, table, row, short)] = int | None``,
    ``shares[(year, table, row)] = share``, ``cases[year] = int``."""
    tables = html_tables(ROOT / "report/_output" / review_id / "annual-audit-report.html")
    labels = _label_ids(review_id)
    method = _find(tables, ["Year", "Census date", "Cases audited"])[0]
    years = [r[0] for r in method[1:]]
    cases = {r[0]: _count(r[2]) for r in method[1:]}
    this = years[-1]
    counts, shares = {}, {}

    def own(first, table, names, pct_col, key):
        t = _find(tables, first)[0]
        head = t[0]
        for row in t[1:]:
            cells = dict(zip(head, row))
            rid = key(row[0])
            for printed, short in names.items():
                counts[(this, table, rid, short)] = _count(cells[printed])
            shares[(this, table, rid)] = _share(cells[pct_col])

    own(["Criterion", "Ref", "Yes"], "compliance", COMPLIANCE, "Compliance", lambda s: s.split(":")[0])
    own(["Timescale", "Met"], "timescale", TIMESCALE, "Met (%)", labels.__getitem__)
    own(["Domain", "Good or better"], "grades", GRADES, "Good or better (%)", str.lower)
    for first, table, key in ((["Criterion"] + years, "compliance", str),
                              (["Timescale"] + years, "timescale", labels.__getitem__),
                              (["Domain"] + years, "grades", str.lower)):
        if len(years) < 2:
            continue
        t = _find(tables, first)[0]
        den = SHARES[table][1]
        for row in t[1:]:
            for year, cell in zip(years, row[1:]):
                if cell in ("not audited", "no audit"):
                    continue
                share, n = cell.rsplit(", n ", 1)
                rid = key(row[0])
                counts[(year, table, rid, den)] = _count(n)
                shares[(year, table, rid)] = _share(share)
    return {"counts": counts, "shares": shares, "cases": cases, "tables": tables}


def combined(reports: dict[str, dict]) -> dict:
    """All reports together; a figure printed in two reports must be printed the same."""
    out = {"counts": {}, "shares": {}, "cases": {}}
    for rep in reports.values():
        for kind in out:
            for key, value in rep[kind].items():
                if key in out[kind]:
                    assert out[kind][key] == value, (kind, key, out[kind][key], value)
                out[kind][key] = value
    return out


# ------------------------------------------------------------------ the truth (for judging only)


def truth(review_id: str, year: str) -> dict:
    """True values ``[(year, table, row, short)] = int`` from the raw audit and the processed results."""
    raw = ROOT / "data/raw" / review_id
    audit = pd.read_csv(raw / "case_audit.csv", dtype=str)
    out = {}
    for cid in pd.read_csv(raw / "audit_criteria.csv", dtype=str)["criterion_id"]:
        a = audit[cid].fillna("").str.strip().str.lower()
        yes, no, ne = int((a == "yes").sum()), int((a == "no").sum()), int((a == "not_evidenced").sum())
        for short, v in (("yes", yes), ("no", no), ("ne", ne), ("judged", yes + no + ne),
                         ("not_answered", len(a) - yes - no - ne)):
            out[(year, "compliance", cid, short)] = v
    proc = ROOT / "data/processed" / review_id
    ts = pd.read_csv(proc / "timescales__summary.csv")
    for _, r in ts.iterrows():
        for short, col in (("met", "met_n"), ("not_met", "not_met_n"), ("due", "due_n"), ("nyd", "not_yet_due_n")):
            out[(year, "timescale", r["measure_id"], short)] = int(r[col])
    gr = pd.read_csv(proc / "case_audit__grades.csv")
    for dom, g in gr.groupby("domain"):
        n = g.set_index("grade")["n"]
        good = int(n.get("outstanding", 0) + n.get("good", 0))
        below = int(n.get("requires_improvement", 0) + n.get("inadequate", 0))
        for short, v in (("good", good), ("below", below), ("graded", good + below),
                         ("blank", int(g["blank_n"].iloc[0]))):
            out[(year, "grades", dom, short)] = v
    return out


# ------------------------------------------------------------------ the attack


def _lines(pub: dict) -> list[tuple[str, str, str]]:
    return sorted({k[:3] for k in pub["counts"]})


def attack(pub: dict, true: dict) -> list[tuple]:
    """Every true small count (single hidden cell or sum of hidden cells in a line) whose feasible
    range, given all published figures of all years together, is narrower than the interval."""
    var: dict[tuple, int] = {}

    def x(key):
        if key not in var:
            var[key] = len(var)
        return var[key]

    eqs, ineqs, targets = [], [], []  # eqs: (terms, rhs); ineqs: (terms, lower)
    for year, table, rid in _lines(pub):
        def term(short):
            v = pub["counts"].get((year, table, rid, short))
            if short == "cases":
                return None, pub["cases"][year]
            if v is None:
                return (year, table, rid, short), 0
            return None, v
        for parts, total in LINES[table]:
            terms, rhs = [], 0
            for short, coef in [(p, 1) for p in parts] + [(total, -1)]:
                key, known = term(short)
                if key is None:
                    rhs -= coef * known
                else:
                    terms.append((x(key), coef))
            eqs.append((terms, rhs))
            hidden = [(year, table, rid, s) for s in parts + [total]
                      if s not in NEVER_PRINTED and s != "cases" and term(s)[0] is not None]
            for size in range(1, len(hidden) + 1):
                for combo in itertools.combinations(hidden, size):
                    if SMALL[0] <= sum(true[k] for k in combo) <= SMALL[1]:
                        targets.append(combo)
        share = pub["shares"].get((year, table, rid))
        if share is not None:
            num, den = SHARES[table]
            (kn, vn), (kd, vd) = term(num), term(den)
            def lin(coef_num, coef_den):  # coef_num * num + coef_den * den
                terms, const = [], 0.0
                for key, known, c in ((kn, vn, coef_num), (kd, vd, coef_den)):
                    if key is None:
                        const += c * known
                    else:
                        terms.append((x(key), c))
                return terms, const
            kind, p = share
            low = p - 0.5 if kind == "exact" else p
            t, c = lin(100, -low)
            ineqs.append((t, -c))
            if kind == "exact":
                t, c = lin(-100, p + 0.5)
                ineqs.append((t, -c))
    n = len(var)
    rows, lo, hi = [], [], []
    for terms, rhs in eqs:
        a = np.zeros(n)
        for j, c in terms:
            a[j] += c
        rows.append(a)
        lo.append(rhs)
        hi.append(rhs)
    for terms, lower in ineqs:
        a = np.zeros(n)
        for j, c in terms:
            a[j] += c
        rows.append(a)
        lo.append(lower - 1e-9)
        hi.append(np.inf)
    cons = LinearConstraint(np.array(rows), lo, hi)
    bad = []
    for combo in dict.fromkeys(targets):
        obj = np.zeros(n)
        for k in combo:
            obj[var[k]] = 1
        a = milp(obj, constraints=cons, integrality=np.ones(n), bounds=(0, np.inf))
        b = milp(-obj, constraints=cons, integrality=np.ones(n), bounds=(0, np.inf))
        assert a.status == 0, (combo, a.message)
        top = np.inf if b.status != 0 else -b.fun
        if not (a.fun <= PROTECT_AT_MOST + 1e-6 and top >= PROTECT_AT_LEAST - 1e-6):
            bad.append((combo, round(a.fun), top))
    return bad


def census(pub: dict, true: dict) -> tuple[int, int]:
    """How many printed counts are hidden over all years, and how many of those are not 1 to 5."""
    hidden = [k for k, v in pub["counts"].items() if v is None]
    not_small = [k for k in hidden if not SMALL[0] <= true[k] <= SMALL[1]]
    return len(hidden), len(not_small)


def load_all() -> tuple[dict, dict, dict]:
    reports = {r: published(r) for r in REVIEWS}
    pub = combined(reports)
    true = {}
    for r in REVIEWS:
        true.update(truth(r, published_year(reports[r])))
    return reports, pub, true


def attacked_tables(rep: dict) -> list[list[list[str]]]:
    """The printed tables the attack reads: this year's three, the by-year trend tables, the samples."""
    years = list(rep["cases"])
    firsts = (["Criterion", "Ref", "Yes"], ["Timescale", "Met"], ["Domain", "Good or better"],
              ["Year", "Census date", "Cases audited"], ["Criterion"] + years, ["Timescale"] + years,
              ["Domain"] + years)
    return [t for t in rep["tables"] if any(t[0][: len(f)] == f for f in firsts)
            and not (len(years) < 2 and t[0] in (["Criterion"], ["Timescale"], ["Domain"]))]


def published_year(rep: dict) -> str:
    return list(rep["cases"])[-1]


# ------------------------------------------------------------------ the tests


@pytest.fixture(scope="module")
def attacked():
    from pipeline import cli

    for r in REVIEWS:
        assert cli.build(r, jobs=2, render=True) == 0
    return load_all()


@pytest.mark.integration
def test_word_and_pdf_carry_the_same_figures_as_the_html(attacked):
    import docx
    from pypdf import PdfReader

    reports, _, _ = attacked
    for r, rep in reports.items():
        out = ROOT / "report/_output" / r
        wanted = attacked_tables(rep)
        word = docx.Document(out / "annual-audit-report.docx")
        word_rows = [[" ".join(c.text.split()) for c in row.cells] for t in word.tables for row in t.rows]
        pdf = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(out / "annual-audit-report.pdf").pages)
        pdf = pdf.replace("\u2212", "-")
        for t in wanted:
            for row in t:
                assert row in word_rows, (r, row)
                at = 0
                for cell in row[1:]:  # first cells are labels that may wrap; figures must follow in order
                    for token in cell.split():
                        found = pdf.find(token, at)
                        assert found >= 0, (r, row, token)
                        at = found + len(token)


@pytest.mark.integration
def test_no_small_count_or_small_sum_is_narrower_than_the_protection_interval(attacked):
    _, pub, true = attacked
    assert attack(pub, true) == []


def floor(pub: dict, true: dict) -> int:
    """The fewest hidden cells that are not small any protection needs: each line whose printed small
    counts add up to less than the interval's top (1 to 9) needs at least one cell beside them that is
    not small, since hidden small cells alone would add up to a figure the totals give; a printed cell
    lies in one such line only (judged's other line, with not answered, holds no printed count)."""
    need = 0
    for year, table, rid in _lines(pub):
        parts, total = LINES[table][0]
        small = [true[(year, table, rid, s)] for s in parts + [total]
                 if SMALL[0] <= true[(year, table, rid, s)] <= SMALL[1]]
        need += 0 < sum(small) < PROTECT_AT_LEAST
    return need


@pytest.mark.integration
def test_fewer_hidden_cells_that_are_not_small_and_no_more_than_the_floor(attacked):
    # Issue 16 asked for at most half of 39 (19); the floor above is 33 on these examples, so that
    # target cannot be met by choosing cells: this test asserts the improvement and the floor.
    _, pub, true = attacked
    hidden, not_small = census(pub, true)
    assert hidden > 0
    assert not_small < TODAY_NOT_SMALL, (hidden, not_small)
    assert not_small == floor(pub, true), (hidden, not_small)


def test_the_attack_finds_a_leak_it_is_shown():
    # Hand-made: one year, one criterion printed 37 | c | c | 40 and 92%; cases audited 120.
    # No + not evidenced = 40 - 37 = 3: a small sum pinned exactly, so the attack must report it.
    pub = {"counts": {("y", "compliance", "C14", "yes"): 37, ("y", "compliance", "C14", "no"): None,
                      ("y", "compliance", "C14", "ne"): None, ("y", "compliance", "C14", "judged"): 40},
           "shares": {("y", "compliance", "C14"): ("exact", 92)}, "cases": {"y": 120}}
    true = {("y", "compliance", "C14", k): v for k, v in
            (("yes", 37), ("no", 2), ("ne", 1), ("judged", 40), ("not_answered", 80))}
    bad = attack(pub, true)
    assert {b[0] for b in bad} == {(("y", "compliance", "C14", "no"),), (("y", "compliance", "C14", "ne"),),
                                   (("y", "compliance", "C14", "no"), ("y", "compliance", "C14", "ne"))}
    # The same line with yes hidden and the share as "85% or more": yes >= 34, so no + not evidenced
    # lies anywhere in 0..6 -- still narrower than 0..10, and the attack says so.
    pub["counts"][("y", "compliance", "C14", "yes")] = None
    pub["shares"][("y", "compliance", "C14")] = ("band", 85)
    assert {b[1:] for b in attack(pub, true)} == {(0, 6)}
    # With the share hidden too, yes can be anything from 0 to 40: protected.
    pub["shares"][("y", "compliance", "C14")] = None
    assert attack(pub, true) == []


if __name__ == "__main__":
    _, pub, true = load_all()
    hidden, not_small = census(pub, true)
    print(f"hidden counts over {', '.join(REVIEWS)}: {hidden}; not 1 to 5: {not_small} "
          f"(floor for any protection reaching 0 to {PROTECT_AT_LEAST}: {floor(pub, true)})")
    for b in attack(pub, true):
        print("narrower than the interval:", b)
    sys.exit(0)
