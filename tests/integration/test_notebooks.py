"""Integration: the real notebooks, executed by Papermill, on the example review.

Expected county figures are worked out from the raw CSVs with plain pandas (an
independent route), or are the figures the seeds publish, never copied from
the pipeline's own output.
"""
from __future__ import annotations

import json
import shutil

import nbformat
import pandas as pd
import pytest

from pipeline import cli, dvcgen, manifest
from pipeline.notebooks import NotebookFailed, run_notebook
from pipeline.paths import PROJ_ROOT, processed_dir, raw_dir
from pipeline.stages import ANALYSIS_ORDER, STAGES

pytestmark = pytest.mark.integration
EXAMPLE = "example-phase1"


@pytest.fixture(scope="module")
def built():
    """Build the example review once for this module (validation and every notebook)."""
    assert cli.build(EXAMPLE, jobs=2, render=False) == 0
    return processed_dir(EXAMPLE)


@pytest.fixture
def scratch_review():
    """A review folder under data/raw for one test, removed afterwards (with its outputs)."""
    made = []

    def make(review_id, drop=(), edit=None):
        folder = raw_dir(review_id)
        shutil.copytree(raw_dir(EXAMPLE), folder)
        text = (folder / "review.yml").read_text().replace(f"review_id: {EXAMPLE}", f"review_id: {review_id}")
        (folder / "review.yml").write_text(text)
        for name in drop:
            (folder / f"{name}.csv").unlink()
        if edit:
            edit(folder)
        made.append(review_id)
        return review_id

    yield make
    for review_id in made:
        shutil.rmtree(raw_dir(review_id), ignore_errors=True)
        shutil.rmtree(processed_dir(review_id), ignore_errors=True)


def test_every_notebook_ran_without_error(built):
    for stage in ANALYSIS_ORDER:
        nb = nbformat.read(built / "notebooks" / f"{stage}.ipynb", as_version=4)
        errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
                  if o.get("output_type") == "error"]
        assert errors == [], stage
        assert nb.metadata["papermill"]["parameters"] == {"review_id": EXAMPLE}
        status = json.loads((built / STAGES[stage].status_file).read_text())
        assert status["ran"] is True, stage


def test_declared_outputs_are_exactly_what_is_written(built):
    declared = {f for s in STAGES.values() for f in (*s.outputs, s.status_file)}
    bookkeeping = {"validation__issues.csv", "validation__issues.xlsx", "build.log", manifest.MANIFEST}
    written = {p.name for p in built.iterdir() if p.is_file() and p.name not in bookkeeping}
    assert written == declared
    assert declared <= set(manifest.written(EXAMPLE))  # a failed build may remove each of them


@pytest.mark.parametrize("name,columns", [
    ("questionnaire__question_summary.csv",
     ["question_id", "theme", "answered_n", "na_n", "blank_n", "positive_n", "positive_pct"]),
    ("case_audit__criterion_compliance.csv",
     ["criterion_id", "domain", "reference", "yes_n", "no_n", "not_evidenced_n", "na_n", "compliance_pct",
      "ci_low_pct", "ci_high_pct"]),
    ("timescales__summary.csv",
     ["measure_id", "met_n", "not_met_n", "not_yet_due_n", "met_pct", "ci_low_pct", "ci_high_pct"]),
    ("workforce__teams.csv",
     ["team_id", "area", "established_fte", "in_post_fte", "vacancy_fte", "vacancy_pct", "caseload_per_worker",
      "is_above_vacancy_threshold"]),
    ("workforce__summary.csv",
     ["level", "name", "vacancy_pct", "caseload_per_worker", "cp_per_worker", "lac_per_worker", "cin_per_worker"]),
    ("findings__matrix.csv",
     ["finding_id", "finding", "evidence", "source", "ref", "phase", "value", "unit", "n", "rag", "finding_rag"]),
])
def test_published_tables_have_the_promised_columns(built, name, columns):
    table = pd.read_csv(built / name)
    assert [c for c in columns if c not in table.columns] == []


def test_question_summary_has_a_count_column_per_code(built):
    table = pd.read_csv(built / "questionnaire__question_summary.csv")
    for code in ["strongly_agree", "agree", "disagree", "strongly_disagree", "yes", "partly", "no", "na"]:
        assert f"{code}_n" in table.columns


def test_county_figures_reconcile_with_the_raw_data(built):
    raw = raw_dir(EXAMPLE)
    # workforce: ratio of sums at the latest period, recomputed from the raw CSV
    wf = pd.read_csv(raw / "workforce.csv")
    latest = wf[wf["period"] == wf["period"].max()]
    vacancy = (latest["established_fte"] - latest["in_post_fte"]).clip(lower=0).sum() / latest["established_fte"].sum()
    caseload = (latest[["cases_cp", "cases_lac", "cases_cin"]].sum().sum()
                / (latest["in_post_fte"] + latest["agency_fte"]).sum())
    summary = pd.read_csv(built / "workforce__summary.csv")
    county = summary[summary["level"] == "county"].iloc[0]
    assert county["vacancy_pct"] == pytest.approx(100 * vacancy)
    assert county["vacancy_pct"] == pytest.approx(17.0)  # the seeds' published figure
    assert county["caseload_per_worker"] == pytest.approx(caseload)
    assert county["caseload_per_worker"] == pytest.approx(25.0)
    # monitoring: 903 -> 1,052 with a net rise of 44 in December 2008 (the seeds)
    mon = pd.read_csv(built / "monitoring__county.csv").set_index("month")
    assert mon.loc["2007-12", "cpp_open"] == 903
    assert mon.loc["2008-12", "cpp_open"] == 1052
    assert mon.loc["2008-12", "cpp_open_net_change_n"] == 44


