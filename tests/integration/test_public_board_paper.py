"""Integration: the Board paper of an ``audience: public`` phase review is disclosure-controlled.

A scratch copy of example-phase1 (``t-public``) is made public and its case
audit cut to 12 cases, so that counts of 1 to 5 occur in the compliance and
timescale tables and in the supervision 2x2. It is built end to end
(validation, analyses, render, and the publication check the build runs for
a public review), and the rendered HTML tables are read back and checked
against the processed counts: every count of 1 to 5 is ``c``, no line with a
published total has a single hidden cell, the odds ratio goes when a cell of
its 2x2 does, and the convention note is in the HTML, PDF and Word files.
The same data as a ``board`` paper shows the numbers, so the checks can fail.
"""
from __future__ import annotations

import csv
import re
import shutil

import pandas as pd
import pytest

from pipeline import cli, disclosure, publication
from pipeline.papers import board as board_paper
from pipeline.papers import publish
from pipeline.papers.protect import protect
from pipeline.papers.results import read_results
from pipeline.paths import output_dir, processed_dir, raw_dir
from pipeline.snapshot import open_review

from html_text import HtmlText

pytestmark = pytest.mark.integration
SOURCE = "example-phase1"
RID = "t-public"
CASES = 12


def _folders():
    return [raw_dir(RID), processed_dir(RID), output_dir(RID), publish.BUILD_DIR / RID]


