"""What a build says while it runs: stage by stage, on the terminal and in ``build.log``.

In a terminal each review shows a rich progress line (spinner, bar, current
stage); otherwise (a pipe, a log, DVC) one plain line per stage. ``--quiet``
keeps only errors and the final summary; ``--verbose`` adds each file written.
Everything, whatever the level, also goes to ``data/processed/<id>/build.log``.
"""
from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from pathlib import Path

from pipeline.paths import PROJ_ROOT, inside

QUIET, NORMAL, VERBOSE = 0, 1, 2
LOG_FILE = "build.log"


def shown(path: Path) -> str:
    """A path as the user reads it: relative to the project when inside it."""
    path = Path(path)
    return str(path.relative_to(PROJ_ROOT)) if path.is_absolute() and path.is_relative_to(PROJ_ROOT) else str(path)


class Console:
    """Progress and messages for the reviews of one command."""

    def __init__(self, level: int = NORMAL, stream=None):
        self.level = level
        self.stream = stream or sys.stdout
        self.fancy = level >= NORMAL and self.stream.isatty()
        self._log = None
        self._progress = None
        self._task = None

    # -- log file
    def open_log(self, folder: Path) -> None:
        path = inside(Path(folder) / LOG_FILE)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._log = path.open("w", encoding="utf-8")

    def close_log(self) -> None:
        if self._log:
            self._log.close()
            self._log = None

    def _write_log(self, text: str) -> None:
        if self._log:
            self._log.write(f"{time.strftime('%H:%M:%S')} {text}\n")
            self._log.flush()

    # -- messages
    def say(self, text: str, level: int = NORMAL) -> None:
        self._write_log(text)
        if self.level >= level:
            if self._progress is not None:
                self._progress.console.print(text, markup=False, highlight=False)
            else:
                print(text, file=self.stream, flush=True)

    def detail(self, text: str) -> None:
        self.say(text, VERBOSE)

    def error(self, text: str) -> None:
        self._write_log(f"ERROR: {text}")
        print(f"error: {text}", file=sys.stderr, flush=True)

    # -- stages
    @contextmanager
    def review(self, review_id: str, stages: list[str]):
        """Show a review's stages as they run."""
        if self.fancy:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

            self._progress = Progress(SpinnerColumn(), TextColumn("[bold]{task.fields[review]}"), BarColumn(),
                                      MofNCompleteColumn(), TextColumn("{task.description}"), transient=False)
            self._progress.start()
            self._task = self._progress.add_task("starting", total=len(stages), review=review_id)
        try:
            yield
        finally:
            if self._progress is not None:
                self._progress.stop()
                self._progress = self._task = None

    @contextmanager
    def stage(self, review_id: str, name: str):
        start = time.monotonic()
        self._write_log(f"{review_id}: {name} started")
        if self._progress is not None:
            self._progress.update(self._task, description=name)
        elif self.level >= NORMAL:
            print(f"{review_id}: {name} ...", file=self.stream, flush=True)
        yield
        took = time.monotonic() - start
        self._write_log(f"{review_id}: {name} done in {took:.1f} s")
        if self._progress is not None:
            self._progress.advance(self._task)
        elif self.level >= NORMAL:
            print(f"{review_id}: {name} done ({took:.0f} s)", file=self.stream, flush=True)
