"""benchmarks/table.py: the README table comes from the JSON of benchmarks/run.py, targets worked out by hand."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("bench_table", ROOT / "benchmarks" / "table.py")
table = importlib.util.module_from_spec(spec)
spec.loader.exec_module(table)

RESULT = {"reviews": 4, "floor_s": 40.0, "floor_cpu_s": 38.0, "cold_build_s": 55.0, "cold_build_cpu_s": 90.0,
          "noop_s": 0.2, "noop_cpu_s": 0.1, "one_row_rebuild_s": 12.0, "one_row_rebuild_cpu_s": 11.0,
          "one_row_review": "example-phase1", "render_builtin_s": {"a": 2.0}, "render_quarto_s": {"a": 5.0},
          "machine": {"cores": 2, "python": "3.11"}, "load_before": 3.0, "load_after": 2.0, "provisional": True}


def test_targets_are_worked_out_from_the_floor(tmp_path, capsys):
    path = tmp_path / "r.json"
    path.write_text(json.dumps(RESULT), encoding="utf-8")
    table.main([str(path)])
    text = capsys.readouterr().out
    assert "| cold `make report` (built-in engine) | 55.0 | 90.0 | ≤ 1.5 × floor = 60.0 |" in text  # 1.5 * 40
    assert "≤ floor / reviews = 10.0 |" in text  # 40 / 4
    assert "| a | 2.0 | 5.0 | 2.5× |" in text  # 5 / 2
    assert "**Provisional**" in text
    assert "not measured" in text  # no Quarto cold build in this file
