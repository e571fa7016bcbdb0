"""The team self-assessment questionnaire: positive shares, spread, pressures.

Definitions are the data contract's ("questionnaire"): an answer is *answered*
when it is neither blank nor ``na``; the positive share of a question is
(strongly_agree + agree), or yes, over the answered; ``partly`` is answered and
not positive. A *negative* answer is an answered one that is not positive.

Pressures follow the seeds' framing (slides of the February 2009 Board:
"Some pressures are county-wide, others are localised ... Where county-wide and
local pressures coincide, there is increased risk that standards may become
unsafe") as issue 3 defines them: a question whose county positive share is
below ``params.questionnaire.county_pressure_below_pct`` is a county-wide
pressure; a team's negative answer on any other question is a local pressure of
that team; a team with a negative answer on a county-wide pressure and at least
``params.questionnaire.local_pressures_k`` local pressures is a team where the
two coincide.

Free text (``comments``, ``respondent_role``) never reaches any output.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.outputs import write_csv
from pipeline import stats
from pipeline import figures as fg
from pipeline.params import Params

#: The tables ``write_outputs`` needs; without any of them it writes nothing.
NEEDS = ("teams", "questions", "questionnaire")

#: Response codes of each scale, in the order a reader expects them (data contract).
SCALE_CODES: dict[str, tuple[str, ...]] = {
    "agree4": ("strongly_agree", "agree", "disagree", "strongly_disagree"),
    "yes_partly_no": ("yes", "partly", "no"),
}
NA_CODE = "na"
POSITIVE_CODES = frozenset({"strongly_agree", "agree", "yes"})



def response_codes(questions: pd.DataFrame) -> list[str]:
    """The answer codes (na excepted) of the scales the question bank uses, scale by scale."""
    used = set(questions["scale"])
    return [code for scale, codes in SCALE_CODES.items() if scale in used for code in codes]


def answers_long(questionnaire: pd.DataFrame, questions: pd.DataFrame,
                 teams: pd.DataFrame) -> pd.DataFrame:
    """One row per returning team and question, in team-return then bank order.

    Columns: team_id, area, team_type, question_id, theme, scale, answer_code
    (missing when blank), is_blank, is_na, is_answered, is_positive, is_negative.
    Contract: answered = neither blank nor na; positive = strongly_agree, agree or
    yes over the answered; negative = answered and not positive. An answer code
    outside its question's scale raises ValueError (validation should have caught it).
    """
    qids = list(questions["question_id"])
    missing = [q for q in qids if q not in questionnaire.columns]
    if missing:
        raise ValueError(f"questionnaire has no column for question(s) {missing}")
    wide = questionnaire[["team_id", *qids]].copy()
    wide["_order"] = np.arange(len(wide))
    long = wide.melt(id_vars=["team_id", "_order"], value_vars=qids,
                     var_name="question_id", value_name="answer_code")
    long["_qorder"] = long["question_id"].map({q: i for i, q in enumerate(qids)})
    long = long.sort_values(["_order", "_qorder"], kind="stable")
    long = long.merge(questions[["question_id", "theme", "scale"]], on="question_id",
                      how="left", validate="many_to_one")
    long = long.merge(teams[["team_id", "area", "team_type"]], on="team_id",
                      how="left", validate="many_to_one")
    code = long["answer_code"].astype("object").where(long["answer_code"].notna(), None)
    allowed = pd.Series(False, index=long.index)
    for scale, codes in SCALE_CODES.items():  # one pass per scale, not a set per answer
        allowed |= long["scale"].eq(scale) & code.isin([*codes, NA_CODE])
    bad = (code.notna() & ~allowed).to_numpy(dtype=bool)
    if bad.any():
        row = long[bad].iloc[0]
        raise ValueError(f"answer {row['answer_code']!r} of team {row['team_id']} to "
                         f"{row['question_id']} is not a code of scale {row['scale']}")
    long["answer_code"] = code
    long["is_blank"] = long["answer_code"].isna()
    long["is_na"] = long["answer_code"].eq(NA_CODE)
    long["is_answered"] = ~long["is_blank"] & ~long["is_na"]
    long["is_positive"] = long["answer_code"].isin(POSITIVE_CODES)
    long["is_negative"] = long["is_answered"] & ~long["is_positive"]
    cols = ["team_id", "area", "team_type", "question_id", "theme", "scale", "answer_code",
            "is_blank", "is_na", "is_answered", "is_positive", "is_negative"]
    return long[cols].reset_index(drop=True)


def _share(positive_n: pd.Series, answered_n: pd.Series) -> pd.Series:
    """positive over answered, in percent; NaN where nothing was answered."""
    return (100 * positive_n / answered_n.where(answered_n > 0)).astype("float64")


def question_summary(long: pd.DataFrame, questions: pd.DataFrame) -> pd.DataFrame:
    """Counts and positive share per question, in question-bank order.

    Columns: question_id, theme, scale, responses_n (returns), answered_n, na_n,
    blank_n, positive_n, negative_n, positive_pct, then ``<code>_n`` for each
    answer code of the scales in use. Contract: positive share = (strongly_agree
    + agree), or yes, over the answered (neither blank nor na).
    """
    codes = response_codes(questions)
    g = long.groupby("question_id", sort=False)
    out = pd.DataFrame({
        "responses_n": g.size(),
        "answered_n": g["is_answered"].sum(),
        "na_n": g["is_na"].sum(),
        "blank_n": g["is_blank"].sum(),
        "positive_n": g["is_positive"].sum(),
        "negative_n": g["is_negative"].sum(),
    })
    counts = (pd.crosstab(long["question_id"], long["answer_code"])
              .reindex(columns=codes, fill_value=0))
    counts.columns = [f"{c}_n" for c in codes]
    out = out.join(counts, how="left").fillna(0)
    out = questions[["question_id", "theme", "scale"]].merge(
        out, left_on="question_id", right_index=True, how="left", validate="one_to_one")
    count_cols = [c for c in out.columns if c.endswith("_n")]
    out[count_cols] = out[count_cols].fillna(0).astype("int64")
    out.insert(out.columns.get_loc("negative_n") + 1, "positive_pct",
               _share(out["positive_n"], out["answered_n"]))
    return out.reset_index(drop=True)


def response(questionnaire: pd.DataFrame, teams: pd.DataFrame) -> pd.DataFrame:
    """``questionnaire__response``: how many of the units asked replied, and whether intervals apply.

    Rule (issue 12, item 4): the units asked are the rows of ``teams`` (every
    unit sent the questionnaire); a unit replied when it has a return. When
    every unit replied the shares describe all of them and carry no interval
    (``is_census``); otherwise they estimate the shares of all the units asked,
    and ``intervals_apply``: Wilson intervals with the finite-population
    correction for the units asked (``pipeline.stats``), in
    ``questionnaire__question_summary``. One row for all units (``group``
    ``all``), then one per agency when ``teams`` has the column. Columns:
    group, units_asked_n, units_replied_n, response_rate_pct, is_census,
    intervals_apply.
    """
    replied = set(questionnaire["team_id"].dropna())
    groups = [("all", teams)]
    if "agency" in teams.columns and teams["agency"].nunique() > 1:
        groups += [(str(a), teams[teams["agency"] == a]) for a in dict.fromkeys(teams["agency"].dropna())]
    rows = []
    for name, sub in groups:
        asked = len(sub)
        got = int(sub["team_id"].isin(replied).sum())
        rows.append({"group": name, "units_asked_n": asked, "units_replied_n": got,
                     "response_rate_pct": 100 * got / asked if asked else np.nan,
                     "is_census": bool(asked) and got == asked,
                     "intervals_apply": bool(asked) and got < asked})
    return pd.DataFrame(rows)


def with_intervals(summary: pd.DataFrame, resp: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Add ci_low_pct, ci_high_pct to the question summary: Wilson with FPC for the units asked.

    Blank (NaN) when every unit replied (the shares are a census, see :func:`response`).
    """
    out = summary.copy()
    every = resp.iloc[0]
    if not bool(every["intervals_apply"]):
        out["ci_low_pct"] = np.nan
        out["ci_high_pct"] = np.nan
        return out
    ci = stats.wilson_frame(out["positive_n"], out["answered_n"], N=int(every["units_asked_n"]),
                            confidence=confidence)
    out["ci_low_pct"] = ci["ci_low_pct"].to_numpy()
    out["ci_high_pct"] = ci["ci_high_pct"].to_numpy()
    return out


