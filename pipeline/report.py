"""Assemble and render a review's papers from its processed results.

For a review of kind ``phase`` this builds the Board paper (HTML, PDF, Word)
and the Board slides (PowerPoint). It gathers, for one review:

* the numbers: every figure quoted in the words is a variable (``{{< var >}}``)
  computed here from ``data/processed/<id>/`` — nothing numeric is typed;
* the review-specific words from ``report/reviews/<id>/`` (else ``_default``);
* generated sections (tables, figure blocks) as Markdown includes;
* the figures with their captions and alt text;

into a workspace ``report/_build/<id>/`` beside the Quarto sources, and renders
it with ``pipeline.render`` (Quarto when present, else Pandoc + Typst). All
formats are rendered into a staging folder and moved into
``report/_output/<id>/`` only when every one succeeded.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import pandas as pd
import yaml

from pipeline import disclosure as dc
from pipeline import render
from pipeline.contract import contract
from pipeline.params import params
from pipeline.publication import PublicationError
from pipeline.paths import PROJ_ROOT, REPORT_DIR, output_dir, processed_dir, raw_dir
from pipeline.snapshot import open_review
from pipeline.stages import STAGES

BUILD_DIR = REPORT_DIR / "_build"
REVIEWS_DIR = REPORT_DIR / "reviews"
CONFIG_DIR = REPORT_DIR / "config"
ORDINAL = {1: "first", 2: "second", 3: "third"}
RAG_WORD = {"green": "Green", "amber": "Amber", "red": "Red", "grey": "Grey"}
SOURCE_LABEL = {"timescale": "Timescale", "workforce": "Workforce", "monitoring": "Monitoring"}
RAG_MARK = {"green": "●", "amber": "◆", "red": "▲", "grey": "○"}
PACKAGES = ("pandas", "numpy", "pandera", "scipy", "statsmodels", "holidays", "matplotlib", "papermill",
            "dvc", "pypandoc-binary", "typst", "python-docx", "python-pptx", "openpyxl")


class ReportError(RuntimeError):
    """The papers of a review cannot be built; the message says why."""


# ------------------------------------------------------------------ formatting


def pct(value, digits: int = 0) -> str:
    """A percentage for the paper: unrounded in the tables, rounded here ("17%")."""
    if value is None or pd.isna(value):
        return "n/a"
    return f"{float(value):.{digits}f}%"


def num(value, digits: int = 0) -> str:
    if value is None or pd.isna(value):
        return "n/a"
    if digits == 0:
        return f"{int(round(float(value))):,}"
    return f"{float(value):,.{digits}f}"


def month_label(value: str) -> str:
    return pd.Timestamp(str(value) + ("-01" if len(str(value)) == 7 else "")).strftime("%B %Y")


def date_label(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "n/a"
    ts = pd.Timestamp(value)
    return f"{ts.day} {ts:%B %Y}"


def rag_cell(rag) -> str:
    """A rating in words and symbol, coloured in HTML through its class (never colour alone)."""
    if not isinstance(rag, str) or not rag:
        return "Not rated"
    return f"[{RAG_MARK[rag]} {RAG_WORD[rag]}]{{.rag-{rag}}}"


def md_escape(text) -> str:
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        return ""
    return str(text).replace("|", "\\|").replace("\n", " ")


def md_table(frame: pd.DataFrame, align: list[str] | None = None, widths: list[int] | None = None) -> str:
    """A pipe table with a header row (tables stay tables in every format).

    ``widths`` are relative column widths: Pandoc reads them from the lengths of
    the dashes in the separator line of a wide pipe table.
    """
    cols = list(frame.columns)
    align = align or ["l"] * len(cols)
    widths = widths or [max(8, min(40, max([len(str(c))] + [len(md_escape(x)) for x in frame[c]]))) for c in cols]
    total = sum(widths)

    def sep(a, w):
        dashes = "-" * max(3, round(120 * w / total))
        return {"l": ":" + dashes, "r": dashes + ":", "c": ":" + dashes + ":"}[a]

    lines = ["| " + " | ".join(md_escape(c) for c in cols) + " |",
             "|" + "|".join(sep(a, w) for a, w in zip(align, widths)) + "|"]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(md_escape(v) for v in row) + " |")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ results


@dataclass
class Results:
    """A review's processed tables and figures, read once."""

    review_id: str
    folder: Path
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    status: dict[str, dict] = field(default_factory=dict)
    figures: dict[str, dict] = field(default_factory=dict)

    def get(self, name: str) -> pd.DataFrame | None:
        """A published table, or None when its analysis was skipped."""
        return self.tables.get(name)

    def ran(self, stage: str) -> bool:
        return bool(self.status.get(stage, {}).get("ran"))


def read_results(review_id: str) -> Results:
    folder = processed_dir(review_id)
    results = Results(review_id, folder)
    for stage in STAGES.values():
        path = folder / stage.status_file
        if not path.exists():
            raise ReportError(f"{path.relative_to(PROJ_ROOT)} is missing: run the analyses first "
                              f"(python -m pipeline build {review_id})")
        results.status[stage.name] = json.loads(path.read_text(encoding="utf-8"))
        for name in stage.outputs:
            table = pd.read_csv(folder / name, dtype={"question_id": str, "criterion_id": str, "ref": str})
            if "skipped_reason" not in table.columns:
                results.tables[name.removesuffix(".csv")] = table
    for meta in sorted((folder / "figures").glob("*/*.json")):
        doc = json.loads(meta.read_text(encoding="utf-8"))
        doc["png"] = meta.with_suffix(".png")
        results.figures[doc["name"]] = doc
    return results


def report_config(review_id: str) -> tuple[dict, Path]:
    folder = REVIEWS_DIR / review_id
    if not (folder / "report.yml").exists():
        folder = REVIEWS_DIR / "_default"
    with open(folder / "report.yml", encoding="utf-8") as fh:
        cfg = yaml.safe_load(fh) or {}
    return cfg, folder


# ------------------------------------------------------------------ disclosure control


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


