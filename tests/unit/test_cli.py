"""The command line: help, one-line errors with exit status 2, case data out of git, the conda recipe."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import yaml

from pipeline import cli
from pipeline.__main__ import main, parser
from pipeline.paths import PROCESSED_DIR, PROJ_ROOT, RAW_DIR

VENV_BIN = Path(sys.executable).parent


def run(*args: str, exe: tuple[str, ...] = (sys.executable, "-m", "pipeline")) -> subprocess.CompletedProcess:
    return subprocess.run([*exe, *args], cwd=PROJ_ROOT, capture_output=True, text=True, timeout=300)


def test_no_arguments_prints_the_help_listing_every_command(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: python -m pipeline")
    listed = re.findall(r"^    (\S+)  ", out, flags=re.M)
    assert listed == list(cli.COMMANDS)
    assert "render" in listed and "``" not in out


def test_every_command_and_argument_has_help():
    top = parser()
    sub = next(a for a in top._actions if a.dest == "command")
    assert set(sub.choices) == set(cli.COMMANDS)
    for name, p in sub.choices.items():
        assert p.description and "``" not in p.description, name
        for action in p._actions:
            assert action.help, (name, action.dest)
            assert "``" not in action.help


@pytest.fixture()
def unbuilt_review():
    """A review folder under data/raw/ that has never been built (removed afterwards)."""
    review_id = f"t-cli-{uuid.uuid4().hex[:8]}"
    folder = RAW_DIR / review_id
    shutil.copytree(RAW_DIR / "example-phase1", folder)
    meta = folder / "review.yml"  # the contract: review_id equals the folder name
    meta.write_text(re.sub(r"^review_id:.*$", f"review_id: {review_id}", meta.read_text(), flags=re.M))
    yield review_id
    shutil.rmtree(folder)
    shutil.rmtree(PROCESSED_DIR / review_id, ignore_errors=True)


BAD_COMMANDS = {
    "render a missing review": ["render", "example-phase4"],
    "validate a missing review": ["validate", "example-phase4"],
    "build a missing review": ["build", "example-phase4"],
    "sample a missing review": ["sample", "example-phase4"],
    "forms a missing review": ["forms", "example-phase4"],
    "notebook of a missing review": ["notebook", "findings", "example-phase4"],
    "summary of a missing review": ["summary", "example-phase4"],
    "id over 255 characters": ["render", "r" * 300],
    "id that is a path": ["validate", "../raw"],
    "unknown command": ["publish", "example-phase1"],
    "unknown stage": ["notebook", "nosuchstage", "example-phase1"],
    "missing argument": ["render"],
    "bad option value": ["build", "example-phase1", "--jobs", "many"],
}


@pytest.mark.parametrize("name", sorted(BAD_COMMANDS))
def test_each_bad_command_is_one_line_with_exit_status_2(name):
    done = run(*BAD_COMMANDS[name])
    assert done.returncode == 2, done
    assert "Traceback" not in done.stdout + done.stderr
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), lines


def test_a_missing_review_lists_the_reviews_and_creates_nothing():
    before = sorted(p.name for p in PROCESSED_DIR.iterdir()) if PROCESSED_DIR.exists() else []
    done = run("validate", "example-phase4")
    assert done.returncode == 2
    for review in ("example-phase1", "example-annual-2012"):
        assert review in done.stderr
    after = sorted(p.name for p in PROCESSED_DIR.iterdir()) if PROCESSED_DIR.exists() else []
    assert after == before and "example-phase4" not in after


def test_render_before_any_build_is_one_line(unbuilt_review):
    done = run("render", unbuilt_review)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and "has not been built" in done.stderr
    assert not (PROCESSED_DIR / unbuilt_review).exists()


def test_an_impossible_census_date_is_one_line(unbuilt_review):
    path = RAW_DIR / unbuilt_review / "review.yml"
    text = re.sub(r"^census_date:.*$", "census_date: 2009-13-45", path.read_text(), flags=re.M)
    path.write_text(text)
    done = run("validate", unbuilt_review)
    assert done.returncode == 2 and "Traceback" not in done.stdout + done.stderr
    out = done.stdout + done.stderr
    errors = [line for line in out.splitlines() if "ERROR" in line or line.startswith("error")]
    assert len(errors) == 1 and "review.yml" in errors[0] and "census_date" in errors[0], out


def test_debug_shows_the_traceback(unbuilt_review, monkeypatch):
    def boom(args):
        raise KeyError("deliberate")

    monkeypatch.setitem(cli.COMMANDS, "summary", (cli.COMMANDS["summary"][0], boom))
    assert main(["summary"]) == 2
    with pytest.raises(KeyError):
        main(["summary", "--debug"])


def test_the_installed_cp_review_script_runs_the_same_commands():
    script = shutil.which("cp-review", path=str(VENV_BIN))
    assert script, "cp-review is not installed in the virtual environment (pip install -e .)"
    done = run(exe=(script,))
    assert done.returncode == 0 and "render" in done.stdout
    done = run("validate", "..", exe=(script,))
    assert done.returncode == 2 and done.stderr.startswith("error: ")


def test_a_new_review_folder_does_not_show_in_git_status():
    name = f"case-data-{uuid.uuid4().hex[:8]}"
    folders = [RAW_DIR / name, PROCESSED_DIR / name, PROJ_ROOT / "report" / "_output" / name]
    try:
        for folder in folders:
            folder.mkdir(parents=True)
            (folder / "case_audit.csv").write_text("case_id\nC001\n")
        done = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=PROJ_ROOT,
                              capture_output=True, text=True, check=True)
        assert name not in done.stdout
        # the committed examples are still tracked, not ignored
        tracked = subprocess.run(["git", "check-ignore", "-q", "data/raw/example-phase1/review.yml"],
                                 cwd=PROJ_ROOT)
        assert tracked.returncode == 1
    finally:
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)


def _lock_pins() -> dict[str, str]:
    pins = {}
    for line in (PROJ_ROOT / "requirements.lock").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.lower().replace("_", "-")] = version
    return pins


def test_environment_yml_pins_exactly_the_lock():
    env = yaml.safe_load((PROJ_ROOT / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge", "nodefaults"]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    pins = dict(p.split("==") for p in pip if "==" in p)
    assert {k.lower().replace("_", "-"): v for k, v in pins.items()} == _lock_pins()
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    assert not any(d.startswith("quarto") for d in conda)  # Quarto is optional
    assert "quarto" in (PROJ_ROOT / "environment.yml").read_text().lower()  # and the comment says how


def test_filelock_is_pinned_as_in_the_lock():
    text = (PROJ_ROOT / "pyproject.toml").read_text()
    assert f'"filelock=={_lock_pins()["filelock"]}"' in text


def test_make_help_lists_every_target():
    text = (PROJ_ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z-]*):(?!=)", text, flags=re.M)) - {"dvc"}
    done = subprocess.run(["make", "--no-print-directory", "help"], cwd=PROJ_ROOT, capture_output=True, text=True)
    listed = set(re.findall(r"^  (\S+)", done.stdout, flags=re.M))
    assert targets <= listed | {"FORCE"}, targets - listed


def test_an_annual_review_names_its_unbuilt_earlier_years_oldest_first(tmp_path, monkeypatch):
    monkeypatch.setattr(cli, "PROJ_ROOT", tmp_path)   # as on a fresh clone: nothing built
    assert cli.missing_previous("example-annual-2012") == ["example-annual-2010", "example-annual-2011"]
    assert cli.missing_previous("example-annual-2010") == []
    from pipeline.dvcgen import render_deps_of_previous

    for dep in render_deps_of_previous("example-annual-2012"):
        if "example-annual-2010" in dep:
            (tmp_path / dep).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / dep).write_text("")
    assert cli.missing_previous("example-annual-2012") == ["example-annual-2011"]


def test_a_review_that_lists_itself_as_previous_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(cli, "missing_previous", lambda review_id: [review_id])
    with pytest.raises(cli.CliError, match="leads back"):
        cli._build_previous("example-annual-2012", 1, cli.Console(0), ())


def test_make_clean_keeps_samples_and_filled_forms(tmp_path):
    shutil.copy(PROJ_ROOT / "Makefile", tmp_path / "Makefile")
    review = tmp_path / "data" / "processed" / "some-review"
    for rel in ("sample/sample__cases.csv", "forms/case_audit_form.xlsx", "findings__matrix.csv",
                "figures/x/a.png", "_tables/teams.parquet"):
        (review / rel).parent.mkdir(parents=True, exist_ok=True)
        (review / rel).write_text("x")
    (tmp_path / "report" / "_output" / "some-review").mkdir(parents=True)
    done = subprocess.run(["make", "--no-print-directory", "clean"], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    left = sorted(str(p.relative_to(review)) for p in review.rglob("*") if p.is_file())
    assert left == ["forms/case_audit_form.xlsx", "sample/sample__cases.csv"]
    assert not (tmp_path / "report" / "_output").exists()


DVC_TAIL = """Running stage 'render@example-phase1':
> python -m pipeline render example-phase1
WARNING: 'data/processed/example-phase1/figures/findings' is empty.

