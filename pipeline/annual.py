"""The annual practice-audit report: this year's audit against the previous years', published safely.

Phase 1 recommended that case-file audit become an annual programme whose
results are reported publicly. For a review of ``kind: annual`` this module
builds ``annual-audit-report`` (HTML, PDF, Word) from

* this review's processed results (``data/processed/<id>/``): compliance per
  criterion with 95% Wilson intervals, statutory timescales, grades;
* the processed results of each review in ``previous_reviews`` (built first:
  ``python -m pipeline build <previous> --no-render``), for the trend: a
  chart of small multiples and a table per criterion with intervals, and a
  plain statement of which changes are larger than the sampling error
  (95% interval of the difference by Newcombe's hybrid score method);
* the recommendations register of every year (status by year), and the
  workforce and monitoring context (vacancy, caseload, children with a plan).

Every number in the words is a ``{{< var >}}`` variable computed here. For an
``audience: public`` review every table, chart value and count in a sentence
passes through :mod:`pipeline.disclosure` (``apply_if_public``,
``chart_safe``, ``SuppressedTable.text``), the convention note is printed, and
the rendered files pass :mod:`pipeline.publication` before they are moved into
``report/_output/<id>/``. A ``board`` review passes through unchanged.

The workspace, staging and atomic move are those of :mod:`pipeline.report`.
"""
from __future__ import annotations

import math
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from pipeline import disclosure as dc
from pipeline import figures as fg
from pipeline.papers import engines as render
from pipeline.papers import markup
from pipeline.contract import contract
from pipeline.paths import REPORT_DIR, output_dir, processed_dir
from pipeline.report import (BUILD_DIR, REVIEWS_DIR, Md, ReportError, Results, date_label, engine_name, md_escape,
                             md_table, month_label, num, pct, read_results, section_glossary, section_provenance,
                             skipped_analyses)
from pipeline.snapshot import open_review
from pipeline.stats import wilson_interval

SOURCE = "annual-audit-report.qmd"
BASENAME = "annual-audit-report"
FORMATS = ["html", "pdf", "docx"]
ANNUAL_WORDS = REVIEWS_DIR / "_annual"
LARGER = "larger than the sampling error"
# What the report reads from each review in ``previous_reviews`` (for dvc.yaml: the render stage of
# an annual review depends on exactly these files of its previous reviews).
PREVIOUS_TABLES = ("case_audit__criterion_compliance", "case_audit__precision", "case_audit__grades",
                   "timescales__summary", "workforce__summary", "workforce__teams", "monitoring__county")
PREVIOUS_READS = tuple(f"{t}.csv" for t in PREVIOUS_TABLES) + ("_tables/review.json",
                                                                "_tables/recommendations.parquet")
GOOD_GRADES = ("outstanding", "good")
BELOW_GRADES = ("requires_improvement", "inadequate")


# ------------------------------------------------------------------ years


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


def year_label(census_date) -> str:
    """The financial year (April to March) holding the census date: 31 March 2012 -> "2011-12"."""
    ts = pd.Timestamp(census_date)
    start = ts.year if ts.month >= 4 else ts.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def _load_year(review_id: str) -> Year:
    """A previous review, from exactly the processed files in :data:`PREVIOUS_READS`."""
    folder = processed_dir(review_id)
    missing = [name for name in PREVIOUS_READS if not (folder / name).exists()]
    if missing:
        raise ReportError(f"previous review {review_id} has not been built "
                          f"(data/processed/{review_id}/{missing[0]} is missing): run "
                          f"`python -m pipeline build {review_id} --no-render` first")
    review = open_review(review_id, tables=["recommendations"])
    results = Results(review_id, folder)
    for name in PREVIOUS_TABLES:
        table = pd.read_csv(folder / f"{name}.csv", dtype={"criterion_id": str})
        if "skipped_reason" not in table.columns:
            results.tables[name] = table
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


# ------------------------------------------------------------------ statistics


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


# ------------------------------------------------------------------ disclosure-controlled tables


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
        keep=["yes_n", "answered_n"])


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
        derived={c: ["met_n", "due_n"] for c in ("met_pct", "ci_low_pct", "ci_high_pct")}, keep=["met_n", "due_n"])


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
        keep=["good_n", "graded_n"])


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
            "cpp_open_per_10k": mon["cpp_open_per_10k"].iloc[-1] if mon is not None and "cpp_open_per_10k" in mon else np.nan,
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
            parts.append(pd.DataFrame({"month": mon["month"].astype(str), "cpp_open_n": mon["cpp_open"], "year": y.label}))
    if not parts:
        return None
    frame = pd.concat(parts).drop_duplicates("month", keep="last").sort_values("month").reset_index(drop=True)
    return dc.apply_if_public(years[-1].audience, frame, ["cpp_open_n"])


