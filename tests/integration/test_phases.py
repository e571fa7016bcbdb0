"""Integration: the papers of every phase from one pipeline.

Builds the three example phases, renders the papers of phases 2 and 3, and
checks what each must say: the words of each review resolve every placeholder,
phase 2 rates the findings phase 1 deferred, and phase 3 shows the register
across the phases, the findings matrix after each phase side by side and the
case for change. Expected values are read from the raw CSVs (the evidence map
and the register), not from the code's own output.
"""
from __future__ import annotations

import re

import pandas as pd
import pytest

from pipeline import cli, dvcgen
from pipeline.papers import across, publish
from pipeline.papers.errors import ReportError
from pipeline.papers.results import REVIEWS_DIR, read_results
from pipeline.contract import contract
from pipeline.paths import output_dir, raw_dir
from pipeline.snapshot import open_review

from html_text import HtmlText

pytestmark = pytest.mark.integration
PHASES = ["example-phase1", "example-phase2", "example-phase3"]


def _html_text(review_id: str) -> str:
    parser = HtmlText()
    parser.feed((output_dir(review_id) / "board-paper.html").read_text(encoding="utf-8"))
    return re.sub(r"\s+", " ", " ".join(parser.parts)).replace("\u2019", "'")


@pytest.fixture(scope="module")
def built():
    for review_id in PHASES:
        assert cli.build(review_id, jobs=2, render=review_id != "example-phase1") == 0
    return {r: _html_text(r) for r in PHASES[1:]}


def _plain(markdown: str) -> str:
    """Generated Markdown with the escapes of the markup boundary taken off (the text a reader sees)."""
    return re.sub(r"\\(.)", r"\1", markdown)


def _workspace(review_id: str):
    review = open_review(review_id)
    workspace, v, _ = publish.build_workspace(review, "test")
    return review, workspace, v


@pytest.mark.parametrize("review_id", PHASES[1:])
def test_each_phase_has_its_own_words_and_every_placeholder_names_something(built, review_id):
    from pipeline.papers import engines as render

    review, workspace, v = _workspace(review_id)
    words = sorted((REVIEWS_DIR / review_id).glob("*.md"))
    assert [p.name for p in words] == ["conclusions.md", "context.md", "summary.md"]
    for path in words:
        text = path.read_text(encoding="utf-8")
        assert "{{< var" in text
        # nothing numeric typed by hand: every digit in the words is inside a placeholder
        assert not re.search(r"\d", re.sub(r"\{\{<.*?>\}\}", "", text)), path
        render.expand_shortcodes(text, v, path)  # raises on a placeholder that names nothing
    assert "n/a" not in built[review_id]


def test_phase2_rates_the_findings_phase1_deferred(built):
    ev1 = pd.read_csv(raw_dir("example-phase1") / "evidence_map.csv")
    deferred = sorted(set(ev1.loc[ev1["phase"] > 1, "finding_id"]))
    assert deferred == ["JAR2", "JAR6"]
    review = open_review("example-phase2")
    results = read_results("example-phase2")
    by = results.get("findings__by_finding").set_index("finding_id")
    for fid in deferred:
        assert by.loc[fid, "finding_rag"] in ("red", "amber", "green")
    text = built["example-phase2"]
    assert f"rates the first {by.loc['JAR2', 'finding_rag']} and the second {by.loc['JAR6', 'finding_rag']}" in text
    # the key audit questions of report.yml, one heading each, in the paper
    criteria = review.table("audit_criteria").set_index("criterion_id")["text"]
    for cid in ("M01", "M03", "M04", "M09"):
        assert criteria[cid] in text


def test_phase3_register_lists_every_recommendation_by_phase_with_status_in_words(built):
    recs = pd.read_csv(raw_dir("example-phase3") / "recommendations.csv")
    assert list(recs["rec_id"]) == [f"R{i}" for i in range(1, 19)]
    section = _plain(across.section_across_register(open_review("example-phase3")))
    label = contract().code_label
    for phase, rows in recs.groupby("phase"):
        block = section.split(f"**Recommendations of phase {phase}**")[1].split("**Recommendations of phase")[0]
        for r in rows.itertuples():
            assert re.search(rf"\| {r.rec_id} \|.*\| {re.escape(label(r.status))} \|", block), r.rec_id
    # the counts by phase and status, worked out from the raw register
    counts = pd.crosstab(recs["phase"], recs["status"])
    line = next(row for row in section.splitlines() if row.startswith("| Phase 1 |"))
    assert line.split("|")[-2].strip() == str(int(counts.loc[1].sum()))
    assert "Complete" in built["example-phase3"] and "R18" in built["example-phase3"]


