"""The years of an annual report: each review of the series, its disclosure-controlled tables, and the
comparison of this year's shares with an earlier year's.

A previous year is read from exactly the processed files the render stage
declares for it (:data:`pipeline.stages.PREVIOUS_READS`). For an
``audience: public`` review every table passes through
:mod:`pipeline.disclosure`; a ``board`` review passes through unchanged. A
change between two years is tested with Newcombe's hybrid score interval, and
only from published cells.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline import disclosure as dc
from pipeline.papers.errors import ReportError
from pipeline.papers.format import month_label, year_label
from pipeline.papers.results import Results, read_results, read_tables
from pipeline.paths import processed_dir
from pipeline.snapshot import open_review
from pipeline.stages import ANNUAL_PREVIOUS_TABLES, PREVIOUS_READS
from pipeline.stats import wilson_interval

GOOD_GRADES = ("outstanding", "good")
BELOW_GRADES = ("requires_improvement", "inadequate")


@dataclass
class Year:
    """One review of the series: its settings and processed results."""

    review_id: str
    meta: dict
    results: Results
    recommendations: pd.DataFrame | None

    @property
    def label(self) -> str:
        return year_label(self.meta["census_date"])

    @property
    def audience(self) -> str:
        return self.meta["audience"]

    @property
    def population(self):
        return self.meta.get("cp_population")


def _load_year(review_id: str) -> Year:
    """A previous review, from exactly the processed files in :data:`PREVIOUS_READS`."""
    folder = processed_dir(review_id)
    missing = [name for name in PREVIOUS_READS["annual"] if not (folder / name).exists()]
    if missing:
        raise ReportError(f"previous review {review_id} has not been built "
                          f"(data/processed/{review_id}/{missing[0]} is missing): run "
                          f"`python -m pipeline build {review_id} --no-render` first")
    review = open_review(review_id, tables=["recommendations"])
    results = read_tables(review_id, ANNUAL_PREVIOUS_TABLES)
    return Year(review_id, review.meta, results, review.table("recommendations"))


def load_series(review) -> list[Year]:
    """The previous reviews (oldest first, by census date) and this one last."""
    previous = list(review.meta.get("previous_reviews") or [])
    if review.review_id in previous:
        raise ReportError(f"{review.review_id}: previous_reviews names the review itself")
    years = [_load_year(p) for p in previous]
    years.sort(key=lambda y: pd.Timestamp(y.meta["census_date"]))
    this = Year(review.review_id, review.meta, read_results(review.review_id), review.table("recommendations"))
    if years and pd.Timestamp(years[-1].meta["census_date"]) >= pd.Timestamp(this.meta["census_date"]):
        raise ReportError(f"{review.review_id}: a previous review ({years[-1].review_id}) has a census date "
                          "on or after this one's")
    labels = [y.label for y in years + [this]]
    if len(set(labels)) != len(labels):
        raise ReportError(f"{review.review_id}: two reviews of the series fall in the same year ({labels})")
    return years + [this]


def newcombe_difference(k1, n1, k2, n2, N1=None, N2=None, confidence: float = 0.95) -> tuple[float, float, float]:
    """Difference p2 - p1 of two independent proportions with its interval, in percentage points.

    Newcombe (1998), "Interval estimation for the difference between
    independent proportions", Statistics in Medicine 17: 873-890, method 10
    (the hybrid score interval): with (l_i, u_i) the Wilson interval of p_i,
    the limits are d - sqrt((p2 - l2)^2 + (u1 - p1)^2) and
    d + sqrt((u2 - p2)^2 + (p1 - l1)^2). The Wilson intervals are those the
    report prints (:func:`pipeline.stats.wilson_interval`, with the
    finite-population correction when the number of children with a plan is
    known), so the test agrees with the intervals a reader sees. A change is
    larger than the sampling error when its interval excludes 0.
    """
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson_interval(k1, n1, N1, confidence)
    l2, u2 = wilson_interval(k2, n2, N2, confidence)
    d = p2 - p1
    low = d - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2)
    high = d + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)
    return 100 * d, 100 * low, 100 * high


def compliance_table(year: Year) -> dc.SuppressedTable | None:
    """Compliance per criterion for one year, through disclosure control.

    Counts: yes, no, not evidenced (answered = their sum), and not applicable
    or blank (answered + not applicable = the audit sample, published as a
    fixed total); the compliance percentage and its interval are hidden with
    yes or answered. The headline numerator and denominator are kept where
    another cell can be hidden instead.
    """
    ca = year.results.get("case_audit__criterion_compliance")
    if ca is None:
        return None
    cases = int(year.results.get("case_audit__precision").iloc[0]["audited_n"])
    frame = ca.set_index("criterion_id")[["domain", "reference", "yes_n", "no_n", "not_evidenced_n", "answered_n",
                                          "compliance_pct", "ci_low_pct", "ci_high_pct"]].copy()
    frame["not_answered_n"] = ca.set_index("criterion_id")[["na_n", "blank_n"]].sum(axis=1)
    frame["cases_n"] = cases
    return dc.apply_if_public(
        year.audience, frame, ["yes_n", "no_n", "not_evidenced_n", "answered_n", "not_answered_n"],
        sums={"answered_n": ["yes_n", "no_n", "not_evidenced_n"], "cases_n": ["answered_n", "not_answered_n"]},
        derived={c: ["yes_n", "answered_n"] for c in ("compliance_pct", "ci_low_pct", "ci_high_pct")},
        keep=["yes_n", "answered_n"], unpublished=["not_answered_n"],
        shares={"compliance_pct": ("yes_n", "answered_n")})


def timescale_table(year: Year) -> dc.SuppressedTable | None:
    """Statutory timescales met for one year: met + not met = due; due + not yet due = the audit sample."""
    ts = year.results.get("timescales__summary")
    if ts is None:
        return None
    cases = int(year.results.get("case_audit__precision").iloc[0]["audited_n"])
    frame = ts.set_index("measure_id")[["label", "short_label", "met_n", "not_met_n", "due_n", "not_yet_due_n",
                                        "met_pct", "ci_low_pct", "ci_high_pct"]].copy()
    sums = {"due_n": ["met_n", "not_met_n"]}
    if ((frame["due_n"] + frame["not_yet_due_n"]) == cases).all():
        frame["cases_n"] = cases
        sums["cases_n"] = ["due_n", "not_yet_due_n"]
    return dc.apply_if_public(
        year.audience, frame, ["met_n", "not_met_n", "due_n", "not_yet_due_n"], sums=sums,
        derived={c: ["met_n", "due_n"] for c in ("met_pct", "ci_low_pct", "ci_high_pct")}, keep=["met_n", "due_n"],
        shares={"met_pct": ("met_n", "due_n")})


def grade_table(year: Year) -> dc.SuppressedTable | None:
    """Grades by domain in two groups (good or better; requires improvement or inadequate), for one year.

    Only the two groups are published (never the four grades beside them), so
    no grade hidden in one table can be recovered from a total in another.
    """
    gr = year.results.get("case_audit__grades")
    if gr is None:
        return None
    cases = int(year.results.get("case_audit__precision").iloc[0]["audited_n"])
    rows = []
    for domain, g in gr.groupby("domain", sort=False):
        n = g.set_index("grade")["n"]
        good = int(sum(n.get(c, 0) for c in GOOD_GRADES))
        below = int(sum(n.get(c, 0) for c in BELOW_GRADES))
        rows.append((domain, good, below, good + below, int(g["blank_n"].iloc[0])))
    frame = pd.DataFrame(rows, columns=["domain", "good_n", "below_n", "graded_n", "blank_n"]).set_index("domain")
    frame["cases_n"] = cases
    frame["good_pct"] = 100 * frame["good_n"] / frame["graded_n"].replace(0, np.nan)
    lo, hi = zip(*[wilson_interval(k, n, year.population) if n else (np.nan, np.nan)
                   for k, n in zip(frame["good_n"], frame["graded_n"])])
    frame["ci_low_pct"], frame["ci_high_pct"] = 100 * np.array(lo), 100 * np.array(hi)
    return dc.apply_if_public(
        year.audience, frame, ["good_n", "below_n", "graded_n", "blank_n"],
        sums={"graded_n": ["good_n", "below_n"], "cases_n": ["graded_n", "blank_n"]},
        derived={c: ["good_n", "graded_n"] for c in ("good_pct", "ci_low_pct", "ci_high_pct")},
        keep=["good_n", "graded_n"], unpublished=["blank_n"], shares={"good_pct": ("good_n", "graded_n")})


def context_table(years: list[Year]) -> dc.SuppressedTable:
    """Workforce and monitoring at each year's end, County level only (no team is ever shown).

    Counts: children with a plan at the last month, and referrals and initial
    conferences over the months of the year's monitoring return (a year of
    12 months, or fewer for a short return). Vacancy, caseload and agency share
    are ratios of sums of full-time equivalents, not counts of children.
    """
    rows = []
    for y in years:
        ws, mon = y.results.get("workforce__summary"), y.results.get("monitoring__county")
        county = ws[ws["level"] == "county"].iloc[0] if ws is not None else None
        teams = y.results.get("workforce__teams")
        rows.append({
            "year": y.label,
            "period": month_label(teams["period"].iloc[0]) if teams is not None and "period" in teams else "",
            "vacancy_pct": county["vacancy_pct"] if county is not None else np.nan,
            "caseload_per_worker": county["caseload_per_worker"] if county is not None else np.nan,
            "agency_pct": county["agency_pct"] if county is not None else np.nan,
            "last_month": month_label(str(mon["month"].iloc[-1])) if mon is not None else "",
            "cpp_open_n": mon["cpp_open"].iloc[-1] if mon is not None else np.nan,
            "cpp_open_per_10k": (mon["cpp_open_per_10k"].iloc[-1]
                                 if mon is not None and "cpp_open_per_10k" in mon else np.nan),
            "months_n": len(mon) if mon is not None else np.nan,
            "referrals_n": mon["referrals"].sum() if mon is not None else np.nan,
            "icpcs_n": mon["icpcs"].sum() if mon is not None else np.nan,
        })
    frame = pd.DataFrame(rows).set_index("year")
    return dc.apply_if_public(years[-1].audience, frame, ["cpp_open_n", "referrals_n", "icpcs_n"],
                              derived={"cpp_open_per_10k": ["cpp_open_n"]})


def monitoring_series(years: list[Year]) -> dc.SuppressedTable | None:
    """The County's children with a plan, month by month across the years (the chart's data)."""
    parts = []
    for y in years:
        mon = y.results.get("monitoring__county")
        if mon is not None:
            parts.append(pd.DataFrame({"month": mon["month"].astype(str), "cpp_open_n": mon["cpp_open"],
                                       "year": y.label}))
    if not parts:
        return None
    frame = pd.concat(parts).drop_duplicates("month", keep="last").sort_values("month").reset_index(drop=True)
    return dc.apply_if_public(years[-1].audience, frame, ["cpp_open_n"])


def _shown(table: dc.SuppressedTable, row, col) -> float | None:
    """A numeric cell only when it is published (None when hidden or blank)."""
    if row not in table.frame.index or table.mask.at[row, col]:
        return None
    v = table.frame.at[row, col]
    return None if pd.isna(v) else float(v)


def compare(years: list[Year], tables: list[dc.SuppressedTable], k_col: str, n_col: str, earlier: int,
            ids: list) -> pd.DataFrame:
    """This year's share against an earlier year's, per row id, from published cells only.

    A comparison is not made when either year's count or denominator is
    hidden (the difference would give the hidden figure away) or missing.
    """
    this, then = tables[-1], tables[earlier]
    rows = []
    for rid in ids:
        k1, n1 = _shown(then, rid, k_col), _shown(then, rid, n_col)
        k2, n2 = _shown(this, rid, k_col), _shown(this, rid, n_col)
        if None in (k1, n1, k2, n2) or not n1 or not n2:
            rows.append((rid, np.nan, np.nan, np.nan, "not compared"))
            continue
        d, lo, hi = newcombe_difference(k1, n1, k2, n2, years[earlier].population, years[-1].population)
        direction = "improved" if lo > 0 else "worsened" if hi < 0 else "within"
        rows.append((rid, d, lo, hi, direction))
    return pd.DataFrame(rows, columns=["id", "diff_pts", "diff_low_pts", "diff_high_pts", "direction"]).set_index("id")


def disclosure_tables(years: list[Year]) -> dict[str, dc.SuppressedTable]:
    """Every disclosure-controlled table the report prints, by name, for the protection check and record."""
    out = {}
    for y in years:
        for name, make in (("compliance", compliance_table), ("timescales", timescale_table), ("grades", grade_table)):
            table = make(y)
            if table is not None:
                out[f"{y.label} {name}"] = table
    out["context"] = context_table(years)
    return out
