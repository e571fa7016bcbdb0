"""The one boundary from data to Markdown (stand-in): data renders as the text it is."""
from __future__ import annotations

import string

import pypandoc
import pytest

from pipeline.papers.markup import cell, literal

HOSTILE = [
    "<script>alert(1)</script>", "{{< include /etc/passwd >}}", "`{=html}`", "[link](javascript:alert(1))",
    "![img](/etc/passwd)", "$x^2$", "**bold** _it_", "#heading", "a | b", "\\escaped", "@fig-x", "<!-- c -->",
]
BREAKS = ["\n", "\r", "\r\n", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]


def test_every_ascii_punctuation_character_is_escaped():
    assert literal(string.punctuation) == "".join("\\" + c for c in string.punctuation)
    assert literal("plain words 123") == "plain words 123"


@pytest.mark.parametrize("brk", BREAKS)
def test_every_line_break_becomes_a_space(brk):
    assert literal(f"one{brk}two") == "one two"
    assert cell(f"a{brk}b") == "a b"


def test_missing_values_are_empty_and_numbers_are_text():
    assert literal(None) == "" and cell(float("nan")) == "" and cell(12) == "12"


def test_a_pipe_cannot_end_a_cell():
    assert cell("a | b") == "a \\| b"


def _plain(markdown: str) -> str:
    return pypandoc.convert_text(markdown, "plain", format="markdown", extra_args=["--wrap=none"]).strip()


@pytest.mark.parametrize("text", HOSTILE)
def test_pandoc_reads_the_escaped_text_as_exactly_that_text(text):
    # an independent route: Pandoc itself reads the escaped text back
    assert _plain(literal(text)) == text


def test_pandoc_reads_a_hostile_cell_as_one_cell():
    table = f"| A | B |\n|---|---|\n| {cell('x | y')} | {cell('<b>z</b>')} |\n"
    html = pypandoc.convert_text(table, "html", format="markdown")
    assert html.count("<td") == 2 and "x | y" in html and "&lt;b&gt;z&lt;/b&gt;" in html
