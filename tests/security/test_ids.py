"""Review ids are names, never paths: odd ids are refused with one line and change nothing.

Each odd id is given to every command that takes one, in a subprocess (the
installed command line, as a user runs it). A listing of data/ and of the
project's parent folder (names, sizes, mtimes) before and after must be equal.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import manifest
from pipeline.paths import PROCESSED_DIR, PROJ_ROOT, OutsideProject, check_review_id, inside, BadReviewId

ODD_IDS = {
    "absolute": "/tmp",
    "absolute-project": str(PROJ_ROOT / "data"),
    "dotdot": "..",
    "dot": ".",
    "empty": "",
    "too-long-65": "a" * 65,
    "too-long-256": "b" * 256,
    "slash-inside": "example-phase1/../..",
    "backslash-inside": "example\\phase1",
    "dotdot-prefix": "../raw",
    "leading-dot": ".hidden",
    "leading-dash": "-rf",
    "nul-free-space": "example phase1",
}
COMMANDS = ["validate", "build", "render", "sample", "forms", "summary"]


def listing(root: Path, depth: int = 6) -> dict[str, tuple[int, int]]:
    """Every file and folder under root (to `depth`) with its size and mtime."""
    out = {}
    base = len(root.parts)
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        if len(here.parts) - base >= depth or ".venv" in here.parts or ".git" in here.parts:
            dirnames[:] = []
        for name in dirnames + filenames:
            path = here / name
            try:
                st = path.lstat()
            except FileNotFoundError:
                continue
            out[str(path.relative_to(root))] = (st.st_size, st.st_mtime_ns)
    return out


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=PROJ_ROOT,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture()
def outside(tmp_path):
    """A folder outside the project holding files an odd id might reach."""
    for name in ("case_audit.csv", "review.yml", "validation__issues.csv"):
        (tmp_path / name).write_text("not the pipeline's\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "notes.txt").write_text("keep\n")
    return tmp_path


@pytest.mark.parametrize("name", sorted(ODD_IDS) + ["absolute-outside", "dotdot-to-outside"])
def test_an_odd_id_is_refused_in_one_line_and_changes_nothing(name, outside):
    review_id = ODD_IDS.get(name) or (str(outside) if name == "absolute-outside"
                                      else os.path.relpath(outside, PROJ_ROOT / "data" / "raw"))
    data_before, outside_before = listing(PROJ_ROOT / "data"), listing(outside)
    top_before = sorted(p.name for p in PROJ_ROOT.iterdir())
    for command in COMMANDS:
        done = run(command, review_id)
        assert done.returncode == 2, (command, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr + done.stdout
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error:"), (command, done.stderr)
        assert done.stdout == ""
    assert listing(PROJ_ROOT / "data") == data_before
    assert listing(outside) == outside_before
    assert sorted(p.name for p in PROJ_ROOT.iterdir()) == top_before


@pytest.mark.parametrize("review_id", ["example-phase1", "a", "A.b_c-1", "x" * 64])
def test_plain_names_are_accepted(review_id):
    assert check_review_id(review_id) == review_id


@pytest.mark.parametrize("review_id", sorted(set(ODD_IDS.values())))
def test_the_pattern_refuses_every_odd_id(review_id):
    with pytest.raises(BadReviewId):
        check_review_id(review_id)


def test_the_guard_refuses_paths_outside_the_pipeline_folders(tmp_path):
    assert inside(PROCESSED_DIR / "r" / "x.csv") == (PROCESSED_DIR / "r" / "x.csv").resolve()
    for bad in (tmp_path / "x", PROCESSED_DIR, PROCESSED_DIR / ".." / "x", PROJ_ROOT / "params.yaml"):
        with pytest.raises(OutsideProject):
            inside(bad)


def test_a_symlink_out_of_the_processed_folder_is_refused(tmp_path):
    review = "t-symlink-guard"
    folder = PROCESSED_DIR / review
    folder.mkdir(parents=True, exist_ok=True)
    try:
        (folder / "escape").symlink_to(tmp_path, target_is_directory=True)
        (tmp_path / "precious.txt").write_text("keep me")
        with pytest.raises(OutsideProject):
            manifest.record(review, ["escape/precious.txt"])
        assert (tmp_path / "precious.txt").read_text() == "keep me"
    finally:
        (folder / "escape").unlink(missing_ok=True)
        for p in folder.iterdir():
            p.unlink()
        folder.rmdir()


def test_a_failed_build_deletes_only_what_the_pipeline_wrote():
    review = "t-manifest-only"
    folder = PROCESSED_DIR / review
    (folder / "figures" / "x").mkdir(parents=True, exist_ok=True)
    try:
        for name in ("ours.csv", "figures/x/ours.png", "validation__issues.csv", "theirs.csv", "figures/x/theirs.png"):
            (folder / name).write_text(name)
        manifest.record(review, ["ours.csv", "figures/x/ours.png", "validation__issues.csv"])
        removed = manifest.remove_written(review, keep=("validation__issues.csv",))
        assert sorted(removed) == ["figures/x/ours.png", "ours.csv"]
        left = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
        assert left == [".manifest.json", "figures/x/theirs.png", "theirs.csv", "validation__issues.csv"]
        assert manifest.written(review) == ["validation__issues.csv"]
    finally:
        import shutil

        shutil.rmtree(folder)


@pytest.mark.parametrize("review_id", ["..", ".", "", "a/b", "/tmp", "a/../..", "../raw/example-phase1"])
def test_every_derived_review_path_stays_inside_its_root(review_id):
    from pipeline.paths import output_dir, processed_dir, raw_dir

    for derive in (raw_dir, processed_dir, output_dir):
        with pytest.raises(OutsideProject):
            derive(review_id)
