"""Findings matrix: each national finding against the local evidence that answers it.

Rules (data contract, "evidence_map"; issue 3, item 4):

- One matrix row per evidence row, in the evidence map's order.
- A computed row's value comes from its source, with its unit and its n:

  ============  ===========================================  =====================================
  source        value                                        n
  ============  ===========================================  =====================================
  questionnaire positive_pct of the question (%)             answered_n (answers)
  case_audit    compliance_pct of the criterion (%)          yes_n + no_n + not_evidenced_n (cases)
  timescale     met_pct of the timescale (%)                 met_n + not_met_n (cases)
  workforce     the measure (vacancy_pct, caseload_per_...)  teams
  monitoring    the measure (cpp_open_change_pct)            months
  ============  ===========================================  =====================================

- Ratings come from ``params.ratings``: shares, compliance and timescales use
  ``share_pct``; a measure uses the rating named like it (``vacancy_pct``,
  ``agency_pct``, ``caseload_per_worker``) and is unrated when there is none
  (``cpp_open_change_pct``: a rise in plans is neither good nor bad in itself).
- Narrative rows carry their given rag. **grey means "not rated"**: it is shown
  as given but never counts towards the finding's rating.
- Rows of a phase later than the review's show their value where it can be
  computed, are marked "to be reviewed in phase N" (``is_deferred``) and are
  not rated (``rag`` blank, narrative ones included).
- A ref into a table the review lacks shows no value, unit "no data", unrated
  (the validator has already reported it as a query).
- A finding's rating is the worst (red > amber > green) of its rated rows of
  the review's phase and earlier; blank when it has none.
- A review with no phase (an annual report) defers nothing.

``build_matrix`` takes the summary tables the other analyses have already
written; it never recomputes them.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.outputs import write_csv
from pipeline.params import Params

RAG_ORDER = {"green": 0, "amber": 1, "red": 2}
"""Severity of a rating: the finding takes the worst (highest) of its rows."""

SHARE_RATING = "share_pct"
SHARE_SOURCES = ("questionnaire", "case_audit", "timescale")
MEASURE_SOURCES = ("workforce", "monitoring")

MATRIX_COLUMNS = [
    "finding_id",
    "finding",
    "evidence",
    "source",
    "ref",
    "ref_label",
    "phase",
    "value",
    "unit",
    "n",
    "n_unit",
    "ci_low_pct",
    "ci_high_pct",
    "rag",
    "is_rated",
    "is_deferred",
    "deferred_label",
    "is_no_data",
    "finding_rag",
]

_N_UNIT = {
    "questionnaire": "answers",
    "case_audit": "cases",
    "timescale": "cases",
    "workforce": "teams",
    "monitoring": "months",
}


def _key(x) -> str:
    """How a ref is matched: case-insensitive, surrounding spaces ignored (contract, common rules)."""
    return str(x).strip().casefold()


def _num(x) -> float:
    return np.nan if x is None or pd.isna(x) else float(x)


def _int(x):
    return pd.NA if x is None or pd.isna(x) else int(x)


def _lookup(frame: pd.DataFrame, id_col: str, ref, source: str) -> pd.Series:
    """The row of ``frame`` whose ``id_col`` matches ``ref``; an error if none does."""
    hits = frame[frame[id_col].map(_key) == _key(ref)]
    if hits.empty:
        raise ValueError(
            f"evidence_map: ref {ref!r} of source {source!r} names nothing in the {source} results "
            f"(the validator should have reported this as an error)"
        )
    return hits.iloc[0]


def _source_value(source: str, ref, tables: dict) -> dict | None:
    """value, unit, n, ci and ref_label of one evidence row; None when its table is absent."""
    if source == "questionnaire":
        t = tables["questionnaire"]
        if t is None:
            return None
        r = _lookup(t, "question_id", ref, source)
        return {"value": _num(r["positive_pct"]), "unit": "%", "n": _int(r["answered_n"]),
                "ref_label": str(r["question_id"]), "ci_low_pct": _num(r.get("ci_low_pct")),
                "ci_high_pct": _num(r.get("ci_high_pct"))}
    if source == "case_audit":
        t = tables["case_audit"]
        if t is None:
            return None
        r = _lookup(t, "criterion_id", ref, source)
        n = _int(r["yes_n"] + r["no_n"] + r["not_evidenced_n"])
        reference = r.get("reference")
        label = str(reference).strip() if reference is not None and not pd.isna(reference) and str(reference).strip() else str(r["criterion_id"])
        return {"value": _num(r["compliance_pct"]), "unit": "%", "n": n, "ref_label": label,
                "ci_low_pct": _num(r.get("ci_low_pct")), "ci_high_pct": _num(r.get("ci_high_pct"))}
    if source == "timescale":
        t = tables["timescale"]
        if t is None:
            return None
        r = _lookup(t, "measure_id", ref, source)
        return {"value": _num(r["met_pct"]), "unit": "%", "n": _int(r["met_n"] + r["not_met_n"]),
                "ref_label": str(r["measure_id"]), "ci_low_pct": _num(r.get("ci_low_pct")),
                "ci_high_pct": _num(r.get("ci_high_pct"))}
    if source in MEASURE_SOURCES:
        t = tables[source]
        if t is None:
            return None
        r = _lookup(t, "measure", ref, source)
        return {"value": _num(r["value"]), "unit": str(r["unit"]), "n": _int(r["n"]),
                "ref_label": str(r["measure"]), "ci_low_pct": np.nan, "ci_high_pct": np.nan}
    raise ValueError(f"evidence_map: unknown source {source!r}")


def rate_row(source: str, ref, value: float, params: Params) -> str | None:
    """The rating of a computed value: ``share_pct`` for shares, the measure's own rating otherwise.

    None when the value is missing or the measure has no thresholds in parameters.
    """
    if source in SHARE_SOURCES:
        rating = params.ratings.get(SHARE_RATING)
    else:
        rating = params.ratings.get(str(ref).strip())
    return None if rating is None else rating.rate(value)


def worst_rag(rags) -> str | None:
    """The worst of green/amber/red (red > amber > green); None when there is none."""
    rated = [r for r in rags if isinstance(r, str) and r in RAG_ORDER]
    return max(rated, key=RAG_ORDER.__getitem__) if rated else None


def build_matrix(
    evidence_map: pd.DataFrame,
    params: Params,
    review_phase: int | None,
    question_summary: pd.DataFrame | None = None,
    criterion_compliance: pd.DataFrame | None = None,
    timescale_summary: pd.DataFrame | None = None,
    workforce_measures: pd.DataFrame | None = None,
    monitoring_measures: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """``findings__matrix``: one row per evidence row, in the evidence map's order.

    Each summary argument is the published table of its analysis
    (``questionnaire__question_summary``, ``case_audit__criterion_compliance``,
    ``timescales__summary``, ``workforce__measures``, ``monitoring__measures``),
    or None when the review lacks the raw table it comes from: rows that refer
    to it then show "no data". ``review_phase`` None (annual report) defers nothing.
    See the module docstring for the rules.
    """
    tables = {
        "questionnaire": question_summary,
        "case_audit": criterion_compliance,
        "timescale": timescale_summary,
        "workforce": workforce_measures,
        "monitoring": monitoring_measures,
    }
    rows = []
    for _, e in evidence_map.reset_index(drop=True).iterrows():
        source = str(e["source"]).strip().casefold()
        phase = int(e["phase"])
        is_deferred = review_phase is not None and phase > int(review_phase)
        row = {
            "finding_id": e["finding_id"],
            "finding": e["finding"],
            "evidence": e["evidence"],
            "source": source,
            "ref": e.get("ref") if not pd.isna(e.get("ref")) else pd.NA,
            "ref_label": pd.NA,
            "phase": phase,
            "value": np.nan,
            "unit": pd.NA,
            "n": pd.NA,
            "n_unit": _N_UNIT.get(source, pd.NA),
            "ci_low_pct": np.nan,
            "ci_high_pct": np.nan,
            "rag": pd.NA,
            "is_rated": False,
            "is_deferred": is_deferred,
            "deferred_label": f"to be reviewed in phase {phase}" if is_deferred else pd.NA,
            "is_no_data": False,
        }
        if source == "narrative":
            given = e.get("rag")
            given = pd.NA if given is None or pd.isna(given) else str(given).strip().casefold()
            if not is_deferred:
                row["rag"] = given
                row["is_rated"] = given in RAG_ORDER  # grey: shown, not rated
        else:
            got = _source_value(source, e["ref"], tables)
            if got is None:
                row["unit"] = "no data"
                row["is_no_data"] = True
            else:
                row.update(got)
                if not is_deferred:
                    rag = rate_row(source, e["ref"], row["value"], params)
                    row["rag"] = pd.NA if rag is None else rag
                    row["is_rated"] = rag is not None
        rows.append(row)

    out = pd.DataFrame(rows, columns=MATRIX_COLUMNS[:-1])
    finding_rag = (
        out[out["is_rated"]].groupby("finding_id", sort=False)["rag"].agg(worst_rag)
        if len(out)
        else pd.Series(dtype="object")
    )
    out["finding_rag"] = out["finding_id"].map(finding_rag)
    return _typed(out)


def _typed(out: pd.DataFrame) -> pd.DataFrame:
    out = out.copy()
    for col in ["finding_id", "finding", "evidence", "source", "ref", "ref_label", "unit", "n_unit",
                "rag", "deferred_label", "finding_rag"]:
        out[col] = out[col].astype("string")
    out["phase"] = out["phase"].astype("Int64")
    out["n"] = pd.array(out["n"], dtype="Int64")
    for col in ["value", "ci_low_pct", "ci_high_pct"]:
        out[col] = out[col].astype("float64")
    for col in ["is_rated", "is_deferred", "is_no_data"]:
        out[col] = out[col].astype(bool)
    return out[MATRIX_COLUMNS].reset_index(drop=True)


def by_finding(matrix: pd.DataFrame) -> pd.DataFrame:
    """``findings__by_finding``: one row per finding in first-appearance order.

    rows_n evidence rows, rated_n of them rated (review's phase and earlier,
    not grey, with a value), deferred_n to a later phase, no_data_n without data.
    """
    g = matrix.groupby("finding_id", sort=False)
    out = g.agg(
        finding=("finding", "first"),
        finding_rag=("finding_rag", "first"),
        rows_n=("finding_id", "size"),
        rated_n=("is_rated", "sum"),
        deferred_n=("is_deferred", "sum"),
        no_data_n=("is_no_data", "sum"),
    ).reset_index()
    for col in ["rows_n", "rated_n", "deferred_n", "no_data_n"]:
        out[col] = out[col].astype("Int64")
    out["finding_rag"] = out["finding_rag"].astype("string")
    return out


# --------------------------------------------------------------------------- outputs

#: The published summary table each source reads, and the raw table it needs.
SOURCE_FILES = {
    "questionnaire": ("questionnaire__question_summary.csv", "questionnaire"),
    "case_audit": ("case_audit__criterion_compliance.csv", "case_audit"),
    "timescale": ("timescales__summary.csv", "case_audit"),
    "workforce": ("workforce__measures.csv", "workforce"),
    "monitoring": ("monitoring__measures.csv", "monitoring"),
}
_ID_COLUMNS = {"question_id": str, "criterion_id": str, "measure_id": str, "measure": str, "reference": str}


def _summary(review, source: str, given, out_dir: Path, params: Params) -> pd.DataFrame | None:
    """The summary table of a source: given, else read from out_dir; None when the review lacks its table.

    Whether the review has the table is read from ``review.present`` (every
    table of the review, though the findings stage opens only its own); a
    summary the other stage wrote as skipped also counts as no data.
    """
    file, raw = SOURCE_FILES[source]
    if raw not in review.present:
        return None
    if given is not None:
        return given
    path = out_dir / file
    if not path.exists():
        raise FileNotFoundError(
            f"findings: {path} is missing; run the {source} analysis of {review.review_id} first")
    table = pd.read_csv(path, dtype=_ID_COLUMNS)
    return None if "skipped_reason" in table.columns else table


NEEDS = ("evidence_map",)


def write_outputs(
    review,
    params: Params,
    out_dir: Path | str,
    fig_dir: Path | str | None = None,
    question_summary: pd.DataFrame | None = None,
    criterion_compliance: pd.DataFrame | None = None,
    timescale_summary: pd.DataFrame | None = None,
    workforce_measures: pd.DataFrame | None = None,
    monitoring_measures: pd.DataFrame | None = None,
) -> list[Path]:
    """Write ``findings__matrix.csv`` and ``findings__by_finding.csv``; [] without an evidence map.

    Summary tables not passed are read from ``out_dir`` (written there by the
    other analyses); a source whose raw table the review lacks gives "no data".
    """
    evidence_map = review.table("evidence_map")
    if evidence_map is None or evidence_map.empty:
        return []
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    given = {
        "questionnaire": question_summary,
        "case_audit": criterion_compliance,
        "timescale": timescale_summary,
        "workforce": workforce_measures,
        "monitoring": monitoring_measures,
    }
    used = {s for s in evidence_map["source"].astype(str).str.strip().str.casefold()}
    tables = {s: (_summary(review, s, given[s], out_dir, params) if s in used else None) for s in given}
    phase = review.meta.get("phase")
    matrix = build_matrix(
        evidence_map,
        params,
        None if phase is None or pd.isna(phase) else int(phase),
        question_summary=tables["questionnaire"],
        criterion_compliance=tables["case_audit"],
        timescale_summary=tables["timescale"],
        workforce_measures=tables["workforce"],
        monitoring_measures=tables["monitoring"],
    )
    paths = [out_dir / "findings__matrix.csv", out_dir / "findings__by_finding.csv"]
    write_csv(matrix, paths[0])
    write_csv(by_finding(matrix), paths[1])
    return paths
