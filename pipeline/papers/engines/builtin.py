"""The built-in engine: the Quarto sources rendered by Pandoc (``pypandoc-binary``) and Typst (``typst``).

Both install from PyPI and nothing downloads at run time. The engine
understands the shortcodes of ``shortcodes.py``, the front matter keys
``title subtitle author date abstract lang toc toc-depth number-sections``
(the rest are Quarto's business and ignored) and the image attributes
``fig-alt`` and ``fig-cap`` (``report/templates/quarto-compat.lua``).

Confinement: Pandoc reads resources from the workspace only
(``--resource-path``), ``report/templates/safe-paths.lua`` refuses images and
links that are absolute, climb with ``..`` or name a URL scheme, and Typst
compiles with its root at the workspace.
"""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import yaml

from pipeline.papers import markup
import pipeline.papers.engines.office as office
from pipeline.papers.engines.common import (
    FONT_DIR, HTML_CSS, LUA_FILTER, REFERENCE_DOCX, REFERENCE_PPTX, SAFE_FILTER, SYNTHETIC_NOTICE, TYPST_TEMPLATE,
    Job, RenderError, fail,
    pandoc_path, synthetic_html,
)
from pipeline.papers.engines.shortcodes import read_source


def render(job: Job, formats: list[str]) -> dict[str, Path]:
    """Render ``job`` in each format into its temporary folder; the written paths by format."""
    try:
        meta, body = read_source(job.source, job.variables)
    except RenderError as exc:
        raise RenderError(f"cannot render {job.source.name}: {exc}") from None
    meta["title"] = markup.literal(job.title)
    meta["lang"] = job.lang
    flags = []
    if meta.pop("toc", False):
        flags += ["--toc", f"--toc-depth={int(meta.pop('toc-depth', 2))}"]
    meta.pop("toc-depth", None)
    if meta.pop("number-sections", False):
        flags.append("--number-sections")
    work = job.tmp / "_work"
    work.mkdir()
    md = work / "source.md"
    md.write_text(body, encoding="utf-8")
    meta_file = work / "metadata.yml"
    meta_file.write_text(yaml.safe_dump(meta, allow_unicode=True, sort_keys=True, width=10**9), encoding="utf-8")
    base = [
        pandoc_path(), str(md), "--from=markdown", f"--metadata-file={meta_file}",
        f"--lua-filter={SAFE_FILTER}", f"--lua-filter={LUA_FILTER}", f"--resource-path={job.resource_dir}", *flags,
    ]
    writers = {"html": _html, "pdf": _pdf, "docx": _docx, "pptx": _pptx}
    written = {}
    for fmt in formats:
        try:
            written[fmt] = writers[fmt](job, base, work)
        except RenderError:
            raise
        except Exception as exc:  # a library failing inside post-processing
            raise fail(fmt, f"{type(exc).__name__}: {exc}") from exc
    return written


def _pandoc(job: Job, fmt: str, args: list[str], env: dict | None = None) -> None:
    try:
        proc = subprocess.run(args, cwd=job.resource_dir, env=env or job.env, capture_output=True, text=True,
                              timeout=600)
    except (OSError, subprocess.SubprocessError) as exc:
        raise fail(fmt, f"pandoc could not run: {exc}") from exc
    if proc.returncode != 0:
        raise fail(fmt, f"pandoc exited {proc.returncode}: {proc.stderr.strip()}")


def _html(job: Job, base: list[str], work: Path) -> Path:
    out = job.output("html")
    args = base + ["--to=html5", "--standalone", "--embed-resources", f"--css={HTML_CSS}", "--section-divs",
                   "-o", str(out)]
    if job.synthetic:
        args += synthetic_html(work)
    _pandoc(job, "html", args)
    return out


def typst_fonts() -> list[str]:
    """Font folders for Typst. System fonts are ignored so that the PDF is the
    same on every machine: the project's own fonts if it ships any, then
    matplotlib's DejaVu Sans when matplotlib is installed, else Typst's
    embedded Libertinus Serif."""
    paths = [str(FONT_DIR)] if FONT_DIR.is_dir() else []
    try:
        import matplotlib

        mpl = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
        if mpl.is_dir():
            paths.append(str(mpl))
    except ImportError:
        pass
    return paths


def _pdf(job: Job, base: list[str], work: Path) -> Path:
    """Typst source written into the workspace (images are relative to it) and compiled with the workspace as root."""
    import typst

    typ = job.resource_dir / f".{job.basename}.{job.tmp.name}.typ"
    language, _, region = job.lang.partition("-")
    args = base + ["--to=typst", "--standalone", f"--template={TYPST_TEMPLATE}", "-o", str(typ)]
    args += [f"--metadata=lang-code:{language}", f"--metadata=region:{region or 'GB'}"]
    if job.synthetic:
        args.append(f"--metadata=synthetic-notice:{SYNTHETIC_NOTICE}")
    out = job.output("pdf")
    try:
        _pandoc(job, "pdf", args)
        pdf = typst.compile(
            str(typ), root=str(job.resource_dir), font_paths=typst_fonts(), ignore_system_fonts=True,
            timestamp=job.epoch, pdf_standards=["ua-1"],
        )
    except RenderError:
        raise
    except Exception as exc:
        raise fail("pdf", f"typst: {exc}") from exc
    finally:
        typ.unlink(missing_ok=True)
    out.write_bytes(pdf)
    return out


def _docx(job: Job, base: list[str], work: Path) -> Path:
    out = job.output("docx")
    _pandoc(job, "docx", base + ["--to=docx", f"--reference-doc={REFERENCE_DOCX}", "-o", str(out)])
    office.finish_docx(out, job)
    return out


def _pptx(job: Job, base: list[str], work: Path) -> Path:
    out = job.output("pptx")
    log = work / "pptx-alt.json"
    env = dict(job.env, RENDER_ALT_LOG=str(log))
    _pandoc(job, "pptx", base + ["--to=pptx", "--slide-level=2", f"--reference-doc={REFERENCE_PPTX}", "-o", str(out)],
            env=env)
    alts = json.loads(log.read_text(encoding="utf-8")) if log.exists() else []
    office.finish_pptx(out, job, alts)
    return out