# ------------------------------------------------------------------ trend


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


def _signed(v) -> str:
    if v is None or pd.isna(v):
        return "n/a"
    r = round(float(v))
    return f"{r:+d}" if r != 0 else "0"


def _share_cell(table: dc.SuppressedTable, rid, pct_col="compliance_pct", n_col="answered_n") -> str:
    if rid not in table.frame.index:
        return "not audited"
    p = table.text(rid, pct_col, lambda x: pct(x))
    if p == dc.SUPPRESSED:
        share = dc.SUPPRESSED
    else:
        share = f"{p} ({table.text(rid, 'ci_low_pct', lambda x: f'{x:.0f}')} to {table.text(rid, 'ci_high_pct', lambda x: f'{x:.0f}')})"
    return f"{share}, n {table.text(rid, n_col, num)}"


def _verdict(direction: str) -> str:
    return {"improved": f"Better, {LARGER}", "worsened": f"Worse, {LARGER}",
            "within": "Within the sampling error", "not compared": "Not compared (a figure is suppressed)"}[direction]


def _change_cell(row) -> str:
    if pd.isna(row["diff_pts"]):
        return "n/a"
    return f"{_signed(row['diff_pts'])} ({_signed(row['diff_low_pts'])} to {_signed(row['diff_high_pts'])})"


def _name_list(items: list[str]) -> str:
    if not items:
        return "none"
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


# ------------------------------------------------------------------ charts


def _save(fig, workspace: Path, name: str, caption: str, alt: str, data: pd.DataFrame) -> str:
    paths = fg.save_figure(fig, workspace / "figures", name, caption=caption, alt=alt, data=data)
    safe_alt = markup.attribute(alt)
    return f'![{md_escape(caption)}](figures/{paths["png"].name}){{fig-alt="{safe_alt}" width="100%"}}\n'


def trend_chart(years: list[Year], tables: list[dc.SuppressedTable], workspace: Path) -> str:
    """Small multiples: one panel per criterion, compliance by year with 95% intervals; hidden values are gaps.

    Only :func:`pipeline.disclosure.chart_safe` data is drawn, and the alt text
    is written from that same data, so it cannot state a hidden number.
    """
    labels = [y.label for y in years]
    safe = [dc.chart_safe(t) for t in tables]
    ids = list(tables[-1].frame.index)
    long = pd.DataFrame([(cid, y, s.at[cid, "compliance_pct"] if cid in s.index else np.nan,
                          s.at[cid, "ci_low_pct"] if cid in s.index else np.nan,
                          s.at[cid, "ci_high_pct"] if cid in s.index else np.nan)
                         for cid in ids for y, s in zip(labels, safe)],
                        columns=["criterion_id", "year", "compliance_pct", "ci_low_pct", "ci_high_pct"])
    ncols = 4
    nrows = math.ceil(len(ids) / ncols)
    fig = fg.new_figure(7.0, 1.25 * nrows + 0.6)
    with fg.house_style():
        axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False)
        x = np.arange(len(labels))
        for ax, cid in zip(axes.ravel(), ids):
            d = long[long["criterion_id"] == cid]
            v = d["compliance_pct"].to_numpy(dtype="float64")
            lo, hi = d["ci_low_pct"].to_numpy(dtype="float64"), d["ci_high_pct"].to_numpy(dtype="float64")
            ax.plot(x, v, color=fg.PALETTE[0], marker="o", markersize=3.5, linewidth=1.2)
            ax.errorbar(x, v, yerr=np.vstack([v - lo, hi - v]), fmt="none", ecolor="black", elinewidth=0.8, capsize=2)
            for xi, vi in zip(x, v):
                if np.isnan(vi):
                    ax.text(xi, 50, dc.SUPPRESSED, ha="center", va="center", fontsize=8, style="italic")
            ax.set_title(cid, loc="left", fontsize=8)
            ax.set_ylim(0, 100)
            ax.set_yticks([0, 50, 100])
            ax.set_xticks(x, labels, fontsize=6.5)
            ax.tick_params(axis="y", labelsize=7)
        for ax in axes.ravel()[len(ids):]:
            ax.set_visible(False)
        fig.supylabel("Compliance (%)", fontsize=8)
    parts = []
    for cid in ids:
        d = long[long["criterion_id"] == cid]["compliance_pct"].tolist()
        vals = ", ".join(dc.SUPPRESSED if pd.isna(v) else f"{v:.0f}%" for v in d)
        parts.append(f"{cid}: {vals}")
    alt = (f"Small multiples, one panel per audit criterion, of the share of cases compliant in "
           f"{_name_list(labels)}, with 95% intervals as whiskers. In year order: " + "; ".join(parts)
           + ". A suppressed figure (c) is left as a gap.")
    caption = f"Compliance with each audit criterion, {labels[0]} to {labels[-1]}, with 95% intervals."
    return _save(fig, workspace, "annual__criterion_trend", caption, alt, long)


