"""Read a review folder as the data contract defines it, into typed frames.

A review is ``data/raw/<review_id>/`` with ``review.yml`` and its tables, each a
``<table>.csv`` or a sheet of that name in an ``.xlsx`` workbook (several
workbooks, e.g. one per auditor, are combined). This module reads the files
(each opened once), maps header aliases, accepts code labels, parses ISO, UK
and Excel dates, and reports every cell it cannot read as an issue naming file,
sheet, Excel row, column, value and rule. The rules that compare values
(uniqueness, ranges, cross-table, date order, reconciliation) are in
``pipeline.validate``; ``load_review`` runs both and raises on errors.
"""
from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.contract import TABLE_ORDER, Contract, TableSpec, contract, fold, name_key
from pipeline.issues import ERROR, QUERY, Issue, ValidationFailed
from pipeline.params import LimitsParams, params
from pipeline.paths import raw_dir
from pipeline.readers import (RawPart, _read_csv_fast, _read_csv_reference, close_name,  # noqa: F401
                              read_csv_part, read_workbook)
from pipeline.readers import issue as _issue
from pipeline.review import PROVENANCE, Review, empty_column
from pipeline.review_yml import read_meta

EXCEL_ERRORS = {"#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#GETTING_DATA", "#SPILL!",
                "#CALC!"}


# --------------------------------------------------------------------------- files


def _unknown_csv(path: Path, by_key: dict[str, str]) -> Issue:
    """A CSV file named after no table: an error when the name is close to a table's, else a query."""
    near = close_name(name_key(path.stem), by_key)
    if near is not None:
        return _issue(ERROR, by_key[near], path.name, None, None, None, path.name, "misspelt_file",
                      f"the file {path.name!r} is not a table of the contract; did you mean {by_key[near] + '.csv'!r}?")
    return _issue(QUERY, "", path.name, None, None, None, path.name, "unknown_file",
                  "the file is not a table of the contract and is ignored")


def discover(folder: Path, spec: Contract, limits: LimitsParams | None = None
             ) -> tuple[dict[str, list[RawPart]], list[Issue], list[Path]]:
    """Read every table file of a review folder; each file is opened once."""
    limits = limits or params().limits
    parts: dict[str, list[RawPart]] = {t: [] for t in spec.tables}
    issues: list[Issue] = []
    files: list[Path] = []
    by_key = {name_key(t): t for t in spec.tables}
    for path in sorted(folder.iterdir()):
        if path.name.startswith((".", "~$")) or path.is_dir():
            continue
        suffix = path.suffix.lower()
        if path.name == "review.yml":
            files.append(path)
            continue
        if suffix == ".csv":
            table = by_key.get(name_key(path.stem))
            files.append(path)
            if table is None:
                issues.append(_unknown_csv(path, by_key))
                continue
            part, found = read_csv_part(path, table, limits)
            issues += found
            if part is not None:
                parts[table].append(part)
        elif suffix in (".xlsx", ".xlsm"):
            files.append(path)
            got, found, _ = read_workbook(path, set(spec.tables), limits)
            issues += found
            for part in got:
                parts[part.table].append(part)
        elif suffix in (".xls", ".ods", ".txt", ".tsv"):
            issues.append(_issue(QUERY, "", path.name, None, None, None, path.name, "unknown_file",
                                 "only .csv files and .xlsx workbooks are read; save this file as one of those"))
    return parts, issues, files


# --------------------------------------------------------------------------- cells


def to_text(series: pd.Series) -> pd.Series:
    """Cell values as stripped text; Excel numbers without a spurious '.0'; blank -> NA."""
    def one(v):
        if v is None:
            return None
        if isinstance(v, float):
            if math.isnan(v):
                return None
            return str(int(v)) if v.is_integer() else repr(v)
        if isinstance(v, bool):
            return "TRUE" if v else "FALSE"
        if isinstance(v, (dt.datetime, dt.date)):
            date_only = not isinstance(v, dt.datetime) or v.time() == dt.time()
            return v.isoformat()[:10] if date_only else v.isoformat(sep=" ")
        text = str(v).strip()
        return text or None

    if series.dtype == object:
        out = series.map(one)
    else:
        stripped = _py_strip(series)
        out = stripped.where(stripped.notna() & stripped.ne(""), None)
    return out.astype(object)


