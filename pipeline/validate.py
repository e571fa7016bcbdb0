"""The contract's rules over the typed tables of a review.

Column rules (required, unique, ranges, codes already parsed, references to
``teams``, not after ``census_date``) and row rules (the case-audit date order)
are pandera schemas built from ``pipeline/contract/tables.yaml``; the rules
that need several rows or tables (the monitoring reconciliation, evidence-map
references) are the named checks below. Every failure becomes an ``Issue``
naming file, sheet, Excel row, column, value and rule.
"""
from __future__ import annotations

import operator

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from pipeline.contract import Contract, TableSpec, contract, fold
from pipeline.issues import ERROR, QUERY, Issue
from pipeline.outputs import formula_like

OPS = {"<=": operator.le, "<": operator.lt}
OP_WORDS = {"<=": "on or before", "<": "before"}
COUNT_COLUMNS = ["referrals", "s47_enquiries", "icpcs", "cpp_started", "cpp_ended", "cpp_open", "cin_open", "lac_open"]
COUNTY = "County"


def _fmt(value) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _at(frame: pd.DataFrame, idx, table: str, severity: str, column: str | None, value, rule: str,
        message: str) -> Issue:
    row = frame.loc[idx]
    return Issue(severity, table, row["_file"], row["_sheet"] if isinstance(row["_sheet"], str) else None,
                 int(row["_row"]), column, _fmt(value), rule, message)


# --------------------------------------------------------------------------- pandera


def _date_order_rules(spec: TableSpec) -> list[tuple[str, str, str, str]]:
    """Expand the contract's date-order rules: (earlier, op, later, column reported)."""
    out = []
    for earlier, op, later in spec.date_order:
        if earlier == "*":
            for col in spec.date_columns:
                if col != later:
                    out.append((col, op, later, col))
        else:
            out.append((earlier, op, later, later))
    return out


def build_schema(spec: TableSpec, meta: dict, tables: dict[str, pd.DataFrame]) -> tuple[pa.DataFrameSchema, dict]:
    """A pandera schema for one typed table, and what each named check means."""
    meanings: dict[str, tuple[str, str]] = {}
    columns = {}
    for col in spec.columns.values():
        checks = []
        if col.min is not None:
            checks.append(pa.Check(lambda s, v=col.min: s >= v, name=f"{col.name}:min"))
            meanings[f"{col.name}:min"] = ("range", f"must be at least {col.min:g}")
        if col.max is not None:
            checks.append(pa.Check(lambda s, v=col.max: s <= v, name=f"{col.name}:max"))
            meanings[f"{col.name}:max"] = ("range", f"must be at most {col.max:g}")
        if col.gt is not None:
            checks.append(pa.Check(lambda s, v=col.gt: s > v, name=f"{col.name}:gt"))
            meanings[f"{col.name}:gt"] = ("range", f"must be more than {col.gt:g}")
        if col.references:
            ref_table, ref_col = col.references.split(".")
            ref = tables.get(ref_table)
            ids = set(ref[ref_col].dropna()) if ref is not None else set()
            checks.append(pa.Check(lambda s, ids=ids: s.isin(ids), name=f"{col.name}:references"))
            rule = "unknown_team" if ref_table == "teams" else "unknown_reference"
            meanings[f"{col.name}:references"] = (rule, f"is not a {ref_col} of {ref_table}")
        if col.not_after and isinstance(meta.get(col.not_after), pd.Timestamp):
            limit = meta[col.not_after]
            checks.append(pa.Check(lambda s, v=limit: s <= v, name=f"{col.name}:not_after"))
            meanings[f"{col.name}:not_after"] = (f"after_{col.not_after}",
                                                 f"is after the review's {col.not_after} ({limit:%Y-%m-%d})")
        columns[col.name] = pa.Column(
            nullable=not col.required, unique=col.unique, report_duplicates="exclude_first",
            checks=checks, required=True, coerce=False,
        )
    frame_checks = []
    for earlier, op, later, reported in _date_order_rules(spec):
        name = f"date_order:{earlier}{op}{later}"
        frame_checks.append(pa.Check(
            lambda df, a=earlier, b=later, f=OPS[op]: df[a].isna() | df[b].isna() | f(df[a], df[b]), name=name))
        meanings[name] = (name, f"{earlier} must be {OP_WORDS[op]} {later}", reported, earlier, later)
    schema = pa.DataFrameSchema(
        columns, checks=frame_checks, strict=False,
        unique=list(spec.unique_together) or None, report_duplicates="exclude_first",
    )
    return schema, meanings


