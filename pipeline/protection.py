"""What a reader can work out from a published table: feasible ranges by integer programming.

A table after disclosure control is a set of cells, some shown and some hidden
(``c``, or never printed), tied by the equations the reader knows (parts add up
to a total; a total published elsewhere) and by inequalities (a share
published as a band, "90% or more"). Every cell is a whole number >= 0. For a
hidden cell, or a sum of hidden cells in one line, the reader's best knowledge
is its *feasible range*: the smallest and largest value it can take given all
that. :func:`feasible_range` solves that exactly, with ``scipy.optimize.milp``
(integer variables; two solves per target).

:func:`audit` applies the protection rule: every *sensitive* target -- a
hidden cell whose true value is a small count, or a sum of two or more hidden
cells of one line whose true total is a small count -- must have a feasible
range that reaches from at most ``interval.low`` to at least
``interval.high`` (:class:`Interval`, from ``params.yaml`` ``disclosure:``).
It returns the targets that do not, so that the search in
:mod:`pipeline.disclosure` can hide more, and so that the publication check can
refuse an output.
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import LinearConstraint, milp


@dataclass(frozen=True)
class Interval:
    """The protection interval: a protected count's range must reach from <= low to >= high."""

    low: int = 0
    high: int = 10

    def covered_by(self, lo: float, hi: float) -> bool:
        return lo <= self.low + 1e-9 and hi >= self.high - 1e-9


@dataclass
class Problem:
    """Cells and what a reader knows about them.

    ``values``: the true values (only used for what is shown and to say which
    targets are sensitive). ``unknown``: True where the reader does not see the
    cell. ``equations``: ``(members, coefs)`` meaning ``sum(coef * cell) == 0``
    (a fixed total is a cell that is never unknown). ``inequalities``:
    ``(members, coefs)`` meaning ``sum(coef * cell) >= 0``. ``sensitive``:
    True for cells whose smallness must be protected (counts of children or
    cases; not a count the table never prints and that a published
    denominator gives away by design).
    """

    values: np.ndarray
    unknown: np.ndarray
    equations: list[tuple[list[int], list[float]]]
    sensitive: np.ndarray
    inequalities: list[tuple[list[int], list[float]]] = field(default_factory=list)
    small: tuple[int, int] = (1, 5)
    interval: Interval = Interval()

    def failures(self) -> list[Failure]:
        """The audit of this problem under its own small-count range and protection interval."""
        return audit(self, self.small, self.interval)


@dataclass(frozen=True)
class Failure:
    """A sensitive target whose feasible range is narrower than the protection interval."""

    cells: tuple[int, ...]
    low: float
    high: float


def _system(problem: Problem):
    """Constraint rows over the unknown cells, with the shown cells moved to the right-hand side."""
    unknown = np.flatnonzero(problem.unknown)
    col = {c: k for k, c in enumerate(unknown)}
    rows, lo, hi = [], [], []
    for kind, items in (("eq", problem.equations), ("ge", problem.inequalities)):
        for members, coefs in items:
            a = np.zeros(len(unknown))
            rhs = 0.0
            for m, c in zip(members, coefs):
                if m in col:
                    a[col[m]] += c
                else:
                    rhs -= c * problem.values[m]
            if not a.any():
                continue
            rows.append(a)
            lo.append(rhs)
            hi.append(rhs if kind == "eq" else np.inf)
    return unknown, col, rows, lo, hi


def feasible_range(problem: Problem, cells: Sequence[int], system=None) -> tuple[float, float]:
    """The smallest and largest value of ``sum(cells)`` (all unknown) a reader cannot rule out."""
    unknown, col, rows, lo, hi = system or _system(problem)
    obj = np.zeros(len(unknown))
    for c in cells:
        obj[col[c]] = 1.0
    cons = [LinearConstraint(np.array(rows), lo, hi)] if rows else []
    integrality = np.ones(len(unknown))
    bounds = (0, np.inf)
    low = milp(obj, constraints=cons, integrality=integrality, bounds=bounds)
    high = milp(-obj, constraints=cons, integrality=integrality, bounds=bounds)
    if low.status != 0:
        raise ValueError(f"the published constraints admit no solution: {low.message}")
    top = math.inf if high.status != 0 else -high.fun
    return float(round(low.fun, 6)), float(round(top, 6)) if top != math.inf else math.inf


def targets(problem: Problem, small: tuple[int, int]) -> list[tuple[int, ...]]:
    """The sensitive targets: each unknown small count, and each sum of unknown sensitive cells
    in one line whose true total is small (the sums a reader can form from that line)."""
    lo, hi = small
    v = problem.values
    found: dict[tuple[int, ...], None] = {}
    for c in np.flatnonzero(problem.unknown & problem.sensitive):
        if lo <= v[c] <= hi:
            found[(int(c),)] = None
    for members, _ in problem.equations:
        hidden = sorted({m for m in members if problem.unknown[m] and problem.sensitive[m]})
        for size in range(2, len(hidden) + 1):
            for combo in itertools.combinations(hidden, size):
                if lo <= v[list(combo)].sum() <= hi:
                    found[tuple(int(c) for c in combo)] = None
    return list(found)


def audit(problem: Problem, small: tuple[int, int], interval: Interval,
          first_only: bool = False) -> list[Failure]:
    """Every sensitive target whose feasible range does not cover the protection interval."""
    todo = targets(problem, small)
    if not todo:
        return []
    system = _system(problem)
    out = []
    for cells in todo:
        lo, hi = feasible_range(problem, cells, system)
        if not interval.covered_by(lo, hi):
            out.append(Failure(cells, lo, hi))
            if first_only:
                break
    return out