def test_compliance_and_findings_match_the_raw_answers(built):
    raw = raw_dir(EXAMPLE)
    audit = pd.read_csv(raw / "case_audit.csv", dtype=str)
    answers = audit["C01"].str.strip().str.lower()
    expected = 100 * (answers == "yes").sum() / answers.isin(["yes", "no", "not_evidenced"]).sum()
    comp = pd.read_csv(built / "case_audit__criterion_compliance.csv").set_index("criterion_id")
    assert comp.loc["C01", "compliance_pct"] == pytest.approx(expected)
    q = pd.read_csv(raw / "questionnaire.csv", dtype=str)["Q27"].str.strip().str.lower()
    share = 100 * q.isin(["strongly_agree", "agree", "yes"]).sum() / (q.notna() & (q != "na")).sum()
    matrix = pd.read_csv(built / "findings__matrix.csv")
    row = matrix[(matrix["ref"] == "Q27")].iloc[0]
    assert row["value"] == pytest.approx(share)


def test_no_output_carries_case_ids_auditors_or_comments(built):
    raw = raw_dir(EXAMPLE)
    audit = pd.read_csv(raw / "case_audit.csv", dtype=str)
    forbidden = set(audit["case_id"]) | set(audit["auditor"])
    forbidden |= set(pd.read_csv(raw / "questionnaire.csv", dtype=str)["comments"].dropna())
    for path in built.rglob("*"):
        # sample/ and forms/ are the auditors' working lists: they name the cases to audit by design
        operational = {"_tables", "sample", "forms"} & set(path.relative_to(built).parts)
        if path.is_file() and path.suffix in (".csv", ".json", ".svg", ".ipynb") and not operational:
            text = path.read_text(encoding="utf-8", errors="replace")
            leaked = [f for f in forbidden if f in text]
            assert leaked == [], path


def test_a_review_without_a_questionnaire_skips_it_and_says_so(scratch_review):
    def drop_rows(folder):
        em = pd.read_csv(folder / "evidence_map.csv", dtype=str)
        em.to_csv(folder / "evidence_map.csv", index=False)

    review_id = scratch_review("t-noquest", drop=("questionnaire", "questions"), edit=drop_rows)
    assert cli.build(review_id, render=False) == 0
    out = processed_dir(review_id)
    status = json.loads((out / "questionnaire__status.json").read_text())
    assert status["ran"] is False
    assert "questionnaire" in status["modules"]["questionnaire"]["skipped_reason"]
    assert list(pd.read_csv(out / "questionnaire__question_summary.csv").columns) == ["skipped_reason"]
    matrix = pd.read_csv(out / "findings__matrix.csv")
    assert set(matrix.loc[matrix["source"] == "questionnaire", "unit"]) == {"no data"}
    issues = pd.read_csv(out / "validation__issues.csv")
    assert set(issues["rule"]) == {"ref_no_data"}


def test_a_review_with_errors_leaves_only_the_issue_report(scratch_review):
    def break_it(folder):
        text = (folder / "teams.csv").read_text().replace("duty_assessment", "duty", 1)
        (folder / "teams.csv").write_text(text)

    review_id = scratch_review("t-broken", edit=break_it)
    out = processed_dir(review_id)
    out.mkdir(parents=True)
    (out / "questionnaire__question_summary.csv").write_text("stale\n")  # written by an earlier build
    manifest.record(review_id, ["questionnaire__question_summary.csv"])
    (out / "notes-of-the-analyst.txt").write_text("not the pipeline's\n")  # never deleted
    assert cli.build(review_id, render=False) == 1
    assert sorted(p.name for p in out.iterdir()) == [
        ".manifest.json", "build.log", "notes-of-the-analyst.txt", "validation__issues.csv", "validation__issues.xlsx"]


def test_a_failing_cell_names_the_notebook_and_the_cell(tmp_path, monkeypatch, built):
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('review_id = "x"')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("1 / 0")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "questionnaire.ipynb")
    monkeypatch.setattr("pipeline.notebooks.NOTEBOOK_DIR", tmp_path)
    with pytest.raises(NotebookFailed) as exc:
        run_notebook("questionnaire", EXAMPLE)
    message = str(exc.value)
    assert "questionnaire.ipynb" in message and "ZeroDivisionError" in message
    assert "cell 2" in message  # papermill inserts the injected-parameters cell before it
    # the good executed notebook of the earlier build is not replaced by the failed one
    good = nbformat.read(built / "notebooks" / "questionnaire.ipynb", as_version=4)
    assert all(o.get("output_type") != "error" for c in good.cells for o in c.get("outputs", []))


def test_dvc_yaml_is_generated_from_the_stage_registry():
    assert (PROJ_ROOT / "dvc.yaml").read_text(encoding="utf-8") == dvcgen.dvc_yaml()


def test_committed_notebooks_have_no_outputs():
    for path in sorted((PROJ_ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        assert [c for c in nb.cells if c.cell_type == "code" and (c.outputs or c.execution_count)] == [], path
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1 and "review_id" in tagged[0].source, path