def _small_any(values) -> bool:
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
    good, poor = _row(sup, "supervision_group", "good_or_better"), _row(sup, "supervision_group", "not_good_or_better")
    if good is None or poor is None:
        return None
    gob = [int(good["overall_good_or_better_n"]), int(poor["overall_good_or_better_n"])]
    ngob = [int(good["overall_not_good_or_better_n"]), int(poor["overall_not_good_or_better_n"])]
    frame = pd.DataFrame({"gob_n": gob + [sum(gob)], "ngob_n": ngob + [sum(ngob)],
                          "cases_n": [int(good["cases_n"]), int(poor["cases_n"]), int(good["cases_n"] + poor["cases_n"])],
                          "pct": [good["overall_good_or_better_pct"], poor["overall_good_or_better_pct"], float("nan")]},
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


MONITORING_COUNTS = ("cpp_open", "referrals", "s47_enquiries", "icpcs")


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
        raise ReportError(f"{review.review_id}: disclosure control cannot protect a table of the paper: {exc}") from None
    if prot.public:
        gr = results.get("case_audit__grades")
        prot.grades_small = gr is not None and _small_any(pd.concat([gr["n"], gr["graded_n"], gr["blank_n"]]))
        areas = results.get("monitoring__areas")
        prot.areas_small = areas is not None and _small_any(
            pd.concat([areas[c] for c in MONITORING_COUNTS if c in areas.columns]))
        teams = results.get("workforce__teams")
        prot.team_cases_small = teams is not None and _small_any(
            pd.concat([teams[c] for c in ("cases_cp", "cases_lac", "cases_cin") if c in teams.columns]))
    return prot


# ------------------------------------------------------------------ variables


def _row(frame: pd.DataFrame | None, column: str, value):
    if frame is None:
        return None
    hit = frame[frame[column] == value]
    return None if hit.empty else hit.iloc[0]


def build_variables(review, results: Results, engine: str, prot: Protected | None = None) -> dict:
    """Every number the words may quote, formatted for print, keyed for ``{{< var >}}``.

    Counts and the figures built on them come from the disclosure-controlled
    tables of ``prot`` (:func:`protect`), through :func:`cell`, so a figure
    hidden in a table is ``c`` in a sentence too.
    """
    prot = prot or protect(review, results)
    meta = review.meta
    prm = params()
    v: dict = {}
    phase = meta.get("phase")
    present = review.present
    evidence = [label for table, label in (
        ("questionnaire", "a self-assessment questionnaire"), ("case_audit", "a case-file audit"),
        ("workforce", "workforce returns"), ("monitoring", "the monthly monitoring dataset"))
        if table in present]
    v["review"] = {
        "id": review.review_id, "title": meta["title"], "authority": meta["authority"],
        "board": meta.get("board", ""), "meeting_date": date_label(meta.get("meeting_date")),
        "author": meta.get("author", ""), "classification": meta.get("classification", ""),
        "phase": str(phase or ""), "phase_ordinal": ORDINAL.get(phase, str(phase or "")),
        "census_date": date_label(meta["census_date"]),
        "subtitle": (f"Phase {phase}: report to the {meta.get('board', 'Board')}" if phase
                     else f"Annual practice-audit report, {meta['authority']}"),
        "evidence_list": ", ".join(evidence) or "no analysed tables",
    }
    share = prm.ratings["share_pct"]
    v["ratings"] = {"share_green": num(share.green), "share_amber": num(share.amber)}

    qs = results.get("questionnaire__question_summary")
    if qs is not None:
        pressures = results.get("questionnaire__pressures")
        team_p = results.get("questionnaire__team_pressures")
        county = pressures[pressures["is_county_pressure"]]["question_id"].tolist() if pressures is not None else []
        v["qn"] = {
            "returns_n": num(review.table("questionnaire").shape[0]) if review.table("questionnaire") is not None
            else num(len(team_p)) if team_p is not None else "n/a",
            "questions_n": num(len(qs)),
            "pressures_n": num(len(county)), "pressures": ", ".join(county) or "none",
            "coinciding_n": num(int(team_p["is_coinciding"].sum())) if team_p is not None else "n/a",
            "threshold_pct": pct(prm.questionnaire.county_pressure_below_pct),
        }
        for r in qs.itertuples():  # answers of teams; a share of 1 to 5 answers is hidden like a count of cases
            hidden = prot.small(r.answered_n)
            v["qn"][r.question_id] = {"pct": dc.SUPPRESSED if hidden else pct(r.positive_pct),
                                      "n": dc.SUPPRESSED if hidden else num(r.answered_n)}
    ca = results.get("case_audit__criterion_compliance")
    if ca is not None:
        comp = prot.compliance
        prec = results.get("case_audit__precision").iloc[0]
        ne = prot.not_evidenced
        shown = dc.chart_safe(comp)["compliance_pct"]
        v["ca"] = {
            "cases_n": prot.count(prec["audited_n"]), "criteria_n": num(len(ca)),
            "population_n": prot.count(prec["population_n"]) if pd.notna(prec["population_n"]) else "n/a",
            "margin_pct": num(prec["margin_pct"], 1), "needed_5_n": num(prec["sample_needed_margin_5_n"]),
            "needed_10_n": num(prec["sample_needed_margin_10_n"]),
            "compliance_min_pct": pct(shown.min()), "compliance_max_pct": pct(shown.max()),
            "below_green_n": num(int((ca["compliance_pct"] < share.green).sum())),
            "ne_ics_pct": cell(ne, "ics_only", "not_evidenced_pct", lambda x: pct(x, 1))
            if ne is not None and "ics_only" in ne.frame.index else "n/a",
            "ne_paper_pct": cell(ne, "ics_and_paper", "not_evidenced_pct", lambda x: pct(x, 1))
            if ne is not None and "ics_and_paper" in ne.frame.index else "n/a",
        }
        for cid, ci in zip(comp.frame.index, intervals(comp)):
            v["ca"][cid] = {"pct": cell(comp, cid, "compliance_pct", pct), "n": cell(comp, cid, "answered_n", num),
                            "ci": ci}
        st = prot.supervision
        if st is not None:
            sup = results.get("case_audit__supervision_overall")
            good = _row(sup, "supervision_group", "good_or_better")
            hide = prot.supervision_hidden
            v["sup"] = {"good_pct": cell(st, "good_or_better", "pct", pct),
                        "poor_pct": cell(st, "not_good_or_better", "pct", pct),
                        "or": dc.SUPPRESSED if hide else num(good["odds_ratio"], 1),
                        "or_ci": dc.SUPPRESSED if hide else f"{num(good['or_ci_low'], 1)} to {num(good['or_ci_high'], 1)}",
                        "p": dc.SUPPRESSED if hide else "< 0.001" if good["p_value"] < 0.001 else num(good["p_value"], 3),
                        "good_n": cell(st, "good_or_better", "cases_n", num),
                        "poor_n": cell(st, "not_good_or_better", "cases_n", num)}
    tst = prot.timescales
    if tst is not None:
        v["ts"] = {mid: {"pct": cell(tst, mid, "met_pct", pct), "met_n": cell(tst, mid, "met_n", num),
                         "due_n": cell(tst, mid, "due_n", num), "not_yet_due_n": cell(tst, mid, "not_yet_due_n", num)}
                   for mid in tst.frame.index}
    ws = results.get("workforce__summary")
    if ws is not None:
        county = ws[ws["level"] == "county"].iloc[0]
        wt, cn = prot.workforce, county["name"]
        v["wf"] = {"vacancy_pct": pct(county["vacancy_pct"]), "caseload": cell(wt, cn, "caseload_per_worker", num),
                   "cp_per_worker": cell(wt, cn, "cp_per_worker", lambda x: num(x, 1)),
                   "lac_per_worker": cell(wt, cn, "lac_per_worker", lambda x: num(x, 1)),
                   "agency_pct": pct(county["agency_pct"]), "teams_n": num(county["teams_n"]),
                   "teams_above_n": num(county["teams_above_threshold_n"]),
                   "threshold_pct": pct(prm.workforce.vacancy_threshold_pct)}
        teams = results.get("workforce__teams")
        if teams is not None and "period" in teams:
            v["wf"]["period"] = month_label(teams["period"].iloc[0])
    mon = results.get("monitoring__county")
    if mon is not None:
        mt = prot.monitoring
        months = mon["month"].astype(str).tolist()
        v["mon"] = {"first_month": month_label(months[0]), "last_month": month_label(months[-1]),
                    "last_open": cell(mt, months[-1], "cpp_open", num), "baseline_n": num(prm.monitoring.baseline_months)}
        measures = results.get("monitoring__measures")
        change = _row(measures, "measure", "cpp_open_change_pct")
        # a change between two months is hidden with either month (any hidden month, to be safe)
        v["mon"]["change_pct"] = ("n/a" if change is None else dc.SUPPRESSED if mt.mask["cpp_open"].any()
                                  else pct(change["value"]))
        decembers = [m for m in months if m.endswith("-12")]
        if decembers:
            last = decembers[-1]
            prev = f"{int(last[:4]) - 1}-12"
            v["mon"]["dec"] = {
                "last_month": month_label(last), "last_open": cell(mt, last, "cpp_open", num),
                "last_net": cell(mt, last, "cpp_open_net_change_n",
                                 lambda x: f"{int(x):+d}" if pd.notna(x) else "n/a"),
                "prev_month": month_label(prev),
                "prev_open": cell(mt, prev, "cpp_open", num) if prev in mt.frame.index else "n/a",
            }
        signals = results.get("monitoring__signals")
        if signals is not None:
            recent = signals[(signals["direction"] == "high")]
            v["mon"]["signals_n"] = num(len(recent))
    fm = results.get("findings__matrix")
    if fm is not None:
        byf = fm.drop_duplicates("finding_id")
        counts = byf["finding_rag"].fillna("").value_counts()
        v["fd"] = {"findings_n": num(len(byf)), "red_n": num(counts.get("red", 0)), "amber_n": num(counts.get("amber", 0)),
                   "green_n": num(counts.get("green", 0)),
                   "unrated_n": num(len(byf) - counts.get("red", 0) - counts.get("amber", 0) - counts.get("green", 0))}
        for r in byf.itertuples():  # each finding's rating in words: {{< var fd.JAR6.rating >}}
            v["fd"][r.finding_id] = {"rating": _rating_word(r.finding_rag)}
    recs = review.table("recommendations")
    v["rec"] = {"n": num(0 if recs is None else len(recs)), **register_variables(review)}
    teams = review.table("teams")
    if teams is not None:
        agency = teams["agency"].fillna("") if "agency" in teams else pd.Series("", index=teams.index)
        v["teams"] = {"n": num(len(teams)), "partner_n": num(int((teams.get("team_type") == "partner_agency").sum())),
                      **{f"{a}_n": num(int((agency == a).sum())) for a in sorted(set(agency) - {""})}}
    v["engine"] = engine
    return v


# ------------------------------------------------------------------ sections


def _figure_block(results: Results, name: str, workspace: Path) -> str:
    fig = results.figures.get(name)
    if fig is None:
        return ""
    target = workspace / "figures" / fig["png"].name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(fig["png"], target)
    alt = fig["alt"].replace('"', "'")
    return f'![{md_escape(fig["caption"])}](figures/{target.name}){{fig-alt="{alt}" width="100%"}}\n'


def _gated_figure(results: Results, name: str, workspace: Path, prot: Protected, safe: bool, what: str) -> str:
    """A figure, or in a public paper whose chart would show a hidden figure, a sentence saying it is left out.

    The charts are drawn by the analysis stages from the unprotected data (their
    labels and alt text state every value), so a public paper shows one only
    when none of its data is hidden (``safe``).
    """
    if prot.public and not safe:
        if results.figures.get(name) is None:
            return ""
        return (f"*{what} is left out of this published version: some of its figures are suppressed "
                f"(small numbers).*\n")
    return _figure_block(results, name, workspace)


def _row_clear(t: dc.SuppressedTable | None, row) -> bool:
    return t is not None and row in t.mask.index and not bool(t.mask.loc[row].any())


def _criterion_figure(results: Results, cid: str, workspace: Path, prot: Protected) -> str:
    comp = prot.compliance
    safe = _row_clear(comp, cid) and not _small_any(comp.frame.loc[cid, ["na_n", "blank_n"]].tolist())
    return _gated_figure(results, f"case_audit__criterion_{cid}", workspace, prot, safe,
                         f"The chart of criterion {cid}")


def section_cover(review, cfg: dict, v: dict, prot: Protected | None = None) -> str:
    r = v["review"]
    rows = pd.DataFrame([
        ("By", r["author"]), ("To", f"{r['board']}, {r['meeting_date']}"), ("Subject", r["title"]),
        ("Classification", r["classification"]),
        ("Summary", f"This paper reports phase {r['phase']} of the review and asks members to decide on its recommendations."),
    ], columns=["Cover sheet", ""])
    roman = ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii"]
    decisions = "\n".join(f"({roman[i]}) {d}" for i, d in enumerate(cfg.get("decisions", [])))
    synthetic = ("\n::: {.callout-warning}\n**Synthetic data: not real cases.** Every figure in this paper is computed "
                 "from invented example data.\n:::\n" if review.synthetic else "")
    if prot is not None and prot.public:
        synthetic += f"\n::: {{.callout-note}}\n**Small numbers.** {dc.CONVENTION_NOTE}\n:::\n"
    return (synthetic + "\n" + md_table(rows) + "\n**For decision.** Members are asked to:\n\n" + decisions + "\n")


def section_findings_overview(v: dict, results: Results) -> str:
    fd = results.get("findings__by_finding")
    if fd is None:
        return "The review has no findings matrix.\n"
    table = pd.DataFrame({"Finding": fd["finding_id"] + ": " + fd["finding"],
                          "Rating": fd["finding_rag"].map(rag_cell)})
    return ("The findings matrix, in brief (a finding is rated by the worst of its rated evidence):\n\n"
            + md_table(table))


def _matrix_figures(r, prot: Protected) -> tuple[str, str] | None:
    """Value and "Based on" of a findings-matrix row of a public paper (None: print as they are).

    Case-audit and timescale rows quote the compliance and timescale tables
    (so a figure hidden there, primary or secondary, is hidden here too); a
    share of 1 to 5 answers or cases is hidden with its count; the caseload
    and the change in children with a plan follow the workforce and
    monitoring tables. Counts of teams and months are shown.
    """
    if not prot.public or r.source == "narrative" or r.is_no_data:
        return None
    unit = r.n_unit if isinstance(r.n_unit, str) else ""
    ref = str(r.ref) if isinstance(r.ref, str) else ""
    if r.source == "case_audit" and prot.compliance is not None and ref in prot.compliance.frame.index:
        t = prot.compliance
        return cell(t, ref, "compliance_pct", pct), f"{cell(t, ref, 'answered_n', num)} {unit}"
    if r.source == "timescale" and prot.timescales is not None and ref in prot.timescales.frame.index:
        t = prot.timescales
        return cell(t, ref, "met_pct", pct), f"{cell(t, ref, 'due_n', num)} {unit}"
    value = pct(r.value) if r.unit == "%" else f"{num(r.value, 1)} {r.unit}"
    n = f"{num(r.n)} {unit}" if pd.notna(r.n) else ""
    if unit in ("answers", "cases") and prot.small(r.n):
        return dc.SUPPRESSED, f"{dc.SUPPRESSED} {unit}"
    if r.source == "workforce" and ref == "caseload_per_worker" and prot.workforce is not None:
        county = prot.workforce.frame.index[prot.workforce.frame["level"] == "county"]
        if len(county) and prot.workforce.mask.at[county[0], "caseload_per_worker"]:
            return dc.SUPPRESSED, n
    if r.source == "monitoring" and prot.monitoring is not None and prot.monitoring.mask["cpp_open"].any():
        return dc.SUPPRESSED, n
    return value, n


def section_findings_matrix(results: Results, prot: Protected | None = None) -> str:
    fm = results.get("findings__matrix")
    if fm is None:
        return "The review has no evidence map, so no findings matrix.\n"
    parts = []
    for fid, rows in fm.groupby("finding_id", sort=False):
        first = rows.iloc[0]
        parts.append(f"**{fid}. {md_escape(first['finding'])}** (rating: {rag_cell(first['finding_rag'])})\n")
        out = []
        for r in rows.itertuples():
            ref = SOURCE_LABEL.get(r.source) or (r.ref_label if isinstance(r.ref_label, str) else "")
            if r.source == "narrative":
                value = ""
            elif r.is_no_data:
                value = "no data"
            elif r.unit == "%":
                value = pct(r.value)
            else:
                value = f"{num(r.value, 1)} {r.unit}"
            n = f"{num(r.n)} {r.n_unit}" if pd.notna(r.n) else ""
            public = _matrix_figures(r, prot) if prot is not None else None
            if public is not None:
                value, n = public
            rating = r.deferred_label if r.is_deferred else rag_cell(r.rag) if isinstance(r.rag, str) else "Not rated"
            out.append((md_escape(r.evidence), f"[{ref}]" if ref else "", value, n, rating))
        parts.append(md_table(pd.DataFrame(out, columns=["Local evidence", "Ref", "Value", "Based on", "Rating"]),
                              ["l", "l", "r", "r", "l"], widths=[40, 11, 10, 12, 14]))
    return "\n".join(parts)


def key_criteria(results: Results, cfg: dict) -> list[str]:
    ca = results.get("case_audit__criterion_compliance")
    if ca is None:
        return []
    chosen = cfg.get("key_criteria") or ca.loc[ca["reference"].notna(), "criterion_id"].tolist()
    return [c for c in chosen if c in set(ca["criterion_id"])]


def section_key_audit(review, results: Results, cfg: dict, workspace: Path, prot: Protected) -> str:
    ca = results.get("case_audit__criterion_compliance")
    if ca is None:
        return "The review has no case audit.\n"
    criteria = review.table("audit_criteria")
    text = criteria.set_index("criterion_id")["text"] if criteria is not None else pd.Series(dtype=str)
    parts = []
    for cid in key_criteria(results, cfg):
        r = ca[ca["criterion_id"] == cid].iloc[0]
        ref = f" [{r['reference']}]" if isinstance(r["reference"], str) else ""
        parts.append(f"## {md_escape(text.get(cid, cid))}{ref}\n")
        t = prot.compliance
        ci = intervals(t)[list(t.frame.index).index(cid)]
        parts.append(f"Met in {cell(t, cid, 'yes_n', num)} of {cell(t, cid, 'answered_n', num)} cases where it could "
                     f"be judged ({cell(t, cid, 'compliance_pct', pct)}, 95% interval {ci}); "
                     f"the record could not evidence it in {cell(t, cid, 'not_evidenced_n', num)}.\n")
        parts.append(_criterion_figure(results, cid, workspace, prot))
    return "\n".join(parts) if parts else "No key audit questions were chosen.\n"


def section_compliance(results: Results, workspace: Path, prot: Protected) -> str:
    out = []
    t = prot.timescales
    if t is not None:
        table = pd.DataFrame({
            "Timescale": t.frame["label"].tolist(), "Met": cells(t, "met_n", num), "Due": cells(t, "due_n", num),
            "Not yet due": cells(t, "not_yet_due_n", num), "Met (%)": cells(t, "met_pct", pct),
            "95% interval": intervals(t)})
        out.append("Statutory timescales, from the dates on the audited files (working days exclude weekends and "
                   "bank holidays; cases whose deadline falls after the census date are not yet due):\n")
        out.append(md_table(table, ["l", "r", "r", "r", "r", "l"]))
        out.append(_gated_figure(results, "timescales__summary", workspace, prot, not t.any_hidden,
                                 "The chart of the timescales"))
    c = prot.compliance
    if c is not None:
        table = pd.DataFrame({
            "Criterion": list(c.frame.index), "Domain": c.frame["domain"].tolist(),
            "Ref": c.frame["reference"].astype(object).where(c.frame["reference"].notna(), "").tolist(),
            "Yes": cells(c, "yes_n", num), "No": cells(c, "no_n", num), "Not evidenced": cells(c, "not_evidenced_n", num),
            "Compliance": cells(c, "compliance_pct", pct), "95% interval": intervals(c)})
        out.append("\nCompliance with each audit criterion (yes over yes, no and not evidenced):\n")
        out.append(md_table(table, ["l", "l", "l", "r", "r", "r", "r", "l"]))
        out.append(_gated_figure(results, "case_audit__compliance", workspace, prot, not c.any_hidden,
                                 "The chart of compliance by criterion"))
        ne = prot.not_evidenced
        if ne is not None:
            rows = pd.DataFrame({"Record read": [contract().code_label(x) for x in ne.frame.index],
                                 "Answers": cells(ne, "answered_n", num),
                                 "Not evidenced": cells(ne, "not_evidenced_n", num),
                                 "Share": cells(ne, "not_evidenced_pct", lambda x: pct(x, 1))})
            out.append("\nAnswers the record could not evidence, by what the auditor could read:\n")
            out.append(md_table(rows, ["l", "r", "r", "r"]))
    return "\n".join(out) if out else "The review has no case audit.\n"


def section_competence(results: Results, v: dict, workspace: Path, prot: Protected) -> str:
    out = []
    if "sup" in v:
        s = v["sup"]
        if prot.supervision_hidden:
            out.append(f"Cases whose supervision was graded good or better were good or better overall in "
                       f"{s['good_pct']} of {s['good_n']} cases, against {s['poor_pct']} of {s['poor_n']} cases with "
                       f"weaker supervision. Some of these counts are small, so they, the odds ratio and its test "
                       f"are suppressed in this published version.\n")
        else:
            out.append(f"Cases whose supervision was graded good or better were good or better overall in {s['good_pct']} "
                       f"of {s['good_n']} cases, against {s['poor_pct']} of {s['poor_n']} cases with weaker supervision "
                       f"(odds ratio {s['or']}, 95% interval {s['or_ci']}; Fisher's exact test p {s['p']}). "
                       f"The audit cannot show that supervision causes better practice, but the association is strong.\n")
        out.append(_gated_figure(results, "case_audit__grades", workspace, prot,
                                 not prot.grades_small and not prot.supervision_hidden, "The chart of grades"))
    qs = results.get("questionnaire__question_summary")
    if qs is not None:
        out.append(f"\nTeams' own view of their practice: the {v['qn']['questions_n']} questions of the "
                   f"self-assessment, with the share of positive answers.\n")
        out.append(_gated_figure(results, "questionnaire__positive_share", workspace, prot,
                                 not _small_any(qs["answered_n"]), "The chart of positive answers by question"))
        out.append(f"\nQuestions below {v['qn']['threshold_pct']} positive across the county (county-wide "
                   f"pressures): {v['qn']['pressures']}. Teams where a county-wide pressure meets local ones: "
                   f"{v['qn']['coinciding_n']}.\n")
        out.append(_figure_block(results, "questionnaire__team_heatmap", workspace))
    return "\n".join(out) if out else "The review has no questionnaire or audit grades.\n"


def section_capacity(results: Results, v: dict, workspace: Path, prot: Protected) -> str:
    out = []
    wt = prot.workforce
    if wt is not None:
        table = pd.DataFrame({"Level": list(wt.frame.index), "Vacancy": cells(wt, "vacancy_pct", pct),
                              "Caseload per worker": cells(wt, "caseload_per_worker", lambda x: num(x, 1)),
                              "CP per worker": cells(wt, "cp_per_worker", lambda x: num(x, 1)),
                              "LAC per worker": cells(wt, "lac_per_worker", lambda x: num(x, 1)),
                              "Agency share": cells(wt, "agency_pct", pct),
                              "Teams above threshold": cells(wt, "teams_above_threshold_n", num)})
        w = v["wf"]
        out.append(f"Vacancy rate of qualified social worker posts and caseloads at {w.get('period', 'the latest period')} "
                   f"(rates are ratios of sums over teams; a team above {w['threshold_pct']} is counted):\n")
        out.append(md_table(table, ["l", "r", "r", "r", "r", "r", "r"]))
        out.append(_figure_block(results, "workforce__vacancy_by_team", workspace))
        out.append(_gated_figure(results, "workforce__caseload_composition", workspace, prot,
                                 not prot.team_cases_small and not wt.any_hidden, "The chart of caseloads by team"))
    mon = results.get("monitoring__county")
    if mon is not None:
        m = v["mon"]
        out.append(f"\nChildren with a child protection plan, {m['first_month']} to {m['last_month']}: "
                   f"{m['last_open']} at the end, {m['change_pct']} more than twelve months earlier.\n")
        mt = prot.monitoring
        out.append(_gated_figure(results, "monitoring__cpp_open_by_area", workspace, prot,
                                 not prot.areas_small and not mt.mask["cpp_open"].any(),
                                 "The chart of children with a plan by area"))
        signals = results.get("monitoring__signals")
        if signals is not None and not signals.empty:
            last = signals.groupby("measure", sort=False).tail(3)
            rows = pd.DataFrame({"Measure": last["measure"].str.replace("_", " "), "Month": last["month"].map(month_label),
                                 "Value": [dc.SUPPRESSED if prot.small(x) else num(x) for x in last["value"]],
                                 "Baseline mean": last["mean"].map(lambda x: num(x, 1)),
                                 "Direction": last["direction"], "Rules": last["rules"]})
            out.append("\nSpecial-cause variation (NHS *Making Data Count* rules on XmR charts; the last three signals "
                       "of each measure):\n")
            out.append(md_table(rows, ["l", "l", "r", "r", "l", "l"]))
        for measure in ("referrals", "s47_enquiries", "icpcs"):
            safe = measure in mt.mask.columns and not mt.mask[measure].any()
            out.append(_gated_figure(results, f"monitoring__xmr_{measure}", workspace, prot, safe,
                                     f"The chart of {measure.replace('_', ' ')} by month"))
    return "\n".join(out) if out else "The review has no workforce or monitoring data.\n"


def section_recommendations(review) -> str:
    recs = review.table("recommendations")
    if recs is None:
        return "The review has no register of recommendations.\n"
    label = contract().code_label
    parts = []
    for i, r in enumerate(recs.itertuples(), start=1):
        due = f", due {date_label(r.due_date)}" if pd.notna(r.due_date) else ""
        owner = f" Owner: {r.owner}." if isinstance(r.owner, str) else ""
        parts.append(f"{i}. **{r.rec_id}.** {md_escape(r.text)}{owner} Status: {label(r.status)}{due}.")
    return "\n".join(parts) + "\n"


def section_plan(cfg: dict, workspace: Path) -> str:
    name = cfg.get("plan")
    if not name:
        return "No review plan is configured for this review.\n"
    with open(CONFIG_DIR / name, encoding="utf-8") as fh:
        plan = yaml.safe_load(fh)
    out = ["The review runs in three phases:\n"]
    out.append(md_table(pd.DataFrame([(f"Phase {p['phase']}", p["name"], p["scope"], p["report_to"]) for p in plan["phases"]],
                                     columns=["Phase", "Subject", "Scope", "Reports to"])))
    tor = pd.DataFrame([(t["area"], *["X" if n in t["phases"] else "" for n in (1, 2, 3)])
                        for t in plan["terms_of_reference"]], columns=["Area of investigation", "Phase 1", "Phase 2", "Phase 3"])
    out.append("\nTerms of reference by phase (X: examined in that phase):\n")
    out.append(md_table(tor, ["l", "c", "c", "c"]))
    out.append("\nOutline timeline:\n")
    out.append(_gantt(plan["timeline"], workspace))
    return "\n".join(out)


def _gantt(tasks: list[dict], workspace: Path) -> str:
    from pipeline import figures as fg

    frame = pd.DataFrame(tasks)
    frame["start"] = pd.to_datetime(frame["start"])
    frame["end"] = pd.to_datetime(frame["end"])
    with fg.house_style():
        fig = fg.new_figure(7.0, 0.35 * len(frame) + 1.2)
        ax = fig.add_subplot(111)
        hatches = {0: "", 1: "", 2: "//", 3: ".."}
        for i, r in enumerate(frame.itertuples()):
            ax.barh(i, (r.end - r.start).days + 1, left=r.start, color=fg.PALETTE[int(r.phase) % len(fg.PALETTE)],
                    hatch=hatches.get(int(r.phase), ""), edgecolor="black", linewidth=0.5)
        ax.set_yticks(range(len(frame)), frame["task"])
        ax.invert_yaxis()
        ax.xaxis_date()
        fig.autofmt_xdate()
        ax.set_xlabel("2009")
    alt = "Gantt chart of the review plan: " + "; ".join(
        f"{r.task} from {date_label(r.start)} to {date_label(r.end)}" for r in frame.itertuples()) + "."
    paths = fg.save_figure(fig, workspace / "figures", "plan__gantt", caption="Outline timeline of the review, by task.",
                           alt=alt, data=frame.assign(start=frame["start"].dt.strftime("%Y-%m-%d"),
                                                      end=frame["end"].dt.strftime("%Y-%m-%d")))
    return f'![Outline timeline of the review, by task.](figures/{paths["png"].name}){{fig-alt="{alt}" width="100%"}}\n'


def section_method(review, results: Results, v: dict, prot: Protected | None = None) -> str:
    prm = params()
    public = prot is not None and prot.public
    out = ["**Intervals.** Shares from the case audit and the timescales carry 95% Wilson score intervals on their own "
           "denominator. Where the number of children with a plan (N) is known, the sample size n is replaced by the "
           "effective size n(N-1)/(N-n), the finite-population correction. The questionnaire covers every team, so its "
           "shares carry no interval.\n",
           "**Working days** are Monday to Friday less the England and Wales bank holidays; the working days from A to B "
           "are those after A up to and including B. A timescale whose event has not happened is *not yet due* when its "
           "deadline falls after the census date, and is then left out of the rate.\n"]
    if "ca" in v:
        c = v["ca"]
        out.append(f"**Sample and precision.** The audit read {c['cases_n']} case files out of {c['population_n']} "
                   f"children with a plan. The precision achieved on a share near 50% is about ±{c['margin_pct']} "
                   f"percentage points; ±5 points would need {c['needed_5_n']} cases and ±10 points {c['needed_10_n']}.\n")
    plan = processed_dir(review.review_id) / "sample" / "sample__plan.json"
    if plan.exists():
        doc = json.loads(plan.read_text(encoding="utf-8"))
        out.append(f"**Sample design.** The next audit sample was planned for a margin of ±{num(doc.get('margin_pct'), 1)} "
                   f"points: {num(doc.get('required_n'))} cases, of which "
                   f"{(prot.count if public else num)(doc.get('certainty_n', doc.get('high_risk_n')))} "
                   f"high-risk cases taken in full and the rest drawn in proportion across areas and team types "
                   f"(seed {doc.get('seed')}).\n")
    thresholds = pd.DataFrame([(name, r.better, num(r.green, 1), num(r.amber, 1)) for name, r in prm.ratings.items()],
                              columns=["Measure", "Better when", "Green at or beyond", "Amber at or beyond"])
    if public:
        out.append(f"**Small numbers.** This paper is published, so every count of children or cases, and every "
                   f"figure built on one, is disclosure-controlled. {dc.CONVENTION_NOTE} A share of 1 to 5 "
                   f"questionnaire answers is hidden in the same way. Counts of teams and of months are not counts "
                   f"of children and are shown. A chart that would show a hidden figure is left out. Ratings (green, "
                   f"amber, red) are shown where the figure behind them is hidden: a rating is a band, not a count.\n")
    out.append("**Ratings.** Each computed row of the findings matrix is rated against these thresholds "
               "(`params.yaml`); a measure without thresholds is shown unrated, and rows of a later phase are not rated.\n")
    out.append(md_table(thresholds, ["l", "l", "r", "r"]))
    out.append("\n**Statistical process control.** XmR charts take their mean and limits (mean ± 2.66 × average moving "
               f"range) from the first {prm.monitoring.baseline_months} months; special cause is a point outside the "
               f"limits, a run of {prm.monitoring.shift_run} points on one side of the mean, {prm.monitoring.trend_run} "
               "points rising or falling, or two of three points beyond two sigma on one side.\n")
    with open(CONFIG_DIR / "caveats.yml", encoding="utf-8") as fh:
        caveats = yaml.safe_load(fh)
    analysed = {"case_audit": "ca", "questionnaire": "qn", "workforce": "wf", "monitoring": "mon", "timescales": "ts"}
    rows = [(c["importance"].capitalize(), c["text"]) for c in caveats if analysed.get(c["applies_to"]) in v]
    out.append("\n**Assumptions and caveats**, most important first:\n")
    order = {"High": 0, "Medium": 1, "Low": 2}
    rows.sort(key=lambda r: order[r[0]])
    out.append(md_table(pd.DataFrame(rows, columns=["Importance", "Assumption or caveat"])))
    return "\n".join(out)


def section_quality(review, prot: Protected | None = None) -> str:
    path = processed_dir(review.review_id) / "validation__issues.csv"
    issues = pd.read_csv(path, dtype=str) if path.exists() else pd.DataFrame()
    public = prot is not None and prot.public
    out = ["The data were checked against the raw data contract before any analysis. Errors stop the build; the "
           "queries below did not, and are listed for the people who supply the data.\n" if not public else
           "The data were checked against the raw data contract before any analysis. Errors stop the build; the "
           "queries below did not. Only the kind of query and how many rows it concerns are published here; the "
           "details are in the issue report for the people who supply the data.\n"]
    if issues.empty:
        out.append("No queries were raised.\n")
    elif public:  # a query's message can quote a raw value: publish the kind and the number of rows only
        summary = (issues.fillna("").groupby(["table", "column", "rule"], sort=True).size().reset_index(name="rows"))
        summary["rows"] = summary["rows"].map(num)
        out.append(md_table(summary.rename(columns=str.capitalize), ["l", "l", "l", "r"]))
    else:
        table = issues[["severity", "table", "file", "row", "column", "rule", "message"]].fillna("")
        out.append(md_table(table.rename(columns=str.capitalize)))
    out.append(skipped_analyses(review.review_id, tuple(STAGES)))
    return "\n".join(out)


def skipped_analyses(review_id: str, stages: tuple[str, ...]) -> str:
    """A table of the analyses a review's stages skipped and why (from their status files), or ''."""
    skipped = []
    for name in stages:
        status = json.loads((processed_dir(review_id) / f"{name}__status.json").read_text(encoding="utf-8"))
        for module, m in status["modules"].items():
            if not m["ran"]:
                skipped.append((module.replace("_", " "), m["skipped_reason"]))
    if not skipped:
        return ""
    return "\nAnalyses not run for this review:\n\n" + md_table(pd.DataFrame(skipped, columns=["Analysis", "Why"]))


def section_glossary() -> str:
    with open(CONFIG_DIR / "glossary.yml", encoding="utf-8") as fh:
        terms = yaml.safe_load(fh)
    return md_table(pd.DataFrame(sorted(terms.items()), columns=["Abbreviation", "Meaning"]))


RENDER_ROOTS = ("report", "render", "annual", "disclosure", "publication")
REPORT_SOURCES = ("report/_quarto.yml", "report/board-paper.qmd", "report/board-slides.qmd",
                  "report/annual-audit-report.qmd", "report/templates", "report/config", "report/reviews")


def render_code_files() -> list[Path]:
    """The code and report sources the render stage declares (dvc.yaml), as files."""
    from pipeline.dvcgen import code_deps

    files: list[Path] = []
    for rel in [*code_deps(list(RENDER_ROOTS)), *REPORT_SOURCES]:
        path = PROJ_ROOT / rel
        files += sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path] if path.exists() else []
    return sorted(set(files))


