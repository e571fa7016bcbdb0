"""Finishing the Office files both engines write: the Word reference document,
the synthetic notice, titles, language, alt text and fixed timestamps, and
deterministic zips."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import zipfile
from pathlib import Path

from pipeline.papers.markup import plain
from pipeline.papers.engines.common import SYNTHETIC_NOTICE, Job, RenderError, pandoc_path


def build_reference_docx(path: Path) -> Path:
    """Write the reference document that styles the Word paper as a council committee paper.

    Built by code from pandoc's own reference document, so it is reviewable
    and needs no binary in git: Arial throughout (Word has it; LibreOffice
    substitutes the metric-compatible Liberation Sans), 12pt body, dark blue
    bold headings, A4 with 2 cm margins, page numbers in the footer, and a
    ruled table style whose header row is bold and shaded."""
    import docx

    path = Path(path)
    proc = subprocess.run(
        [pandoc_path(), "-o", str(path), "--print-default-data-file", "reference.docx"], capture_output=True
    )
    if proc.returncode != 0:
        raise RenderError(f"pandoc could not write its reference.docx: {proc.stderr.decode(errors='replace')}")
    doc = docx.Document(str(path))
    _reference_styles(doc.styles)
    _reference_table(doc.styles)
    _reference_page(doc)
    doc.save(str(path))
    return path


def _reference_styles(styles) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    # document defaults: Arial 12pt, British English
    rpr = styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    fonts = rpr.find(qn("w:rFonts"))
    for attr in list(fonts.attrib):
        del fonts.attrib[attr]
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), "Arial")
    rpr.find(qn("w:lang")).set(qn("w:val"), "en-GB")

    navy = RGBColor(0x1D, 0x35, 0x57)
    for name, size in (("Title", 20), ("Subtitle", 14), ("Heading 1", 16), ("Heading 2", 14), ("Heading 3", 12), ("Heading 4", 12)):
        style = styles[name]
        style.font.name = "Arial"
        style.font.size = Pt(size)
        style.font.bold = True
        style.font.italic = False
        style.font.color.rgb = navy
        style.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.LEFT
        style.paragraph_format.space_before = Pt(18 if name == "Heading 1" else 12)
        style.paragraph_format.space_after = Pt(6)
    body_styles = {"normal", "body text", "first paragraph", "compact", "caption", "table caption", "image caption"}
    for style in styles:
        if style.name and style.name.lower() in body_styles:
            style.font.name = "Arial"


def _reference_table(styles) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    # table style "Table": single rules all round, bold shaded header row
    table = styles["Table"].element
    tblpr = table.find(qn("w:tblPr"))
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        b = OxmlElement(f"w:{edge}")
        b.set(qn("w:val"), "single")
        b.set(qn("w:sz"), "4")
        b.set(qn("w:space"), "0")
        b.set(qn("w:color"), "606060")
        borders.append(b)
    tblpr.append(borders)
    first = table.find(qn("w:tblStylePr"))
    first_rpr = OxmlElement("w:rPr")
    first_rpr.append(OxmlElement("w:b"))
    first.insert(0, first_rpr)
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), "DDE4EE")
    first.find(qn("w:tcPr")).append(shd)


def _reference_page(doc) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm

    # the reference's own sample text goes; its section sets A4 and the footer
    body = doc.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2.0))
    footer = section.footer
    footer.is_linked_to_previous = False
    para = footer.paragraphs[0]
    para.alignment = WD_ALIGN_PARAGRAPH.CENTER
    para.add_run("Page ")
    _add_field(para, "PAGE")
    para.add_run(" of ")
    _add_field(para, "NUMPAGES")


def _add_field(paragraph, instruction: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def finish_docx(path: Path, job: Job) -> None:
    """Set title, language and fixed dates; put the synthetic notice in every
    section's headers (pandoc cannot); then make the zip deterministic."""
    import docx
    from docx.shared import Pt, RGBColor

    doc = docx.Document(str(path))
    if job.synthetic:
        for section in doc.sections:
            headers = [section.header]
            if section.different_first_page_header_footer:
                headers.append(section.first_page_header)
            if doc.settings.odd_and_even_pages_header_footer:
                headers.append(section.even_page_header)
            for header in headers:
                header.is_linked_to_previous = False
                if SYNTHETIC_NOTICE in "".join(p.text for p in header.paragraphs):
                    continue
                para = header.paragraphs[0] if header.paragraphs and not header.paragraphs[0].text else header.add_paragraph()
                run = para.add_run(SYNTHETIC_NOTICE)
                run.bold = True
                run.font.size = Pt(10)
                run.font.color.rgb = RGBColor(0x8A, 0x1C, 0x1C)
    _set_core_properties(doc.core_properties, job)
    doc.save(str(path))
    normalise_zip(path, job.when)


