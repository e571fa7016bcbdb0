"""Make the council's Word and PowerPoint reference documents from Pandoc's own.

    .venv/bin/python report/templates/make_reference_docs.py

writes ``reference.docx`` and ``reference.pptx`` beside this script. Both
engines style the papers with them (Pandoc's and Quarto's ``reference-doc``):
the Word paper takes its fonts, heading colours, page size, margins, footer
and table style from ``reference.docx``; the slides take their fonts, title
colour and slide layouts from ``reference.pptx``.

A council that has its own templates replaces the two files (same names)
with them; this script is only how the default ones are made: Pandoc's
default reference documents (``pandoc -o ref.docx --print-default-data-file
reference.docx``), restyled with python-docx and python-pptx: Arial (Word
has it; LibreOffice substitutes the metric-compatible Liberation Sans), dark
blue bold headings, A4 with 2 cm margins, page numbers in the footer, and a
ruled table style with a bold shaded header row. The files are written with
fixed zip timestamps, so running the script again gives the same bytes.
"""
from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import docx
import pypandoc
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from pptx import Presentation
from pptx.oxml.ns import qn as pqn

HERE = Path(__file__).resolve().parent
FONT = "Arial"
NAVY = RGBColor(0x1D, 0x35, 0x57)
STAMP = (2009, 2, 12, 0, 0, 0)  # the phase 1 Board meeting, as the papers' dates


def pandoc_default(name: str, path: Path) -> Path:
    """Pandoc's own reference document ``name`` written to ``path``."""
    subprocess.run([pypandoc.get_pandoc_path(), "-o", str(path), "--print-default-data-file", name], check=True)
    return path


def fixed_zip(path: Path) -> None:
    """Rewrite a zip with its members in name order and one fixed timestamp."""
    with zipfile.ZipFile(path) as src:
        members = {info.filename: src.read(info) for info in src.infolist()}
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w") as dst:
        for name in sorted(members, key=lambda n: (n != "[Content_Types].xml", n)):
            info = zipfile.ZipInfo(name, date_time=STAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, members[name], compresslevel=9)
    tmp.replace(path)


def _fixed_core(props) -> None:
    import datetime as dt

    when = dt.datetime(*STAMP)
    props.created = props.modified = when
    props.last_modified_by = ""
    props.revision = 1


def _docx_fonts(doc) -> None:
    """Arial 12 pt British English by default; Arial dark blue bold headings."""
    rpr = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    fonts = rpr.find(qn("w:rFonts"))
    for attr in list(fonts.attrib):
        del fonts.attrib[attr]
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)
    rpr.find(qn("w:lang")).set(qn("w:val"), "en-GB")
    for name, size in (("Title", 20), ("Subtitle", 14), ("Heading 1", 16), ("Heading 2", 14),
                       ("Heading 3", 12), ("Heading 4", 12)):
        style = doc.styles[name]
        style.font.name, style.font.size, style.font.bold, style.font.italic = FONT, Pt(size), True, False
        style.font.color.rgb = NAVY
        style.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.LEFT
        style.paragraph_format.space_before = Pt(18 if name == "Heading 1" else 12)
        style.paragraph_format.space_after = Pt(6)
    body = {"normal", "body text", "first paragraph", "compact", "caption", "table caption", "image caption"}
    for style in doc.styles:
        if style.name and style.name.lower() in body:
            style.font.name = FONT


def _docx_table_style(doc) -> None:
    """Pandoc's table style ``Table``: single grey rules all round, a bold shaded header row."""
    table = doc.styles["Table"].element
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        b = OxmlElement(f"w:{edge}")
        for key, value in (("w:val", "single"), ("w:sz", "4"), ("w:space", "0"), ("w:color", "606060")):
            b.set(qn(key), value)
        borders.append(b)
    table.find(qn("w:tblPr")).append(borders)
    first = table.find(qn("w:tblStylePr"))
    first_rpr = OxmlElement("w:rPr")
    first_rpr.append(OxmlElement("w:b"))
    first.insert(0, first_rpr)
    shd = OxmlElement("w:shd")
    for key, value in (("w:val", "clear"), ("w:color", "auto"), ("w:fill", "DDE4EE")):
        shd.set(qn(key), value)
    first.find(qn("w:tcPr")).append(shd)


