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

import hashlib
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


# ------------------------------------------------------------------ snapshot ids

class SnapshotMismatch(RuntimeError):
    """Stage outputs that were not all made from the review's current snapshot."""


def snapshot_hashes(review_id: str, base: Path | None = None) -> dict[str, str]:
    """SHA-256 of each snapshot file (``<table>.parquet`` and ``review.json``), by file name.

    The provenance annex takes its hashes from here: they are the bytes the
    analyses read, not the raw files at render time."""
    folder = (base or processed_dir(review_id)) / TABLES_DIR
    files = sorted(folder.glob("*.parquet")) + [folder / META_FILE]
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files if p.is_file()}


def snapshot_id(review_id: str, base: Path | None = None) -> str:
    """One id for the whole snapshot: a hash of every snapshot file's hash."""
    return _digest(sorted(snapshot_hashes(review_id, base).items()))


def stage_snapshot(review_id: str, stage_name: str, hashes: dict[str, str] | None = None) -> str:
    """The snapshot id a stage's outputs must carry: a hash of the tables it reads,
    ``review.json`` and, for a stage that reads other stages' outputs, their ids.

    Per stage rather than whole-snapshot, so that DVC can rerun only the stages
    whose tables changed and the untouched stages' outputs stay valid."""
    from pipeline.stages import STAGES

    hashes = snapshot_hashes(review_id) if hashes is None else hashes
    stage = STAGES[stage_name]
    parts = [(META_FILE, hashes.get(META_FILE, "missing"))]
    parts += [(f"{t}.parquet", hashes.get(f"{t}.parquet", "missing")) for t in stage.tables]
    parts += [(f"stage:{n}", stage_snapshot(review_id, n, hashes)) for n in stage.needs]
    return _digest(parts)


def _digest(parts) -> str:
    digest = hashlib.sha256()
    for name, value in parts:
        digest.update(f"{name}\0{value}\n".encode())
    return digest.hexdigest()[:16]


def stamp_status(review_id: str, stage_name: str, stamp: str) -> None:
    """Record in ``<stage>__status.json`` the snapshot id its outputs were made from."""
    from pipeline.stages import STAGES

    path = processed_dir(review_id) / STAGES[stage_name].status_file
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["snapshot"] = stamp
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)


def check_consistent(review_id: str, status: dict[str, dict]) -> str:
    """Raise SnapshotMismatch unless every stage's status carries the id of the current snapshot.

    `status` maps stage name to its ``<stage>__status.json``; returns the snapshot id."""
    hashes = snapshot_hashes(review_id)
    stale = [name for name, doc in status.items()
             if doc.get("snapshot") != stage_snapshot(review_id, name, hashes)]
    if stale:
        raise SnapshotMismatch(
            f"the outputs of {', '.join(sorted(stale))} for review {review_id!r} were not made from its current "
            f"validated data (an interrupted or partial build): run `python -m pipeline build {review_id}` "
            "to rebuild them; nothing was rendered")
    return snapshot_id(review_id)
