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


# ------------------------------------------------------------------ variables


def _row(frame: pd.DataFrame | None, column: str, value):
    if frame is None:
        return None
    hit = frame[frame[column] == value]
    return None if hit.empty else hit.iloc[0]


def build_variables(review, results: Results, engine: str) -> dict:
    """Every number the words may quote, formatted for print, keyed for ``{{< var >}}``."""
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
        for r in qs.itertuples():
            v["qn"][r.question_id] = {"pct": pct(r.positive_pct), "n": num(r.answered_n)}
    ca = results.get("case_audit__criterion_compliance")
    if ca is not None:
        prec = results.get("case_audit__precision").iloc[0]
        ne = results.get("case_audit__not_evidenced_by_source")
        ics, paper = _row(ne, "record_source", "ics_only"), _row(ne, "record_source", "ics_and_paper")
        v["ca"] = {
            "cases_n": num(prec["audited_n"]), "criteria_n": num(len(ca)),
            "population_n": num(prec["population_n"]) if pd.notna(prec["population_n"]) else "n/a",
            "margin_pct": num(prec["margin_pct"], 1), "needed_5_n": num(prec["sample_needed_margin_5_n"]),
            "needed_10_n": num(prec["sample_needed_margin_10_n"]),
            "compliance_min_pct": pct(ca["compliance_pct"].min()), "compliance_max_pct": pct(ca["compliance_pct"].max()),
            "below_green_n": num(int((ca["compliance_pct"] < share.green).sum())),
            "ne_ics_pct": pct(ics["not_evidenced_pct"], 1) if ics is not None else "n/a",
            "ne_paper_pct": pct(paper["not_evidenced_pct"], 1) if paper is not None else "n/a",
        }
        for r in ca.itertuples():
            v["ca"][r.criterion_id] = {"pct": pct(r.compliance_pct), "n": num(r.answered_n),
                                       "ci": f"{pct(r.ci_low_pct)} to {pct(r.ci_high_pct)}"}
        sup = results.get("case_audit__supervision_overall")
        good, poor = _row(sup, "supervision_group", "good_or_better"), _row(sup, "supervision_group", "not_good_or_better")
        if good is not None and poor is not None:
            v["sup"] = {"good_pct": pct(good["overall_good_or_better_pct"]), "poor_pct": pct(poor["overall_good_or_better_pct"]),
                        "or": num(good["odds_ratio"], 1), "or_ci": f"{num(good['or_ci_low'], 1)} to {num(good['or_ci_high'], 1)}",
                        "p": "< 0.001" if good["p_value"] < 0.001 else num(good["p_value"], 3),
                        "good_n": num(good["cases_n"]), "poor_n": num(poor["cases_n"])}
    ts = results.get("timescales__summary")
    if ts is not None:
        v["ts"] = {r.measure_id: {"pct": pct(r.met_pct), "met_n": num(r.met_n), "due_n": num(r.due_n),
                                  "not_yet_due_n": num(r.not_yet_due_n)} for r in ts.itertuples()}
    ws = results.get("workforce__summary")
    if ws is not None:
        county = ws[ws["level"] == "county"].iloc[0]
        v["wf"] = {"vacancy_pct": pct(county["vacancy_pct"]), "caseload": num(county["caseload_per_worker"]),
                   "cp_per_worker": num(county["cp_per_worker"], 1), "lac_per_worker": num(county["lac_per_worker"], 1),
                   "agency_pct": pct(county["agency_pct"]), "teams_n": num(county["teams_n"]),
                   "teams_above_n": num(county["teams_above_threshold_n"]),
                   "threshold_pct": pct(prm.workforce.vacancy_threshold_pct)}
        teams = results.get("workforce__teams")
        if teams is not None and "period" in teams:
            v["wf"]["period"] = month_label(teams["period"].iloc[0])
    mon = results.get("monitoring__county")
    if mon is not None:
        months = mon["month"].astype(str).tolist()
        v["mon"] = {"first_month": month_label(months[0]), "last_month": month_label(months[-1]),
                    "last_open": num(mon["cpp_open"].iloc[-1]), "baseline_n": num(prm.monitoring.baseline_months)}
        measures = results.get("monitoring__measures")
        change = _row(measures, "measure", "cpp_open_change_pct")
        v["mon"]["change_pct"] = pct(change["value"]) if change is not None else "n/a"
        decembers = [m for m in months if m.endswith("-12")]
        if decembers:
            last = decembers[-1]
            prev = f"{int(last[:4]) - 1}-12"
            row_last = mon[mon["month"] == last].iloc[0]
            row_prev = mon[mon["month"] == prev]
            v["mon"]["dec"] = {
                "last_month": month_label(last), "last_open": num(row_last["cpp_open"]),
                "last_net": f"{int(row_last['cpp_open_net_change_n']):+d}" if pd.notna(row_last["cpp_open_net_change_n"]) else "n/a",
                "prev_month": month_label(prev),
                "prev_open": num(row_prev["cpp_open"].iloc[0]) if not row_prev.empty else "n/a",
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


def section_cover(review, cfg: dict, v: dict) -> str:
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
    return (synthetic + "\n" + md_table(rows) + "\n**For decision.** Members are asked to:\n\n" + decisions + "\n")


def section_findings_overview(v: dict, results: Results) -> str:
    fd = results.get("findings__by_finding")
    if fd is None:
        return "The review has no findings matrix.\n"
    table = pd.DataFrame({"Finding": fd["finding_id"] + ": " + fd["finding"],
                          "Rating": fd["finding_rag"].map(rag_cell)})
    return ("The findings matrix, in brief (a finding is rated by the worst of its rated evidence):\n\n"
            + md_table(table))


def section_findings_matrix(results: Results) -> str:
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


def section_key_audit(review, results: Results, cfg: dict, workspace: Path) -> str:
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
        parts.append(f"Met in {num(r['yes_n'])} of {num(r['answered_n'])} cases where it could be judged "
                     f"({pct(r['compliance_pct'])}, 95% interval {pct(r['ci_low_pct'])} to {pct(r['ci_high_pct'])}); "
                     f"the record could not evidence it in {num(r['not_evidenced_n'])}.\n")
        parts.append(_figure_block(results, f"case_audit__criterion_{cid}", workspace))
    return "\n".join(parts) if parts else "No key audit questions were chosen.\n"


def section_compliance(results: Results, workspace: Path) -> str:
    out = []
    ts = results.get("timescales__summary")
    if ts is not None:
        table = pd.DataFrame({
            "Timescale": ts["label"], "Met": ts["met_n"].map(num), "Due": ts["due_n"].map(num),
            "Not yet due": ts["not_yet_due_n"].map(num), "Met (%)": ts["met_pct"].map(pct),
            "95% interval": ts["ci_low_pct"].map(pct) + " to " + ts["ci_high_pct"].map(pct)})
        out.append("Statutory timescales, from the dates on the audited files (working days exclude weekends and "
                   "bank holidays; cases whose deadline falls after the census date are not yet due):\n")
        out.append(md_table(table, ["l", "r", "r", "r", "r", "l"]))
        out.append(_figure_block(results, "timescales__summary", workspace))
    ca = results.get("case_audit__criterion_compliance")
    if ca is not None:
        table = pd.DataFrame({
            "Criterion": ca["criterion_id"], "Domain": ca["domain"], "Ref": ca["reference"].fillna(""),
            "Yes": ca["yes_n"].map(num), "No": ca["no_n"].map(num), "Not evidenced": ca["not_evidenced_n"].map(num),
            "Compliance": ca["compliance_pct"].map(pct),
            "95% interval": ca["ci_low_pct"].map(pct) + " to " + ca["ci_high_pct"].map(pct)})
        out.append("\nCompliance with each audit criterion (yes over yes, no and not evidenced):\n")
        out.append(md_table(table, ["l", "l", "l", "r", "r", "r", "r", "l"]))
        out.append(_figure_block(results, "case_audit__compliance", workspace))
        ne = results.get("case_audit__not_evidenced_by_source")
        if ne is not None:
            rows = pd.DataFrame({"Record read": ne["record_source"].map(contract().code_label),
                                 "Answers": ne["answered_n"].map(num), "Not evidenced": ne["not_evidenced_n"].map(num),
                                 "Share": ne["not_evidenced_pct"].map(lambda x: pct(x, 1))})
            out.append("\nAnswers the record could not evidence, by what the auditor could read:\n")
            out.append(md_table(rows, ["l", "r", "r", "r"]))
    return "\n".join(out) if out else "The review has no case audit.\n"


def section_competence(results: Results, v: dict, workspace: Path) -> str:
    out = []
    if "sup" in v:
        s = v["sup"]
        out.append(f"Cases whose supervision was graded good or better were good or better overall in {s['good_pct']} "
                   f"of {s['good_n']} cases, against {s['poor_pct']} of {s['poor_n']} cases with weaker supervision "
                   f"(odds ratio {s['or']}, 95% interval {s['or_ci']}; Fisher's exact test p {s['p']}). "
                   f"The audit cannot show that supervision causes better practice, but the association is strong.\n")
        out.append(_figure_block(results, "case_audit__grades", workspace))
    qs = results.get("questionnaire__question_summary")
    if qs is not None:
        out.append(f"\nTeams' own view of their practice: the {v['qn']['questions_n']} questions of the "
                   f"self-assessment, with the share of positive answers.\n")
        out.append(_figure_block(results, "questionnaire__positive_share", workspace))
        out.append(f"\nQuestions below {v['qn']['threshold_pct']} positive across the county (county-wide "
                   f"pressures): {v['qn']['pressures']}. Teams where a county-wide pressure meets local ones: "
                   f"{v['qn']['coinciding_n']}.\n")
        out.append(_figure_block(results, "questionnaire__team_heatmap", workspace))
    return "\n".join(out) if out else "The review has no questionnaire or audit grades.\n"


def section_capacity(results: Results, v: dict, workspace: Path) -> str:
    out = []
    ws = results.get("workforce__summary")
    if ws is not None:
        table = pd.DataFrame({"Level": ws["name"], "Vacancy": ws["vacancy_pct"].map(pct),
                              "Caseload per worker": ws["caseload_per_worker"].map(lambda x: num(x, 1)),
                              "CP per worker": ws["cp_per_worker"].map(lambda x: num(x, 1)),
                              "LAC per worker": ws["lac_per_worker"].map(lambda x: num(x, 1)),
                              "Agency share": ws["agency_pct"].map(pct),
                              "Teams above threshold": ws["teams_above_threshold_n"].map(num)})
        w = v["wf"]
        out.append(f"Vacancy rate of qualified social worker posts and caseloads at {w.get('period', 'the latest period')} "
                   f"(rates are ratios of sums over teams; a team above {w['threshold_pct']} is counted):\n")
        out.append(md_table(table, ["l", "r", "r", "r", "r", "r", "r"]))
        out.append(_figure_block(results, "workforce__vacancy_by_team", workspace))
        out.append(_figure_block(results, "workforce__caseload_composition", workspace))
    mon = results.get("monitoring__county")
    if mon is not None:
        m = v["mon"]
        out.append(f"\nChildren with a child protection plan, {m['first_month']} to {m['last_month']}: "
                   f"{m['last_open']} at the end, {m['change_pct']} more than twelve months earlier.\n")
        out.append(_figure_block(results, "monitoring__cpp_open_by_area", workspace))
        signals = results.get("monitoring__signals")
        if signals is not None and not signals.empty:
            last = signals.groupby("measure", sort=False).tail(3)
            rows = pd.DataFrame({"Measure": last["measure"].str.replace("_", " "), "Month": last["month"].map(month_label),
                                 "Value": last["value"].map(num), "Baseline mean": last["mean"].map(lambda x: num(x, 1)),
                                 "Direction": last["direction"], "Rules": last["rules"]})
            out.append("\nSpecial-cause variation (NHS *Making Data Count* rules on XmR charts; the last three signals "
                       "of each measure):\n")
            out.append(md_table(rows, ["l", "l", "r", "r", "l", "l"]))
        for measure in ("referrals", "s47_enquiries", "icpcs"):
            out.append(_figure_block(results, f"monitoring__xmr_{measure}", workspace))
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


def section_method(review, results: Results, v: dict) -> str:
    prm = params()
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
                   f"points: {num(doc.get('required_n'))} cases, of which {num(doc.get('certainty_n', doc.get('high_risk_n')))} "
                   f"high-risk cases taken in full and the rest drawn in proportion across areas and team types "
                   f"(seed {doc.get('seed')}).\n")
    thresholds = pd.DataFrame([(name, r.better, num(r.green, 1), num(r.amber, 1)) for name, r in prm.ratings.items()],
                              columns=["Measure", "Better when", "Green at or beyond", "Amber at or beyond"])
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