def code_version() -> str:
    """A hash of exactly the code and sources the render stage depends on: same code, same paper."""
    digest = hashlib.sha256()
    for path in render_code_files():
        digest.update(path.relative_to(PROJ_ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


RENDER_PARAMS = ("ratings", "questionnaire", "workforce", "monitoring", "intervals", "timescales", "sample",
                 "disclosure")


def params_text() -> str:
    """The parameter sections a paper depends on, as YAML (not the list of reviews to build)."""
    data = params().model_dump(mode="json")
    return yaml.safe_dump({k: data[k] for k in RENDER_PARAMS}, sort_keys=False)


def section_provenance(review, engine: str) -> str:
    rows = []
    for path in sorted(raw_dir(review.review_id).iterdir()):
        if path.is_file():
            rows.append((path.name, hashlib.sha256(path.read_bytes()).hexdigest()))
    versions = []
    for pkg in PACKAGES:
        try:
            versions.append((pkg, metadata.version(pkg)))
        except metadata.PackageNotFoundError:
            versions.append((pkg, "not installed"))
    try:
        own = metadata.version("cp-review-pipeline")
    except metadata.PackageNotFoundError:
        own = "not installed"
    out = [f"Rendered by **{engine}**. Pipeline {own}, code version {code_version()} (a hash of the package, notebooks "
           f"and report sources), Python {platform.python_version()}. No clock time is recorded, so the same inputs "
           "give the same paper.\n",
           "Raw files (SHA-256):\n", md_table(pd.DataFrame(rows, columns=["File", "SHA-256"])),
           "\nPackages:\n", md_table(pd.DataFrame(versions, columns=["Package", "Version"])),
           "\nParameters (`params.yaml`, the sections the render stage declares):\n",
           "```yaml\n" + params_text() + "```\n"]
    return "\n".join(out)


def section_slides(review, results: Results, cfg: dict, v: dict, workspace: Path, prot: Protected) -> str:
    """A short deck: key findings, the matrix in brief, one slide per key audit question, capacity, recommendations."""
    out = ["## Key findings\n"]
    if "ca" in v:
        out.append(f"- Case audit of {v['ca']['cases_n']} files: compliance from {v['ca']['compliance_min_pct']} "
                   f"to {v['ca']['compliance_max_pct']} across {v['ca']['criteria_n']} criteria")
    if "sup" in v and prot.supervision_hidden:
        out.append("- Supervision and overall practice: figures suppressed (small numbers)")
    elif "sup" in v:
        out.append(f"- Good supervision goes with good overall practice: {v['sup']['good_pct']} against {v['sup']['poor_pct']}")
    if "wf" in v:
        out.append(f"- Vacancy rate {v['wf']['vacancy_pct']}; {v['wf']['teams_above_n']} teams above "
                   f"{v['wf']['threshold_pct']}; caseload {v['wf']['caseload']} per worker")
    if "mon" in v and "dec" in v["mon"]:
        d = v["mon"]["dec"]
        out.append(f"- Children with a plan: {d['prev_open']} ({d['prev_month']}) to {d['last_open']} ({d['last_month']})")
    if "ca" in v:
        out.append(f"- ICS-only files could not evidence {v['ca']['ne_ics_pct']} of answers, against "
                   f"{v['ca']['ne_paper_pct']} with paper files")
    out.append("")
    fd = results.get("findings__by_finding")
    if fd is not None:
        out.append("## Findings matrix in brief\n")
        out.append(md_table(pd.DataFrame({"Finding": fd["finding_id"] + ": " + fd["finding"],
                                          "Rating": fd["finding_rag"].map(rag_cell)})))
    ca = results.get("case_audit__criterion_compliance")
    criteria = review.table("audit_criteria")
    text = criteria.set_index("criterion_id")["text"] if criteria is not None else pd.Series(dtype=str)
    for cid in key_criteria(results, cfg):
        r = ca[ca["criterion_id"] == cid].iloc[0]
        ref = f" [{r['reference']}]" if isinstance(r["reference"], str) else ""
        out.append(f"## {md_escape(text.get(cid, cid))}{ref}\n")
        out.append(_criterion_figure(results, cid, workspace, prot))
    if "wf" in v:
        out.append("## Capacity\n")
        out.append(_figure_block(results, "workforce__vacancy_by_team", workspace))
    recs = review.table("recommendations")
    if recs is not None:
        for start in range(0, len(recs), 4):
            out.append("## Recommendations\n")
            for r in recs.iloc[start:start + 4].itertuples():
                words = r.text if len(r.text) <= 160 else r.text[:157].rsplit(" ", 1)[0] + "..."
                out.append(f"- **{r.rec_id}** {md_escape(words)}")
            out.append("")
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------ across the phases


PREVIOUS_READS: dict[str, tuple[str, ...]] = {"phase": ("findings__matrix.csv", "_tables/review.json")}
"""What the render of a review reads from each review in its ``previous_reviews``, by kind.

dvc.yaml declares these files as dependencies of the review's render stage
(``render_deps_of_previous``), so a change to a previous review's findings
matrix re-renders the papers that compare with it, and nothing else."""

_STOP_WORDS = frozenset(
    "a about after against all also an and any are as at be been before being between both but by can cannot "
    "could do does each every for from give given has have how in into is it its keep keeps kept let make may "
    "more most must new no not now of on one only or other out over own per rather so such than that the their "
    "them then there these they this those through to under until up upon was were what when where which while "
    "who whose why will with within without would yet".split())


def previous_reviews(meta: dict) -> list[str]:
    """The reviews a review compares itself with (``previous_reviews`` in its review.yml), in order."""
    return [str(r) for r in (meta.get("previous_reviews") or [])]


def render_deps_of_previous(review_id: str) -> list[str]:
    """Files of earlier reviews that ``python -m pipeline render <review_id>`` reads (for dvc.yaml).

    Read from the raw ``review.yml`` (plain YAML, no validation) so that dvcgen
    can call it for every review in params.yaml without building anything."""
    path = raw_dir(review_id) / "review.yml"
    meta = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}) if path.exists() else {}
    if meta.get("kind") == "annual":
        from pipeline.annual import PREVIOUS_READS as reads
    else:
        reads = PREVIOUS_READS.get(meta.get("kind"), ())
    return [f"data/processed/{prev}/{name}" for prev in previous_reviews(meta) for name in reads]