def timescale_chart(years: list[Year], tables: list[dc.SuppressedTable], workspace: Path) -> str:
    labels = [y.label for y in years]
    safe = [dc.chart_safe(t) for t in tables]
    ids = list(tables[-1].frame.index)
    names = tables[-1].frame["short_label"]
    long = pd.DataFrame([(mid, names[mid], y, s.at[mid, "met_pct"] if mid in s.index else np.nan,
                          s.at[mid, "ci_low_pct"] if mid in s.index else np.nan,
                          s.at[mid, "ci_high_pct"] if mid in s.index else np.nan)
                         for mid in ids for y, s in zip(labels, safe)],
                        columns=["measure_id", "label", "year", "met_pct", "ci_low_pct", "ci_high_pct"])
    fig = fg.new_figure(7.0, 3.2)
    markers = ["o", "s", "^", "D", "v", "P"]
    with fg.house_style():
        ax = fig.add_subplot()
        x = np.arange(len(labels))
        for i, mid in enumerate(ids):
            d = long[long["measure_id"] == mid]
            v = d["met_pct"].to_numpy(dtype="float64")
            off = (i - (len(ids) - 1) / 2) * 0.06
            ax.errorbar(x + off, v, yerr=np.vstack([v - d["ci_low_pct"].to_numpy(dtype="float64"),
                                                    d["ci_high_pct"].to_numpy(dtype="float64") - v]),
                        color=fg.PALETTE[i % len(fg.PALETTE)], marker=markers[i % len(markers)], markersize=4,
                        linewidth=1.2, elinewidth=0.8, capsize=2, label=names[mid])
        ax.set_xticks(x, labels)
        ax.set_ylim(0, 105)
        ax.set_ylabel("Met within the timescale (%)")
        ax.legend(loc="lower left", fontsize=7)
    parts = []
    for mid in ids:
        d = long[long["measure_id"] == mid]["met_pct"].tolist()
        parts.append(f"{names[mid]}: " + ", ".join(dc.SUPPRESSED if pd.isna(v) else f"{v:.0f}%" for v in d))
    alt = (f"Line chart of the share of cases meeting each statutory timescale in {_name_list(labels)}, with 95% "
           "intervals; each timescale has its own marker shape. In year order: " + "; ".join(parts)
           + ". A suppressed figure (c) is left as a gap.")
    caption = f"Statutory timescales met, {labels[0]} to {labels[-1]}, with 95% intervals."
    return _save(fig, workspace, "annual__timescale_trend", caption, alt, long)


def monitoring_chart(series: dc.SuppressedTable, workspace: Path) -> str:
    data = dc.chart_safe(series)
    fig = fg.new_figure(7.0, 3.0)
    with fg.house_style():
        ax = fig.add_subplot()
        months = pd.to_datetime(data["month"] + "-01")
        ax.plot(months, data["cpp_open_n"].to_numpy(dtype="float64"), color=fg.PALETTE[0], marker="o", markersize=3,
                linewidth=1.3)
        ax.set_ylabel("Children with a plan")
        ax.set_ylim(bottom=0)
        fig.autofmt_xdate()
    shown = data.dropna(subset=["cpp_open_n"])
    first, last = shown.iloc[0], shown.iloc[-1]
    alt = (f"Line chart of the number of children with a child protection plan at the end of each month, County, "
           f"{month_label(data['month'].iloc[0])} to {month_label(data['month'].iloc[-1])}: "
           f"{num(first['cpp_open_n'])} in {month_label(first['month'])} and {num(last['cpp_open_n'])} in "
           f"{month_label(last['month'])}, lowest {num(shown['cpp_open_n'].min())} and highest "
           f"{num(shown['cpp_open_n'].max())}. Months of suppressed figures are gaps.")
    caption = "Children with a child protection plan at each month end, County."
    return _save(fig, workspace, "annual__cpp_open", caption, alt, data)


# ------------------------------------------------------------------ sections and variables


def _label(code) -> str:
    return contract().code_label(code) if isinstance(code, str) else ""


