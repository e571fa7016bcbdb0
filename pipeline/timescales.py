"""Child protection timescales from the audited cases' dates.

Rules are the data contract's ("Timescales"), limits in ``params.timescales``:

| measure_id | from | to | default limit |
| --- | --- | --- | --- |
| icpc_timely | strategy_discussion_date | icpc_date | 15 working days |
| core_group_timely | icpc_date | first_core_group_date | 10 working days |
| review_timely | icpc_date | review_conference_date | 3 calendar months |
| visit_timely | last_visit_date | audit_date | 10 working days |

(Working Together to Safeguard Children 2006: initial conference within 15
working days of the strategy discussion, first core group within 10 working
days of it, first review within three months.) Working days from A to B are the
working days d with A < d <= B; "within N" means at most N; within 3 calendar
months means on or before the same day three months on (or that month's last
day). An event that has not happened (blank date) is ``not_yet_due`` when its
deadline - the N-th working day after the start, or the date three months on -
falls after census_date, and is left out of the rate; otherwise it is not met.

Per-case results are case-level data and are never published; only the summary is.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.outputs import write_csv
from pipeline import figures as fg
from pipeline import stats
from pipeline.params import Params

#: The tables ``write_outputs`` needs; without any of them it writes nothing.
NEEDS = ("case_audit",)

#: The contract's measures, in its order: (measure_id, start column, event column).
MEASURES: tuple[tuple[str, str, str], ...] = (
    ("icpc_timely", "strategy_discussion_date", "icpc_date"),
    ("core_group_timely", "icpc_date", "first_core_group_date"),
    ("review_timely", "icpc_date", "review_conference_date"),
    ("visit_timely", "last_visit_date", "audit_date"),
)
_LABELS = {
    "icpc_timely": "Initial conference within {l} of the strategy discussion",
    "core_group_timely": "First core group within {l} of the initial conference",
    "review_timely": "First review conference within {l} of the initial conference",
    "visit_timely": "Last statutory visit within {l} of the audit",
}
_SHORT = {
    "icpc_timely": "Initial conference, {l}",
    "core_group_timely": "First core group, {l}",
    "review_timely": "First review, {l}",
    "visit_timely": "Statutory visit, {l}",
}
STATUSES = ("met", "not_met", "not_yet_due")




def _limit_text(limit) -> str:
    if limit.working_days is not None:
        return f"{limit.working_days} working days"
    return f"{limit.calendar_months} calendar months"


def measure_status(start: pd.Series, event: pd.Series, limit, census_date) -> pd.DataFrame:
    """Status of one timescale for each case: met, not_met or not_yet_due (data contract).

    ``limit`` is a ``params.Timescale`` (exactly one of working_days or
    calendar_months). Columns: start_date, event_date, deadline_date,
    elapsed_working_days (working-day limits, event happened; else NA), status.
    A happened event is met when elapsed working days <= N, or when it falls on
    or before the deadline for a calendar-month limit; an event not happened is
    not_yet_due when the deadline is after census_date, else not_met. A
    missing start date raises ValueError (the contract requires every start).
    """
    start = pd.to_datetime(start).reset_index(drop=True)
    event = pd.to_datetime(event).reset_index(drop=True)
    if start.isna().any():
        raise ValueError("a timescale's start date is missing")
    census = pd.Timestamp(census_date)
    if limit.working_days is not None:
        deadline = stats.add_working_days(start, limit.working_days)
        elapsed = stats.working_days_between(start, event)
        is_met = (elapsed <= limit.working_days).fillna(False).astype(bool)
    else:
        deadline = stats.add_calendar_months(start, limit.calendar_months)
        elapsed = pd.Series(pd.NA, index=start.index, dtype="Int64")
        is_met = (event.notna() & (event <= deadline)).astype(bool)
    happened = event.notna()
    status = np.where(happened, np.where(is_met, "met", "not_met"),
                      np.where(deadline > census, "not_yet_due", "not_met"))
    return pd.DataFrame({
        "start_date": start, "event_date": event, "deadline_date": pd.to_datetime(deadline),
        "elapsed_working_days": pd.array(elapsed, dtype="Int64"), "status": status,
    })


def case_timescales(case_audit: pd.DataFrame, census_date, params: Params) -> pd.DataFrame:
    """Every contract timescale for every audited case, long: INTERNAL, never published.

    Carries no case_id (cases are named by ``case_row``, their 0-based position
    in ``case_audit``), but is still case-level data: keep it in memory.
    Columns: case_row, team_id (when case_audit has it), measure_id,
    start_date, event_date, deadline_date, elapsed_working_days, status; cases
    in input order, measures in contract order within each case.
    """
    parts = []
    for measure_id, start_col, event_col in MEASURES:
        limit = getattr(params.timescales, measure_id)
        st = measure_status(case_audit[start_col], case_audit[event_col], limit, census_date)
        st.insert(0, "case_row", np.arange(len(st)))
        if "team_id" in case_audit.columns:
            st.insert(1, "team_id", case_audit["team_id"].to_numpy())
        st.insert(st.columns.get_loc("start_date"), "measure_id", measure_id)
        parts.append(st)
    out = pd.concat(parts, ignore_index=True)
    # each part is one measure, in contract order: its position is the sort key (no string map)
    out["_m"] = np.repeat(np.arange(len(parts)), [len(p) for p in parts])
    out = out.sort_values(["case_row", "_m"], kind="stable").drop(columns="_m")
    return out.reset_index(drop=True)


def summary(cases: pd.DataFrame, params: Params, N: int | None = None) -> pd.DataFrame:
    """Met, not met and not yet due per measure, and the share met with its interval.

    Contract: not_yet_due is left out of the rate: met_pct = met / (met +
    not_met). Interval: Wilson with the finite-population correction for N
    (cp_population) when given (issue 3, item 4). Columns: measure_id, label,
    short_label, limit_working_days, limit_calendar_months, met_n, not_met_n,
    not_yet_due_n, due_n, met_pct, ci_low_pct, ci_high_pct; contract order.
    """
    rows = []
    for measure_id, _, _ in MEASURES:
        limit = getattr(params.timescales, measure_id)
        st = cases.loc[cases["measure_id"] == measure_id, "status"]
        counts = {f"{s}_n": int(st.eq(s).sum()) for s in STATUSES}
        rows.append({"measure_id": measure_id,
                     "label": _LABELS[measure_id].format(l=_limit_text(limit)),
                     "short_label": _SHORT[measure_id].format(l=_limit_text(limit)),
                     "limit_working_days": limit.working_days,
                     "limit_calendar_months": limit.calendar_months, **counts})
    out = pd.DataFrame(rows)
    for c in ("limit_working_days", "limit_calendar_months"):
        out[c] = out[c].astype("Int64")
    out["due_n"] = out["met_n"] + out["not_met_n"]
    out["met_pct"] = (100 * out["met_n"] / out["due_n"].where(out["due_n"] > 0)).astype("float64")
    ci = stats.wilson_frame(out["met_n"], out["due_n"], N=N, confidence=params.intervals.confidence)
    return pd.concat([out, ci], axis=1)


def write_outputs(review, params: Params, out_dir: Path | str,
                  fig_dir: Path | str | None = None, figures: bool = True) -> list[Path]:
    """Compute the timescale summary and figure of a review and write them to ``out_dir``.

    Per-case results (case-level data) are not written. The figure goes to
    ``fig_dir`` (default ``out_dir/figures``); ``figures=False`` skips it.
    Returns the paths written; [] when the review has no case_audit table (or
    one with no rows).
    """
    ca = review.table("case_audit")
    if ca is None or ca.empty:
        return []
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    cases = case_timescales(ca, review.meta["census_date"], params)
    sm = summary(cases, params, N=review.meta.get("cp_population"))
    written = [write_csv(sm, out_dir / "timescales__summary.csv")]
    if not figures:
        return written
    items = "; ".join(
        (f"{r.label}: {stats.format_rounded(r.met_pct)}% ({r.met_n} of {r.due_n} due, 95% interval "
         f"{stats.format_rounded(r.ci_low_pct)} to {stats.format_rounded(r.ci_high_pct)})"
         if r.due_n else f"{r.label}: none due")
        + (f", {r.not_yet_due_n} not yet due" if r.not_yet_due_n else "")
        for r in sm.itertuples())
    fig = fg.pct_bar_chart(sm, label="short_label", value="met_pct", low="ci_low_pct",
                           high="ci_high_pct", n="due_n",
                           xlabel="% of cases due that met the timescale (95% interval)")
    written += fg.save_figure(
        fig, Path(fig_dir) if fig_dir is not None else out_dir / "figures", "timescales__summary",
        caption=("Share of audited cases meeting each statutory timescale, of those due by the "
                 "census date, with 95% Wilson intervals; cases not yet due are left out."),
        alt=f"Horizontal bar chart of four timescales. {items}.",
        data=sm).values()
    return list(written)
