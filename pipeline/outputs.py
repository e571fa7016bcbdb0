"""Writing published tables: one deterministic CSV writer for every analysis.

Percentages stay unrounded (rounding is for the report); months are written
``YYYY-MM`` and dates ``YYYY-MM-DD``; line ends are LF; the file is written to a
temporary name and moved into place, so a reader never sees half a table.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

MONTH_COLUMNS = ("month", "period")


def _is_month(column: str) -> bool:
    return column in MONTH_COLUMNS or column.endswith("_month")


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write a published table; returns its path."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m" if _is_month(str(col)) else "%Y-%m-%d")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    out.to_csv(tmp, index=False, lineterminator="\n")
    tmp.replace(path)
    return path