def build_sections(review, years: list[Year], workspace: Path, engine: str) -> tuple[dict, dict]:
    """The generated Markdown sections and the variables the words quote."""
    this = years[-1]
    meta = this.meta
    labels = [y.label for y in years]
    public = dc.AUDIENCE_SUPPRESSED[this.audience]
    sections: dict[str, str] = {}
    v: dict = {"engine": engine}
    v["review"] = {"id": this.review_id, "title": meta["title"], "authority": meta["authority"],
                   "census_date": date_label(meta["census_date"]), "year": this.label,
                   "subtitle": f"Annual practice-audit report {this.label}, {meta['authority']}",
                   "years": _name_list(labels), "first_year": labels[0], "years_n": num(len(years)),
                   "previous_year": labels[-2] if len(years) > 1 else "none"}
    v["note"] = {"convention": dc.CONVENTION_NOTE if public else "",
                 "audience": "public" if public else "board"}

    # notices
    notice = []
    if review.synthetic:
        notice.append("::: {.callout-warning}\n**Synthetic data: not real cases.** Every figure in this report is "
                      "computed from invented example data.\n:::\n")
    if public:
        notice.append(f"::: {{.callout-note}}\n**Small numbers.** {dc.CONVENTION_NOTE}\n:::\n")
    sections["notice"] = "\n".join(notice) + "\n"

    # this year's compliance
    comp = [compliance_table(y) for y in years]
    if comp[-1] is None:
        raise ReportError(f"{this.review_id}: the annual report needs a case audit, and this review has none")
    criteria = open_review(this.review_id, tables=["audit_criteria"]).table("audit_criteria")
    texts = criteria.set_index("criterion_id")["text"]
    c = comp[-1]
    prec = this.results.get("case_audit__precision").iloc[0]
    shown_pct = dc.chart_safe(c)["compliance_pct"].dropna()
    v["ca"] = {"cases_n": dc.suppress_text_count(prec["audited_n"]) if public else num(prec["audited_n"]),
               "population_n": num(prec["population_n"]) if pd.notna(prec["population_n"]) else "n/a",
               "margin_pct": num(prec["margin_pct"], 1), "criteria_n": num(len(c.frame)),
               "compliance_min_pct": pct(shown_pct.min()) if len(shown_pct) else "n/a",
               "compliance_max_pct": pct(shown_pct.max()) if len(shown_pct) else "n/a",
               "suppressed_n": num(int(c.mask[["compliance_pct"]].to_numpy().sum()))}
    show = c.to_display({"compliance_pct": lambda x: pct(x), "ci_low_pct": lambda x: f"{x:.0f}",
                         "ci_high_pct": lambda x: f"{x:.0f}"})
    table = pd.DataFrame({
        "Criterion": [f"{cid}: {texts.get(cid, '')}" for cid in show.index],
        "Ref": c.frame["reference"].fillna("").tolist(),
        "Yes": show["yes_n"].tolist(), "No": show["no_n"].tolist(), "Not evidenced": show["not_evidenced_n"].tolist(),
        "Judged": show["answered_n"].tolist(),
        "Compliance": show["compliance_pct"].tolist(),
        "95% interval": [dc.SUPPRESSED if a == dc.SUPPRESSED else f"{a} to {b}"
                         for a, b in zip(show["ci_low_pct"], show["ci_high_pct"])]})
    sections["compliance"] = (
        f"Compliance with each audit criterion in {this.label}: cases where the record showed the action was done "
        "(yes) over those where it could be judged (yes, no and not evidenced); not applicable is left out."
        + (f" {dc.CONVENTION_NOTE}" if public else "") + "\n\n"
        + md_table(table, ["l", "l", "r", "r", "r", "r", "r", "l"], widths=[28, 8, 7, 7, 12, 10, 16, 12]))

    # trend
    ids = list(c.frame.index)
    vs_first = compare(years, comp, "yes_n", "answered_n", 0, ids) if len(years) > 1 else None
    vs_prev = compare(years, comp, "yes_n", "answered_n", -2, ids) if len(years) > 1 else None
    parts = [trend_chart(years, comp, workspace)]
    if len(years) > 1:
        by_year = pd.DataFrame([{"Criterion": cid, **{y: (_share_cell(t, cid) if t is not None else "no audit")
                                                      for y, t in zip(labels, comp)}} for cid in ids])
        parts.append("\nCompliance by year (per cent, 95% interval, and n, the cases where the criterion could be "
                     "judged):\n")
        parts.append(md_table(by_year, ["l"] + ["r"] * len(labels), widths=[10] + [24] * len(labels)))
        changes = []
        for cid in ids:
            row = {"Criterion": cid, f"Since {labels[0]} (points)": _change_cell(vs_first.loc[cid]),
                   f"Against {labels[0]}": _verdict(vs_first.loc[cid, "direction"])}
            if len(years) > 2:
                row[f"Since {labels[-2]} (points)"] = _change_cell(vs_prev.loc[cid])
                row[f"Against {labels[-2]}"] = _verdict(vs_prev.loc[cid, "direction"])
            changes.append(row)
        k = 2 if len(years) > 2 else 1
        parts.append("\nThe change in compliance, in percentage points, with the 95% interval of the difference "
                     "(Newcombe's method):\n")
        parts.append(md_table(pd.DataFrame(changes), ["l"] + ["r", "l"] * k, widths=[10] + [16, 26] * k))
        v["trend"] = {}
        statement = []
        for key, cmp, since in (("first", vs_first, labels[0]), ("prev", vs_prev, labels[-2])):
            up = [cid for cid in ids if cmp.loc[cid, "direction"] == "improved"]
            down = [cid for cid in ids if cmp.loc[cid, "direction"] == "worsened"]
            skipped = [cid for cid in ids if cmp.loc[cid, "direction"] == "not compared"]
            v["trend"][key] = {"since": since, "up_n": num(len(up)), "down_n": num(len(down)),
                               "up": _name_list(up), "down": _name_list(down)}
            if key == "prev" and len(years) < 3:
                continue
            statement.append(_trend_statement(this.label, since, up, down, skipped, cmp, comp, years, key, texts))
        sections["trend_statement"] = "\n".join(statement)
    else:
        v["trend"] = {k: {"since": "none", "up_n": "0", "down_n": "0", "up": "none", "down": "none"}
                      for k in ("first", "prev")}
        sections["trend_statement"] = "This is the first annual audit of the series: there is no earlier year to compare.\n"
    sections["trend"] = "\n".join(parts)

    # timescales
    tsl = [timescale_table(y) for y in years]
    sections["timescales"], v["ts"] = _section_timescales(years, tsl, workspace)
    # grades
    grl = [grade_table(y) for y in years]
    sections["grades"], v["gr"] = _section_grades(years, grl)
    # recommendations
    sections["recommendations"], v["rec"] = _section_recommendations(years)
    # workforce and monitoring
    sections["context"], v["ctx"] = _section_context(years, workspace)
    # annexes
    sections["annex_method"] = _section_method(years, public)
    sections["annex_quality"] = _section_quality(this.review_id)
    sections["annex_glossary"] = section_glossary()
    sections["annex_provenance"] = section_provenance(review, engine)
    return sections, v