#: The characters Python's str.strip() removes (str.isspace), which Arrow's own
#: whitespace trim does not quite match (it keeps U+001C..U+001F).
_PY_WHITESPACE = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())


def _py_strip(series: pd.Series) -> pd.Series:
    """``str.strip()`` of every cell of a text column, vectorised (Arrow), blank kept as ''."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(series.astype("str").array, type=pa.large_string()) if series.dtype != "str" \
        else pa.array(series.array)
    out = pc.utf8_trim(arr, characters=_PY_WHITESPACE)
    return pd.Series(pd.array(out.cast(pa.large_string()) if out.type != pa.large_string() else out,
                              dtype=pd.StringDtype("pyarrow", na_value=np.nan)), index=series.index)


_ISO = r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?(?:\.0+)?)?$"
_UK = r"^(\d{1,2})/(\d{1,2})/(\d{4})$"


def parse_dates(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse ISO (YYYY-MM-DD), UK (DD/MM/YYYY, D/M/YYYY) and Excel date cells.

    Returns the dates (NaT where blank or unreadable) and, for each unreadable
    non-blank cell, the rule it breaks: ``date``, or ``date_us_order`` for a
    value such as 12/25/2008 that is only a date in US month-first order.
    """
    is_cell = raw.map(lambda v: isinstance(v, (dt.date, dt.datetime)))
    text = to_text(raw.where(~is_cell, None)).astype("str")
    iso = text.str.extract(_ISO)
    uk = text.str.extract(_UK)
    year = iso[0].fillna(uk[2]).astype(float)
    month = iso[1].fillna(uk[1]).astype(float)
    day = iso[2].fillna(uk[0]).astype(float)
    parsed = pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": day}), errors="coerce")
    if is_cell.any():
        parsed = parsed.where(~is_cell, pd.to_datetime(raw.where(is_cell, None).map(
            lambda v: pd.Timestamp(v).normalize() if v is not None else pd.NaT), errors="coerce"))
    parsed, out_of_range = _within_range(parsed)
    nonblank = raw.map(lambda v: v is not None and not (isinstance(v, float) and math.isnan(v))
                       and not (isinstance(v, str) and not v.strip()))
    bad = nonblank & parsed.isna()
    rule = pd.Series(None, index=raw.index, dtype=object)
    rule[bad] = "date"
    us = bad & uk[1].notna() & (uk[1].astype(float) > 12) & (uk[0].astype(float) <= 12)
    rule[us] = "date_us_order"
    rule[out_of_range] = "date_range"
    return parsed, rule


_FIRST_DAY = pd.Timestamp.min.ceil("D")
_LAST_DAY = pd.Timestamp.max.floor("D")