def positive_by_group(long: pd.DataFrame, questions: pd.DataFrame, by: str) -> pd.DataFrame:
    """Positive share of each question within each value of ``by`` (``area`` or ``team_type``).

    Columns: question_id, group, responses_n, answered_n, positive_n, positive_pct;
    bank order, then groups sorted. Same definitions as the county summary.
    """
    g = long.groupby(["question_id", by], sort=False)
    out = pd.DataFrame({
        "responses_n": g.size(),
        "answered_n": g["is_answered"].sum(),
        "positive_n": g["is_positive"].sum(),
    }).reset_index().rename(columns={by: "group"})
    out["positive_pct"] = _share(out["positive_n"], out["answered_n"])
    out["_qorder"] = out["question_id"].map(
        {q: i for i, q in enumerate(questions["question_id"])})
    out = out.sort_values(["_qorder", "group"], kind="stable").drop(columns="_qorder")
    for c in ("responses_n", "answered_n", "positive_n"):
        out[c] = out[c].astype("int64")
    return out.reset_index(drop=True)


def team_heatmap(long: pd.DataFrame) -> pd.DataFrame:
    """Team x question answers, tidy: the table behind the heatmap figure.

    Columns: team_id, area, team_type, question_id, answer_code, is_answered,
    is_positive, is_negative. One row per returning team and question.
    """
    return long[["team_id", "area", "team_type", "question_id", "answer_code",
                 "is_answered", "is_positive", "is_negative"]].copy()


