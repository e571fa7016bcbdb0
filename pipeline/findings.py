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
- What a rating rests on (issue 12, item 1), row by row and per finding
  (``rating_basis``, ``finding_rating_basis``): ``measured`` when it comes
  from a computed value against the thresholds; ``reviewers_judgement`` when
  the finding's only rated rows are narrative, whose rating the reviewers gave
  in the evidence map; ``not_rated`` when there is none.
  ``finding_rating_label`` says it in words ("Red", "Green: reviewers'
  judgement", "Not rated") so no paper shows a judgement as a measurement.
- Capacity (workforce measures and the monitoring demand measure) is rated
  under its own heading of the three Cs, never folded into a practice
  finding: in a finding that has any questionnaire, case-audit or timescale
  row, its capacity rows are shown but do not count towards the finding's
  rating (``counts_to_finding`` False). ``findings__three_cs`` rates each
  heading: compliance (case audit and timescales), competence (the teams'
  self-assessment questionnaire) and capacity (workforce and monitoring).
- A case-audit row shows the design-weighted compliance (``weighted_pct``
  and its interval) when the criterion table has it; ``is_weighted`` says so.
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
    "rating_basis",
    "heading",
    "counts_to_finding",
    "is_weighted",
    "is_deferred",
    "deferred_label",
    "is_no_data",
    "finding_rag",
    "finding_rating_basis",
    "finding_rating_label",
]

#: The three Cs: the heading each computed source is rated under (narrative rows have none).
HEADINGS = {"case_audit": "compliance", "timescale": "compliance", "questionnaire": "competence",
            "workforce": "capacity", "monitoring": "capacity"}
HEADING_ORDER = ("compliance", "competence", "capacity")
MEASURED, JUDGEMENT, NOT_RATED = "measured", "reviewers_judgement", "not_rated"
_FINDING_COLUMNS = ["finding_rag", "finding_rating_basis", "finding_rating_label"]

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
        has_reference = reference is not None and not pd.isna(reference) and str(reference).strip()
        label = str(reference).strip() if has_reference else str(r["criterion_id"])
        w = "weighted_" if "weighted_pct" in r.index else ""
        return {"value": _num(r[f"{w}pct" if w else "compliance_pct"]), "unit": "%", "n": n,
                "ref_label": label, "ci_low_pct": _num(r.get(f"{w}ci_low_pct")),
                "ci_high_pct": _num(r.get(f"{w}ci_high_pct")),
                "is_weighted": bool(w) and bool(r.get("is_weighted", True))}
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
            "rating_basis": NOT_RATED,
            "heading": HEADINGS.get(source, pd.NA),
            "counts_to_finding": False,
            "is_weighted": False,
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
                row["rating_basis"] = JUDGEMENT if row["is_rated"] else NOT_RATED
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
                    row["rating_basis"] = MEASURED if rag is not None else NOT_RATED
        rows.append(row)

    out = pd.DataFrame(rows, columns=[c for c in MATRIX_COLUMNS if c not in _FINDING_COLUMNS])
    return _typed(_finding_ratings(out))


def _finding_ratings(out: pd.DataFrame) -> pd.DataFrame:
    """counts_to_finding, finding_rag, finding_rating_basis and finding_rating_label (module rules)."""
    out = out.copy()
    practice = out["heading"].isin(["compliance", "competence"])
    has_practice = practice.groupby(out["finding_id"], sort=False).transform("any")
    capacity = out["heading"].eq("capacity")
    out["counts_to_finding"] = out["is_rated"] & ~(capacity & has_practice)
    counted = out[out["counts_to_finding"]]
    rag = counted.groupby("finding_id", sort=False)["rag"].agg(worst_rag)
    measured = counted["rating_basis"].eq(MEASURED).groupby(counted["finding_id"], sort=False).any()
    out["finding_rag"] = out["finding_id"].map(rag)
    basis = out["finding_id"].map(measured).map({True: MEASURED, False: JUDGEMENT})
    out["finding_rating_basis"] = basis.where(out["finding_rag"].notna(), NOT_RATED)
    out["finding_rating_label"] = [rating_label(r, b) for r, b in
                                   zip(out["finding_rag"], out["finding_rating_basis"])]
    return out


def rating_label(rag, basis) -> str:
    """A rating in words: "Red", "Green: reviewers' judgement", or "Not rated"."""
    if not isinstance(rag, str) or rag not in RAG_ORDER or basis == NOT_RATED:
        return "Not rated"
    word = rag.capitalize()
    return f"{word}: reviewers' judgement" if basis == JUDGEMENT else word


def _typed(out: pd.DataFrame) -> pd.DataFrame:
    out = out.copy()
    for col in ["finding_id", "finding", "evidence", "source", "ref", "ref_label", "unit", "n_unit",
                "rag", "deferred_label", "finding_rag", "rating_basis", "heading",
                "finding_rating_basis", "finding_rating_label"]:
        out[col] = out[col].astype("string")
    out["phase"] = out["phase"].astype("Int64")
    out["n"] = pd.array(out["n"], dtype="Int64")
    for col in ["value", "ci_low_pct", "ci_high_pct"]:
        out[col] = out[col].astype("float64")
    for col in ["is_rated", "is_deferred", "is_no_data", "counts_to_finding", "is_weighted"]:
        out[col] = out[col].astype(bool)
    return out[MATRIX_COLUMNS].reset_index(drop=True)