To track the changes with git, run:

\tgit add dvc.lock

To enable auto staging, run:

\tdvc config core.autostage true
Use `dvc push` to send your updates to remote storage.
"""


def _through_dvc_filter(tmp_path, command: str) -> subprocess.CompletedProcess:
    shutil.copy(PROJ_ROOT / "Makefile", tmp_path / "Makefile")
    (tmp_path / "tail.txt").write_text(DVC_TAIL)
    (tmp_path / "extra.mk").write_text(f"filtered:\n\t@{command} $(DVC_FILTER)\n")
    return subprocess.run(["make", "--no-print-directory", "-f", "Makefile", "-f", "extra.mk", "filtered"],
                          cwd=tmp_path, capture_output=True, text=True)


def test_the_dvc_filter_drops_the_git_and_push_advice_and_keeps_the_rest(tmp_path):
    done = _through_dvc_filter(tmp_path, "cat tail.txt")
    assert done.returncode == 0
    assert done.stdout.splitlines() == ["Running stage 'render@example-phase1':",
                                        "> python -m pipeline render example-phase1"]


def test_the_dvc_filter_keeps_a_failure_a_failure(tmp_path):
    done = _through_dvc_filter(tmp_path, "(cat tail.txt; exit 3)")
    assert done.returncode != 0 and "git add" not in done.stdout
