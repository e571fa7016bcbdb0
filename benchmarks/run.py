"""Benchmarks: what the README claims about speed is measured here, in one run on one machine.

    .venv/bin/python benchmarks/run.py --json FILE [--reviews a,b] [--skip quarto,scale]
                                       [--scale-full] [--quarto PATH]

Everything runs on a copy of the working tree (``git ls-files``: tracked and
new files, not ignored ones) in a temporary folder, never on the tree itself.
FILE receives one JSON object:

reviews                how many reviews were built (params.yaml's, or --reviews)
floor_s                one Python process validates every review, computes its tables and
                       figures and renders its papers with the built-in engine: no notebooks,
                       no DVC (``benchmarks/floor.py``)
cold_build_s           a cold ``make report`` of the same reviews (no dvc.lock, no outputs)
noop_s                 a second ``make report``, nothing changed
one_row_rebuild_s      ``make report`` after one workforce row of the first review changes
cold_build_quarto_s    a cold ``make report`` with genuine Quarto on PATH (a fresh copy)
render_builtin_s       {review: seconds} of ``python -m pipeline render`` with the built-in engine
render_quarto_s        {review: seconds} of the same with Quarto on PATH (all formats of the paper)
scale                  ``benchmarks/scale.py``'s rows (10^3..10^5 audit rows; --scale-full adds 10^6)

Each wall time ``X_s`` has a ``X_cpu_s`` beside it: the CPU seconds of every process it
started (user + system), which a busy shared machine disturbs far less than wall time.
``load_before``/``load_after`` are the 1-minute load averages; ``provisional`` is true when
the machine was busy before the run began (load above a quarter of its cores), so the figures
are not clean.
``benchmarks/table.py FILE`` prints the README table. No test asserts on these times.

Quarto is found at $CP_QUARTO, else <repo>/.tools/quarto/bin/quarto, else
/work/qkit/bin/quarto; without it the Quarto figures are left out.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list[str], cwd: Path, env: dict) -> tuple[float, float]:
    """Run cmd to completion; return (wall seconds, CPU seconds of it and its children)."""
    cpu0, start = _children_cpu(), time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    wall, cpu = time.perf_counter() - start, _children_cpu() - cpu0
    if proc.returncode != 0:
        tail = proc.stdout.decode(errors="replace")[-3000:]
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}) in {cwd}:\n{tail}")
    return wall, cpu


def find_quarto(explicit: str | None = None) -> Path | None:
    """The Quarto kit: --quarto, $CP_QUARTO, <repo>/.tools/quarto/bin/quarto, /work/qkit/bin/quarto."""
    for candidate in (explicit, os.environ.get("CP_QUARTO"), ROOT / ".tools/quarto/bin/quarto",
                      "/work/qkit/bin/quarto"):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return Path(candidate)
    return None


def copy_tree(work: Path, reviews: list[str] | None) -> None:
    """The working tree as `git ls-files` lists it, in a git repository of its own, with no dvc.lock."""
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, check=True).stdout.decode().split("\0")
    for rel in filter(None, files):
        if (ROOT / rel).is_file():
            (work / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, work / rel)
    (work / "dvc.lock").unlink(missing_ok=True)
    subprocess.run(["git", "init", "-q"], cwd=work, check=True)
    if reviews:  # build these reviews instead of those params.yaml lists
        import yaml

        prm = yaml.safe_load((work / "params.yaml").read_text(encoding="utf-8"))
        prm["reviews"] = reviews
        (work / "params.yaml").write_text(yaml.safe_dump(prm, sort_keys=False), encoding="utf-8")
    venv = ROOT / ".venv"
    stand_in = work / ".venv"  # links to the real .venv, with make's install stamp: nothing is installed
    stand_in.mkdir()
    for entry in venv.iterdir():
        if entry.name != ".installed":
            (stand_in / entry.name).symlink_to(entry)
    (stand_in / ".installed").touch()


def environment(work: Path, quarto: Path | None) -> dict:
    """PATH with the copy's .venv first, and Quarto's folder only when quarto is given."""
    parts = [p for p in os.environ.get("PATH", "").split(os.pathsep)
             if p and not (Path(p) / "quarto").exists()]  # no Quarto unless asked for
    if quarto:
        parts.insert(0, str(quarto.parent))
    parts.insert(0, str(work / ".venv" / "bin"))
    return dict(os.environ, PATH=os.pathsep.join(parts), DVC_NO_ANALYTICS="1", SOURCE_DATE_EPOCH="1234396800",
                MPLBACKEND="Agg")


def reviews_of(work: Path) -> list[str]:
    import yaml

    return list(yaml.safe_load((work / "params.yaml").read_text(encoding="utf-8"))["reviews"])


def change_one_workforce_row(work: Path, review_id: str) -> None:
    teams = work / "data" / "raw" / review_id / "workforce.csv"
    lines = teams.read_text(encoding="utf-8").splitlines()
    header, first = lines[0].split(","), lines[1].split(",")
    col = header.index("cases_cin")
    first[col] = str(int(first[col]) + 1)
    lines[1] = ",".join(first)
    teams.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _put(result: dict, key: str, wall_cpu: tuple[float, float]) -> None:
    result[key], result[key.replace("_s", "_cpu_s")] = round(wall_cpu[0], 2), round(wall_cpu[1], 2)
    print(f"  {key}: {wall_cpu[0]:.1f} s wall, {wall_cpu[1]:.1f} s CPU", file=sys.stderr)


def bench_builtin(tmp: Path, reviews: list[str] | None, result: dict) -> None:
    """floor, cold build, no-op and one-row rebuild, with the built-in engine."""
    floor_tree, tree = tmp / "floor", tmp / "build"
    copy_tree(floor_tree, reviews)
    ids = reviews_of(floor_tree)
    result["reviews"], result["review_ids"] = len(ids), ids
    env = environment(floor_tree, None)
    _put(result, "floor_s", timed([sys.executable, str(HERE / "floor.py"), *ids], floor_tree, env))
    copy_tree(tree, reviews)
    env = environment(tree, None)
    make = ["make", "--no-print-directory", "report"]
    _put(result, "cold_build_s", timed(make, tree, env))
    _put(result, "noop_s", timed(make, tree, env))
    change_one_workforce_row(tree, ids[0])
    _put(result, "one_row_rebuild_s", timed(make, tree, env))
    result["one_row_review"] = ids[0]
    result["render_builtin_s"] = {}
    for review_id in ids:
        wall, cpu = timed([sys.executable, "-m", "pipeline", "render", review_id], tree, env)
        result["render_builtin_s"][review_id] = round(wall, 2)
        print(f"  render {review_id} (built-in): {wall:.1f} s", file=sys.stderr)


def bench_quarto(tmp: Path, reviews: list[str] | None, quarto: Path, result: dict) -> None:
    """A cold build with Quarto on PATH, then each review's papers rendered again by Quarto."""
    tree = tmp / "quarto"
    copy_tree(tree, reviews)
    env = environment(tree, quarto)
    version = subprocess.run([str(quarto), "--version"], capture_output=True, text=True).stdout.strip()
    result["quarto"] = version
    _put(result, "cold_build_quarto_s", timed(["make", "--no-print-directory", "report"], tree, env))
    result["render_quarto_s"] = {}
    for review_id in reviews_of(tree):
        wall, _ = timed([sys.executable, "-m", "pipeline", "render", review_id], tree, env)
        result["render_quarto_s"][review_id] = round(wall, 2)
        print(f"  render {review_id} (Quarto): {wall:.1f} s", file=sys.stderr)


