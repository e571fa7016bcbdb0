"""The charts of the annual report, drawn from disclosure-safe data only.

Each chart draws :func:`pipeline.disclosure.chart_safe` data and its alt text
is written from that same data, so neither can state a hidden number.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline import disclosure as dc
from pipeline import figures as fg
from pipeline.papers.annual_years import Year
from pipeline.papers.format import month_label, name_list, num, pct
from pipeline.papers.tables import figure_ref


def _save(fig, workspace: Path, name: str, caption: str, alt: str, data: pd.DataFrame) -> str:
    paths = fg.save_figure(fig, workspace / "figures", name, caption=caption, alt=alt, data=data)
    return figure_ref(caption, f"figures/{paths['png'].name}", alt)


def trend_chart(years: list[Year], tables: list[dc.SuppressedTable], workspace: Path) -> str:
    """Small multiples: one panel per criterion, compliance by year with 95% intervals; hidden values are gaps.

    Only :func:`pipeline.disclosure.chart_safe` data is drawn, and the alt text
    is written from that same data, so it cannot state a hidden number.
    """
    labels = [y.label for y in years]
    safe = [dc.chart_safe(t) for t in tables]
    ids = list(tables[-1].frame.index)
    long = pd.DataFrame([(cid, y, s.at[cid, "compliance_pct"] if cid in s.index else np.nan,
                          s.at[cid, "ci_low_pct"] if cid in s.index else np.nan,
                          s.at[cid, "ci_high_pct"] if cid in s.index else np.nan)
                         for cid in ids for y, s in zip(labels, safe)],
                        columns=["criterion_id", "year", "compliance_pct", "ci_low_pct", "ci_high_pct"])
    ncols = 4
    nrows = math.ceil(len(ids) / ncols)
    fig = fg.new_figure(7.0, 1.25 * nrows + 0.6)
    with fg.house_style():
        axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False)
        x = np.arange(len(labels))
        for ax, cid in zip(axes.ravel(), ids):
            d = long[long["criterion_id"] == cid]
            v = d["compliance_pct"].to_numpy(dtype="float64")
            lo, hi = d["ci_low_pct"].to_numpy(dtype="float64"), d["ci_high_pct"].to_numpy(dtype="float64")
            ax.plot(x, v, color=fg.PALETTE[0], marker="o", markersize=3.5, linewidth=1.2)
            ax.errorbar(x, v, yerr=np.vstack([v - lo, hi - v]), fmt="none", ecolor="black", elinewidth=0.8, capsize=2)
            for xi, vi in zip(x, v):
                if np.isnan(vi):
                    ax.text(xi, 50, dc.SUPPRESSED, ha="center", va="center", fontsize=8, style="italic")
            ax.set_title(cid, loc="left", fontsize=8)
            ax.set_ylim(0, 100)
            ax.set_yticks([0, 50, 100])
            ax.set_xticks(x, labels, fontsize=6.5)
            ax.tick_params(axis="y", labelsize=7)
        for ax in axes.ravel()[len(ids):]:
            ax.set_visible(False)
        fig.supylabel("Compliance (%)", fontsize=8)
    parts = []
    for cid in ids:
        d = long[long["criterion_id"] == cid]["compliance_pct"].tolist()
        vals = ", ".join(dc.SUPPRESSED if pd.isna(v) else pct(v) for v in d)
        parts.append(f"{cid}: {vals}")
    alt = (f"Small multiples, one panel per audit criterion, of the share of cases compliant in "
           f"{name_list(labels)}, with 95% intervals as whiskers. In year order: " + "; ".join(parts)
           + ". A suppressed figure (c) is left as a gap.")
    caption = f"Compliance with each audit criterion, {labels[0]} to {labels[-1]}, with 95% intervals."
    return _save(fig, workspace, "annual__criterion_trend", caption, alt, long)


def timescale_chart(years: list[Year], tables: list[dc.SuppressedTable], workspace: Path) -> str:
    labels = [y.label for y in years]
    safe = [dc.chart_safe(t) for t in tables]
    ids = list(tables[-1].frame.index)
    names = tables[-1].frame["short_label"]
    long = pd.DataFrame([(mid, names[mid], y, s.at[mid, "met_pct"] if mid in s.index else np.nan,
                          s.at[mid, "ci_low_pct"] if mid in s.index else np.nan,
                          s.at[mid, "ci_high_pct"] if mid in s.index else np.nan)
                         for mid in ids for y, s in zip(labels, safe)],
                        columns=["measure_id", "label", "year", "met_pct", "ci_low_pct", "ci_high_pct"])
    fig = fg.new_figure(7.0, 3.2)
    markers = ["o", "s", "^", "D", "v", "P"]
    with fg.house_style():
        ax = fig.add_subplot()
        x = np.arange(len(labels))
        for i, mid in enumerate(ids):
            d = long[long["measure_id"] == mid]
            v = d["met_pct"].to_numpy(dtype="float64")
            off = (i - (len(ids) - 1) / 2) * 0.06
            ax.errorbar(x + off, v, yerr=np.vstack([v - d["ci_low_pct"].to_numpy(dtype="float64"),
                                                    d["ci_high_pct"].to_numpy(dtype="float64") - v]),
                        color=fg.PALETTE[i % len(fg.PALETTE)], marker=markers[i % len(markers)], markersize=4,
                        linewidth=1.2, elinewidth=0.8, capsize=2, label=names[mid])
        ax.set_xticks(x, labels)
        ax.set_ylim(0, 105)
        ax.set_ylabel("Met within the timescale (%)")
        ax.legend(loc="lower left", fontsize=7)
    parts = []
    for mid in ids:
        d = long[long["measure_id"] == mid]["met_pct"].tolist()
        parts.append(f"{names[mid]}: " + ", ".join(dc.SUPPRESSED if pd.isna(v) else pct(v) for v in d))
    alt = (f"Line chart of the share of cases meeting each statutory timescale in {name_list(labels)}, with 95% "
           "intervals; each timescale has its own marker shape. In year order: " + "; ".join(parts)
           + ". A suppressed figure (c) is left as a gap.")
    caption = f"Statutory timescales met, {labels[0]} to {labels[-1]}, with 95% intervals."
    return _save(fig, workspace, "annual__timescale_trend", caption, alt, long)


def monitoring_chart(series: dc.SuppressedTable, workspace: Path) -> str:
    data = dc.chart_safe(series)
    fig = fg.new_figure(7.0, 3.0)
    with fg.house_style():
        ax = fig.add_subplot()
        months = pd.to_datetime(data["month"] + "-01")
        ax.plot(months, data["cpp_open_n"].to_numpy(dtype="float64"), color=fg.PALETTE[0], marker="o", markersize=3,
                linewidth=1.3)
        ax.set_ylabel("Children with a plan")
        ax.set_ylim(bottom=0)
        fig.autofmt_xdate()
    shown = data.dropna(subset=["cpp_open_n"])
    first, last = shown.iloc[0], shown.iloc[-1]
    alt = (f"Line chart of the number of children with a child protection plan at the end of each month, County, "
           f"{month_label(data['month'].iloc[0])} to {month_label(data['month'].iloc[-1])}: "
           f"{num(first['cpp_open_n'])} in {month_label(first['month'])} and {num(last['cpp_open_n'])} in "
           f"{month_label(last['month'])}, lowest {num(shown['cpp_open_n'].min())} and highest "
           f"{num(shown['cpp_open_n'].max())}. Months of suppressed figures are gaps.")
    caption = "Children with a child protection plan at each month end, County."
    return _save(fig, workspace, "annual__cpp_open", caption, alt, data)

