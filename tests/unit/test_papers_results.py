"""Reading processed tables: declared columns and kinds, checked with one clear error."""
from __future__ import annotations

import pytest

from pipeline.papers.errors import ReportError
from pipeline.papers.results import read_table


def _csv(tmp_path, name, text):
    path = tmp_path / f"{name}.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_declared_table_is_read_with_text_ids(tmp_path):
    path = _csv(tmp_path, "findings__by_finding", "finding_id,finding,finding_rag\n01,Caseloads,red\n02,Plans,\n")
    table = read_table(path)
    assert table["finding_id"].tolist() == ["01", "02"]  # text, not the number 1
    assert table["finding_rag"].isna().tolist() == [False, True]


def test_a_missing_column_names_file_and_column(tmp_path):
    path = _csv(tmp_path, "questionnaire__question_summary", "question_id,answered_n\nQ1,4\n")
    with pytest.raises(ReportError) as err:
        read_table(path)
    assert "questionnaire__question_summary.csv" in str(err.value) and "'positive_pct' is missing" in str(err.value)


def test_a_mistyped_column_names_file_column_and_value(tmp_path):
    path = _csv(tmp_path, "questionnaire__question_summary",
                "question_id,answered_n,positive_pct\nQ1,four,50\n")
    with pytest.raises(ReportError, match=r"questionnaire__question_summary\.csv: column 'answered_n' should hold "
                                          r"numbers.*'four'"):
        read_table(path)


def test_a_flag_column_must_hold_true_or_false(tmp_path):
    path = _csv(tmp_path, "questionnaire__team_pressures", "is_coinciding\nyes\n")
    with pytest.raises(ReportError, match="'is_coinciding' should hold true or false"):
        read_table(path)
    ok = _csv(tmp_path, "questionnaire__team_pressures", "is_coinciding\nTrue\nFalse\n")
    assert read_table(ok)["is_coinciding"].sum() == 1


def test_an_optional_column_may_be_absent_and_a_blank_column_passes(tmp_path):
    path = _csv(tmp_path, "workforce__teams", "cases_cp\n3\n")
    assert read_table(path)["cases_cp"].tolist() == [3]
    blank = _csv(tmp_path, "monitoring__measures", "measure,value\nx,\n")
    assert read_table(blank)["value"].isna().all()


def test_a_skipped_analysis_reads_as_absent(tmp_path):
    path = _csv(tmp_path, "case_audit__grades", "skipped_reason\nno case audit\n")
    assert read_table(path) is None


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ReportError, match="timescales__summary.csv is missing"):
        read_table(tmp_path / "timescales__summary.csv")