def _trend_statement(label, since, up, down, skipped, cmp, comp, years, key, texts) -> str:
    earlier = 0 if key == "first" else -2

    def detail(cid):
        then = comp[earlier].text(cid, "compliance_pct", lambda x: pct(x))
        now = comp[-1].text(cid, "compliance_pct", lambda x: pct(x))
        r = cmp.loc[cid]
        return (f"{cid} ({md_escape(texts.get(cid, ''))}: {then} to {now}, a change of {_signed(r['diff_pts'])} "
                f"points, 95% interval {_signed(r['diff_low_pts'])} to {_signed(r['diff_high_pts'])})")

    out = [f"**{label} against {since}.**"]
    if up:
        out.append(f"Compliance rose by more than the sampling error on {len(up)} "
                   f"criteri{'on' if len(up) == 1 else 'a'}: " + "; ".join(detail(c) for c in up) + ".")
    if down:
        out.append(f"It fell by more than the sampling error on {len(down)} "
                   f"criteri{'on' if len(down) == 1 else 'a'}: " + "; ".join(detail(c) for c in down) + ".")
    if not up and not down:
        out.append("No change in compliance goes beyond the sampling error.")
    else:
        out.append("The changes on the other criteria are within the sampling error: they may be chance.")
    if skipped:
        out.append(f"Not compared because a figure is suppressed: {_name_list(skipped)}.")
    return " ".join(out) + "\n"


