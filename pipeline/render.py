"""Render a Quarto document to HTML, PDF, Word or PowerPoint, with or without Quarto.

The Board paper's sources in ``report/`` are genuine Quarto documents. When
``quarto`` (>= 1.5) is on PATH they are rendered by ``quarto render``; the
variables go to a ``_variables.yml`` beside the source, where Quarto's
``{{< var >}}`` shortcode reads them. Otherwise this module renders the same
sources itself with Pandoc (the ``pypandoc-binary`` wheel) and Typst (the
``typst`` wheel); both install from PyPI and nothing downloads at run time.

The fallback understands this much of Quarto and no more (issue 4: "keep that
list short, documented, and tested"):

* shortcodes ``{{< var dotted.key >}}`` (looked up in ``variables``; a key that
  names nothing is an error, never an empty gap), ``{{< pagebreak >}}`` and
  ``{{< include path >}}`` (relative to the including file, recursive, cycles
  refused; it and pagebreak stand alone on their line). ``{{{< ... >}}}``
  writes a shortcode literally. Any other ``{{< ... >}}`` is an error naming
  the file and line;
* front matter keys ``title subtitle author date abstract lang toc toc-depth
  number-sections``; every other key (``format``, ``execute``, ``jupyter``...)
  is Quarto's business and ignored;
* image attributes ``fig-alt`` (alt text: HTML ``alt``, Word and PowerPoint
  picture description, Typst ``image(alt: ...)``) and ``fig-cap`` (caption),
  done by ``report/templates/quarto-compat.lua``;
* everything else is Pandoc markdown: callouts (``::: {.callout-note}``) pass
  through as divs; cross-references (``@fig-x``), code cells and other
  shortcodes are not supported.

Both engines get the same finishing: an HTML banner and Word/PowerPoint/PDF
header line "Synthetic data: not real cases" when ``synthetic``, document
title and language, and fixed timestamps (``SOURCE_DATE_EPOCH``, default
2009-02-12) so that the same inputs give the same bytes. Outputs are written
to a temporary directory beside ``out_dir`` and moved into place only when
every requested format has succeeded.
"""
from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

from pipeline.paths import REPORT_DIR

TEMPLATE_DIR = REPORT_DIR / "templates"
LUA_FILTER = TEMPLATE_DIR / "quarto-compat.lua"
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

# Front matter keys the fallback understands; the rest are Quarto's.
FRONT_MATTER_KEYS = frozenset(
    {"title", "subtitle", "author", "date", "abstract", "lang", "toc", "toc-depth", "number-sections"}
)
SHORTCODES = ("var", "pagebreak", "include")

_SHORTCODE = re.compile(r"(\{\{\{<)(.*?)(>\}\}\})|\{\{<(.*?)>\}\}")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)

# Raw blocks for a page break; each writer keeps its own and drops the others.
_PAGEBREAK = (
    '\n```{=html}\n<div class="pagebreak" aria-hidden="true"></div>\n```\n\n'
    "```{=typst}\n#pagebreak(weak: true)\n```\n\n"
    '```{=openxml}\n<w:p><w:r><w:br w:type="page"/></w:r></w:p>\n```\n'
)


class RenderError(RuntimeError):
    """A document could not be rendered; the message names the format or the file and line."""


class ShortcodeError(RenderError):
    """A shortcode the fallback cannot expand, with the file and line where it stands."""

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


# --------------------------------------------------------------------------- shortcodes


def lookup_variable(variables: Mapping[str, Any], key: str) -> str:
    """The value of a dotted key as text, as Quarto's var shortcode prints it.

    Raises KeyError naming the key when it names nothing (a missing key, a
    null, or a mapping or list rather than a value)."""
    node: Any = variables
    for i, part in enumerate(key.split(".")):
        if not isinstance(node, Mapping) or part not in node:
            where = ".".join(key.split(".")[:i]) or "the variables"
            raise KeyError(f"unknown variable '{key}': no '{part}' in {where}")
        node = node[part]
    if node is None:
        raise KeyError(f"variable '{key}' is null")
    if isinstance(node, (Mapping, list, tuple)):
        raise KeyError(f"variable '{key}' names a {type(node).__name__}, not a value")
    if isinstance(node, bool):
        return "true" if node else "false"
    return str(node)


