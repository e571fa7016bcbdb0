"""Disclosure control for published outputs: small counts shown as ``c``.

The data contract ("Publishing") binds every output of an ``audience: public``
review: a count of 1 to 5 children or cases is shown as ``c``; other cells are
hidden too where needed so that a hidden count cannot be worked back from the
totals (secondary suppression); a percentage, interval or rate built on a
hidden count is hidden as well. This module is the one place that rule lives;
tables, chart data and counts quoted in sentences all go through it.

The convention is the usual one for UK official statistics on children (for
example the Department for Education's children-in-need and looked-after
children releases, and the ONS/GSS guidance on disclosure control of tables):

* a count of 1 to 5 is *primarily* suppressed; **0 is shown** (knowing that no
  child is in a cell discloses nothing about any one child), 6 and over are
  shown;
* *secondary* suppression: for every published equation that links cells (a row
  whose parts add up to a total column, a totals row, a group whose categories
  add up to a group total), a line with exactly one hidden cell gets a second
  cell hidden -- the smallest non-zero shown count in that line (a zero only
  if there is none), ties broken by a part before a total, then row order, then
  column order -- repeated
  over all lines until nothing changes;
* the standard rule is not always enough (a hidden cell can be pinned down by a
  chain of lines even when every line has two hidden cells), so the result is
  then audited exactly: each hidden cell must be free to take more than one
  value given everything shown (linear algebra; a linear programme with
  non-negativity when a hidden cell is 0). A cell that is still pinned gets one
  more cell hidden beside it and the audit repeats.

Policy: only ``audience: public`` is suppressed. A ``board`` review (a closed
paper to named members) is passed through unchanged, through the same
:class:`SuppressedTable` type so renderers have one code path
(:func:`apply_if_public`).
"""
from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pipeline import protection as pr

SUPPRESSED = "c"
THRESHOLD = (1, 5)
CONVENTION_NOTE = (
    "Counts of 1 to 5 are shown as c; other cells are also hidden where needed so that "
    "a hidden count cannot be worked out from the totals, or narrowed down to a few values; "
    "percentages based on a hidden count are hidden too, or shown as a band (such as 90% or more)."
)
# Audiences of the contract's `audience` code list, and whether each is suppressed.
AUDIENCE_SUPPRESSED = {"public": True, "board": False}

_TOL = 1e-7


class DisclosureError(ValueError):
    """A table cannot be protected as declared (e.g. a lone count against a fixed total)."""


# --------------------------------------------------------------------------------------
# The result


