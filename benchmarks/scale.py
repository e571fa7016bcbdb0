"""Scale benchmark: time and peak memory of validation and of the analyses as a review grows.

    .venv/bin/python benchmarks/scale.py [--sizes 1000 10000 100000 1000000]
                                         [--teams 5000] [--areas 150] [--years 10]
                                         [--workbooks 200] [--keep DIR] [--json FILE]

For each size, ``pipeline.examples.generate_scaled`` writes an invented review
(that many case-audit rows, and the same case_population; ``--teams`` teams
over ``--areas`` areas with quarterly workforce returns; monitoring for every
area over ``--years`` years) into a temporary folder. Then, each in a fresh
Python process:

validate  ``load_review`` (read, type, every contract rule) and the snapshot
          of the typed tables (``_tables/*.parquet``): what
          ``python -m pipeline validate`` does;
analyse   every analysis stage's tables from that snapshot, as the notebooks
          compute them, without figures (``write_outputs(figures=False)``).

Seconds are the work inside the process (imports excluded, about 2 s); peak
memory is the process's maximum resident set size as the kernel reports it to
the parent (``os.wait4``), so it counts everything: pandas, pyarrow, Python.

``--workbooks N`` also times a review whose case audit arrives as N workbooks
(one per auditor, 50 rows each) beside CSV banks.

Prints a Markdown table ready for the README. No test asserts on these numbers.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

VALIDATE = """
import json, sys, time
from pathlib import Path
from pipeline.load import load_review
from pipeline.snapshot import write_snapshot
folder, out = Path(sys.argv[1]), Path(sys.argv[2])
start = time.perf_counter()
review = load_review(folder.name, folder)
write_snapshot(review, out)
rows = {name: len(frame) for name, frame in review.tables.items()}
print(json.dumps({"seconds": time.perf_counter() - start, "rows": rows, "issues": len(review.issues)}))
"""

ANALYSE = """
import importlib, inspect, json, sys, time
from pathlib import Path
from pipeline.params import params
from pipeline.snapshot import open_review
from pipeline.stages import ANALYSIS_ORDER, STAGES
review_id, out = sys.argv[1], Path(sys.argv[2])
prm = params()
modules = {name: [importlib.import_module(f"pipeline.{m}") for m in STAGES[name].modules] for name in ANALYSIS_ORDER}
start = time.perf_counter()
by_stage = {}
for name in ANALYSIS_ORDER:
    t = time.perf_counter()
    review = open_review(review_id, tables=list(STAGES[name].tables), base=out)
    for module in modules[name]:
        kwargs = {"figures": False} if "figures" in inspect.signature(module.write_outputs).parameters else {}
        module.write_outputs(review, prm, out, fig_dir=out / "figures", **kwargs)
    by_stage[name] = time.perf_counter() - t
print(json.dumps({"seconds": time.perf_counter() - start, "stages": by_stage}))
"""

GENERATE = """
import sys
from pathlib import Path
from pipeline.examples import generate_scaled
generate_scaled(Path(sys.argv[1]), int(sys.argv[2]), teams=int(sys.argv[3]), areas=int(sys.argv[4]),
                years=int(sys.argv[5]))
"""

WORKBOOKS = """
import sys
from pathlib import Path
import pandas as pd
import openpyxl
folder, n = Path(sys.argv[1]), int(sys.argv[2])
audit = pd.read_csv(folder / "case_audit.csv", dtype=str, keep_default_na=False)
(folder / "case_audit.csv").unlink()
per = -(-len(audit) // n)
for k in range(n):
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("case_audit")
    ws.append(list(audit.columns))
    for row in audit.iloc[k * per:(k + 1) * per].itertuples(index=False):
        ws.append([v if v != "" else None for v in row])
    wb.create_sheet("Instructions").append(["One row per audited case."])
    wb.save(folder / f"audit_{k:03d}.xlsx")
"""


def run_child(code: str, *args: str) -> tuple[dict, float, float]:
    """Run code in a fresh Python; return its JSON answer, its wall seconds and its peak RSS (MB)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
               MPLBACKEND="Agg")
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.stdout.read(), proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"child failed ({proc.returncode}):\n{err[-4000:]}")
    lines = [line for line in out.splitlines() if line.startswith("{")]
    return (json.loads(lines[-1]) if lines else {}), wall, usage.ru_maxrss / 1024  # KiB on Linux


def measure(folder: Path, out: Path) -> dict:
    validated, _, validate_mb = run_child(VALIDATE, str(folder), str(out))
    analysed, _, analyse_mb = run_child(ANALYSE, folder.name, str(out))
    return {"validate_s": validated["seconds"], "validate_mb": validate_mb,
            "analyse_s": analysed["seconds"], "analyse_mb": analyse_mb,
            "rows": validated["rows"], "issues": validated["issues"], "stages": analysed["stages"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000, 1_000_000])
    parser.add_argument("--teams", type=int, default=5_000)
    parser.add_argument("--areas", type=int, default=150)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--workbooks", type=int, default=200, help="0 to skip the many-workbooks case")
    parser.add_argument("--workbook-rows", type=int, default=10_000)
    parser.add_argument("--keep", type=Path, default=None, help="generate into this folder and keep it")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows into this JSON file")
    args = parser.parse_args(argv)

    base = args.keep or Path(tempfile.mkdtemp(prefix="cp-scale-"))
    results = []
    for n in args.sizes:
        folder = base / f"scale-{n}"
        if not (folder / "review.yml").exists():
            run_child(GENERATE, str(folder), str(n), str(args.teams), str(args.areas), str(args.years))
        r = measure(folder, base / f"out-{n}")
        r["label"] = f"{n:,}"
        results.append(r)
        print(f"  {n:>9,} audit rows: validate {r['validate_s']:.1f} s ({r['validate_mb']:,.0f} MB), "
              f"analyse {r['analyse_s']:.1f} s ({r['analyse_mb']:,.0f} MB) "
              f"[{', '.join(f'{k} {v:.1f}' for k, v in r['stages'].items())}]", file=sys.stderr)
    if args.workbooks:
        n = args.workbook_rows
        folder = base / f"workbooks-{args.workbooks}"
        if not (folder / "review.yml").exists():
            run_child(GENERATE, str(folder), str(n), str(args.teams), str(args.areas), str(args.years))
            run_child(WORKBOOKS, str(folder), str(args.workbooks))
        r = measure(folder, base / f"out-workbooks-{args.workbooks}")
        r["label"] = f"{n:,} in {args.workbooks} workbooks"
        results.append(r)

    rows = results[0]["rows"]
    print(f"\nMeasured on {os.cpu_count()} cores, Python {sys.version.split()[0]}; every review also has "
          f"{rows.get('teams', 0):,} teams, {rows.get('monitoring', 0):,} monitoring rows "
          f"({args.areas} areas and County, {args.years} years) and {rows.get('workforce', 0):,} workforce rows; "
          f"case_population has as many rows as the audit.\n")
    print("| case-audit rows | validate s | validate peak MB | analyse s | analyse peak MB | issues |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        print(f"| {r['label']} | {r['validate_s']:.1f} | {r['validate_mb']:,.0f} | {r['analyse_s']:.1f} | "
              f"{r['analyse_mb']:,.0f} | {r['issues']} |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    if args.keep is None:
        import shutil

        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
