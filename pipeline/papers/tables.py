"""Blocks the papers are built from: pipe tables, ratings and figure references.

A table cell is data unless it is :class:`Markup`: plain values pass through
:func:`pipeline.papers.markup.cell`, so a name or a free-text comment is shown
as typed. :class:`Markup` marks a cell the code composed itself (a rating's
span, bold ids) from parts that crossed the boundary already.
"""
from __future__ import annotations

import pandas as pd

from pipeline.papers import markup
from pipeline.papers.format import missing

RAG_WORD = {"green": "Green", "amber": "Amber", "red": "Red", "grey": "Grey"}
RAG_MARK = {"green": "●", "amber": "◆", "red": "▲", "grey": "○"}


class Markup:
    """Markdown composed by the code (never raw data): a table cell that is not escaped again.

    Not a ``str`` subclass on purpose: pandas would store it as a plain string
    and the mark would be lost. It reads as its text (``str``, f-strings) and
    equals a string of the same text.
    """

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = str(text)

    def __str__(self) -> str:
        return self.text

    def __format__(self, spec: str) -> str:
        return format(self.text, spec)

    def __repr__(self) -> str:
        return f"Markup({self.text!r})"

    def __eq__(self, other) -> bool:
        return str(other) == self.text if isinstance(other, (str, Markup)) else NotImplemented

    def __hash__(self) -> int:
        return hash(self.text)

    def __len__(self) -> int:
        return len(self.text)


def rag_cell(rag) -> Markup | str:
    """A rating in words and symbol, coloured in HTML through its class (never colour alone)."""
    if not isinstance(rag, str) or rag not in RAG_WORD:
        return "Not rated"
    return Markup(f"[{RAG_MARK[rag]} {RAG_WORD[rag]}]{{.rag-{rag}}}")


def rating_or_unrated(rag) -> Markup | str:
    return rag_cell(rag) if isinstance(rag, str) else "Not rated"


def bold_id(ident, text) -> Markup:
    """"**R1.** text" from a data id and data text, both escaped."""
    return Markup(f"**{markup.literal(ident)}.** {markup.literal(text)}")


def _cell(value) -> str:
    if isinstance(value, Markup):
        return " ".join(value.text.splitlines())
    return markup.cell("" if missing(value) else value)


def _width(value) -> int:
    return len("" if missing(value) else " ".join(str(value).splitlines()))


def md_table(frame: pd.DataFrame, align: list[str] | None = None, widths: list[int] | None = None) -> str:
    """A pipe table with a header row (tables stay tables in every format).

    ``widths`` are relative column widths: Pandoc reads them from the lengths of
    the dashes in the separator line of a wide pipe table. Without them each
    column's width follows its longest cell (between 8 and 40).
    """
    cols = list(frame.columns)
    align = align or ["l"] * len(cols)
    widths = widths or [max(8, min(40, max([len(str(c))] + [_width(x) for x in frame[c]]))) for c in cols]
    total = sum(widths)

    def sep(a, w):
        dashes = "-" * max(3, round(120 * w / total))
        return {"l": ":" + dashes, "r": dashes + ":", "c": ":" + dashes + ":"}[a]

    lines = ["| " + " | ".join(_cell(c) for c in cols) + " |",
             "|" + "|".join(sep(a, w) for a, w in zip(align, widths)) + "|"]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
    return "\n".join(lines) + "\n"


def figure_ref(caption: str, target: str, alt: str) -> str:
    """A figure: its caption as literal text, its alt text as an attribute (quotes and line breaks made safe)."""
    safe_alt = markup.attribute(alt)
    return f'![{markup.literal(caption)}]({target}){{fig-alt="{safe_alt}" width="100%"}}\n'


class Prose:
    """A choice among authored texts: the partial ``report/partials/<name>`` that fills a prose slot.

    The publisher copies the file into the workspace's ``chosen/`` folder,
    where the paper's ``.qmd`` includes it; no sentence is built in Python.
    ``None`` in a prose slot leaves it empty.
    """

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"Prose({self.name!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Prose) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)


def prose(name: str, when: bool = True) -> Prose | None:
    """The partial ``name`` when ``when`` holds, else an empty slot."""
    return Prose(name) if when else None
