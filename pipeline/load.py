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
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from pipeline.contract import TABLE_ORDER, Contract, TableSpec, contract, fold
from pipeline.issues import ERROR, QUERY, Issue, ValidationFailed
from pipeline.paths import raw_dir
from pipeline.review import PROVENANCE, Review, empty_column

EXCEL_ERRORS = {"#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#GETTING_DATA", "#SPILL!", "#CALC!"}
IGNORED_SHEETS = {"instructions", "lists", "readme", "notes"}


@dataclass
class RawPart:
    """One table's rows from one file (and sheet), as text, with Excel row numbers."""

    table: str
    file: str
    sheet: str | None
    header: list[str]
    frame: pd.DataFrame  # positional columns 0..k-1, object values (str or datetime)
    rows: np.ndarray  # Excel row number of each frame row


# --------------------------------------------------------------------------- files


def _issue(severity, table, file, sheet, row, column, value, rule, message) -> Issue:
    return Issue(severity, table, file, sheet, None if row is None else int(row),
                 None if column is None else str(column),
                 None if value is None else str(value), rule, message)


def _decode(data: bytes, name: str, table: str) -> tuple[str | None, list[Issue]]:
    """UTF-8 (with or without BOM) or Windows-1252, as Excel writes them."""
    if b"\x00" in data:
        row = data[: data.index(b"\x00")].count(b"\n") + 1
        return None, [_issue(ERROR, table, name, None, row, None, None, "encoding",
                             "the file contains NUL bytes (UTF-16 or a binary file?); save it as CSV UTF-8 or Windows-1252")]
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), []
    except UnicodeDecodeError as exc:
        row = data[: exc.start].count(b"\n") + 1
        return None, [_issue(ERROR, table, name, None, row, None, repr(data[exc.start:exc.start + 1]), "encoding",
                             "the file is neither UTF-8 nor Windows-1252; save it as CSV UTF-8")]


def _split_header(values: pd.DataFrame) -> tuple[list[str], pd.DataFrame, np.ndarray]:
    header = ["" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v).strip()
              for v in values.iloc[0].tolist()]
    body = values.iloc[1:].reset_index(drop=True)
    body.columns = range(body.shape[1])
    rows = np.arange(2, len(body) + 2)
    return header, body, rows


def read_csv_part(path: Path, table: str) -> tuple[RawPart | None, list[Issue]]:
    data = path.read_bytes()
    name = path.name
    if not data:
        return None, [_issue(ERROR, table, name, None, None, None, None, "empty_file",
                             "the file is empty (zero bytes); it needs at least a header row")]
    text, issues = _decode(data, name, table)
    if text is None:
        return None, issues
    if data.startswith(b"\xef\xbb\xbf"):
        utf8 = data[3:]
    else:
        try:
            data.decode("utf-8")
            utf8 = data
        except UnicodeDecodeError:
            utf8 = text.encode("utf-8")
    del data
    values = _read_csv_fast(utf8)
    del utf8
    if values is None:
        try:
            values = _read_csv_reference(text)
        except pd.errors.ParserError as exc:
            return None, [_issue(ERROR, table, name, None, None, None, None, "csv_format",
                                 f"the file cannot be read as CSV: {exc}")]
        except pd.errors.EmptyDataError:
            return None, [_issue(ERROR, table, name, None, None, None, None, "empty_file",
                                 "the file has no header row")]
    del text
    header, body, rows = _split_header(values)
    return RawPart(table, name, None, header, body, rows), issues


def _read_csv_reference(text: str) -> pd.DataFrame:
    """Every cell as text, header row included: pandas' C reader, the reference behaviour."""
    return pd.read_csv(io.StringIO(text), header=None, dtype=str, keep_default_na=False,
                       na_filter=False, skip_blank_lines=False, engine="c")


#: A CSV file whose quotes are all well formed (RFC 4180: a quoted field is the whole field,
#: a quote inside it doubled).
_FIELD = rb'(?:"(?:[^"]|"")*"|[^",\r\n]*)'
_RFC4180 = re.compile(rb"(?:%s(?:,%s)*(?:\r\n|\n|\r))*(?:%s(?:,%s)*)?" % ((_FIELD,) * 4))