@dataclass
class Stood:
    """A review's findings matrix as it stood when that review reported."""

    review_id: str
    label: str
    matrix: pd.DataFrame | None


def _stood_label(meta: dict) -> str:
    phase = meta.get("phase")
    when = date_label(meta.get("meeting_date") or meta.get("census_date"))
    return f"Phase {phase} ({when})" if phase else f"{meta.get('review_id', '')} ({when})"


def read_previous(review) -> list[Stood]:
    """The findings matrix of each previous review; a clear error when one has not been built."""
    out = []
    for prev in previous_reviews(review.meta):
        folder = processed_dir(prev)
        for name in PREVIOUS_READS["phase"]:
            if not (folder / name).exists():
                raise ReportError(
                    f"{review.review_id} sets its findings beside those of {prev}, but {prev} has not been built "
                    f"({(folder / name).relative_to(PROJ_ROOT)} is missing): run `python -m pipeline build {prev}` "
                    f"(or `make report REVIEW={prev}`) first")
        meta = json.loads((folder / "_tables" / "review.json").read_text(encoding="utf-8"))["meta"]
        matrix = pd.read_csv(folder / "findings__matrix.csv", dtype={"ref": str})
        out.append(Stood(prev, _stood_label(meta), None if "skipped_reason" in matrix.columns else matrix))
    return out