def _row_of(case) -> int | None:
    """The frame row of a pandera failure case, or None for a failure of the whole column or table."""
    idx = case.index
    if idx is None or (isinstance(idx, float) and np.isnan(idx)):
        return None
    return int(idx)


def _describe(check: str, case, idx: int, column: str | None, frame: pd.DataFrame, spec: TableSpec,
              meanings: dict) -> tuple[str | None, str, str, object]:
    """The column, rule, message and value of one failure case of the schema."""
    if check == "not_nullable":
        rule, message, value = "required", f"{column} is required and is blank", None
    elif check == "field_uniqueness":
        rule, value = "duplicate", frame.at[idx, column]
        message = f"{column} must be unique; this value is on an earlier row"
    elif check == "multiple_fields_uniqueness":
        column = "+".join(spec.unique_together)
        value = ", ".join(_fmt(frame.at[idx, c]) or "" for c in spec.unique_together)
        rule, message = "duplicate", f"({column}) must be unique; this combination is on an earlier row"
    elif check.startswith("date_order:"):
        _, message, column, earlier, later = meanings[check]
        rule = check
        value = frame.at[idx, column]
        message = (f"{message}: {earlier} is {_fmt(frame.at[idx, earlier])}, "
                   f"{later} is {_fmt(frame.at[idx, later])}")
    elif check in meanings:
        rule, words = meanings[check]
        value = frame.at[idx, column]
        message = f"{column} {words}"
    else:  # a pandera-internal failure we have not named: still report it fully
        rule, message, value = check, f"{column}: failed {check}", case.failure_case
    return column, rule, message, value


def run_schema(spec: TableSpec, frame: pd.DataFrame, meta: dict, tables: dict[str, pd.DataFrame]) -> list[Issue]:
    schema, meanings = build_schema(spec, meta, tables)
    try:
        schema.validate(frame, lazy=True)
        return []
    except SchemaErrors as exc:
        cases = exc.failure_cases
    issues: list[Issue] = []
    seen: set[tuple] = set()
    unreadable = frame.attrs.get("unreadable", set())
    for case in cases.itertuples(index=False):
        check = str(case.check)
        idx = _row_of(case)
        if idx is None:
            continue
        column = case.column if isinstance(case.column, str) else None
        if (idx, column) in unreadable:
            continue  # the cell could not be read: already reported as such
        column, rule, message, value = _describe(check, case, idx, column, frame, spec, meanings)
        key = (idx, column, rule)
        if key in seen:
            continue
        seen.add(key)
        issues.append(_at(frame, idx, spec.name, ERROR, column, value, rule, message))
    return issues


# --------------------------------------------------------------------------- named checks


def check_monitoring_area(frame: pd.DataFrame, tables: dict, spec: Contract) -> list[Issue]:
    """monitoring.area is an area of teams, or County; spelling is made canonical."""
    teams = tables.get("teams")
    areas = sorted(set(teams["area"].dropna())) if teams is not None else []
    canon = {fold(a): a for a in areas} | {fold(COUNTY): COUNTY}
    issues = []
    mapped = frame["area"].map(lambda a: canon.get(fold(a)) if isinstance(a, str) else None)
    for idx in frame.index[mapped.isna() & frame["area"].notna()]:
        issues.append(_at(frame, idx, "monitoring", ERROR, "area", frame.at[idx, "area"], "unknown_area",
                          f"area must be an area of teams ({', '.join(areas)}) or County"))
    frame["area"] = mapped.where(mapped.notna(), frame["area"])
    return issues


