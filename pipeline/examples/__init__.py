"""Generate the invented example reviews under ``data/raw/`` (the package that was ``pipeline/generate.py``).

Modules: ``common`` (helpers, seeds), ``phase1``, ``later`` (phases 2 and 3),
``annual`` and ``scaled`` (benchmark reviews); this module holds the
registry of examples and the command line.

``example-phase1`` (described below) is the main one. The later examples reuse
its functions with their own lookup data in subfolders of ``example_data/``:
``example-phase2`` (multi-agency working), ``example-phase3`` (national policy)
and ``example-annual-2010`` .. ``-2012`` (the annual practice audits); see the
section "the later examples" near the end.

The example is modelled on Kent County Council's "Protecting Children in Kent"
phase 1 review (Children's Champions Board, 12 February 2009). Every row is
invented (``synthetic: true``) except the county figures that the review
published, which come out exactly:

- 903 children with a child protection plan at December 2007 and 1,052 at
  December 2008, with a net rise of 44 in December 2008 (report para 29);
- a vacancy rate of 17% for qualified social workers, with a few teams above
  25% (para 16), and an average caseload of 25 per worker, about 4 of them
  children with a plan and just over 4 looked-after children (para 28);
- an audit of 50 current child protection cases (findings slides).

The generator is deterministic: numpy ``default_rng`` streams seeded from the
seed and a fixed table number, no wall clock, no hash-ordered iteration, rows
written in a fixed order. Running it twice writes byte-identical files.

The lookup lists (districts, team types, question and criterion banks, the
findings matrix, the recommendations, the target figures) are data files in
``pipeline/example_data/``; this module only turns them into tables.

Usage::

    python -m pipeline generate <example-id | all> [--out DIR] [--seed N]
"""
from __future__ import annotations

import argparse
from pathlib import Path

from pipeline.examples.annual import generate_example_annual
from pipeline.examples.common import SEEDS
from pipeline.examples.later import generate_example_phase2, generate_example_phase3
from pipeline.examples.phase1 import generate_example_phase1
from pipeline.examples.scaled import generate_scaled
from pipeline.paths import RAW_DIR

__all__ = ["EXAMPLES", "SEEDS", "generate", "generate_example_annual", "generate_example_phase1",
           "generate_example_phase2", "generate_example_phase3", "generate_scaled", "main"]


EXAMPLES = {
    "example-phase1": lambda out, seed=None: generate_example_phase1(
        out, seed=SEEDS["example-phase1"] if seed is None else seed),
    "example-phase2": lambda out, seed=None: generate_example_phase2(
        out, seed=SEEDS["example-phase2"] if seed is None else seed),
    "example-phase3": lambda out, seed=None: generate_example_phase3(
        out, seed=SEEDS["example-phase3"] if seed is None else seed),
    "example-annual-2010": lambda out, seed=None: generate_example_annual(out, 2010, seed),
    "example-annual-2011": lambda out, seed=None: generate_example_annual(out, 2011, seed),
    "example-annual-2012": lambda out, seed=None: generate_example_annual(out, 2012, seed),
}


def generate(name: str, out_dir: Path | None = None, seed: int | None = None) -> Path:
    """Write one example review into out_dir (default data/raw/<name>); return the folder."""
    out = Path(out_dir) if out_dir is not None else RAW_DIR / name
    EXAMPLES[name](out, seed)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline generate",
        description="Generate an invented example review (synthetic data).")
    parser.add_argument("review_id", choices=[*EXAMPLES, "all"])
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default data/raw/<review_id>); with 'all', "
                             "the folder that receives one subfolder per example")
    parser.add_argument("--seed", type=int, default=None,
                        help="seed of a single example (default: its own fixed seed)")
    args = parser.parse_args(argv)
    if args.review_id == "all":
        if args.seed is not None:
            parser.error("--seed applies to a single example")
        for name in EXAMPLES:
            out = generate(name, None if args.out is None else args.out / name)
            print(f"wrote {out}")
        return 0
    out = generate(args.review_id, args.out, args.seed)
    print(f"wrote {out}")
    return 0