def county_pressures(summary: pd.DataFrame, params: Params) -> pd.DataFrame:
    """Questions whose county positive share is below the threshold (issue 3: county-wide pressure).

    Columns: question_id, positive_pct, is_county_pressure. A question nobody
    answered has no share and is not a pressure.
    """
    below = params.questionnaire.county_pressure_below_pct
    out = summary[["question_id", "positive_pct"]].copy()
    out["is_county_pressure"] = (out["positive_pct"] < below).astype(bool)
    return out.reset_index(drop=True)


def team_pressures(long: pd.DataFrame, pressures: pd.DataFrame, params: Params) -> pd.DataFrame:
    """Local pressures of each returning team, and whether they coincide with county-wide ones.

    Issue 3: a negative answer by a team on a question that is not a county-wide
    pressure is a local pressure; a team with a negative answer on a county-wide
    pressure and at least k local pressures (``params.questionnaire.local_pressures_k``)
    is flagged ``is_coinciding``. Columns: team_id, area, team_type,
    local_pressures_n, county_pressure_negatives_n, is_coinciding; teams in return order.
    """
    k = params.questionnaire.local_pressures_k
    df = long.merge(pressures[["question_id", "is_county_pressure"]], on="question_id",
                    how="left", validate="many_to_one")
    df["is_local"] = df["is_negative"] & ~df["is_county_pressure"]
    df["is_county_negative"] = df["is_negative"] & df["is_county_pressure"]
    g = df.groupby(["team_id", "area", "team_type"], sort=False, dropna=False)
    out = pd.DataFrame({
        "local_pressures_n": g["is_local"].sum().astype("int64"),
        "county_pressure_negatives_n": g["is_county_negative"].sum().astype("int64"),
    }).reset_index()
    out["is_coinciding"] = ((out["county_pressure_negatives_n"] >= 1)
                            & (out["local_pressures_n"] >= k)).astype(bool)
    return out


# ---------------------------------------------------------------- figures

#: Heatmap cell styles: the answer's short text (so colour never carries it alone) and an Okabe-Ito fill.
_HEAT_STYLES = {
    "strongly_agree": ("SA", fg.OKABE_ITO["bluish_green"]),
    "agree": ("A", fg.OKABE_ITO["sky_blue"]),
    "yes": ("Y", fg.OKABE_ITO["bluish_green"]),
    "partly": ("P", fg.OKABE_ITO["yellow"]),
    "disagree": ("D", fg.OKABE_ITO["orange"]),
    "no": ("N", fg.OKABE_ITO["vermillion"]),
    "strongly_disagree": ("SD", fg.OKABE_ITO["vermillion"]),
    NA_CODE: ("n/a", "#DDDDDD"),
}


def heatmap_grid(heat: pd.DataFrame, questions: pd.DataFrame) -> pd.DataFrame:
    """Team x question grid of answer codes (teams in return order, questions in bank order)."""
    qids = list(questions["question_id"])
    teams = list(dict.fromkeys(heat["team_id"]))
    return (heat.pivot(index="team_id", columns="question_id", values="answer_code")
            .reindex(index=teams, columns=qids))


