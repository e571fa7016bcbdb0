"""The one escaping boundary: text from the data, written as Pandoc Markdown that means only itself.

Every value that comes from the data (names, free text, labels, ids, the
review's metadata) goes into the papers' Markdown through ``literal`` (inline
text) or ``cell`` (a pipe-table cell). The result reads back, with Pandoc and
with genuine Quarto, in every format, as exactly the characters typed:

* every ASCII punctuation character is backslash-escaped, so nothing can
  become emphasis, a link, an image, a raw ``{=format}`` attribute, math,
  HTML, an attribute list, a citation or cross-reference, or a smart quote;
* an empty span ``[]{}`` (invisible in every format) is put between ``{`` and
  a following ``<``, and between ``>`` and a following ``}``, so that no
  shortcode opening ``{{<`` or closing ``>}}`` exists, neither in the text
  Quarto scans nor in the parsed words it scans again in metadata and
  ``_variables.yml`` values;
* every line break that ``str.splitlines`` knows becomes a space, tabs become
  spaces, and other control characters (which XML cannot hold) become U+FFFD.
"""
from __future__ import annotations

import math
import re
import string

__all__ = ["literal", "cell", "attribute", "plain"]

_PUNCT = frozenset(string.punctuation)
# \r\n first, then every single character str.splitlines() breaks on
_LINE_BREAKS = re.compile("\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
_CONTROL = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")
_EMPTY_SPAN = "[]{}"


def plain(text) -> str:
    """``text`` as it is shown: line breaks and tabs as spaces, control characters as U+FFFD, ends stripped."""
    return _plain(text)


def _plain(text) -> str:
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    text = _LINE_BREAKS.sub(" ", str(text)).replace("\t", " ")
    return _CONTROL.sub("\ufffd", text).strip()


def literal(text) -> str:
    """``text`` as inline Pandoc Markdown that every format shows as typed (None and NaN: "")."""
    plain = _plain(text)
    out: list[str] = []
    for i, ch in enumerate(plain):
        if i and ((plain[i - 1] == "{" and ch == "<") or (plain[i - 1] == ">" and ch == "}")):
            out.append(_EMPTY_SPAN)
        out.append("\\" + ch if ch in _PUNCT else ch)
    return "".join(out)


def cell(text) -> str:
    """``text`` for one cell of a pipe table: literal, on one line, its pipes escaped."""
    return literal(text)


def attribute(text) -> str:
    """``text`` for a quoted attribute value (``fig-alt="..."``): every ASCII punctuation character escaped."""
    return "".join("\\" + ch if ch in _PUNCT else ch for ch in _plain(text))
