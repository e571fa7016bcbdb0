"""The one publisher of every paper kind: assemble, render into staging, check, move into place.

For a review ``python -m pipeline render <id>`` (and ``build``) comes here:

1. leftover staging folders of that review (``report/_output/.<id>.staging-*``,
   left by a build that was killed) are removed;
2. the workspace ``report/_build/<id>/`` is assembled: the paper's Quarto
   sources copied from ``report/``, the review's words, the authored partials
   each paper chose (``chosen/``, from ``report/partials/``), the generated
   blocks (``sections/``: tables, lists, figure references) and
   ``_variables.yml``;
3. every document of the paper kind is rendered into a fresh staging folder
   (:mod:`pipeline.papers.engines`: Quarto when present, else Pandoc + Typst);
4. for a public review the publication check (:mod:`pipeline.publication`)
   reads every rendered file;
5. only when all of that succeeded are the files moved into
   ``report/_output/<id>/``, so a failure leaves the previous papers as they
   were and nothing unchecked where a finished paper would be.

Every failure is a :class:`~pipeline.papers.errors.ReportError` (or the
render engine's :class:`~pipeline.papers.engines.RenderError`) with one clear message.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from pipeline import disclosure as dc
from pipeline import publication
from pipeline.papers import engines as render
from pipeline.papers import annual, board
from pipeline.papers import workbook
from pipeline.papers.annual_years import (compliance_table, context_table, disclosure_tables, grade_table,
                                          load_series, timescale_table)
from pipeline.papers.protect import protect
from pipeline.papers.errors import ReportError
from pipeline.papers.results import read_results, report_config
from pipeline.papers.tables import Prose
from pipeline.paths import PROJ_ROOT, REPORT_DIR, output_dir
from pipeline.snapshot import open_review

BUILD_DIR = REPORT_DIR / "_build"
PARTIALS_DIR = REPORT_DIR / "partials"


@dataclass(frozen=True)
class Document:
    """One rendered document of a paper: its Quarto source, file name and formats."""

    source: str
    basename: str
    formats: tuple[str, ...]


@dataclass
class Paper:
    """What a paper kind renders: its documents, the folder of its words, and its generated contents."""

    documents: tuple[Document, ...]
    words: Path
    contents: Callable[[Path], tuple[dict[str, str], dict]]  # workspace -> (sections, variables)
    protected: Callable[[], dict[str, dc.SuppressedTable]]  # the disclosure-controlled tables it prints
    workbook: Callable[[Path], Path]  # staging folder -> the official-statistics workbook of its tables


def _phase_paper(review, engine: str) -> Paper:
    results = read_results(review.review_id)
    cfg, words = report_config(review.review_id)
    return Paper((Document("board-paper.qmd", "board-paper", ("html", "pdf", "docx")),
                  Document("board-slides.qmd", "board-slides", ("pptx",))),
                 words, lambda workspace: board.build_sections(review, results, cfg, engine, workspace),
                 lambda: publication.suppressed_tables(protect(review, results)),
                 lambda staging: _board_workbook(review, results, staging))


def _annual_paper(review, engine: str) -> Paper:
    years = load_series(review)
    return Paper((Document("annual-audit-report.qmd", "annual-audit-report", ("html", "pdf", "docx")),),
                 annual.words_folder(review.review_id, has_previous=len(years) > 1),
                 lambda workspace: annual.build_sections(review, years, workspace, engine),
                 lambda: disclosure_tables(years),
                 lambda staging: _annual_workbook(review, years, staging))


def _board_workbook(review, results, staging: Path) -> Path:
    prot = protect(review, results)
    return workbook.write_workbook(staging / workbook.BOARD_FILE, "board",
                                   {k: getattr(prot, k) for k in workbook.BOARD_TABLES},
                                   title=str(review.meta["title"]), authority=str(review.meta["authority"]),
                                   synthetic=review.synthetic)


def _annual_workbook(review, years, staging: Path) -> Path:
    tables = {"compliance": compliance_table(years[-1]), "timescales": timescale_table(years[-1]),
              "grades": grade_table(years[-1]), "context": context_table(years)}
    return workbook.write_workbook(staging / workbook.ANNUAL_FILE, "annual", tables,
                                   title=str(review.meta["title"]), authority=str(review.meta["authority"]),
                                   synthetic=review.synthetic, year=years[-1].label)


PAPER_KINDS: dict[str, Callable[..., Paper]] = {"phase": _phase_paper, "annual": _annual_paper}


def engine_name() -> str:
    """The engine that will render: Quarto when a recent enough one is on PATH, else the built-in one."""
    return render.engine_name()


def paper_for(review, engine: str) -> Paper:
    kind = review.meta.get("kind")
    if kind not in PAPER_KINDS:
        raise ReportError(f"{review.review_id}: no paper is made for a review of kind {kind!r} "
                          f"(known kinds: {', '.join(PAPER_KINDS)})")
    return PAPER_KINDS[kind](review, engine)


def build_workspace(review, engine: str) -> tuple[Path, dict, Paper]:
    """Assemble ``report/_build/<id>/``: sources, partials, words, generated sections and variables."""
    paper = paper_for(review, engine)
    workspace = BUILD_DIR / review.review_id
    if workspace.exists():
        shutil.rmtree(workspace)
    (workspace / "sections").mkdir(parents=True)
    for name in ("_quarto.yml", *(d.source for d in paper.documents)):
        shutil.copyfile(REPORT_DIR / name, workspace / name)
    shutil.copytree(paper.words, workspace / "words")
    slots, v = paper.contents(workspace)
    write_slots(workspace, slots)
    (workspace / "_variables.yml").write_text(yaml.safe_dump(v, sort_keys=True, allow_unicode=True), encoding="utf-8")
    return workspace, v, paper


def write_slots(workspace: Path, slots: dict) -> None:
    """Generated blocks into ``sections/<slot>.md``; the chosen authored partials (or nothing) into
    ``chosen/<slot>.md``, where the paper's ``.qmd`` includes them."""
    (workspace / "chosen").mkdir(exist_ok=True)
    for name, value in slots.items():
        if isinstance(value, str):
            (workspace / "sections" / f"{name}.md").write_text(value, encoding="utf-8")
        elif value is None:
            (workspace / "chosen" / f"{name}.md").write_text("", encoding="utf-8")
        elif isinstance(value, Prose):
            source = PARTIALS_DIR / value.name
            if not source.is_file():
                raise ReportError(f"report/partials/{value.name} is missing (the {name} slot chooses it)")
            shutil.copyfile(source, workspace / "chosen" / f"{name}.md")
        else:
            raise TypeError(f"slot {name}: {type(value).__name__} is neither generated text nor a partial")


