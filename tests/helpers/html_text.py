"""Reading a rendered HTML paper in tests: its text, language, title, images and tables.

One parser for every test that looks inside an HTML output (standard library
only, so the check does not depend on what it checks).
"""
from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path


class HtmlText(HTMLParser):
    """Everything a test reads from an HTML file.

    ``parts``: every text node, in order; ``lang``: the ``<html lang>``;
    ``title``: the ``<title>`` text; ``imgs``: each ``<img>``'s attributes;
    ``alts``: their alt texts; ``tables``: each table as rows of cell texts
    (whitespace collapsed, header row first).
    """

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.imgs: list[dict] = []
        self.tables: list[list[list[str]]] = []
        self.lang: str | None = None
        self.title = ""
        self._in_title = False
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    @property
    def alts(self) -> list[str]:
        return [img.get("alt", "") for img in self.imgs]

    @property
    def text(self) -> str:
        """All the text, whitespace collapsed to single spaces."""
        return " ".join(" ".join(self.parts).split())

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        elif tag == "img":
            self.imgs.append(attrs)
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
        self._in_title = tag == "title"

    def handle_endtag(self, tag):
        self._in_title = False
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self.tables:
            self.tables[-1].append(self._row)
            self._row = None

    def handle_data(self, data):
        self.parts.append(data)
        if self._in_title:
            self.title += data
        if self._cell is not None:
            self._cell.append(data)


def read_html(path: Path | str) -> HtmlText:
    """Parse an HTML file."""
    parser = HtmlText()
    parser.feed(Path(path).read_text(encoding="utf-8"))
    parser.close()
    return parser
