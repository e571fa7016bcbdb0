"""Integration: the Board paper of the example review, in all four formats.

Text is extracted from each format with a library that reads that format
(html.parser, pypdf, python-docx, python-pptx), and checked for what must be
there (the synthetic-data notice on every page, the key figures, recomputed
here from the raw CSVs) and what must never be (case ids, auditors, comments).
"""
from __future__ import annotations

import hashlib
import re
import zipfile

import docx
import pandas as pd
import pptx
import pytest
from pypdf import PdfReader

from pipeline import cli
from pipeline.papers import engines as render
from pipeline.papers import publish
from pipeline.paths import output_dir, processed_dir, raw_dir

from html_text import HtmlText

pytestmark = pytest.mark.integration
EXAMPLE = "example-phase1"
NOTICE = "Synthetic data: not real cases"


@pytest.fixture(scope="module")
def paper():
    assert cli.build(EXAMPLE, jobs=2, render=True) == 0
    out = output_dir(EXAMPLE)
    html = HtmlText()
    html.feed((out / "board-paper.html").read_text(encoding="utf-8"))
    pdf = PdfReader(out / "board-paper.pdf")
    word = docx.Document(out / "board-paper.docx")
    deck = pptx.Presentation(out / "board-slides.pptx")
    texts = {
        "html": " ".join(html.parts),
        "pdf": " ".join(page.extract_text() for page in pdf.pages),
        "docx": " ".join([p.text for p in word.paragraphs]
                         + [c.text for t in word.tables for row in t.rows for c in row.cells]),
        "pptx": " ".join(sh.text_frame.text for s in deck.slides for sh in s.shapes if sh.has_text_frame)
        + " ".join(c.text for s in deck.slides for sh in s.shapes if sh.has_table
                   for row in sh.table.rows for c in row.cells),
    }
    return {"out": out, "html": html, "pdf": pdf, "docx": word, "pptx": deck,
            "texts": {k: re.sub(r"\s+", " ", v) for k, v in texts.items()}}


def _raw():
    raw = raw_dir(EXAMPLE)
    return (pd.read_csv(raw / "case_audit.csv", dtype=str), pd.read_csv(raw / "questionnaire.csv", dtype=str),
            pd.read_csv(raw / "workforce.csv"))


def test_four_formats_are_written(paper):
    names = sorted(p.name for p in paper["out"].iterdir())
    assert names == ["board-paper-tables.xlsx", "board-paper.docx", "board-paper.html", "board-paper.pdf",
                     "board-slides.pptx"]


def test_no_case_id_auditor_or_comment_in_any_format(paper):
    audit, quest, _ = _raw()
    forbidden = set(audit["case_id"]) | set(audit["auditor"]) | set(quest["comments"].dropna())
    forbidden |= {"COMMENT-"}
    for fmt, text in paper["texts"].items():
        assert [f for f in forbidden if f in text] == [], fmt


def test_key_figures_printed_equal_the_data(paper):
    audit, quest, wf = _raw()
    latest = wf[wf["period"] == wf["period"].max()]
    vacancy = (100 * (latest["established_fte"] - latest["in_post_fte"]).clip(lower=0).sum()
               / latest["established_fte"].sum())
    caseload = (latest[["cases_cp", "cases_lac", "cases_cin"]].sum().sum()
                / (latest["in_post_fte"] + latest["agency_fte"]).sum())
    ans = audit["C09"].str.lower()
    c09 = 100 * (ans == "yes").sum() / ans.isin(["yes", "no", "not_evidenced"]).sum()
    q1 = quest["Q1"].str.lower()
    q1_share = 100 * q1.isin(["strongly_agree", "agree"]).sum() / (q1.notna() & (q1 != "na")).sum()
    expected = [f"{vacancy:.0f}%", f"{caseload:.0f} cases per worker", f"({c09:.0f}%", f"{q1_share:.0f}% positive",
                f"{len(audit)} current child protection case files"]
    for fmt in ("html", "pdf", "docx"):
        text = paper["texts"][fmt]
        assert [e for e in expected if e not in text] == [], fmt
    # the seeds' published figures, from the monitoring data
    for fmt in ("html", "pdf", "docx"):
        assert "from 903 in December 2007 to 1,052 in December 2008" in paper["texts"][fmt]
        assert "net rise of +44" in paper["texts"][fmt]
    assert f"{vacancy:.0f}%" in paper["texts"]["pptx"]


def test_synthetic_notice_on_every_page_section_and_slide(paper):
    for i, page in enumerate(paper["pdf"].pages):
        assert NOTICE in page.extract_text(), f"PDF page {i + 1}"
    for section in paper["docx"].sections:
        assert NOTICE in " ".join(p.text for p in section.header.paragraphs)
    for i, slide in enumerate(paper["pptx"].slides):
        text = " ".join(sh.text_frame.text for sh in slide.shapes if sh.has_text_frame)
        assert NOTICE in text, f"slide {i + 1}"
    assert NOTICE in paper["texts"]["html"]


def test_accessible_by_construction(paper):
    html = paper["html"]
    assert html.lang == "en-GB"
    assert "Protecting Children in Kent" in html.title
    assert html.imgs and all(img.get("alt") for img in html.imgs)
    with zipfile.ZipFile(paper["out"] / "board-paper.docx") as z:
        body = z.read("word/document.xml").decode()
    descrs = re.findall(r'<wp:docPr [^>]*descr="([^"]*)"', body)
    assert descrs and all(descrs)
    assert paper["docx"].core_properties.title == "Protecting Children in Kent"
    assert paper["docx"].core_properties.language == "en-GB"
    raw = (paper["out"] / "board-paper.html").read_text(encoding="utf-8")
    assert "<th" in raw and "<h1" in raw


def test_ratings_are_written_in_words(paper):
    for fmt in ("html", "pdf", "docx"):
        text = paper["texts"][fmt]
        assert "Green" in text and "Amber" in text and "Red" in text and "to be reviewed in phase 2" in text


def test_provenance_names_the_engine_and_hashes_the_inputs_by_table(paper):
    text = paper["texts"]["html"]
    assert f"Rendered by {publish.engine_name()}" in text
    snapshot = processed_dir(EXAMPLE) / "_tables" / "case_audit.parquet"
    assert hashlib.sha256(snapshot.read_bytes()).hexdigest() in text
    assert "case_audit.csv" not in text  # inputs are named by table, never by file


def test_a_failed_render_keeps_the_previous_papers(paper, monkeypatch):
    before = {p.name: p.read_bytes() for p in paper["out"].iterdir()}

    def broken(*args, **kwargs):
        raise render.RenderError("pdf: simulated failure")

    monkeypatch.setattr(render, "render_document", broken)
    assert publish.render_review(EXAMPLE, quiet=True) == 1
    after = {p.name: p.read_bytes() for p in paper["out"].iterdir()}
    assert after == before
    leftovers = [p.name for p in paper["out"].parent.iterdir() if ".staging-" in p.name or ".render-" in p.name]
    assert leftovers == []  # no half-built staging folder is left beside the papers


def test_rendering_again_gives_the_same_html_and_word_bytes(paper):
    before = {n: (paper["out"] / n).read_bytes() for n in ("board-paper.html", "board-paper.docx", "board-slides.pptx")}
    assert publish.render_review(EXAMPLE, quiet=True) == 0
    for name, data in before.items():
        assert (paper["out"] / name).read_bytes() == data, name
