"""The publication check: nothing personal in a rendered output of a public review.

Data contract, "Publishing": no output of any audience carries a case_id, a
comment, an auditor's name or a free-text field from the raw data, and a
public review is disclosure-controlled (counts of 1 to 5 shown as ``c``).
Disclosure control is applied where the tables are made
(:mod:`pipeline.disclosure`); this module checks the *result*, independently,
on the text a reader would get out of each rendered file:

* HTML through :mod:`html.parser` (text, plus ``alt``, ``title`` and
  ``aria-label`` attributes, which a screen reader speaks);
* PDF through ``pypdf`` (text of every page);
* Word through ``python-docx`` (paragraphs, tables, headers and footers, and
  the pictures' descriptions, i.e. their alt text).

It fails when the text holds

* any ``personal`` value of the raw data (``pipeline/contract/tables.yaml``:
  case ids of case_audit and case_population, auditors' names), matched as a
  whole token, case-insensitively;
* any ``free_text`` value (comments, respondent roles) long enough to say
  something (at least :data:`FREE_TEXT_MIN_WORDS` words or
  :data:`FREE_TEXT_MIN_CHARS` characters: a one-word answer such as "Manager"
  would match ordinary prose and identifies no one), matched case-insensitively
  with whitespace normalised;
* a team's name in the same table row as a count of 1 to 5 (a heuristic: a
  cell that is exactly a whole number 1-5 in an HTML or Word table row, or such
  a number standing alone on a PDF text line that names the team). Team-level
  tables of small counts are what disclosure control exists to stop.

The build runs it for every ``audience: public`` review after rendering into
the staging folder and before anything is moved into ``report/_output/``, so
a failing check leaves no new publishable file; the error names the file and
what was found (the kind of value and where, never the value itself in full,
so the build log does not become the leak).
"""
from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Iterable

import pandas as pd

from pipeline.contract import contract
from pipeline.disclosure import SuppressedTable

FREE_TEXT_MIN_WORDS = 3
FREE_TEXT_MIN_CHARS = 20
SMALL_COUNT = re.compile(r"^\s*[1-5]\s*$")
SMALL_COUNT_TOKEN = re.compile(r"(?<![\w.,%£$-])[1-5](?![\w.,%])")


class PublicationError(RuntimeError):
    """A rendered output holds something that must never be published; the message says what and where."""


@dataclass
class Forbidden:
    """What must not appear: values by kind, and the team names."""

    personal: dict[str, set[str]] = field(default_factory=dict)   # "case_audit.case_id" -> values
    free_text: dict[str, set[str]] = field(default_factory=dict)  # "questionnaire.comments" -> values
    team_names: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Finding:
    file: str
    what: str

    def __str__(self) -> str:
        return f"{self.file}: {self.what}"


@dataclass
class Extracted:
    """The text of a rendered file, and its table rows (lists of cell texts; a PDF line is a row)."""

    text: str
    rows: list[list[str]]


# --------------------------------------------------------------------------- the raw values


def _values(series: pd.Series) -> set[str]:
    return {str(v).strip() for v in series.dropna().tolist() if str(v).strip()}


def forbidden_from_tables(tables: dict[str, pd.DataFrame]) -> Forbidden:
    """The personal and free-text values of a review's raw tables, as the contract marks them."""
    out = Forbidden()
    spec = contract().tables
    for name, frame in tables.items():
        if frame is None or name not in spec:
            continue
        for col in spec[name].columns.values():
            if col.name not in frame.columns:
                continue
            if col.personal:
                out.personal[f"{name}.{col.name}"] = _values(frame[col.name])
            elif col.free_text:
                long_enough = {v for v in _values(frame[col.name])
                               if len(v.split()) >= FREE_TEXT_MIN_WORDS or len(v) >= FREE_TEXT_MIN_CHARS}
                out.free_text[f"{name}.{col.name}"] = long_enough
    teams = tables.get("teams")
    if teams is not None and "team_name" in teams:
        out.team_names = _values(teams["team_name"])
    return out


def forbidden_for_review(review_id: str) -> Forbidden:
    """Read the raw review (with its personal columns, which the snapshot drops) and list what is forbidden."""
    from pipeline.load import read_review
    from pipeline.paths import raw_dir

    _, tables, _, _ = read_review(raw_dir(review_id))
    return forbidden_from_tables(tables)


# --------------------------------------------------------------------------- text extraction