def expand_shortcodes(
    text: str, variables: Mapping[str, Any], path: Path, *, _stack: tuple[Path, ...] = (), _first_line: int = 1
) -> str:
    """Expand the fallback's shortcodes (var, pagebreak, include) in ``text`` read from ``path``.

    Raises ShortcodeError naming the file and line for an unknown variable, an
    unsupported or malformed shortcode, a missing include or an include cycle."""
    path = Path(path).resolve()
    stack = _stack + (path,)
    out: list[str] = []
    for offset, line in enumerate(text.splitlines(keepends=True)):
        lineno = _first_line + offset
        pieces: list[str] = []
        pos = 0
        block: str | None = None  # an include or pagebreak, which must stand alone
        for m in _SHORTCODE.finditer(line):
            pieces.append(line[pos : m.start()])
            pos = m.end()
            if m.group(1):  # {{{< ... >}}}: the shortcode itself, literally
                pieces.append("{{<" + m.group(2) + ">}}")
                continue
            try:
                args = shlex.split(m.group(4))
            except ValueError as exc:
                raise ShortcodeError(path, lineno, f"malformed shortcode {m.group(0)!r}: {exc}") from None
            name = args[0] if args else ""
            if name == "var":
                if len(args) != 2:
                    raise ShortcodeError(path, lineno, f"var takes one key: {m.group(0)!r}")
                try:
                    pieces.append(lookup_variable(variables, args[1]))
                except KeyError as exc:
                    raise ShortcodeError(path, lineno, exc.args[0]) from None
            elif name in ("pagebreak", "include"):
                if line.strip() != m.group(0):
                    raise ShortcodeError(path, lineno, f"{name} must stand alone on its line")
                if name == "pagebreak":
                    if len(args) != 1:
                        raise ShortcodeError(path, lineno, "pagebreak takes no arguments")
                    block = _PAGEBREAK
                else:
                    if len(args) != 2:
                        raise ShortcodeError(path, lineno, f"include takes one path: {m.group(0)!r}")
                    block = _include(path.parent / args[1], variables, stack, path, lineno)
            else:
                raise ShortcodeError(
                    path,
                    lineno,
                    f"unsupported shortcode {m.group(0)!r}: without Quarto only "
                    f"{', '.join(SHORTCODES)} are understood",
                )
        rest = line[pos:]
        if "{{<" in rest or ">}}" in rest:
            raise ShortcodeError(path, lineno, f"unterminated shortcode in {line.strip()!r}")
        pieces.append(rest)
        out.append(block if block is not None else "".join(pieces))
    return "".join(out)


def _include(target: Path, variables: Mapping[str, Any], stack: tuple[Path, ...], path: Path, lineno: int) -> str:
    target = target.resolve()
    if target in stack:
        chain = " -> ".join(p.name for p in stack + (target,))
        raise ShortcodeError(path, lineno, f"include cycle: {chain}")
    if not target.is_file():
        raise ShortcodeError(path, lineno, f"included file not found: {target}")
    text = target.read_text(encoding="utf-8")
    if _FRONT_MATTER.match(text):
        raise ShortcodeError(target, 1, "an included file cannot have front matter")
    body = expand_shortcodes(text, variables, target, _stack=stack)
    return "\n" + body + ("" if body.endswith("\n") else "\n") + "\n"


def read_source(source: Path, variables: Mapping[str, Any]) -> tuple[dict, str]:
    """The understood front matter (shortcodes expanded) and the expanded body of a Quarto source."""
    source = Path(source).resolve()
    text = source.read_text(encoding="utf-8")
    meta: dict = {}
    first_line = 1
    m = _FRONT_MATTER.match(text)
    if m:
        try:
            raw = yaml.safe_load(m.group(1)) or {}
        except yaml.YAMLError as exc:
            raise RenderError(f"{source}: front matter is not valid YAML: {exc}") from None
        if not isinstance(raw, dict):
            raise RenderError(f"{source}: front matter is not a mapping")
        meta = {k: v for k, v in raw.items() if k in FRONT_MATTER_KEYS}
        meta = _expand_meta(meta, variables, source)
        first_line = text.count("\n", 0, m.end()) + 1
        text = text[m.end() :]
    body = expand_shortcodes(text, variables, source, _first_line=first_line)
    return meta, body


def _expand_meta(value: Any, variables: Mapping[str, Any], source: Path) -> Any:
    if isinstance(value, str):
        return expand_shortcodes(value, variables, source)
    if isinstance(value, dict):
        return {k: _expand_meta(v, variables, source) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand_meta(v, variables, source) for v in value]
    return value


