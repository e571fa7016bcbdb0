"""Hostile text in every free-text field reaches every format, with either engine, as the text typed.

A copy of example-phase1 under data/raw/t-hostile-<pid>/ gets, in its
recommendations (text and owner), evidence-map lines, team names, area labels,
question and criterion text and review.yml metadata, strings that would be
markup, a formula, a path or a shortcode if they were read as anything but
text. It is built once with the built-in engine and rendered once with genuine
Quarto. A canary file with a unique token stands for a file of the machine:
its token must appear in no output. The copy is removed afterwards.
"""
from __future__ import annotations

import csv
import html.parser
import io
import os
import re
import shutil
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "data" / "raw" / "example-phase1"
TOKEN = f"cp-canary-{uuid.uuid4().hex}"
MARK = "cphostile"  # in every hostile script, handler and link, to tell them from Quarto's own scripts
# every character str.splitlines() treats as a line break
BREAKS = ["\n", "\r", "\r\n", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]

pytestmark = pytest.mark.integration


def hostile(canary: Path) -> list[str]:
    """The hostile strings, each meant to be read as text."""
    c = canary.as_posix()
    return [
        f"<script>alert('{MARK}')</script>", f'<img src="{c}" onerror="alert(\'{MARK}\')">',
        f"<b onmouseover=\"alert('{MARK}')\">bold</b>", f"[click](javascript:alert('{MARK}'))",
        f'<a href="javascript:alert(\'{MARK}\')">link</a>', f'<iframe src="{c}"></iframe>',
        f"`<script>alert('{MARK}')</script>`{{=html}}", "`#read(\"/etc/passwd\")`{=typst}",
        f"`<w:r><w:t>{MARK}-xml</w:t></w:r>`{{=openxml}}", "`\\input{/etc/passwd}`{=latex}",
        f"\n```{{=html}}\n<script>alert('{MARK}')</script>\n```\n",
        f"\n```{{=openxml}}\n<w:p><w:r><w:t>{MARK}-block</w:t></w:r></w:p>\n```\n",
        f"{{{{< include {c} >}}}}", "{{< var review.title >}}", "{{< embed x.ipynb#a >}}",
        "{{< meta title >}}", "{{< env HOME >}}", f"![x]({c})", "![x](/etc/passwd)", "[up](../../secret.txt)",
        f"![up](../{canary.name})", "$x^2$ and $$y$$", f'#read("{c}")', '#image("/x")', '#include "/x"',
        "*em* _u_ #heading @fig-x <b>&amp;</b> 50% | pipe", *[f"{b}{{{{< include {c} >}}}}" for b in BREAKS],
    ]


def _rewrite_csv(path: Path, edit) -> None:
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
        fields = list(rows[0].keys())
    for i, row in enumerate(rows):
        edit(i, row)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8", newline="")


def make_hostile_review(folder: Path, strings: list[str]) -> dict[str, str]:
    """Copy the example into ``folder`` and put the hostile strings into its free text; what each field says."""
    shutil.copytree(EXAMPLE, folder)
    every = " ".join(strings)
    short = [s for s in strings if "\n" not in s and len(s) < 60]
    said: dict[str, str] = {}
    meta = yaml.safe_load((folder / "review.yml").read_text(encoding="utf-8"))
    meta["review_id"] = folder.name
    meta["title"] = "Title " + every
    for key in ("board", "author", "authority", "classification"):
        meta[key] = f"{key.capitalize()} {short[len(key) % len(short)]}"
    said["title"] = meta["title"]
    (folder / "review.yml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")

    def recs(i, row):
        row["text"] = f"Recommendation {i} {every}"
        row["owner"] = f"Owner {short[i % len(short)]}"
        said.setdefault("recommendation", row["text"])

    def evidence(i, row):
        row["evidence"] = f"Evidence {i} {strings[i % len(strings)]} {short[i % len(short)]}"
        said.setdefault("evidence", row["evidence"])

    def teams(i, row):
        row["team_name"] = f"Team {i} {short[i % len(short)]}"

    areas = {}

    def area(i, row):
        row["area"] = areas.setdefault(row["area"], f"Area {len(areas)} {short[(len(areas) + 3) % len(short)]}")

    def questions(i, row):
        row["text"] = f"Question {i} {strings[i % len(strings)]}"

    def criteria(i, row):
        row["text"] = f"Criterion {i} {strings[(i + 5) % len(strings)]}"
        said.setdefault("criterion", row["text"])

    _rewrite_csv(folder / "recommendations.csv", recs)
    _rewrite_csv(folder / "evidence_map.csv", evidence)
    _rewrite_csv(folder / "teams.csv", lambda i, row: (teams(i, row), area(i, row)))
    _rewrite_csv(folder / "monitoring.csv", lambda i, row: row.update(area=areas.get(row["area"], row["area"])))
    _rewrite_csv(folder / "questions.csv", questions)
    _rewrite_csv(folder / "audit_criteria.csv", criteria)
    return said


# --------------------------------------------------------------------------- reading the outputs


class _Html(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.tags: list[tuple[str, dict]] = []
        self._skip = 0
        self.script_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        (self.script_text if self._skip else self.text).append(data)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _shown(text: str) -> str:
    """What a reader sees of ``text`` from the data: every line break a space, spaces run together."""
    return _norm(re.sub("\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]", " ", text))


def _office_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith((".xml", ".rels")))


def _docx_text(path: Path) -> str:
    import docx

    doc = docx.Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return _norm(" ".join(parts))