@dataclass(frozen=True)
class SuppressedTable:
    """A table after disclosure control.

    ``frame`` is the table as computed (never publish it directly); ``mask`` is a
    boolean frame of the same shape, True where a cell is hidden (counts and the
    columns derived from them); ``primary`` marks the counts hidden for being
    1 to 5 (the rest of ``mask`` is secondary or derived). ``audience`` is the
    review's audience; ``is_suppressed`` says whether the public rule applied.
    """

    frame: pd.DataFrame
    mask: pd.DataFrame
    primary: pd.DataFrame
    count_cols: tuple[str, ...]
    audience: str = "public"
    bands: Mapping[tuple[Any, str], str] = field(default_factory=dict)
    problem: pr.Problem | None = field(default=None, compare=False, repr=False)

    @property
    def is_suppressed(self) -> bool:
        return AUDIENCE_SUPPRESSED[self.audience]

    @property
    def any_hidden(self) -> bool:
        return bool(self.mask.to_numpy().any())

    @property
    def note(self) -> str:
        """The convention note for a public output, empty for a board one."""
        return CONVENTION_NOTE if self.is_suppressed else ""

    @property
    def numeric(self) -> pd.DataFrame:
        """The table with every hidden cell set to NaN: the only data a chart may use."""
        out = self.frame.copy()
        for col in out.columns:
            m = self.mask[col]
            if m.any():
                out[col] = out[col].astype("float64").mask(m)
        return out

    def to_display(self, formatters: Mapping[str, Callable[[Any], str]] | None = None
                   ) -> pd.DataFrame:
        """Display strings: ``c`` where hidden, ``""`` where blank, else formatted.

        ``formatters`` maps a column to a function of its value (e.g. rounding a
        percentage); counts default to whole numbers, other columns to ``str``.
        """
        formatters = dict(formatters or {})
        cols = {}
        for col in self.frame.columns:
            fmt = formatters.get(col, _count_text if col in self.count_cols else str)
            cols[col] = [self.bands.get((r, col), SUPPRESSED) if hidden else ("" if _blank(v) else fmt(v))
                         for r, v, hidden in zip(self.frame.index, self.frame[col].tolist(),
                                                 self.mask[col].tolist())]
        return pd.DataFrame(cols, index=self.frame.index, dtype=object)

    @property
    def display(self) -> pd.DataFrame:
        return self.to_display()

    def text(self, row, col: str, fmt: Callable[[Any], str] | None = None) -> str:
        """One cell for a sentence, honouring primary *and* secondary suppression.

        Quote table figures in prose through this, never from the raw frame: a
        count hidden only as a secondary cell is safe in the table and unsafe in
        a sentence that prints it.
        """
        if self.mask.at[row, col]:
            return self.bands.get((row, col), SUPPRESSED)
        v = self.frame.at[row, col]
        if _blank(v):
            return ""
        return (fmt or (_count_text if col in self.count_cols else str))(v)


def chart_safe(table: SuppressedTable) -> pd.DataFrame:
    """The numeric frame a chart may draw: hidden cells are NaN (no bar, no label).

    Accepts only a :class:`SuppressedTable`, so a chart cannot be fed an
    unprotected frame by accident.
    """
    if not isinstance(table, SuppressedTable):
        raise TypeError("chart_safe takes a SuppressedTable; pass the frame through "
                        "disclosure.apply_if_public first")
    return table.numeric


def suppress_text_count(n, threshold: tuple[int, int] = THRESHOLD) -> str:
    """A stand-alone count for a sentence: ``c`` for 1 to 5, else the number.

    Only for counts that appear in no table (there is no total to protect). A
    count that is also a table cell must be quoted with :meth:`SuppressedTable.text`.
    """
    if _blank(n):
        raise ValueError("no count to show")
    v = float(n)
    if v < 0 or v != int(v):
        raise ValueError(f"not a count: {n!r}")
    lo, hi = threshold
    return SUPPRESSED if lo <= v <= hi else str(int(v))


# --------------------------------------------------------------------------------------
# Entry points


def apply_if_public(audience: str, frame: pd.DataFrame, count_cols: Sequence[str], *,
                    long: bool = False, **kwargs) -> SuppressedTable:
    """The policy in one place: suppress for ``public``, pass ``board`` through.

    Keyword arguments are those of :func:`suppress_table` (or, with
    ``long=True``, of :func:`suppress_long`, where ``count_cols`` is the
    long table's group-level count columns besides ``value``). An audience the
    contract does not know is an error, never a silent pass-through.
    """
    if audience not in AUDIENCE_SUPPRESSED:
        raise ValueError(f"unknown audience {audience!r}; expected one of "
                         f"{sorted(AUDIENCE_SUPPRESSED)}")
    if AUDIENCE_SUPPRESSED[audience]:
        if long:
            return suppress_long(frame, group_counts=count_cols, **kwargs)
        return suppress_table(frame, count_cols, **kwargs)
    counts = list(count_cols) + ([kwargs["value"]] if long else [])
    derived = kwargs.get("derived") or {}
    _check_columns(frame, counts + list(derived))
    none = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    return SuppressedTable(frame.copy(), none, none.copy(), tuple(counts), audience)