def _section_timescales(years, tables, workspace) -> tuple[str, dict]:
    t = tables[-1]
    if t is None:
        return "The audit of this year has no timescale data.\n", {}
    labels = [y.label for y in years]
    show = t.to_display({"met_pct": lambda x: pct(x), "ci_low_pct": lambda x: f"{x:.0f}",
                         "ci_high_pct": lambda x: f"{x:.0f}"})
    table = pd.DataFrame({
        "Timescale": t.frame["label"].tolist(), "Met": show["met_n"].tolist(), "Not met": show["not_met_n"].tolist(),
        "Due": show["due_n"].tolist(), "Not yet due": show["not_yet_due_n"].tolist(),
        "Met (%)": show["met_pct"].tolist(),
        "95% interval": [dc.SUPPRESSED if a == dc.SUPPRESSED else f"{a} to {b}"
                         for a, b in zip(show["ci_low_pct"], show["ci_high_pct"])]})
    out = [f"Statutory timescales in {labels[-1]}, from the dates on the audited files (working days exclude weekends "
           "and bank holidays; a case whose deadline falls after the census date is not yet due and is left out):\n",
           md_table(table, ["l", "r", "r", "r", "r", "r", "l"], widths=[30, 8, 9, 8, 10, 10, 13])]
    v = {mid: {"pct": t.text(mid, "met_pct", lambda x: pct(x))} for mid in t.frame.index}
    if len(years) > 1 and all(x is not None for x in tables):
        out.append(timescale_chart(years, tables, workspace))
        cmp = compare(years, tables, "met_n", "due_n", 0, list(t.frame.index))
        rows = []
        for mid in t.frame.index:
            row = {"Timescale": t.frame.at[mid, "short_label"]}
            for y, tt in zip(labels, tables):
                row[y] = _share_cell(tt, mid, "met_pct", "due_n")
            row[f"Change since {labels[0]} (points)"] = _change_cell(cmp.loc[mid])
            row["Assessment"] = _verdict(cmp.loc[mid, "direction"])
            rows.append(row)
        out.append(f"\nTimescales met by year (per cent, 95% interval, and n, the cases due), and the change since "
                   f"{labels[0]}:\n")
        out.append(md_table(pd.DataFrame(rows), ["l"] + ["r"] * len(labels) + ["r", "l"],
                            widths=[18] + [16] * len(labels) + [14, 20]))
        up = [t.frame.at[m, "short_label"] for m in t.frame.index if cmp.loc[m, "direction"] == "improved"]
        down = [t.frame.at[m, "short_label"] for m in t.frame.index if cmp.loc[m, "direction"] == "worsened"]
        v["up"], v["down"] = _name_list(up).lower(), _name_list(down).lower()
    return "\n".join(out), v


def _section_grades(years, tables) -> tuple[str, dict]:
    t = tables[-1]
    if t is None:
        return "The audit of this year graded no practice.\n", {}
    labels = [y.label for y in years]
    show = t.to_display({"good_pct": lambda x: pct(x), "ci_low_pct": lambda x: f"{x:.0f}",
                         "ci_high_pct": lambda x: f"{x:.0f}"})
    table = pd.DataFrame({
        "Domain": [str(d).capitalize() for d in t.frame.index], "Good or better": show["good_n"].tolist(),
        "Requires improvement or inadequate": show["below_n"].tolist(), "Graded": show["graded_n"].tolist(),
        "Good or better (%)": show["good_pct"].tolist(),
        "95% interval": [dc.SUPPRESSED if a == dc.SUPPRESSED else f"{a} to {b}"
                         for a, b in zip(show["ci_low_pct"], show["ci_high_pct"])]})
    out = [f"Auditors' grades in {labels[-1]}, by domain, in two groups (outstanding or good; requires improvement "
           "or inadequate):\n", md_table(table, ["l", "r", "r", "r", "r", "l"], widths=[16, 12, 18, 10, 14, 14])]
    v = {"overall_pct": t.text("overall", "good_pct", lambda x: pct(x)) if "overall" in t.frame.index else "n/a"}
    if len(years) > 1 and all(x is not None for x in tables):
        cmp = compare(years, tables, "good_n", "graded_n", 0, list(t.frame.index))
        rows = []
        for d in t.frame.index:
            row = {"Domain": str(d).capitalize()}
            for y, tt in zip(labels, tables):
                row[y] = _share_cell(tt, d, "good_pct", "graded_n")
            row[f"Change since {labels[0]} (points)"] = _change_cell(cmp.loc[d])
            row["Assessment"] = _verdict(cmp.loc[d, "direction"])
            rows.append(row)
        out.append("\nCases graded good or better by year (per cent, 95% interval, and n, the cases graded):\n")
        out.append(md_table(pd.DataFrame(rows), ["l"] + ["r"] * len(labels) + ["r", "l"],
                            widths=[14] + [16] * len(labels) + [14, 20]))
        if "overall" in t.frame.index:
            v["overall_first_pct"] = tables[0].text("overall", "good_pct", lambda x: pct(x))
            v["overall_direction"] = _verdict(cmp.loc["overall", "direction"]).lower()
    return "\n".join(out), v


