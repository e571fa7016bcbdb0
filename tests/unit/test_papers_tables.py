"""Pipe tables, ratings and figure references of the paper kit, on tiny frames."""
from __future__ import annotations

import pandas as pd
import pypandoc

from pipeline.papers.tables import Markup, bold_id, figure_ref, md_table, rag_cell


def test_md_table_layout_by_hand():
    frame = pd.DataFrame({"Team": ["North", "South"], "Cases": ["12", "7"]})
    # widths default to the longest cell, at least 8: 8 and 8, so 60 dashes each of 120
    assert md_table(frame, ["l", "r"]) == (
        "| Team | Cases |\n"
        "|:" + "-" * 60 + "|" + "-" * 60 + ":|\n"
        "| North | 12 |\n"
        "| South | 7 |\n")


def test_md_table_relative_widths():
    frame = pd.DataFrame({"A": ["x"], "B": ["y"]})
    sep = md_table(frame, ["l", "c"], widths=[1, 3]).splitlines()[1]
    assert sep == "|:" + "-" * 30 + "|:" + "-" * 90 + ":|"


def test_data_in_a_cell_is_escaped_and_markup_is_not():
    frame = pd.DataFrame({"Name": ["a|b <i>", None], "Rating": [rag_cell("red"), rag_cell(None)]})
    lines = md_table(frame).splitlines()
    assert lines[2] == "| a\\|b \\<i\\> | [▲ Red]{.rag-red} |"
    assert lines[3] == "|  | Not rated |"


def test_the_table_pandoc_reads_has_the_cells_as_typed():
    frame = pd.DataFrame({"Owner": ["Head of *Service* | QA"], "Status": [Markup("**Complete**")]})
    html = pypandoc.convert_text(md_table(frame), "html", format="markdown")
    assert "Head of *Service* | QA" in html and "<strong>Complete</strong>" in html
    assert html.count("<td") == 2


def test_rag_cell_words_and_symbols():
    assert [rag_cell(r) for r in ("green", "amber", "grey")] == [
        "[● Green]{.rag-green}", "[◆ Amber]{.rag-amber}", "[○ Grey]{.rag-grey}"]
    assert rag_cell("") == "Not rated" and rag_cell("purple") == "Not rated"


def test_bold_id_escapes_both_parts():
    assert bold_id("R1", "Do *this*") == "**R1.** Do \\*this\\*"


def test_figure_ref_caption_is_literal_and_alt_is_one_quoted_line():
    ref = figure_ref('Caption with $x$', "figures/a.png", 'Alt "quoted"\nnext')
    assert ref == "![Caption with \\$x\\$](figures/a.png){fig-alt=\"Alt \\\"quoted\\\" next\" width=\"100%\"}\n"