def section_quality(review) -> str:
    path = processed_dir(review.review_id) / "validation__issues.csv"
    issues = pd.read_csv(path, dtype=str) if path.exists() else pd.DataFrame()
    skipped = []
    out = ["The data were checked against the raw data contract before any analysis. Errors stop the build; the "
           "queries below did not, and are listed for the people who supply the data.\n"]
    if issues.empty:
        out.append("No queries were raised.\n")
    else:
        table = issues[["severity", "table", "file", "row", "column", "rule", "message"]].fillna("")
        out.append(md_table(table.rename(columns=str.capitalize)))
    for name in ("questionnaire", "case_audit", "workforce", "monitoring", "findings"):
        status = json.loads((processed_dir(review.review_id) / f"{name}__status.json").read_text())
        for module, m in status["modules"].items():
            if not m["ran"]:
                skipped.append((module.replace("_", " "), m["skipped_reason"]))
    if skipped:
        out.append("\nAnalyses not run for this review:\n")
        out.append(md_table(pd.DataFrame(skipped, columns=["Analysis", "Why"])))
    return "\n".join(out)


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
           "\nParameters (`params.yaml`):\n",
           "```yaml\n" + (PROJ_ROOT / "params.yaml").read_text(encoding="utf-8").strip() + "\n```\n"]
    return "\n".join(out)


