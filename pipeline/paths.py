"""Project paths, always from the project root, never from the working directory."""
from __future__ import annotations

from pathlib import Path

PROJ_ROOT = Path(__file__).resolve().parents[1]
RAW_DIR = PROJ_ROOT / "data" / "raw"
PROCESSED_DIR = PROJ_ROOT / "data" / "processed"
REPORT_DIR = PROJ_ROOT / "report"
OUTPUT_DIR = REPORT_DIR / "_output"
NOTEBOOK_DIR = PROJ_ROOT / "notebooks"
PARAMS_FILE = PROJ_ROOT / "params.yaml"


def raw_dir(review_id: str) -> Path:
    return RAW_DIR / review_id


def processed_dir(review_id: str) -> Path:
    return PROCESSED_DIR / review_id


def output_dir(review_id: str) -> Path:
    return OUTPUT_DIR / review_id
