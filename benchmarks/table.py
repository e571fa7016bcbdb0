"""The README's benchmark tables, made from the JSON that ``benchmarks/run.py --json FILE`` wrote.

    .venv/bin/python benchmarks/table.py FILE

Prints Markdown: the build figures with their targets (issue 14), the render time of each
paper by engine, and the scale rows. Figures of a run on a busy machine are marked provisional.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path


def _s(value) -> str:
    return "not measured" if value is None else f"{value:.1f}"


def build_table(r: dict) -> list[str]:
    floor, n = r.get("floor_s"), r.get("reviews") or 1
    targets = {
        "floor_s": "",
        "cold_build_s": f"≤ 1.5 × floor = {1.5 * floor:.1f}" if floor else "≤ 1.5 × floor",
        "noop_s": "≤ 1",
        "one_row_rebuild_s": f"≤ floor / reviews = {floor / n:.1f}" if floor else "≤ floor / reviews",
        "cold_build_quarto_s": "reported",
    }
    labels = {
        "floor_s": f"floor: one Python process, {n} reviews, no notebooks, no DVC",
        "cold_build_s": "cold `make report` (built-in engine)",
        "noop_s": "no-op `make report`",
        "one_row_rebuild_s": f"`make report` after one workforce row of {r.get('one_row_review', 'a review')} changes",
        "cold_build_quarto_s": f"cold `make report` with Quarto on PATH ({r.get('quarto', 'not installed')})",
    }
    lines = ["| measure | wall s | CPU s | target |", "| --- | ---: | ---: | --- |"]
    for key, label in labels.items():
        lines.append(f"| {label} | {_s(r.get(key))} | {_s(r.get(key.replace('_s', '_cpu_s')))} | {targets[key]} |")
    return lines


def render_table(r: dict) -> list[str]:
    builtin, quarto = r.get("render_builtin_s") or {}, r.get("render_quarto_s") or {}
    if not builtin and not quarto:
        return []
    lines = ["| review: all formats of its papers | built-in engine s | Quarto s | ratio (target < 3) |",
             "| --- | ---: | ---: | ---: |"]
    for review_id in builtin or quarto:
        b, q = builtin.get(review_id), quarto.get(review_id)
        ratio = f"{q / b:.1f}×" if b and q else "not measured"
        lines.append(f"| {review_id} | {_s(b)} | {_s(q)} | {ratio} |")
    return lines


def scale_table(rows: list[dict]) -> list[str]:
    if not rows:
        return []
    lines = ["| case-audit rows | validate s | validate peak MB | analyse s | analyse peak MB |",
             "| ---: | ---: | ---: | ---: | ---: |"]
    for row in rows:
        lines.append(f"| {row['label']} | {row['validate_s']:.1f} | {row['validate_mb']:,.0f} | "
                     f"{row['analyse_s']:.1f} | {row['analyse_mb']:,.0f} |")
    return lines


def main(argv: list[str]) -> int:
    r = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    m = r.get("machine", {})
    note = (f"Measured {r.get('started', '')} on {m.get('cores', '?')} cores, Python {m.get('python', '?')}; "
            f"load average {r.get('load_before', '?')} before the run, {r.get('load_after', '?')} after.")
    if r.get("provisional"):
        note += (" **Provisional**: the machine was busy with other work, so wall times are high and "
                 "noisy; the CPU seconds are the steadier figure.")
    out = [note, ""] + build_table(r)
    if r.get("quarto_error"):
        detail = "; ".join(line[:100] for line in (r.get("quarto_error_detail") or [])[:2])
        out += ["", f"The Quarto figures were not measured: the Quarto build failed ({detail})."]
    for part in (render_table(r), scale_table(r.get("scale") or [])):
        if part:
            out += [""] + part
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