def suppress_table(frame: pd.DataFrame, count_cols: Sequence[str], *,
                   sums: Mapping[str, Sequence[str]] | None = None,
                   row_sums: Mapping[Any, Sequence[Any]] | None = None,
                   derived: Mapping[str, Sequence[str]] | None = None,
                   keep: Sequence[str] = (),
                   unpublished: Sequence[str] = (),
                   shares: Mapping[str, tuple[str, str]] | None = None,
                   threshold: tuple[int, int] | None = None,
                   interval: pr.Interval | None = None,
                   bands: Sequence[int] | None = None) -> SuppressedTable:
    """Primary and secondary suppression of a wide table (rows x count columns).

    ``count_cols``: columns of counts of children or cases; each may be hidden.
    ``sums``: ``{total: parts}`` -- in every row, column ``total`` equals the sum
    of columns ``parts`` (e.g. ``{"answered_n": ["yes_n", "no_n",
    "not_evidenced_n"]}``). A ``total`` in ``count_cols`` is a cell like any
    other; a ``total`` that is a column of ``frame`` but not in ``count_cols`` is
    a figure published elsewhere (e.g. the audit sample size): fixed, never
    hidden, and it must not itself be 1 to 5.
    ``row_sums``: ``{total_row: part_rows}`` by index label -- in every count
    column the total row equals the sum of the part rows (a totals row; area
    rows summing to a county row).
    ``derived``: ``{column: counts it is computed from}`` -- a percentage,
    interval bound or rate is hidden in a row where any of its counts is.
    ``keep``: count columns to hide as secondary cells only when nothing else in
    the line can be -- typically the numerator and denominator of a headline
    percentage, so that a zero or another count is hidden in their place. Without
    it the rule is the standard one. It never stops a 1 to 5 being hidden.
    ``unpublished``: count columns the table never prints (e.g. the files on
    which a criterion was not answered): unknown to a reader except through the
    equations, never hidden for being small themselves, and never a reason to
    hide a published denominator (a reader who subtracts it from the sample
    learns a count of audit answers, which the method publishes by design).
    ``shares``: ``{share column: (numerator, denominator)}`` -- where the
    numerator is hidden and the denominator shown, the share is published as a
    band ("90% or more") when every small count stays protected with it.
    ``threshold``: the inclusive range of counts hidden (``params.yaml``
    ``disclosure: small_counts``, 1 to 5 by contract); ``interval``: the
    protection interval (``disclosure: protection``); ``bands``: the cuts a
    share may be banded at (``disclosure: share_bands_pct``).
    """
    count_cols = list(count_cols)
    sums = {k: list(v) for k, v in (sums or {}).items()}
    derived = {k: list(v) for k, v in (derived or {}).items()}
    _check_columns(frame, count_cols + list(sums) + [p for v in sums.values() for p in v]
                   + list(derived) + [s for v in derived.values() for s in v])
    if not frame.index.is_unique:
        raise ValueError("row labels must be unique")
    shares = dict(shares or {})
    _check_columns(frame, list(shares) + [c for v in shares.values() for c in v])
    hidden, primary, cuts, problem = _suppress_wide(frame, count_cols, sums, dict(row_sums or {}),
                                           threshold or _settings().small, locked=None, keep=keep,
                                           unpublished=unpublished, shares=shares,
                                           interval=interval, bands=bands)
    texts = {(frame.index[i], col): band_text(cut) for (i, col), cut in cuts.items()}
    return _result(frame, count_cols, hidden, primary, derived, texts, problem)