def _within_range(parsed: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Dates as datetime64[ns]; a real date outside 1677-09-22 .. 2262-04-11 (a year such as
    9999 or 0001, never right in a review) becomes NaT and is flagged, instead of overflowing."""
    out = parsed.notna() & ~((parsed >= _FIRST_DAY) & (parsed <= _LAST_DAY))
    return parsed.where(~out).astype("datetime64[ns]"), out


def parse_months(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Months as YYYY-MM (or an Excel date cell), to the first day of the month."""
    is_cell = raw.map(lambda v: isinstance(v, (dt.date, dt.datetime)))
    text = to_text(raw.where(~is_cell, None)).astype("str")
    m = text.str.extract(r"^(\d{4})-(\d{1,2})$")
    parsed = pd.to_datetime(pd.DataFrame({"year": m[0].astype(float), "month": m[1].astype(float), "day": 1.0}),
                            errors="coerce")
    if is_cell.any():
        cells = raw.where(is_cell, None).map(
            lambda v: pd.Timestamp(v).to_period("M").to_timestamp() if v is not None else pd.NaT)
        parsed = parsed.where(~is_cell, pd.to_datetime(cells, errors="coerce"))
    parsed, out_of_range = _within_range(parsed)
    nonblank = to_text(raw).notna()
    rule = pd.Series(None, index=raw.index, dtype=object)
    rule[nonblank & parsed.isna()] = "month"
    rule[out_of_range] = "date_range"
    return parsed, rule


def parse_integers(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    # at most 15 digits: every such number is exact as a float, and none is a real count's size
    m = text.astype("str").str.fullmatch(r"[+-]?\d{1,15}(?:\.0+)?")
    values = pd.to_numeric(text.where(m.fillna(False), None), errors="coerce")
    rule = pd.Series(None, index=text.index, dtype=object)
    rule[text.notna() & values.isna()] = "integer"
    return values.round().astype("Int64"), rule


def parse_numbers(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    values = pd.to_numeric(text, errors="coerce").astype("float64")
    bad = text.notna() & (values.isna() | ~np.isfinite(values.fillna(0)))
    rule = pd.Series(None, index=text.index, dtype=object)
    rule[bad] = "number"
    return values.where(~bad), rule


def parse_codes(text: pd.Series, lookup: dict[str, str]) -> tuple[pd.Series, pd.Series]:
    folded = text.astype("str").str.strip().str.casefold().str.replace(r"\s+", " ", regex=True)
    codes = folded.map(lookup)
    rule = pd.Series(None, index=text.index, dtype=object)
    rule[text.notna() & codes.isna()] = "code"
    return codes.where(text.notna(), None).astype("str"), rule


_MESSAGES = {
    "date": "not a date: write YYYY-MM-DD or DD/MM/YYYY",
    "date_us_order": "reads only as a US month-first date; dates are day first (DD/MM/YYYY)",
    "month": "not a month: write YYYY-MM",
    "integer": "not a whole number (digits only, at most 15 of them)",
    "date_range": "the year is out of range (a date here must fall between 1678 and 2261); check the year",
    "number": "not a number",
    "excel_error": "an Excel error value; correct the formula or type the value",
}


# --------------------------------------------------------------------------- tables


def _misspelt(head: str, hmap: dict[str, str], spec: TableSpec, part: RawPart, issues: list[Issue]) -> str | None:
    """Report a header close to a contract column's name (with "did you mean"); return that column."""
    near = close_name(name_key(head), hmap)
    if near is None:
        return None
    issues.append(_issue(ERROR, spec.name, part.file, part.sheet, 1, head, head, "misspelt_column",
                         f"column {head!r} is not a column of {spec.name}; did you mean {hmap[near]!r}?"))
    return hmap[near]


def _is_blank(v) -> bool:
    """An empty cell: None, whitespace-only text or NaN."""
    return v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, float) and math.isnan(v))


def _columns_of(part: RawPart, spec: TableSpec, bank_ids: list[str] | None, issues: list[Issue]) -> dict[int, str]:
    """Map a part's positional columns to canonical names; report header problems."""
    hmap = spec.header_map()
    bank_by_fold = {fold(b): b for b in (bank_ids or [])}
    wide = spec.wide
    mapping: dict[int, str] = {}
    seen: dict[str, int] = {}
    meant: set[str] = set()  # columns a misspelt header was taken for: not also "missing"
    kind = "question" if wide and wide.bank == "questions" else "criterion"
    for pos, head in enumerate(part.header):
        folded = fold(head)
        if not folded:
            if part.frame[pos].map(_is_blank).all():
                continue
            issues.append(_issue(QUERY, spec.name, part.file, part.sheet, 1, f"(column {pos + 1})", None,
                                 "unnamed_column", "a column with values has no header and is ignored"))
            continue
        name = hmap.get(name_key(head))
        if name is None and wide is not None:
            name = bank_by_fold.get(folded)
            if name is None and bank_ids is not None:
                if (near := _misspelt(head, hmap, spec, part, issues)) is not None:
                    meant.add(near)
                    continue
                issues.append(_issue(ERROR, spec.name, part.file, part.sheet, 1, head, head, f"{kind}_not_in_bank",
                                     f"column {head!r} is not a {kind}_id of {wide.bank}"))
                continue
        if name is None:
            if wide is None:
                if (near := _misspelt(head, hmap, spec, part, issues)) is not None:
                    meant.add(near)
                    continue
                issues.append(_issue(QUERY, spec.name, part.file, part.sheet, 1, head, head, "unknown_column",
                                     f"column {head!r} is not in the contract for {spec.name} and is ignored"))
            continue
        if name in seen:
            issues.append(_issue(ERROR, spec.name, part.file, part.sheet, 1, head, head, "duplicate_column",
                                 f"column {name!r} appears twice (columns {seen[name] + 1} and {pos + 1})"))
            continue
        seen[name] = pos
        mapping[pos] = name
    for col in spec.columns.values():
        if col.required and col.name not in seen and col.name not in meant:
            issues.append(_issue(ERROR, spec.name, part.file, part.sheet, 1, col.name, None, "missing_column",
                                 f"required column {col.name!r} is missing"))
    if wide is not None and bank_ids is not None:
        for bid in bank_ids:
            if bid not in seen:
                issues.append(_issue(ERROR, spec.name, part.file, part.sheet, 1, bid, None, f"{kind}_missing_column",
                                     f"{wide.bank} has {kind} {bid!r} but {spec.name} has no column for it"))
    return mapping


def _is_blank_value(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and not v.strip())


def _blank_cells(col: pd.Series) -> np.ndarray:
    """True where a cell is blank (missing, or only spaces), decided once per distinct value."""
    if col.dtype == object:
        return np.fromiter((_is_blank_value(v) for v in col), dtype=bool, count=len(col))
    stripped = _py_strip(col)
    return (stripped.isna() | stripped.eq("")).to_numpy(dtype=bool)


def _as_objects(uniques) -> np.ndarray:
    """Distinct values of a factorised column as a numpy array of Python objects (fast for Arrow strings)."""
    return np.asarray(uniques.to_numpy(dtype=object), dtype=object)


def _blank_row_mask(frame: pd.DataFrame) -> pd.Series:
    mask = np.ones(len(frame), dtype=bool)
    for pos in frame.columns:
        if not mask.any():
            break
        mask &= _blank_cells(frame[pos])
    return pd.Series(mask, index=frame.index)


def _type_cells(values: pd.Series, kind: str, codes: str | None,
                spec_all: Contract) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Text, typed value and rule broken (None when readable) of each cell of one column."""
    text = to_text(values)
    excel_err = text.isin(EXCEL_ERRORS)
    no_rule = pd.Series(None, index=text.index, dtype=object)
    if kind == "date":
        parsed, rule = parse_dates(values.where(~excel_err, None))
    elif kind == "month":
        parsed, rule = parse_months(values.where(~excel_err, None))
    elif kind == "integer":
        parsed, rule = parse_integers(text.where(~excel_err, None))
    elif kind == "number":
        parsed, rule = parse_numbers(text.where(~excel_err, None))
    elif kind == "code":
        if codes is None:  # a wide column whose scale is unknown: reported on the bank
            parsed, rule = text.astype("str"), no_rule
        else:
            parsed, rule = parse_codes(text.where(~excel_err, None), spec_all.code_lookup(codes))
    else:
        parsed, rule = text.where(~excel_err, None).astype("str"), no_rule
    rule = rule.where(~excel_err, "excel_error")
    return text, parsed, rule


def _by_distinct_value(values: pd.Series, fn) -> tuple[pd.Series, ...]:
    """Apply a cell-by-cell function ``fn`` (Series -> Series, ...) once per distinct value.

    A column of a million audit rows holds a few thousand distinct dates and a
    handful of codes, so the per-cell Python work of reading them is done on
    those and spread back over the rows. Text columns (CSV) are factorised;
    object columns (workbook cells: str, float, int, bool, datetime side by
    side) are not, because factorising would merge True, 1 and 1.0.
    """
    if values.dtype == object:
        return fn(values)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    distinct = pd.Series(np.append(_as_objects(uniques), None), dtype=object)
    results = fn(distinct)
    take = np.where(codes < 0, len(uniques), codes)
    out = []
    for res in results:
        picked = res.take(take)
        picked.index = values.index
        out.append(picked)
    return tuple(out)


def build_table(spec: TableSpec, parts: list[RawPart], spec_all: Contract,
                bank: pd.DataFrame | None) -> tuple[pd.DataFrame | None, list[Issue]]:
    """Combine a table's parts into one typed frame with provenance columns."""
    issues: list[Issue] = []
    bank_ids = None
    code_of_wide: dict[str, str] = {}
    if spec.wide is not None and bank is not None:
        bank_ids = [b for b in bank[spec.wide.id_column].tolist() if isinstance(b, str)]
        if spec.wide.codes_from_column:
            for bid, scale in zip(bank[spec.wide.id_column], bank[spec.wide.codes_from_column]):
                if isinstance(bid, str) and isinstance(scale, str):
                    code_of_wide[bid] = scale
        else:
            code_of_wide = {b: spec.wide.codes for b in bank_ids}
    frames = []
    for part in parts:
        mapping = _columns_of(part, spec, bank_ids, issues)
        if any(i.rule in ("missing_column", "duplicate_column", "misspelt_column") and i.file == part.file
               and i.sheet == part.sheet for i in issues):
            continue  # rows cannot be read without their columns; the header error says why
        blank = _blank_row_mask(part.frame)
        if len(part.frame):
            last = np.flatnonzero(~blank.to_numpy())
            last = last[-1] if len(last) else -1
            for idx in np.flatnonzero(blank.to_numpy()):
                if idx < last:
                    issues.append(_issue(QUERY, spec.name, part.file, part.sheet, part.rows[idx], None, None,
                                         "blank_row", "the row is blank and is ignored"))
        keep = ~blank.to_numpy()
        sub = part.frame.loc[keep, list(mapping)].rename(columns=mapping)
        sub["_file"] = part.file
        sub["_sheet"] = part.sheet
        sub["_row"] = part.rows[keep]
        frames.append(sub)
    if not frames:
        return None, issues
    raw = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0].reset_index(drop=True)
    typed = pd.DataFrame(index=raw.index)
    columns = list(spec.columns.values())
    wide_cols = [b for b in (bank_ids or []) if b in raw.columns]
    names = [c.name for c in columns] + wide_cols
    unreadable: set[tuple[int, str]] = set()
    for name in names:
        col = spec.columns.get(name)
        if name not in raw.columns:
            typed[name] = empty_column(col.type if col else "code", len(raw))
            if col is not None and col.default is not None:
                typed[name] = col.default
            continue
        kind = col.type if col else "code"
        codes = (col.codes if col else code_of_wide.get(name)) if kind == "code" else None

        def typing(values, kind=kind, codes=codes):
            return _type_cells(values, kind, codes, spec_all)

        if kind == "text" or (kind == "code" and codes is None):
            text, parsed, rule = typing(raw[name])  # vectorised already: no per-value parsing
        else:
            text, parsed, rule = _by_distinct_value(raw[name], typing)
        for idx in np.flatnonzero(rule.notna().to_numpy()):
            r = rule.iloc[idx]
            unreadable.add((int(raw.index[idx]), name))
            if r == "code":
                allowed = ", ".join(spec_all.codes[codes])
                message = f"not a code of {codes}; use one of: {allowed}"
            else:
                message = _MESSAGES[r]
            issues.append(_issue(ERROR, spec.name, raw["_file"].iloc[idx], raw["_sheet"].iloc[idx],
                                 raw["_row"].iloc[idx], name, text.iloc[idx], r, message))
        if col is not None and col.default is not None:
            parsed = parsed.where(text.notna(), col.default)
        typed[name] = parsed
    for p in PROVENANCE:
        typed[p] = raw[p]
    typed.attrs["unreadable"] = unreadable  # cells already reported: no follow-on "required"
    return typed, issues


