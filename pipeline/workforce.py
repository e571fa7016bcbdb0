"""Workforce: vacancies, caseloads and agency staff, by team, area and county.

Rules (data contract, "workforce"):

- The latest period is the greatest ``period``.
- ``vacancy_fte = max(established_fte - in_post_fte, 0)``: a team with more
  permanent staff in post than funded posts has no vacancy, not a negative one.
- Caseload per worker = (cases_cp + cases_lac + cases_cin) / (in_post_fte + agency_fte);
  agency share = agency_fte / (in_post_fte + agency_fte).
- A rate over several teams is a **ratio of sums** (sum of vacancy_fte over sum
  of established_fte), never a mean of team rates: a small team with a high
  rate must not weigh as much as a large one.

Every function is pure: typed frames (``pipeline.load``) and ``Params`` in,
tidy frames out. ``write_outputs`` writes the published tables and figures.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.outputs import write_csv
from pipeline import stats
from pipeline.params import Params

#: The FTE and case columns summed before any ratio is taken.
SUM_COLUMNS = [
    "established_fte",
    "in_post_fte",
    "agency_fte",
    "vacancy_fte",
    "cases_cp",
    "cases_lac",
    "cases_cin",
]

#: Workforce measures an evidence row may name (data contract), with their units.
MEASURE_UNITS = {
    "vacancy_pct": "%",
    "caseload_per_worker": "cases per worker",
    "agency_pct": "%",
}


def _ratio(num: pd.Series | float, den: pd.Series | float) -> pd.Series | float:
    """num / den as float, NaN (never inf) where den is 0 or missing."""
    num = pd.to_numeric(num).astype("float64") if isinstance(num, pd.Series) else float(num)
    den = pd.to_numeric(den).astype("float64") if isinstance(den, pd.Series) else float(den)
    if isinstance(den, pd.Series):
        return num / den.where(den != 0)
    return num / den if den else np.nan


def _with_rates(df: pd.DataFrame) -> pd.DataFrame:
    """Add the rates to a frame holding the summed columns of ``SUM_COLUMNS``.

    Works the same for a team row and for an area or county row whose columns
    are already sums, so every level is a ratio of sums.
    """
    out = df.copy()
    workers = out["in_post_fte"] + out["agency_fte"]
    out["vacancy_pct"] = 100 * _ratio(out["vacancy_fte"], out["established_fte"])
    out["caseload_per_worker"] = _ratio(
        out["cases_cp"] + out["cases_lac"] + out["cases_cin"], workers
    )
    out["cp_per_worker"] = _ratio(out["cases_cp"], workers)
    out["lac_per_worker"] = _ratio(out["cases_lac"], workers)
    out["cin_per_worker"] = _ratio(out["cases_cin"], workers)
    out["agency_pct"] = 100 * _ratio(out["agency_fte"], workers)
    return out


def latest_period(workforce: pd.DataFrame) -> pd.Timestamp:
    """The latest snapshot: the greatest ``period`` (data contract)."""
    return pd.Timestamp(workforce["period"].max())


def team_rows(workforce: pd.DataFrame, teams: pd.DataFrame) -> pd.DataFrame:
    """Every (period, team) row with its area and ``vacancy_fte`` floored at 0."""
    cols = ["team_id", "team_name", "area"] if "team_name" in teams else ["team_id", "area"]
    df = workforce.merge(teams[cols], on="team_id", how="left", validate="many_to_one")
    for col in ["established_fte", "in_post_fte", "agency_fte"]:
        df[col] = pd.to_numeric(df[col]).astype("float64")
    for col in ["cases_cp", "cases_lac", "cases_cin"]:
        df[col] = pd.to_numeric(df[col]).astype("Int64")
    df["vacancy_fte"] = (df["established_fte"] - df["in_post_fte"]).clip(lower=0)
    return df


def team_table(
    workforce: pd.DataFrame,
    teams: pd.DataFrame,
    params: Params,
    period: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """``workforce__teams``: one row per team at the latest period (or ``period``).

    ``is_above_vacancy_threshold`` is True when the team's vacancy_pct is strictly
    above ``params.workforce.vacancy_threshold_pct``.
    """
    period = latest_period(workforce) if period is None else pd.Timestamp(period)
    df = team_rows(workforce, teams)
    df = df[df["period"] == period]
    df = _with_rates(df)
    threshold = params.workforce.vacancy_threshold_pct
    df["is_above_vacancy_threshold"] = (df["vacancy_pct"] > threshold).fillna(False).astype(bool)
    first = ["period", "team_id"] + (["team_name"] if "team_name" in df else []) + ["area"]
    cols = first + [
        "established_fte",
        "in_post_fte",
        "agency_fte",
        "vacancy_fte",
        "vacancy_pct",
        "caseload_per_worker",
        "cp_per_worker",
        "lac_per_worker",
        "cin_per_worker",
        "agency_pct",
        "cases_cp",
        "cases_lac",
        "cases_cin",
        "is_above_vacancy_threshold",
    ]
    return df.sort_values(["area", "team_id"], kind="stable")[cols].reset_index(drop=True)


def _aggregate(df: pd.DataFrame, by: list[str], threshold: float) -> pd.DataFrame:
    """Sum the FTE and case columns over ``by`` and take the ratios of the sums."""
    team_vac = 100 * _ratio(df["vacancy_fte"], df["established_fte"])
    df = df.assign(_above=(team_vac > threshold).fillna(False).astype(int))
    agg = df.groupby(by, sort=True, dropna=False).agg(
        **{c: (c, "sum") for c in SUM_COLUMNS},
        teams_n=("team_id", "nunique"),
        teams_above_threshold_n=("_above", "sum"),
    )
    return _with_rates(agg.reset_index())


_LEVEL_COLUMNS = [
    "level",
    "name",
    "vacancy_pct",
    "caseload_per_worker",
    "cp_per_worker",
    "lac_per_worker",
    "cin_per_worker",
    "agency_pct",
    "teams_n",
    "teams_above_threshold_n",
    *SUM_COLUMNS,
]


def _levels(df: pd.DataFrame, threshold: float, extra_by: list[str]) -> pd.DataFrame:
    county = _aggregate(df.assign(level="county", name="County"), extra_by + ["level", "name"], threshold)
    areas = _aggregate(df.assign(level="area", name=df["area"]), extra_by + ["level", "name"], threshold)
    out = pd.concat([county, areas], ignore_index=True)
    out["teams_n"] = out["teams_n"].astype("Int64")
    out["teams_above_threshold_n"] = out["teams_above_threshold_n"].astype("Int64")
    return out[extra_by + _LEVEL_COLUMNS]


def summary_table(
    workforce: pd.DataFrame,
    teams: pd.DataFrame,
    params: Params,
    period: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """``workforce__summary``: the county and each area at the latest period.

    Every rate is a ratio of sums over the teams of the level (data contract),
    e.g. county vacancy_pct = 100 * sum(vacancy_fte) / sum(established_fte).
    ``teams_above_threshold_n`` counts teams strictly above the vacancy threshold.
    """
    period = latest_period(workforce) if period is None else pd.Timestamp(period)
    df = team_rows(workforce, teams)
    df = df[df["period"] == period]
    return _levels(df, params.workforce.vacancy_threshold_pct, []).reset_index(drop=True)


def trend_table(workforce: pd.DataFrame, teams: pd.DataFrame, params: Params) -> pd.DataFrame:
    """``workforce__trend``: the county and area rows of every snapshot period.

    Same ratios of sums as ``summary_table``, one block per period, oldest first.
    Note that the set of teams may change between periods (``teams_n``).
    """
    df = team_rows(workforce, teams)
    out = _levels(df, params.workforce.vacancy_threshold_pct, ["period"])
    out["_county_first"] = (out["level"] != "county").astype(int)
    out = out.sort_values(["period", "_county_first", "name"], kind="stable")
    return out.drop(columns="_county_first").reset_index(drop=True)


def measures_table(workforce: pd.DataFrame, teams: pd.DataFrame, params: Params) -> pd.DataFrame:
    """``workforce__measures``: the measures an evidence row may name (data contract).

    vacancy_pct, caseload_per_worker and agency_pct over the latest period for the
    whole authority (ratios of sums); n is the number of teams they rest on.
    """
    county = summary_table(workforce, teams, params).query("level == 'county'").iloc[0]
    return pd.DataFrame(
        {
            "measure": list(MEASURE_UNITS),
            "value": [float(county[m]) for m in MEASURE_UNITS],
            "unit": list(MEASURE_UNITS.values()),
            "n": pd.array([int(county["teams_n"])] * len(MEASURE_UNITS), dtype="Int64"),
        }
    )


# --------------------------------------------------------------------------- figures


def vacancy_figure(team_tbl: pd.DataFrame, params: Params):
    """Bar chart of vacancy_pct by team, threshold line, teams above it labelled.

    Returns (fig, caption, alt, data). Teams above the threshold differ by
    hatching and a text label as well as colour, so colour alone never carries
    meaning (issue 3, item 5).
    """
    from pipeline import figures

    threshold = params.workforce.vacancy_threshold_pct
    df = team_tbl.sort_values(["area", "vacancy_pct"], ascending=[True, False], kind="stable")
    df = df.reset_index(drop=True)
    labels = (df["team_name"] if "team_name" in df else df["team_id"]).astype(str)
    above = df["is_above_vacancy_threshold"].to_numpy(dtype=bool)
    fig = figures.new_figure(width=7.0, height=max(2.5, 0.26 * len(df) + 1.2))
    with figures.house_style():
        ax = fig.add_subplot()
        y = np.arange(len(df))
        vals = df["vacancy_pct"].fillna(0).to_numpy(dtype=float)
        bars = ax.barh(y, vals, color=[figures.PALETTE[3] if a else figures.PALETTE[0] for a in above],
                       edgecolor="black", linewidth=0.4, height=0.7)
        for bar, a in zip(bars, above):
            bar.set_hatch("xx" if a else "")
        for yi, a, v in zip(y, above, vals):
            ax.text(v + 0.8, yi, f"{stats.format_rounded(v)}%" + ("  above threshold" if a else ""), va="center",
                    fontsize=8)
        ax.axvline(threshold, color="black", linestyle="--", linewidth=0.9)
        ax.text(threshold, -0.8, f" threshold {threshold:g}%", fontsize=8, va="bottom")
        ax.set_yticks(y, [f"{label} ({a})" for label, a in zip(labels, df["area"].astype(str))], fontsize=8)
        ax.invert_yaxis()
        ax.set_xlim(0, max(threshold + 15, float(np.nanmax(vals, initial=0)) + 18))
        ax.set_xlabel("Vacancy (% of established FTE)")
    n_above = int(above.sum())
    county = 100 * df["vacancy_fte"].sum() / df["established_fte"].sum()
    caption = (
        f"Vacancy rate by team at the latest snapshot; dashed line: threshold of {threshold:g}%. "
        f"County rate {stats.format_rounded(county)}% (vacant FTE over established FTE, all teams)."
    )
    alt = (
        f"Horizontal bar chart of the vacancy rate of {len(df)} teams, grouped by area. "
        f"{n_above} team{'s are' if n_above != 1 else ' is'} above the {threshold:g}% threshold"
        + (": " + ", ".join(labels[above]) if n_above else "")
        + f". County vacancy rate {stats.format_rounded(county)}%."
    )
    data = df[["team_id", "area", "established_fte", "vacancy_fte", "vacancy_pct", "is_above_vacancy_threshold"]]
    return fig, caption, alt, data


def caseload_figure(team_tbl: pd.DataFrame):
    """Stacked bars of caseload per worker by team: CP, LAC and CIN cases.

    Returns (fig, caption, alt, data). Segments differ by hatching as well as colour.
    """
    from pipeline import figures

    df = team_tbl.sort_values(["area", "caseload_per_worker"], ascending=[True, False], kind="stable")
    df = df.reset_index(drop=True)
    labels = (df["team_name"] if "team_name" in df else df["team_id"]).astype(str)
    fig = figures.new_figure(width=7.0, height=max(2.5, 0.26 * len(df) + 1.4))
    with figures.house_style():
        ax = fig.add_subplot()
        y = np.arange(len(df))
        left = np.zeros(len(df))
        parts = [("cp_per_worker", "Child protection", ""), ("lac_per_worker", "Looked after", "//"),
                 ("cin_per_worker", "Child in need", "..")]
        for i, (col, name, hatch) in enumerate(parts):
            vals = df[col].fillna(0).to_numpy(dtype=float)
            ax.barh(y, vals, left=left, color=figures.PALETTE[i], hatch=hatch, edgecolor="black",
                    linewidth=0.4, height=0.7, label=name)
            left += vals
        for yi, v in zip(y, df["caseload_per_worker"]):
            if not pd.isna(v):
                ax.text(v + 0.3, yi, f"{stats.format_rounded(v, 1)}", va="center", fontsize=8)
        ax.set_yticks(y, [f"{label} ({a})" for label, a in zip(labels, df["area"].astype(str))], fontsize=8)
        ax.invert_yaxis()
        top = float(np.nanmax(df["caseload_per_worker"].to_numpy(dtype=float), initial=0))
        ax.set_xlim(0, top * 1.12 + 1)
        ax.set_xlabel("Open cases per worker (in post + agency FTE)")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08 if len(df) > 10 else -0.2), ncols=3, fontsize=8)
    workers = df["in_post_fte"].sum() + df["agency_fte"].sum()
    county = float(df["cases_cp"].sum() + df["cases_lac"].sum() + df["cases_cin"].sum()) / workers
    caption = (
        "Open cases per worker by team at the latest snapshot, split into child protection, "
        f"looked-after and child-in-need cases. County: {stats.format_rounded(county, 1)} cases per worker."
    )
    alt = (
        f"Stacked horizontal bar chart of caseload per worker for {len(df)} teams. "
        f"County {stats.format_rounded(county, 1)} cases per worker (all cases over all workers)."
    )
    if df["caseload_per_worker"].notna().any():
        hi = df.loc[df["caseload_per_worker"].idxmax()]
        lo = df.loc[df["caseload_per_worker"].idxmin()]
        alt += (
            f" Highest: {labels[hi.name]} with {stats.format_rounded(hi['caseload_per_worker'], 1)};"
            f" lowest: {labels[lo.name]} with {stats.format_rounded(lo['caseload_per_worker'], 1)}."
        )
    data = df[["team_id", "area", "cp_per_worker", "lac_per_worker", "cin_per_worker", "caseload_per_worker",
               "cases_cp", "cases_lac", "cases_cin", "in_post_fte", "agency_fte"]]
    return fig, caption, alt, data


# --------------------------------------------------------------------------- outputs




NEEDS = ("teams", "workforce")


def write_outputs(review, params: Params, out_dir: Path | str, fig_dir: Path | str | None = None,
                  figures: bool = True) -> list[Path]:
    """Write the workforce tables (and figures) of a review; [] when it has no workforce table."""
    workforce = review.table("workforce")
    teams = review.table("teams")
    if workforce is None or teams is None or workforce.empty:
        return []
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    teams_tbl = team_table(workforce, teams, params)
    written = [
        write_csv(teams_tbl, out_dir / "workforce__teams.csv"),
        write_csv(summary_table(workforce, teams, params), out_dir / "workforce__summary.csv"),
        write_csv(trend_table(workforce, teams, params), out_dir / "workforce__trend.csv"),
        write_csv(measures_table(workforce, teams, params), out_dir / "workforce__measures.csv"),
    ]
    if figures:
        from pipeline import figures as fg

        for name, (fig, caption, alt, data) in [
            ("workforce__vacancy_by_team", vacancy_figure(teams_tbl, params)),
            ("workforce__caseload_composition", caseload_figure(teams_tbl)),
        ]:
            paths = fg.save_figure(fig, Path(fig_dir) if fig_dir else out_dir / "figures", name, caption=caption,
                                   alt=alt, data=data)
            written += list(paths.values())
    return written
