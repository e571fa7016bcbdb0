"""What the pipeline itself wrote for a review: ``data/processed/<id>/.manifest.json``.

Every file the build writes for a review is recorded here (relative to the
review's processed folder), and a failed build deletes by this list, never by
listing the folder: a file someone else put there is never removed.
"""
from __future__ import annotations

import json
import threading
from pathlib import Path

from pipeline.paths import inside, processed_dir

MANIFEST = ".manifest.json"
_LOCK = threading.Lock()   # notebooks of one build run in threads and record at once


def _path(review_id: str) -> Path:
    return processed_dir(review_id) / MANIFEST


def written(review_id: str) -> list[str]:
    """The recorded files, relative to the review's processed folder, sorted."""
    path = _path(review_id)
    if not path.exists():
        return []
    return sorted(json.loads(path.read_text(encoding="utf-8")).get("files", []))


def _save(review_id: str, files: set[str]) -> None:
    path = inside(_path(review_id))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(MANIFEST + ".tmp")
    tmp.write_text(json.dumps({"files": sorted(files)}, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


def record(review_id: str, paths) -> None:
    """Add files (absolute, or relative to the review's processed folder) to the manifest."""
    base = processed_dir(review_id).resolve()
    rel = set()
    for p in paths:
        full = inside(base / p)
        if full.is_relative_to(base):
            rel.add(full.relative_to(base).as_posix())
    with _LOCK:
        _save(review_id, set(written(review_id)) | rel)


def remove_written(review_id: str, keep: tuple[str, ...] = ()) -> list[str]:
    """Delete the recorded files except those under a name in `keep`; return what was removed.

    Folders are removed only when the deletions left them empty."""
    base = processed_dir(review_id).resolve()
    removed, kept = [], set()
    with _LOCK:
        for rel in written(review_id):
            if rel.split("/")[0] in keep:
                kept.add(rel)
                continue
            path = inside(base / rel)
            if path.is_file() or path.is_symlink():
                path.unlink()
                removed.append(rel)
                _prune(path.parent, base)
        if removed or kept != set(written(review_id)):
            _save(review_id, kept)
    return removed


def _prune(folder: Path, base: Path) -> None:
    while folder != base and folder.is_relative_to(base) and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent
