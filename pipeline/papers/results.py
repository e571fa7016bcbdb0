"""Reading a review's processed results, with the columns the papers rely on checked.

Each processed table a paper reads has its columns declared in
:data:`COLUMNS` with a kind: ``text`` (read as strings), ``number`` or
``flag`` (true or false); a name ending in ``?`` may be absent. A table whose
analysis was skipped (it holds a ``skipped_reason`` column) counts as absent.
A missing or mistyped column stops the build with one line naming the file
and the column.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from pipeline import snapshot
from pipeline.papers.errors import ReportError
from pipeline.paths import PROJ_ROOT, REPORT_DIR, processed_dir
from pipeline.stages import STAGES

REVIEWS_DIR = REPORT_DIR / "reviews"
CONFIG_DIR = REPORT_DIR / "config"

_NE = ("answered_n", "not_evidenced_n", "not_evidenced_pct", "ci_low_pct", "ci_high_pct")
_COUNTS = ("cases_cp", "cases_lac", "cases_cin")
COLUMNS: dict[str, dict[str, str]] = {
    "questionnaire__question_summary": {"question_id": "text", "answered_n": "number", "positive_pct": "number"},
    "questionnaire__pressures": {"question_id": "text", "is_county_pressure": "flag"},
    "questionnaire__team_pressures": {"is_coinciding": "flag"},
    "case_audit__criterion_compliance": {
        "criterion_id": "text", "domain": "text", "reference": "text",
        **{c: "number" for c in ("yes_n", "no_n", "not_evidenced_n", "answered_n", "compliance_pct", "ci_low_pct",
                                 "ci_high_pct", "na_n", "blank_n")}},
    "case_audit__precision": {c: "number" for c in ("audited_n", "population_n", "margin_pct",
                                                    "sample_needed_margin_5_n", "sample_needed_margin_10_n")},
    "case_audit__not_evidenced_by_source": {"record_source": "text", **{c: "number" for c in _NE}},
    "case_audit__supervision_overall": {
        "supervision_group": "text",
        **{c: "number" for c in ("overall_good_or_better_n", "overall_not_good_or_better_n", "cases_n",
                                 "overall_good_or_better_pct", "odds_ratio", "or_ci_low", "or_ci_high", "p_value")}},
    "case_audit__grades": {"domain": "text", "grade": "text", "n": "number", "graded_n": "number",
                           "blank_n": "number"},
    "timescales__summary": {
        "measure_id": "text", "label": "text", "short_label": "text",
        **{c: "number" for c in ("met_n", "not_met_n", "due_n", "not_yet_due_n", "met_pct", "ci_low_pct",
                                 "ci_high_pct")}},
    "workforce__summary": {
        "name": "text", "level": "text",
        **{c: "number" for c in (*_COUNTS, "caseload_per_worker", "cp_per_worker", "lac_per_worker",
                                 "cin_per_worker", "vacancy_pct", "agency_pct", "teams_n",
                                 "teams_above_threshold_n")}},
    "workforce__teams": {"period?": "text", **{f"{c}?": "number" for c in _COUNTS}},
    "monitoring__county": {"month": "text", "cpp_open": "number", "referrals": "number", "icpcs": "number",
                           "s47_enquiries?": "number", "cpp_open_net_change_n?": "number",
                           "cpp_open_per_10k?": "number"},
    "monitoring__areas": {"cpp_open?": "number", "referrals?": "number", "s47_enquiries?": "number",
                          "icpcs?": "number"},
    "monitoring__measures": {"measure": "text", "value": "number"},
    "monitoring__signals": {"measure": "text", "month": "text", "value": "number", "mean": "number",
                            "direction": "text", "rules": "text"},
    "findings__matrix": {
        "finding_id": "text", "finding": "text", "finding_rag": "text", "source": "text", "ref": "text",
        "ref_label": "text", "evidence": "text", "unit": "text", "value": "number", "n": "number",
        "n_unit": "text", "rag": "text", "is_no_data": "flag", "is_deferred": "flag", "deferred_label": "text",
        "phase": "number"},
    "findings__by_finding": {"finding_id": "text", "finding": "text", "finding_rag": "text"},
}


def _declared(name: str) -> dict[str, tuple[str, bool]]:
    """column -> (kind, required) for a declared table ({} when the papers do not read it)."""
    return {col.rstrip("?"): (kind, not col.endswith("?")) for col, kind in COLUMNS.get(name, {}).items()}


def _flag_like(series: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(series):
        return True
    return set(series.dropna().unique()) <= {True, False, 0, 1}


def read_table(path: Path, name: str | None = None) -> pd.DataFrame | None:
    """A processed table, checked against its declared columns; None when its analysis was skipped."""
    name = name or path.name.removesuffix(".csv")
    declared = _declared(name)
    rel = path.relative_to(PROJ_ROOT) if path.is_relative_to(PROJ_ROOT) else path
    if not path.exists():
        raise ReportError(f"{rel} is missing: run the analyses first")
    text_cols = {c: str for c, (kind, _) in declared.items() if kind == "text"}
    table = pd.read_csv(path, dtype=text_cols)
    if "skipped_reason" in table.columns:
        return None
    for col, (kind, required) in declared.items():
        if col not in table.columns:
            if required:
                raise ReportError(f"{rel}: column {col!r} is missing (the papers read it)")
            continue
        series = table[col]
        if series.isna().all():
            continue
        if kind == "number" and not pd.api.types.is_numeric_dtype(series):
            raise ReportError(f"{rel}: column {col!r} should hold numbers, but holds {series.dtype} "
                              f"(e.g. {series.dropna().iloc[0]!r})")
        if kind == "flag" and not _flag_like(series):
            raise ReportError(f"{rel}: column {col!r} should hold true or false, but holds {series.dtype} "
                              f"(e.g. {series.dropna().iloc[0]!r})")
    return table


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
    """Every stage's status, tables and figures of a review (a clear error when a stage has not run)."""
    folder = processed_dir(review_id)
    results = Results(review_id, folder)
    for stage in STAGES.values():
        path = folder / stage.status_file
        if not path.exists():
            raise ReportError(f"{path.relative_to(PROJ_ROOT)} is missing: run the analyses first "
                              f"(python -m pipeline build {review_id})")
        results.status[stage.name] = json.loads(path.read_text(encoding="utf-8"))
    try:  # every stage output must come from the current snapshot (no mix after an interrupted build)
        snapshot.check_consistent(review_id, results.status)
    except snapshot.SnapshotMismatch as exc:
        raise ReportError(str(exc)) from None
    for stage in STAGES.values():
        for name in stage.outputs:
            table = read_table(folder / name)
            if table is not None:
                results.tables[name.removesuffix(".csv")] = table
    for meta in sorted((folder / "figures").glob("*/*.json")):
        doc = json.loads(meta.read_text(encoding="utf-8"))
        doc["png"] = meta.with_suffix(".png")
        results.figures[doc["name"]] = doc
    return results


def read_tables(review_id: str, names: tuple[str, ...]) -> Results:
    """Only the named tables of a review (an earlier year of a series), checked like the others."""
    folder = processed_dir(review_id)
    results = Results(review_id, folder)
    for name in names:
        table = read_table(folder / f"{name}.csv", name)
        if table is not None:
            results.tables[name] = table
    return results


def report_config(review_id: str) -> tuple[dict, Path]:
    """A review's ``report.yml`` and the folder of its words (its own, else ``_default``)."""
    folder = REVIEWS_DIR / review_id
    if not (folder / "report.yml").exists():
        folder = REVIEWS_DIR / "_default"
    with open(folder / "report.yml", encoding="utf-8") as fh:
        cfg = yaml.safe_load(fh) or {}
    return cfg, folder
