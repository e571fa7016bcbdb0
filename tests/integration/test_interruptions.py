"""Interruptions and races: a SIGKILL at any stage leaves the papers one complete, consistent set,
render refuses outputs of two snapshots, and a second build of a running review refuses clearly.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys

import pandas as pd
import pytest

from pipeline.paths import OUTPUT_DIR, PROCESSED_DIR, PROJ_ROOT, RAW_DIR

pytestmark = pytest.mark.integration
RID = "t-interrupt"
PAPERS = ["board-paper-tables.xlsx", "board-paper.docx", "board-paper.html", "board-paper.pdf", "board-slides.pptx"]


def start_build(*extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pipeline", "build", RID, *extra], cwd=PROJ_ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_for(proc: subprocess.Popen, line_start: str) -> list[str]:
    """Read the build's plain progress lines until one starts with `line_start`."""
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if line.startswith(line_start):
            return seen
    raise AssertionError(f"the build ended before {line_start!r}: {''.join(seen)[-2000:]}")


def papers() -> dict[str, str]:
    folder = OUTPUT_DIR / RID
    if not folder.is_dir():
        return {}
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


@pytest.fixture(scope="module")
def first_build():
    """The review built once (set A) while a second build of it is tried; then its data changed (B)."""
    shutil.copytree(RAW_DIR / "example-phase1", RAW_DIR / RID)
    yml = RAW_DIR / RID / "review.yml"
    yml.write_text(yml.read_text().replace("review_id: example-phase1", f"review_id: {RID}"))
    try:
        one = start_build()
        wait_for(one, f"{RID}: validate ...")       # the first holds the lock from here on
        two = subprocess.run([sys.executable, "-m", "pipeline", "build", RID], cwd=PROJ_ROOT,
                             capture_output=True, text=True, timeout=600)
        rest = one.stdout.read()
        one.wait()
        race = {"one": one.returncode, "one_out": rest, "two": two}
        old = papers()
        # set B: one team's self-assessment answers all changed, so figures and matrix differ
        flip = {"agree": "disagree", "strongly_agree": "strongly_disagree", "yes": "no"}
        path = RAW_DIR / RID / "questionnaire.csv"
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        for col in [c for c in table.columns if c.startswith("Q")]:
            table[col] = table[col].map(lambda v: flip.get(v, v))
        table.to_csv(path, index=False)
        yield race, old
    finally:
        shutil.rmtree(RAW_DIR / RID, ignore_errors=True)
        shutil.rmtree(PROCESSED_DIR / RID, ignore_errors=True)
        shutil.rmtree(OUTPUT_DIR / RID, ignore_errors=True)
        for leftover in OUTPUT_DIR.glob(f".{RID}.staging-*"):
            shutil.rmtree(leftover, ignore_errors=True)


def test_a_second_build_of_a_running_review_refuses_and_neither_loses_work(first_build):
    race, old = first_build
    assert race["two"].returncode == 2
    assert race["two"].stderr.startswith("error: another build of review") and race["two"].stdout == ""
    assert race["one"] == 0, race["one_out"][-2000:]
    assert sorted(old) == PAPERS


@pytest.mark.parametrize("stage", ["validate", "findings", "render"])
def test_a_kill_at_any_stage_leaves_the_old_papers_whole(first_build, stage):
    _, old = first_build
    proc = start_build()
    wait_for(proc, f"{RID}: {stage} ...")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert papers() == old          # the complete old set, byte for byte: never a mix or a part
    if stage == "findings":         # four analyses are of the new data, findings of the old: no paper of that
        done = subprocess.run([sys.executable, "-m", "pipeline", "render", RID], cwd=PROJ_ROOT,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 2 and "not made from its current validated data" in done.stdout + done.stderr
        assert papers() == old


def test_after_the_kills_a_build_gives_the_new_complete_set(first_build):
    _, old = first_build
    done = subprocess.run([sys.executable, "-m", "pipeline", "build", RID], cwd=PROJ_ROOT,
                          capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    new = papers()
    assert sorted(new) == PAPERS
    # every paper is of the new data (the tables workbook holds only tables the change may leave alone)
    assert all(new[name] != old[name] for name in PAPERS if not name.endswith(".xlsx"))
    assert not list(OUTPUT_DIR.glob(f".{RID}.staging-*"))  # leftovers of the killed render removed
    from pypdf import PdfReader

    author = PdfReader(OUTPUT_DIR / RID / "board-paper.pdf").metadata["/Author"]
    assert author == "Chief Executive"   # one line, as review.yml gives it