def suppress_long(frame: pd.DataFrame, *, by: str | Sequence[str], category: str, value: str,
                  total: str | None = None, group_counts: Sequence[str] = (),
                  sums: Mapping[str, Sequence[str]] | None = None,
                  derived: Mapping[str, Sequence[str]] | None = None,
                  keep: Sequence[str] = (),
                  unpublished: Sequence[str] = (),
                  threshold: tuple[int, int] | None = None,
                  interval: pr.Interval | None = None) -> SuppressedTable:
    """Suppression of a long table, one row per (group, category), e.g. grades.

    Each group (``by``, e.g. ``domain``) is a line: its ``value`` counts over
    ``category`` (e.g. ``grade``) add up to the group's ``total`` column (e.g.
    ``graded_n``, repeated on each row of the group). ``group_counts`` are
    further count columns constant within a group (e.g. ``blank_n``); ``sums``
    adds equations between group-level columns, with the same fixed-total rule
    as :func:`suppress_table` (e.g. ``{"cases_n": ["graded_n", "blank_n"]}``
    with ``cases_n`` a column holding the audit sample size). A category with
    no row in a group is read as a known 0. ``derived`` is applied row by row
    (e.g. ``{"pct": ["n", "graded_n"]}``); ``keep`` may name group-level columns.
    """
    by = [by] if isinstance(by, str) else list(by)
    group_counts = list(dict.fromkeys(([total] if total else []) + list(group_counts)))
    sums = {k: list(v) for k, v in (sums or {}).items()}
    derived = {k: list(v) for k, v in (derived or {}).items()}
    group_level = list(dict.fromkeys(group_counts + [k for k in sums if k not in group_counts]))
    _check_columns(frame, by + [category, value] + group_level + list(derived)
                   + [s for v in derived.values() for s in v])
    if frame.duplicated(by + [category]).any():
        raise ValueError(f"more than one row per {by + [category]}")
    if not frame.index.is_unique:
        raise ValueError("row labels must be unique")

    keys = pd.MultiIndex.from_frame(frame[by]) if len(by) > 1 else pd.Index(frame[by[0]])
    groups = keys.unique()
    cats = list(pd.unique(frame[category]))
    cat_cols = [f"\x00{c}" for c in cats]  # cannot collide with a real column name
    wide = pd.DataFrame(index=groups)
    present = pd.DataFrame(False, index=groups, columns=cat_cols)
    for cat, cc in zip(cats, cat_cols):
        sel = frame[category] == cat
        wide[cc] = pd.Series(frame.loc[sel, value].to_numpy(dtype="float64"), index=keys[sel])
        present.loc[keys[sel], cc] = True
    for col in group_level:
        per_group = frame.groupby(by if len(by) > 1 else by[0], sort=False)[col]
        if (per_group.nunique(dropna=False) > 1).any():
            raise ValueError(f"{col} is not constant within each {by}")
        wide[col] = per_group.first().reindex(groups)
    locked = ~present  # an absent category: a known 0, shown by absence
    wide[cat_cols] = wide[cat_cols].fillna(0).where(present, 0)
    wide_sums = dict(sums)
    if total:
        wide_sums[total] = cat_cols + wide_sums.get(total, [])
    hidden_w, primary_w, _, problem = _suppress_wide(wide, cat_cols + group_counts, wide_sums, {},
                                            threshold or _settings().small, locked=locked,
                                            keep=keep, unpublished=unpublished, interval=interval)

    cat_pos = frame[category].map(dict(zip(cats, cat_cols)))
    hidden = pd.DataFrame(False, index=frame.index, columns=[value] + group_counts)
    primary = hidden.copy()
    for src, dst in ((hidden_w, hidden), (primary_w, primary)):
        dst[value] = [bool(src.at[k, c]) for k, c in zip(keys, cat_pos)]
        for col in group_counts:
            dst[col] = src[col].reindex(keys).to_numpy()
    return _result(frame, [value] + group_counts, hidden, primary, derived, None, problem)


# --------------------------------------------------------------------------------------
# Internals


def _blank(v) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and np.isnan(v))


def _count_text(v) -> str:
    return str(int(v))


def _check_columns(frame: pd.DataFrame, cols: Sequence[str]) -> None:
    missing = [c for c in dict.fromkeys(cols) if c not in frame.columns]
    if missing:
        raise KeyError(f"columns not in the table: {missing}")


