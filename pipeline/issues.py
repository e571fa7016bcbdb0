"""Validation issues: what the pipeline tells the people who supply the data.

An *error* stops the build before any output is written; a *query* (warning)
is listed in the data-quality annex and the build goes on (data contract,
"Common rules"). Every issue names the file (and sheet), the row as Excel
shows it (header = row 1), the column, the value and the rule broken.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

# pandas and the writers are imported where they are used: the command line imports this
# module, and `python -m pipeline notebook` (every DVC stage) must start without pandas.

ISSUE_COLUMNS = ["severity", "table", "file", "sheet", "row", "column", "value", "rule", "message"]
ERROR = "error"
QUERY = "query"


@dataclass(frozen=True)
class Issue:
    severity: str
    table: str
    file: str
    sheet: str | None
    row: int | None
    column: str | None
    value: str | None
    rule: str
    message: str

    def where(self) -> str:
        place = self.file or "(review)"
        if self.sheet:
            place += f" [sheet {self.sheet}]"
        if self.row is not None:
            place += f", row {self.row}"
        if self.column:
            place += f", column {self.column}"
        return place


class ValidationFailed(Exception):
    """Raised when a review has errors; carries every issue found."""

    def __init__(self, review_id: str, issues: list[Issue]):
        self.review_id = review_id
        self.issues = issues
        errors = [i for i in issues if i.severity == ERROR]
        lines = [f"review {review_id!r} has {len(errors)} error(s):"]
        lines += [f"  {i.where()}: {i.message} (rule {i.rule}, value {i.value!r})" for i in errors[:20]]
        if len(errors) > 20:
            lines.append(f"  ... and {len(errors) - 20} more; see validation__issues.csv")
        super().__init__("\n".join(lines))


def issues_frame(issues: list[Issue]) -> pd.DataFrame:
    """Issues as a table in a stable order: errors first, then by file, sheet and row."""
    import pandas as pd

    frame = pd.DataFrame([asdict(i) for i in issues], columns=ISSUE_COLUMNS)
    if frame.empty:
        return frame
    frame["_sev"] = frame["severity"].map({ERROR: 0, QUERY: 1})
    frame["_row"] = frame["row"].fillna(0)
    frame = frame.sort_values(
        ["_sev", "file", "sheet", "_row", "column", "rule"], kind="stable", na_position="first"
    ).drop(columns=["_sev", "_row"])
    frame["row"] = frame["row"].astype("Int64")
    return frame.reset_index(drop=True)


def write_issues(issues: list[Issue], path: Path) -> None:
    """Write the issue report (CSV, UTF-8, LF line ends) atomically, by the shared CSV writer
    (a value that would run as a spreadsheet formula is written with a leading quote), and the
    same as .xlsx beside it (filters, frozen header; every text a text cell)."""
    frame = issues_frame(issues)
    from pipeline.issue_sheet import write_issues_xlsx, xlsx_path
    from pipeline.outputs import write_csv

    write_csv(frame, path)
    write_issues_xlsx(frame, xlsx_path(path))


def summarise(issues: list[Issue], review_id: str) -> str:
    """A short human summary for the terminal."""
    errors = [i for i in issues if i.severity == ERROR]
    queries = [i for i in issues if i.severity == QUERY]
    lines = [f"{review_id}: {len(errors)} error(s), {len(queries)} query(ies)"]
    for i in errors[:30]:
        lines.append(f"  ERROR {i.where()}: {i.message}")
    if len(errors) > 30:
        lines.append(f"  ... {len(errors) - 30} more errors")
    for i in queries[:15]:
        lines.append(f"  query {i.where()}: {i.message}")
    if len(queries) > 15:
        lines.append(f"  ... {len(queries) - 15} more queries")
    return "\n".join(lines)
