"""What both engines share: paths, errors, the job, the engine choice and the HTML synthetic notice.

Engine choice (``choose``): the environment variable ``CP_ENGINE`` may say
``builtin`` or ``quarto`` (``auto``, the default, means Quarto when a Quarto
>= 1.5 is found, else the built-in Pandoc + Typst engine). ``CP_QUARTO``
names the quarto executable; without it ``quarto`` is looked up on PATH.
"""
from __future__ import annotations

import datetime as dt
import functools
import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, Mapping

from pipeline.paths import REPORT_DIR

TEMPLATE_DIR = REPORT_DIR / "templates"
LUA_FILTER = TEMPLATE_DIR / "quarto-compat.lua"
SAFE_FILTER = TEMPLATE_DIR / "safe-paths.lua"
TYPST_TEMPLATE = TEMPLATE_DIR / "board.typ"
HTML_CSS = TEMPLATE_DIR / "board.css"
# The council's Word and PowerPoint templates, used by both engines (a council replaces the files;
# report/templates/make_reference_docs.py makes the default ones).
REFERENCE_DOCX = TEMPLATE_DIR / "reference.docx"
REFERENCE_PPTX = TEMPLATE_DIR / "reference.pptx"
FONT_DIR = TEMPLATE_DIR / "fonts"  # optional: fonts for Typst, if the project ships any

SYNTHETIC_NOTICE = "Synthetic data: not real cases"
FORMATS = ("html", "pdf", "docx", "pptx")
QUARTO_MIN_VERSION = (1, 5)
# 2009-02-12 00:00:00 UTC: no wall clock in any output.
DEFAULT_EPOCH = 1234396800
# Folders of a workspace that hold generated content: included as text, never
# searched for shortcodes.
GENERATED_DIRS = ("sections",)
ENGINES = ("auto", "quarto", "builtin")


class RenderError(RuntimeError):
    """A document could not be rendered; the message names the format or the file and line."""


class ShortcodeError(RenderError):
    """A shortcode the built-in engine cannot expand, with the file and line where it stands."""

    def __init__(self, path: Path, line: int, message: str):
        self.path, self.line = Path(path), line
        super().__init__(f"{path}:{line}: {message}")


class RenderResult(dict):
    """The written paths by format (a ``dict[str, Path]``), plus ``engine``:
    ``"quarto X.Y"`` or ``"pandoc X.Y + typst X.Y"``, for the provenance annex."""

    def __init__(self, paths: Mapping[str, Path], engine: str):
        super().__init__(paths)
        self.engine = engine

    def __repr__(self) -> str:
        return f"RenderResult({dict(self)!r}, engine={self.engine!r})"


class Job:
    """What every format of one render needs to know."""

    def __init__(self, source, variables, tmp, basename, synthetic, title, lang, resource_dir, env, epoch):
        self.source, self.variables, self.tmp, self.basename = source, variables, tmp, basename
        self.synthetic, self.title, self.lang, self.resource_dir = synthetic, title, lang, resource_dir
        self.env, self.epoch = env, epoch
        self.when = dt.datetime.fromtimestamp(epoch, tz=dt.timezone.utc).replace(tzinfo=None)

    def output(self, fmt: str) -> Path:
        return self.tmp / f"{self.basename}.{fmt}"


def fail(fmt: str, cause: str) -> RenderError:
    return RenderError(f"rendering {fmt} failed: {cause}")


# --------------------------------------------------------------------------- engine choice


def quarto_executable() -> str | None:
    """``$CP_QUARTO`` if set, else the ``quarto`` on PATH, else None."""
    return os.environ.get("CP_QUARTO") or shutil.which("quarto")


@functools.lru_cache(maxsize=8)
def _version_of(exe: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=120, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"(\d+)\.(\d+)", out)
    return (int(m.group(1)), int(m.group(2))) if m else None


def quarto_version(executable: str | None = None) -> tuple[int, int] | None:
    """(major, minor) of the given quarto (default: ``quarto_executable()``), or None when there is none."""
    exe = executable or quarto_executable()
    return _version_of(exe) if exe else None


def requested_engine(engine: str = "auto") -> str:
    """``engine``, or for "auto" the ``CP_ENGINE`` environment variable; "fallback" means "builtin"."""
    if engine == "auto":
        engine = os.environ.get("CP_ENGINE", "").strip().lower() or "auto"
    engine = "builtin" if engine == "fallback" else engine
    if engine not in ENGINES:
        raise RenderError(f"engine must be one of {', '.join(ENGINES)} (CP_ENGINE); got {engine!r}")
    return engine


def choose(engine: str = "auto") -> tuple[str, tuple[int, int]] | None:
    """(quarto executable, version) when Quarto is to render, None for the built-in engine."""
    engine = requested_engine(engine)
    if engine == "builtin":
        return None
    exe = quarto_executable()
    version = quarto_version(exe) if exe else None
    if version and version >= QUARTO_MIN_VERSION:
        return exe, version
    if engine == "quarto":
        raise RenderError(f"engine 'quarto' asked for, but no quarto >= 1.5 found (CP_QUARTO or PATH; found {version})")
    return None


def pandoc_path() -> str:
    import pypandoc

    return pypandoc.get_pandoc_path()


def fallback_engine_name() -> str:
    import pypandoc
    import typst

    pandoc = ".".join(pypandoc.get_pandoc_version().split(".")[:2])
    return f"pandoc {pandoc} + typst {'.'.join(typst.__version__.split('.')[:2])}"


def engine_name(engine: str = "auto") -> str:
    """The name of the engine that ``render_document(engine=engine)`` would use."""
    quarto = choose(engine)
    return f"quarto {quarto[1][0]}.{quarto[1][1]}" if quarto else fallback_engine_name()


# --------------------------------------------------------------------------- shared pieces


def synthetic_html(work: Path) -> list[str]:
    """Pandoc options adding the banner at the top and the print header on every page."""
    notice = html.escape(SYNTHETIC_NOTICE)
    banner = work / "synthetic-banner.html"
    banner.write_text(f'<div class="synthetic-notice" role="note">{notice}</div>\n', encoding="utf-8")
    header = work / "synthetic-print.html"
    header.write_text(
        "<style>\n@page { @top-center { content: "
        + json.dumps(SYNTHETIC_NOTICE)
        + "; font-family: Arial, sans-serif; font-weight: bold; } }\n</style>\n",
        encoding="utf-8",
    )
    return [f"--include-before-body={banner}", f"--include-in-header={header}"]


def is_generated(path: Path, root: Path) -> bool:
    """Whether ``path`` lies in one of the workspace ``root``'s generated folders."""
    try:
        rel = Path(path).resolve().relative_to(Path(root).resolve())
    except ValueError:
        return False
    return bool(rel.parts) and rel.parts[0] in GENERATED_DIRS


def text_value(value: Any) -> str:
    """A variable's value as text, as Quarto's var shortcode prints it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