def _check_counts(values: np.ndarray, names: list[str]) -> None:
    v = values[~np.isnan(values)]
    if (v < 0).any() or (v != np.round(v)).any():
        raise ValueError(f"count columns must hold whole numbers >= 0: {names}")


def band_text(cut) -> str:
    """How a banded share is printed."""
    return f"{int(cut)}% or more"


def _result(frame, count_cols, hidden, primary, derived, bands=None, problem=None) -> SuppressedTable:
    mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    prim = mask.copy()
    for col in count_cols:
        mask[col] = hidden[col].to_numpy(dtype=bool)
        prim[col] = primary[col].to_numpy(dtype=bool)
    for col, sources in derived.items():
        if col in count_cols:
            raise ValueError(f"{col} is both a count and derived")
        hit = np.zeros(len(frame), dtype=bool)
        for s in sources:
            hit |= mask[s].to_numpy(dtype=bool)
        mask[col] = mask[col].to_numpy(dtype=bool) | hit
    return SuppressedTable(frame.copy(), mask, prim, tuple(count_cols), "public", dict(bands or {}), problem)


@dataclass
class _Cells:
    """A wide table flattened: one entry per count cell, then one per fixed-total cell."""

    vals: np.ndarray
    can_hide: np.ndarray
    kept: np.ndarray
    sensitive: np.ndarray
    unpublished: np.ndarray
    equations: list
    nr: int
    nc: int


def _flatten(frame, count_cols, sums, row_sums, small, locked, keep, unpublished) -> _Cells:
    """The cells of a wide table and the equations a reader knows between them."""
    pos = {r: i for i, r in enumerate(frame.index)}
    values = frame[count_cols].apply(pd.to_numeric).to_numpy(dtype="float64")
    _check_counts(values, count_cols)
    nr, nc = values.shape
    col_of = {c: j for j, c in enumerate(count_cols)}
    for name, given in (("keep", keep), ("unpublished", unpublished)):
        unknown = [k for k in given if k not in col_of]
        if unknown:
            raise KeyError(f"{name} names columns that are not counts: {unknown}")
    hideable = ~np.isnan(values)
    if locked is not None:
        hideable &= ~locked.reindex(index=frame.index, columns=count_cols,
                                    fill_value=False).to_numpy(dtype=bool)
    vals, can_hide = list(values.ravel()), list(hideable.ravel())
    kept = [c in keep for c in count_cols] * nr
    unpub = [c in unpublished for c in count_cols] * nr

    def cell(i, col):
        return i * nc + col_of[col]

    fixed: dict[str, list[int]] = {}
    lo, hi = small
    for total in sums:
        if total in col_of:
            continue
        fv = pd.to_numeric(frame[total]).to_numpy(dtype="float64")
        if ((fv >= lo) & (fv <= hi)).any():
            raise DisclosureError(f"fixed total {total} has a count of {lo} to {hi}; "
                                  "list it in count_cols so it is hidden")
        fixed[total] = list(range(len(vals), len(vals) + nr))
        vals += list(fv)
        can_hide += [False] * nr
        kept += [True] * nr
        unpub += [False] * nr
    equations: list[tuple[list[int], list[float]]] = []
    for total, parts in sums.items():
        bad = [p for p in parts if p not in col_of]
        if bad:
            raise ValueError(f"parts of {total} must be count columns: {bad}")
        for i in range(nr):
            t = fixed[total][i] if total in fixed else cell(i, total)
            equations.append(([cell(i, p) for p in parts] + [t], [1.0] * len(parts) + [-1.0]))
    for total_row, part_rows in row_sums.items():
        missing = [r for r in [total_row, *part_rows] if r not in pos]
        if missing:
            raise KeyError(f"rows not in the table: {missing}")
        for col in count_cols:
            members = [cell(pos[r], col) for r in part_rows] + [cell(pos[total_row], col)]
            equations.append((members, [1.0] * len(part_rows) + [-1.0]))
    vals = np.array(vals, dtype="float64")
    # An equation with a blank member is not published; it constrains nothing.
    equations = [(m, c) for m, c in equations if not np.isnan(vals[m]).any()]
    unpub = np.array(unpub) & ~np.isnan(vals)
    can_hide = np.array(can_hide) & ~unpub
    return _Cells(vals, can_hide, np.array(kept), can_hide.copy(), unpub, equations, nr, nc)


