"""The one error the papers raise: a review's papers cannot be built, and the message says why."""
from __future__ import annotations


class ReportError(RuntimeError):
    """The papers of a review cannot be built; the message says why."""
