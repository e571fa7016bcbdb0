"""The annual practice-audit examples ``example-annual-2010`` .. ``-2012``."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.examples.common import (
    EXAMPLE_DATA,
    SEEDS,
    _read_csv,
)
from pipeline.examples.phase1 import (
    make_case_audit,
    make_case_population,
    make_monitoring,
    make_teams,
    make_workforce,
)
from pipeline.examples.later import (
    _criteria_frame,
    _sub_csv,
    _sub_yaml,
    _write_review,
    make_register,
)

def annual_targets(year: int) -> dict:
    """The targets dict of one annual example, in the shape phase 1's functions read."""
    cfg = _sub_yaml("annual")
    d, y = cfg["defaults"], cfg["years"][year]
    anchors = {str(k): int(v) for k, v in y["cpp_open_anchors"].items()}
    periods = [str(p) for p in y["periods"]]
    vac = [float(v) for v in y["vacancy_fte"]]
    return {
        "census_date": y["census_date"],
        "monitoring": {
            "first_month": str(y["first_month"]), "last_month": str(y["last_month"]),
            "areas": d["areas"], "east_share": d["east_share"], "cpp_open_anchors": anchors,
            "cpp_started_per_month": y["cpp_started_per_month"],
            "referrals_per_month": y["referrals_per_month"],
            "s47_per_referral": d["s47_per_referral"], "icpc_per_s47": d["icpc_per_s47"],
            "surge": d["surge"], "lac_open_monthly_growth": d["lac_open_monthly_growth"],
            "cin_open_monthly_growth": d["cin_open_monthly_growth"],
        },
        "workforce": {
            "periods": periods, "established_fte": float(y["established_fte"]),
            "vacancy_fte_latest": vac[-1], "vacancy_fte_earlier": vac[:-1],
            "high_vacancy_min_pct": d["high_vacancy_min_pct"], "other_max_pct": d["other_max_pct"],
            "agency_fte_latest": float(y["agency_fte_latest"]),
            "caseload_per_worker": float(y["caseload_per_worker"]),
            "cases_cp_latest": anchors[periods[-1]], "cases_lac_latest": int(y["cases_lac_latest"]),
        },
        "case_population": d["case_population"],
        "case_audit": y["case_audit"],
        "ics_ne_factor": float(y["ics_ne_factor"]),
        "child_population": int(d["child_population"]),
    }


def annual_criteria(year: int, ics_ne_factor: float) -> pd.DataFrame:
    """Phase 1's criteria bank (same ids and texts) with the year's probabilities.

    Criteria in annual/criteria_trend.csv take that year's row; the others keep
    phase 1's, except that not_evidenced on ICS-only files shrinks by
    ics_ne_factor (never below the paper files' rate) as ICS recording settles.
    """
    crit = _read_csv("criteria.csv")
    trend = _sub_csv("annual", "criteria_trend.csv")
    trend = trend[trend["year"] == str(year)].set_index("criterion_id")
    cols = ["p_yes", "p_not_evidenced_paper", "p_not_evidenced_ics"]
    for i, cid in enumerate(crit["criterion_id"]):
        if cid in trend.index:
            crit.loc[i, cols] = trend.loc[cid, cols].tolist()
        else:
            paper, ics = float(crit.loc[i, "p_not_evidenced_paper"]), float(crit.loc[i, "p_not_evidenced_ics"])
            crit.loc[i, "p_not_evidenced_ics"] = f"{max(paper, round(ics * ics_ne_factor, 3)):.3f}"
    return crit


def generate_example_annual(out_dir: Path, year: int, seed: int | None = None) -> None:
    """An annual practice audit (April to March): CSS teams, phase 1's criteria
    bank with a new, larger sample, the case population, workforce and
    monitoring for the year, and the register's progress."""
    review_id = f"example-annual-{year}"
    seed = SEEDS[review_id] if seed is None else seed
    targets = annual_targets(year)
    teams = make_teams()
    monitoring = make_monitoring(targets, seed)
    pressured = _sub_csv("annual", "pressured_teams.csv")
    pressured = pressured[pressured["year"] == str(year)].assign(high_vacancy="yes")
    workforce = make_workforce(teams, monitoring, targets, seed, pressured=pressured)
    population = make_case_population(teams, monitoring, workforce, targets, seed)
    crit = annual_criteria(year, targets["ics_ne_factor"])
    tables = {
        "teams": teams,
        "audit_criteria": _criteria_frame(crit),
        "case_audit": make_case_audit(population, targets, seed, criteria=crit),
        "case_population": population,
        "monitoring": monitoring,
        "workforce": workforce,
        "recommendations": make_register(review_id, None),
    }
    previous = [f"example-annual-{y}" for y in range(2010, year)]
    fill = {
        "{review_id}": review_id, "{year_label}": f"{year - 1}-{str(year)[2:]}",
        "{census_date}": str(targets["census_date"]), "{cp_population}": str(len(population)),
        "{child_population}": str(targets["child_population"]),
        "{previous_reviews}": "[" + ", ".join(previous) + "]",
    }
    review = (EXAMPLE_DATA / "annual" / "review.yml").read_text(encoding="utf-8")
    for k, v in fill.items():
        review = review.replace(k, v)
    _write_review(out_dir, tables, review)


# --------------------------------------------------------------------------
# reviews of any size, for the scale benchmark (benchmarks/scale.py)
# --------------------------------------------------------------------------
#
# The examples above are drawn row by row so that they hit published figures;
