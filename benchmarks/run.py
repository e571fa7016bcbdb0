"""Benchmarks: what the README claims about speed is measured here.

    .venv/bin/python benchmarks/run.py [notebooks] [render] [rebuild] [--review ID] [--repeat N]

notebooks  executing every analysis notebook of a review with Papermill (as
           `python -m pipeline build --no-render` does, two at a time), against
           one Python process computing the same tables and figures without
           notebooks
render     rendering the Board paper in all four formats (pipeline.papers.publish)
rebuild    DVC: cold build of every review in params.yaml, a no-op `make report`,
           and a rebuild after one raw table of one review changes (run on a copy
           of the working tree, as `git ls-files` lists it, in a temporary folder)

Prints a Markdown table of wall times (best of --repeat runs) with the machine's
core count, ready to paste into the README. No test asserts on these times.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def bench_notebooks(review_id: str, repeat: int) -> list[tuple[str, float]]:
    from pipeline import cli
    from pipeline.notebooks import run_stage
    from pipeline.params import params
    from pipeline.paths import processed_dir
    from pipeline.snapshot import open_review
    from pipeline.stages import ANALYSIS_ORDER, STAGES

    cli.run_validate(review_id, quiet=True)
    notebooks = _best(lambda: cli.build(review_id, jobs=2, render=False), repeat)

    def in_process():
        out = processed_dir(review_id)
        for name in ANALYSIS_ORDER:
            review = open_review(review_id, tables=list(STAGES[name].tables))
            run_stage(review, params(), out, name)

    plain = _best(in_process, repeat)
    return [
        (f"all notebooks of {review_id} via Papermill (2 at a time)", notebooks),
        ("same tables and figures in one Python process, no notebooks", plain),
        ("ratio notebooks / one process", notebooks / plain),
    ]


def bench_render(review_id: str, repeat: int) -> list[tuple[str, float]]:
    try:
        from pipeline.papers import publish
    except ImportError:
        return [("render: pipeline.papers.publish not available", float("nan"))]
    return [(f"render the Board paper of {review_id}, four formats",
             _best(lambda: publish.render_review(review_id, quiet=True), repeat))]


def _run(cmd: list[str], cwd: Path, env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def _copy_tree(work: Path) -> None:
    """The working tree as `git ls-files` lists it (tracked and new, not ignored), in a repository of its own."""
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, check=True).stdout.decode().split("\0")
    for rel in filter(None, files):
        if (ROOT / rel).is_file():
            (work / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, work / rel)
    (work / "dvc.lock").unlink(missing_ok=True)
    subprocess.run(["git", "init", "-q"], cwd=work, check=True)


def _venv_stand_in(work: Path, venv: Path) -> None:
    """A .venv in the copy whose entries link to the real one, with make's install stamp, so `make report`
    finds the packages and never installs anything (nor writes into the real virtual environment)."""
    stand_in = work / ".venv"
    stand_in.mkdir()
    for entry in venv.iterdir():
        if entry.name != ".installed":
            (stand_in / entry.name).symlink_to(entry)
    (stand_in / ".installed").touch()


def bench_rebuild(repeat: int, reviews: list[str] | None = None) -> list[tuple[str, float]]:
    venv_bin = ROOT / ".venv" / "bin"
    if not venv_bin.exists():
        venv_bin = Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{venv_bin}:{os.environ['PATH']}", DVC_NO_ANALYTICS="1",
               SOURCE_DATE_EPOCH="1234396800")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "repo"
        _copy_tree(work)
        _venv_stand_in(work, venv_bin.parent)
        if reviews:  # build these reviews instead of those params.yaml lists
            import yaml

            prm = yaml.safe_load((work / "params.yaml").read_text(encoding="utf-8"))
            prm["reviews"] = reviews
            (work / "params.yaml").write_text(yaml.safe_dump(prm, sort_keys=False), encoding="utf-8")
        subprocess.run(["make", "--no-print-directory", "dvc.yaml"], cwd=work, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        listed = ", ".join(reviews) if reviews else "every review in params.yaml"
        results.append((f"cold `dvc repro` of {listed}", _run(["dvc", "repro"], work, env)))
        noop = min(_run(["make", "--no-print-directory", "report"], work, env) for _ in range(repeat))
        results.append(("no-op `make report` (nothing changed)", noop))
        teams = work / "data" / "raw" / "example-phase1" / "workforce.csv"
        lines = teams.read_text().splitlines()
        header, first = lines[0].split(","), lines[1].split(",")
        col = header.index("cases_cin")
        first[col] = str(int(first[col]) + 1)
        lines[1] = ",".join(first)
        teams.write_text("\n".join(lines) + "\n")
        results.append(("rebuild after one workforce row of example-phase1 changes",
                        _run(["dvc", "repro"], work, env)))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", nargs="*", default=["notebooks", "render", "rebuild"])
    parser.add_argument("--review", default="example-phase1")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reviews", default="", help="rebuild: comma-separated reviews to build instead of params.yaml's")
    args = parser.parse_args(argv)
    rows: list[tuple[str, float]] = []
    if "notebooks" in args.what:
        rows += bench_notebooks(args.review, args.repeat)
    if "render" in args.what:
        rows += bench_render(args.review, args.repeat)
    if "rebuild" in args.what:
        rows += bench_rebuild(args.repeat, [r for r in args.reviews.split(",") if r])
    print(f"\nMeasured on {os.cpu_count()} cores, Python {sys.version.split()[0]}, best of {args.repeat}:\n")
    print("| measure | seconds |\n| --- | ---: |")
    for label, value in rows:
        shown = f"{value:.2f}" if "ratio" not in label else f"{value:.2f}x"
        print(f"| {label} | {shown} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