def _pptx_text(path: Path) -> str:
    from pptx import Presentation

    parts = []
    for slide in Presentation(str(path)).slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                parts.append(shape.text_frame.text)
            if getattr(shape, "has_table", False) and shape.has_table:
                parts += [c.text for row in shape.table.rows for c in row.cells]
    return _norm(" ".join(parts))


def _pdf_text(path: Path) -> str:
    import pypdf

    return " ".join(page.extract_text() or "" for page in pypdf.PdfReader(str(path)).pages)


# --------------------------------------------------------------------------- the builds


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory, quarto_exe):
    base = tmp_path_factory.mktemp("hostile")
    canary = base / "canary.txt"
    canary.write_text(TOKEN + "\n", encoding="utf-8")
    review_id = f"t-hostile-{os.getpid()}"
    folder = ROOT / "data" / "raw" / review_id
    said = make_hostile_review(folder, hostile(canary))
    outputs = {}
    env = {k: v for k, v in os.environ.items() if k not in ("CP_ENGINE", "CP_QUARTO")}
    try:
        runs = (("builtin", ["build"], {"CP_ENGINE": "builtin"}),
                ("quarto", ["render"], {"CP_ENGINE": "quarto", "CP_QUARTO": quarto_exe}))
        for engine, command, extra in runs:
            proc = subprocess.run([sys.executable, "-m", "pipeline", *command, review_id], cwd=ROOT,
                                  env={**env, **extra}, capture_output=True, text=True, timeout=3600)
            assert proc.returncode == 0, f"{engine}: {proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
            dest = base / engine
            shutil.copytree(ROOT / "report" / "_output" / review_id, dest)
            outputs[engine] = dest
        yield outputs, said, canary
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        for leftover in (ROOT / "data" / "processed" / review_id, ROOT / "report" / "_output" / review_id,
                         ROOT / "report" / "_build" / review_id):
            shutil.rmtree(leftover, ignore_errors=True)


ENGINES = ["builtin", "quarto"]


@pytest.mark.parametrize("engine", ENGINES)
def test_no_file_of_the_machine_in_any_output(hostile_build, engine):
    outputs, _, _ = hostile_build
    passwd = Path("/etc/passwd").read_text(encoding="utf-8").splitlines()[0] if Path("/etc/passwd").exists() else None
    for path in sorted(outputs[engine].iterdir()):
        texts = [path.read_bytes().decode("utf-8", "replace")]
        if path.suffix in (".docx", ".pptx"):
            texts.append(_office_xml(path))
        if path.suffix == ".pdf":
            texts.append(_pdf_text(path))
        for text in texts:
            assert TOKEN not in text, f"{path.name}: the canary file's content is in the output"
            if passwd:
                assert passwd not in text, f"{path.name}: /etc/passwd is in the output"


@pytest.mark.parametrize("engine", ENGINES)
def test_html_has_no_live_markup_from_the_data(hostile_build, engine):
    outputs, said, _ = hostile_build
    page = _Html()
    page.feed((outputs[engine] / "board-paper.html").read_text(encoding="utf-8"))
    assert not any(MARK in s for s in page.script_text), "a script from the data runs"
    for tag, attrs in page.tags:
        assert tag not in ("iframe", "embed", "object"), f"<{tag}> from the data"
        for name, value in attrs.items():
            value = value or ""
            assert not (name.startswith("on") and MARK in value), f"event attribute {name} from the data"
            if name in ("href", "src", "action", "formaction"):
                assert not value.strip().lower().startswith("javascript:"), f"javascript: {name}"
        if tag == "b" and "onmouseover" in attrs:
            pytest.fail("raw HTML from the data")
    text = _norm("".join(page.text))  # "": the empty spans that break {{< split the text into pieces
    for field in ("recommendation", "evidence", "criterion"):
        assert _shown(said[field]) in text, f"{field} is not shown as typed"
    assert "{{< env HOME >}}" in text and "{{< var review.title >}}" in text and "$x^2$" in text


@pytest.mark.parametrize("engine", ENGINES)
def test_word_shows_the_text_and_has_no_raw_xml_from_the_data(hostile_build, engine):
    outputs, said, _ = hostile_build
    path = outputs[engine] / "board-paper.docx"
    xml = _office_xml(path)
    assert f"<w:t>{MARK}-xml</w:t>" not in xml and f"<w:t>{MARK}-block</w:t>" not in xml
    assert f"<w:t xml:space=\"preserve\">{MARK}-xml" not in xml
    text = _docx_text(path)
    assert _shown(said["recommendation"]) in text
    assert f"<w:t>{MARK}-xml</w:t>" in text  # shown, as the text it is


@pytest.mark.parametrize("engine", ENGINES)
def test_slides_show_the_title_and_have_no_raw_xml_from_the_data(hostile_build, engine):
    outputs, said, _ = hostile_build
    path = outputs[engine] / "board-slides.pptx"
    xml = _office_xml(path)
    assert f"<a:t>{MARK}-xml</a:t>" not in xml and f"<w:t>{MARK}-xml</w:t>" not in xml
    assert "<w:t>" not in xml  # no Word markup at all in the slides
    text = _pptx_text(path)
    assert "{{< env HOME >}}" in text or "{{< meta title >}}" in text


@pytest.mark.parametrize("engine", ENGINES)
def test_pdf_shows_the_text_typed(hostile_build, engine):
    outputs, said, _ = hostile_build
    text = re.sub(r"\s+", "", _pdf_text(outputs[engine] / "board-paper.pdf"))
    for token in ("{{<envHOME>}}", "{{<varreview.title>}}", "$x^2$", '#read("/etc/passwd")', "<script>",
                  "{=typst}", "{=openxml}", "<iframe"):
        assert token in text, f"{token!r} is not shown in the PDF"