def by_finding(matrix: pd.DataFrame) -> pd.DataFrame:
    """``findings__by_finding``: one row per finding in first-appearance order.

    rows_n evidence rows, rated_n of them rated (review's phase and earlier,
    not grey, with a value), deferred_n to a later phase, no_data_n without data;
    finding_rag with finding_rating_basis and finding_rating_label; and the
    row that sets the rating (``worst_``: its ref, ref_label, evidence, source,
    value and unit): of the counted rows with the worst rating, the one with
    the lowest value among shares (a measure's row otherwise, the first).
    """
    g = matrix.groupby("finding_id", sort=False)
    out = g.agg(
        finding=("finding", "first"),
        finding_rag=("finding_rag", "first"),
        finding_rating_basis=("finding_rating_basis", "first"),
        finding_rating_label=("finding_rating_label", "first"),
        rows_n=("finding_id", "size"),
        rated_n=("is_rated", "sum"),
        deferred_n=("is_deferred", "sum"),
        no_data_n=("is_no_data", "sum"),
    ).reset_index()
    for col in ["rows_n", "rated_n", "deferred_n", "no_data_n"]:
        out[col] = out[col].astype("Int64")
    for col in ["finding_rag", "finding_rating_basis", "finding_rating_label"]:
        out[col] = out[col].astype("string")
    worst = _worst_rows(matrix)
    out = out.merge(worst, on="finding_id", how="left", validate="one_to_one")
    return out


_WORST = ["ref", "ref_label", "evidence", "source", "value", "unit"]


def _worst_rows(matrix: pd.DataFrame) -> pd.DataFrame:
    """finding_id and the ``worst_`` columns of :func:`by_finding`."""
    hit = matrix[matrix["counts_to_finding"] & matrix["rag"].eq(matrix["finding_rag"]).fillna(False)].copy()
    hit["_share"] = ~hit["unit"].eq("%").fillna(False)  # shares (unit %) first
    hit["_v"] = hit["value"].fillna(np.inf)
    hit["_i"] = range(len(hit))
    hit = hit.sort_values(["_share", "_v", "_i"], kind="stable").drop_duplicates("finding_id")
    out = hit[["finding_id", *_WORST]].rename(columns={c: f"worst_{c}" for c in _WORST})
    return out.reset_index(drop=True)


def three_cs(matrix: pd.DataFrame) -> pd.DataFrame:
    """``findings__three_cs``: compliance, competence and capacity, each rated on its own rows.

    Every rated computed row of the matrix belongs to one heading (``HEADINGS``:
    compliance = case audit and timescales, competence = the questionnaire,
    capacity = workforce and monitoring), whichever finding it sits under.
    Columns: heading, rows_n, rated_n, red_n, amber_n, green_n, heading_rag
    (the worst), heading_rating_basis (measured or not_rated) and
    heading_rating_label. Always three rows, in that order.
    """
    rows = []
    for h in HEADING_ORDER:
        sub = matrix[matrix["heading"].eq(h).fillna(False) & ~matrix["is_deferred"]]
        rated = sub[sub["is_rated"]]
        rag = worst_rag(rated["rag"])
        basis = MEASURED if rag is not None else NOT_RATED
        rows.append({"heading": h, "rows_n": len(sub), "rated_n": len(rated),
                     **{f"{c}_n": int(rated["rag"].eq(c).sum()) for c in ("red", "amber", "green")},
                     "heading_rag": rag if rag is not None else pd.NA, "heading_rating_basis": basis,
                     "heading_rating_label": rating_label(rag, basis)})
    out = pd.DataFrame(rows)
    for col in ["heading", "heading_rag", "heading_rating_basis", "heading_rating_label"]:
        out[col] = out[col].astype("string")
    return out


def recommendation_links(recommendations: pd.DataFrame | None, matrix: pd.DataFrame) -> pd.DataFrame:
    """``findings__recommendation_links``: one row per (rec_id, finding_id) named in ``finding_ids``.

    The recommendations' own ``finding_ids`` (``;``-separated) only, in
    register order, never a match of words. ``finding`` is the finding's
    wording from the evidence map; an id the map lacks (which the validator
    reports as an error) is an error here too.
    """
    cols = ["rec_id", "finding_id", "finding"]
    if recommendations is None or "finding_ids" not in recommendations.columns:
        return pd.DataFrame(columns=cols, dtype="string")
    wording = matrix.drop_duplicates("finding_id").set_index("finding_id")["finding"]
    by_key = {_key(f): f for f in wording.index}
    rows = []
    for rec_id, cell in zip(recommendations["rec_id"], recommendations["finding_ids"]):
        if cell is None or pd.isna(cell):
            continue
        for part in str(cell).split(";"):
            if not part.strip():
                continue
            fid = by_key.get(_key(part))
            if fid is None:
                raise ValueError(f"recommendations: {rec_id} names finding {part.strip()!r}, "
                                 f"which is not a finding_id of evidence_map")
            rows.append({"rec_id": rec_id, "finding_id": fid, "finding": wording[fid]})
    return pd.DataFrame(rows, columns=cols).astype("string")


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
    """Write the ``findings__`` tables (matrix, by_finding, three_cs, recommendation_links); [] without an evidence map.

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
    outputs = {
        "findings__matrix": matrix,
        "findings__by_finding": by_finding(matrix),
        "findings__three_cs": three_cs(matrix),
        "findings__recommendation_links": recommendation_links(review.table("recommendations"), matrix),
    }
    return [write_csv(df, out_dir / f"{name}.csv") for name, df in outputs.items()]
