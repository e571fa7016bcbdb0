"""The Quarto engine: ``quarto render`` of a private copy of the workspace.

Each render copies the workspace into a folder inside it
(``quarto-render-*``, removed afterwards) and runs Quarto there, with its
caches and scratch files (XDG folders, ``TMPDIR``) in the render's temporary
folder, so no ``.quarto`` or other file is left in ``report/`` or elsewhere. Before Quarto sees the copy:

* ``_variables.yml`` is written with every value as literal Markdown text
  (``markup.literal``): Quarto reads var values as Markdown, then searches
  the words again for shortcodes, so a value from the data must be text that
  can form neither markup nor a shortcode;
* the front matter's own shortcodes are expanded here, as literal text, and
  the title and language set (Quarto passes front matter shortcodes
  unexpanded to its Typst template), with ``safe-paths.lua`` as a filter.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import yaml

from pipeline.papers import markup
import pipeline.papers.engines.office as office
from pipeline.papers.engines.common import (
    HTML_CSS, REFERENCE_DOCX, REFERENCE_PPTX, SAFE_FILTER, SYNTHETIC_NOTICE, TEMPLATE_DIR, Job, fail, synthetic_html,
    text_value,
)
from pipeline.papers.engines.shortcodes import expand_meta, split_front_matter

ALT_FILTER = TEMPLATE_DIR / "quarto-alt.lua"
TO = {"html": "html", "pdf": "typst", "docx": "docx", "pptx": "pptx"}
COPY_PREFIX = "quarto-render-"
_SCRATCH = shutil.ignore_patterns(".quarto", "*_files", ".*.typ", "_freeze", COPY_PREFIX + "*")


def render(job: Job, quarto: str, formats: list[str]) -> dict[str, Path]:
    """Render ``job`` with ``quarto render``, one format at a time, into its temporary folder.

    The copy Quarto renders lives inside the workspace, not in the hidden
    temporary folder: Quarto ignores a project's ``_variables.yml`` when a
    folder on the path starts with a dot. It is removed afterwards."""
    src = Path(tempfile.mkdtemp(prefix=COPY_PREFIX, dir=job.source.parent))
    try:
        shutil.rmtree(src)
        shutil.copytree(job.source.parent, src, ignore=_SCRATCH)
        return _render_copy(job, quarto, formats, src)
    finally:
        shutil.rmtree(src, ignore_errors=True)


def _render_copy(job: Job, quarto: str, formats: list[str], src: Path) -> dict[str, Path]:
    work = job.tmp / "_work"
    work.mkdir()
    source = src / job.source.name
    _write_variables(src / "_variables.yml", job.variables)
    original = source.read_text(encoding="utf-8")
    for lua in (SAFE_FILTER, ALT_FILTER):
        shutil.copyfile(lua, src / lua.name)
    env = _environment(job)
    written = {}
    for fmt in formats:
        name = f"{job.basename}.{fmt}"
        extra, args = _format_options(fmt, job, src, work)
        _write_source(source, original, job, extra)
        args = [quarto, "render", source.name, "--to", TO[fmt], "--output", name] + args
        log = work / f"{fmt}-alt.json"
        try:
            proc = subprocess.run(args, cwd=src, env=dict(env, RENDER_ALT_LOG=str(log)), capture_output=True,
                                  text=True, timeout=1800)
        except (OSError, subprocess.SubprocessError) as exc:
            raise fail(fmt, f"quarto could not run: {exc}") from exc
        if proc.returncode != 0:
            raise fail(fmt, f"quarto exited {proc.returncode}: {proc.stderr.strip()[-3000:]}")
        made = src / name
        if not made.exists():
            raise fail(fmt, f"quarto reported success but wrote no {name}")
        out = job.output(fmt)
        shutil.move(str(made), out)
        if fmt == "docx":
            office.finish_docx(out, job)
        elif fmt == "pptx":
            office.finish_pptx(out, job, json.loads(log.read_text(encoding="utf-8")) if log.exists() else [])
        written[fmt] = out
    return written


def _literal_values(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _literal_values(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_literal_values(v) for v in value]
    if value is None:
        return None
    return markup.literal(text_value(value))


def _write_variables(path: Path, variables) -> None:
    text = yaml.safe_dump(_literal_values(dict(variables)), allow_unicode=True, sort_keys=True, width=10**9)
    path.write_text(text, encoding="utf-8")


def _write_source(source: Path, original: str, job: Job, extra: dict) -> None:
    source.write_text(original, encoding="utf-8")
    raw, body, _ = split_front_matter(source)
    meta = expand_meta(raw, job.variables, job.source)
    for key, values in extra.items():
        meta[key] = list(meta.get(key) or []) + values
    meta["title"] = markup.literal(job.title)
    meta["lang"] = job.lang
    meta["filters"] = [SAFE_FILTER.name, *(meta.get("filters") or []), "quarto", ALT_FILTER.name]
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=10**9)
    source.write_text(f"---\n{front}---\n{body}", encoding="utf-8")


def _environment(job: Job) -> dict:
    scratch = job.tmp / "_scratch"
    env = dict(job.env)
    for name in ("XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_RUNTIME_DIR", "TMPDIR"):
        (scratch / name.lower()).mkdir(parents=True, exist_ok=True)
        env[name] = str(scratch / name.lower())
    return env


def _format_options(fmt: str, job: Job, src: Path, work: Path) -> tuple[dict, list[str]]:
    """Front matter to add (Quarto merges these lists with its own header includes) and command-line options."""
    if fmt == "html":
        shutil.copyfile(HTML_CSS, src / HTML_CSS.name)
        extra: dict = {"css": [HTML_CSS.name]}
        if job.synthetic:
            before, header = (arg.split("=", 1)[1] for arg in synthetic_html(work))
            extra.update({"include-before-body": [before], "include-in-header": [header]})
        return extra, ["--embed-resources"]
    if fmt == "pdf" and job.synthetic:
        header = work / "synthetic-header.typ"
        header.write_text(
            '#set page(header: align(center, text(size: 9pt, weight: "bold", fill: rgb("#8a1c1c"))['
            + SYNTHETIC_NOTICE + "]))\n",
            encoding="utf-8",
        )
        cover = work / "synthetic-cover.typ"
        cover.write_text(  # raw Typst: Quarto puts include-before-body into its template as it stands
            '#block(width: 100%, inset: 8pt, stroke: 1.5pt + rgb("#8a1c1c"))[*' + SYNTHETIC_NOTICE + "*]\n",
            encoding="utf-8",
        )
        return {"include-in-header": [str(header)], "include-before-body": [str(cover)]}, []
    if fmt in ("docx", "pptx"):  # the council's template (report/templates); a replaced file wins
        return {}, [f"--reference-doc={REFERENCE_DOCX if fmt == 'docx' else REFERENCE_PPTX}"]
    return {}, []
