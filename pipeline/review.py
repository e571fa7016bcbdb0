"""A review as the analyses see it: settings, typed tables and the queries found."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.issues import Issue

PROVENANCE = ["_file", "_sheet", "_row"]


@dataclass
class Review:
    """A validated review: its settings, typed tables and the queries found."""

    review_id: str
    folder: Path
    meta: dict
    tables: dict[str, pd.DataFrame]
    issues: list[Issue] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    present: tuple[str, ...] = ()  # every table the review has (a snapshot may open only some)

    def __post_init__(self):
        if not self.present:
            self.present = tuple(self.tables)

    def table(self, name: str) -> pd.DataFrame | None:
        """The typed table without provenance columns, or None when absent."""
        frame = self.tables.get(name)
        if frame is None:
            return None
        out = frame.drop(columns=[c for c in PROVENANCE if c in frame.columns])
        out.attrs = {}
        return out

    @property
    def synthetic(self) -> bool:
        return bool(self.meta.get("synthetic", False))


def empty_column(kind: str, n: int) -> pd.Series:
    """An all-blank column of a contract type (date, month, integer, number, text or code)."""
    if kind in ("date", "month"):
        return pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
    if kind == "integer":
        return pd.Series(pd.NA, index=range(n), dtype="Int64")
    if kind == "number":
        return pd.Series(np.nan, index=range(n), dtype="float64")
    return pd.Series(None, index=range(n), dtype="str")
