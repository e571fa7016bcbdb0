"""The one command-line face of the pipeline: ``python -m pipeline <command>`` (or ``cp-review <command>``).

Without a command it prints this help. Every error is one line on stderr with
exit status 2; ``--debug`` shows the Python traceback as well.
"""
from __future__ import annotations

import argparse
import sys

from pipeline.cli import COMMANDS, CliError, require_review

DESCRIPTION = """Rebuild a child protection review's evidence and papers from its data folder.

A review id is the name of a folder under data/raw/ (letters, digits, '.', '-', '_').
Run `python -m pipeline <command> --help` for a command's arguments."""


class Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line (and exit status 2), not a usage block."""

    def error(self, message):
        self.exit(2, f"error: {message} (see `{self.prog} --help`)\n")


def parser() -> Parser:
    top = Parser(prog="python -m pipeline", description=DESCRIPTION,
                 formatter_class=argparse.RawDescriptionHelpFormatter)
    top.add_argument("--debug", action="store_true", help="show the Python traceback of an error")
    sub = top.add_subparsers(dest="command", title="commands", metavar="<command>")
    for name, (setup, _) in COMMANDS.items():
        doc = (setup.__doc__ or "").strip()
        p = sub.add_parser(name, help=doc, description=doc[:1].upper() + doc[1:] + ".")
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                       help="show the Python traceback of an error")
        if name in ("build", "render"):
            level = p.add_mutually_exclusive_group()
            level.add_argument("-q", "--quiet", action="store_true", help="print only errors and the summary")
            level.add_argument("-v", "--verbose", action="store_true", help="also print each file written")
        setup(p)
    return top


def main(argv: list[str] | None = None) -> int:
    top = parser()
    args = top.parse_args(argv)
    if not args.command:
        top.print_help()
        return 0
    try:
        if getattr(args, "review_id", None) is not None:
            require_review(args.review_id)  # every command: a review that is not there creates nothing
        return COMMANDS[args.command][1](args)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # every error reaches the user as one line (the traceback with --debug)
        if args.debug:
            raise
        print(f"error: {one_line(exc)}", file=sys.stderr)
        return 2


def one_line(exc: BaseException) -> str:
    """The error as one line: its message (first line, with how many more), its kind if not a CliError."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()] or [type(exc).__name__]
    text = lines[0] + (f" (and {len(lines) - 1} more line(s); --debug shows all)" if len(lines) > 1 else "")
    if not isinstance(exc, (CliError, ValueError, LookupError, OSError, RuntimeError)):
        text = f"{type(exc).__name__}: {text}"
    return text


if __name__ == "__main__":
    sys.exit(main())
