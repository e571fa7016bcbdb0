"""The case-file audit: compliance per criterion, grades, subgroups, precision.

Definitions are the data contract's ("case_audit"): compliance of a criterion =
yes / (yes + no + not_evidenced), with ``na`` and blank left out;
``not_evidenced`` counts against compliance (the record cannot confirm the
action was done). Intervals are 95% Wilson score intervals with the
finite-population correction for ``cp_population`` (issue 3, item 4), from
``pipeline.stats``.

No output carries a case_id, an auditor's name or any free text.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats as _sps

from pipeline.outputs import write_csv
from pipeline import figures as fg
from pipeline import stats
from pipeline.params import Params

#: The tables ``write_outputs`` needs; without any of them it writes nothing.
NEEDS = ("audit_criteria", "case_audit")

#: Criterion answer codes (data contract), in reporting order.
ANSWER_CODES = ("yes", "no", "not_evidenced", "na")
#: Grade codes (data contract), best first; good or better = outstanding or good.
GRADE_CODES = ("outstanding", "good", "requires_improvement", "inadequate")
GOOD_OR_BETTER = frozenset({"outstanding", "good"})
#: Graded domains: the ``grade_<domain>`` columns of case_audit, in contract order.
GRADE_DOMAINS = ("assessment", "planning", "recording", "oversight", "supervision", "overall")
#: The three flags whose ``yes`` marks a high-risk case (issue 3, item 4).
HIGH_RISK_FLAGS = ("interim_care_order_at_home", "police_investigation_open", "legal_dissent")
RECORD_SOURCES = ("ics_only", "ics_and_paper")




def _answer_counts(case_audit: pd.DataFrame, criteria: pd.DataFrame) -> pd.DataFrame:
    """Counts of each answer code and of blanks per criterion, bank order, indexed by criterion_id."""
    cids = list(criteria["criterion_id"])
    missing = [c for c in cids if c not in case_audit.columns]
    if missing:
        raise ValueError(f"case_audit has no column for criterion(s) {missing}")
    rows = {}
    for cid in cids:
        col = case_audit[cid]
        counts = col.value_counts(dropna=True)  # one pass over the column, not one per code
        bad = set(counts.index) - set(ANSWER_CODES)
        if bad:
            raise ValueError(f"criterion {cid} has answers that are not codes: {sorted(bad)}")
        rows[cid] = {f"{code}_n": int(counts.get(code, 0)) for code in ANSWER_CODES}
        rows[cid]["blank_n"] = int(len(col) - counts.sum())
    return pd.DataFrame.from_dict(rows, orient="index").reindex(cids)


def _with_compliance(counts: pd.DataFrame, N, confidence: float) -> pd.DataFrame:
    """Add answered_n, compliance_pct and its Wilson (+FPC) interval to answer counts."""
    out = counts.copy()
    out["answered_n"] = out["yes_n"] + out["no_n"] + out["not_evidenced_n"]
    out["compliance_pct"] = (100 * out["yes_n"] / out["answered_n"].where(out["answered_n"] > 0)
                             ).astype("float64")
    ci = stats.wilson_frame(out["yes_n"], out["answered_n"], N=N, confidence=confidence)
    out["ci_low_pct"] = ci["ci_low_pct"].to_numpy()
    out["ci_high_pct"] = ci["ci_high_pct"].to_numpy()
    return out


def criterion_compliance(case_audit: pd.DataFrame, criteria: pd.DataFrame,
                         N: int | None = None, confidence: float = 0.95,
                         case_population: pd.DataFrame | None = None) -> pd.DataFrame:
    """Compliance of each criterion with its interval, in criteria-bank order.

    Contract: compliance = yes / (yes + no + not_evidenced); na and blank left
    out; not_evidenced counts against. Interval: Wilson score at ``confidence``
    with the finite-population correction for N (``cp_population``) when given.

    Design-weighted estimate (issue 12, item 2): with ``case_population`` the
    audited cases and the population are post-stratified into high risk (any
    of the three flags yes, on each case's own row) and other, and
    ``weighted_pct`` is ``stats.stratified_share``: sum of W_h p_h with
    W_h = N_h / N, a stratum with no answered case left out and the weights
    renormalised; its interval is Wilson on Kish's effective sample size from
    the stratified variance with each stratum's finite-population correction.
    Without ``case_population`` the weighted columns equal the unweighted ones
    and ``is_weighted`` is False.

    Columns: criterion_id, domain, reference, yes_n, no_n, not_evidenced_n,
    na_n, blank_n, answered_n, compliance_pct, ci_low_pct, ci_high_pct,
    weighted_pct, weighted_ci_low_pct, weighted_ci_high_pct,
    weighted_effective_n, is_weighted.
    """
    counts = _with_compliance(_answer_counts(case_audit, criteria), N, confidence)
    out = criteria[["criterion_id", "domain"]].copy()
    out["reference"] = criteria["reference"] if "reference" in criteria else pd.NA
    out = out.merge(counts, left_on="criterion_id", right_index=True, how="left",
                    validate="one_to_one")
    out = out.reset_index(drop=True)
    return _with_weighted(out, case_audit, criteria, case_population, confidence)


def _with_weighted(out: pd.DataFrame, case_audit: pd.DataFrame, criteria: pd.DataFrame,
                   case_population: pd.DataFrame | None, confidence: float) -> pd.DataFrame:
    """Add the post-stratified columns to ``criterion_compliance`` (see its docstring)."""
    if case_population is None or case_population.empty:
        out["weighted_pct"] = out["compliance_pct"]
        out["weighted_ci_low_pct"] = out["ci_low_pct"]
        out["weighted_ci_high_pct"] = out["ci_high_pct"]
        out["weighted_effective_n"] = out["answered_n"].astype("float64")
        out["is_weighted"] = False
        return out
    flag = is_high_risk(case_audit)
    pop_flag = is_high_risk(case_population)
    N_h = np.array([int(pop_flag.sum()), int((~pop_flag).sum())], dtype="float64")
    strata = [_answer_counts(case_audit[flag], criteria), _answer_counts(case_audit[~flag], criteria)]
    est = []
    for cid in out["criterion_id"]:
        k = [int(s.at[cid, "yes_n"]) for s in strata]
        n = [int(s.at[cid, "yes_n"] + s.at[cid, "no_n"] + s.at[cid, "not_evidenced_n"]) for s in strata]
        est.append(stats.stratified_share(k, n, np.maximum(N_h, n), confidence=confidence))
    out["weighted_pct"] = [100 * e["p"] for e in est]
    out["weighted_ci_low_pct"] = [100 * e["low"] for e in est]
    out["weighted_ci_high_pct"] = [100 * e["high"] for e in est]
    out["weighted_effective_n"] = [e["effective_n"] for e in est]
    out["is_weighted"] = True
    return out


def grades(case_audit: pd.DataFrame) -> pd.DataFrame:
    """Distribution of the auditors' grades in each graded domain.

    One row per domain (contract order, domains whose ``grade_<domain>`` column
    is present) and grade (outstanding, good, requires_improvement,
    inadequate). Columns: domain, grade, n, pct (of the cases graded in that
    domain, blanks left out), graded_n, blank_n.
    """
    rows = []
    for domain in GRADE_DOMAINS:
        col = f"grade_{domain}"
        if col not in case_audit.columns:
            continue
        g = case_audit[col]
        graded_n = int(g.notna().sum())
        for grade in GRADE_CODES:
            n = int(g.eq(grade).sum())
            rows.append({"domain": domain, "grade": grade, "n": n,
                         "pct": 100 * n / graded_n if graded_n else np.nan,
                         "graded_n": graded_n, "blank_n": int(g.isna().sum())})
    return pd.DataFrame(rows, columns=["domain", "grade", "n", "pct", "graded_n", "blank_n"])


def is_high_risk(case_audit: pd.DataFrame) -> pd.Series:
    """True for a case with any of interim_care_order_at_home, police_investigation_open, legal_dissent == yes."""
    return case_audit[list(HIGH_RISK_FLAGS)].eq("yes").any(axis=1)


def high_risk_compliance(case_audit: pd.DataFrame, criteria: pd.DataFrame,
                         case_population: pd.DataFrame | None = None,
                         confidence: float = 0.95) -> pd.DataFrame:
    """Compliance per criterion in the high-risk cases against the rest (issue 3, item 4).

    High risk = any of the three flags yes. Each group's interval is Wilson on
    its own answers, finite-population corrected only when ``case_population``
    gives the group's population size (the authority-wide cp_population is not
    the size of a subgroup). Columns: criterion_id, domain, group
    (``high_risk`` / ``other``), cases_n, population_n, yes_n, no_n,
    not_evidenced_n, na_n, blank_n, answered_n, compliance_pct, ci_low_pct,
    ci_high_pct; bank order, high risk first.
    """
    flag = is_high_risk(case_audit)
    pop_flag = is_high_risk(case_population) if case_population is not None else None
    parts = []
    for group, mask in (("high_risk", flag), ("other", ~flag)):
        N = None
        if pop_flag is not None:
            N = int(pop_flag.sum()) if group == "high_risk" else int((~pop_flag).sum())
        counts = _with_compliance(_answer_counts(case_audit[mask], criteria), N, confidence)
        counts.insert(0, "group", group)
        counts.insert(1, "cases_n", int(mask.sum()))
        counts.insert(2, "population_n", pd.array([N] * len(counts), dtype="Int64"))
        parts.append(counts.rename_axis("criterion_id").reset_index())
    out = pd.concat(parts, ignore_index=True)
    out["_order"] = out["criterion_id"].map({c: i for i, c in enumerate(criteria["criterion_id"])})
    out["_g"] = (out["group"] == "other").astype(int)
    out = out.sort_values(["_order", "_g"], kind="stable").drop(columns=["_order", "_g"])
    out = out.merge(criteria[["criterion_id", "domain"]], on="criterion_id", how="left",
                    validate="many_to_one")
    cols = ["criterion_id", "domain", "group", "cases_n", "population_n", "yes_n", "no_n",
            "not_evidenced_n", "na_n", "blank_n", "answered_n", "compliance_pct",
            "ci_low_pct", "ci_high_pct"]
    return out[cols].reset_index(drop=True)


def supervision_overall(case_audit: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """The 2x2 table of supervision grade against overall grade, with Fisher's test.

    Tests the seeds' finding "good quality supervision is associated with good
    child protection" (issue 3, item 4): good or better = outstanding or good.
    Cases missing either grade are left out. Rows: supervision ``good_or_better``
    (cells a, b) then ``not_good_or_better`` (c, d). Columns: supervision_group,
    overall_good_or_better_n, overall_not_good_or_better_n, cases_n,
    overall_good_or_better_pct, and on both rows the statistics of the table
    [[a, b], [c, d]] from ``stats.fisher_2x2``: odds_ratio, or_ci_low,
    or_ci_high, p_value, is_haldane_corrected, graded_n, ungraded_n.
    Empty (no rows) when the grade columns are absent.
    """
    cols = ["supervision_group", "overall_good_or_better_n", "overall_not_good_or_better_n",
            "cases_n", "overall_good_or_better_pct", "odds_ratio", "or_ci_low", "or_ci_high",
            "p_value", "is_haldane_corrected", "graded_n", "ungraded_n"]
    if not {"grade_supervision", "grade_overall"} <= set(case_audit.columns):
        return pd.DataFrame(columns=cols)
    both = case_audit["grade_supervision"].notna() & case_audit["grade_overall"].notna()
    sup = case_audit.loc[both, "grade_supervision"].isin(GOOD_OR_BETTER)
    ovr = case_audit.loc[both, "grade_overall"].isin(GOOD_OR_BETTER)
    a, b = int((sup & ovr).sum()), int((sup & ~ovr).sum())
    c, d = int((~sup & ovr).sum()), int((~sup & ~ovr).sum())
    if a + b + c + d == 0:
        test = {"odds_ratio": np.nan, "or_ci_low": np.nan, "or_ci_high": np.nan,
                "p_value": np.nan, "is_haldane_corrected": False}
    else:
        test = stats.fisher_2x2(a, b, c, d, confidence=confidence)
    rows = []
    for group, good, notgood in (("good_or_better", a, b), ("not_good_or_better", c, d)):
        n = good + notgood
        rows.append({"supervision_group": group, "overall_good_or_better_n": good,
                     "overall_not_good_or_better_n": notgood, "cases_n": n,
                     "overall_good_or_better_pct": 100 * good / n if n else np.nan,
                     **test, "graded_n": a + b + c + d, "ungraded_n": int((~both).sum())})
    return pd.DataFrame(rows, columns=cols)


def not_evidenced_by_source(case_audit: pd.DataFrame, criteria: pd.DataFrame,
                            confidence: float = 0.95) -> pd.DataFrame:
    """Share of criterion answers that are not_evidenced, by the record the auditor read.

    Over every answered criterion (yes, no or not_evidenced) of the cases of
    each record_source (ics_only, then ics_and_paper, then any other code met).
    Columns: record_source, cases_n, answered_n, not_evidenced_n,
    not_evidenced_pct, ci_low_pct, ci_high_pct (Wilson, answers treated as
    independent: a rough guide, since answers of one case are correlated).
    """
    sources = [s for s in RECORD_SOURCES] + sorted(
        set(case_audit["record_source"].dropna()) - set(RECORD_SOURCES))
    rows = []
    for src in sources:
        sub = case_audit[case_audit["record_source"].eq(src)]
        counts = _answer_counts(sub, criteria)
        answered = int(counts[["yes_n", "no_n", "not_evidenced_n"]].to_numpy().sum())
        ne = int(counts["not_evidenced_n"].sum())
        rows.append({"record_source": src, "cases_n": len(sub), "answered_n": answered,
                     "not_evidenced_n": ne})
    out = pd.DataFrame(rows, columns=["record_source", "cases_n", "answered_n", "not_evidenced_n"])
    out["not_evidenced_pct"] = (100 * out["not_evidenced_n"]
                                / out["answered_n"].where(out["answered_n"] > 0)).astype("float64")
    ci = stats.wilson_frame(out["not_evidenced_n"], out["answered_n"], confidence=confidence)
    return pd.concat([out, ci], axis=1)


def _design_margin(strata, srs_margin: float, confidence: float) -> dict:
    """design_margin_pct, is_design_based and the stratum sizes of ``precision``."""
    if strata is None:
        return {"high_risk_audited_n": pd.NA, "high_risk_population_n": pd.NA,
                "other_audited_n": pd.NA, "other_population_n": pd.NA,
                "design_margin_pct": float(srs_margin), "is_design_based": False}
    (n_hr, N_hr), (n_o, N_o) = strata
    margin = stats.stratified_margin([n_hr, n_o], [max(N_hr, n_hr), max(N_o, n_o)],
                                     confidence=confidence)
    return {"high_risk_audited_n": int(n_hr), "high_risk_population_n": int(N_hr),
            "other_audited_n": int(n_o), "other_population_n": int(N_o),
            "design_margin_pct": 100 * margin, "is_design_based": True}


def audit_strata(case_audit: pd.DataFrame, case_population: pd.DataFrame | None):
    """((n, N) of the high-risk stratum, (n, N) of the other); None without case_population."""
    if case_population is None or case_population.empty:
        return None
    flag, pop = is_high_risk(case_audit), is_high_risk(case_population)
    return ((int(flag.sum()), int(pop.sum())), (int((~flag).sum()), int((~pop).sum())))


def precision(audited_n: int, N: int | None, confidence: float = 0.95,
              margins_pct: tuple[float, ...] = (5, 10), strata=None) -> pd.DataFrame:
    """The precision the audit sample achieved, and the sample a given margin needs.

    Achieved margin of error (percentage points) for a proportion at p = 0.5:
    z sqrt(0.25 / n_eff) x 100 with n_eff = n (N-1)/(N-n) (finite-population
    correction; 0 when n >= N, no correction when N is not given), the inverse
    of Cochran's sample size that ``stats.sample_size`` computes. One row:
    audited_n, population_n, effective_n, margin_pct, then
    ``sample_needed_margin_<m>_n`` for each margin m (``stats.sample_size``),
    then the design-based margin (issue 12, item 2): with ``strata`` (from
    :func:`audit_strata`) ``design_margin_pct`` is ``stats.stratified_margin``,
    the margin of the post-stratified share at p = 0.5 in each stratum, with
    the strata's sizes; without it, it equals margin_pct and
    ``is_design_based`` is False.
    """
    z = float(_sps.norm.ppf(1 - (1 - confidence) / 2))
    n_eff = stats.effective_n(audited_n, N) if audited_n > 0 else 0.0
    if audited_n == 0:
        margin = np.nan
    elif np.isinf(n_eff):
        margin = 0.0
    else:
        margin = 100 * z * np.sqrt(0.25 / n_eff)
    row = {"audited_n": int(audited_n),
           "population_n": pd.array([N], dtype="Int64")[0],
           "effective_n": float(n_eff), "margin_pct": float(margin)}
    for m in margins_pct:
        row[f"sample_needed_margin_{m:g}_n"] = stats.sample_size(m, N=N, confidence=confidence)
    row.update(_design_margin(strata, margin, confidence))
    out = pd.DataFrame([row])
    out["population_n"] = out["population_n"].astype("Int64")
    return out


# ---------------------------------------------------------------- figures

_ANSWER_COLOURS = {"yes": fg.OKABE_ITO["bluish_green"], "no": fg.OKABE_ITO["vermillion"],
                   "not_evidenced": fg.OKABE_ITO["orange"]}
_GRADE_COLOURS = {"outstanding": fg.OKABE_ITO["blue"], "good": fg.OKABE_ITO["sky_blue"],
                  "requires_improvement": fg.OKABE_ITO["orange"],
                  "inadequate": fg.OKABE_ITO["vermillion"]}


def write_outputs(review, params: Params, out_dir: Path | str,
                  fig_dir: Path | str | None = None, figures: bool = True) -> list[Path]:
    """Compute every case-audit table and figure of a review and write them to ``out_dir``.

    Tables go to ``out_dir``, figures (PNG, SVG, caption/alt JSON, data CSV) to
    ``fig_dir`` (default ``out_dir/figures``); ``figures=False`` skips them.
    Returns the paths written; [] when the review has no case_audit (or one
    with no rows) or no audit_criteria table.
    """
    ca = review.table("case_audit")
    criteria = review.table("audit_criteria")
    if ca is None or criteria is None or ca.empty:
        return []
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    N = review.meta.get("cp_population")
    conf = params.intervals.confidence
    pop = review.table("case_population")
    cc = criterion_compliance(ca, criteria, N=N, confidence=conf, case_population=pop)
    tables = {
        "case_audit__criterion_compliance": cc,
        "case_audit__grades": grades(ca),
        "case_audit__high_risk": high_risk_compliance(ca, criteria, pop, confidence=conf),
        "case_audit__supervision_overall": supervision_overall(ca, confidence=conf),
        "case_audit__not_evidenced_by_source": not_evidenced_by_source(ca, criteria, confidence=conf),
        "case_audit__precision": precision(len(ca), N, confidence=conf,
                                           strata=audit_strata(ca, pop)),
    }
    written = [write_csv(df, out_dir / f"{name}.csv") for name, df in tables.items()]
    if figures:
        written += _write_figures(tables, Path(fig_dir) if fig_dir is not None else out_dir / "figures",
                                  criteria)
    return written


def _pct(v) -> str:
    return f"{stats.format_rounded(v)}%"


def _write_figures(tables: dict, fig_dir: Path, criteria: pd.DataFrame | None = None) -> list[Path]:
    cc = tables["case_audit__criterion_compliance"]
    wording = ({} if criteria is None or "text" not in criteria else
               dict(zip(criteria["criterion_id"], criteria["text"])))
    cc = cc.assign(text=cc["criterion_id"].map(wording))
    written: list[Path] = []
    items = "; ".join(
        (f"{r.criterion_id} {_pct(r.compliance_pct)} ({r.yes_n} of {r.answered_n}, 95% interval "
         f"{stats.format_rounded(r.ci_low_pct)} to {stats.format_rounded(r.ci_high_pct)})")
        if r.answered_n else f"{r.criterion_id} no answers"
        for r in cc.itertuples())
    fig = fg.pct_bar_chart(cc, label="criterion_id", value="compliance_pct", low="ci_low_pct",
                           high="ci_high_pct", n="answered_n", wording="text",
                           xlabel="Compliance, % of cases answered (95% interval)")
    written += fg.save_figure(
        fig, fig_dir, "case_audit__compliance",
        caption=("Compliance with each audit criterion: cases answered yes as a share of those "
                 "answered yes, no or not evidenced (n), with 95% Wilson intervals."),
        alt=f"Horizontal bar chart of the compliance of {len(cc)} audit criteria: {items}.",
        data=cc.drop(columns="text")).values()
    for r in cc.itertuples():
        if pd.isna(r.reference) or not str(r.reference).strip():
            continue
        comp = (f"{_pct(r.compliance_pct)} compliant: {r.yes_n} of {r.answered_n} cases answered yes"
                if r.answered_n else "no case answered")
        counts = pd.DataFrame({"yes": [r.yes_n], "no": [r.no_n], "not_evidenced": [r.not_evidenced_n]},
                              index=[fg.code_label(r.criterion_id, r.text, width=34)])
        fig = fg.stacked_pct_bar(counts, colours=_ANSWER_COLOURS,
                                 xlabel=f"% of the {r.answered_n} cases answered")
        shares = (", ".join(f"{lbl} {v} ({stats.format_rounded(100 * v / r.answered_n)}%)" for lbl, v in
                            (("yes", r.yes_n), ("no", r.no_n), ("not evidenced", r.not_evidenced_n)))
                  if r.answered_n else "no answers")
        written += fg.save_figure(
            fig, fig_dir, f"case_audit__criterion_{r.criterion_id}",
            caption=(f"Criterion {r.criterion_id} ({r.domain}, {r.reference}): {comp}; "
                     f"{r.na_n} not applicable and {r.blank_n} blank left out."),
            alt=(f"Stacked bar of the audit answers to criterion {r.criterion_id} across the "
                 f"{r.answered_n} cases answered: {shares}. {r.na_n} not applicable and "
                 f"{r.blank_n} blank are not shown."),
            data=cc[cc["criterion_id"] == r.criterion_id].drop(columns="text").reset_index(drop=True)).values()
    gr = tables["case_audit__grades"]
    if len(gr):
        counts = (gr.pivot(index="domain", columns="grade", values="n")
                  .reindex(index=list(dict.fromkeys(gr["domain"])), columns=list(GRADE_CODES)))
        counts.index = [d.capitalize() for d in counts.index]
        gb = "; ".join(
            f"{d}: " + ", ".join(f"{g.replace('_', ' ')} {int(row[g])}" for g in GRADE_CODES)
            + f" of {int(row.sum())} graded"
            for d, row in counts.iterrows())
        fig = fg.stacked_pct_bar(counts, colours=_GRADE_COLOURS, xlabel="% of cases graded")
        written += fg.save_figure(
            fig, fig_dir, "case_audit__grades",
            caption="Auditors' grades in each domain, as a share of the cases graded in it (n).",
            alt=(f"Stacked bar chart of the grades in {len(counts)} domains, each grade with its own "
                 f"colour and hatching: {gb}."),
            data=gr).values()
    return list(written)