def _read_csv_fast(utf8: bytes) -> pd.DataFrame | None:
    """The same frame as ``_read_csv_reference``, read by pyarrow (multi-threaded, no Python
    object per cell), or None when pyarrow cannot give exactly that (ragged rows, a stray
    quote): the caller then uses the reference reader, which reports or pads as it always has.

    A property test (tests/property) checks that the two agree whenever this one answers.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if not utf8.strip(b"\r\n") or utf8[:1] in (b"\r", b"\n"):
        return None  # no header on the first line: the reference reader decides what that means
    if b'"' in utf8 and _RFC4180.fullmatch(utf8) is None:
        return None  # a stray or open quote: the two readers disagree on those; use the reference
    first = utf8[: utf8.find(b"\n") if b"\n" in utf8[:1 << 20] else 1 << 20]
    width = first.count(b",") + first.count(b"\r") + 1
    try:
        table = pacsv.read_csv(
            io.BytesIO(utf8),
            read_options=pacsv.ReadOptions(autogenerate_column_names=True),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types={f"f{i}": pa.string() for i in range(width)},
                strings_can_be_null=False, quoted_strings_can_be_null=False, null_values=[]),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None
    if table.num_rows == 0 or any(not pa.types.is_string(t) for t in table.schema.types):
        return None
    frame = table.to_pandas()
    frame.columns = range(frame.shape[1])
    return frame


def read_workbook(path: Path, tables: set[str]) -> tuple[list[RawPart], list[Issue], set[str]]:
    """Every sheet named after a table, read in one opening of the workbook."""
    import openpyxl

    parts: list[RawPart] = []
    issues: list[Issue] = []
    name = path.name
    if path.stat().st_size == 0:
        return [], [_issue(ERROR, "", name, None, None, None, None, "empty_file", "the workbook is empty (zero bytes)")], set()
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook is one error
        return [], [_issue(ERROR, "", name, None, None, None, None, "workbook",
                           f"the workbook cannot be opened: {exc}")], set()
    seen: set[str] = set()
    try:
        for ws in wb.worksheets:
            sheet_key = fold(ws.title)
            table = next((t for t in tables if fold(t) == sheet_key), None)
            if table is None:
                if sheet_key not in IGNORED_SHEETS and not sheet_key.startswith("_"):
                    issues.append(_issue(QUERY, "", name, ws.title, None, None, ws.title, "unknown_sheet",
                                         "the sheet is not a table of the contract and is ignored"))
                continue
            seen.add(table)
            rows = [tuple(r) for r in ws.iter_rows(values_only=True)]
            while rows and all(v is None or (isinstance(v, str) and not v.strip()) for v in rows[-1]):
                rows.pop()
            if not rows:
                issues.append(_issue(ERROR, table, name, ws.title, None, None, None, "empty_file",
                                     "the sheet is empty; it needs at least a header row"))
                continue
            width = max(len(r) for r in rows)
            values = pd.DataFrame([list(r) + [None] * (width - len(r)) for r in rows], dtype=object)
            header, body, excel_rows = _split_header(values)
            parts.append(RawPart(table, name, ws.title, header, body, excel_rows))
    finally:
        wb.close()
    return parts, issues, seen


def discover(folder: Path, spec: Contract) -> tuple[dict[str, list[RawPart]], list[Issue], list[Path]]:
    """Read every table file of a review folder; each file is opened once."""
    parts: dict[str, list[RawPart]] = {t: [] for t in spec.tables}
    issues: list[Issue] = []
    files: list[Path] = []
    by_fold = {fold(t): t for t in spec.tables}
    for path in sorted(folder.iterdir()):
        if path.name.startswith((".", "~$")) or path.is_dir():
            continue
        suffix = path.suffix.lower()
        if path.name == "review.yml":
            files.append(path)
            continue
        if suffix == ".csv":
            table = by_fold.get(fold(path.stem))
            files.append(path)
            if table is None:
                issues.append(_issue(QUERY, "", path.name, None, None, None, path.name, "unknown_file",
                                     "the file is not a table of the contract and is ignored"))
                continue
            part, found = read_csv_part(path, table)
            issues += found
            if part is not None:
                parts[table].append(part)
        elif suffix in (".xlsx", ".xlsm"):
            files.append(path)
            got, found, _ = read_workbook(path, set(spec.tables))
            issues += found
            for part in got:
                parts[part.table].append(part)
        elif suffix in (".xls", ".ods", ".txt", ".tsv"):
            issues.append(_issue(QUERY, "", path.name, None, None, None, path.name, "unknown_file",
                                 "only .csv files and .xlsx workbooks are read; save this file as one of those"))
    return parts, issues, files


# --------------------------------------------------------------------------- review.yml


def _parse_scalar_date(value) -> pd.Timestamp | None:
    if isinstance(value, (dt.date, dt.datetime)):
        return pd.Timestamp(value)
    parsed, _ = parse_dates(pd.Series([value], dtype=object))
    return None if pd.isna(parsed.iloc[0]) else parsed.iloc[0]


def read_meta(folder: Path, spec: Contract) -> tuple[dict, list[Issue]]:
    """Read and check review.yml against the contract's list of keys."""
    path = folder / "review.yml"
    t = "review"
    if not path.exists():
        return {}, [_issue(ERROR, t, "review.yml", None, None, None, None, "missing_file",
                           "the review folder has no review.yml")]
    try:
        meta = yaml.safe_load(path.read_text(encoding="utf-8-sig")) or {}
    except (yaml.YAMLError, UnicodeDecodeError, ValueError) as exc:  # ValueError: an impossible date
        return {}, [_issue(ERROR, t, "review.yml", None, None, None, None, "yaml", f"review.yml cannot be read: {exc}")]
    if not isinstance(meta, dict):
        return {}, [_issue(ERROR, t, "review.yml", None, None, None, None, "yaml", "review.yml must be a set of key: value lines")]
    issues: list[Issue] = []
    out: dict = {}
    kind = meta.get("kind")
    for key, rule in spec.review_keys.items():
        value = meta.get(key)
        required = rule.get("required") or rule.get("required_for_kind") == kind
        if value is None or value == "":
            if required:
                issues.append(_issue(ERROR, t, "review.yml", None, None, key, None, "required",
                                     f"review.yml must give {key}"))
            continue
        kind_of = rule["type"]
        if kind_of == "date":
            parsed = _parse_scalar_date(value)
            if parsed is None:
                issues.append(_issue(ERROR, t, "review.yml", None, None, key, value, "date",
                                     f"{key} must be a date (YYYY-MM-DD or DD/MM/YYYY)"))
                continue
            value = parsed
        elif kind_of == "code":
            code = spec.code_lookup(rule["codes"]).get(fold(value))
            if code is None:
                issues.append(_issue(ERROR, t, "review.yml", None, None, key, value, "code",
                                     f"{key} must be one of {', '.join(spec.codes[rule['codes']])}"))
                continue
            value = code
        elif kind_of == "integer":
            if isinstance(value, bool) or not isinstance(value, int) or value < rule.get("min", -math.inf) or value > rule.get("max", math.inf):
                issues.append(_issue(ERROR, t, "review.yml", None, None, key, value, "integer",
                                     f"{key} must be a whole number in range"))
                continue
        elif kind_of == "bool":
            if not isinstance(value, bool):
                issues.append(_issue(ERROR, t, "review.yml", None, None, key, value, "bool", f"{key} must be true or false"))
                continue
        elif kind_of == "list":
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or any(isinstance(v, (list, dict)) for v in value):
                issues.append(_issue(ERROR, t, "review.yml", None, None, key, value, "list",
                                     f"{key} must be a list of review ids, e.g. [review-2010, review-2011]"))
                continue
            value = [str(v) for v in value]
        else:
            value = str(value)
        out[key] = value
    for key in meta:
        if key not in spec.review_keys:
            issues.append(_issue(QUERY, t, "review.yml", None, None, key, None, "unknown_key",
                                 f"review.yml key {key!r} is not in the contract and is ignored"))
    if "review_id" in out and out["review_id"] != folder.name:
        issues.append(_issue(ERROR, t, "review.yml", None, None, "review_id", out["review_id"], "review_id",
                             f"review_id must equal the folder name {folder.name!r}"))
    out.setdefault("synthetic", False)
    out.setdefault("previous_reviews", [])
    return out, issues


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
            return v.isoformat()[:10] if not isinstance(v, dt.datetime) or v.time() == dt.time() else v.isoformat(sep=" ")
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
        cells = raw.where(is_cell, None).map(lambda v: pd.Timestamp(v).to_period("M").to_timestamp() if v is not None else pd.NaT)
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