# --------------------------------------------------------------------------- engines


def quarto_version(executable: str | None = None) -> tuple[int, int] | None:
    """(major, minor) of the ``quarto`` on PATH, or None when there is none."""
    exe = executable or shutil.which("quarto")
    if not exe:
        return None
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=60, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"(\d+)\.(\d+)", out)
    return (int(m.group(1)), int(m.group(2))) if m else None


def pandoc_path() -> str:
    import pypandoc

    return pypandoc.get_pandoc_path()


def fallback_engine_name() -> str:
    import pypandoc
    import typst

    pandoc = ".".join(pypandoc.get_pandoc_version().split(".")[:2])
    return f"pandoc {pandoc} + typst {'.'.join(typst.__version__.split('.')[:2])}"


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

    ``variables`` fill the ``{{< var >}}`` placeholders; ``title`` and ``lang``
    become the document's title and language in every format; ``synthetic``
    marks every page, section and slide "Synthetic data: not real cases".
    ``resource_dir`` is where relative image paths are found (default: the
    source's folder). ``engine`` is "auto" (Quarto >= 1.5 if on PATH, else the
    fallback), "quarto" or "fallback". ``epoch`` (seconds, UTC) stands for
    every timestamp written.

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
    if engine not in ("auto", "quarto", "fallback"):
        raise RenderError(f"engine must be auto, quarto or fallback; got {engine!r}")

    quarto = None
    if engine != "fallback":
        version = quarto_version()
        if version and version >= QUARTO_MIN_VERSION:
            quarto = (shutil.which("quarto"), version)
        elif engine == "quarto":
            raise RenderError(f"engine 'quarto' asked for, but no quarto >= 1.5 on PATH (found {version})")

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.render-", dir=out_dir.parent))
    try:
        env = dict(os.environ, SOURCE_DATE_EPOCH=str(epoch))
        job = _Job(source, variables, tmp, basename, synthetic, title, lang, resource_dir, env, epoch)
        if quarto:
            engine_name = f"quarto {quarto[1][0]}.{quarto[1][1]}"
            written = _render_with_quarto(job, quarto[0], formats)
        else:
            engine_name = fallback_engine_name()
            written = _render_with_fallback(job, formats)
        out_dir.mkdir(parents=True, exist_ok=True)
        final = {}
        for fmt in formats:
            target = out_dir / written[fmt].name
            os.replace(written[fmt], target)
            final[fmt] = target
        return RenderResult(final, engine_name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


class _Job:
    """What every format of one render needs to know."""

    def __init__(self, source, variables, tmp, basename, synthetic, title, lang, resource_dir, env, epoch):
        self.source, self.variables, self.tmp, self.basename = source, variables, tmp, basename
        self.synthetic, self.title, self.lang, self.resource_dir = synthetic, title, lang, resource_dir
        self.env, self.epoch = env, epoch
        self.when = dt.datetime.fromtimestamp(epoch, tz=dt.timezone.utc).replace(tzinfo=None)

    def output(self, fmt: str) -> Path:
        return self.tmp / f"{self.basename}.{fmt}"


def _fail(fmt: str, cause: str) -> RenderError:
    return RenderError(f"rendering {fmt} failed: {cause}")


# --------------------------------------------------------------------------- fallback


def _render_with_fallback(job: _Job, formats: list[str]) -> dict[str, Path]:
    try:
        meta, body = read_source(job.source, job.variables)
    except RenderError as exc:
        raise RenderError(f"cannot render {job.source.name}: {exc}") from None
    meta["title"] = job.title
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
    meta_file.write_text(yaml.safe_dump(meta, allow_unicode=True, sort_keys=True), encoding="utf-8")
    base = [
        pandoc_path(),
        str(md),
        "--from=markdown",
        f"--metadata-file={meta_file}",
        f"--lua-filter={LUA_FILTER}",
        f"--resource-path={os.pathsep.join(dict.fromkeys([str(job.resource_dir), str(job.source.parent)]))}",
        *flags,
    ]
    written = {}
    for fmt in formats:
        try:
            written[fmt] = {"html": _fallback_html, "pdf": _fallback_pdf, "docx": _fallback_docx, "pptx": _fallback_pptx}[
                fmt
            ](job, base, work)
        except RenderError:
            raise
        except Exception as exc:  # a library failing inside post-processing
            raise _fail(fmt, f"{type(exc).__name__}: {exc}") from exc
    return written


def _pandoc(job: _Job, fmt: str, args: list[str], env: dict | None = None) -> None:
    try:
        proc = subprocess.run(
            args, cwd=job.resource_dir, env=env or job.env, capture_output=True, text=True, timeout=600
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise _fail(fmt, f"pandoc could not run: {exc}") from exc
    if proc.returncode != 0:
        raise _fail(fmt, f"pandoc exited {proc.returncode}: {proc.stderr.strip()}")


def _synthetic_html(work: Path) -> list[str]:
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


def _fallback_html(job: _Job, base: list[str], work: Path) -> Path:
    out = job.output("html")
    args = base + ["--to=html5", "--standalone", "--embed-resources", f"--css={HTML_CSS}", "--section-divs", "-o", str(out)]
    if job.synthetic:
        args += _synthetic_html(work)
    _pandoc(job, "html", args)
    return out


def _typst_fonts() -> list[str]:
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


def _fallback_pdf(job: _Job, base: list[str], work: Path) -> Path:
    import typst

    typ = work / f"{job.basename}.typ"
    language, _, region = job.lang.partition("-")
    args = base + ["--to=typst", "--standalone", f"--template={TYPST_TEMPLATE}", "-o", str(typ)]
    args += [f"--metadata=lang-code:{language}", f"--metadata=region:{region or 'GB'}"]
    if job.synthetic:
        args.append(f"--metadata=synthetic-notice:{SYNTHETIC_NOTICE}")
    _pandoc(job, "pdf", args)
    out = job.output("pdf")
    try:
        pdf = typst.compile(
            str(typ),
            root=Path(typ.anchor).as_posix(),
            font_paths=_typst_fonts(),
            ignore_system_fonts=True,
            timestamp=job.epoch,
            pdf_standards=["ua-1"],
        )
    except Exception as exc:
        raise _fail("pdf", f"typst: {exc}") from exc
    out.write_bytes(pdf)
    return out


def _fallback_docx(job: _Job, base: list[str], work: Path) -> Path:
    out = job.output("docx")
    _pandoc(job, "docx", base + ["--to=docx", f"--reference-doc={REFERENCE_DOCX}", "-o", str(out)])
    finish_docx(out, job)
    return out


def _fallback_pptx(job: _Job, base: list[str], work: Path) -> Path:
    out = job.output("pptx")
    log = work / "pptx-alt.json"
    env = dict(job.env, RENDER_ALT_LOG=str(log))
    _pandoc(job, "pptx", base + ["--to=pptx", "--slide-level=2", f"--reference-doc={REFERENCE_PPTX}", "-o", str(out)],
            env=env)
    alts = json.loads(log.read_text(encoding="utf-8")) if log.exists() else []
    finish_pptx(out, job, alts)
    return out


# --------------------------------------------------------------------------- quarto


def _render_with_quarto(job: _Job, quarto: str, formats: list[str]) -> dict[str, Path]:
    """Render with ``quarto render``, one format at a time, into the temporary folder."""
    variables_file = job.source.parent / "_variables.yml"
    text = yaml.safe_dump(dict(job.variables), allow_unicode=True, sort_keys=True)
    if not variables_file.exists() or variables_file.read_text(encoding="utf-8") != text:
        variables_file.write_text(text, encoding="utf-8")
    work = job.tmp / "_work"
    work.mkdir()
    to = {"html": "html", "pdf": "typst", "docx": "docx", "pptx": "pptx"}
    written = {}
    for fmt in formats:
        name = f"{job.basename}.{fmt}"
        args = [quarto, "render", str(job.source), "--to", to[fmt], "--output", name, "--output-dir", str(job.tmp)]
        args += ["-M", f"lang:{json.dumps(job.lang)}", "-M", f"title:{json.dumps(job.title)}"]
        if fmt == "html":
            args += ["--embed-resources", f"--css={HTML_CSS}"]
            if job.synthetic:
                args += _synthetic_html(work)
        elif fmt == "pdf" and job.synthetic:
            header = work / "synthetic-header.typ"
            header.write_text(
                "#set page(header: align(center, text(size: 9pt, weight: \"bold\", fill: rgb(\"#8a1c1c\"))["
                + SYNTHETIC_NOTICE
                + "]))\n",
                encoding="utf-8",
            )
            cover = work / "synthetic-cover.typ"
            cover.write_text(
                "```{=typst}\n#block(width: 100%, inset: 8pt, stroke: 1.5pt + rgb(\"#8a1c1c\"))[*"
                + SYNTHETIC_NOTICE
                + "*]\n```\n",
                encoding="utf-8",
            )
            args += [f"--include-in-header={header}", f"--include-before-body={cover}"]
        elif fmt in ("docx", "pptx"):  # as report/_quarto.yml says, and a replaced template wins
            args.append(f"--reference-doc={REFERENCE_DOCX if fmt == 'docx' else REFERENCE_PPTX}")
        try:
            proc = subprocess.run(
                args, cwd=job.source.parent, env=job.env, capture_output=True, text=True, timeout=1800
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise _fail(fmt, f"quarto could not run: {exc}") from exc
        if proc.returncode != 0:
            raise _fail(fmt, f"quarto exited {proc.returncode}: {proc.stderr.strip()[-2000:]}")
        out = job.output(fmt)
        beside = job.source.parent / name
        if not out.exists() and beside.exists():  # an older quarto ignoring --output-dir
            shutil.move(str(beside), out)
        if not out.exists():
            raise _fail(fmt, f"quarto reported success but wrote no {name}")
        if fmt == "docx":
            finish_docx(out, job)
        elif fmt == "pptx":
            finish_pptx(out, job, [])
        written[fmt] = out
    return written


# --------------------------------------------------------------------------- Word


def build_reference_docx(path: Path) -> Path:
    """Write the reference document that styles the Word paper as a council committee paper.

    Built by code from pandoc's own reference document, so it is reviewable
    and needs no binary in git: Arial throughout (Word has it; LibreOffice
    substitutes the metric-compatible Liberation Sans), 12pt body, dark blue
    bold headings, A4 with 2 cm margins, page numbers in the footer, and a
    ruled table style whose header row is bold and shaded."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, RGBColor

    path = Path(path)
    proc = subprocess.run(
        [pandoc_path(), "-o", str(path), "--print-default-data-file", "reference.docx"], capture_output=True
    )
    if proc.returncode != 0:
        raise RenderError(f"pandoc could not write its reference.docx: {proc.stderr.decode(errors='replace')}")
    doc = docx.Document(str(path))
    styles = doc.styles

    # document defaults: Arial 12pt, British English
    rpr = styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    fonts = rpr.find(qn("w:rFonts"))
    for attr in list(fonts.attrib):
        del fonts.attrib[attr]
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), "Arial")
    rpr.find(qn("w:lang")).set(qn("w:val"), "en-GB")

    navy = RGBColor(0x1D, 0x35, 0x57)
    for name, size in (("Title", 20), ("Subtitle", 14), ("Heading 1", 16), ("Heading 2", 14), ("Heading 3", 12), ("Heading 4", 12)):
        style = styles[name]
        style.font.name = "Arial"
        style.font.size = Pt(size)
        style.font.bold = True
        style.font.italic = False
        style.font.color.rgb = navy
        style.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.LEFT
        style.paragraph_format.space_before = Pt(18 if name == "Heading 1" else 12)
        style.paragraph_format.space_after = Pt(6)
    body_styles = {"normal", "body text", "first paragraph", "compact", "caption", "table caption", "image caption"}
    for style in styles:
        if style.name and style.name.lower() in body_styles:
            style.font.name = "Arial"

    # table style "Table": single rules all round, bold shaded header row
    table = styles["Table"].element
    tblpr = table.find(qn("w:tblPr"))
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        b = OxmlElement(f"w:{edge}")
        b.set(qn("w:val"), "single")
        b.set(qn("w:sz"), "4")
        b.set(qn("w:space"), "0")
        b.set(qn("w:color"), "606060")
        borders.append(b)
    tblpr.append(borders)
    first = table.find(qn("w:tblStylePr"))
    first_rpr = OxmlElement("w:rPr")
    first_rpr.append(OxmlElement("w:b"))
    first.insert(0, first_rpr)
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), "DDE4EE")
    first.find(qn("w:tcPr")).append(shd)

    # the reference's own sample text goes; its section sets A4 and the footer
    body = doc.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2.0))
    footer = section.footer
    footer.is_linked_to_previous = False
    para = footer.paragraphs[0]
    para.alignment = WD_ALIGN_PARAGRAPH.CENTER
    para.add_run("Page ")
    _add_field(para, "PAGE")
    para.add_run(" of ")
    _add_field(para, "NUMPAGES")
    doc.save(str(path))
    return path


def _add_field(paragraph, instruction: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def finish_docx(path: Path, job: _Job) -> None:
    """Set title, language and fixed dates; put the synthetic notice in every
    section's headers (pandoc cannot); then make the zip deterministic."""
    import docx
    from docx.shared import Pt, RGBColor

    doc = docx.Document(str(path))
    if job.synthetic:
        for section in doc.sections:
            headers = [section.header]
            if section.different_first_page_header_footer:
                headers.append(section.first_page_header)
            if doc.settings.odd_and_even_pages_header_footer:
                headers.append(section.even_page_header)
            for header in headers:
                header.is_linked_to_previous = False
                if SYNTHETIC_NOTICE in "".join(p.text for p in header.paragraphs):
                    continue
                para = header.paragraphs[0] if header.paragraphs and not header.paragraphs[0].text else header.add_paragraph()
                run = para.add_run(SYNTHETIC_NOTICE)
                run.bold = True
                run.font.size = Pt(10)
                run.font.color.rgb = RGBColor(0x8A, 0x1C, 0x1C)
    _set_core_properties(doc.core_properties, job)
    doc.save(str(path))
    normalise_zip(path, job.when)


def _set_core_properties(props, job: _Job) -> None:
    props.title = job.title
    props.language = job.lang
    props.created = job.when
    props.modified = job.when
    props.last_printed = job.when
    props.last_modified_by = ""
    props.revision = 1


# --------------------------------------------------------------------------- PowerPoint


def finish_pptx(path: Path, job: _Job, alts: list[dict]) -> None:
    """Put the synthetic notice on every slide, give pictures their alt text
    (pandoc writes the file path there), set title, language and fixed dates,
    then make the zip deterministic."""
    from pptx import Presentation
    from pptx.dml.color import RGBColor
    from pptx.enum.text import PP_ALIGN
    from pptx.util import Emu, Pt

    prs = Presentation(str(path))
    pending: dict[str, list[str]] = {}
    for entry in alts:
        pending.setdefault(entry["src"], []).append(entry["alt"])
    width, height = prs.slide_width, prs.slide_height
    for slide in prs.slides:
        for shape in slide.shapes:
            if shape.shape_type == 13:  # MSO_SHAPE_TYPE.PICTURE
                c_nv_pr = shape._element.nvPicPr.cNvPr
                queue = pending.get(c_nv_pr.get("descr", ""))
                if queue:
                    c_nv_pr.set("descr", queue.pop(0))
        if job.synthetic:
            # along the foot of the slide, clear of pandoc's title and content boxes
            box = slide.shapes.add_textbox(Emu(int(width * 0.02)), height - Pt(24), Emu(int(width * 0.96)), Pt(22))
            box.name = "Synthetic data notice"
            frame = box.text_frame
            frame.margin_top = frame.margin_bottom = 0
            frame.paragraphs[0].alignment = PP_ALIGN.CENTER
            run = frame.paragraphs[0].add_run()
            run.text = SYNTHETIC_NOTICE
            run.font.size = Pt(12)
            run.font.bold = True
            run.font.color.rgb = RGBColor(0x8A, 0x1C, 0x1C)
    _set_core_properties(prs.core_properties, job)
    prs.save(str(path))
    normalise_zip(path, job.when)


# --------------------------------------------------------------------------- zips


def normalise_zip(path: Path, when: dt.datetime) -> None:
    """Rewrite an Office zip so that its bytes depend on its contents only:
    ``[Content_Types].xml`` first then members in name order, one fixed
    timestamp, fixed permissions, deflate at level 9."""
    path = Path(path)
    with zipfile.ZipFile(path) as src:
        members = {info.filename: src.read(info) for info in src.infolist()}
    order = sorted(members, key=lambda n: (n != "[Content_Types].xml", n))
    stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
    tmp = path.with_name(path.name + ".zip-tmp")
    with zipfile.ZipFile(tmp, "w") as dst:
        for name in order:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            dst.writestr(info, members[name], compresslevel=9)
    os.replace(tmp, path)
