"""``validation__issues.xlsx``: the issue list as a workbook a data supplier can filter.

Written beside ``validation__issues.csv`` with the same rows and columns
(severity first, errors before queries): a frozen header, a filter on every
column and widths that fit. Each value a supplier typed (``value``) and every
other text cell is a string cell, never a formula (:mod:`pipeline.xlsx`).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.xlsx import write_tables

SHEET = "issues"


def xlsx_path(csv_path: Path) -> Path:
    """The workbook beside an issue CSV: same name, ``.xlsx``."""
    return Path(csv_path).with_suffix(".xlsx")


def write_issues_xlsx(frame: pd.DataFrame, path: Path) -> Path:
    """Write the issue table (``issues.issues_frame``) as one sheet ``issues``, atomically."""
    return write_tables(path, [(SHEET, frame, None)])
