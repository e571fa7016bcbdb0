"""Unit: the publication check on doctored HTML, PDF and Word files.

Each file is made here, small and by hand: a clean one passes; one holding a
case id (in the text, a table, an image's alt text or a page header), an
auditor's name, a comment, or a team's row with a count of 1 to 5 fails, and
the message names the file and what was found.
"""
from __future__ import annotations

from pathlib import Path

import docx
import pandas as pd
import pytest
import typst

from pipeline import publication as pub

CASE_ID = "KCA-1039"
AUDITOR = "Auditor Blean"
COMMENT = "Screen freezes on ICS cost the team several hours a week."
TEAM = "Ashford Long-Term Team"


@pytest.fixture
def forbidden() -> pub.Forbidden:
    return pub.Forbidden(personal={"case_audit.case_id": {CASE_ID, "KCA-2001"}, "case_audit.auditor": {AUDITOR}},
                         free_text={"questionnaire.comments": {COMMENT}}, team_names={TEAM, "Dover Duty Team"})


def _html(tmp_path: Path, body: str, name: str = "report.html") -> Path:
    path = tmp_path / name
    path.write_text(f'<!doctype html><html lang="en-GB"><head><title>T</title></head><body>{body}</body></html>',
                    encoding="utf-8")
    return path


CLEAN_BODY = ("<h1>Annual audit</h1><p>Compliance with C04 fell from 65% to 37% (n 120). Counts of 1 to 5 are shown "
              "as c.</p><table><tr><th>Criterion</th><th>Yes</th><th>No</th></tr>"
              "<tr><td>C01</td><td>111</td><td>c</td></tr><tr><td>C02</td><td>3</td><td>c</td></tr></table>"
              '<img src="x.png" alt="Chart of compliance by year: C01 89%, 93%, 92%.">')


def _pdf(tmp_path: Path, text: str, name: str = "report.pdf") -> Path:
    src = tmp_path / (name + ".typ")
    src.write_text('#set page(header: [Synthetic data: not real cases])\n' + text, encoding="utf-8")
    path = tmp_path / name
    path.write_bytes(typst.compile(str(src)))
    return path


def _docx(tmp_path: Path, paragraph: str, cells: list[str] | None = None, header: str = "",
          name: str = "report.docx") -> Path:
    doc = docx.Document()
    doc.add_paragraph(paragraph)
    if cells:
        table = doc.add_table(rows=1, cols=len(cells))
        for cell, text in zip(table.rows[0].cells, cells):
            cell.text = text
    if header:
        doc.sections[0].header.paragraphs[0].text = header
    path = tmp_path / name
    doc.save(str(path))
    return path


# ------------------------------------------------------------------ clean files pass


def test_clean_files_of_every_format_pass(tmp_path, forbidden):
    files = [_html(tmp_path, CLEAN_BODY),
             _pdf(tmp_path, "= Annual audit\nCompliance with C04 fell from 65% to 37%. Team counts: none.\n"),
             _docx(tmp_path, "Compliance with C04 fell from 65% to 37%.", ["C01", "111", "c"])]
    assert pub.check_files(files, forbidden) == []
    pub.assert_publishable(files, forbidden)  # no exception


# ------------------------------------------------------------------ a case id in each format fails


def test_html_with_a_case_id_fails_naming_file_and_column(tmp_path, forbidden):
    path = _html(tmp_path, CLEAN_BODY + f"<p>See case {CASE_ID} for an example.</p>", "leaky.html")
    with pytest.raises(pub.PublicationError) as err:
        pub.assert_publishable([path], forbidden)
    message = str(err.value)
    assert "leaky.html" in message and "case_audit.case_id" in message and "personal" in message
    assert CASE_ID not in message  # the log must not repeat the leak in full


def test_html_with_a_case_id_in_alt_text_fails(tmp_path, forbidden):
    path = _html(tmp_path, f'<img src="x.png" alt="Case {CASE_ID.lower()} drawn in red">')
    assert [f.what.split(" ")[3] for f in pub.check_files([path], forbidden)] == ["case_audit.case_id"]


def test_pdf_with_a_case_id_fails(tmp_path, forbidden):
    path = _pdf(tmp_path, f"= Annual audit\nOne file, {CASE_ID}, had no chronology.\n", "leaky.pdf")
    findings = pub.check_files([path], forbidden)
    assert [(f.file, "case_audit.case_id" in f.what) for f in findings] == [("leaky.pdf", True)]


def test_docx_with_a_case_id_in_a_table_fails(tmp_path, forbidden):
    path = _docx(tmp_path, "Clean words.", ["Case", CASE_ID], name="leaky.docx")
    findings = pub.check_files([path], forbidden)
    assert [(f.file, "case_audit.case_id" in f.what) for f in findings] == [("leaky.docx", True)]