def _docx_page(doc) -> None:
    """No sample text; A4, 2 cm margins, "Page N of M" in the footer."""
    body = doc.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2.0))
    section.footer.is_linked_to_previous = False
    para = section.footer.paragraphs[0]
    para.alignment = WD_ALIGN_PARAGRAPH.CENTER
    para.add_run("Page ")
    _field(para, "PAGE")
    para.add_run(" of ")
    _field(para, "NUMPAGES")


def _field(paragraph, instruction: str) -> None:
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def make_docx(path: Path) -> Path:
    pandoc_default("reference.docx", path)
    doc = docx.Document(str(path))
    _docx_fonts(doc)
    _docx_table_style(doc)
    _docx_page(doc)
    _fixed_core(doc.core_properties)
    doc.save(str(path))
    fixed_zip(path)
    return path


def _set_run_props(rpr, size: int | None, bold: bool | None, colour: str | None) -> None:
    """Font, size, weight and colour on an ``a:defRPr``/``a:rPr`` element of the slide master."""
    if size is not None:
        rpr.set("sz", str(size * 100))
    if bold is not None:
        rpr.set("b", "1" if bold else "0")
    for child in list(rpr):
        if child.tag in (pqn("a:solidFill"), pqn("a:latin"), pqn("a:cs")):
            rpr.remove(child)
    if colour:
        fill = rpr.makeelement(pqn("a:solidFill"), {})
        fill.append(fill.makeelement(pqn("a:srgbClr"), {"val": colour}))
        rpr.insert(0, fill)
    rpr.append(rpr.makeelement(pqn("a:latin"), {"typeface": FONT}))
    rpr.append(rpr.makeelement(pqn("a:cs"), {"typeface": FONT}))


def make_pptx(path: Path) -> Path:
    """Pandoc's reference slides with Arial throughout, dark blue bold 28 pt titles, dark grey body text."""
    pandoc_default("reference.pptx", path)
    prs = Presentation(str(path))
    styles = prs.slide_master.element.find(pqn("p:txStyles"))
    title = styles.find(pqn("p:titleStyle")).find(pqn("a:lvl1pPr")).find(pqn("a:defRPr"))
    _set_run_props(title, 28, True, "1D3557")
    for kind in ("p:bodyStyle", "p:otherStyle"):
        for depth, level in enumerate(styles.find(pqn(kind))):
            rpr = level.find(pqn("a:defRPr"))
            if rpr is not None and kind == "p:bodyStyle":  # 20, 18 then 16 pt: a slide's words fit its box
                _set_run_props(rpr, max(20 - 2 * depth, 16), None, "222222")
            elif rpr is not None:
                _set_run_props(rpr, None, None, None)
    # the theme's fonts too, so that text set to "+mj-lt"/"+mn-lt" (theme major/minor) is Arial
    theme = prs.slide_master.part.part_related_by(
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/theme")
    from lxml import etree

    root = etree.fromstring(theme.blob)
    for latin in root.iter(pqn("a:latin")):
        if latin.getparent().tag in (pqn("a:majorFont"), pqn("a:minorFont")):
            latin.set("typeface", FONT)
    theme._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    _fixed_core(prs.core_properties)
    prs.save(str(path))
    fixed_zip(path)
    return path


def main(argv: list[str] | None = None) -> int:
    out = Path(argv[0]) if argv else HERE
    out.mkdir(parents=True, exist_ok=True)
    for made in (make_docx(out / "reference.docx"), make_pptx(out / "reference.pptx")):
        print(f"wrote {made}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
