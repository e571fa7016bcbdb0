"""The catalogue of input rules: names, CSV quoting, encodings, review.yml, limits.

Like test_catalogue.py, each test breaks the tiny valid review in one place and
asserts the exact file, sheet, Excel row, column and rule reported.
"""
from __future__ import annotations

import openpyxl
import pandas.testing as pdt

from tiny_review import REVIEW_YML, TABLES, write_review
from pipeline.issues import ValidationFailed
from pipeline.load import load_review, read_review
from pipeline.params import LimitsParams

POPULATION = (
    "case_id,team_id,cpp_start_date,category_of_abuse,interim_care_order_at_home,police_investigation_open,"
    "legal_dissent\n"
    "K1,T1,2008-09-20,NEG,no,no,no\n"
    "K2,T2,2008-10-15,PHY,yes,no,no\n"
)


def issues_of(folder):
    try:
        found = load_review(folder.name, folder).issues
    except ValidationFailed as exc:
        found = exc.issues
    return [(i.severity, i.file, i.sheet, i.row, i.column, i.rule) for i in found], found


def _workbook(path, tables, titles=None, headers=None):
    """The tiny review's tables as sheets of one workbook, under other titles and headers if given."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, text in tables.items():
        ws = wb.create_sheet((titles or {}).get(name, name))
        lines = text.strip("\n").split("\n")
        ws.append([(headers or {}).get(h, h) for h in lines[0].split(",")])
        for line in lines[1:]:
            ws.append([v if v else None for v in line.split(",")])
    wb.save(path)


def _xl_review(tmp_path, sheets, titles=None, headers=None, csv_tables=None):
    folder = write_review(tmp_path / "tiny", csv_tables if csv_tables is not None
                          else {k: v for k, v in TABLES.items() if k not in sheets})
    _workbook(folder / "returns.xlsx", {k: TABLES[k] for k in sheets}, titles, headers)
    return folder


# ----------------------------------------------------------------------- names


def test_sheet_and_headers_as_people_write_them_are_the_contract_names(tmp_path):
    headers = {"case_id": "Case ID", "category_of_abuse": "Category of Abuse", "team_id": "team-id",
               "audit_date": "AUDIT DATE"}
    folder = _xl_review(tmp_path, ["case_audit"], {"case_audit": "Case Audit"}, headers)
    got, _ = issues_of(folder)
    assert got == []
    xl = load_review("tiny", folder).table("case_audit")
    csv = load_review("tiny", write_review(tmp_path / "csv" / "tiny")).table("case_audit")
    pdt.assert_frame_equal(xl, csv, check_dtype=False)


def test_a_csv_named_with_spaces_and_capitals_is_its_table(tmp_path):
    folder = write_review(tmp_path / "tiny", dict(TABLES, audit_criteria=None))
    (folder / "Audit Criteria.csv").write_text(TABLES["audit_criteria"], encoding="utf-8")
    got, _ = issues_of(folder)
    assert got == []


def test_a_misspelt_sheet_is_an_error_with_did_you_mean(tmp_path):
    folder = _xl_review(tmp_path, ["case_audit"], {"case_audit": "Case Audt"})
    got, found = issues_of(folder)
    assert ("error", "returns.xlsx", "Case Audt", None, None, "misspelt_sheet") in got
    assert "did you mean 'case_audit'?" in next(i for i in found if i.rule == "misspelt_sheet").message


def test_an_unknown_sheet_is_a_query_naming_it(tmp_path):
    folder = _xl_review(tmp_path, ["recommendations"])
    wb = openpyxl.load_workbook(folder / "returns.xlsx")
    wb.create_sheet("Pivot of grades")["A1"] = "x"
    wb.save(folder / "returns.xlsx")
    got, found = issues_of(folder)
    assert got == [("query", "returns.xlsx", "Pivot of grades", None, None, "unknown_sheet")]
    assert found[0].value == "Pivot of grades"


def test_a_misspelt_csv_name_is_an_error_with_did_you_mean(tmp_path):
    folder = write_review(tmp_path / "tiny", dict(TABLES, workforce=None))
    (folder / "workforse.csv").write_text(TABLES["workforce"], encoding="utf-8")
    got, found = issues_of(folder)
    assert ("error", "workforse.csv", None, None, None, "misspelt_file") in got
    assert "did you mean 'workforce.csv'?" in next(i for i in found if i.rule == "misspelt_file").message


def test_a_misspelt_header_in_a_workbook_is_an_error_with_did_you_mean(tmp_path):
    folder = _xl_review(tmp_path, ["case_audit"], headers={"category_of_abuse": "Category of Abuze"})
    got, found = issues_of(folder)
    assert ("error", "returns.xlsx", "case_audit", 1, "Category of Abuze", "misspelt_column") in got
    assert "did you mean 'category_of_abuse'?" in next(i for i in found if i.rule == "misspelt_column").message


# ----------------------------------------------------------------------- CSV and encodings


def test_quoted_fields_holding_cr_lf_and_crlf_are_one_row_each(tmp_path):
    teams = ('team_id,team_name,area,district,team_type,agency\r\n'
             'T1,"Ashford\rduty",East,Ashford,duty_assessment,css\r\n'
             'T2,"Dartford\nlong\r\nterm",West,Dartford,longterm,\r\n')
    folder = write_review(tmp_path / "tiny", dict(TABLES, teams=None))
    (folder / "teams.csv").write_bytes(teams.encode("utf-8"))
    got, found = issues_of(folder)
    assert got == [("error", "teams.csv", None, 3, "team_type", "code")]  # the second record is Excel row 3
    fixed = folder / "teams.csv"
    fixed.write_bytes(teams.replace("longterm", "long_term").encode("utf-8"))
    names = load_review("tiny", folder).table("teams")["team_name"].tolist()
    assert names == ["Ashford\rduty", "Dartford\nlong\r\nterm"]


def test_mixed_utf8_and_cp1252_is_a_query_with_the_row(tmp_path):
    recs = ("rec_id,text,owner,phase,status,due_date\n".encode()
            + "R1,Extend the café audit,Lead,1,proposed,31/03/2009\n".encode("utf-8")
            + "R2,Review the naïve plans,Lead,1,proposed,31/03/2009\n".encode("cp1252"))
    folder = write_review(tmp_path / "tiny", dict(TABLES, recommendations=None))
    (folder / "recommendations.csv").write_bytes(recs)
    got, _ = issues_of(folder)
    assert got == [("query", "recommendations.csv", None, 3, None, "mixed_encoding")]
    texts = load_review("tiny", folder).table("recommendations")["text"].tolist()
    assert texts == ["Extend the café audit", "Review the naïve plans"]  # each line read in its own encoding


def test_plain_cp1252_is_no_query(tmp_path):
    recs = "rec_id,text,owner,phase,status,due_date\nR1,Review the naïve plans,Lead,1,proposed,31/03/2009\n"
    folder = write_review(tmp_path / "tiny", dict(TABLES, recommendations=None))
    (folder / "recommendations.csv").write_bytes(recs.encode("cp1252"))
    got, _ = issues_of(folder)
    assert got == []


# ----------------------------------------------------------------------- review.yml


def test_a_list_for_a_single_value_key_is_an_error(tmp_path):
    folder = write_review(tmp_path / "tiny", review_yml=REVIEW_YML.replace("title: Tiny review", "title: [a, b]"))
    got, _ = issues_of(folder)
    assert got == [("error", "review.yml", None, None, "title", "scalar")]


def test_a_mapping_for_a_single_value_key_is_an_error(tmp_path):
    folder = write_review(tmp_path / "tiny", review_yml=REVIEW_YML.replace("board: Test Board", "board: {a: 1}"))
    got, _ = issues_of(folder)
    assert got == [("error", "review.yml", None, None, "board", "scalar")]


def test_an_impossible_census_date_is_one_clear_error(tmp_path):
    folder = write_review(tmp_path / "tiny", review_yml=REVIEW_YML.replace("census_date: 2009-01-30",
                                                                            "census_date: 2009-13-45"))
    got, found = issues_of(folder)
    assert got == [("error", "review.yml", None, None, "census_date", "date")]
    assert found[0].value == "2009-13-45"


def test_an_alias_in_review_yml_is_an_error(tmp_path):
    yml = REVIEW_YML.replace("board: Test Board", "board: &b Test Board").replace("author: Chief Executive",
                                                                                   "author: *b")
    folder = write_review(tmp_path / "tiny", review_yml=yml)
    got, _ = issues_of(folder)
    assert got == [("error", "review.yml", None, 7, None, "yaml_alias")]  # the anchor's line


def test_case_population_dates_after_the_census_are_errors(tmp_path):
    late = POPULATION.replace("K2,T2,2008-10-15", "K2,T2,2009-02-01")
    folder = write_review(tmp_path / "tiny", dict(TABLES, case_population=late))
    got, _ = issues_of(folder)
    assert got == [("error", "case_population.csv", None, 3, "cpp_start_date", "after_census_date")]
    assert issues_of(write_review(tmp_path / "ok" / "tiny", dict(TABLES, case_population=POPULATION)))[0] == []


# ----------------------------------------------------------------------- limits


def test_a_cell_beyond_the_limit_names_file_row_column_and_limit(tmp_path):
    folder = _xl_review(tmp_path, ["recommendations"])
    wb = openpyxl.load_workbook(folder / "returns.xlsx")
    wb["recommendations"]["B2"] = "x" * 101
    wb.save(folder / "returns.xlsx")
    _, _, issues, _ = read_review(folder, limits=LimitsParams(max_cell_chars=100))
    assert [(i.file, i.sheet, i.row, i.column, i.rule) for i in issues] == [
        ("returns.xlsx", "recommendations", 2, "text", "limit_max_cell_chars")]
    assert "limits.max_cell_chars = 100" in issues[0].message


def test_a_wide_sheet_is_refused_by_the_column_limit(tmp_path):
    folder = _xl_review(tmp_path, ["recommendations"])
    wb = openpyxl.load_workbook(folder / "returns.xlsx")
    wb["recommendations"].cell(row=3, column=40, value="far right")
    wb.save(folder / "returns.xlsx")
    _, _, issues, _ = read_review(folder, limits=LimitsParams(max_columns=30))
    assert [(i.file, i.sheet, i.row, i.rule) for i in issues] == [
        ("returns.xlsx", "recommendations", 3, "limit_max_columns")]
