"""Integration: `dvc repro` rebuilds exactly what a change touches, and nothing else.

The working tree (tracked and untracked-but-not-ignored files, as `git ls-files`
lists them, so uncommitted work is tested too) is copied into a temporary
folder with its own git repository; `params.yaml` there lists two reviews to
keep the test short (the cold build of every review is timed by
`benchmarks/run.py` instead). Each test makes one change, runs `dvc repro`,
reads which stages ran from DVC's "Running stage '...'" lines, and compares
file hashes before and after. The tests run in order on the same copy.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pipeline.paths import PROJ_ROOT

pytestmark = pytest.mark.integration
REVIEWS = ["example-phase1", "example-phase2"]
A, B = REVIEWS
RUNNING = re.compile(r"Running stage '([^']+)'")


def _env() -> dict:
    venv = PROJ_ROOT / ".venv" / "bin"
    bin_dir = venv if (venv / "dvc").exists() else Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}", DVC_NO_ANALYTICS="1",
               SOURCE_DATE_EPOCH="1234396800", PYTHONHASHSEED="0")
    env.pop("PYTHONPATH", None)
    return env


class Repo:
    def __init__(self, root: Path):
        self.root = root
        self.env = _env()

    def run(self, *cmd: str) -> str:
        done = subprocess.run(cmd, cwd=self.root, env=self.env, capture_output=True, text=True)
        assert done.returncode == 0, f"{' '.join(cmd)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        return done.stdout + done.stderr

    def repro(self, *args: str) -> set[str]:
        """Stages `dvc repro` ran."""
        return set(RUNNING.findall(self.run("dvc", "repro", *args)))

    def hashes(self, *folders: str) -> dict[str, str]:
        out = {}
        for folder in folders:
            for path in sorted((self.root / folder).rglob("*")):
                if path.is_file():
                    out[path.relative_to(self.root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
        return out


def _stages(names: str, reviews=REVIEWS) -> set[str]:
    return {f"{n}@{r}" for n in names.split() for r in reviews}


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Repo:
    """A copy of the working tree with params.yaml listing two reviews, built once from cold."""
    root = tmp_path_factory.mktemp("dvc") / "repo"
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=PROJ_ROOT,
                           capture_output=True, check=True).stdout.decode().split("\0")
    for rel in filter(None, files):
        src = PROJ_ROOT / rel
        if src.is_file():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, root / rel)
    (root / "dvc.lock").unlink(missing_ok=True)  # the copy builds from cold
    prm = yaml.safe_load((root / "params.yaml").read_text(encoding="utf-8"))
    prm["reviews"] = REVIEWS
    (root / "params.yaml").write_text(yaml.safe_dump(prm, sort_keys=False), encoding="utf-8")
    r = Repo(root)
    r.run("git", "init", "-q")
    r.run("python", "-m", "pipeline", "dvc-yaml")  # the render stages follow params.yaml
    cold = r.repro()
    stages = "validate questionnaire case_audit workforce monitoring findings render"
    assert cold == _stages(stages)
    return r


def test_second_repro_runs_nothing(repo):
    before = repo.hashes("data/processed", "report/_output")
    assert repo.repro() == set()
    assert repo.hashes("data/processed", "report/_output") == before


def test_forced_rerun_gives_the_same_bytes(repo):
    """No clock time or random order leaks into a result: rerunning a stage rewrites identical files."""
    watched = [f"data/processed/{B}", f"report/_output/{B}"]
    before = repo.hashes(*watched)
    ran = repo.repro("--force", "--single-item", f"monitoring@{B}", f"findings@{B}", f"render@{B}")
    assert ran == {f"monitoring@{B}", f"findings@{B}", f"render@{B}"}
    after = repo.hashes(*watched)
    # the executed notebook records when it ran; nothing reads it
    changed = {k for k in before if before[k] != after.get(k)} - {f"data/processed/{B}/notebooks/monitoring.ipynb",
                                                                   f"data/processed/{B}/notebooks/findings.ipynb"}
    assert changed == set()
    assert repo.repro() == set()


def test_editing_one_table_reruns_only_the_stages_that_read_it(repo):
    path = repo.root / "data" / "raw" / A / "workforce.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    header, row = lines[0].split(","), lines[1].split(",")
    col = header.index("cases_cin")
    row[col] = str(int(row[col]) + 7)
    lines[1] = ",".join(row)
    untouched = [f"data/processed/{B}", f"report/_output/{B}"]
    before_b = repo.hashes(*untouched)
    before_a = repo.hashes(f"data/processed/{A}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    ran = repo.repro()
    assert {f"validate@{A}", f"workforce@{A}", f"render@{A}"} <= ran
    assert ran <= {f"validate@{A}", f"workforce@{A}", f"findings@{A}", f"render@{A}"}
    assert repo.hashes(*untouched) == before_b
    after_a = repo.hashes(f"data/processed/{A}")
    for stage in ("questionnaire", "case_audit", "monitoring"):
        mine = {k: h for k, h in before_a.items() if f"/{stage}__" in k or f"/figures/{stage}/" in k}
        assert mine and all(after_a[k] == h for k, h in mine.items()), stage
    # findings reruns: workforce__status.json, which it reads, now records the new snapshot of the
    # workforce table (so that render can tell findings made from the old one from a fresh one)
    status = f"data/processed/{A}/workforce__status.json"
    assert after_a[status] != before_a[status] and f"findings@{A}" in ran


def test_changing_a_rating_threshold_reruns_only_findings_and_render(repo):
    path = repo.root / "params.yaml"
    prm = yaml.safe_load(path.read_text(encoding="utf-8"))
    prm["ratings"]["share_pct"]["green"] = 85
    path.write_text(yaml.safe_dump(prm, sort_keys=False), encoding="utf-8")
    before = repo.hashes("data/processed")
    ran = repo.repro()
    assert _stages("findings") <= ran <= _stages("findings render")
    after = repo.hashes("data/processed")
    changed = {k for k in before if before[k] != after.get(k)}
    assert changed and all("/findings__" in k or "/notebooks/findings.ipynb" in k for k in changed), changed


def test_editing_a_notebook_reruns_only_its_stages(repo):
    import nbformat

    path = repo.root / "notebooks" / "monitoring.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("A note for the reader: the limits come from the baseline months."))
    nbformat.write(nb, path)
    results = [f"data/processed/{r}/monitoring__{t}.csv" for r in REVIEWS
               for t in ("county", "areas", "measures", "signals")]
    before = repo.hashes("data/processed", "report/_output")
    ran = repo.repro()
    assert _stages("monitoring") <= ran
    assert ran <= _stages("monitoring findings render")
    after = repo.hashes("data/processed", "report/_output")
    assert all(after[k] == before[k] for k in results)  # a markdown cell changes no result ...
    assert ran == _stages("monitoring")                  # ... so nothing downstream reruns
    changed = {k for k in before if before[k] != after.get(k)}
    assert changed <= {f"data/processed/{r}/notebooks/monitoring.ipynb" for r in REVIEWS}


def test_lock_file_records_previous_reviews_for_a_phase_three_render(repo):
    """dvc.yaml, as written for params.yaml, gives a review with previous_reviews its own render stage."""
    prm = yaml.safe_load((repo.root / "params.yaml").read_text(encoding="utf-8"))
    prm["reviews"] = [*REVIEWS, "example-phase3"]
    (repo.root / "params.yaml").write_text(yaml.safe_dump(prm, sort_keys=False), encoding="utf-8")
    repo.run("python", "-m", "pipeline", "dvc-yaml")
    dvc = yaml.safe_load((repo.root / "dvc.yaml").read_text(encoding="utf-8"))
    stage = dvc["stages"]["render-example-phase3"]
    assert f"data/processed/{A}/findings__matrix.csv" in stage["deps"]
    assert f"data/processed/{B}/findings__matrix.csv" in stage["deps"]
    assert dvc["stages"]["render"]["foreach"] == REVIEWS
    status = json.loads(repo.run("dvc", "status", "--json").strip().splitlines()[-1] or "{}")
    stages = "validate questionnaire case_audit workforce monitoring findings".split()
    assert set(status) <= {"render-example-phase3"} | {f"{n}@example-phase3" for n in stages}
