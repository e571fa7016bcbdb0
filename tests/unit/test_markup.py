"""pipeline.papers.markup: text from the data reads back, through Pandoc, as exactly the characters typed.

The expected values are the input strings themselves (with line breaks as
spaces): Pandoc, an independent reader, must give them back."""
from __future__ import annotations

import json

import pypandoc
import pytest

from pipeline.papers import markup

HOSTILE = [
    "<script>alert(1)</script>", '<img src=x onerror="alert(1)">', "[x](javascript:alert(1))",
    "`<b>x</b>`{=html}", "`#read(\"/etc/passwd\")`{=typst}", "`<w:r/>`{=openxml}", "`\\input{x}`{=latex}",
    "{{< include /etc/passwd >}}", "{{< var title >}}", "{{{< meta title >}}}", ">}} and {{<", "![x](/etc/passwd)",
    "$x^2$ costs $5", "#read(\"/x\") #image(\"/x\") #include \"/x\"", "*a* _b_ **c** ~d~ ^e^ ==f==",
    "@fig-x [@cite] \\ backslash", "1. not a list", "# not a heading", "- not a bullet", "> not a quote",
    "a | b | c", "&amp; &lt; &#123;", "it's \"quoted\" -- and ... dots", ":smile: <https://x.y>",
    "[span]{.red} {#id .class}", "<!-- comment -->", "::: {.callout-note}",
]


def _inlines_text(markdown: str) -> str:
    """The text Pandoc reads from ``markdown``, with Str, Space and empty Spans only (else fails)."""
    doc = json.loads(pypandoc.convert_text(markdown, "json", format="markdown"))
    assert len(doc["blocks"]) == 1 and doc["blocks"][0]["t"] == "Para", doc["blocks"]
    out = []
    for node in doc["blocks"][0]["c"]:
        if node["t"] == "Str":
            out.append(node["c"])
        elif node["t"] == "Space":
            out.append(" ")
        elif node["t"] == "Span":
            assert node["c"] == [["", [], []], []], node  # the empty span that breaks {{< and >}}
        else:
            pytest.fail(f"{markdown!r} became {node['t']}")
    return "".join(out)


@pytest.mark.parametrize("text", HOSTILE)
def test_literal_reads_back_as_the_text_and_only_text(text):
    assert _inlines_text("x " + markup.literal(text) + " y") == "x " + text + " y"


@pytest.mark.parametrize("brk", ["\n", "\r", "\r\n", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"])
def test_every_line_break_becomes_a_space(brk):
    out = markup.literal(f"a{brk}{{{{< include /etc/passwd >}}}}")
    assert not any(c in out for c in "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")
    assert _inlines_text(out) == "a {{< include /etc/passwd >}}"


def test_no_shortcode_opening_or_closing_survives_in_the_markdown():
    out = markup.literal("{{< a >}} {{{< b >}}} {{</* c */>}}")
    unescaped = out.replace("\\", "")
    assert "{<" not in unescaped and ">}" not in unescaped


def test_cell_keeps_a_pipe_table_cell_in_one_piece():
    table = f"| a | b |\n|---|---|\n| {markup.cell('x | y')} | {markup.cell('2')} |\n"
    doc = json.loads(pypandoc.convert_text(table, "json", format="markdown"))
    body = doc["blocks"][0]["c"][4][0][3]  # the first body's rows
    assert len(body) == 1 and len(body[0][1]) == 2


def test_attribute_value_reads_back_as_typed():
    alt = 'A "quoted" {{< env HOME >}} & <b> \\ end'
    source = f'![c](x.png){{fig-alt="{markup.attribute(alt)}"}}'
    doc = json.loads(pypandoc.convert_text(source, "json", format="markdown"))
    image = doc["blocks"][0]["c"][2][0]["c"][0]
    assert dict(image["c"][0][2])["fig-alt"] == alt


def test_missing_values_and_control_characters():
    assert markup.literal(None) == "" and markup.literal(float("nan")) == ""
    assert markup.literal("a\x00b\tc") == "a\ufffdb c"
    assert markup.literal(12.5) == "12\\.5"