def _section_recommendations(years) -> tuple[str, dict]:
    labels = [y.label for y in years]
    registers = {y.label: y.recommendations for y in years if y.recommendations is not None}
    this = years[-1].recommendations
    if this is None:
        return "This review has no register of recommendations.\n", {"n": "0", "complete_n": "0"}
    ids = list(dict.fromkeys([r for reg in registers.values() for r in reg["rec_id"]]))
    rows = []
    for rid in ids:
        latest = next(reg for reg in reversed(list(registers.values())) if rid in set(reg["rec_id"]))
        r = latest[latest["rec_id"] == rid].iloc[0]
        text = str(r["text"])
        row = {"Recommendation": Md(f"**{md_escape(rid)}.** {md_escape(text)}"), "Owner": r["owner"] if isinstance(r["owner"], str) else "",
               "Due": f"{pd.Timestamp(r['due_date']).day} {pd.Timestamp(r['due_date']):%b %Y}" if pd.notna(r["due_date"]) else ""}
        for lab in labels:
            reg = registers.get(lab)
            hit = reg[reg["rec_id"] == rid] if reg is not None else pd.DataFrame()
            row[lab] = _label(hit["status"].iloc[0]) if not hit.empty else "not in the register"
        rows.append(row)
    counts = this["status"].value_counts()
    v = {"n": num(len(this)), "complete_n": num(counts.get("complete", 0)),
         "in_progress_n": num(counts.get("in_progress", 0)), "agreed_n": num(counts.get("agreed", 0)),
         "proposed_n": num(counts.get("proposed", 0)), "superseded_n": num(counts.get("superseded", 0))}
    if len(years) > 1 and years[0].recommendations is not None:
        first = years[0].recommendations
        v["complete_first_n"] = num((first["status"] == "complete").sum())
    text = (f"The status of each recommendation in the register of each year ({_name_list(labels)}):\n\n"
            + md_table(pd.DataFrame(rows), ["l", "l", "l"] + ["l"] * len(labels),
                       widths=[32, 14, 9] + [15] * len(labels)))
    return text, v


def _section_context(years, workspace) -> tuple[str, dict]:
    t = context_table(years)
    show = t.to_display({"vacancy_pct": lambda x: pct(x), "caseload_per_worker": lambda x: num(x, 1),
                         "agency_pct": lambda x: pct(x), "cpp_open_n": num, "cpp_open_per_10k": lambda x: num(x, 1),
                         "referrals_n": num, "icpcs_n": num, "months_n": num})
    workforce = pd.DataFrame({
        "Year": list(show.index), "Snapshot": show["period"].tolist(), "Vacancy rate": show["vacancy_pct"].tolist(),
        "Caseload per worker": show["caseload_per_worker"].tolist(), "Agency share": show["agency_pct"].tolist()})
    monitoring = pd.DataFrame({
        "Year": list(show.index), "Children with a plan at year end": show["cpp_open_n"].tolist(),
        "Per 10,000 children": show["cpp_open_per_10k"].tolist(), "Referrals": show["referrals_n"].tolist(),
        "Initial conferences": show["icpcs_n"].tolist(), "Months": show["months_n"].tolist()})
    this = t.frame.index[-1]
    fmt = {"vacancy_pct": lambda x: pct(x), "caseload_per_worker": lambda x: num(x), "agency_pct": lambda x: pct(x),
           "cpp_open_n": num, "cpp_open_per_10k": lambda x: num(x, 1)}
    v = {k: t.text(this, k, f) or "n/a" for k, f in fmt.items()}
    v["period"] = t.frame.at[this, "period"] or "n/a"
    v["last_month"] = t.frame.at[this, "last_month"] or "n/a"
    first = t.frame.index[0]
    v["first"] = {k: t.text(first, k, f) or "n/a" for k, f in fmt.items()}
    v["first"]["last_month"] = t.frame.at[first, "last_month"] or "n/a"
    out = ["County figures only. The qualified social worker workforce at each year's latest snapshot (rates are "
           "ratios of sums over teams):\n",
           md_table(workforce, ["l", "l", "r", "r", "r"], widths=[10, 14, 12, 14, 12]),
           "\nThe monthly monitoring dataset: children with a plan at the last month of each year, and referrals and "
           "initial child protection conferences over the months of the year's return:\n",
           md_table(monitoring, ["l", "r", "r", "r", "r", "r"], widths=[10, 16, 12, 12, 14, 9])]
    series = monitoring_series(years)
    if series is not None and dc.chart_safe(series)["cpp_open_n"].notna().any():
        out.append(monitoring_chart(series, workspace))
    return "\n".join(out), v