def finding_standing(matrix: pd.DataFrame | None, finding_id: str) -> str:
    """A finding's rating in one review, in words: its rating, "Deferred to phase N", "Not rated" or "Not examined"."""
    rows = None if matrix is None else matrix[matrix["finding_id"] == finding_id]
    if rows is None or rows.empty:
        return "Not examined"
    rag = rows["finding_rag"].iloc[0]
    if isinstance(rag, str) and rag:
        return rag_cell(rag)
    if rows["is_deferred"].astype(bool).all():
        phases = sorted({str(p) for p in rows["phase"]})
        return "Deferred to phase " + " and ".join(phases)
    return "Not rated"


def _rating_word(rag) -> str:
    return rag if isinstance(rag, str) and rag in RAG_WORD and rag != "grey" else "not rated"


def register_variables(review) -> dict:
    """Counts from the recommendations register: by status (every code), by phase, this phase and earlier ones."""
    recs = review.table("recommendations")
    if recs is None:
        return {}
    phase = review.meta.get("phase")
    status = recs["status"].astype(str)
    rec = {f"{code}_n": num(int((status == code).sum())) for code in contract().codes["status"]}
    rec_phase = pd.to_numeric(recs["phase"], errors="coerce")
    for p in sorted(rec_phase.dropna().astype(int).unique()):
        rec[f"phase{p}_n"] = num(int((rec_phase == p).sum()))
    earlier = recs[rec_phase < phase] if phase else recs.iloc[0:0]
    done = earlier["status"].isin(["complete", "superseded"])
    rec.update(this_phase_n=num(int((rec_phase == phase).sum())) if phase else "n/a",
               earlier_n=num(len(earlier)), earlier_complete_n=num(int((earlier["status"] == "complete").sum())),
               earlier_open_n=num(int((~done).sum())))
    return rec