def test_docx_with_a_case_id_in_the_header_fails(tmp_path, forbidden):
    path = _docx(tmp_path, "Clean words.", header=f"Prepared from {CASE_ID}")
    assert len(pub.check_files([path], forbidden)) == 1


def test_case_id_is_matched_as_a_whole_token(tmp_path, forbidden):
    path = _html(tmp_path, "<p>References KCA-10390 and XKCA-1039 are other things.</p>")
    assert pub.check_files([path], forbidden) == []


# ------------------------------------------------------------------ names, free text, team-level small counts


def test_auditor_name_fails_whatever_its_case(tmp_path, forbidden):
    path = _html(tmp_path, "<p>Audited by AUDITOR BLEAN.</p>")
    findings = pub.check_files([path], forbidden)
    assert len(findings) == 1 and "case_audit.auditor" in findings[0].what


def test_free_text_comment_fails_even_across_a_line_break(tmp_path, forbidden):
    path = _pdf(tmp_path, "Teams said: Screen freezes on ICS cost the team \\ several hours a week.\n")
    findings = pub.check_files([path], forbidden)
    assert len(findings) == 1 and "questionnaire.comments" in findings[0].what


def test_team_row_with_a_count_of_1_to_5_fails_in_html_and_docx(tmp_path, forbidden):
    html = _html(tmp_path, f"<table><tr><th>Team</th><th>Cases</th></tr><tr><td>{TEAM}</td><td>4</td></tr></table>")
    word = _docx(tmp_path, "Clean.", [TEAM, "12", "3"])
    findings = pub.check_files([html, word], forbidden)
    assert [f.file for f in findings] == ["report.html", "report.docx"]
    assert all("team-level count of 1 to 5" in f.what for f in findings)


def test_team_line_with_a_count_of_1_to_5_fails_in_pdf(tmp_path, forbidden):
    path = _pdf(tmp_path, f"#table(columns: 2, [{TEAM}], [2])\n")
    findings = pub.check_files([path], forbidden)
    assert len(findings) == 1 and "team-level" in findings[0].what


def test_team_rows_with_c_or_larger_counts_pass(tmp_path, forbidden):
    html = _html(tmp_path, f"<table><tr><td>{TEAM}</td><td>c</td><td>12</td><td>40%</td><td>3.5</td></tr>"
                           "<tr><td>County</td><td>3</td></tr></table>")
    assert pub.check_files([html], forbidden) == []


# ------------------------------------------------------------------ what is forbidden comes from the contract


def test_forbidden_values_are_the_contract_s_personal_and_free_text_columns():
    tables = {
        "case_audit": pd.DataFrame({"case_id": ["A1", "A2"], "auditor": ["Ann Smith", None], "team_id": ["T1", "T1"]}),
        "case_population": pd.DataFrame({"case_id": ["A1", "B7"], "team_id": ["T1", "T2"]}),
        "questionnaire": pd.DataFrame({"comments": ["ok", "Duty staff are stretched after the rise"],
                                       "respondent_role": ["Manager", "Team manager and senior practitioner"]}),
        "teams": pd.DataFrame({"team_id": ["T1"], "team_name": ["Ashford Team"]}),
    }
    f = pub.forbidden_from_tables(tables)
    assert f.personal == {"case_audit.case_id": {"A1", "A2"}, "case_audit.auditor": {"Ann Smith"},
                          "case_population.case_id": {"A1", "B7"}}
    # one-word answers identify no one and would match ordinary prose: only longer free text is checked
    assert f.free_text == {"questionnaire.comments": {"Duty staff are stretched after the rise"},
                           "questionnaire.respondent_role": {"Team manager and senior practitioner"}}
    assert f.team_names == {"Ashford Team"}


def test_an_unknown_format_is_an_error(tmp_path, forbidden):
    path = tmp_path / "report.odt"
    path.write_bytes(b"")
    with pytest.raises(pub.PublicationError, match="no text extractor"):
        pub.check_files([path], forbidden)


def test_pptx_with_a_case_id_on_a_slide_fails_and_a_clean_deck_passes(tmp_path, forbidden):
    import pptx
    from pptx.util import Inches

    def deck(name, words):
        prs = pptx.Presentation()
        slide = prs.slides.add_slide(prs.slide_layouts[5])
        slide.shapes.title.text = "Key findings"
        slide.shapes.add_textbox(Inches(1), Inches(2), Inches(6), Inches(1)).text_frame.text = words
        path = tmp_path / name
        prs.save(path)
        return path

    leaky = deck("leaky.pptx", f"Case {CASE_ID} was late.")
    clean = deck("clean.pptx", "Most cases met the timescale.")
    assert [f.file for f in pub.check_files([leaky, clean], forbidden)] == ["leaky.pptx"]