def bench_scale(tmp: Path, full: bool, result: dict) -> None:
    out = tmp / "scale.json"
    sizes = ["1000", "10000", "100000"] + (["1000000"] if full else [])
    subprocess.run([sys.executable, str(HERE / "scale.py"), "--sizes", *sizes, "--workbooks", "0",
                    "--json", str(out)], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    result["scale"] = json.loads(out.read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", type=Path, required=True, help="write the figures into this file")
    parser.add_argument("--reviews", default="", help="comma-separated reviews instead of params.yaml's")
    parser.add_argument("--skip", default="", help="comma-separated parts to leave out: builtin, quarto, scale")
    parser.add_argument("--scale-full", action="store_true", help="also run the 10^6-row scale benchmark")
    parser.add_argument("--quarto", default=None, help="the quarto executable (default: see above)")
    parser.add_argument("--update", action="store_true",
                        help="keep the figures already in FILE that this run does not measure")
    args = parser.parse_args(argv)
    reviews = [r for r in args.reviews.split(",") if r] or None
    skip = {s for s in args.skip.split(",") if s}
    cores = os.cpu_count() or 1
    result: dict = {"machine": {"cores": cores, "python": platform.python_version(), "system": platform.system()},
                    "load_before": round(os.getloadavg()[0], 2),
                    "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    with tempfile.TemporaryDirectory(prefix="cp-bench-") as tmp:
        if "builtin" not in skip:
            bench_builtin(Path(tmp), reviews, result)
        quarto = find_quarto(args.quarto)
        if quarto and "quarto" not in skip:
            try:
                bench_quarto(Path(tmp), reviews, quarto, result)
            except RuntimeError as exc:  # recorded, so the table says why the figure is missing
                lines = [re.sub(r"\x1b\[[0-9;]*m", "", line).strip() for line in str(exc).splitlines()]
                result["quarto_error"] = lines[0][:300]
                result["quarto_error_detail"] = sorted({line for line in lines if line.startswith("ERROR")})[:6]
        if "scale" not in skip:
            bench_scale(Path(tmp), args.scale_full, result)
    result["load_after"] = round(os.getloadavg()[0], 2)
    result["provisional"] = result["load_before"] > cores / 4  # other work was running when we began
    if args.update and args.json.exists():
        result = {**json.loads(args.json.read_text(encoding="utf-8")), **result}
    args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