def across_variables(review, results: Results, stood: list[Stood]) -> dict:
    """Numbers for the words of a review that looks back over earlier ones (the ``across`` key)."""
    v: dict = {}
    fm = results.get("findings__matrix")
    labels = [s.label[:1].lower() + s.label[1:] for s in stood]
    ever_red = set()
    for s in [*stood, Stood(review.review_id, "", fm)]:
        if s.matrix is not None:
            ever_red |= set(s.matrix.loc[s.matrix["finding_rag"] == "red", "finding_id"])
    v["across"] = {
        "previous_n": num(len(stood)), "reviews_n": num(len(stood) + 1),
        "previous": " and ".join([", ".join(labels[:-1]), labels[-1]]) if len(labels) > 1 else "".join(labels),
        "red_any_n": num(len(ever_red)), "red_any": ", ".join(sorted(ever_red)) or "none",
    }
    return v


def section_across_register(review) -> str:
    """(a) The recommendations register across the phases, phase by phase, with each status in words."""
    recs = review.table("recommendations")
    if recs is None or recs.empty:
        return "The review has no register of recommendations.\n"
    label = contract().code_label
    statuses = [s for s in contract().codes["status"] if s in set(recs["status"])]
    counts = (recs.assign(Phase=recs["phase"].map(lambda p: f"Phase {p}"))
              .pivot_table(index="Phase", columns="status", values="rec_id", aggfunc="count", fill_value=0)
              .reindex(columns=statuses, fill_value=0))
    summary = counts.reset_index().rename(columns={s: label(s) for s in statuses})
    summary["Total"] = counts.sum(axis=1).values
    out = ["Every recommendation made so far, with where it stands at the date of this paper (from the review's "
           "register). Recommendations by phase and status:\n",
           md_table(summary.astype(str), ["l"] + ["r"] * (len(summary.columns) - 1))]
    for phase, rows in recs.groupby("phase", sort=True):
        out.append(f"\n**Recommendations of phase {phase}**\n")
        table = pd.DataFrame({
            "Rec": rows["rec_id"], "Recommendation": rows["text"], "Owner": rows["owner"].fillna(""),
            "Status": rows["status"].map(label),
            "Due": rows["due_date"].map(lambda d: date_label(d) if pd.notna(d) else "not set")})
        out.append(md_table(table, widths=[5, 50, 16, 10, 12]))
    return "\n".join(out)


