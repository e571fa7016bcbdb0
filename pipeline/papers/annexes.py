"""The annexes every paper kind shares: data quality, glossary and provenance.

Provenance names the engine, the code version (a hash of exactly the files
the render stage declares in dvc.yaml), the inputs by table of the validated snapshot with their SHA-256, the
packages and the parameter sections the papers depend on.
"""
from __future__ import annotations

import hashlib
import json
import platform
from importlib import metadata
from pathlib import Path

import pandas as pd
import yaml

from pipeline import snapshot
from pipeline.dvcgen import code_deps
from pipeline.papers.format import num
from pipeline.papers.markup import plain
from pipeline.papers.results import CONFIG_DIR
from pipeline.papers.tables import Prose, md_table, prose
from pipeline.params import params
from pipeline.paths import PROJ_ROOT, processed_dir
from pipeline.stages import RENDER_PARAMS, RENDER_ROOTS, REPORT_SOURCES

PACKAGES = ("pandas", "numpy", "pandera", "scipy", "statsmodels", "holidays", "matplotlib", "papermill",
            "dvc", "pypandoc-binary", "typst", "python-docx", "python-pptx", "openpyxl")
def section_quality(review_id: str, stages: tuple[str, ...], public: bool) -> dict:
    """The validation queries of a review (in a public paper only their kind and number of rows) and the
    analyses its stages skipped: the choice of words and the tables."""
    path = processed_dir(review_id) / "validation__issues.csv"
    issues = pd.read_csv(path, dtype=str) if path.exists() else pd.DataFrame()
    if issues.empty:
        table = ""
    elif public:  # a query's message can quote a raw value: publish the kind and the number of rows only
        summary = (issues.fillna("").groupby(["table", "column", "rule"], sort=True).size().reset_index(name="rows"))
        summary["rows"] = summary["rows"].map(num)
        table = md_table(summary.rename(columns=str.capitalize), ["l", "l", "l", "r"])
    else:
        # by table, never by file or sheet: a file's name can carry a person's name
        table = md_table(issues[["severity", "table", "row", "column", "rule", "message"]].fillna("")
                         .rename(columns=str.capitalize))
    skipped = skipped_analyses(review_id, stages)
    return {"quality_words": Prose("common/quality-public.md" if public else "common/quality-board.md"),
            "quality_none": prose("common/no-queries.md", issues.empty), "quality": table,
            "skipped_words": prose("common/skipped.md", bool(skipped)), "skipped": skipped}


def skipped_analyses(review_id: str, stages: tuple[str, ...]) -> str:
    """A table of the analyses a review's stages skipped and why (from their status files), or ''."""
    skipped = []
    for name in stages:
        status = json.loads((processed_dir(review_id) / f"{name}__status.json").read_text(encoding="utf-8"))
        for module, m in status["modules"].items():
            if not m["ran"]:
                skipped.append((module.replace("_", " "), m["skipped_reason"]))
    if not skipped:
        return ""
    return md_table(pd.DataFrame(skipped, columns=["Analysis", "Why"]))


def section_glossary() -> str:
    with open(CONFIG_DIR / "glossary.yml", encoding="utf-8") as fh:
        terms = yaml.safe_load(fh)
    return md_table(pd.DataFrame(sorted(terms.items()), columns=["Abbreviation", "Meaning"]))


def render_code_files() -> list[Path]:
    """The code and report sources the render stage declares (dvc.yaml), as files."""
    files: list[Path] = []
    for rel in [*code_deps(list(RENDER_ROOTS)), *REPORT_SOURCES]:
        path = PROJ_ROOT / rel
        files += sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path] if path.exists() else []
    return sorted(set(files))


def code_version() -> str:
    """A hash of exactly the code and sources the render stage depends on: same code, same paper."""
    digest = hashlib.sha256()
    for path in render_code_files():
        digest.update(path.relative_to(PROJ_ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def params_text() -> str:
    """The parameter sections a paper depends on, as YAML (not the list of reviews to build)."""
    data = params().model_dump(mode="json")
    return yaml.safe_dump({k: data[k] for k in RENDER_PARAMS}, sort_keys=False)


def provenance_variables(engine: str) -> dict:
    """What rendered the paper: engine, pipeline version, code version and Python (for ``prov.*``)."""
    try:
        own = metadata.version("cp-review-pipeline")
    except metadata.PackageNotFoundError:
        own = "not installed"
    return {"engine": plain(engine), "pipeline": plain(own), "code_version": code_version(),
            "python": platform.python_version()}


def input_inventory(review) -> list[tuple[str, str, str]]:
    """The review's inputs named by table (never by file or sheet, which may carry a person's name):
    rows and content hash of each table of the validated snapshot, then the review settings."""
    import pyarrow.parquet as pq

    folder = processed_dir(review.review_id) / "_tables"
    hashes = snapshot.snapshot_hashes(review.review_id)  # the bytes the analyses read, not the raw files now
    rows = []
    for name in review.present:
        path = folder / f"{name}.parquet"
        rows.append((name, num(pq.read_metadata(path).num_rows), hashes[path.name]))
    rows.append(("review settings", "", hashes["review.json"]))
    return rows


def section_provenance(review) -> dict:
    """Annex of provenance: the inputs by table with their SHA-256, the packages and the parameters."""
    rows = input_inventory(review)
    versions = []
    for pkg in PACKAGES:
        try:
            versions.append((pkg, metadata.version(pkg)))
        except metadata.PackageNotFoundError:
            versions.append((pkg, "not installed"))
    return {"provenance_words": Prose("common/provenance.md"),
            "provenance_files": md_table(pd.DataFrame(rows, columns=["Table", "Rows", "SHA-256"]), ["l", "r", "l"]),
            "provenance_packages_words": Prose("common/provenance-packages.md"),
            "provenance_packages": md_table(pd.DataFrame(versions, columns=["Package", "Version"])),
            "provenance_params_words": Prose("common/provenance-params.md"),
            "provenance_params": "```yaml\n" + params_text() + "```\n"}
