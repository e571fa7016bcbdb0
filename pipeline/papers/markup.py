"""The one boundary where text from the data crosses into Markdown (stand-in).

Every value that comes from the data (names, free text, labels, ids, file
names, a review's metadata) reaches a paper through :func:`literal` (inline
text) or :func:`cell` (a pipe-table cell), so that it is read as the text it
is and never as markup, a shortcode or a raw block.

This is a stand-in with the final interface: the engines stream writes the
real module. It backslash-escapes every ASCII punctuation character (Pandoc
Markdown reads ``\\x`` as a literal ``x`` for any punctuation ``x``) and turns
every line break that :meth:`str.splitlines` knows into a space.
"""
from __future__ import annotations

import string

_ESCAPES = {ord(ch): "\\" + ch for ch in string.punctuation}


def _one_line(text) -> str:
    if text is None:
        return ""
    if not isinstance(text, str):
        try:
            if text != text:  # NaN
                return ""
        except (TypeError, ValueError):
            pass
        text = str(text)
    return " ".join(text.splitlines()) if text else ""


def literal(text) -> str:
    """``text`` as inline Markdown that renders as exactly that text, on one line."""
    return _one_line(text).translate(_ESCAPES)


def cell(text) -> str:
    """``text`` as the contents of a pipe-table cell (``|`` escaped with the rest)."""
    return literal(text)
