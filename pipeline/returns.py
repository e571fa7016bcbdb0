"""The returns tracker: which sampled cases have come back from the auditors.

``python -m pipeline returns <review_id>`` compares the sample list
(``sample/sample__cases.csv``) with the completed case-audit returns in
``data/raw/<review_id>/`` and writes ``sample/returns__tracker.xlsx`` for the
audit lead, with one sheet each for

- the sampled cases not yet returned;
- the returned cases that are not in the sample;
- the cases returned more than once (by two auditors, or in two files), one
  row per return, so the lead can see which to keep;
- the returns per auditor.

The returns are read with the loader (:func:`pipeline.load.read_review`) but
not validated: for validation a case entered twice is an error that stops the
build, for the tracker it is a row to show. The workbook holds case ids and
auditors' names, so it is written beside the sample list (an operational
folder never committed and never reported), and never anywhere else.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.sample import read_sample_cases, sample_dir
from pipeline.xlsx import write_tables

TRACKER_FILE = "returns__tracker.xlsx"
NO_AUDITOR = "(no auditor given)"
NO_CASE = "(no case id)"
HEADERS = {"case_id": "Case id", "team_id": "Team", "area": "Area", "team_type": "Team type",
           "stratum": "Stratum", "is_certainty": "High risk (taken in full)", "auditor": "Auditor",
           "file": "File", "sheet": "Sheet", "row": "Row", "returns_n": "Returns", "cases_n": "Cases",
           "in_sample_n": "In the sample", "not_in_sample_n": "Not in the sample",
           "twice_n": "Cases also returned elsewhere", "measure": "Measure", "n": "Number"}


#: Loader rules meaning that a returned file or sheet could not be read at all (its rows are missing).
UNREAD_RULES = ("missing_column", "duplicate_column", "bank_unreadable", "empty_file", "encoding", "csv_format",
                "workbook")


@dataclass(frozen=True)
class Tracker:
    outstanding: pd.DataFrame   # sampled cases not yet returned (the sample's columns)
    not_sampled: pd.DataFrame   # returns whose case is not in the sample
    twice: pd.DataFrame         # every return of a case returned more than once
    by_auditor: pd.DataFrame    # returns per auditor
    summary: pd.DataFrame       # measure, n


def read_returns(folder: Path) -> tuple[pd.DataFrame, list]:
    """Every case-audit return in a review folder: case_id, team_id, auditor, file, sheet, row.

    Rows are kept whatever validation would say of them (duplicates included);
    an empty frame when the folder has no case_audit table yet. Also returns
    the loader's issues that mean some returned rows could not be read.
    """
    from pipeline.load import read_review

    _, tables, issues, _ = read_review(Path(folder))
    unread = [i for i in issues if i.severity == "error" and (
        (i.rule in UNREAD_RULES and i.table in ("case_audit", ""))
        or (i.table, i.rule) == ("audit_criteria", "missing_table"))]
    frame = tables.get("case_audit")
    cols = ["case_id", "team_id", "auditor", "file", "sheet", "row"]
    if frame is None:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols}), unread
    out = pd.DataFrame({
        "case_id": frame["case_id"].astype(object).where(frame["case_id"].notna(), NO_CASE),
        "team_id": frame["team_id"].astype(object),
        "auditor": frame["auditor"].astype(object).where(frame["auditor"].notna(), NO_AUDITOR),
        "file": frame["_file"].astype(object), "sheet": frame["_sheet"].astype(object),
        "row": frame["_row"].astype("int64"),
    })
    return out.sort_values(["case_id", "file", "row"], kind="stable").reset_index(drop=True), unread


def track(sample: pd.DataFrame, returns: pd.DataFrame) -> Tracker:
    """Compare the sample list with the returns (see the module docstring for the four views)."""
    sampled = set(sample["case_id"])
    returned = set(returns["case_id"])
    outstanding = sample[~sample["case_id"].isin(returned)].reset_index(drop=True)
    not_sampled = returns[~returns["case_id"].isin(sampled)].reset_index(drop=True)
    counts = returns["case_id"].value_counts()
    repeated = set(counts[counts > 1].index) - {NO_CASE}
    twice = returns[returns["case_id"].isin(repeated)].reset_index(drop=True)
    rows = []
    for auditor, g in returns.groupby("auditor", sort=True):
        rows.append({"auditor": auditor, "returns_n": len(g), "cases_n": g["case_id"].nunique(),
                     "in_sample_n": int(g["case_id"].isin(sampled).sum()),
                     "not_in_sample_n": int((~g["case_id"].isin(sampled)).sum()),
                     "twice_n": int(g["case_id"].isin(repeated).sum())})
    by_auditor = pd.DataFrame(rows, columns=["auditor", "returns_n", "cases_n", "in_sample_n", "not_in_sample_n",
                                             "twice_n"])
    summary = pd.DataFrame([
        ("Cases in the sample", len(sampled)),
        ("Sampled cases returned", len(sampled & returned)),
        ("Sampled cases not yet returned", len(outstanding)),
        ("Returns received (rows)", len(returns)),
        ("Returns of cases not in the sample", len(not_sampled)),
        ("Cases returned more than once", len(repeated)),
        ("Auditors", len(by_auditor)),
    ], columns=["measure", "n"])
    return Tracker(outstanding, not_sampled, twice, by_auditor, summary)


def write_tracker(tracker: Tracker, path: Path) -> Path:
    """The tracker as a workbook: a summary sheet, then one sheet per view (atomically)."""
    return write_tables(Path(path), [
        ("Summary", tracker.summary, HEADERS),
        ("Not yet returned", tracker.outstanding, HEADERS),
        ("Not in the sample", tracker.not_sampled, HEADERS),
        ("Returned twice", tracker.twice, HEADERS),
        ("By auditor", tracker.by_auditor, HEADERS),
    ])


def run(review_id: str, folder: Path) -> tuple[Tracker, Path, list]:
    """Build and write the tracker of a review; LookupError when no sample has been drawn.

    Returns the tracker, the workbook's path and the loader's issues about
    returned files or sheets that could not be read (their rows are missing).
    """
    sample = read_sample_cases(review_id)
    if sample is None:
        raise LookupError(f"review {review_id!r} has no sample yet: draw one first with "
                          f"`python -m pipeline sample {review_id}`")
    sample = sample.assign(is_certainty=sample["is_certainty"].map({"True": "yes", "False": "no"}))
    returns, unread = read_returns(folder)
    tracker = track(sample, returns)
    return tracker, write_tracker(tracker, sample_dir(review_id) / TRACKER_FILE), unread


def summary_lines(tracker: Tracker) -> list[str]:
    """The summary sheet as terminal lines (counts only, no case id)."""
    return [f"  {m}: {n:,}" for m, n in zip(tracker.summary["measure"], tracker.summary["n"])]