def _suppress_wide(frame, count_cols, sums, row_sums, small, locked, keep=(), unpublished=(),
                   shares=None, interval=None, bands=None):
    """Primary cells, then the cheapest secondary cells that protect them; boolean frames back,
    and the bands ``{(row position, share column): cut}`` chosen for shares."""
    prm = _settings()
    interval = interval or prm.interval
    bands = tuple(prm.bands if bands is None else bands)
    cells = _flatten(frame, count_cols, sums, row_sums, small, locked, keep, unpublished)
    lo, hi = small
    primary = cells.can_hide & (cells.vals >= lo) & (cells.vals <= hi)
    hidden = primary | cells.unpublished
    inequalities: list = []
    for comp in _components(cells):
        if not primary[comp].any():
            continue
        hidden = _search(cells, comp, hidden, small, interval)
    chosen = _choose_bands(frame, count_cols, cells, hidden, inequalities, shares or {}, bands,
                           small, interval)
    problem = _problem(cells, hidden, None, inequalities)
    problem.small, problem.interval = tuple(small), interval
    failures = pr.audit(problem, small, interval, first_only=True)
    if failures:  # the search guarantees none; kept as a last line of defence
        raise DisclosureError(f"{len(failures)} small count(s) cannot be protected")
    shape = (cells.nr, cells.nc)
    n = cells.nr * cells.nc

    def as_frame(a):
        return pd.DataFrame(a[:n].reshape(shape), index=frame.index, columns=count_cols)

    return as_frame(hidden & ~cells.unpublished), as_frame(primary), chosen, problem


def _problem(cells: _Cells, hidden, comp, inequalities=()) -> pr.Problem:
    unknown = hidden.copy()
    eqs = cells.equations
    if comp is not None:
        inside = np.zeros(len(hidden), bool)
        inside[comp] = True
        unknown &= inside
        eqs = [e for e in eqs if inside[e[0]].any()]
    return pr.Problem(cells.vals, unknown, list(eqs), cells.sensitive, list(inequalities))


def _components(cells: _Cells) -> list[list[int]]:
    """Groups of cells that a reader's equations tie together through cells that may be hidden."""
    parent = list(range(len(cells.vals)))

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    free = cells.can_hide | cells.unpublished
    for members, _ in cells.equations:
        linked = [m for m in members if free[m]]
        for m in linked[1:]:
            parent[find(m)] = find(linked[0])
    groups: dict[int, list[int]] = {}
    for c in np.flatnonzero(free):
        groups.setdefault(find(int(c)), []).append(int(c))
    return list(groups.values())


def _cost(cells: _Cells, extra, small) -> tuple:
    """Lexicographic cost of hiding ``extra``: not-small cells, kept cells, cells, their total."""
    v = cells.vals[list(extra)]
    lo, hi = small
    return (int(((v < lo) | (v > hi)).sum()), int(cells.kept[list(extra)].sum()), len(extra),
            float(v.sum()))


EXACT_SEARCH_MAX = 12  # candidates in a group up to which every subset is tried


