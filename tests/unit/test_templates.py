"""Council templates (issue 15 item 5, issue 12 item 5): the Word and PowerPoint reference documents
are files under report/templates/ that both engines use, and a council's replacement takes effect."""
from __future__ import annotations

import importlib.util
import shutil
import zipfile
from pathlib import Path

import docx
import pytest
from pptx import Presentation
from pptx.oxml.ns import qn

from pipeline.papers import engines as render
from pipeline.papers.engines import builtin, common, quarto
from pipeline.paths import REPORT_DIR

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "render"
TEMPLATES = REPORT_DIR / "templates"
DISTINCT = "Courier New"  # a font no default template uses
VARIABLES = {"review": {"name": "Example review"}, "meeting": {"date": "12 February 2009"},
             "audit": {"cases_n": 40, "compliant_pct": "72.5"}}
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415408d7"
                    "63f8cfc000000301010018dd8db00000000049454e44ae426082")


def _script():
    spec = importlib.util.spec_from_file_location("make_reference_docs", TEMPLATES / "make_reference_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _sources(tmp_path) -> Path:
    src = tmp_path / "src"
    shutil.copytree(FIXTURES, src)
    (src / "fig.png").write_bytes(PNG)
    return src


def _title_font(pptx_path: Path) -> str:
    master = Presentation(str(pptx_path)).slide_master.element
    rpr = master.find(qn("p:txStyles")).find(qn("p:titleStyle")).find(qn("a:lvl1pPr")).find(qn("a:defRPr"))
    return rpr.find(qn("a:latin")).get("typeface")


def _replacement(tmp_path) -> tuple[Path, Path]:
    """A council's own templates: the defaults with Heading 1 and slide titles in a distinctive font."""
    folder = tmp_path / "council"
    folder.mkdir()
    doc = docx.Document(str(TEMPLATES / "reference.docx"))
    doc.styles["Heading 1"].font.name = DISTINCT
    doc.save(str(folder / "reference.docx"))
    prs = Presentation(str(TEMPLATES / "reference.pptx"))
    master = prs.slide_master.element
    rpr = master.find(qn("p:txStyles")).find(qn("p:titleStyle")).find(qn("a:lvl1pPr")).find(qn("a:defRPr"))
    rpr.find(qn("a:latin")).set("typeface", DISTINCT)
    prs.save(str(folder / "reference.pptx"))
    return folder / "reference.docx", folder / "reference.pptx"


def _render(src: Path, out: Path, engine: str):
    paper = render.render_document(src / "paper.qmd", VARIABLES, out, "board-paper", ["docx"], synthetic=True,
                                   title="Fixture paper", engine=engine)
    slides = render.render_document(src / "slides.qmd", VARIABLES, out, "board-slides", ["pptx"], synthetic=True,
                                    title="Fixture slides", engine=engine)
    return paper["docx"], slides["pptx"]


def test_committed_templates_are_what_the_script_makes(tmp_path):
    _script().main([str(tmp_path)])
    for name in ("reference.docx", "reference.pptx"):
        assert (tmp_path / name).read_bytes() == (TEMPLATES / name).read_bytes(), name


def test_default_templates_are_branded():
    doc = docx.Document(str(TEMPLATES / "reference.docx"))
    h1 = doc.styles["Heading 1"].font
    assert (h1.name, str(h1.color.rgb), h1.bold) == ("Arial", "1D3557", True)
    section = doc.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)  # A4
    assert _title_font(TEMPLATES / "reference.pptx") == "Arial"
    with zipfile.ZipFile(TEMPLATES / "reference.pptx") as z:
        assert '<a:srgbClr val="1D3557"/>' in z.read("ppt/slideMasters/slideMaster1.xml").decode()


def _use_templates(monkeypatch, ref_docx: Path, ref_pptx: Path) -> None:
    """Swap the council's templates, as a council replacing the two files would, for both engines."""
    for module in (common, builtin, quarto):
        monkeypatch.setattr(module, "REFERENCE_DOCX", ref_docx)
        monkeypatch.setattr(module, "REFERENCE_PPTX", ref_pptx)


def test_both_engines_are_pointed_at_the_templates():
    assert common.REFERENCE_DOCX == TEMPLATES / "reference.docx" and common.REFERENCE_DOCX.is_file()
    assert common.REFERENCE_PPTX == TEMPLATES / "reference.pptx" and common.REFERENCE_PPTX.is_file()
    import yaml

    fmt = yaml.safe_load((REPORT_DIR / "_quarto.yml").read_text())["format"]
    # the workspace is report/_build/<review_id>/, so ../../templates is report/templates
    workspace = REPORT_DIR / "_build" / "some-review"
    assert (workspace / fmt["docx"]["reference-doc"]).resolve() == common.REFERENCE_DOCX
    assert (workspace / fmt["pptx"]["reference-doc"]).resolve() == common.REFERENCE_PPTX


def test_default_render_uses_the_council_font(tmp_path):
    word, slides = _render(_sources(tmp_path), tmp_path / "out", "fallback")
    assert docx.Document(str(word)).styles["Heading 1"].font.name == "Arial"
    assert _title_font(slides) == "Arial"


def test_a_replacement_template_is_used(tmp_path, monkeypatch):
    _use_templates(monkeypatch, *_replacement(tmp_path))
    word, slides = _render(_sources(tmp_path), tmp_path / "out", "fallback")
    doc = docx.Document(str(word))
    assert doc.styles["Heading 1"].font.name == DISTINCT
    assert any(p.style.name == "Heading 1" for p in doc.paragraphs)  # the paper's headings take that style
    assert _title_font(slides) == DISTINCT


@pytest.mark.integration
def test_a_replacement_template_is_used_by_quarto(tmp_path, monkeypatch, quarto_exe):
    _use_templates(monkeypatch, *_replacement(tmp_path))
    monkeypatch.setenv("CP_QUARTO", quarto_exe)
    word, slides = _render(_sources(tmp_path), tmp_path / "out", "quarto")
    assert docx.Document(str(word)).styles["Heading 1"].font.name == DISTINCT
    assert _title_font(slides) == DISTINCT