def read_review(folder: Path, spec: Contract | None = None, limits: LimitsParams | None = None
                ) -> tuple[dict, dict[str, pd.DataFrame], list[Issue], list[Path]]:
    """Read and type every table of a review folder; no cross-row rules yet."""
    spec = spec or contract()
    limits = limits or params().limits
    issues: list[Issue] = []
    if not folder.is_dir():
        return {}, {}, [_issue(ERROR, "review", str(folder.name), None, None, None, None, "missing_folder",
                               f"there is no review folder {folder}")], []
    meta, found = read_meta(folder, spec, limits)
    issues += found
    parts, found, files = discover(folder, spec, limits)
    issues += found
    tables: dict[str, pd.DataFrame] = {}
    for name in TABLE_ORDER:
        table_spec = spec.tables[name]
        if not parts[name]:
            continue
        bank = tables.get(table_spec.wide.bank) if table_spec.wide else None
        if table_spec.wide is not None and bank is None:
            bank_name = table_spec.wide.bank
            if parts[bank_name]:  # the bank is there but could not be read (its own errors say why)
                for part in parts[name]:
                    issues.append(_issue(ERROR, name, part.file, part.sheet, None, None, None, "bank_unreadable",
                                         f"{name} is not read because {bank_name} cannot be read; "
                                         f"correct the errors in {bank_name} first"))
            continue  # a missing bank is reported as a missing required table
        frame, found = build_table(table_spec, parts[name], spec, bank)
        issues += found
        if frame is not None:
            tables[name] = frame
    present = {n for n, p in parts.items() if p}
    for name in TABLE_ORDER:
        table_spec = spec.tables[name]
        required = table_spec.required_for(present, meta.get("kind"))
        if not parts[name]:
            if required:
                workbooks = [p.name for p in files if p.suffix.lower() in (".xlsx", ".xlsm")]
                csvs = [p for p in files if p.suffix.lower() == ".csv"]
                if workbooks and not csvs:
                    file, sheet, how = workbooks[0], name, f"the workbook has no sheet {name!r}"
                else:
                    file, sheet, how = f"{name}.csv", None, f"there is no {name}.csv (or sheet {name!r})"
                why = {"always": "always required"}.get(table_spec.required,
                                                        f"required ({table_spec.required.replace(':', ' ')})")
                issues.append(_issue(ERROR, name, file, sheet, None, None, None, "missing_table",
                                     f"table {name} is {why}: {how}"))
            continue
        frame = tables.get(name)
        if frame is not None and len(frame) == 0:
            part = parts[name][0]
            if required:
                issues.append(_issue(ERROR, name, part.file, part.sheet, None, None, None, "no_rows",
                                     f"table {name} has a header but no rows, and it is required"))
            else:
                issues.append(_issue(QUERY, name, part.file, part.sheet, None, None, None, "no_rows",
                                     f"table {name} has a header but no rows; the analyses that need it are skipped"))
            del tables[name]
    return meta, tables, issues, files


def load_review(review_id: str, folder: Path | None = None, *, strict: bool = True) -> Review:
    """Read, type and validate a review; raise ValidationFailed if it has any error."""
    from pipeline.validate import validate_tables

    folder = folder or raw_dir(review_id)
    meta, tables, issues, files = read_review(folder)
    issues += validate_tables(meta, tables)
    review = Review(review_id, folder, meta, tables, issues, files)
    if strict and any(i.severity == ERROR for i in issues):
        raise ValidationFailed(review_id, issues)
    return review