def section_across_matrix(review, results: Results, stood: list[Stood]) -> str:
    """(b) The findings matrix as it stood after each review, side by side: one row per finding, ratings in words."""
    this = Stood(review.review_id, f"{_stood_label(review.meta)}, this paper", results.get("findings__matrix"))
    columns = [*stood, this]
    names: dict[str, str] = {}
    for s in columns:
        if s.matrix is not None:
            for fid, text in zip(s.matrix["finding_id"], s.matrix["finding"]):
                names[fid] = text  # the latest wording wins
    if not names:
        return "None of the reviews compared has a findings matrix.\n"
    rows = [[f"{fid}: {text}", *[finding_standing(s.matrix, fid) for s in columns]] for fid, text in names.items()]
    table = pd.DataFrame(rows, columns=["Finding", *[s.label for s in columns]])
    return ("Each finding's rating as it stood when each phase reported (the worst of its rated evidence at the time). "
            "*Deferred* means that phase left the finding to a later one; *not rated* that it had evidence but none "
            "rated; *not examined* that the phase had no evidence on it.\n\n"
            + md_table(table, ["l"] + ["l"] * len(columns), widths=[40] + [14] * len(columns)))


def _words(text: str) -> set[str]:
    found = set()
    for token in re.findall(r"[a-z][a-z'’-]*[a-z]", str(text).lower()):
        token = token.replace("’", "'").removesuffix("'s").removesuffix("'")
        if token.endswith("s") and not token.endswith("ss") and len(token) > 4:
            token = token[:-1]
        if len(token) > 2 and token not in _STOP_WORDS:
            found.add(token)
    return found


def link_by_words(recs: pd.DataFrame, evidence: pd.DataFrame) -> dict[str, list[tuple[int, list[str]]]]:
    """For each recommendation, the evidence rows whose wording it shares, with the shared words.

    The register does not say which finding a recommendation answers (the data
    contract has no such column), so the link is made from the words the two
    share: each word is weighted by how rare it is among the evidence rows and
    the recommendations (inverse document frequency), a pair is scored by the
    cosine of their weighted word sets, and a row is linked when it shares at
    least two words and scores at least 75% of the recommendation's best row.
    The paper prints the shared words, so a reader can judge every link."""
    rec_docs = {r.rec_id: _words(r.text) for r in recs.itertuples()}
    docs = [_words(t) for t in evidence["evidence"]]
    df: dict[str, int] = {}
    for d in [*docs, *rec_docs.values()]:
        for w in d:
            df[w] = df.get(w, 0) + 1
    total = len(docs) + len(rec_docs)
    idf = {w: math.log((1 + total) / (1 + n)) + 1 for w, n in df.items()}

    def norm(words):
        return math.sqrt(sum(idf[w] ** 2 for w in words)) or 1.0

    links: dict[str, list[tuple[int, list[str]]]] = {}
    for rec_id, words in rec_docs.items():
        scored = []
        for i, d in enumerate(docs):
            shared = sorted(words & d, key=lambda w: (-idf[w], w))
            if len(shared) >= 2:
                scored.append((sum(idf[w] ** 2 for w in shared) / (norm(words) * norm(d)), i, shared))
        best = max((s for s, _, _ in scored), default=0.0)
        links[rec_id] = [(i, shared) for s, i, shared in sorted(scored, key=lambda x: (-x[0], x[1]))
                         if s >= 0.75 * best]
    return links


