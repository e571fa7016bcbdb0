"""Read the files of a review folder into raw parts, within the limits of ``params.yaml``.

A CSV file or a workbook sheet becomes a ``RawPart``: its header and its rows
as text (or Excel cell values), each with the row number Excel shows. Nothing
is typed here; ``pipeline.load`` maps headers and types cells.

Every file is measured before it is parsed (``limits:`` in ``params.yaml``):
its size, a workbook's unzipped size and the rows of each of its sheets (read
from the zip members, so a sheet without a ``<dimension>`` cannot run without
bound), the columns of a header and the length of a cell. A file beyond a limit
is one error naming the file, the limit and its value, and is not read further.
"""
from __future__ import annotations

import csv
import difflib
import io
import math
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.contract import name_key
from pipeline.issues import ERROR, QUERY, Issue
from pipeline.params import LimitsParams

IGNORED_SHEETS = {"instructions", "lists", "readme", "notes"}
MB = 1 << 20
HEADER_CHARS = 1 << 24  # the header is measured within the file's first 16 M characters


@dataclass
class RawPart:
    """One table's rows from one file (and sheet), as text, with Excel row numbers."""

    table: str
    file: str
    sheet: str | None
    header: list[str]
    frame: pd.DataFrame  # positional columns 0..k-1, object values (str or datetime)
    rows: np.ndarray  # Excel row number of each frame row


def issue(severity, table, file, sheet, row, column, value, rule, message) -> Issue:
    return Issue(severity, table, file, sheet, None if row is None else int(row),
                 None if column is None else str(column),
                 None if value is None else str(value), rule, message)


def limit_issue(table: str, file: str, sheet: str | None, limit: str, value, what: str,
                row: int | None = None, column: str | None = None) -> Issue:
    """An input beyond one of the limits: the file, the limit and its value."""
    return issue(ERROR, table, file, sheet, row, column, None, f"limit_{limit}",
                 f"{what}, more than the limit limits.{limit} = {value:,} in params.yaml; "
                 "the file is not read")


def close_name(key: str, names) -> str | None:
    """The contract name a misspelt sheet, file or column most likely means, if any is close."""
    found = difflib.get_close_matches(key, list(names), n=1, cutoff=0.8)
    return found[0] if found else None


def too_big(path: Path, table: str, limits: LimitsParams) -> Issue | None:
    size = path.stat().st_size
    if size > limits.max_file_mb * MB:
        return limit_issue(table, path.name, None, "max_file_mb", limits.max_file_mb,
                           f"the file is {size / MB:,.0f} MB")
    return None


# --------------------------------------------------------------------------- CSV


def _decode(data: bytes, name: str, table: str) -> tuple[str | None, list[Issue]]:
    """UTF-8 (with or without BOM) or Windows-1252, as Excel writes them; a mix of the two line by line."""
    if b"\x00" in data:
        row = data[: data.index(b"\x00")].count(b"\n") + 1
        return None, [issue(ERROR, table, name, None, row, None, None, "encoding",
                            "the file contains NUL bytes (UTF-16 or a binary file?); "
                            "save it as CSV UTF-8 or Windows-1252")]
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    return _decode_lines(data.removeprefix(b"\xef\xbb\xbf"), name, table)


def _decode_lines(data: bytes, name: str, table: str) -> tuple[str | None, list[Issue]]:
    """Each line as UTF-8 when it is valid UTF-8, else as Windows-1252; a mix is a query naming the row."""
    out: list[str] = []
    utf8_rows: list[int] = []
    cp_rows: list[int] = []
    for row, line in enumerate(data.splitlines(keepends=True), start=1):
        if line.isascii():
            out.append(line.decode("ascii"))
            continue
        try:
            out.append(line.decode("utf-8"))
            utf8_rows.append(row)
            continue
        except UnicodeDecodeError:
            pass
        try:
            out.append(line.decode("cp1252"))
            cp_rows.append(row)
        except UnicodeDecodeError as exc:
            return None, [issue(ERROR, table, name, None, row, None, repr(line[exc.start:exc.start + 1]), "encoding",
                                "the file is neither UTF-8 nor Windows-1252; save it as CSV UTF-8")]
    issues = []
    if utf8_rows and cp_rows:
        issues.append(issue(QUERY, table, name, None, cp_rows[0], None, None, "mixed_encoding",
                            f"the file mixes UTF-8 and Windows-1252 text: {len(cp_rows):,} line(s) read as "
                            f"Windows-1252, the first on row {cp_rows[0]}, the others as UTF-8; check their "
                            "accented characters and save the file as CSV UTF-8"))
    return "".join(out), issues


