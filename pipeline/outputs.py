"""Writing published tables: one deterministic CSV writer for every CSV the pipeline writes.

Percentages stay unrounded (rounding is for the report); months are written
``YYYY-MM`` and dates ``YYYY-MM-DD``; line ends are LF; the file is written to a
temporary name and moved into place, so a reader never sees half a table.

A spreadsheet program runs a cell that begins with ``=``, ``+``, ``-`` or ``@``
(and some read a leading tab or carriage return the same way) as a formula.
Every text cell so written, unless it is a number such as ``-3`` or ``+1.5``, is
written with a single quote in front (OWASP, "CSV injection"), so that a team
name or an issue's value is shown as the text it is and never runs.
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

MONTH_COLUMNS = ("month", "period")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def _is_month(column: str) -> bool:
    return column in MONTH_COLUMNS or column.endswith("_month")


def formula_like(value) -> bool:
    """Whether a spreadsheet would read this text as a formula (a number is not one)."""
    return (isinstance(value, str) and value.startswith(FORMULA_START)
            and _NUMBER.fullmatch(value) is None)


def neutralise_text(value):
    """A text cell as written to a CSV: formula-like text gets a leading single quote."""
    return "'" + value if formula_like(value) else value


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of a table whose text cells (and header) can never run as formulas."""
    out = frame.copy()
    for col in out.columns:
        series = out[col]
        if series.dtype == object or pd.api.types.is_string_dtype(series):
            text = series.astype(object)
            starts = text.map(formula_like)
            if starts.any():
                out[col] = text.where(~starts, "'" + text.where(starts, "").astype(str))
    out.columns = [neutralise_text(c) for c in out.columns]
    return out


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write a published table; returns its path."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m" if _is_month(str(col)) else "%Y-%m-%d")
    out = neutralise(out)
    # A lone carriage return is a line break that the CSV writer would not quote (it quotes
    # only its own line terminator, LF), so the row would split when read back: write it as LF.
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(lambda v: v.replace("\r\n", "\n").replace("\r", "\n") if isinstance(v, str) else v)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    out.to_csv(tmp, index=False, lineterminator="\n")
    tmp.replace(path)
    return path
