"""Plain working spreadsheets (the issue list, the returns tracker) written with openpyxl.

Every sheet is a table: a bold header row that stays frozen when scrolling,
an auto-filter on the header, and column widths that fit the longest value
(within bounds). Data is data: every text cell is written as a string cell
(``data_type = "s"``), so a value such as ``=HYPERLINK(...)`` from a returned
workbook stays the literal text it was and never becomes a formula. Numbers
stay numbers; blanks stay empty cells.
"""
from __future__ import annotations

import datetime as dt
import math
import os
import re
import tempfile
import zipfile
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

#: Column widths in characters: never narrower than MIN_WIDTH, never wider than MAX_WIDTH (then wrapped).
MIN_WIDTH = 8
MAX_WIDTH = 60
HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")


def _blank(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _set(cell, value) -> None:
    """Write one value: numbers as numbers, everything else as a literal string cell."""
    if _blank(value):
        return
    if isinstance(value, bool):
        cell.value = "yes" if value else "no"
        cell.data_type = "s"
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        cell.value = value
    elif hasattr(value, "item") and not isinstance(value, str):  # numpy scalar
        _set(cell, value.item())
    else:
        cell.value = str(value)
        cell.data_type = "s"  # never a formula, whatever the text starts with


def _text_len(value) -> int:
    if _blank(value):
        return 0
    return max((len(part) for part in str(value).splitlines()), default=0)


def add_table_sheet(wb: Workbook, title: str, frame: pd.DataFrame, headers: dict[str, str] | None = None,
                    empty_note: str = "None.") -> None:
    """Add ``frame`` as a sheet ``title``: frozen bold header, filters, fitted widths.

    ``headers`` renames columns for the reader. An empty frame gets its header
    and one row saying ``empty_note`` in the first column.
    """
    ws = wb.create_sheet(title=title[:31])
    names = [(headers or {}).get(c, c) for c in frame.columns]
    for j, name in enumerate(names, start=1):
        cell = ws.cell(row=1, column=j)
        _set(cell, name)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    rows = frame.astype(object).itertuples(index=False, name=None)
    count = 0
    for i, values in enumerate(rows, start=2):
        count += 1
        for j, value in enumerate(values, start=1):
            cell = ws.cell(row=i, column=j)
            _set(cell, value)
            cell.alignment = Alignment(vertical="top", wrap_text=_text_len(value) > MAX_WIDTH)
    if count == 0 and names:
        _set(ws.cell(row=2, column=1), empty_note)
    last = max(count, 1) + 1
    for j, col in enumerate(frame.columns, start=1):
        longest = max([_text_len(names[j - 1])] + [_text_len(v) for v in frame[col].tolist()])
        ws.column_dimensions[get_column_letter(j)].width = min(max(longest + 2, MIN_WIDTH), MAX_WIDTH)
    if names:
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = f"A1:{get_column_letter(len(names))}{last}"


def document_time() -> dt.datetime:
    """The date a workbook records: ``SOURCE_DATE_EPOCH`` when set (as for the papers), else 1 Jan 2000."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc) if epoch and epoch.isdigit() else \
        dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
    return when.replace(tzinfo=None)


_CORE_DATE = re.compile(r"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def make_reproducible(path: Path) -> None:
    """Rewrite an .xlsx so the same content gives the same bytes: fixed zip times and document dates.

    openpyxl stamps the save time into ``docProps/core.xml`` and the zip
    entries; the build's outputs must not depend on the clock.
    """
    when = document_time()
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(path) as z:
        entries = [(info, z.read(info.filename)) for info in z.infolist()]
    tmp = Path(str(path) + ".zip")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as out:
        for info, data in entries:
            if info.filename == "docProps/core.xml":
                data = _CORE_DATE.sub(lambda m: m.group(1) + stamp + m.group(3), data.decode("utf-8")).encode("utf-8")
            fixed = zipfile.ZipInfo(info.filename, date_time=(max(when.year, 1980), when.month, when.day,
                                                               when.hour, when.minute, when.second))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            out.writestr(fixed, data)
    os.replace(tmp, path)


def save_atomic(wb: Workbook, path: Path) -> Path:
    """Save ``wb`` to ``path`` through a temporary file in the same folder (no half-written workbook)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        wb.save(tmp)
        make_reproducible(Path(tmp))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def new_workbook() -> Workbook:
    """An empty workbook (its default sheet removed, so the first table is the first sheet)."""
    wb = Workbook()
    wb.remove(wb.active)
    return wb


def write_tables(path: Path, sheets: list[tuple[str, pd.DataFrame, dict[str, str] | None]]) -> Path:
    """One workbook of table sheets, saved atomically."""
    wb = new_workbook()
    for title, frame, headers in sheets:
        add_table_sheet(wb, title, frame, headers)
    return save_atomic(wb, path)