def _make_review():
    shutil.copytree(raw_dir(SOURCE), raw_dir(RID))
    yml = raw_dir(RID) / "review.yml"
    text = yml.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^review_id: .*$", f"review_id: {RID}", text)
    text, n = re.subn(r"(?m)^audience: board$", "audience: public", text)
    assert n == 1
    yml.write_text(text, encoding="utf-8")
    path = raw_dir(RID) / "case_audit.csv"
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    src = header.index("record_source")
    keep = []
    for source in sorted({r[src] for r in body}):  # both kinds of record, 6 cases each
        keep += [r for r in body if r[src] == source][: CASES // 2]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows([header, *keep])


@pytest.fixture(scope="module")
def built(request):
    def clean():
        for folder in _folders():
            shutil.rmtree(folder, ignore_errors=True)

    clean()
    request.addfinalizer(clean)
    _make_review()
    checked = []
    real = publication.check_review

    def spy(review_id, paths):
        paths = list(paths)
        real(review_id, paths)  # raises on a finding, so a recorded call is a passed check
        checked.append((review_id, sorted(p.name for p in paths)))

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(publication, "check_review", spy)
        rc = cli.build(RID, jobs=2, render=True)
    return {"rc": rc, "checked": checked, "out": output_dir(RID), "processed": processed_dir(RID)}


def _html(built) -> HtmlText:
    parser = HtmlText()
    parser.feed((built["out"] / "board-paper.html").read_text(encoding="utf-8"))
    return parser


def _table(parser: HtmlText, *headers: str) -> pd.DataFrame:
    for rows in parser.tables:
        if rows and all(h in rows[0] for h in headers):
            return pd.DataFrame(rows[1:], columns=rows[0])
    raise AssertionError(f"no table with columns {headers}")


def _small(n) -> bool:
    return 1 <= int(n) <= 5


def test_build_passes_and_runs_the_publication_check(built):
    assert built["rc"] == 0
    names = sorted(p.name for p in built["out"].iterdir())
    assert names == ["board-paper-tables.xlsx", "board-paper.docx", "board-paper.html", "board-paper.pdf",
                     "board-slides.pptx", "disclosure.json"]
    assert built["checked"] == [(RID, names[:-1])]


def test_compliance_table_hides_every_small_count(built):
    ca = pd.read_csv(built["processed"] / "case_audit__criterion_compliance.csv", dtype={"criterion_id": str})
    shown = _table(_html(built), "Criterion", "Yes", "No", "Not evidenced", "Compliance").set_index("Criterion")
    assert list(shown.index) == ca["criterion_id"].tolist()
    small = 0
    for r in ca.itertuples():
        row = shown.loc[r.criterion_id]
        for col, n in (("Yes", r.yes_n), ("No", r.no_n), ("Not evidenced", r.not_evidenced_n)):
            if _small(n):
                small += 1
                assert row[col] == "c", (r.criterion_id, col)
            else:
                assert row[col] in ("c", str(n)), (r.criterion_id, col)
        parts = [row[c] for c in ("Yes", "No", "Not evidenced")]
        if parts.count("c") == 1:  # the total (cases judged) must then be hidden, and the share with it
            assert row["Compliance"] == "c" and row["95% interval"] == "c", r.criterion_id
        if row["Yes"] == "c" or _small(r.na_n + r.blank_n):
            assert row["Compliance"] == "c", r.criterion_id
    assert small >= 3, "the scratch review should have small counts to hide"


def test_timescale_table_hides_every_small_count(built):
    ts = pd.read_csv(built["processed"] / "timescales__summary.csv")
    shown = _table(_html(built), "Timescale", "Met", "Due", "Not yet due").set_index("Timescale")
    small = 0
    for r in ts.itertuples():
        row = shown.loc[r.label]
        for col, n in (("Met", r.met_n), ("Due", r.due_n), ("Not yet due", r.not_yet_due_n)):
            if _small(n):
                small += 1
                assert row[col] == "c", (r.measure_id, col)
            else:
                assert row[col] in ("c", str(n)), (r.measure_id, col)
        # due + not yet due = the cases audited, which the paper prints: never exactly one hidden
        assert [row["Due"], row["Not yet due"]].count("c") != 1, r.measure_id
        # met + not met = due, and not met is due - met: a hidden not-met count needs met or due hidden
        if _small(r.not_met_n):
            assert "c" in (row["Met"], row["Due"]), r.measure_id
        if "c" in (row["Met"], row["Due"]):
            assert row["Met (%)"] == "c" and row["95% interval"] == "c", r.measure_id
    assert small >= 1


def test_no_chart_or_sentence_gives_a_hidden_figure_away(built):
    parser = _html(built)
    ca = pd.read_csv(built["processed"] / "case_audit__criterion_compliance.csv", dtype={"criterion_id": str})
    for r in ca.itertuples():
        if any(_small(n) for n in (r.yes_n, r.no_n, r.not_evidenced_n, r.na_n, r.blank_n)):
            assert not [s for s in (img.get("src", "") for img in parser.imgs)
                        if f"case_audit__criterion_{r.criterion_id}." in s], r.criterion_id
    sup = pd.read_csv(built["processed"] / "case_audit__supervision_overall.csv")
    cells = sup[["overall_good_or_better_n", "overall_not_good_or_better_n"]].to_numpy().ravel()
    text = " ".join(publication.extract(built["out"] / "board-paper.html").text.split())
    if any(_small(n) for n in cells):
        assert "odds ratio" not in text.replace("the odds ratio and its test are suppressed", "")
        assert not [s for s in (img.get("src", "") for img in parser.imgs) if "case_audit__grades." in s]


def test_convention_note_in_every_document_format(built):
    note = " ".join(disclosure.CONVENTION_NOTE.split())
    for name in ("board-paper.html", "board-paper.pdf", "board-paper.docx"):
        text = " ".join(publication.extract(built["out"] / name).text.split())
        text = re.sub(r"-\s+", "-", text)
        assert note in text, name


def test_the_same_data_as_a_board_paper_shows_the_numbers(built, tmp_path):
    review = open_review(RID)
    review.meta["audience"] = "board"
    results = read_results(RID)
    prot = protect(review, results)
    assert not prot.public
    board = board_paper.section_compliance(results, tmp_path, prot)["compliance"]
    public_review = open_review(RID)
    public = board_paper.section_compliance(results, tmp_path, protect(public_review, results))
    public = public["compliance"]
    assert "| c |" not in board and "| c |" in public
    ca = pd.read_csv(built["processed"] / "case_audit__criterion_compliance.csv", dtype={"criterion_id": str})
    row = ca[(ca["no_n"].between(1, 5))].iloc[0]
    line = next(x for x in board.splitlines() if x.startswith(f"| {row['criterion_id']} |"))
    assert f"| {row['no_n']} |" in line
