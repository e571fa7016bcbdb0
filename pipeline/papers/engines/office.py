"""Finishing the Office files both engines write (styled by the council's templates
``report/templates/reference.docx`` and ``.pptx``): the synthetic notice, titles, language, alt text and fixed
timestamps, and deterministic zips."""
from __future__ import annotations

import datetime as dt
import os
import zipfile
from pathlib import Path

from pipeline.papers.markup import plain
from pipeline.papers.engines.common import SYNTHETIC_NOTICE, Job


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
                reuse = header.paragraphs and not header.paragraphs[0].text
                para = header.paragraphs[0] if reuse else header.add_paragraph()
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