def split_header(values: pd.DataFrame) -> tuple[list[str], pd.DataFrame, np.ndarray]:
    header = ["" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v).strip()
              for v in values.iloc[0].tolist()]
    body = values.iloc[1:].reset_index(drop=True)
    body.columns = range(body.shape[1])
    rows = np.arange(2, len(body) + 2)
    return header, body, rows


def _header_width(text: str) -> int:
    """The number of fields of the first record (quotes respected), read without the rest of the file."""
    try:
        return len(next(csv.reader(io.StringIO(text[:HEADER_CHARS])), []))
    except csv.Error:  # e.g. a field longer than the csv module allows: the CSV reader decides
        return 0


def _csv_limits(data: bytes, text: str, name: str, table: str, limits: LimitsParams) -> Issue | None:
    """The CSV limits that can be checked before parsing: columns of the header, rows."""
    width = _header_width(text)
    if width > limits.max_columns:
        return limit_issue(table, name, None, "max_columns", limits.max_columns,
                           f"the header has {width:,} columns", row=1)
    if b'"' not in data:  # no quoted line ends: every line end ends a record
        lines = max(data.count(b"\n"), data.count(b"\r"))
        if lines > limits.max_rows + 1:
            return limit_issue(table, name, None, "max_rows", limits.max_rows, f"the file has {lines - 1:,} rows")
    return None


def _long_cell(frame: pd.DataFrame, header: list[str], rows: np.ndarray, part: tuple[str, str, str | None],
               limits: LimitsParams) -> Issue | None:
    """The first cell longer than limits.max_cell_chars, as an error, or None."""
    table, file, sheet = part
    for pos in frame.columns:
        col = frame[pos]
        lengths = (col.str.len() if col.dtype != object
                   else col.map(lambda v: len(v) if isinstance(v, str) else 0))
        over = np.flatnonzero(lengths.fillna(0).to_numpy() > limits.max_cell_chars)
        if len(over):
            column = header[pos] if pos < len(header) and header[pos] else f"(column {pos + 1})"
            return limit_issue(table, file, sheet, "max_cell_chars", limits.max_cell_chars,
                               f"a cell has {int(lengths.iloc[over[0]]):,} characters",
                               row=rows[over[0]], column=column)
    return None


def read_csv_part(path: Path, table: str, limits: LimitsParams) -> tuple[RawPart | None, list[Issue]]:
    name = path.name
    big = too_big(path, table, limits)
    if big is not None:
        return None, [big]
    data = path.read_bytes()
    if not data:
        return None, [issue(ERROR, table, name, None, None, None, None, "empty_file",
                            "the file is empty (zero bytes); it needs at least a header row")]
    text, issues = _decode(data, name, table)
    if text is None:
        return None, issues
    over = _csv_limits(data, text, name, table, limits)
    if over is not None:
        return None, [over]
    long_possible = len(data) > limits.max_cell_chars
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
            return None, [issue(ERROR, table, name, None, None, None, None, "csv_format",
                                f"the file cannot be read as CSV: {exc}")]
        except pd.errors.EmptyDataError:
            return None, [issue(ERROR, table, name, None, None, None, None, "empty_file",
                                "the file has no header row")]
    del text
    if len(values) > limits.max_rows + 1:
        return None, [limit_issue(table, name, None, "max_rows", limits.max_rows,
                                  f"the file has {len(values) - 1:,} rows")]
    header, body, rows = split_header(values)
    if long_possible:
        long = _long_cell(values, header, np.arange(1, len(values) + 1), (table, name, None), limits)
        if long is not None:
            return None, [long]
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

    Quoted fields may hold CR, LF or CRLF (``newlines_in_values``): such a record is one row.
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


# --------------------------------------------------------------------------- workbooks

_ROW_TAG = re.compile(rb"<(?:\w{1,16}:)?row[\s>/]")


def _count_rows(member) -> int:
    """The number of ``<row>`` elements of a sheet's XML, read as a stream (never whole)."""
    count, tail = 0, b""
    while chunk := member.read(4 * MB):
        buf = tail + chunk
        keep = min(len(buf), 24)
        count += sum(1 for m in _ROW_TAG.finditer(buf) if m.start() < len(buf) - keep)
        tail = buf[len(buf) - keep:]
    return count + len(_ROW_TAG.findall(tail))


def workbook_limits(path: Path, limits: LimitsParams) -> Issue | None:
    """The limits a workbook must meet before it is parsed: file size, unzipped size, rows of each sheet."""
    name = path.name
    big = too_big(path, "", limits)
    if big is not None:
        return big
    try:
        with zipfile.ZipFile(path) as zf:
            members = zf.infolist()
            unzipped = sum(m.file_size for m in members)
            if unzipped > limits.max_xlsx_uncompressed_mb * MB:
                return limit_issue("", name, None, "max_xlsx_uncompressed_mb", limits.max_xlsx_uncompressed_mb,
                                   f"the workbook unzips to {unzipped / MB:,.0f} MB")
            for m in members:
                if m.filename.startswith("xl/worksheets/") and m.filename.endswith(".xml"):
                    with zf.open(m) as member:
                        rows = _count_rows(member)
                    if rows > limits.max_rows + 1:
                        return limit_issue("", name, None, "max_rows", limits.max_rows,
                                           f"a sheet ({m.filename}) has {rows - 1:,} rows")
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return None  # not a readable zip: openpyxl's own error says so
    return None


def _sheet_rows(ws, table: str, file: str, limits: LimitsParams) -> tuple[list[tuple], Issue | None]:
    """The rows of a sheet (trailing blank cells dropped), stopping at the first limit passed."""
    ws.reset_dimensions()  # a declared <dimension> is not trusted: rows are read as they are
    rows: list[tuple] = []
    for r in ws.iter_rows(values_only=True):
        end = len(r)
        while end and r[end - 1] is None:
            end -= 1
        r = r[:end]
        if len(rows) > limits.max_rows:
            return [], limit_issue(table, file, ws.title, "max_rows", limits.max_rows,
                                   f"the sheet has more than {limits.max_rows:,} rows")
        if len(r) > limits.max_columns:
            return [], limit_issue(table, file, ws.title, "max_columns", limits.max_columns,
                                   f"row {len(rows) + 1} has {len(r):,} columns", row=len(rows) + 1)
        rows.append(r)
    return rows, None


def _match_sheet(title: str, tables: set[str]) -> tuple[str | None, str | None]:
    """The table a sheet holds (its name normalised), else the table its name is close to, if any."""
    key = name_key(title)
    by_key = {name_key(t): t for t in tables}
    if key in by_key:
        return by_key[key], None
    near = close_name(key, by_key)
    return None, (by_key[near] if near is not None else None)


def read_workbook(path: Path, tables: set[str], limits: LimitsParams) -> tuple[list[RawPart], list[Issue], set[str]]:
    """Every sheet named after a table, read in one opening of the workbook."""
    import openpyxl

    name = path.name
    if path.stat().st_size == 0:
        return [], [issue(ERROR, "", name, None, None, None, None, "empty_file",
                          "the workbook is empty (zero bytes)")], set()
    over = workbook_limits(path, limits)
    if over is not None:
        return [], [over], set()
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook is one error
        return [], [issue(ERROR, "", name, None, None, None, None, "workbook",
                          f"the workbook cannot be opened: {exc}")], set()
    parts: list[RawPart] = []
    issues: list[Issue] = []
    seen: set[str] = set()
    try:
        for ws in wb.worksheets:
            table, near = _match_sheet(ws.title, tables)
            if table is None:
                issues.append(_unmatched_sheet(name, ws.title, near))
                continue
            seen.add(table)
            part, found = _read_sheet(ws, table, name, limits)
            issues += found
            if part is not None:
                parts.append(part)
    finally:
        wb.close()
    return parts, [i for i in issues if i is not None], seen


def _unmatched_sheet(file: str, title: str, near: str | None) -> Issue | None:
    """A sheet that is no table: ignored quietly (instructions, lists), an error when its name is
    close to a table's, else a query naming it."""
    key = name_key(title)
    if key.strip("_") in IGNORED_SHEETS or key.startswith("_"):
        return None
    if near is not None:
        return issue(ERROR, near, file, title, None, None, title, "misspelt_sheet",
                     f"the sheet {title!r} is not a table of the contract; did you mean {near!r}?")
    return issue(QUERY, "", file, title, None, None, title, "unknown_sheet",
                 "the sheet is not a table of the contract and is ignored")


def _read_sheet(ws, table: str, file: str, limits: LimitsParams) -> tuple[RawPart | None, list[Issue]]:
    rows, over = _sheet_rows(ws, table, file, limits)
    if over is not None:
        return None, [over]
    while rows and all(v is None or (isinstance(v, str) and not v.strip()) for v in rows[-1]):
        rows.pop()
    if not rows:
        return None, [issue(ERROR, table, file, ws.title, None, None, None, "empty_file",
                            "the sheet is empty; it needs at least a header row")]
    width = max(len(r) for r in rows)
    values = pd.DataFrame([list(r) + [None] * (width - len(r)) for r in rows], dtype=object)
    header, body, excel_rows = split_header(values)
    long = _long_cell(values, header, np.arange(1, len(values) + 1), (table, file, ws.title), limits)
    if long is not None:
        return None, [long]
    return RawPart(table, file, ws.title, header, body, excel_rows), []
