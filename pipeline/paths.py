"""Project paths, always from the project root, never from the working directory.

A review id is a *name*, never a path. ``check_review_id`` is called once, at the
command-line boundary, and accepts one plain folder name matching ``REVIEW_ID_PATTERN``:
a letter or digit, then up to 63 letters, digits, dots, hyphens or underscores
(``.`` and ``..`` are refused). ``inside`` is the guard every writer and every
deletion goes through: the path must resolve inside ``data/raw``,
``data/processed`` or ``report/_output`` (or ``report/_build``, the render workspace).
"""
from __future__ import annotations

import re
from pathlib import Path

PROJ_ROOT = Path(__file__).resolve().parents[1]
RAW_DIR = PROJ_ROOT / "data" / "raw"
PROCESSED_DIR = PROJ_ROOT / "data" / "processed"
REPORT_DIR = PROJ_ROOT / "report"
OUTPUT_DIR = REPORT_DIR / "_output"
BUILD_DIR = REPORT_DIR / "_build"
NOTEBOOK_DIR = PROJ_ROOT / "notebooks"
PARAMS_FILE = PROJ_ROOT / "params.yaml"

REVIEW_ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"
_REVIEW_ID = re.compile(REVIEW_ID_PATTERN)
SAFE_ROOTS = (RAW_DIR, PROCESSED_DIR, OUTPUT_DIR, BUILD_DIR)


class BadReviewId(ValueError):
    """A review id that is not one plain folder name."""


class OutsideProject(ValueError):
    """A path that would be written or deleted outside the pipeline's own folders."""


def check_review_id(review_id: str) -> str:
    """Return `review_id` if it is a plain name matching REVIEW_ID_PATTERN; else raise BadReviewId."""
    text = str(review_id)
    if text in (".", "..") or not _REVIEW_ID.fullmatch(text):
        shown = text if len(text) <= 70 else text[:60] + f"... ({len(text)} characters)"
        raise BadReviewId(
            f"review id {shown!r} is not a plain name: it must match {REVIEW_ID_PATTERN} "
            "(a letter or digit, then up to 63 letters, digits, '.', '-' or '_'; no separators, not '.' or '..')")
    return text


def inside(path: Path, roots: tuple[Path, ...] = SAFE_ROOTS) -> Path:
    """Return `path` resolved if it lies strictly inside one of `roots`; else raise OutsideProject."""
    resolved = Path(path).resolve()
    for root in roots:
        root = root.resolve()
        if resolved != root and resolved.is_relative_to(root):
            return resolved
    raise OutsideProject(f"refusing to write or delete {path}: it is not inside "
                         + ", ".join(str(r.relative_to(PROJ_ROOT)) for r in roots))


def _review_path(root: Path, review_id: str) -> Path:
    if not review_id or review_id in (".", "..") or any(sep in review_id for sep in ("/", "\\", "\0")):
        raise OutsideProject(f"refusing review id {review_id!r}: it is not one folder name")
    path = root / review_id
    inside(path, (root,))  # a review's folder is one level inside its root, whatever the caller passed
    if path.resolve().parent != root.resolve():
        raise OutsideProject(f"refusing {path}: a review id names one folder directly inside {root.name}/")
    return path


def raw_dir(review_id: str) -> Path:
    return _review_path(RAW_DIR, review_id)


def processed_dir(review_id: str) -> Path:
    return _review_path(PROCESSED_DIR, review_id)


def output_dir(review_id: str) -> Path:
    return _review_path(OUTPUT_DIR, review_id)


def known_reviews() -> list[str]:
    """The review folders under data/raw/ (each holding a review.yml), sorted."""
    if not RAW_DIR.is_dir():
        return []
    return sorted(p.name for p in RAW_DIR.iterdir() if (p / "review.yml").is_file() and _REVIEW_ID.fullmatch(p.name))
