"""The Board paper: the generated blocks (tables, lists, figure references) and the choice of its words.

The words are authored under ``report/``: the paper's ``.qmd``, the review's
``report/reviews/<id>/`` words, and the partials of ``report/partials/``.
Each section function here returns *slots*: a generated block (a ``str``,
written to the workspace's ``sections/``) or a :class:`~pipeline.papers.tables.Prose`
choice among authored partials (copied to ``chosen/``; ``None`` leaves the
slot empty). The numbers the words quote are the variables of
:mod:`pipeline.papers.board_vars`. Still written here, as short templates
around data: the per-question line of the key audit questions, a finding's
"(rating: ...)" label, the "Owner: ... Status: ..." of a recommendation, and
the sentence that replaces a chart left out of a public paper. Every value from the data
passes through :mod:`pipeline.papers.markup` (directly or through
:func:`~pipeline.papers.tables.md_table`).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from pipeline import disclosure as dc
from pipeline import figures as fg
from pipeline.contract import contract
from pipeline.papers import across, annexes, board_annex
from pipeline.papers.board_blocks import (
    criterion_figure,
    criterion_heading,
    criterion_texts,
    figure_block,
    gated_figure,
    key_criteria,
)
from pipeline.papers.board_vars import build_variables
from pipeline.papers.format import date_label, month_label, num, pct
from pipeline.papers.markup import literal
from pipeline.papers.protect import Protected, cell, cells, intervals, protect, small_any
from pipeline.papers.results import CONFIG_DIR, Results
from pipeline.papers.tables import Prose, figure_ref, md_table, prose, rag_cell, rating_or_unrated
from pipeline.stages import STAGES

SOURCE_LABEL = {"timescale": "Timescale", "workforce": "Workforce", "monitoring": "Monitoring"}
ROMAN = ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii"]

Slots = dict  # slot name -> generated block (str) or authored choice (Prose or None)


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


def _gantt(tasks: list[dict], workspace: Path) -> str:
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
    paths = fg.save_figure(fig, workspace / "figures", "plan__gantt",
                           caption="Outline timeline of the review, by task.",
                           alt=alt, data=frame.assign(start=frame["start"].dt.strftime("%Y-%m-%d"),
                                                      end=frame["end"].dt.strftime("%Y-%m-%d")))
    return figure_ref("Outline timeline of the review, by task.", f"figures/{paths['png'].name}", alt)


def section_cover(review, cfg: dict, prot: Protected) -> Slots:
    return {"cover": Prose("board/cover.md"),
            "notice_synthetic": prose("common/synthetic-paper.md", review.synthetic),
            "notice_small": prose("common/small-numbers.md", prot.public),
            "decisions": "\n".join(f"({ROMAN[i]}) {literal(d)}" for i, d in enumerate(cfg.get("decisions", []))) + "\n"}


def section_findings_overview(results: Results) -> Slots:
    fd = results.get("findings__by_finding")
    if fd is None:
        return {"findings_overview_words": prose("board/no-findings-matrix.md"), "findings_overview": ""}
    table = pd.DataFrame({"Finding": fd["finding_id"] + ": " + fd["finding"],
                          "Rating": fd["finding_rag"].map(rag_cell)})
    return {"findings_overview_words": prose("board/findings-overview.md"), "findings_overview": "\n" + md_table(table)}


def _matrix_row(r, prot: Protected | None) -> tuple:
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
    rating = r.deferred_label if r.is_deferred else rating_or_unrated(r.rag)
    return r.evidence, f"[{ref}]" if ref else "", value, n, rating


def section_findings_matrix(results: Results, prot: Protected | None = None) -> Slots:
    """Per finding its name and rating, and a table of its local evidence."""
    fm = results.get("findings__matrix")
    if fm is None:
        return {"findings_matrix_words": prose("board/no-evidence-map.md"), "findings_matrix": ""}
    parts = []
    for fid, rows in fm.groupby("finding_id", sort=False):
        first = rows.iloc[0]
        parts.append(f"**{literal(fid)}. {literal(first['finding'])}** (rating: {rag_cell(first['finding_rag'])})\n")
        out = [_matrix_row(r, prot) for r in rows.itertuples()]
        parts.append(md_table(pd.DataFrame(out, columns=["Local evidence", "Ref", "Value", "Based on", "Rating"]),
                              ["l", "l", "r", "r", "l"], widths=[40, 11, 10, 12, 14]))
    return {"findings_matrix_words": None, "findings_matrix": "\n".join(parts)}


def section_key_audit(review, results: Results, cfg: dict, workspace: Path, prot: Protected) -> Slots:
    """One heading per key audit question, its counts and its chart."""
    ca = results.get("case_audit__criterion_compliance")
    if ca is None:
        return {"key_audit_words": prose("board/no-case-audit.md"), "key_audit": ""}
    text = criterion_texts(review)
    parts = []
    for cid in key_criteria(results, cfg):
        parts.append(criterion_heading(ca, text, cid))
        t = prot.compliance
        ci = intervals(t)[list(t.frame.index).index(cid)]
        parts.append(f"Met in {cell(t, cid, 'yes_n', num)} of {cell(t, cid, 'answered_n', num)} cases where it could "
                     f"be judged ({cell(t, cid, 'compliance_pct', pct)}, 95% interval {ci}); "
                     f"the record could not evidence it in {cell(t, cid, 'not_evidenced_n', num)}.\n")
        parts.append(criterion_figure(results, cid, workspace, prot))
    return {"key_audit_words": prose("board/no-key-criteria.md", not parts), "key_audit": "\n".join(parts)}


def _timescale_block(results: Results, workspace: Path, prot: Protected) -> str:
    t = prot.timescales
    table = pd.DataFrame({
        "Timescale": t.frame["label"].tolist(), "Met": cells(t, "met_n", num), "Due": cells(t, "due_n", num),
        "Not yet due": cells(t, "not_yet_due_n", num), "Met (%)": cells(t, "met_pct", pct),
        "95% interval": intervals(t)})
    return "\n".join([md_table(table, ["l", "r", "r", "r", "r", "l"]),
                      gated_figure(results, "timescales__summary", workspace, prot, not t.any_hidden,
                                    "The chart of the timescales")])


def _compliance_block(results: Results, workspace: Path, prot: Protected) -> str:
    c = prot.compliance
    table = pd.DataFrame({
        "Criterion": list(c.frame.index), "Domain": c.frame["domain"].tolist(),
        "Ref": c.frame["reference"].astype(object).where(c.frame["reference"].notna(), "").tolist(),
        "Yes": cells(c, "yes_n", num), "No": cells(c, "no_n", num), "Not evidenced": cells(c, "not_evidenced_n", num),
        "Compliance": cells(c, "compliance_pct", pct), "95% interval": intervals(c)})
    return "\n".join([md_table(table, ["l", "l", "l", "r", "r", "r", "r", "l"]),
                      gated_figure(results, "case_audit__compliance", workspace, prot, not c.any_hidden,
                                    "The chart of compliance by criterion")])


def _not_evidenced_block(prot: Protected) -> str:
    ne = prot.not_evidenced
    rows = pd.DataFrame({"Record read": [contract().code_label(x) for x in ne.frame.index],
                         "Answers": cells(ne, "answered_n", num), "Not evidenced": cells(ne, "not_evidenced_n", num),
                         "Share": cells(ne, "not_evidenced_pct", lambda x: pct(x, 1))})
    return md_table(rows, ["l", "r", "r", "r"])


def section_compliance(results: Results, workspace: Path, prot: Protected) -> Slots:
    """Timescales, compliance per criterion and what the record could not evidence: tables and charts."""
    ts, comp = prot.timescales is not None, prot.compliance is not None
    ne = comp and prot.not_evidenced is not None
    return {
        "compliance_none": prose("board/no-case-audit.md", not ts and not comp),
        "timescales_words": prose("board/timescales.md", ts),
        "timescales": _timescale_block(results, workspace, prot) if ts else "",
        "compliance_words": prose("board/compliance.md", comp),
        "compliance": _compliance_block(results, workspace, prot) if comp else "",
        "not_evidenced_words": prose("board/not-evidenced.md", ne),
        "not_evidenced": _not_evidenced_block(prot) if ne else "",
    }


def section_competence(results: Results, v: dict, workspace: Path, prot: Protected) -> Slots:
    """Supervision against overall practice, and the questionnaire: the choice of words and the charts."""
    sup, qs = "sup" in v, results.get("questionnaire__question_summary")
    grades = (gated_figure(results, "case_audit__grades", workspace, prot,
                            not prot.grades_small and not prot.supervision_hidden, "The chart of grades")
              if sup else "")
    qn = qs is not None
    return {
        "competence_none": prose("board/no-competence.md", not sup and not qn),
        "supervision_words": (prose("board/supervision-suppressed.md") if prot.supervision_hidden
                              else prose("board/supervision.md")) if sup else None,
        "grades": grades,
        "questionnaire_words": prose("board/questionnaire.md", qn),
        "positive_share": gated_figure(results, "questionnaire__positive_share", workspace, prot,
                                        not small_any(qs["answered_n"]), "The chart of positive answers by question")
        if qn else "",
        "pressures_words": prose("board/pressures.md", qn),
        "team_heatmap": figure_block(results, "questionnaire__team_heatmap", workspace) if qn else "",
    }


def _workforce_block(results: Results, workspace: Path, prot: Protected) -> str:
    wt = prot.workforce
    table = pd.DataFrame({"Level": list(wt.frame.index), "Vacancy": cells(wt, "vacancy_pct", pct),
                          "Caseload per worker": cells(wt, "caseload_per_worker", lambda x: num(x, 1)),
                          "CP per worker": cells(wt, "cp_per_worker", lambda x: num(x, 1)),
                          "LAC per worker": cells(wt, "lac_per_worker", lambda x: num(x, 1)),
                          "Agency share": cells(wt, "agency_pct", pct),
                          "Teams above threshold": cells(wt, "teams_above_threshold_n", num)})
    return "\n".join([md_table(table, ["l", "r", "r", "r", "r", "r", "r"]),
                      figure_block(results, "workforce__vacancy_by_team", workspace),
                      gated_figure(results, "workforce__caseload_composition", workspace, prot,
                                    not prot.team_cases_small and not wt.any_hidden,
                                    "The chart of caseloads by team")])


def _signals_table(signals: pd.DataFrame, prot: Protected) -> str:
    last = signals.groupby("measure", sort=False).tail(3)
    rows = pd.DataFrame({"Measure": last["measure"].str.replace("_", " "), "Month": last["month"].map(month_label),
                         "Value": [dc.SUPPRESSED if prot.small(x) else num(x) for x in last["value"]],
                         "Baseline mean": last["mean"].map(lambda x: num(x, 1)),
                         "Direction": last["direction"], "Rules": last["rules"]})
    return md_table(rows, ["l", "l", "r", "r", "l", "l"])


def _xmr_figures(results: Results, workspace: Path, prot: Protected) -> str:
    mt = prot.monitoring
    out = []
    for measure in ("referrals", "s47_enquiries", "icpcs"):
        safe = measure in mt.mask.columns and not mt.mask[measure].any()
        out.append(gated_figure(results, f"monitoring__xmr_{measure}", workspace, prot, safe,
                                 f"The chart of {measure.replace('_', ' ')} by month"))
    return "\n".join(out)


def section_capacity(results: Results, workspace: Path, prot: Protected) -> Slots:
    """Workforce and monitoring: tables, charts and the signals of special-cause variation."""
    wf, mon = prot.workforce is not None, results.get("monitoring__county") is not None
    signals = results.get("monitoring__signals")
    has_signals = mon and signals is not None and not signals.empty
    mt = prot.monitoring
    return {
        "capacity_none": prose("board/no-capacity.md", not wf and not mon),
        "workforce_words": prose("board/workforce.md", wf),
        "workforce": _workforce_block(results, workspace, prot) if wf else "",
        "monitoring_words": prose("board/monitoring.md", mon),
        "cpp_by_area": gated_figure(results, "monitoring__cpp_open_by_area", workspace, prot,
                                     not prot.areas_small and not mt.mask["cpp_open"].any(),
                                     "The chart of children with a plan by area") if mon else "",
        "signals_words": prose("board/signals.md", has_signals),
        "signals": _signals_table(signals, prot) if has_signals else "",
        "xmr": _xmr_figures(results, workspace, prot) if mon else "",
    }


def section_recommendations(review) -> Slots:
    """The register as a numbered list: id, text, owner, status and due date, each from the data."""
    recs = review.table("recommendations")
    if recs is None:
        return {"recommendations_none": prose("common/no-register.md"), "recommendations": ""}
    label = contract().code_label
    parts = []
    for i, r in enumerate(recs.itertuples(), start=1):
        due = f", due {date_label(r.due_date)}" if pd.notna(r.due_date) else ""
        owner = f" Owner: {literal(r.owner)}." if isinstance(r.owner, str) else ""
        parts.append(f"{i}. **{literal(r.rec_id)}.** {literal(r.text)}{owner} Status: {literal(label(r.status))}{due}.")
    return {"recommendations_none": None, "recommendations": "\n".join(parts) + "\n"}


def section_plan(cfg: dict, workspace: Path) -> Slots:
    """Annex A: the phases, the terms of reference by phase and the timeline, from ``report/config``."""
    name = cfg.get("plan")
    slots = {"plan_none": prose("board/no-plan.md", not name),
             "plan_phases_words": prose("board/plan-phases.md", bool(name)),
             "plan_terms_words": prose("board/plan-terms.md", bool(name)),
             "plan_timeline_words": prose("board/plan-timeline.md", bool(name)),
             "plan_phases": "", "plan_terms": "", "plan_timeline": ""}
    if not name:
        return slots
    with open(CONFIG_DIR / name, encoding="utf-8") as fh:
        plan = yaml.safe_load(fh)
    slots["plan_phases"] = md_table(pd.DataFrame([(f"Phase {p['phase']}", p["name"], p["scope"], p["report_to"])
                                                  for p in plan["phases"]],
                                                 columns=["Phase", "Subject", "Scope", "Reports to"]))
    tor = pd.DataFrame([(t["area"], *["X" if n in t["phases"] else "" for n in (1, 2, 3)])
                        for t in plan["terms_of_reference"]],
                       columns=["Area of investigation", "Phase 1", "Phase 2", "Phase 3"])
    slots["plan_terms"] = md_table(tor, ["l", "c", "c", "c"])
    slots["plan_timeline"] = _gantt(plan["timeline"], workspace)
    return slots


def build_sections(review, results: Results, cfg: dict, engine: str, workspace: Path) -> tuple[Slots, dict]:
    """Every slot of the Board paper and its slides, and the variables their words quote."""
    prot = protect(review, results)
    v = build_variables(review, results, engine, prot)
    v.update(board_annex.method_variables(review, prot))
    v["prov"] = annexes.provenance_variables(engine)
    v["note"] = {"convention": dc.CONVENTION_NOTE if prot.public else ""}
    v["disclosure"] = dc.method_variables()
    stood = across.read_previous(review) if across.previous_reviews(review.meta) else []
    if stood:
        v.update(across.across_variables(review, results, stood))
    slots: Slots = {}
    for part in (section_cover(review, cfg, prot), section_findings_overview(results),
                 section_findings_matrix(results, prot), across.section_across(review, results, stood),
                 section_key_audit(review, results, cfg, workspace, prot), section_compliance(results, workspace, prot),
                 section_competence(results, v, workspace, prot), section_capacity(results, workspace, prot),
                 section_recommendations(review), section_plan(cfg, workspace), board_annex.section_method(v, prot),
                 annexes.section_quality(review.review_id, tuple(STAGES), bool(prot.public)),
                 {"annex_glossary": annexes.section_glossary()}, annexes.section_provenance(review),
                 board_annex.section_slides(review, results, cfg, v, workspace, prot)):
        slots.update(part)
    return slots, v