def write_outputs(review, params: Params, out_dir: Path | str,
                  fig_dir: Path | str | None = None, figures: bool = True) -> list[Path]:
    """Compute every questionnaire table and figure of a review and write them to ``out_dir``.

    Tables go to ``out_dir``, figures (PNG, SVG, caption/alt JSON, data CSV) to
    ``fig_dir`` (default ``out_dir/figures``); ``figures=False`` skips them.
    Returns the paths written; returns [] (writing nothing) when the review has
    no questionnaire (or one with no rows), no question bank or no teams table.
    """
    questionnaire = review.table("questionnaire")
    questions = review.table("questions")
    teams = review.table("teams")
    if questionnaire is None or questions is None or teams is None or questionnaire.empty:
        return []
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    long = answers_long(questionnaire, questions, teams)
    resp = response(questionnaire, teams)
    summary = with_intervals(question_summary(long, questions), resp, params.intervals.confidence)
    pressures = county_pressures(summary, params)
    tables = {
        "questionnaire__question_summary": summary,
        "questionnaire__response": resp,
        "questionnaire__by_area": positive_by_group(long, questions, "area"),
        "questionnaire__by_team_type": positive_by_group(long, questions, "team_type"),
        "questionnaire__team_heatmap": team_heatmap(long),
        "questionnaire__pressures": pressures,
        "questionnaire__team_pressures": team_pressures(long, pressures, params),
    }
    written = [write_csv(df, out_dir / f"{name}.csv") for name, df in tables.items()]
    if figures:
        written += _write_figures(tables, questions, params,
                                  Path(fig_dir) if fig_dir is not None else out_dir / "figures")
    return written


def _write_figures(tables, questions, params, fig_dir: Path) -> list[Path]:
    summary = tables["questionnaire__question_summary"]
    thr = params.questionnaire.county_pressure_below_pct
    press = summary.loc[summary["positive_pct"] < thr, "question_id"].tolist()
    alt_items = "; ".join(
        f"{q} {stats.format_rounded(p)}% of {a}" if a else f"{q} no answers"
        for q, p, a in zip(summary["question_id"], summary["positive_pct"], summary["answered_n"]))
    worded = summary.assign(text=summary["question_id"].map(dict(zip(questions["question_id"],
                                                                     questions["text"]))))
    fig = fg.pct_bar_chart(worded, label="question_id", value="positive_pct", n="answered_n",
                           wording="text", xlabel="Positive answers, % of teams answering",
                           reference=thr)
    written = list(fg.save_figure(
        fig, fig_dir, "questionnaire__positive_share",
        caption=(f"Positive answers to each question, as a share of the teams that answered it "
                 f"(n = teams answering); the dashed line marks the county-wide pressure threshold "
                 f"of {thr:g}%."),
        alt=(f"Horizontal bar chart of the positive share of {len(summary)} questions: "
             f"{alt_items}. Questions below {thr:g}% (county-wide pressures): "
             f"{', '.join(press) if press else 'none'}."),
        data=summary[["question_id", "theme", "answered_n", "positive_n", "positive_pct"]],
    ).values())
    heat = tables["questionnaire__team_heatmap"]
    tp = tables["questionnaire__team_pressures"]
    coinc = tp.loc[tp["is_coinciding"], "team_id"].tolist()
    grid = heatmap_grid(heat, questions)
    fig = fg.category_heatmap(grid, _HEAT_STYLES, missing_text="-")
    written += list(fg.save_figure(
        fig, fig_dir, "questionnaire__team_heatmap",
        caption=("Each team's answer to each question; every cell carries its answer as letters "
                 "(a dash: left blank)."),
        alt=(f"Grid of {grid.shape[0]} teams by {grid.shape[1]} questions, each cell labelled with "
             f"the team's answer (SA strongly agree, A agree, D disagree, SD strongly disagree, "
             f"Y yes, P partly, N no, n/a not applicable, dash blank). "
             f"{int(heat['is_negative'].sum())} of {int(heat['is_answered'].sum())} answers are "
             f"negative. Teams where county-wide and local pressures coincide: "
             f"{', '.join(coinc) if coinc else 'none'}."),
        data=heat,
    ).values())
    return written