def remove_leftover_staging(review_id: str) -> None:
    """Staging folders of this review left by an interrupted build (only ours: ``.<id>.staging-*``)."""
    parent = output_dir(review_id).parent
    if parent.exists():
        for path in parent.glob(f".{review_id}.staging-*"):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)


def _check(review, paper: Paper, staging: Path, files: list[Path]) -> None:
    """For a public review: no personal value in any file, every small count protected against what the
    published figures let a reader derive, and the record of what was hidden written into the staging folder."""
    if not dc.AUDIENCE_SUPPRESSED[review.meta.get("audience") or "board"]:
        return
    try:
        publication.check_review(review.review_id, files)
        tables = paper.protected()
        publication.check_protection(tables)
        publication.write_disclosure_record(staging, review.review_id, tables)
    except publication.PublicationError as exc:
        raise ReportError(str(exc)) from None


def build_papers(review_id: str) -> list[Path]:
    """Render every paper of ``review_id`` into report/_output/<id>/ and return the written paths."""
    remove_leftover_staging(review_id)
    review = open_review(review_id)
    workspace, v, paper = build_workspace(review, engine_name())
    final = output_dir(review_id)
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{review_id}.staging-", dir=final.parent))
    try:
        for doc in paper.documents:
            render.render_document(workspace / doc.source, v, staging, doc.basename, list(doc.formats),
                                   synthetic=review.synthetic, title=str(review.meta["title"]),
                                   resource_dir=workspace)
        paper.workbook(staging)  # part of the set: checked and moved with the papers
        _check(review, paper, staging, sorted(staging.iterdir()))
        final.mkdir(parents=True, exist_ok=True)
        written = []
        for path in sorted(staging.iterdir()):
            os.replace(path, final / path.name)
            written.append(final / path.name)
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def render_review(review_id: str, quiet: bool = False) -> int:
    """Render the papers of a review into report/_output/<id>/; 0 on success, 1 (with one line) on failure."""
    try:
        paths = build_papers(review_id)
    except (ReportError, render.RenderError) as exc:
        print(f"ERROR: {exc}")
        return 1
    if not quiet:
        for path in paths:
            print(f"  wrote {path.relative_to(PROJ_ROOT)}")
    return 0
