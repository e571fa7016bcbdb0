"""The papers' tables as a spreadsheet in the form UK official statistics use.

Beside the annual report, ``annual-audit-tables.xlsx``; beside the Board
paper, ``board-paper-tables.xlsx``. Each is written with gptables (the
Analysis Function's package) and so has a cover sheet, a table of contents, a
notes sheet and one table per sheet, each table with its title, the notes
it refers to as ``[note N]`` and no merged cells. The figures are those of the
protected tables the paper prints (:class:`pipeline.disclosure.SuppressedTable`):
a hidden cell is ``[c]``, with the note saying why, and a missing figure
``[x]``. Invented data is marked on the cover, in every table's subtitle and
in the notes.

The words (titles, headers, notes, cover) are in
``report/workbooks/tables.yml``; a sheet publishes only the columns listed
there. Text cells are never formulas (``strings_to_formulas`` is off).
"""
from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import yaml

from pipeline.paths import REPORT_DIR
from pipeline.xlsx import make_reproducible

WORDS = REPORT_DIR / "workbooks" / "tables.yml"
ANNUAL_FILE = "annual-audit-tables.xlsx"
BOARD_FILE = "board-paper-tables.xlsx"
#: The fields of ``report.Protected`` the Board workbook publishes (the keys of its sheets in tables.yml).
BOARD_TABLES = ("compliance", "timescales", "not_evidenced", "workforce", "monitoring")
SUPPRESSED = "[c]"
MISSING = "[x]"
SYNTHETIC = "Synthetic data: not real cases"
_NOTE = re.compile(r"\$\$([a-z_]+)\$\$")


def words() -> dict:
    return yaml.safe_load(WORDS.read_text(encoding="utf-8"))


def _cell(value, hidden: bool):
    if hidden:
        return SUPPRESSED
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)) or hasattr(value, "dtype"):
        number = float(value)  # one decimal place, halves away from zero (2.25 -> 2.3)
        if number.is_integer():
            return int(number)
        return float(Decimal(repr(number)).quantize(Decimal("0.1"), ROUND_HALF_UP))
    return str(value)


def publish_frame(table, columns: dict[str, str], index_header: str) -> pd.DataFrame:
    """A protected table as published: listed columns only, ``[c]`` where hidden, ``[x]`` where missing.

    ``table`` is a SuppressedTable (its ``frame`` and ``mask``) or a plain
    DataFrame (nothing hidden). The index becomes the first column.
    """
    frame = table.frame if hasattr(table, "frame") else table
    mask = table.mask if hasattr(table, "frame") else None
    out = {index_header: [str(v) for v in frame.index]}
    for col, header in columns.items():
        if col not in frame.columns:
            continue
        hidden = mask[col].tolist() if mask is not None else [False] * len(frame)
        out[header] = [_cell(v, h) for v, h in zip(frame[col].tolist(), hidden)]
    return pd.DataFrame(out, dtype=object)


def _notes_used(text: str, suppressed: bool, synthetic: bool, has_missing: bool) -> str:
    """A title with the note markers that apply to this table (suppression only when public)."""
    keys = [k for k in _NOTE.findall(text) if suppressed or k != "suppressed"]
    keys += (["missing"] if has_missing else []) + (["synthetic"] if synthetic else [])
    return " ".join(_NOTE.sub("", text).split()) + " " + "".join(f"$${k}$$" for k in keys)


def _sheets(spec: dict, tables: dict, fill: dict, synthetic: bool) -> tuple[dict, list[str]]:
    """gptables sheets for the tables present, and the note keys in order of first reference."""
    import gptables as gpt

    sheets, order = {}, []
    for item in spec["sheets"]:
        table = tables.get(item["table"])
        if table is None:
            continue
        frame = publish_frame(table, item["columns"], item["index"])
        has_missing = bool((frame == MISSING).to_numpy().any())
        title = _notes_used(item["title"].format(**fill), bool(getattr(table, "is_suppressed", False)),
                            synthetic, has_missing)
        order += [k for k in _NOTE.findall(title) if k not in order]
        n = len(sheets) + 1
        sheets[f"Table {n}"] = gpt.GPTable(
            table=frame, table_name=f"table_{n}", title=title,
            subtitles=[SYNTHETIC] if synthetic else [],
            instructions="This worksheet contains one table. Some cells refer to notes on the Notes sheet.",
            source=f"Source: {fill['authority']}, {fill['title']}")
    return sheets, order


@contextmanager
def _no_link_markup():
    """gptables turns any text of the form ``[words](target)`` into a live hyperlink, table cells
    included. Our workbooks author no links, and text from the data must stay text, so that
    parsing is switched off while a workbook is written."""
    from gptables.core.wrappers import GPWorksheet

    original = GPWorksheet.__dict__["_replace_url"]
    GPWorksheet._replace_url = staticmethod(lambda string: string)
    try:
        yield
    finally:
        GPWorksheet._replace_url = original


def write_workbook(path: Path, kind: str, tables: dict, *, title: str, authority: str, synthetic: bool,
                   year: str = "") -> Path:
    """Write the tables workbook of a paper (``kind``: ``annual`` or ``board``) to ``path``.

    ``tables`` maps the table keys of ``report/workbooks/tables.yml`` (e.g.
    ``compliance``) to the paper's protected tables; a key that is absent or
    None gets no sheet. Returns ``path``.
    """
    import gptables as gpt

    text = words()
    spec = text["workbooks"][kind]
    fill = {"title": title, "authority": authority, "year": year}
    sheets, order = _sheets(spec, tables, fill, synthetic)
    notes = pd.DataFrame({"Note reference": order,
                          "Note text": [" ".join(str(text["notes"][k]).split()) for k in order]})
    intro = [f"{SYNTHETIC}. Every figure in this workbook is invented."] if synthetic else []
    cover = gpt.Cover(title=spec["title"].format(**fill), intro=intro + [f"Published by {authority}."],
                      about=[" ".join(a.split()) for a in text["cover"]["about"]],
                      contact=[" ".join(c.split()) for c in text["cover"]["contact"]])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _no_link_markup():
        gpt.write_workbook(str(path), sheets=sheets, cover=cover, notes_table=notes,
                           contentsheet_options={"additional_elements": ["subtitles"]} if synthetic else {},
                           workbook_options={"strings_to_formulas": False, "strings_to_urls": False,
                                             "strings_to_numbers": False})
    make_reproducible(path)
    return path