def _search(cells: _Cells, comp, hidden, small, interval) -> np.ndarray:
    """The cheapest set of further cells of ``comp`` to hide so that every small count in it
    (and every small sum of hidden cells in a line) reaches the protection interval."""
    cands = [c for c in comp if cells.can_hide[c] and not hidden[c]]

    def passes(extra) -> bool:
        h = hidden.copy()
        h[list(extra)] = True
        return not pr.audit(_problem(cells, h, comp), small, interval, first_only=True)

    if len(cands) <= EXACT_SEARCH_MAX:
        subsets = [s for k in range(len(cands) + 1) for s in itertools.combinations(cands, k)]
        for extra in sorted(subsets, key=lambda s: _cost(cells, s, small)):
            if passes(extra):
                out = hidden.copy()
                out[list(extra)] = True
                return out
        raise DisclosureError("a small count cannot be protected: no set of further cells that "
                              "may be hidden gives it a wide enough range")
    return _greedy(cells, comp, hidden, cands, small, interval, passes)


def _greedy(cells, comp, hidden, cands, small, interval, passes) -> np.ndarray:
    """For a large group: add the cheapest cell in a failing line until all pass, then drop
    any added cell that is not needed, dearest first."""
    extra: list[int] = []
    while True:
        h = hidden.copy()
        h[extra] = True
        fails = pr.audit(_problem(cells, h, comp), small, interval, first_only=True)
        if not fails:
            break
        hidden_now = {int(c) for c in np.flatnonzero(h)} & set(comp)
        near = {m for members, _ in cells.equations if hidden_now & set(members) for m in members}
        pool = [c for c in cands if c not in extra and c in near] or \
               [c for c in cands if c not in extra]
        if not pool:
            raise DisclosureError("a small count cannot be protected: nothing left to hide")
        extra.append(min(pool, key=lambda c: _cost(cells, (c,), small)))
    for c in sorted(extra, key=lambda c: _cost(cells, (c,), small), reverse=True):
        trial = [e for e in extra if e != c]
        if passes(trial):
            extra = trial
    out = hidden.copy()
    out[extra] = True
    return out


def _choose_bands(frame, count_cols, cells, hidden, inequalities, shares, bands, small, interval):
    """Publish a hidden share as "X% or more" where its denominator is shown and the band still
    leaves every small count protected; the highest such cut not above the true share."""
    col_of = {c: j for j, c in enumerate(count_cols)}
    chosen = {}
    for share, (num, den) in shares.items():
        for i in range(cells.nr):
            k, n = i * cells.nc + col_of[num], i * cells.nc + col_of[den]
            if not hidden[k] or hidden[n] or not cells.vals[n]:
                continue
            true_pct = 100 * cells.vals[k] / cells.vals[n]
            for cut in sorted(bands, reverse=True):
                if true_pct < cut:
                    continue
                trial = inequalities + [([k, n], [100.0, -float(cut)])]
                if not pr.audit(_problem(cells, hidden, None, trial), small, interval,
                                first_only=True):
                    inequalities.append(trial[-1])
                    chosen[(i, share)] = cut
                    break
    return chosen


def method_variables() -> dict[str, str]:
    """The parameters the method annex quotes (``report/partials/common/disclosure-method.md``)."""
    prm = _settings()
    cuts = sorted(prm.bands, reverse=True)
    names = [f"{c}%" for c in cuts]
    listed = "none" if not names else names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return {"small_low": str(prm.small[0]), "small_high": str(prm.small[1]),
            "at_most": str(prm.interval.low), "at_least": str(prm.interval.high),
            "bands": listed, "band_example": band_text(cuts[0]) if cuts else "none"}


@dataclass(frozen=True)
class _Settings:
    small: tuple[int, int]
    interval: pr.Interval
    bands: tuple[int, ...]


def _settings() -> _Settings:
    """The ``disclosure:`` parameters of ``params.yaml``."""
    from pipeline.params import params

    d = params().disclosure
    return _Settings(tuple(d.small_counts), pr.Interval(d.protection.at_most, d.protection.at_least),
                     tuple(d.share_bands_pct))
