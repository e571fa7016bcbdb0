"""The floor of the benchmark: one Python process does a build's work, with no notebooks and no DVC.

    python benchmarks/floor.py REVIEW [REVIEW ...]     (run from the root of a tree; writes its outputs)

For each review, in the order given (an annual review after the years it compares with): validate
and snapshot, every analysis stage's tables and figures (``run_stage``, as the notebooks call it),
and the papers rendered by the built-in engine. Wall time is measured by the caller, imports included.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path.cwd()))  # the tree being measured, not the one the .venv was installed from


def main(review_ids: list[str]) -> int:
    from pipeline.papers import publish
    from pipeline.cli import run_validate
    from pipeline.notebooks import run_stage
    from pipeline.params import params
    from pipeline.paths import processed_dir
    from pipeline.snapshot import open_review
    from pipeline.stages import ANALYSIS_ORDER, STAGES

    for review_id in review_ids:
        run_validate(review_id, quiet=True)
        out = processed_dir(review_id)
        for name in ANALYSIS_ORDER:
            stage = STAGES[name]
            if stage.has_figures:
                (out / stage.figure_dir).mkdir(parents=True, exist_ok=True)
            run_stage(open_review(review_id, tables=list(stage.tables)), params(), out, name)
        if publish.render_review(review_id, quiet=True) != 0:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