def _section_method(years, public: bool) -> str:
    labels = [y.label for y in years]
    rows = []
    for y in years:
        prec = y.results.get("case_audit__precision")
        p = prec.iloc[0] if prec is not None else None
        rows.append((y.label, date_label(y.meta["census_date"]),
                     dc.suppress_text_count(p["audited_n"]) if p is not None and public else num(p["audited_n"]) if p is not None else "n/a",
                     num(p["population_n"]) if p is not None and pd.notna(p["population_n"]) else "n/a",
                     f"±{num(p['margin_pct'], 1)}" if p is not None else "n/a"))
    out = ["**Samples.** Each year's audit is a new sample of the open child protection cases at its census date:\n",
           md_table(pd.DataFrame(rows, columns=["Year", "Census date", "Cases audited", "Children with a plan",
                                                "Margin of error (points)"]), ["l", "l", "r", "r", "r"],
                    widths=[10, 16, 12, 16, 14]),
           "\n**Intervals.** A share carries a 95% Wilson score interval on its own denominator; where the number of "
           "children with a plan (N) is known, the sample size n is replaced by the effective size n(N-1)/(N-n), the "
           "finite-population correction.\n",
           f"**Changes between years.** A change is the difference between two independent proportions, this year's "
           f"minus the earlier year's, in percentage points. Its 95% interval is Newcombe's hybrid score interval "
           f"(Newcombe 1998, method 10), built from the two years' Wilson intervals above. A change is reported as "
           f"beyond the sampling error only when that interval excludes zero, which is a two-sided test at the 5% "
           f"level; otherwise it is within the sampling error and may be chance. Each criterion is tested on its own, so across "
           f"{num(len(years[-1].results.get('case_audit__criterion_compliance')))} criteria about one in twenty "
           f"could cross the line by chance. Comparisons run from {labels[-1]} back to {labels[0]}"
           + (f" and to {labels[-2]}" if len(years) > 2 else "") + ".\n"]
    if public:
        out.append(f"**Small numbers.** This report is published, so every count of children or cases, and every "
                   f"figure built on one, is disclosure-controlled. {dc.CONVENTION_NOTE} A change between years is not "
                   f"tested where either year's figure is suppressed. No team-level figure is published.\n")
    return "\n".join(out)


def _section_quality(review_id: str) -> str:
    path = processed_dir(review_id) / "validation__issues.csv"
    issues = pd.read_csv(path, dtype=str) if path.exists() else pd.DataFrame()
    out = ["The data were checked against the raw data contract before any analysis. Errors stop the build; the "
           "queries below did not. Only the kind of query and how many rows it concerns are published here; the "
           "details are in the issue report for the people who supply the data.\n"]
    if issues.empty:
        out.append("No queries were raised.\n")
    else:
        summary = (issues.fillna("").groupby(["table", "column", "rule"], sort=True).size()
                   .reset_index(name="rows"))
        summary["rows"] = summary["rows"].map(num)
        out.append(md_table(summary.rename(columns=str.capitalize), ["l", "l", "l", "r"]))
    out.append(skipped_analyses(review_id, ("case_audit", "workforce", "monitoring")))
    return "\n".join(out)


# ------------------------------------------------------------------ workspace and render


def words_folder(review_id: str, has_previous: bool = True) -> Path:
    """The review's own words if it has a folder under report/reviews/, else the shared annual words
    (``_annual_first`` for a first year, which has nothing to compare with)."""
    own = REVIEWS_DIR / review_id
    if (own / "summary.md").exists():
        return own
    return ANNUAL_WORDS if has_previous else ANNUAL_WORDS.with_name("_annual_first")


def build_workspace(review, years: list[Year], engine: str) -> tuple[Path, dict]:
    workspace = BUILD_DIR / review.review_id
    if workspace.exists():
        shutil.rmtree(workspace)
    (workspace / "sections").mkdir(parents=True)
    for name in ("_quarto.yml", SOURCE):
        shutil.copyfile(REPORT_DIR / name, workspace / name)
    shutil.copytree(words_folder(review.review_id, has_previous=len(years) > 1), workspace / "words")
    sections, v = build_sections(review, years, workspace, engine)
    for name, text in sections.items():
        (workspace / "sections" / f"{name}.md").write_text(text, encoding="utf-8")
    (workspace / "_variables.yml").write_text(yaml.safe_dump(v, sort_keys=True, allow_unicode=True), encoding="utf-8")
    return workspace, v


def build_papers(review_id: str) -> list[Path]:
    """Render the annual report of ``review_id`` into report/_output/<id>/ and return the written paths.

    Rendered into a staging folder; for a public review the publication check
    runs there, and only when every format rendered and passed are the files
    moved into place (so a failure leaves the previous outputs as they were,
    and no unchecked file where a publishable one would be).
    """
    from pipeline import publication

    review = open_review(review_id)
    if review.meta.get("kind") != "annual":
        raise ReportError(f"{review_id} is of kind {review.meta.get('kind')!r}: the annual report is for kind 'annual'")
    years = load_series(review)
    engine = engine_name()
    workspace, v = build_workspace(review, years, engine)
    final = output_dir(review_id)
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{review_id}.staging-", dir=final.parent))
    try:
        render.render_document(workspace / SOURCE, v, staging, BASENAME, FORMATS, synthetic=review.synthetic,
                               title=v["review"]["title"], resource_dir=workspace)
        files = sorted(staging.iterdir())
        if dc.AUDIENCE_SUPPRESSED[review.meta["audience"]]:
            try:
                publication.check_review(review_id, files)
            except publication.PublicationError as exc:
                raise ReportError(str(exc)) from None
        final.mkdir(parents=True, exist_ok=True)
        written = []
        for path in files:
            os.replace(path, final / path.name)
            written.append(final / path.name)
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)
