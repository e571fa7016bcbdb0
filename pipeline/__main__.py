"""The one command-line face of the pipeline: ``python -m pipeline <command>``.

validate <review_id>   check a review folder against the data contract
build <review_id>      validate, run the analyses and render the papers
notebook <stage> <id>  execute one analysis notebook with Papermill
sample <review_id>     plan and draw the case-audit sample from case_population
forms <review_id>      write blank Excel forms from the contract for auditors and teams
generate <example>     (re)write an invented example review (or all)
dvc-yaml               write dvc.yaml from the stage registry
"""
from __future__ import annotations

import argparse
import sys

from pipeline.cli import COMMANDS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (setup, _) in COMMANDS.items():
        setup(sub.add_parser(name, help=setup.__doc__))
    args = parser.parse_args(argv)
    return COMMANDS[args.command][1](args)


if __name__ == "__main__":
    sys.exit(main())
