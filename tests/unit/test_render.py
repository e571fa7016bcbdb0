"""Unit tests of pipeline.render: the fallback's Quarto subset, the four formats,
the synthetic notice, alt text, determinism and atomic output.

The fixture documents are in tests/fixtures/render/; the picture they show is
made here (a 20 x 10 PNG) so that no binary sits in git."""
from __future__ import annotations

import os
import re
import shutil
import stat
import struct
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pipeline.papers.engines import (
    SYNTHETIC_NOTICE,
    RenderError,
    ShortcodeError,
    expand_shortcodes,
    read_source,
    render_document,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "render"
VARIABLES = {
    "review": {"name": "Example review"},
    "meeting": {"date": "12 February 2009"},
    "audit": {"cases_n": 40, "compliant_pct": "72.5"},
}
ALT = "Bar chart: compliance by team, from 40% to 90%."
TITLE = "Fixture paper"


def _png(width: int, height: int) -> bytes:
    raw = b"".join(b"\x00" + b"\x1d\x35\x57" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def _copy_fixtures(dest: Path) -> Path:
    shutil.copytree(FIXTURES, dest)
    (dest / "fig.png").write_bytes(_png(20, 10))
    return dest


def _render_all(src: Path, out: Path):
    paper = render_document(
        src / "paper.qmd", VARIABLES, out, "board-paper", ["html", "pdf", "docx"],
        synthetic=True, title=TITLE, engine="fallback",
    )
    slides = render_document(
        src / "slides.qmd", VARIABLES, out, "board-slides", ["pptx"],
        synthetic=True, title="Fixture slides", engine="fallback",
    )
    return paper, slides


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """Every format rendered twice, into two folders, from one copy of the sources."""
    base = tmp_path_factory.mktemp("render")
    src = _copy_fixtures(base / "src")
    first = _render_all(src, base / "out1")
    second = _render_all(src, base / "out2")
    return {"src": src, "paper": first[0], "slides": first[1], "again": {**second[0], **second[1]}}


# --------------------------------------------------------------------------- shortcodes


def _reads(markdown: str) -> str:
    """What Pandoc reads ``markdown`` as, written as plain text."""
    import pypandoc

    return pypandoc.convert_text(markdown, "plain", format="markdown", extra_args=["--wrap=none"]).strip()


def test_var_expands_dotted_keys(tmp_path):
    text = "n = {{< var audit.cases_n >}}; pct = {{<var audit.compliant_pct>}}%\n"
    assert _reads(expand_shortcodes(text, VARIABLES, tmp_path / "x.qmd")) == "n = 40; pct = 72.5%"


def test_var_values_are_literal_text_never_markup(tmp_path):
    variables = {"x": "<b>*a*</b> $y$ [l](/etc/passwd) {{< env HOME >}} `z`{=html}"}
    out = expand_shortcodes("v: {{< var x >}}\n", variables, tmp_path / "x.qmd")
    assert _reads(out) == "v: " + variables["x"]


def test_escaped_shortcode_is_written_literally(tmp_path):
    text = "{{{< var audit.cases_n >}}}\n"
    assert _reads(expand_shortcodes(text, VARIABLES, tmp_path / "x.qmd")) == "{{< var audit.cases_n >}}"


def test_pagebreak_becomes_a_raw_break_for_each_writer(tmp_path):
    out = expand_shortcodes("a\n\n{{< pagebreak >}}\n\nb\n", VARIABLES, tmp_path / "x.qmd")
    assert "#pagebreak(weak: true)" in out
    assert '<w:br w:type="page"/>' in out
    assert '<div class="pagebreak"' in out
    assert out.startswith("a\n\n") and out.endswith("\nb\n")


def test_include_is_relative_to_the_including_file_and_recursive(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "main.qmd").write_text("top\n{{< include sub/a.qmd >}}\nend\n")
    (tmp_path / "sub" / "a.qmd").write_text("A {{< var review.name >}}\n{{< include b.qmd >}}\n")
    (tmp_path / "sub" / "b.qmd").write_text("B\n")
    out = expand_shortcodes((tmp_path / "main.qmd").read_text(), VARIABLES, tmp_path / "main.qmd")
    assert [line for line in out.splitlines() if line] == ["top", "A Example review", "B", "end"]


def test_include_cycle_is_refused(tmp_path):
    (tmp_path / "a.qmd").write_text("{{< include b.qmd >}}\n")
    (tmp_path / "b.qmd").write_text("x\n{{< include a.qmd >}}\n")
    with pytest.raises(ShortcodeError, match=r"b\.qmd:2: include cycle: a\.qmd -> b\.qmd -> a\.qmd"):
        expand_shortcodes((tmp_path / "a.qmd").read_text(), VARIABLES, tmp_path / "a.qmd")


def test_unknown_variable_is_an_error_naming_key_file_and_line(tmp_path):
    path = tmp_path / "doc.qmd"
    with pytest.raises(ShortcodeError) as info:
        expand_shortcodes("ok\nvalue {{< var audit.missing_n >}}\n", VARIABLES, path)
    message = str(info.value)
    assert "audit.missing_n" in message
    assert f"{path.resolve()}:2:" in message
    assert info.value.line == 2


def test_variable_naming_a_mapping_is_an_error(tmp_path):
    with pytest.raises(ShortcodeError, match="'audit' names a dict"):
        expand_shortcodes("{{< var audit >}}\n", VARIABLES, tmp_path / "x.qmd")


def test_unsupported_shortcode_is_an_error_naming_file_and_line(tmp_path):
    path = tmp_path / "doc.qmd"
    with pytest.raises(ShortcodeError, match=r"doc\.qmd:3: unsupported shortcode .*embed"):
        expand_shortcodes("a\n\n{{< embed nb.ipynb#fig-x >}}\n", VARIABLES, path)


def test_block_shortcode_must_stand_alone(tmp_path):
    with pytest.raises(ShortcodeError, match="pagebreak must stand alone"):
        expand_shortcodes("text {{< pagebreak >}}\n", VARIABLES, tmp_path / "x.qmd")


def test_front_matter_keeps_only_understood_keys_with_shortcodes_expanded(tmp_path):
    src = _copy_fixtures(tmp_path / "src")
    meta, body = read_source(src / "paper.qmd", VARIABLES)
    assert meta == {
        "title": "Fixture paper for Example review",
        "subtitle": "Meeting of 12 February 2009",
        "lang": "en-GB",
    }
    assert "Of 40 cases audited, 72.5% met the standard." in _reads(body)
    assert "| Plans reviewed on time | 72\\.5% | Amber |" in body


# --------------------------------------------------------------------------- formats


def test_every_format_is_written_with_the_engine_named(rendered):
    paper, slides = rendered["paper"], rendered["slides"]
    assert sorted(paper) == ["docx", "html", "pdf"] and list(slides) == ["pptx"]
    for fmt, path in {**paper, **slides}.items():
        assert path.is_file() and path.suffix == f".{fmt}" and path.stat().st_size > 0
    assert paper["html"].name == "board-paper.html"
    assert re.fullmatch(r"pandoc \d+\.\d+ \+ typst \d+\.\d+", paper.engine), paper.engine


class _Html(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.lang, self.title, self.imgs, self.th, self.text = [], None, "", [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        if tag == "img":
            self.imgs.append(attrs)
        self.stack.append(tag)

    def handle_endtag(self, tag):
        while self.stack and self.stack.pop() != tag:
            pass

    def handle_data(self, data):
        if self.stack and self.stack[-1] == "title":
            self.title += data
        if "thead" in self.stack and self.stack[-1] == "th":
            self.th.append(data.strip())
        if "body" in self.stack:
            self.text.append(data)


def test_html_has_language_title_notice_alt_text_and_table_header(rendered):
    page = _Html()
    page.feed(rendered["paper"]["html"].read_text(encoding="utf-8"))
    assert page.lang == "en-GB"
    assert page.title == TITLE
    body = "".join(page.text)
    assert body.lstrip().startswith(SYNTHETIC_NOTICE)
    assert "Of 40 cases audited, 72.5% met the standard." in body
    assert [img["alt"] for img in page.imgs] == [ALT]
    assert page.imgs[0]["src"].startswith("data:image/png;base64,")  # self-contained
    assert page.th == ["Finding", "Value", "Rating"]


def test_pdf_has_notice_on_every_page_title_and_language(rendered):
    import pypdf

    reader = pypdf.PdfReader(rendered["paper"]["pdf"])
    assert len(reader.pages) == 2  # the pagebreak
    for page in reader.pages:
        assert SYNTHETIC_NOTICE in page.extract_text()
    assert reader.metadata.title == TITLE
    assert reader.trailer["/Root"]["/Lang"] == "en-GB"
    assert "Of 40 cases audited, 72.5% met the standard." in reader.pages[0].extract_text()


def test_pdf_image_carries_its_alt_text(rendered):
    import pypdf

    reader = pypdf.PdfReader(rendered["paper"]["pdf"])
    alts = []

    def walk(node):
        node = node.get_object()
        if isinstance(node, pypdf.generic.DictionaryObject):
            if node.get("/S") == "/Figure" and "/Alt" in node:
                alts.append(str(node["/Alt"]))
            kids = node.get("/K")
            if kids is not None:
                for kid in kids if isinstance(kids, pypdf.generic.ArrayObject) else [kids]:
                    walk(kid)

    walk(reader.trailer["/Root"]["/StructTreeRoot"])
    assert alts == [ALT]


def test_docx_has_notice_in_every_section_header_and_picture_description(rendered):
    import docx

    doc = docx.Document(str(rendered["paper"]["docx"]))
    assert len(doc.sections) >= 1
    for section in doc.sections:
        assert SYNTHETIC_NOTICE in "".join(p.text for p in section.header.paragraphs)
    assert doc.core_properties.title == TITLE
    assert doc.core_properties.language == "en-GB"
    descr = doc.element.body.xpath(".//wp:docPr/@descr")
    assert descr == [ALT]
    table = doc.tables[0]
    assert [c.text for c in table.rows[0].cells] == ["Finding", "Value", "Rating"]
    assert table.rows[0]._tr.xpath("./w:trPr/w:tblHeader")  # a repeating header row
    assert [p.style.name for p in doc.paragraphs if p.text == "Summary"] == ["Heading 1"]


def test_pptx_has_notice_on_every_slide_and_picture_alt_text(rendered):
    from pptx import Presentation

    prs = Presentation(str(rendered["slides"]["pptx"]))
    assert len(prs.slides) == 4  # title slide + three
    for slide in prs.slides:
        texts = [shape.text_frame.text for shape in slide.shapes if shape.has_text_frame]
        assert SYNTHETIC_NOTICE in texts
    pictures = [s for slide in prs.slides for s in slide.shapes if s.shape_type == 13]
    assert [p._element.nvPicPr.cNvPr.get("descr") for p in pictures] == [ALT]
    slide_text = " ".join(s.text_frame.text for s in prs.slides[2].shapes if s.has_text_frame)
    assert "Compliance by team" in slide_text  # the caption stays the caption
    assert prs.core_properties.title == "Fixture slides"
    assert prs.core_properties.language == "en-GB"


@pytest.mark.parametrize("fmt", ["html", "pdf", "docx", "pptx"])
def test_rendering_twice_gives_the_same_bytes(rendered, fmt):
    first = {**rendered["paper"], **rendered["slides"]}[fmt]
    second = rendered["again"][fmt]
    assert first != second
    assert first.read_bytes() == second.read_bytes()


def test_office_zips_carry_no_wall_clock(rendered):
    import zipfile

    for path in (rendered["paper"]["docx"], rendered["slides"]["pptx"]):
        with zipfile.ZipFile(path) as z:
            assert {i.date_time for i in z.infolist()} == {(2009, 2, 12, 0, 0, 0)}
            assert z.namelist()[0] == "[Content_Types].xml"


# --------------------------------------------------------------------------- atomic output


def _listing(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_failed_render_leaves_previous_outputs_untouched(tmp_path):
    src = _copy_fixtures(tmp_path / "src")
    out = tmp_path / "out"
    render_document(src / "paper.qmd", VARIABLES, out, "board-paper", ["html"], synthetic=True,
                    title=TITLE, engine="fallback")
    before = _listing(out)
    broken = {k: v for k, v in VARIABLES.items() if k != "audit"}
    with pytest.raises(RenderError, match=r"unknown variable 'audit\.cases_n'"):
        render_document(src / "paper.qmd", broken, out, "board-paper", ["html"], synthetic=True,
                        title=TITLE, engine="fallback")
    assert _listing(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "src"]  # no temporary folder left


def test_one_failing_format_writes_none_and_names_the_format(tmp_path):
    src = _copy_fixtures(tmp_path / "src")
    # an image with neither caption nor fig-alt: fine in HTML, refused by Typst's PDF/UA-1 check
    (src / "bad.qmd").write_text("---\ntitle: x\n---\n\nText ![](fig.png) here.\n")
    out = tmp_path / "out"
    with pytest.raises(RenderError, match=r"rendering pdf failed: typst: .*alt"):
        render_document(src / "bad.qmd", VARIABLES, out, "bad", ["html", "pdf"], synthetic=False,
                        title="Bad", engine="fallback")
    assert not out.exists() or list(out.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) in (["src"], ["out", "src"])


# --------------------------------------------------------------------------- engine choice

FAKE_QUARTO = """#!/bin/sh
# a stand-in for quarto: prints a version, or writes the asked-for output
if [ "$1" = "--version" ]; then echo "{version}"; exit 0; fi
out=""; dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --output) out="$2"; shift ;;
    --output-dir) dir="$2"; shift ;;
  esac
  shift
done
printf '<html lang="en-GB"><title>fake</title></html>' > "${dir:-.}/$out"
cp _variables.yml "$FAKE_VARS"
"""


def _fake_quarto(folder: Path, version: str, monkeypatch) -> None:
    folder.mkdir()
    exe = folder / "quarto"
    exe.write_text(FAKE_QUARTO.replace("{version}", version))
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")


def test_quarto_on_path_renders_and_gets_the_variables_file(tmp_path, monkeypatch):
    src = _copy_fixtures(tmp_path / "src")
    _fake_quarto(tmp_path / "bin", "1.6.40", monkeypatch)
    monkeypatch.delenv("CP_ENGINE", raising=False)
    monkeypatch.delenv("CP_QUARTO", raising=False)
    monkeypatch.setenv("FAKE_VARS", str(tmp_path / "vars.yml"))
    before = _listing(src)
    result = render_document(src / "paper.qmd", VARIABLES, tmp_path / "out", "board-paper", ["html"],
                             synthetic=True, title=TITLE)
    assert result.engine == "quarto 1.6"
    assert result["html"].read_text() == '<html lang="en-GB"><title>fake</title></html>'
    import yaml

    # every value as literal Markdown text: 72.5 is written 72\.5, which Quarto reads as 72.5
    expected = {"review": {"name": "Example review"}, "meeting": {"date": "12 February 2009"},
                "audit": {"cases_n": "40", "compliant_pct": "72\\.5"}}
    assert yaml.safe_load((tmp_path / "vars.yml").read_text()) == expected
    assert _listing(src) == before  # Quarto ran on a copy: nothing written beside the sources
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin", "out", "src", "vars.yml"]


def test_cp_engine_builtin_wins_over_a_quarto_on_path(tmp_path, monkeypatch):
    src = _copy_fixtures(tmp_path / "src")
    _fake_quarto(tmp_path / "bin", "1.6.40", monkeypatch)
    monkeypatch.setenv("CP_ENGINE", "builtin")
    result = render_document(src / "paper.qmd", VARIABLES, tmp_path / "out", "board-paper", ["html"],
                             synthetic=False, title=TITLE)
    assert result.engine.startswith("pandoc ")


def test_cp_quarto_names_a_quarto_that_is_not_on_path(tmp_path, monkeypatch):
    src = _copy_fixtures(tmp_path / "src")
    _fake_quarto(tmp_path / "elsewhere", "1.7.3", monkeypatch)
    monkeypatch.setenv("PATH", os.environ["PATH"].split(os.pathsep, 1)[1])  # take it off PATH again
    monkeypatch.setenv("CP_QUARTO", str(tmp_path / "elsewhere" / "quarto"))
    monkeypatch.setenv("FAKE_VARS", str(tmp_path / "vars.yml"))
    monkeypatch.delenv("CP_ENGINE", raising=False)
    result = render_document(src / "paper.qmd", VARIABLES, tmp_path / "out", "board-paper", ["html"],
                             synthetic=False, title=TITLE)
    assert result.engine == "quarto 1.7"


def test_cp_engine_quarto_without_quarto_is_an_error(tmp_path, monkeypatch):
    src = _copy_fixtures(tmp_path / "src")
    monkeypatch.setenv("CP_ENGINE", "quarto")
    monkeypatch.setenv("CP_QUARTO", str(tmp_path / "no-such-quarto"))
    with pytest.raises(RenderError, match="no quarto >= 1.5 found"):
        render_document(src / "paper.qmd", VARIABLES, tmp_path / "out", "board-paper", ["html"],
                        synthetic=False, title=TITLE)
    monkeypatch.setenv("CP_ENGINE", "pandoc-please")
    with pytest.raises(RenderError, match="engine must be one of"):
        render_document(src / "paper.qmd", VARIABLES, tmp_path / "out", "board-paper", ["html"],
                        synthetic=False, title=TITLE)


def test_old_quarto_is_passed_over_for_the_fallback(tmp_path, monkeypatch):
    src = _copy_fixtures(tmp_path / "src")
    _fake_quarto(tmp_path / "bin", "1.4.550", monkeypatch)
    result = render_document(src / "paper.qmd", VARIABLES, tmp_path / "out", "board-paper", ["html"],
                             synthetic=False, title=TITLE)
    assert result.engine.startswith("pandoc ")
    assert SYNTHETIC_NOTICE not in result["html"].read_text(encoding="utf-8")
    assert not (src / "_variables.yml").exists()


# --------------------------------------------------------------------------- confinement


def test_generated_sections_are_included_as_text_never_expanded(tmp_path):
    (tmp_path / "sections").mkdir()
    (tmp_path / "sections" / "gen.md").write_text("made: {{< var audit.cases_n >}} {{< include /etc/passwd >}}\n")
    (tmp_path / "words.md").write_text("said: {{< var audit.cases_n >}}\n")
    text = "{{< include sections/gen.md >}}\n{{< include words.md >}}\n"
    out = expand_shortcodes(text, VARIABLES, tmp_path / "doc.qmd")
    assert "made: {{< var audit.cases_n >}} {{< include /etc/passwd >}}" in out  # as it stands
    assert "said: 40" in out  # authored words are expanded
    assert "root:" not in out


def test_an_include_outside_the_workspace_is_refused(tmp_path):
    (tmp_path / "ws").mkdir()
    (tmp_path / "secret.md").write_text("secret\n")
    for target in ("../secret.md", str(tmp_path / "secret.md"), "/etc/passwd"):
        with pytest.raises(ShortcodeError, match="outside the workspace"):
            expand_shortcodes(f"{{{{< include {target} >}}}}\n", VARIABLES, tmp_path / "ws" / "doc.qmd")


@pytest.mark.parametrize("target", ["/etc/passwd", "../fig.png", "file:///etc/passwd", "https://example.org/x.png",
                                    "data:image/png;base64,AAAA"])
def test_images_outside_the_workspace_stop_the_render(tmp_path, target):
    src = _copy_fixtures(tmp_path / "src")
    (src / "bad.qmd").write_text(f"---\ntitle: x\n---\n\n![alt text]({target}){{fig-alt=\"alt\"}}\n")
    with pytest.raises(RenderError, match="refused image"):
        render_document(src / "bad.qmd", VARIABLES, tmp_path / "out", "bad", ["html"], synthetic=False,
                        title="Bad", engine="builtin")


@pytest.mark.parametrize("target", ["/etc/passwd", "../x.md", "file:///etc/passwd", "javascript:alert(1)"])
def test_links_outside_the_workspace_stop_the_render(tmp_path, target):
    src = _copy_fixtures(tmp_path / "src")
    (src / "bad.qmd").write_text(f"---\ntitle: x\n---\n\n[a link]({target})\n")
    with pytest.raises(RenderError, match="refused link"):
        render_document(src / "bad.qmd", VARIABLES, tmp_path / "out", "bad", ["html"], synthetic=False,
                        title="Bad", engine="builtin")


def test_typst_cannot_read_outside_the_workspace(tmp_path):
    src = _copy_fixtures(tmp_path / "src")
    (tmp_path / "outside.txt").write_text("cp-outside-token\n")
    raw = '```{=typst}\n#read("/' + (tmp_path / "outside.txt").as_posix().lstrip("/") + '")\n```\n'
    (src / "bad.qmd").write_text("---\ntitle: x\n---\n\n" + raw)
    with pytest.raises(RenderError, match="rendering pdf failed"):
        render_document(src / "bad.qmd", VARIABLES, tmp_path / "out", "bad", ["pdf"], synthetic=False,
                        title="Bad", engine="builtin")


@pytest.mark.integration
def test_genuine_quarto_refuses_an_image_outside_the_workspace_and_leaves_no_scratch(tmp_path, monkeypatch, quarto_exe):
    src = _copy_fixtures(tmp_path / "src")
    (src / "_quarto.yml").write_text("project:\n  type: default\n")
    (src / "bad.qmd").write_text("---\ntitle: x\n---\n\n![alt text](/etc/passwd){fig-alt=\"alt\"}\n")
    monkeypatch.setenv("CP_QUARTO", quarto_exe)
    before = _listing(src)
    with pytest.raises(RenderError, match="refused image"):
        render_document(src / "bad.qmd", VARIABLES, tmp_path / "out", "bad", ["html"], synthetic=False,
                        title="Bad", engine="quarto")
    assert _listing(src) == before  # no .quarto, no *_files, nothing beside the sources
    assert sorted(p.name for p in tmp_path.iterdir()) in (["src"], ["out", "src"])
