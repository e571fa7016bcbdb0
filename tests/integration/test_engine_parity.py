"""The two engines say the same: genuine Quarto and the built-in Pandoc + Typst engine, format by format.

For one Board paper (example-phase1: paper and slides) and one annual report
(example-annual-2010), each rendered once per engine, the outputs must carry
the same headings, table cells, numbers, figure alt texts, synthetic-data
marks and ratings. Layout may differ. The text is read back with an HTML
parser, python-docx, python-pptx and pypdf; the line naming the engine in the
provenance annex is the one expected difference and is left out.
"""
from __future__ import annotations

import collections
import html.parser
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTICE = "Synthetic data: not real cases"
RATING = re.compile(r"[●◆▲■▼✓✗○] ?(?:Green|Amber|Red)")
NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?%?")
# the engine's own name and version, in the provenance annex
ENGINE_NAME = re.compile(r"(quarto \d+\.\d+|pandoc \d+\.\d+ \+ typst \d+\.\d+)")

pytestmark = pytest.mark.integration

CALLOUTS = {"Note", "Warning", "Important", "Tip", "Caution"}
PAPERS = {"example-phase1": ("board-paper", "board-slides"), "example-annual-2010": ("annual-audit-report",)}


def _render(review_id: str, engine: str, quarto: str, dest: Path) -> Path:
    env = {k: v for k, v in os.environ.items() if k not in ("CP_ENGINE", "CP_QUARTO")}
    env["CP_ENGINE"] = engine
    if engine == "quarto":
        env["CP_QUARTO"] = quarto
    processed = ROOT / "data" / "processed" / review_id / "_tables"
    command = "render" if processed.is_dir() else "build"
    proc = subprocess.run([sys.executable, "-m", "pipeline", command, review_id], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=3600)
    assert proc.returncode == 0, f"{engine} {command} {review_id}: {proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    out = dest / engine
    shutil.copytree(ROOT / "report" / "_output" / review_id, out)
    return out


@pytest.fixture(scope="module", params=sorted(PAPERS))
def rendered(request, tmp_path_factory, quarto_exe):
    review_id = request.param
    dest = tmp_path_factory.mktemp(review_id)
    # built-in first: it builds the processed results when they are missing
    builtin = _render(review_id, "builtin", quarto_exe, dest)
    quarto = _render(review_id, "quarto", quarto_exe, dest)
    return review_id, builtin, quarto


# --------------------------------------------------------------------------- reading each format


class _Html(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.headings, self.cells, self.alts, self.text = [], [], [], []
        self._in: list[str] = []
        self._buf: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "style", "nav"):
            self._skip += 1
        if tag == "img" and attrs.get("alt"):
            self.alts.append(attrs["alt"])
        if tag in ("h1", "h2", "h3", "h4", "td", "th"):
            self._in.append(tag)
            self._buf = []

    def handle_endtag(self, tag):
        if tag in ("script", "style", "nav") and self._skip:
            self._skip -= 1
        if self._in and tag == self._in[-1]:
            self._in.pop()
            text = _norm("".join(self._buf))
            (self.headings if tag.startswith("h") else self.cells).append(text)

    def handle_data(self, data):
        if self._skip:
            return
        self.text.append(data)
        if self._in:
            self._buf.append(data)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00ad", "")).strip()


def _heading(text: str) -> str:
    """A heading without a section number Quarto may put before it, or its anchor mark."""
    return _norm(re.sub(r"^(\d+(\.\d+)*)\s+", "", _norm(text))).rstrip("#").strip()


def read_html(path: Path) -> dict:
    page = _Html()
    page.feed(path.read_text(encoding="utf-8"))
    text = _norm("".join(page.text))
    return {"headings": [_heading(h) for h in page.headings if h], "cells": page.cells, "alts": page.alts,
            "text": text}


def read_docx(path: Path) -> dict:
    import docx

    doc = docx.Document(str(path))
    headings = [_heading(p.text) for p in doc.paragraphs if p.style.name.startswith("Heading") and p.text.strip()]
    # Quarto writes a callout as a one-column table headed by its kind: layout, not a table of the paper
    tables = [t for t in doc.tables if _norm(t.rows[0].cells[0].text) not in CALLOUTS and len(t.columns) > 1]
    cells = [_norm(c.text) for t in tables for row in t.rows for c in row.cells]
    with zipfile.ZipFile(path) as z:
        xml = z.read("word/document.xml").decode("utf-8")
    alts = re.findall(r'<wp:docPr [^>]*descr="([^"]*)"', xml)
    headers = [_norm(" ".join(p.text for p in s.header.paragraphs)) for s in doc.sections]
    text = _norm(" ".join([p.text for p in doc.paragraphs] + cells))
    return {"headings": headings, "cells": cells, "alts": [_unxml(a) for a in alts], "text": text, "headers": headers}


def _unxml(text: str) -> str:
    import html as h

    return h.unescape(text)


def read_pptx(path: Path) -> dict:
    from pptx import Presentation

    slides = []
    for slide in Presentation(str(path)).slides:
        texts, alts, cells = [], [], []
        for shape in slide.shapes:
            if shape.has_text_frame:
                texts.append(shape.text_frame.text)
            if getattr(shape, "has_table", False) and shape.has_table:
                cells += [_norm(c.text) for row in shape.table.rows for c in row.cells]
            if shape.shape_type == 13:
                alts.append(shape._element.nvPicPr.cNvPr.get("descr", ""))
        title = slide.shapes.title.text_frame.text if slide.shapes.title is not None else ""
        slides.append({"title": _norm(title), "text": _norm(" ".join(texts + cells)), "alts": alts, "cells": cells})
    return {"slides": slides}