def _columns_of(part: RawPart, spec: TableSpec, bank_ids: list[str] | None, issues: list[Issue]) -> dict[int, str]:
    """Map a part's positional columns to canonical names; report header problems."""
    hmap = spec.header_map()
    bank_by_fold = {fold(b): b for b in (bank_ids or [])}
    wide = spec.wide
    mapping: dict[int, str] = {}
    seen: dict[str, int] = {}
    kind = "question" if wide and wide.bank == "questions" else "criterion"
    for pos, head in enumerate(part.header):
        folded = fold(head)
        if not folded:
            if part.frame[pos].map(lambda v: v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, float) and math.isnan(v))).all():
                continue
            issues.append(_issue(QUERY, spec.name, part.file, part.sheet, 1, f"(column {pos + 1})", None,
                                 "unnamed_column", "a column with values has no header and is ignored"))
            continue
        name = hmap.get(folded)
        if name is None and wide is not None:
            name = bank_by_fold.get(folded)
            if name is None and bank_ids is not None:
                issues.append(_issue(ERROR, spec.name, part.file, part.sheet, 1, head, head, f"{kind}_not_in_bank",
                                     f"column {head!r} is not a {kind}_id of {wide.bank}"))
                continue
        if name is None:
            if wide is None:
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
        if col.required and col.name not in seen:
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
        if any(i.rule in ("missing_column", "duplicate_column") and i.file == part.file and i.sheet == part.sheet
               for i in issues):
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
        typing = (lambda values: _type_cells(values, kind, codes, spec_all))
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


def read_review(folder: Path, spec: Contract | None = None) -> tuple[dict, dict[str, pd.DataFrame], list[Issue], list[Path]]:
    """Read and type every table of a review folder; no cross-row rules yet."""
    spec = spec or contract()
    issues: list[Issue] = []
    if not folder.is_dir():
        return {}, {}, [_issue(ERROR, "review", str(folder.name), None, None, None, None, "missing_folder",
                               f"there is no review folder {folder}")], []
    meta, found = read_meta(folder, spec)
    issues += found
    parts, found, files = discover(folder, spec)
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
                why = {"always": "always required"}.get(table_spec.required, f"required ({table_spec.required.replace(':', ' ')})")
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
