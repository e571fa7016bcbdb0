"""Disclosure control of the Board paper: the count-bearing tables, protected once.

:func:`protect` builds every table through :mod:`pipeline.disclosure` once per
render, and every table, sentence, variable and figure of the paper reads
from it (:func:`cell`, :func:`cells`, :func:`intervals`), so a figure hidden
in one place is hidden wherever it appears.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pipeline import disclosure as dc
from pipeline.papers.errors import ReportError
from pipeline.papers.format import num, pct
from pipeline.papers.results import Results

MONITORING_COUNTS = ("cpp_open", "referrals", "s47_enquiries", "icpcs")


def row_of(frame: pd.DataFrame | None, column: str, value):
    """The first row of ``frame`` whose ``column`` equals ``value`` (None when there is none)."""
    if frame is None:
        return None
    hit = frame[frame[column] == value]
    return None if hit.empty else hit.iloc[0]


@dataclass
class Protected:
    """The count-bearing tables of the Board paper, through :mod:`pipeline.disclosure`.

    Made once per render (:func:`protect`) and used by every table, sentence,
    variable and figure of the paper, so that a figure hidden in one place is
    hidden everywhere it appears. For a ``board`` review each table passes
    through unchanged (``apply_if_public``), and the paper is exactly what it
    was before disclosure control existed. For ``audience: public``:

    * counts of children or cases of 1 to 5 are ``c``, with secondary
      suppression and derived percentages, intervals and rates hidden (the
      compliance, timescale, not-evidenced, supervision, workforce and
      monitoring tables below);
    * answers to the questionnaire are answers of teams, not children, but a
      share based on 1 to 5 answers is hidden like a count of cases (findings
      matrix, ``qn`` variables, positive-share chart);
    * counts of teams and of months are not counts of children and are shown;
    * a chart is shown only when none of its data is hidden, else it is left
      out with a sentence saying so (the charts are drawn by the analysis
      stages from the unprotected data, alt text included);
    * ratings (green, amber, red) stay: a rating is a band, not a count.
    """

    audience: str
    compliance: dc.SuppressedTable | None = None
    timescales: dc.SuppressedTable | None = None
    not_evidenced: dc.SuppressedTable | None = None
    supervision: dc.SuppressedTable | None = None
    workforce: dc.SuppressedTable | None = None
    monitoring: dc.SuppressedTable | None = None
    grades_small: bool = False       # a grade count of 1 to 5 (the grades chart)
    areas_small: bool = False        # an area's monthly count of 1 to 5 (the by-area chart)
    team_cases_small: bool = False   # a team's case count of 1 to 5 (the caseload chart)

    @property
    def public(self) -> bool:
        return dc.AUDIENCE_SUPPRESSED[self.audience]

    def small(self, n) -> bool:
        """A stand-alone count that is hidden in a public paper (1 to 5)."""
        lo, hi = dc.THRESHOLD
        return self.public and n is not None and not pd.isna(n) and lo <= float(n) <= hi

    def count(self, n, fmt=None) -> str:
        """A stand-alone count for a sentence: ``c`` when small in a public paper."""
        return dc.SUPPRESSED if self.small(n) else (fmt or num)(n)

    @property
    def supervision_hidden(self) -> bool:
        """Any cell of the 2x2 (or its margins) hidden: the odds ratio, its interval and p are hidden too."""
        t = self.supervision
        return t is not None and bool(t.mask[["gob_n", "ngob_n", "cases_n"]].to_numpy().any())


def small_any(values) -> bool:
    lo, hi = dc.THRESHOLD
    v = pd.to_numeric(pd.Series(values), errors="coerce").dropna()
    return bool(((v >= lo) & (v <= hi)).any())


def cell(t: dc.SuppressedTable, row, col: str, fmt) -> str:
    """One cell for print: ``c`` when hidden, else ``fmt`` of the value (``fmt`` decides what a blank reads)."""
    return dc.SUPPRESSED if t.mask.at[row, col] else fmt(t.frame.at[row, col])


def cells(t: dc.SuppressedTable, col: str, fmt) -> list[str]:
    """A column for print, in row order: ``c`` where hidden."""
    return [dc.SUPPRESSED if m else fmt(v) for v, m in zip(t.frame[col].tolist(), t.mask[col].tolist())]


def intervals(t: dc.SuppressedTable, low: str = "ci_low_pct", high: str = "ci_high_pct", fmt=pct) -> list[str]:
    return [dc.SUPPRESSED if a == dc.SUPPRESSED or b == dc.SUPPRESSED else f"{a} to {b}"
            for a, b in zip(cells(t, low, fmt), cells(t, high, fmt))]


def _compliance_table(results: Results, audience: str) -> dc.SuppressedTable | None:
    """Compliance per criterion: yes + no + not evidenced = answered; answered + not answered = the audit sample."""
    ca = results.get("case_audit__criterion_compliance")
    if ca is None:
        return None
    cases = int(results.get("case_audit__precision").iloc[0]["audited_n"])
    frame = ca.set_index("criterion_id")[["domain", "reference", "yes_n", "no_n", "not_evidenced_n", "answered_n",
                                          "compliance_pct", "ci_low_pct", "ci_high_pct", "na_n", "blank_n"]].copy()
    frame["not_answered_n"] = frame["na_n"] + frame["blank_n"]
    frame["cases_n"] = cases
    return dc.apply_if_public(
        audience, frame, ["yes_n", "no_n", "not_evidenced_n", "answered_n", "not_answered_n"],
        sums={"answered_n": ["yes_n", "no_n", "not_evidenced_n"], "cases_n": ["answered_n", "not_answered_n"]},
        derived={c: ["yes_n", "answered_n"] for c in ("compliance_pct", "ci_low_pct", "ci_high_pct")},
        keep=["yes_n", "answered_n"])


def _timescale_table(results: Results, audience: str) -> dc.SuppressedTable | None:
    """Timescales: met + not met = due; due + not yet due = the audit sample (when it is)."""
    ts = results.get("timescales__summary")
    if ts is None:
        return None
    frame = ts.set_index("measure_id")[["label", "met_n", "not_met_n", "due_n", "not_yet_due_n",
                                        "met_pct", "ci_low_pct", "ci_high_pct"]].copy()
    sums = {"due_n": ["met_n", "not_met_n"]}
    prec = results.get("case_audit__precision")
    if prec is not None:
        cases = int(prec.iloc[0]["audited_n"])
        if ((frame["due_n"] + frame["not_yet_due_n"]) == cases).all():
            frame["cases_n"] = cases
            sums["cases_n"] = ["due_n", "not_yet_due_n"]
    return dc.apply_if_public(
        audience, frame, ["met_n", "not_met_n", "due_n", "not_yet_due_n"], sums=sums,
        derived={c: ["met_n", "due_n"] for c in ("met_pct", "ci_low_pct", "ci_high_pct")}, keep=["met_n", "due_n"])


def _not_evidenced_table(results: Results, audience: str) -> dc.SuppressedTable | None:
    """Answers not evidenced, by what the auditor could read.

    Each source's answers split into not evidenced and evidenced (published as
    the difference), and the sources add up to all answers, which the
    compliance table publishes (its columns' sums): so the suppression runs on
    the table turned on its side, with the all-sources column a fixed total.
    Should that total itself be 1 to 5 the whole table is hidden.
    """
    ne = results.get("case_audit__not_evidenced_by_source")
    if ne is None:
        return None
    frame = ne.set_index("record_source")
    base = dc.apply_if_public(audience, frame, ["answered_n", "not_evidenced_n"],
                              derived={c: ["answered_n", "not_evidenced_n"]
                                       for c in ("not_evidenced_pct", "ci_low_pct", "ci_high_pct")})
    if not base.is_suppressed:
        return base
    sources = list(frame.index)
    side = pd.DataFrame({s: [frame.at[s, "answered_n"], frame.at[s, "not_evidenced_n"],
                             frame.at[s, "answered_n"] - frame.at[s, "not_evidenced_n"]] for s in sources},
                        index=["answered_n", "not_evidenced_n", "evidenced_n"])
    side["all"] = side[sources].sum(axis=1)
    mask = base.mask.copy()
    problem = None  # the constraints of the turned table, for the publication check
    try:
        turned = dc.suppress_table(side, sources, sums={"all": sources},
                                   row_sums={"answered_n": ["not_evidenced_n", "evidenced_n"]})
        problem = turned.problem
        for s in sources:
            for col in ("answered_n", "not_evidenced_n"):
                mask.at[s, col] = bool(turned.mask.at[col, s])
    except dc.DisclosureError:
        mask[["answered_n", "not_evidenced_n"]] = True
    for col in ("not_evidenced_pct", "ci_low_pct", "ci_high_pct"):
        mask[col] = mask["answered_n"] | mask["not_evidenced_n"]
    primary = base.primary
    return dc.SuppressedTable(base.frame, mask, primary, base.count_cols, audience, problem=problem)


def _supervision_table(results: Results, audience: str) -> dc.SuppressedTable | None:
    """The 2x2 of supervision (good or better or not) by overall grade (good or better or not), with margins.

    The column totals are not printed beside the sentence, but the grades
    chart gives them, so they are treated as published cells. The row totals
    (the denominators of the two percentages) are hidden only when nothing
    else in their line can be.
    """
    sup = results.get("case_audit__supervision_overall")
    good = row_of(sup, "supervision_group", "good_or_better")
    poor = row_of(sup, "supervision_group", "not_good_or_better")
    if good is None or poor is None:
        return None
    gob = [int(good["overall_good_or_better_n"]), int(poor["overall_good_or_better_n"])]
    ngob = [int(good["overall_not_good_or_better_n"]), int(poor["overall_not_good_or_better_n"])]
    frame = pd.DataFrame({"gob_n": gob + [sum(gob)], "ngob_n": ngob + [sum(ngob)],
                          "cases_n": [int(good["cases_n"]), int(poor["cases_n"]),
                                      int(good["cases_n"] + poor["cases_n"])],
                          "pct": [good["overall_good_or_better_pct"], poor["overall_good_or_better_pct"],
                                  float("nan")]},
                         index=["good_or_better", "not_good_or_better", "total"])
    return dc.apply_if_public(audience, frame, ["gob_n", "ngob_n", "cases_n"],
                              sums={"cases_n": ["gob_n", "ngob_n"]},
                              row_sums={"total": ["good_or_better", "not_good_or_better"]},
                              derived={"pct": ["gob_n", "cases_n"]}, keep=["cases_n"])


def _workforce_table(results: Results, audience: str) -> dc.SuppressedTable | None:
    """County and area workforce: the case counts behind the caseloads are counts of children (the areas add
    up to the County); vacancy and agency shares are ratios of staff, not children."""
    ws = results.get("workforce__summary")
    if ws is None:
        return None
    frame = ws.set_index("name")
    counts = ["cases_cp", "cases_lac", "cases_cin"]
    county = frame.index[ws["level"].to_numpy() == "county"].tolist()
    areas = frame.index[ws["level"].to_numpy() == "area"].tolist()
    row_sums = {}
    if len(county) == 1 and areas and (frame.loc[areas, counts].sum() == frame.loc[county[0], counts]).all():
        row_sums = {county[0]: areas}
    return dc.apply_if_public(audience, frame, counts, row_sums=row_sums,
                              derived={"caseload_per_worker": counts, "cp_per_worker": ["cases_cp"],
                                       "lac_per_worker": ["cases_lac"], "cin_per_worker": ["cases_cin"]})


def _monitoring_table(results: Results, audience: str) -> dc.SuppressedTable | None:
    """The County's monthly counts of children (no equation links the months; a net change is hidden with
    either of the months it is the difference of)."""
    mon = results.get("monitoring__county")
    if mon is None:
        return None
    frame = mon.set_index(mon["month"].astype(str))
    counts = [c for c in MONITORING_COUNTS if c in frame.columns]
    t = dc.apply_if_public(audience, frame, counts, derived={
        c: ["cpp_open"] for c in ("cpp_open_net_change_n", "cpp_open_per_10k") if c in frame.columns})
    if t.is_suppressed and "cpp_open_net_change_n" in frame.columns:
        t.mask["cpp_open_net_change_n"] |= t.mask["cpp_open"].shift(1, fill_value=False)
    return t


def protect(review, results: Results) -> Protected:
    """The disclosure-controlled tables of a review's Board paper (passed through for a board review)."""
    audience = review.meta.get("audience") or "board"
    try:
        prot = Protected(audience, _compliance_table(results, audience), _timescale_table(results, audience),
                         _not_evidenced_table(results, audience), _supervision_table(results, audience),
                         _workforce_table(results, audience), _monitoring_table(results, audience))
    except dc.DisclosureError as exc:
        raise ReportError(f"{review.review_id}: disclosure control cannot protect a table of the paper: "
                          f"{exc}") from None
    if prot.public:
        gr = results.get("case_audit__grades")
        prot.grades_small = gr is not None and small_any(pd.concat([gr["n"], gr["graded_n"], gr["blank_n"]]))
        areas = results.get("monitoring__areas")
        prot.areas_small = areas is not None and small_any(
            pd.concat([areas[c] for c in MONITORING_COUNTS if c in areas.columns]))
        teams = results.get("workforce__teams")
        prot.team_cases_small = teams is not None and small_any(
            pd.concat([teams[c] for c in ("cases_cp", "cases_lac", "cases_cin") if c in teams.columns]))
    return prot