class _HTMLText(HTMLParser):
    SKIP = {"script", "style"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.rows: list[list[str]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self._skip += 1
        for key, value in attrs:
            if key in ("alt", "title", "aria-label") and value:
                self.parts.append(value)
        if tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in self.SKIP and self._skip:
            self._skip -= 1
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._skip:
            return
        self.parts.append(data)
        if self._cell is not None:
            self._cell.append(data)


def extract_html(path: Path) -> Extracted:
    parser = _HTMLText()
    parser.feed(Path(path).read_text(encoding="utf-8"))
    parser.close()
    return Extracted(" ".join(parser.parts), parser.rows)


def extract_pdf(path: Path) -> Extracted:
    from pypdf import PdfReader

    pages = [page.extract_text() or "" for page in PdfReader(str(path)).pages]
    text = "\n".join(pages)
    return Extracted(text, [[line] for line in text.splitlines()])


def extract_docx(path: Path) -> Extracted:
    import docx

    doc = docx.Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    rows: list[list[str]] = []
    for table in doc.tables:
        for row in table.rows:
            cells = [c.text for c in row.cells]
            rows.append(cells)
            parts.extend(cells)
    for section in doc.sections:
        for part in (section.header, section.footer):
            parts.extend(p.text for p in part.paragraphs)
    with zipfile.ZipFile(path) as z:
        body = z.read("word/document.xml").decode("utf-8", errors="replace")
    parts.extend(re.findall(r'<wp:docPr [^>]*descr="([^"]*)"', body))
    return Extracted(" ".join(parts), rows)


def extract_pptx(path: Path) -> Extracted:
    import pptx

    deck = pptx.Presentation(str(path))
    parts: list[str] = []
    rows: list[list[str]] = []
    for slide in deck.slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                parts.append(shape.text_frame.text)
            if getattr(shape, "has_table", False) and shape.has_table:
                for row in shape.table.rows:
                    cells = [c.text for c in row.cells]
                    rows.append(cells)
                    parts.extend(cells)
            descr = shape._element.xpath("./*[1]/p:cNvPr/@descr")
            parts.extend(descr)
    return Extracted(" ".join(parts), rows)


def extract_xlsx(path: Path) -> Extracted:
    """Every cell of every sheet (the published tables workbook, issue 15); a sheet row is a row."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    rows = [["" if v is None else str(v) for v in row]
            for ws in book.worksheets for row in ws.iter_rows(values_only=True)]
    book.close()
    return Extracted(" ".join(c for r in rows for c in r if c), rows)


def extract_json(path: Path) -> Extracted:
    """A published JSON record (disclosure.json): its text as written."""
    return Extracted(Path(path).read_text(encoding="utf-8"), [])


EXTRACTORS = {".json": extract_json, ".html": extract_html, ".htm": extract_html, ".pdf": extract_pdf,
              ".docx": extract_docx, ".pptx": extract_pptx, ".xlsx": extract_xlsx}


def extract(path: Path) -> Extracted:
    path = Path(path)
    try:
        return EXTRACTORS[path.suffix.lower()](path)
    except KeyError:
        raise PublicationError(f"{path.name}: no text extractor for {path.suffix} files") from None


# --------------------------------------------------------------------------- the check


def _token_pattern(values: Iterable[str]) -> re.Pattern | None:
    values = sorted({v for v in values if v}, key=len, reverse=True)
    if not values:
        return None
    alternation = "|".join(re.escape(v) for v in values)
    return re.compile(rf"(?<![A-Za-z0-9])(?:{alternation})(?![A-Za-z0-9])", re.IGNORECASE)


def _hint(value: str) -> str:
    """Enough of a found value to find it again, not enough to publish it in a log."""
    value = " ".join(value.split())
    return value if len(value) <= 4 else value[:3] + "..."


def _team_count_findings(name: str, content: Extracted, forbidden: Forbidden) -> list[Finding]:
    """A small (1 to 5) count in a table row that names a team."""
    teams = _token_pattern(forbidden.team_names)
    if teams is None:
        return []
    flagged = set()
    for row in content.rows:
        joined = " ".join(row)
        named = teams.search(joined)
        if not named:
            continue
        if len(row) > 1:
            small = [c for c in row if SMALL_COUNT.match(c) and not teams.search(c)]
        else:  # a PDF line: a lone 1-5 beside the team's name
            rest = teams.sub(" ", joined)
            small = SMALL_COUNT_TOKEN.findall(rest)
        if small:
            flagged.add(named.group(0))
    if flagged:
        return [Finding(name, f"a team-level count of 1 to 5 in a table row naming "
                              f"{len(flagged)} team(s), e.g. '{sorted(flagged)[0]}'")]
    return []


def check_text(name: str, content: Extracted, forbidden: Forbidden) -> list[Finding]:
    """Everything forbidden found in one file's extracted text."""
    findings: list[Finding] = []
    flat = " ".join(content.text.split())
    for where, values in forbidden.personal.items():
        pattern = _token_pattern(values)
        if pattern is None:
            continue
        hits = sorted({m.group(0) for m in pattern.finditer(flat)})
        if hits:
            findings.append(Finding(name, f"{len(hits)} value(s) of {where} (personal data), e.g. "
                                          f"'{_hint(hits[0])}'"))
    lowered = flat.lower()
    for where, values in forbidden.free_text.items():
        hits = [v for v in values if " ".join(v.split()).lower() in lowered]
        if hits:
            findings.append(Finding(name, f"{len(hits)} value(s) of {where} (free text), e.g. "
                                          f"'{_hint(hits[0])}'"))
    findings += _team_count_findings(name, content, forbidden)
    return findings


def check_files(paths: Iterable[Path], forbidden: Forbidden) -> list[Finding]:
    findings: list[Finding] = []
    for path in paths:
        findings += check_text(Path(path).name, extract(path), forbidden)
    return findings


def assert_publishable(paths: Iterable[Path], forbidden: Forbidden) -> None:
    """Raise PublicationError naming each file and what it holds; return quietly when clean."""
    paths = list(paths)
    findings = check_files(paths, forbidden)
    if findings:
        lines = "\n".join(f"  - {f}" for f in findings)
        raise PublicationError(
            "publication check failed: the rendered output holds data that must never be published "
            f"(data contract, Publishing); nothing was moved into report/_output:\n{lines}")


def check_review(review_id: str, paths: Iterable[Path]) -> None:
    """The build's check for a public review: the raw data's forbidden values against its rendered files."""
    assert_publishable(paths, forbidden_for_review(review_id))


# --------------------------------------------------------------------------- disclosure control


def check_protection(tables: Mapping[str, SuppressedTable]) -> None:
    """Fail unless every small count of every table, and every small sum of hidden cells in a
    line, has a feasible range that covers the protection interval (:mod:`pipeline.protection`).

    Each table carries the constraints a reader knows about it (its equations, and the
    bands its shares are printed as); the audit solves them again on the finished table.
    """
    bad = []
    for name, table in tables.items():
        if not table.is_suppressed:
            continue
        counts = table.mask[list(table.count_cols)].to_numpy(dtype=bool)
        if table.problem is None and counts.any() and not counts.all():
            bad.append(f"{name}: hidden cells with no record of the constraints around them")
            continue
        if table.problem is not None:
            failures = table.problem.failures()
            if failures:
                bad.append(f"{name}: {len(failures)} small count(s) or sum(s) narrower than the "
                           f"protection interval")
    if bad:
        lines = "\n".join(f"  - {b}" for b in bad)
        raise PublicationError("publication check failed: disclosure control does not protect every "
                               f"small count; nothing was moved into report/_output:\n{lines}")


def suppressed_tables(holder) -> dict[str, SuppressedTable]:
    """The :class:`SuppressedTable` attributes of an object (e.g. a Board paper's protected tables), by name."""
    return {name: value for name, value in vars(holder).items() if isinstance(value, SuppressedTable)}


def disclosure_record(review_id: str, tables: Mapping[str, SuppressedTable]) -> dict:
    """How many cells were hidden and why, over the whole output, for the provenance record.

    Totals only: which cell was hidden for being small is never said, since that would
    tell a reader that the cell holds 1 to 5.
    """
    small = interval = None
    hidden = primary = not_small = banded = 0
    for table in tables.values():
        if not table.is_suppressed:
            continue
        if table.problem is not None:
            small, interval = table.problem.small, table.problem.interval
        lo, hi = small or (1, 5)
        for col in table.count_cols:
            mask = table.mask[col].to_numpy(dtype=bool)
            values = pd.to_numeric(table.frame[col]).to_numpy(dtype="float64")[mask]
            hidden += int(mask.sum())
            primary += int(table.primary[col].to_numpy(dtype=bool).sum())
            not_small += int(((values < lo) | (values > hi)).sum())
        banded += len(table.bands)
    return {
        "review_id": review_id,
        "method": "docs/disclosure.md",
        "small_counts": list(small or (1, 5)),
        "protection_interval": ({"at_most": interval.low, "at_least": interval.high} if interval else None),
        "tables": len(tables),
        "hidden_counts": hidden,
        "hidden_why": {"a count in the small range (primary)": primary,
                       "needed so that a small count, or a small sum of hidden cells, in its line "
                       "reaches the protection interval (secondary)": hidden - primary},
        "hidden_not_small": not_small,
        "shares_published_as_a_band": banded,
        "protection_check": "passed",
    }


def write_disclosure_record(folder: Path, review_id: str, tables: Mapping[str, SuppressedTable]) -> Path:
    """Write ``disclosure.json`` into ``folder`` (the staging folder, so it is published with the papers)."""
    path = Path(folder) / "disclosure.json"
    path.write_text(json.dumps(disclosure_record(review_id, tables), indent=2) + "\n", encoding="utf-8")
    return path
