"""``render_document``: one Quarto source to HTML, PDF, Word or PowerPoint, atomically, with either engine."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterable, Mapping

import pipeline.papers.engines.builtin as builtin
import pipeline.papers.engines.quarto as quarto
from pipeline.papers.engines.common import (
    DEFAULT_EPOCH, FORMATS, Job, RenderError, RenderResult, choose, fallback_engine_name,
)


def render_document(
    source: Path,
    variables: Mapping[str, Any],
    out_dir: Path,
    basename: str,
    formats: Iterable[str],
    *,
    synthetic: bool,
    title: str,
    lang: str = "en-GB",
    resource_dir: Path | None = None,
    engine: str = "auto",
    epoch: int = DEFAULT_EPOCH,
) -> RenderResult:
    """Render ``source`` to ``out_dir/<basename>.<ext>`` for each format (html, pdf, docx, pptx).

    ``variables`` fill the ``{{< var >}}`` placeholders (as literal text);
    ``title`` and ``lang`` become the document's title and language in every
    format; ``synthetic`` marks every page, section and slide "Synthetic data:
    not real cases". ``resource_dir`` is the workspace, where relative image
    paths are found (default: the source's folder). ``engine`` is "auto"
    (``CP_ENGINE`` if set, else Quarto >= 1.5 when found, else built-in),
    "quarto" or "builtin" ("fallback" is the old name). ``epoch`` (seconds,
    UTC) stands for every timestamp written.

    Atomic: every format is rendered into a temporary folder beside
    ``out_dir`` and moved into place only when all succeeded; otherwise
    RenderError (naming the format and the cause) and the previous outputs
    are left as they were."""
    source = Path(source).resolve()
    out_dir = Path(out_dir).resolve()
    formats = list(dict.fromkeys(formats))
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise RenderError(f"formats must be among {', '.join(FORMATS)}; got {formats!r}")
    if not source.is_file():
        raise RenderError(f"source not found: {source}")
    resource_dir = Path(resource_dir).resolve() if resource_dir else source.parent
    chosen = choose(engine)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.render-", dir=out_dir.parent))
    try:
        env = dict(os.environ, SOURCE_DATE_EPOCH=str(epoch))
        job = Job(source, variables, tmp, basename, synthetic, title, lang, resource_dir, env, epoch)
        if chosen:
            engine_name = f"quarto {chosen[1][0]}.{chosen[1][1]}"
            written = quarto.render(job, chosen[0], formats)
        else:
            engine_name = fallback_engine_name()
            written = builtin.render(job, formats)
        out_dir.mkdir(parents=True, exist_ok=True)
        final = {}
        for fmt in formats:
            target = out_dir / written[fmt].name
            os.replace(written[fmt], target)
            final[fmt] = target
        return RenderResult(final, engine_name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
