"""Blank Excel forms for the people who feed a review, made from the data contract.

``python -m pipeline forms <review_id>`` writes into
``data/processed/<review_id>/forms/``:

- ``case_audit_form.xlsx``: sheet ``case_audit`` (the contract's columns in
  contract order, then one column per criterion of the review's
  ``audit_criteria``; pre-filled with the case ids and team ids of the sample
  list when ``python -m pipeline sample`` has drawn one);
- ``questionnaire_form.xlsx``: sheet ``questionnaire`` (one row per team of
  ``teams``, one column per question of ``questions``, the comments column last).

Each also has an ``Instructions`` sheet and a ``Lists`` sheet holding the
drop-down lists; the loader ignores both, so a completed workbook can be
dropped into ``data/raw/<review_id>/`` as it is. The banks (``teams``,
``audit_criteria``, ``questions``) are *not* copied into the forms: the review
folder already holds them and the loader concatenates every part of a table,
so a copy would duplicate the bank. The criterion or question text is a note
on its header cell instead.

Everything offered comes from ``pipeline.contract`` (the definitions the
validator uses): column names, types, ranges and the code lists, whose
drop-downs offer the code *labels* (``Contract.code_label``: "Not evidenced",
"Physical abuse", "N/A") that the loader accepts for the codes. So the forms
cannot drift from the validator.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.contract import ColumnSpec, Contract, contract

FORMS_SUBDIR = "forms"
CASE_AUDIT_FORM = "case_audit_form.xlsx"
QUESTIONNAIRE_FORM = "questionnaire_form.xlsx"
#: Rows below the header that carry the drop-downs and formats (more when more rows are pre-filled).
FORM_ROWS = 500
#: Date validation bounds (inclusive).
DATE_MIN = dt.date(2000, 1, 1)
DATE_MAX = dt.date(2100, 12, 31)
DATE_FORMAT = "DD/MM/YYYY"
#: A short reminder of what a column means, where the name alone does not say (data contract wording).
HINTS = {
    "case_id": "The pseudonymous case reference (e.g. the ICS number). Never a child's or family member's name.",
    "team_id": "The team holding the case, as in the review's teams list.",
    "auditor": "Your name or initials (kept out of every report).",
    "audit_date": "The day you audited the file.",
    "record_source": "Which record you read: the electronic record only, or it and the paper file.",
    "age_years": "The child's age in whole years.",
    "review_conference_date": "The first review conference.",
    "last_visit_date": "The last statutory visit.",
    "previous_cpp_count": "Number of previous child protection plans.",
    "legal_dissent": "Yes when proceedings were NOT taken after a professional dissented.",
    "completed_date": "The day the team completed the questionnaire.",
    "respondent_role": "Your role, e.g. Team manager (kept out of every report).",
    "comments": "Free text. It is read by the review team and never copied into any output.",
}
#: Contract columns put after the question columns (the general comment box comes last).
TRAILING = ("comments",)
_HEADER_FILL = "DDEBF7"
_REQUIRED_FILL = "FCE4D6"


@dataclass(frozen=True)
class FormColumn:
    """One column of a form: its header, kind, drop-down list and header note."""

    name: str
    type: str                  # text | code | date | integer | number
    required: bool = False
    codes: str | None = None   # code list name for a code column
    list_name: str | None = None  # Lists column heading (codes, or "team_id")
    min: float | None = None
    max: float | None = None
    note: str = ""
    width: float = 14


# ----------------------------------------------------------------- columns from the contract


def code_labels(codes: str, spec: Contract | None = None) -> list[str]:
    """The labels a drop-down offers for a code list, in contract order."""
    spec = spec or contract()
    return [spec.code_label(c) for c in spec.codes[codes]]


def _describe(col: ColumnSpec, spec: Contract) -> str:
    """What to enter in a contract column, from its definition."""
    req = "Required." if col.required else "Optional: leave blank if not recorded."
    if col.type == "date":
        what = f"A date, day first: {DATE_FORMAT} (e.g. 20/01/2009)."
        if col.not_after:
            what += f" Not after the {col.not_after.replace('_', ' ')}."
    elif col.type == "code":
        what = "Choose from the list: " + ", ".join(code_labels(col.codes, spec)) + "."
    elif col.type == "integer":
        lo = "" if col.min is None else f"{col.min:g}"
        hi = "" if col.max is None else f"{col.max:g}"
        what = ("A whole number" + (f" from {lo} to {hi}" if lo and hi else f", {lo} or more" if lo else "") + ".")
    elif col.type == "number":
        what = "A number."
    else:
        what = "Text."
        if col.references:
            what = f"One of the {col.references.split('.')[0]}' {col.references.split('.')[1]} values."
    parts = [HINTS.get(col.name, ""), what, req]
    if col.unique:
        parts.append("One row each: no two rows may have the same value.")
    if col.alias:
        parts.append(f"(Also accepted as the header {col.alias}.)")
    return " ".join(p for p in parts if p)


def _contract_column(col: ColumnSpec, spec: Contract) -> FormColumn:
    list_name = col.codes if col.type == "code" else ("team_id" if col.references == "teams.team_id" else None)
    width = {"date": 13, "integer": 10, "code": 16}.get(col.type, 14)
    width = max(width, len(col.name) + 3)
    return FormColumn(col.name, col.type, col.required, col.codes, list_name, col.min, col.max,
                      _describe(col, spec), width)


def case_audit_columns(criteria: pd.DataFrame, spec: Contract | None = None) -> list[FormColumn]:
    """The case-audit form's columns: the contract's in contract order, then one per criterion."""
    spec = spec or contract()
    table = spec.tables["case_audit"]
    cols = [_contract_column(c, spec) for c in table.columns.values()]
    codes = table.wide.codes
    labels = ", ".join(code_labels(codes, spec))
    for r in criteria.itertuples(index=False):
        ref = getattr(r, "reference", None)
        where = r.domain + (f", {ref}" if isinstance(ref, str) and ref.strip() else "")
        note = (f"{r.criterion_id} ({where}): {r.text}\n\nChoose {labels}. Not evidenced counts "
                f"against compliance (the record cannot confirm it was done); N/A is left out.")
        cols.append(FormColumn(r.criterion_id, "code", False, codes, codes, note=note, width=14))
    return cols


def questionnaire_columns(questions: pd.DataFrame, spec: Contract | None = None) -> list[FormColumn]:
    """The questionnaire form's columns: the contract's, one per question (its scale), comments last."""
    spec = spec or contract()
    table = spec.tables["questionnaire"]
    first = [c for c in table.columns.values() if c.name not in TRAILING]
    last = [c for c in table.columns.values() if c.name in TRAILING]
    cols = [_contract_column(c, spec) for c in first]
    for r in questions.itertuples(index=False):
        note = (f"{r.question_id} ({r.theme}): {r.text}\n\nChoose "
                + ", ".join(code_labels(r.scale, spec)) + ".")
        cols.append(FormColumn(r.question_id, "code", False, r.scale, r.scale, note=note, width=14))
    cols += [_contract_column(c, spec) for c in last]
    return [FormColumn(**{**c.__dict__, "width": 40}) if c.name == "comments" else c for c in cols]


# ----------------------------------------------------------------- workbook


def _lists(columns: list[FormColumn], team_ids: list[str], spec: Contract) -> dict[str, list[str]]:
    """Every drop-down list the columns use, in order of first use."""
    out: dict[str, list[str]] = {}
    for c in columns:
        if c.list_name is None or c.list_name in out:
            continue
        out[c.list_name] = list(team_ids) if c.list_name == "team_id" else code_labels(c.list_name, spec)
    return out


def put(ws, row: int, column: int, value=None):
    """Write one cell; text is always a string cell, never a formula (openpyxl would otherwise
    store text that begins with "=" as a formula, which Excel then runs)."""
    cell = ws.cell(row=row, column=column)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def _write_sheet(wb, table: str, columns: list[FormColumn], prefill: pd.DataFrame | None,
                 lists: dict[str, list[str]]) -> None:
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.utils.datetime import to_excel
    from openpyxl.worksheet.datavalidation import DataValidation

    ws = wb.create_sheet(table, 0)
    n_pre = 0 if prefill is None else len(prefill)
    last = max(FORM_ROWS, n_pre) + 1
    list_ref = {}
    for j, name in enumerate(lists, start=1):
        letter = get_column_letter(j)
        list_ref[name] = f"Lists!${letter}$2:${letter}${len(lists[name]) + 1}"

    for j, col in enumerate(columns, start=1):
        letter = get_column_letter(j)
        cell = put(ws, 1, j, col.name)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=_REQUIRED_FILL if col.required else _HEADER_FILL)
        cell.alignment = Alignment(wrap_text=False)
        if col.note:
            comment = Comment(col.note, "pipeline forms")
            comment.width, comment.height = 320, 160
            cell.comment = comment
        ws.column_dimensions[letter].width = col.width
        rng = f"{letter}2:{letter}{last}"
        dv = None
        if col.list_name is not None:
            dv = DataValidation(type="list", formula1=list_ref[col.list_name], allow_blank=True,
                                errorStyle="warning", errorTitle="Not in the list",
                                error="Choose a value from the list (the codes themselves are accepted too).",
                                promptTitle=col.name[:32], prompt=_prompt(col))
        elif col.type == "date":
            dv = DataValidation(type="date", operator="between", formula1=str(int(to_excel(DATE_MIN))),
                                formula2=str(int(to_excel(DATE_MAX))), allow_blank=True,
                                errorTitle="Not a date",
                                error=f"Enter a date between 01/01/2000 and 31/12/2100, day first ({DATE_FORMAT}).",
                                promptTitle=col.name[:32], prompt=_prompt(col))
        elif col.type == "integer":
            lo = -(10**9) if col.min is None else int(col.min)
            if col.max is None:
                bounds = {"operator": "greaterThanOrEqual", "formula1": str(lo)}
            else:
                bounds = {"operator": "between", "formula1": str(lo), "formula2": str(int(col.max))}
            dv = DataValidation(type="whole", **bounds, allow_blank=True, errorTitle="Not a whole number in range",
                                error=_prompt(col), promptTitle=col.name[:32], prompt=_prompt(col))
        if dv is not None:
            dv.showErrorMessage = True
            dv.showInputMessage = True
            dv.add(rng)
            ws.add_data_validation(dv)
        fmt = DATE_FORMAT if col.type == "date" else "@" if col.type == "text" else None
        if fmt:
            for i in range(2, last + 1):
                ws.cell(row=i, column=j).number_format = fmt

    if prefill is not None:
        pos = {c.name: j for j, c in enumerate(columns, start=1)}
        for i, rec in enumerate(prefill.to_dict("records"), start=2):
            for name, value in rec.items():
                if name in pos and not pd.isna(value):
                    put(ws, i, pos[name], str(value))
    ws.freeze_panes = "B2"


def _prompt(col: FormColumn) -> str:
    """The input message shown when a cell is selected (Excel allows 255 characters)."""
    if col.list_name == "team_id":
        text = "Choose the team from the list."
    elif col.type == "code":
        text = "Choose from the list."
    elif col.type == "date":
        text = f"A date, day first ({DATE_FORMAT})."
    elif col.type == "integer":
        lo = "" if col.min is None else f"{col.min:g}"
        hi = "" if col.max is None else f"{col.max:g}"
        text = "A whole number" + (f" from {lo} to {hi}" if lo and hi else f", {lo} or more" if lo else "") + "."
    else:
        text = ""
    return (text + (" Required." if col.required else ""))[:255]


def _write_lists(wb, lists: dict[str, list[str]]) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet("Lists")
    for j, (name, values) in enumerate(lists.items(), start=1):
        put(ws, 1, j, name).font = Font(bold=True)
        for i, v in enumerate(values, start=2):
            put(ws, i, j, v)
        ws.column_dimensions[get_column_letter(j)].width = max(16, len(name) + 2,
                                                               *(len(v) + 2 for v in values))
    ws.freeze_panes = "A2"


def _write_instructions(wb, lines: list, tables: list[tuple[str, list[str], list[list]]]) -> None:
    """Instructions sheet: paragraphs, then titled tables (title, header, rows)."""
    from openpyxl.styles import Alignment, Font

    ws = wb.create_sheet("Instructions")
    row = 1
    for k, line in enumerate(lines):
        cell = put(ws, row, 1, line)
        if k == 0:
            cell.font = Font(bold=True, size=14)
        row += 1
    for title, header, rows in tables:
        row += 1
        put(ws, row, 1, title).font = Font(bold=True, size=12)
        row += 1
        for j, h in enumerate(header, start=1):
            put(ws, row, j, h).font = Font(bold=True)
        row += 1
        for r in rows:
            for j, v in enumerate(r, start=1):
                c = put(ws, row, j, None if v is None or (isinstance(v, float) and pd.isna(v)) else str(v))
                c.alignment = Alignment(wrap_text=True, vertical="top")
            row += 1
    for letter, width in zip("ABCD", (26, 16, 18, 90)):
        ws.column_dimensions[letter].width = width


def _common_lines(review, table: str, what: str, one_row: str) -> list[str]:
    meta = review.meta
    census = meta.get("census_date")
    census_text = pd.Timestamp(census).strftime("%d/%m/%Y") if census is not None and not pd.isna(census) else "?"
    lines = [
        f"{what}: {meta.get('title', review.review_id)} ({review.review_id})",
        f"{meta.get('authority', '')}; census date {census_text}. Made from data contract version "
        f"{contract().version} by `python -m pipeline forms`.",
    ]
    if meta.get("synthetic"):
        lines.append("INVENTED EXAMPLE: this review's data are made up.")
    lines += [
        "",
        f"How to fill it in (sheet '{table}'):",
        f"- {one_row}",
        "- Do not rename, move or delete the header row or its columns, and do not add columns. "
        "Hover over a header to read what it asks.",
        "- Orange headers are required; blue ones may be left blank when the record does not say. "
        "A blank cell means 'not recorded' and is never turned into a value.",
        "- Code columns: choose from the drop-down (the words shown, e.g. 'Not evidenced'). "
        "The codes themselves (e.g. not_evidenced) and 'N/A' or 'Not applicable' are accepted too.",
        f"- Dates: day first, {DATE_FORMAT} (e.g. 20/01/2009), or YYYY-MM-DD. Never month first.",
        "- Whole numbers: digits only (e.g. 3), within the range shown.",
        "- Never type a child's or family member's name, an address or a date of birth anywhere: "
        "identify a case only by its pseudonymous case reference.",
        "- Do not add sheets of data. The 'Instructions' and 'Lists' sheets are ignored when the form "
        "is read back.",
        "",
        "Returning it:",
        f"- Save as .xlsx (any file name, e.g. {table}_<your initials>.xlsx) and return it to the "
        "review team, who put it in the review folder data/raw/" + review.review_id + "/.",
        f"- Several returned workbooks (one per auditor or team), each with a '{table}' sheet, are "
        f"combined into one table. If the folder also holds {table}.csv, its rows are added too, so a "
        "case must appear in only one of them.",
        "- Then `python -m pipeline validate " + review.review_id + "` names every cell it cannot accept "
        "(file, sheet, row as Excel shows it, column, value, rule), and "
        "`python -m pipeline build " + review.review_id + "` re-runs the analysis and the papers.",
    ]
    return lines


def _column_table(columns: list[FormColumn]) -> list[list]:
    return [[c.name, "required" if c.required else "optional", c.type,
             c.note.split("\n\n")[0] if c.note else ""] for c in columns]


def _code_table(lists: dict[str, list[str]], spec: Contract) -> list[list]:
    rows = []
    for name in lists:
        if name not in spec.codes:
            continue
        for code in spec.codes[name]:
            rows.append([name, spec.code_label(code), code])
    return rows


def build_case_audit_form(review, path: Path | str, sample: pd.DataFrame | None = None,
                          spec: Contract | None = None) -> Path:
    """Write the case-audit workbook; pre-fill case_id and team_id from ``sample`` when given."""
    from openpyxl import Workbook

    spec = spec or contract()
    criteria = review.table("audit_criteria")
    teams = review.table("teams")
    columns = case_audit_columns(criteria, spec)
    lists = _lists(columns, list(teams["team_id"]), spec)
    prefill = None
    if sample is not None and len(sample):
        prefill = (sample[["case_id", "team_id"]].astype(str)
                   .sort_values(["team_id", "case_id"], kind="stable").reset_index(drop=True))
    wb = Workbook()
    wb.remove(wb.active)
    _write_sheet(wb, "case_audit", columns, prefill, lists)
    one_row = ("One row per audited case. " + (
        f"The {len(prefill)} sampled cases are listed with their team; fill in each row. If the cases are "
        "shared among auditors, delete the rows of the cases you did not audit." if prefill is not None
        else "Type the case reference and team of each case you audit."))
    _write_instructions(
        wb, _common_lines(review, "case_audit", "Case-audit form", one_row),
        [("Columns", ["column", "required", "type", "what to enter"], _column_table(columns)),
         ("Audit criteria", ["criterion", "domain", "reference", "question"],
          [[r.criterion_id, r.domain, getattr(r, "reference", None), r.text]
           for r in criteria.itertuples(index=False)]),
         ("Code lists", ["list", "label (drop-down)", "code (also accepted)"], _code_table(lists, spec)),
         ("Teams", ["team_id", "area", "team type", "team name"],
          [[r.team_id, r.area, r.team_type, r.team_name] for r in teams.itertuples(index=False)])])
    return _finish(wb, lists, path)


def _finish(wb, lists, path: Path | str) -> Path:
    """Add the Lists sheet behind the drop-downs, open on the first sheet, and save."""
    _write_lists(wb, lists)
    wb.active = 0
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def build_questionnaire_form(review, path: Path | str, spec: Contract | None = None) -> Path:
    """Write the questionnaire workbook, one pre-filled row per team of the review."""
    from openpyxl import Workbook

    spec = spec or contract()
    questions = review.table("questions")
    teams = review.table("teams")
    columns = questionnaire_columns(questions, spec)
    lists = _lists(columns, list(teams["team_id"]), spec)
    prefill = teams[["team_id"]].astype(str).reset_index(drop=True)
    wb = Workbook()
    wb.remove(wb.active)
    _write_sheet(wb, "questionnaire", columns, prefill, lists)
    one_row = ("One row per team: each team's row is listed; the team fills in its own row (delete the "
               "other teams' rows from a copy sent to one team).")
    _write_instructions(
        wb, _common_lines(review, "questionnaire", "Self-assessment questionnaire", one_row),
        [("Columns", ["column", "required", "type", "what to enter"], _column_table(columns)),
         ("Questions", ["question", "theme", "scale", "question text"],
          [[r.question_id, r.theme, r.scale, r.text] for r in questions.itertuples(index=False)]),
         ("Code lists", ["list", "label (drop-down)", "code (also accepted)"], _code_table(lists, spec)),
         ("Teams", ["team_id", "area", "team type", "team name"],
          [[r.team_id, r.area, r.team_type, r.team_name] for r in teams.itertuples(index=False)])])
    return _finish(wb, lists, path)


def write_forms(review, out_dir: Path | str, sample: pd.DataFrame | None = None) -> dict[str, Path]:
    """Write every form the review's banks allow (case audit needs audit_criteria; questionnaire, questions)."""
    out_dir = Path(out_dir)
    written = {}
    if review.table("audit_criteria") is not None:
        written["case_audit"] = build_case_audit_form(review, out_dir / CASE_AUDIT_FORM, sample)
    if review.table("questions") is not None:
        written["questionnaire"] = build_questionnaire_form(review, out_dir / QUESTIONNAIRE_FORM)
    return written