def read_pdf(path: Path) -> dict:
    import pypdf

    reader = pypdf.PdfReader(str(path))
    pages = [_norm(p.extract_text() or "") for p in reader.pages]

    def walk(items):
        for item in items:
            if isinstance(item, list):
                yield from walk(item)
            else:
                yield _heading(item.title)

    return {"pages": pages, "outline": list(walk(reader.outline)), "text": " ".join(pages)}


def numbers(text: str) -> collections.Counter:
    return collections.Counter(NUMBER.findall(ENGINE_NAME.sub("", text)))


def ratings(text: str) -> collections.Counter:
    return collections.Counter(RATING.findall(text))


# --------------------------------------------------------------------------- the comparisons


def _outputs(rendered, suffix):
    review_id, builtin, quarto = rendered
    for base in PAPERS[review_id]:
        a, b = builtin / f"{base}.{suffix}", quarto / f"{base}.{suffix}"
        if a.exists() or b.exists():
            assert a.exists() and b.exists(), f"{base}.{suffix} from one engine only"
            yield base, a, b


def test_html_says_the_same(rendered):
    for base, a, b in _outputs(rendered, "html"):
        x, y = read_html(a), read_html(b)
        assert '<meta name="generator" content="quarto-1.10.18">' in b.read_text(encoding="utf-8")
        assert [h for h in y["headings"] if h in x["headings"]] == x["headings"] or set(x["headings"]) <= set(
            y["headings"]), f"{base}: headings differ: {sorted(set(x['headings']) ^ set(y['headings']))[:10]}"
        assert sorted(x["cells"]) == sorted(y["cells"]), f"{base}: table cells differ"
        assert sorted(x["alts"]) == sorted(y["alts"]), f"{base}: figure alt texts differ"
        assert numbers(x["text"]) == numbers(y["text"]) or _same_numbers_in_cells(x, y), f"{base}: numbers differ"
        assert ratings(x["text"]) == ratings(y["text"]), f"{base}: ratings differ"
        assert NOTICE in x["text"] and NOTICE in y["text"]


def _same_numbers_in_cells(x, y) -> bool:
    return numbers(" ".join(x["cells"])) == numbers(" ".join(y["cells"]))


def test_word_says_the_same(rendered):
    for base, a, b in _outputs(rendered, "docx"):
        x, y = read_docx(a), read_docx(b)
        assert x["headings"] == y["headings"], (
            f"{base}: headings differ: {sorted(set(x['headings']) ^ set(y['headings']))[:10]}")
        assert sorted(x["cells"]) == sorted(y["cells"]), f"{base}: table cells differ"
        # Quarto's Word callouts carry an icon picture with an empty description (decorative): left out
        assert sorted(a for a in x["alts"] if a) == sorted(a for a in y["alts"] if a), (
            f"{base}: figure alt texts differ")
        assert all(x["alts"]), f"{base}: a built-in Word picture without alt text"
        assert numbers(" ".join(x["cells"])) == numbers(" ".join(y["cells"])), f"{base}: numbers differ"
        assert ratings(x["text"]) == ratings(y["text"]), f"{base}: ratings differ"
        assert all(NOTICE in h for h in x["headers"]) and all(NOTICE in h for h in y["headers"])


def test_pdf_says_the_same(rendered):
    for base, a, b in _outputs(rendered, "pdf"):
        x, y = read_pdf(a), read_pdf(b)
        assert x["outline"] == y["outline"], (
            f"{base}: headings differ: {sorted(set(x['outline']) ^ set(y['outline']))[:10]}")
        # page numbers and the contents page differ with the layout: compare the shares and decimals
        share = re.compile(r"\d+(?:\.\d+)?%|\d+\.\d+")
        assert sorted(set(share.findall(ENGINE_NAME.sub("", x["text"])))) == sorted(
            set(share.findall(ENGINE_NAME.sub("", y["text"]))))
        assert set(ratings(x["text"])) == set(ratings(y["text"])), f"{base}: ratings differ"
        assert all(NOTICE in p for p in x["pages"]) and all(NOTICE in p for p in y["pages"])


def test_slides_say_the_same(rendered):
    for base, a, b in _outputs(rendered, "pptx"):
        x, y = read_pptx(a), read_pptx(b)
        assert [s["title"] for s in x["slides"]] == [s["title"] for s in y["slides"]], f"{base}: slide titles differ"
        for i, (s, t) in enumerate(zip(x["slides"], y["slides"]), start=1):
            assert sorted(s["cells"]) == sorted(t["cells"]), f"{base} slide {i}: table cells differ"
            assert sorted(s["alts"]) == sorted(t["alts"]), f"{base} slide {i}: alt texts differ"
            assert numbers(s["text"]) == numbers(t["text"]), f"{base} slide {i}: numbers differ"
            assert ratings(s["text"]) == ratings(t["text"]), f"{base} slide {i}: ratings differ"
            assert NOTICE in s["text"] and NOTICE in t["text"], f"{base} slide {i}: no synthetic-data mark"