def test_phase3_sets_the_matrix_after_each_phase_side_by_side(built):
    review = open_review("example-phase3")
    stood = across.read_previous(review)
    assert [s.review_id for s in stood] == ["example-phase1", "example-phase2"]
    section = _plain(across.section_across_matrix(review, read_results("example-phase3"), stood))
    header = next(row for row in section.splitlines() if row.startswith("| Finding"))
    assert [c.strip() for c in header.strip("|").split("|")] == [
        "Finding", "Phase 1 (12 February 2009)", "Phase 2 (23 April 2009)", "Phase 3 (25 June 2009), this paper"]
    rows = {row.split("|")[1].strip().split(":")[0]: [c.strip() for c in row.strip("|").split("|")[1:]]
            for row in section.splitlines() if row.startswith("| JAR")}
    assert list(rows) == [f"JAR{i}" for i in range(1, 10)]
    # phase 1 left JAR6 to phase 2 (its only evidence row is of phase 2): deferred, then rated
    assert rows["JAR6"][0] == "Deferred to phase 2"
    assert "Red" in rows["JAR6"][1]
    # phase 3's own column: the worst given rating of its phase-1-to-3 narrative rows, from the raw evidence map
    ev3 = pd.read_csv(raw_dir("example-phase3") / "evidence_map.csv")
    worst = ev3[ev3["rag"].isin(["red", "amber", "green"])].assign(
        order=lambda f: f["rag"].map({"green": 0, "amber": 1, "red": 2})).groupby("finding_id")["order"].max()
    word = {0: "Green", 1: "Amber", 2: "Red"}
    worst = worst[worst.index.str.startswith("JAR")]  # the CAPACITY heading is not a JAR row
    for fid, order in worst.items():
        assert word[order] in rows[fid][2], fid
    text = built["example-phase3"]
    assert "The findings matrix after each phase" in text and "Deferred to phase 2" in text


def test_phase3_case_for_change_matches_each_recommendation_to_its_evidence(built):
    review = open_review("example-phase3")
    case, unused = across.section_across_case(review, read_results("example-phase3"))
    section = _plain(case + "\nEvidence of this phase\n" + unused)
    blocks = dict(re.findall(r"\*\*(R\d+)\.\*\*(.*?)(?=\*\*R\d+\.\*\*|\nEvidence of this phase|\Z)", section, re.S))
    assert sorted(blocks, key=lambda r: int(r[1:])) == ["R14", "R15", "R16", "R17", "R18"]
    # worked out by reading the register and the evidence map: the one row each names in its own words
    assert "JAR3" in blocks["R14"]  # Integrated Children's System
    assert "JAR4" in blocks["R15"]  # Public Law Outline
    assert "CAPACITY" in blocks["R16"]  # caseloads: capacity is its own heading
    assert "JAR2" in blocks["R17"]  # workforce strategy, career path
    assert "JAR9" in blocks["R18"]  # Lord Laming's progress report
    assert "The case for change, by recommendation" in built["example-phase3"]


def test_phase3_fails_clearly_when_a_previous_review_is_not_built(built, tmp_path, monkeypatch):
    review = open_review("example-phase3")
    review.meta["previous_reviews"] = ["example-phase1", "example-never-built"]
    with pytest.raises(ReportError) as exc:
        across.read_previous(review)
    message = str(exc.value)
    assert "example-never-built" in message and "python -m pipeline build example-never-built" in message


def test_dvc_yaml_gives_phase3_render_the_previous_matrices(monkeypatch):
    deps = dvcgen.render_deps_of_previous("example-phase3")
    assert "data/processed/example-phase1/findings__matrix.csv" in deps
    assert "data/processed/example-phase2/findings__matrix.csv" in deps
    assert dvcgen.render_deps_of_previous("example-phase1") == []
    monkeypatch.setattr(dvcgen, "reviews_listed", lambda: ["example-phase2", "example-phase3"])
    with pytest.raises(SystemExit, match="example-phase1"):
        dvcgen.render_stages()