def _set_core_properties(props, job: Job) -> None:
    title = plain(job.title)
    props.title = title if len(title) <= 255 else title[:254] + "\u2026"  # the format's limit
    props.language = job.lang
    props.created = job.when
    props.modified = job.when
    props.last_printed = job.when
    props.last_modified_by = ""
    props.revision = 1


# --------------------------------------------------------------------------- PowerPoint


def finish_pptx(path: Path, job: Job, alts: list[dict]) -> None:
    """Put the synthetic notice on every slide, give pictures their alt text
    (pandoc writes the file path there), set title, language and fixed dates,
    then make the zip deterministic."""
    from pptx import Presentation
    from pptx.dml.color import RGBColor
    from pptx.enum.text import PP_ALIGN
    from pptx.util import Emu, Pt

    prs = Presentation(str(path))
    pending: dict[str, list[str]] = {}
    for entry in alts:
        pending.setdefault(entry["src"], []).append(entry["alt"])
    width, height = prs.slide_width, prs.slide_height
    for slide in prs.slides:
        for shape in slide.shapes:
            if shape.shape_type == 13:  # MSO_SHAPE_TYPE.PICTURE
                c_nv_pr = shape._element.nvPicPr.cNvPr
                queue = pending.get(c_nv_pr.get("descr", ""))
                if queue:
                    c_nv_pr.set("descr", queue.pop(0))
        if job.synthetic:
            # along the foot of the slide, clear of pandoc's title and content boxes
            box = slide.shapes.add_textbox(Emu(int(width * 0.02)), height - Pt(24), Emu(int(width * 0.96)), Pt(22))
            box.name = "Synthetic data notice"
            frame = box.text_frame
            frame.margin_top = frame.margin_bottom = 0
            frame.paragraphs[0].alignment = PP_ALIGN.CENTER
            run = frame.paragraphs[0].add_run()
            run.text = SYNTHETIC_NOTICE
            run.font.size = Pt(12)
            run.font.bold = True
            run.font.color.rgb = RGBColor(0x8A, 0x1C, 0x1C)
    _set_core_properties(prs.core_properties, job)
    prs.save(str(path))
    normalise_zip(path, job.when)


# --------------------------------------------------------------------------- zips


def normalise_zip(path: Path, when: dt.datetime) -> None:
    """Rewrite an Office zip so that its bytes depend on its contents only:
    ``[Content_Types].xml`` first then members in name order, one fixed
    timestamp, fixed permissions, deflate at level 9."""
    path = Path(path)
    with zipfile.ZipFile(path) as src:
        members = {info.filename: src.read(info) for info in src.infolist()}
    order = sorted(members, key=lambda n: (n != "[Content_Types].xml", n))
    stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
    tmp = path.with_name(path.name + ".zip-tmp")
    with zipfile.ZipFile(tmp, "w") as dst:
        for name in order:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            dst.writestr(info, members[name], compresslevel=9)
    os.replace(tmp, path)