def section_slides(review, results: Results, cfg: dict, v: dict, workspace: Path) -> str:
    """A short deck: key findings, the matrix in brief, one slide per key audit question, capacity, recommendations."""
    out = ["## Key findings\n"]
    if "ca" in v:
        out.append(f"- Case audit of {v['ca']['cases_n']} files: compliance from {v['ca']['compliance_min_pct']} "
                   f"to {v['ca']['compliance_max_pct']} across {v['ca']['criteria_n']} criteria")
    if "sup" in v:
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
        out.append(_figure_block(results, f"case_audit__criterion_{cid}", workspace))
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
        return f"This phase makes no recommendations of its own.\n"
    evidence = fm[fm["phase"] == phase].reset_index(drop=True)
    if evidence.empty:
        evidence = fm.reset_index(drop=True)
    links = link_by_words(mine, evidence)
    label = contract().code_label
    out = [f"The recommendations of this phase, each with the evidence of this phase that it answers. The register "
           f"does not record which finding a recommendation answers, so each is matched to the evidence whose wording "
           f"it shares (the shared words are shown); the ratings are those of the findings matrix.\n"]
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
    v = build_variables(review, results, engine)
    stood = read_previous(review) if previous_reviews(review.meta) else []
    if stood:
        v.update(across_variables(review, results, stood))
    sections = {
        "cover": section_cover(review, cfg, v),
        "findings_overview": section_findings_overview(v, results),
        "findings_matrix": section_findings_matrix(results),
        "across": section_across(review, results, stood),
        "key_audit": section_key_audit(review, results, cfg, workspace),
        "compliance": section_compliance(results, workspace),
        "competence": section_competence(results, v, workspace),
        "capacity": section_capacity(results, v, workspace),
        "recommendations": section_recommendations(review),
        "annex_plan": section_plan(cfg, workspace),
        "annex_method": section_method(review, results, v),
        "annex_quality": section_quality(review),
        "annex_glossary": section_glossary(),
        "annex_provenance": section_provenance(review, engine),
        "slides": section_slides(review, results, cfg, v, workspace),
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
            "params": ["ratings", "questionnaire", "workforce", "monitoring", "intervals", "timescales", "sample"],
            "outs": [{"report/_output/${item}": {"cache": False}}],
        },
    }
