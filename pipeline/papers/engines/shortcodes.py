"""The built-in engine's share of Quarto's shortcodes, expanded in authored files only.

``{{< var dotted.key >}}`` (the value, as literal text: a value from the data
never becomes markup), ``{{< pagebreak >}}`` and ``{{< include path >}}``
(relative to the including file, inside the workspace, recursive, cycles
refused; include and pagebreak stand alone on their line). ``{{{< ... >}}}``
writes a shortcode literally. Any other shortcode is an error naming the file
and line. A file under one of the workspace's generated folders
(``sections/``) is included as it stands: its text is never searched for
shortcodes, so nothing in the data can form one.
"""
from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any, Mapping

import yaml

from pipeline.papers import markup
from pipeline.papers.engines.common import RenderError, ShortcodeError, is_generated, text_value

SHORTCODES = ("var", "pagebreak", "include")
# Front matter keys the built-in engine understands; the rest are Quarto's.
FRONT_MATTER_KEYS = frozenset(
    {"title", "subtitle", "author", "date", "abstract", "lang", "toc", "toc-depth", "number-sections"}
)
_SHORTCODE = re.compile(r"(\{\{\{<)(.*?)(>\}\}\})|\{\{<(.*?)>\}\}")
FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)

# Raw blocks for a page break (from this template, never from data); each writer keeps its own.
_PAGEBREAK = (
    '\n```{=html}\n<div class="pagebreak" aria-hidden="true"></div>\n```\n\n'
    "```{=typst}\n#pagebreak(weak: true)\n```\n\n"
    '```{=openxml}\n<w:p><w:r><w:br w:type="page"/></w:r></w:p>\n```\n'
)


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
    return text_value(node)


class _Context:
    def __init__(self, variables, path: Path, root: Path, stack: tuple[Path, ...]):
        self.variables, self.path, self.root, self.stack = variables, path, root, stack


def expand_shortcodes(
    text: str,
    variables: Mapping[str, Any],
    path: Path,
    *,
    root: Path | None = None,
    _stack: tuple[Path, ...] = (),
    _first_line: int = 1,
) -> str:
    """Expand the built-in shortcodes (var, pagebreak, include) in ``text`` read from ``path``.

    ``root`` (default: the folder of ``path``) is the workspace: includes must
    stay inside it. Raises ShortcodeError naming the file and line for an
    unknown variable, an unsupported or malformed shortcode, a missing or
    outside include or an include cycle."""
    path = Path(path).resolve()
    ctx = _Context(variables, path, Path(root).resolve() if root else path.parent, _stack + (path,))
    out = []
    for offset, line in enumerate(text.splitlines(keepends=True)):
        out.append(_expand_line(line, _first_line + offset, ctx))
    return "".join(out)


def _expand_line(line: str, lineno: int, ctx: _Context) -> str:
    pieces: list[str] = []
    pos = 0
    block: str | None = None  # an include or pagebreak, which must stand alone
    for m in _SHORTCODE.finditer(line):
        pieces.append(line[pos : m.start()])
        pos = m.end()
        if m.group(1):  # {{{< ... >}}}: the shortcode itself, literally
            pieces.append(markup.literal("{{<" + m.group(2) + ">}}"))
            continue
        try:
            args = shlex.split(m.group(4))
        except ValueError as exc:
            raise ShortcodeError(ctx.path, lineno, f"malformed shortcode {m.group(0)!r}: {exc}") from None
        name = args[0] if args else ""
        if name == "var":
            pieces.append(_var(args, m.group(0), lineno, ctx))
        elif name in ("pagebreak", "include"):
            if line.strip() != m.group(0):
                raise ShortcodeError(ctx.path, lineno, f"{name} must stand alone on its line")
            block = _block(name, args, m.group(0), lineno, ctx)
        else:
            raise ShortcodeError(
                ctx.path, lineno,
                f"unsupported shortcode {m.group(0)!r}: without Quarto only {', '.join(SHORTCODES)} are understood",
            )
    rest = line[pos:]
    if "{{<" in rest or ">}}" in rest:
        raise ShortcodeError(ctx.path, lineno, f"unterminated shortcode in {line.strip()!r}")
    pieces.append(rest)
    return block if block is not None else "".join(pieces)


def _var(args: list[str], code: str, lineno: int, ctx: _Context) -> str:
    if len(args) != 2:
        raise ShortcodeError(ctx.path, lineno, f"var takes one key: {code!r}")
    try:
        return markup.literal(lookup_variable(ctx.variables, args[1]))
    except KeyError as exc:
        raise ShortcodeError(ctx.path, lineno, exc.args[0]) from None


def _block(name: str, args: list[str], code: str, lineno: int, ctx: _Context) -> str:
    if name == "pagebreak":
        if len(args) != 1:
            raise ShortcodeError(ctx.path, lineno, "pagebreak takes no arguments")
        return _PAGEBREAK
    if len(args) != 2:
        raise ShortcodeError(ctx.path, lineno, f"include takes one path: {code!r}")
    return _include(ctx.path.parent / args[1], lineno, ctx)


def _include(target: Path, lineno: int, ctx: _Context) -> str:
    target = target.resolve()
    if not target.is_relative_to(ctx.root):
        raise ShortcodeError(ctx.path, lineno, f"included file is outside the workspace: {target}")
    if target in ctx.stack:
        chain = " -> ".join(p.name for p in ctx.stack + (target,))
        raise ShortcodeError(ctx.path, lineno, f"include cycle: {chain}")
    if not target.is_file():
        raise ShortcodeError(ctx.path, lineno, f"included file not found: {target}")
    text = target.read_text(encoding="utf-8")
    if FRONT_MATTER.match(text):
        raise ShortcodeError(target, 1, "an included file cannot have front matter")
    if is_generated(target, ctx.root):
        body = text  # generated content: text, never searched for shortcodes
    else:
        body = expand_shortcodes(text, ctx.variables, target, root=ctx.root, _stack=ctx.stack)
    return "\n" + body + ("" if body.endswith("\n") else "\n") + "\n"


def split_front_matter(source: Path) -> tuple[dict, str, int]:
    """(front matter as a dict, the text after it, the line number the text starts on)."""
    text = Path(source).read_text(encoding="utf-8")
    m = FRONT_MATTER.match(text)
    if not m:
        return {}, text, 1
    try:
        raw = yaml.safe_load(m.group(1)) or {}
    except yaml.YAMLError as exc:
        raise RenderError(f"{source}: front matter is not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise RenderError(f"{source}: front matter is not a mapping")
    return raw, text[m.end() :], text.count("\n", 0, m.end()) + 1


def read_source(source: Path, variables: Mapping[str, Any]) -> tuple[dict, str]:
    """The understood front matter (shortcodes expanded) and the expanded body of a Quarto source."""
    source = Path(source).resolve()
    raw, text, first_line = split_front_matter(source)
    meta = expand_meta({k: v for k, v in raw.items() if k in FRONT_MATTER_KEYS}, variables, source)
    body = expand_shortcodes(text, variables, source, _first_line=first_line)
    return meta, body


def expand_meta(value: Any, variables: Mapping[str, Any], source: Path) -> Any:
    """Front matter values with their shortcodes expanded (strings stay Markdown)."""
    if isinstance(value, str):
        return expand_shortcodes(value, variables, source)
    if isinstance(value, dict):
        return {k: expand_meta(v, variables, source) for k, v in value.items()}
    if isinstance(value, list):
        return [expand_meta(v, variables, source) for v in value]
    return value
