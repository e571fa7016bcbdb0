"""The validated review as the analyses read it: ``data/processed/<id>/_tables/``.

After validation the typed tables are written once, one Parquet file per
contract table (an absent table is written with its columns and no rows, and
``review.json`` lists which tables the review has), so that

- each analysis stage depends on exactly the tables it reads (DVC hashes each
  file; a change to one raw table reruns only the stages whose snapshot bytes
  changed), and
- no analysis ever sees a personal or free-text column: case ids, auditors,
  comments and respondent roles are dropped here, before anything is analysed.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from pipeline.contract import TABLE_ORDER, contract
from pipeline.paths import processed_dir, raw_dir
from pipeline.review import Review, empty_column

TABLES_DIR = "_tables"
META_FILE = "review.json"
DATE_KEYS = ("census_date", "meeting_date")


def dropped_columns(table: str) -> list[str]:
    """Columns never carried past validation (personal data and free text)."""
    spec = contract().tables[table]
    return [c.name for c in spec.columns.values() if c.personal or c.free_text]


def write_snapshot(review: Review, out_dir: Path | None = None) -> Path:
    """Write the typed tables and settings of a validated review."""
    out = (out_dir or processed_dir(review.review_id)) / TABLES_DIR
    out.mkdir(parents=True, exist_ok=True)
    present = []
    for name in TABLE_ORDER:
        frame = review.table(name)
        if frame is None:
            frame = _empty_table(name)
        else:
            present.append(name)
        frame = frame.drop(columns=[c for c in dropped_columns(name) if c in frame.columns])
        tmp = out / f"{name}.parquet.tmp"
        frame.reset_index(drop=True).to_parquet(tmp, index=False)
        tmp.replace(out / f"{name}.parquet")
    meta = {k: (v.strftime("%Y-%m-%d") if isinstance(v, pd.Timestamp) else v) for k, v in review.meta.items()}
    doc = {"review_id": review.review_id, "meta": meta, "tables": present}
    tmp = out / (META_FILE + ".tmp")
    tmp.write_text(json.dumps(doc, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
    tmp.replace(out / META_FILE)
    return out


def _empty_table(name: str) -> pd.DataFrame:
    spec = contract().tables[name]
    return pd.DataFrame({c.name: empty_column(c.type, 0) for c in spec.columns.values()})


def open_review(review_id: str, tables: list[str] | None = None, base: Path | None = None) -> Review:
    """The validated review from its snapshot (only `tables` when given)."""
    folder = (base or processed_dir(review_id)) / TABLES_DIR
    path = folder / META_FILE
    if not path.exists():
        raise FileNotFoundError(
            f"{path} does not exist: validate the review first (python -m pipeline validate {review_id})")
    doc = json.loads(path.read_text(encoding="utf-8"))
    meta = dict(doc["meta"])
    for key in DATE_KEYS:
        if meta.get(key):
            meta[key] = pd.Timestamp(meta[key])
    wanted = [t for t in doc["tables"] if tables is None or t in tables]
    frames = {t: pd.read_parquet(folder / f"{t}.parquet") for t in wanted}
    return Review(review_id, raw_dir(review_id), meta, frames, [], [], present=tuple(doc["tables"]))
