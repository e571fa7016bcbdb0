"""Monitoring: the monthly child-protection flow, by county and area, with SPC signals.

Rules (data contract, "monitoring"; issue 3, item 4):

- One row per month and area; ``County`` rows are the authority. The data have
  been reconciled by the validator (cpp_open of a month = the month before +
  cpp_started - cpp_ended; County = sum of the areas), so the net change in
  cpp_open is the month-on-month difference, blank for an area's first month.
- Rates per 10,000 children use ``child_population`` of ``review.yml`` when given.
- XmR charts (NHS "Making Data Count", ``pipeline.stats.xmr``) of referrals,
  S47 enquiries, initial conferences and cpp_open, limits from the first
  ``params.monitoring.baseline_months`` months, recalculated after a sustained
  shift (issue 12, item 5): a run of ``shift_run`` months on one side of the
  mean starts a new period with limits from its own first
  ``baseline_months`` months, or as many as it has.
- ``monitoring__signals`` lists every special-cause month of every measure
  and every month where the limits step, never a selection.
- ``cpp_open_change_pct``: change in the County cpp_open over the twelve months
  to the last month, last month against the same month a year earlier, in percent.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.outputs import write_csv
from pipeline import stats
from pipeline.params import Params

COUNT_COLUMNS = ["referrals", "s47_enquiries", "icpcs", "cpp_started", "cpp_ended", "cpp_open"]
OPTIONAL_COUNT_COLUMNS = ["cin_open", "lac_open"]

#: The measures charted with XmR, and their labels for people.
SPC_MEASURES = {
    "referrals": "Referrals",
    "s47_enquiries": "Section 47 enquiries",
    "icpcs": "Initial child protection conferences",
    "cpp_open": "Children with a child protection plan (month end)",
}

#: xmr columns carried into the tables, prefixed with the measure name.
_XMR_COLUMNS = [
    "mean",
    "ucl",
    "lcl",
    "mr",
    "is_outside_limits",
    "is_shift",
    "is_trend",
    "is_two_of_three",
    "is_special_cause",
    "special_cause_label",
    "period",
    "is_period_start",
]
_RULE_NAMES = {
    "is_outside_limits": "outside limits",
    "is_two_of_three": "two of three beyond 2 sigma",
    "is_shift": "shift",
    "is_trend": "trend",
}

COUNTY = "County"


def _is_county(area: pd.Series) -> pd.Series:
    return area.astype("string").str.strip().str.casefold() == COUNTY.casefold()


def _counts(df: pd.DataFrame) -> list[str]:
    return COUNT_COLUMNS + [c for c in OPTIONAL_COUNT_COLUMNS if c in df]


def _net_change(df: pd.DataFrame, by: list[str]) -> pd.Series:
    """Month-on-month change in cpp_open, blank (NA) for the first month of each group."""
    open_ = df["cpp_open"].astype("Int64")
    if by:
        return open_.groupby([df[b] for b in by]).diff().astype("Int64")
    return open_.diff().astype("Int64")


def _spc(df: pd.DataFrame, params: Params) -> pd.DataFrame:
    """Add ``<measure>_<xmr column>`` for each SPC measure (rows in month order)."""
    out = df.copy()
    if len(out) < 2:
        return out
    baseline = min(params.monitoring.baseline_months, len(out))
    for m in SPC_MEASURES:
        x = stats.xmr(
            out[m].astype("float64"),
            baseline_n=baseline,
            shift_run=params.monitoring.shift_run,
            trend_run=params.monitoring.trend_run,
            recalculate=True,
        )
        for col in _XMR_COLUMNS:
            out[f"{m}_{col}"] = x[col].to_numpy()
    return out


def county_table(
    monitoring: pd.DataFrame, params: Params, child_population: int | None = None
) -> pd.DataFrame:
    """``monitoring__county``: one row per month of the County rows, oldest first.

    Columns: month, the counts, ``cpp_open_net_change_n`` (blank for the first
    month), ``cpp_open_per_10k`` and ``referrals_per_10k`` (count / child
    population x 10,000; blank without ``child_population``), and for each SPC
    measure the xmr columns prefixed with its name (``referrals_ucl``,
    ``cpp_open_is_special_cause``, ...).
    """
    df = monitoring[_is_county(monitoring["area"])]
    cols = ["month"] + _counts(df)
    df = df.sort_values("month", kind="stable")[cols].reset_index(drop=True)
    for c in _counts(df):
        df[c] = df[c].astype("Int64")
    df["cpp_open_net_change_n"] = _net_change(df, [])
    pop = float(child_population) if child_population else np.nan
    df["cpp_open_per_10k"] = df["cpp_open"].astype("float64") / pop * 10_000
    df["referrals_per_10k"] = df["referrals"].astype("float64") / pop * 10_000
    return _spc(df, params)


def area_table(monitoring: pd.DataFrame) -> pd.DataFrame:
    """``monitoring__areas``: one row per area (County excluded) and month.

    The counts and ``cpp_open_net_change_n``, the change in cpp_open from the
    area's month before (blank for its first month).
    """
    df = monitoring[~_is_county(monitoring["area"])]
    cols = ["area", "month"] + _counts(df)
    df = df.sort_values(["area", "month"], kind="stable")[cols].reset_index(drop=True)
    for c in _counts(df):
        df[c] = df[c].astype("Int64")
    df["cpp_open_net_change_n"] = _net_change(df, ["area"])
    return df


def cpp_open_change(county: pd.DataFrame) -> tuple[float, pd.Timestamp | None, pd.Timestamp | None]:
    """(change in percent, from month, to month) of County cpp_open over twelve months.

    Last month against the same month a year earlier; NaN when that month is
    not in the data or its cpp_open is 0.
    """
    if county.empty:
        return np.nan, None, None
    last = pd.Timestamp(county["month"].max())
    first = last - pd.DateOffset(months=12)
    by_month = county.set_index("month")["cpp_open"]
    if first not in by_month.index:
        return np.nan, first, last
    before, after = float(by_month.loc[first]), float(by_month.loc[last])
    if before == 0:
        return np.nan, first, last
    return 100 * (after - before) / before, first, last


def measures_table(county: pd.DataFrame) -> pd.DataFrame:
    """``monitoring__measures``: ``cpp_open_change_pct`` (data contract), unit %, n = 12 months.

    n is the span in months of the comparison (last month against the same
    month a year earlier); ``from_month`` and ``to_month`` name the two months.
    """
    value, first, last = cpp_open_change(county)
    return pd.DataFrame(
        {
            "measure": ["cpp_open_change_pct"],
            "value": [value],
            "unit": ["%"],
            "n": pd.array([12], dtype="Int64"),
            "from_month": pd.to_datetime([first]),
            "to_month": pd.to_datetime([last]),
        }
    )


def signals_table(county: pd.DataFrame) -> pd.DataFrame:
    """``monitoring__signals``: the special-cause points of the County XmR charts.

    One row per measure and month that is special cause or starts a new
    period of limits, every one of them, in measure then month order: its
    value, the mean and limits of its period, direction ("high"/"low", from
    ``stats.xmr``; blank for a step alone), the rules that fired ("; "-joined,
    with "limits recalculated after a sustained shift" where the limits step),
    period and is_period_start.
    """
    rows = []
    for m in SPC_MEASURES:
        flag = f"{m}_is_special_cause"
        if flag not in county:
            continue
        hit = county[flag].astype(bool) | county[f"{m}_is_period_start"].astype(bool)
        for _, r in county[hit].iterrows():
            rules = [name for col, name in _RULE_NAMES.items() if bool(r[f"{m}_{col}"])]
            if bool(r[f"{m}_is_period_start"]):
                rules.append("limits recalculated after a sustained shift")
            rows.append(
                {
                    "measure": m,
                    "month": r["month"],
                    "value": float(r[m]),
                    "mean": float(r[f"{m}_mean"]),
                    "direction": r[f"{m}_special_cause_label"],
                    "rules": "; ".join(rules),
                    "lcl": float(r[f"{m}_lcl"]),
                    "ucl": float(r[f"{m}_ucl"]),
                    "period": int(r[f"{m}_period"]),
                    "is_period_start": bool(r[f"{m}_is_period_start"]),
                }
            )
    cols = ["measure", "month", "value", "mean", "direction", "rules", "lcl", "ucl", "period",
            "is_period_start"]
    out = pd.DataFrame(rows, columns=cols)
    out["month"] = pd.to_datetime(out["month"])
    return out


# --------------------------------------------------------------------------- figures


def xmr_frame(county: pd.DataFrame, measure: str) -> pd.DataFrame:
    """The ``stats.xmr`` frame of one measure back out of the county table, with its month."""
    out = pd.DataFrame({"month": county["month"], "value": county[measure].astype("float64")})
    for col in _XMR_COLUMNS:
        out[col] = county[f"{measure}_{col}"]
    return out.reset_index(drop=True)


def xmr_figure(county: pd.DataFrame, measure: str, params: Params):
    """XmR chart of one County measure (``figures.xmr_chart``). Returns (fig, caption, alt, data)."""
    from pipeline import figures

    label = SPC_MEASURES[measure]
    chart = xmr_frame(county, measure)
    fig = figures.xmr_chart(chart, title=f"{label}, County", ylabel="Per month" if measure != "cpp_open"
                            else "At month end", x=chart["month"].dt.to_pydatetime())
    baseline = min(params.monitoring.baseline_months, len(chart))
    special = chart["is_special_cause"].astype(bool)
    months = chart["month"]
    steps = months[chart["is_period_start"].astype(bool)]
    stepped = ("" if steps.empty else
               "; limits recalculated after a sustained shift from "
               + ", ".join(f"{m:%b %Y}" for m in steps)
               + f", each from its first {params.monitoring.baseline_months} months or as many as it has")
    caption = (
        f"{label}, County, by month: XmR chart, mean and process limits from the first {baseline} months "
        f"({months.iloc[0]:%b %Y} to {months.iloc[baseline - 1]:%b %Y}){stepped}; triangles mark "
        "special-cause variation (NHS Making Data Count rules)."
    )
    alt = (
        f"Line chart of {label.lower()} per month from {months.iloc[0]:%B %Y} to {months.iloc[-1]:%B %Y}, "
        f"from {stats.format_rounded(chart['value'].iloc[0])} to {stats.format_rounded(chart['value'].iloc[-1])}. "
        "Baseline mean "
        f"{stats.format_rounded(chart['mean'].iloc[0])}, process limits {stats.format_rounded(chart['lcl'].iloc[0])} "
        f"to {stats.format_rounded(chart['ucl'].iloc[0])}. "
    )
    if not steps.empty:
        last = chart.iloc[-1]
        alt += (f"After a sustained shift the limits were recalculated from "
                f"{', '.join(f'{m:%B %Y}' for m in steps)}; the last period has mean "
                f"{stats.format_rounded(last['mean'])}, process limits {stats.format_rounded(last['lcl'])} "
                f"to {stats.format_rounded(last['ucl'])}. ")
    if special.any():
        hi = int((chart["special_cause_label"] == "high").sum())
        lo = int((chart["special_cause_label"] == "low").sum())
        alt += (
            f"{int(special.sum())} months show special-cause variation ({hi} high, {lo} low), "
            f"the first in {months[special].min():%B %Y}."
        )
    else:
        alt += "No month shows special-cause variation."
    return fig, caption, alt, chart


def area_trend_figure(areas: pd.DataFrame):
    """cpp_open by month for each area, lines with distinct markers. Returns (fig, caption, alt, data)."""
    from pipeline import figures

    markers = ["o", "s", "^", "v", "D", "P", "X", "*"]
    fig = figures.new_figure(width=7.0, height=3.6)
    parts = []
    with figures.house_style():
        ax = fig.add_subplot()
        for i, (area, g) in enumerate(areas.groupby("area", sort=True)):
            ax.plot(g["month"].dt.to_pydatetime(), g["cpp_open"].astype(float), marker=markers[i % len(markers)],
                    markersize=3.5, color=figures.PALETTE[i % len(figures.PALETTE)], label=str(area))
            ax.annotate(str(area), (g["month"].iloc[-1], float(g["cpp_open"].iloc[-1])), xytext=(4, 0),
                        textcoords="offset points", fontsize=8, va="center")
            parts.append(f"{area} from {g['cpp_open'].iloc[0]} to {g['cpp_open'].iloc[-1]}")
        ax.set_ylabel("Children with a CP plan (month end)")
        ax.set_ylim(bottom=0)
        ax.legend(loc="upper left", fontsize=8)
    caption = "Children with a child protection plan at month end, by area."
    alt = (
        f"Line chart of children with a child protection plan at month end by area, "
        f"{areas['month'].min():%B %Y} to {areas['month'].max():%B %Y}: " + "; ".join(parts) + "."
    )
    return fig, caption, alt, areas[["area", "month", "cpp_open", "cpp_open_net_change_n"]]


# --------------------------------------------------------------------------- outputs




NEEDS = ("monitoring",)


def write_outputs(review, params: Params, out_dir: Path | str, fig_dir: Path | str | None = None,
                  figures: bool = True) -> list[Path]:
    """Write the monitoring tables (and figures) of a review; [] when it has no monitoring table."""
    monitoring = review.table("monitoring")
    if monitoring is None or monitoring.empty:
        return []
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    county = county_table(monitoring, params, review.meta.get("child_population"))
    areas = area_table(monitoring)
    written = [
        write_csv(county, out_dir / "monitoring__county.csv"),
        write_csv(areas, out_dir / "monitoring__areas.csv"),
        write_csv(measures_table(county), out_dir / "monitoring__measures.csv"),
        write_csv(signals_table(county), out_dir / "monitoring__signals.csv"),
    ]
    if figures and len(county) >= 2:
        from pipeline import figures as fg

        figs = [(f"monitoring__xmr_{m}", xmr_figure(county, m, params)) for m in SPC_MEASURES]
        if not areas.empty:
            figs.append(("monitoring__cpp_open_by_area", area_trend_figure(areas)))
        for name, (fig, caption, alt, data) in figs:
            data = data.assign(month=data["month"].dt.strftime("%Y-%m"))
            paths = fg.save_figure(fig, Path(fig_dir) if fig_dir else out_dir / "figures", name, caption=caption,
                                   alt=alt, data=data)
            written += list(paths.values())
    return written