def section_across_case(review, results: Results) -> str:
    """(c) The case for change, recommendation by recommendation: the evidence of this phase each one answers."""
    recs = review.table("recommendations")
    fm = results.get("findings__matrix")
    phase = review.meta.get("phase")
    if recs is None or fm is None:
        return "The review has no register of recommendations or no findings matrix.\n"
    mine = recs[pd.to_numeric(recs["phase"], errors="coerce") == phase]
    if mine.empty:
        return "This phase makes no recommendations of its own.\n"
    evidence = fm[fm["phase"] == phase].reset_index(drop=True)
    if evidence.empty:
        evidence = fm.reset_index(drop=True)
    links = link_by_words(mine, evidence)
    label = contract().code_label
    out = ["The recommendations of this phase, each with the evidence of this phase that it answers. The register "
           "does not record which finding a recommendation answers, so each is matched to the evidence whose wording "
           "it shares (the shared words are shown); the ratings are those of the findings matrix.\n"]
    used: set[int] = set()
    for r in mine.itertuples():
        due = f", due {date_label(r.due_date)}" if pd.notna(r.due_date) else ""
        owner = f" Owner: {r.owner}." if isinstance(r.owner, str) else ""
        out.append(f"**{r.rec_id}.** {md_escape(r.text)}{owner} Status: {label(r.status)}{due}.\n")
        rows = []
        for i, shared in links[r.rec_id]:
            e = evidence.iloc[i]
            used.add(i)
            rating = rag_cell(e["rag"]) if isinstance(e["rag"], str) else "Not rated"
            rows.append((f"{e['finding_id']}: {e['finding']}", e["evidence"], rating, ", ".join(shared[:5])))
        if rows:
            out.append(md_table(pd.DataFrame(rows, columns=["Finding", "Evidence", "Rating", "Shared words"]),
                                widths=[22, 40, 10, 18]))
        else:
            out.append("No evidence row of this phase shares its wording; it rests on the findings as a whole.\n")
    rest = evidence.drop(index=sorted(used))
    if not rest.empty:
        out.append("\nEvidence of this phase that no recommendation of this phase takes up:\n")
        out.append(md_table(pd.DataFrame({
            "Finding": rest["finding_id"] + ": " + rest["finding"], "Evidence": rest["evidence"],
            "Rating": rest["rag"].map(lambda x: rag_cell(x) if isinstance(x, str) else "Not rated")}),
            widths=[28, 50, 12]))
    return "\n".join(out)


def section_across(review, results: Results, stood: list[Stood]) -> str:
    """The phase 3 chapter: register, matrix by phase, case for change. Empty for a review with no previous ones."""
    if not previous_reviews(review.meta):
        return ""
    return "\n".join([
        "# Across the phases\n",
        "## The recommendations register\n", section_across_register(review),
        "\n## The findings matrix after each phase\n", section_across_matrix(review, results, stood),
        "\n## The case for change, by recommendation\n", section_across_case(review, results),
    ]) + "\n"


# ------------------------------------------------------------------ workspace and render


def engine_name() -> str:
    version = render.quarto_version()
    if version and version >= render.QUARTO_MIN_VERSION:
        return f"quarto {version[0]}.{version[1]}"
    return render.fallback_engine_name()


def build_workspace(review, results: Results, engine: str) -> tuple[Path, dict, dict]:
    cfg, words_dir = report_config(review.review_id)
    workspace = BUILD_DIR / review.review_id
    if workspace.exists():
        shutil.rmtree(workspace)
    (workspace / "sections").mkdir(parents=True)
    for name in ("_quarto.yml", "board-paper.qmd", "board-slides.qmd"):
        shutil.copyfile(REPORT_DIR / name, workspace / name)
    shutil.copytree(words_dir, workspace / "words")
    prot = protect(review, results)
    v = build_variables(review, results, engine, prot)
    stood = read_previous(review) if previous_reviews(review.meta) else []
    if stood:
        v.update(across_variables(review, results, stood))
    sections = {
        "cover": section_cover(review, cfg, v, prot),
        "findings_overview": section_findings_overview(v, results),
        "findings_matrix": section_findings_matrix(results, prot),
        "across": section_across(review, results, stood),
        "key_audit": section_key_audit(review, results, cfg, workspace, prot),
        "compliance": section_compliance(results, workspace, prot),
        "competence": section_competence(results, v, workspace, prot),
        "capacity": section_capacity(results, v, workspace, prot),
        "recommendations": section_recommendations(review),
        "annex_plan": section_plan(cfg, workspace),
        "annex_method": section_method(review, results, v, prot),
        "annex_quality": section_quality(review, prot),
        "annex_glossary": section_glossary(),
        "annex_provenance": section_provenance(review, engine),
        "slides": section_slides(review, results, cfg, v, workspace, prot),
    }
    for name, text in sections.items():
        (workspace / "sections" / f"{name}.md").write_text(text, encoding="utf-8")
    (workspace / "_variables.yml").write_text(yaml.safe_dump(v, sort_keys=True, allow_unicode=True), encoding="utf-8")
    return workspace, v, cfg


def render_review(review_id: str, quiet: bool = False) -> int:
    """Render the papers of a review into report/_output/<id>/; 0 on success."""
    try:
        paths = build_papers(review_id)
    except (ReportError, render.RenderError, PublicationError) as exc:
        print(f"ERROR: {exc}")
        return 1
    if not quiet:
        for path in paths:
            print(f"  wrote {path.relative_to(PROJ_ROOT)}")
    return 0


def build_papers(review_id: str) -> list[Path]:
    review = open_review(review_id)
    if review.meta.get("kind") != "phase":
        from pipeline import annual

        return annual.build_papers(review_id)
    results = read_results(review_id)
    engine = engine_name()
    workspace, v, _ = build_workspace(review, results, engine)
    final = output_dir(review_id)
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{review_id}.staging-", dir=final.parent))
    try:
        title = v["review"]["title"]
        common = dict(synthetic=review.synthetic, title=title, resource_dir=workspace)
        render.render_document(workspace / "board-paper.qmd", v, staging, "board-paper", ["html", "pdf", "docx"], **common)
        render.render_document(workspace / "board-slides.qmd", v, staging, "board-slides", ["pptx"], **common)
        if review.meta.get("audience") == "public":
            from pipeline import publication

            publication.check_review(review_id, sorted(staging.iterdir()))
            tables = publication.suppressed_tables(protect(review, results))
            publication.check_protection(tables)
            publication.write_disclosure_record(staging, review_id, tables)
        final.mkdir(parents=True, exist_ok=True)
        written = []
        for path in sorted(staging.iterdir()):
            os.replace(path, final / path.name)
            written.append(final / path.name)
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def dvc_stage(code_deps) -> dict:
    """The render stage of dvc.yaml: one per review, reading its results and the report sources."""
    out = "data/processed/${item}"
    deps = [s for s in REPORT_SOURCES if (PROJ_ROOT / s).exists()]
    deps += ["data/raw/${item}", f"{out}/_tables", f"{out}/validation__issues.csv"]
    for stage in STAGES.values():
        deps += [f"{out}/{f}" for f in (*stage.outputs, stage.status_file)]
        if stage.has_figures:
            deps.append(f"{out}/{stage.figure_dir}")
    deps += code_deps(list(RENDER_ROOTS))
    return {
        "foreach": "${reviews}",
        "do": {
            "cmd": "python -m pipeline render ${item}",
            "deps": deps,
            "params": list(RENDER_PARAMS),
            "outs": [{"report/_output/${item}": {"cache": False}}],
        },
    }