def _by_area_month(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows with a month and an area, by area (sorted) then month; ties keep file order."""
    ok = frame["month"].notna() & frame["area"].notna()
    sub = frame.loc[ok, ["area", "month", "cpp_open", "cpp_started", "cpp_ended"]]
    sub = sub.sort_values(["area", "month"], kind="stable")
    sub["_m"] = sub["month"].dt.to_period("M").astype("int64")
    return sub


def check_monitoring_months(frame: pd.DataFrame, tables: dict, spec: Contract) -> list[Issue]:
    """The months of one area leave no gap (duplicates are the unique rule's)."""
    issues = []
    sub = _by_area_month(frame)
    by_area = sub.groupby("area", sort=False)["_m"]
    step = by_area.diff()
    prev = by_area.shift(1)
    for idx in sub.index[(step > 1).to_numpy()]:
        area = sub.at[idx, "area"]
        this = pd.Period(frame.at[idx, "month"], "M")
        before = pd.Period(ordinal=int(prev[idx]), freq="M")
        issues.append(_at(frame, idx, "monitoring", ERROR, "month", frame.at[idx, "month"].strftime("%Y-%m"),
                          "month_gap", f"{area}: months missing between {before} and {this}"))
    return issues


def check_monitoring_stock(frame: pd.DataFrame, tables: dict, spec: Contract) -> list[Issue]:
    """cpp_open of a month = cpp_open of the month before + cpp_started - cpp_ended."""
    issues = []
    g = _by_area_month(frame).drop_duplicates(["area", "month"])
    by_area = g.groupby("area", sort=False)
    consecutive = by_area["_m"].diff() == 1
    expected = by_area["cpp_open"].shift(1) + g["cpp_started"] - g["cpp_ended"]
    bad = consecutive & expected.notna() & g["cpp_open"].notna() & (expected != g["cpp_open"])
    for idx in g.index[bad.fillna(False).astype(bool).to_numpy()]:
        area = g.at[idx, "area"]
        issues.append(_at(frame, idx, "monitoring", ERROR, "cpp_open", frame.at[idx, "cpp_open"], "reconcile_stock",
                          f"{area} {frame.at[idx, 'month']:%Y-%m}: cpp_open should be the previous month's "
                          f"cpp_open + cpp_started - cpp_ended = {int(expected[idx])}"))
    return issues


def check_monitoring_county(frame: pd.DataFrame, tables: dict, spec: Contract) -> list[Issue]:
    """Every count of a County row equals the sum of the area rows of that month."""
    issues = []
    county = frame[frame["area"] == COUNTY]
    areas = frame[(frame["area"] != COUNTY) & frame["month"].notna()]
    if county.empty or areas.empty:
        return issues
    cols = [c for c in COUNT_COLUMNS if c in frame.columns]
    sums = areas.groupby("month")[cols].sum(min_count=1)
    for idx, row in county.iterrows():
        if row["month"] not in sums.index:
            continue
        for col in cols:
            total = sums.at[row["month"], col]
            if pd.isna(row[col]) and pd.isna(total):
                continue
            if pd.isna(row[col]) or pd.isna(total) or int(row[col]) != int(total):
                issues.append(_at(frame, idx, "monitoring", ERROR, col, row[col], "reconcile_county",
                                  f"County {row['month']:%Y-%m}: {col} should equal the sum of the areas' rows = "
                                  f"{_fmt(total)}"))
    return issues


def check_evidence_refs(frame: pd.DataFrame, tables: dict, spec: Contract) -> list[Issue]:
    """Each evidence row's ref names something of its source (contract, evidence_map)."""
    issues = []
    questions = tables.get("questions")
    criteria = tables.get("audit_criteria")
    known = {
        "questionnaire": ("questionnaire", list(questions["question_id"].dropna()) if questions is not None else []),
        "case_audit": ("case_audit", list(criteria["criterion_id"].dropna()) if criteria is not None else []),
        "timescale": ("case_audit", list(spec.timescales)),
        "workforce": ("workforce", list(spec.measures["workforce"])),
        "monitoring": ("monitoring", list(spec.measures["monitoring"])),
    }
    refs = frame["ref"].copy()
    for idx, row in frame.iterrows():
        source, ref = row["source"], row["ref"]
        if not isinstance(source, str):
            continue
        if source == "narrative":
            if not isinstance(row["rag"], str):
                issues.append(_at(frame, idx, "evidence_map", ERROR, "rag", None, "required",
                                  "a narrative row must give its rag (green, amber, red or grey)"))
            continue
        if isinstance(row["rag"], str):
            issues.append(_at(frame, idx, "evidence_map", QUERY, "rag", row["rag"], "rag_ignored",
                              "rag is given only for narrative rows; the computed rating is used"))
        if not isinstance(ref, str):
            issues.append(_at(frame, idx, "evidence_map", ERROR, "ref", None, "required",
                              f"a {source} row must give its ref"))
            continue
        table, names = known[source]
        by_fold = {fold(n): n for n in names}
        if table not in tables:
            issues.append(_at(frame, idx, "evidence_map", QUERY, "ref", ref, "ref_no_data",
                              f"the review has no {table} table; this row shows no data and is unrated"))
            if fold(ref) in by_fold:
                refs[idx] = by_fold[fold(ref)]
            continue
        if fold(ref) not in by_fold:
            issues.append(_at(frame, idx, "evidence_map", ERROR, "ref", ref, "unknown_ref",
                              f"ref names no {source} item; expected one of: {', '.join(names[:12])}"
                              + (" ..." if len(names) > 12 else "")))
            continue
        refs[idx] = by_fold[fold(ref)]
    frame["ref"] = refs
    return issues


def check_recommendation_findings(frame: pd.DataFrame, tables: dict, spec: Contract) -> list[Issue]:
    """Each id of a recommendation's finding_ids (``;``-separated) is a finding_id of evidence_map."""
    issues: list[Issue] = []
    em = tables.get("evidence_map")
    if "finding_ids" not in frame.columns or em is None:
        return issues
    known = {fold(f): f for f in em["finding_id"].dropna()}
    for idx, cell in frame["finding_ids"].items():
        if not isinstance(cell, str):
            continue
        for part in cell.split(";"):
            fid = part.strip()
            if fid and fold(fid) not in known:
                issues.append(_at(frame, idx, "recommendations", ERROR, "finding_ids", fid, "unknown_finding",
                                  "each id of finding_ids must be a finding_id of evidence_map; known: "
                                  + ", ".join(list(known.values())[:12])))
    return issues


def check_formula_ids(frame: pd.DataFrame, spec: TableSpec) -> list[Issue]:
    """An id that a spreadsheet would run as a formula (=, +, -, @ first, and not a number) is refused:
    ids are copied into forms and sample lists, and must stay names."""
    issues = []
    for col in spec.columns.values():
        if col.type != "text" or not col.name.endswith("_id") or col.name not in frame.columns:
            continue
        bad = frame[col.name].map(formula_like)
        for idx in frame.index[bad.to_numpy(dtype=bool)]:
            issues.append(_at(frame, idx, spec.name, ERROR, col.name, frame.at[idx, col.name], "formula_like_id",
                              f"{col.name} must not begin with =, +, - or @ (a spreadsheet would run it as a "
                              "formula); use letters or digits first"))
    return issues


NAMED_CHECKS = {
    "recommendation_findings": check_recommendation_findings,
    "monitoring_area": check_monitoring_area,
    "monitoring_months": check_monitoring_months,
    "monitoring_stock": check_monitoring_stock,
    "monitoring_county": check_monitoring_county,
    "evidence_refs": check_evidence_refs,
}


def validate_tables(meta: dict, tables: dict[str, pd.DataFrame], spec: Contract | None = None) -> list[Issue]:
    """Run every rule of the contract over typed tables (made canonical in place)."""
    spec = spec or contract()
    issues: list[Issue] = []
    for name, frame in tables.items():
        table_spec = spec.tables[name]
        for check in table_spec.checks:
            if check.startswith("monitoring_") and check != "monitoring_area":
                continue
            issues += NAMED_CHECKS[check](frame, tables, spec)
        issues += check_formula_ids(frame, table_spec)
        issues += run_schema(table_spec, frame, meta, tables)
        for check in table_spec.checks:
            if check.startswith("monitoring_") and check != "monitoring_area":
                issues += NAMED_CHECKS[check](frame, tables, spec)
    return issues
