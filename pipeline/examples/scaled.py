"""Invented reviews of any size for the scale benchmark (``generate_scaled``)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.examples.common import (
    _BANK_HOLIDAYS,
    _fte,
    _read_csv,
    _write_csv,
)
from pipeline.examples.phase1 import (
    make_audit_criteria,
    make_evidence_map,
    make_questions,
    make_recommendations,
)

# that is too slow for a million audit rows. ``generate_scaled`` draws a valid
# review of any size with whole-column numpy operations instead: it meets every
# rule of the data contract (date order, reconciled monitoring, references) but
# pins no published figure. It is deterministic like the rest (one stream per
# table, no clock) and is never used for the committed examples.

_SCALED_STREAM = {"teams": 11, "questionnaire": 12, "case_audit": 13, "monitoring": 14, "workforce": 15,
                  "case_population": 16}
_SCALED_CENSUS = "2009-01-30"


def _srng(seed: int, table: str) -> np.random.Generator:
    return np.random.default_rng([seed, _SCALED_STREAM[table]])


def _iso_array(days: np.ndarray) -> np.ndarray:
    """datetime64[D] array as 'YYYY-MM-DD' strings; NaT as ''."""
    out = np.datetime_as_string(days, unit="D").astype(object)
    out[np.isnat(days)] = ""
    return out


def scaled_teams(n_teams: int, n_areas: int, seed: int) -> pd.DataFrame:
    """n_teams teams spread evenly over n_areas areas, five districts per area."""
    rng = _srng(seed, "teams")
    types = np.array(["duty_assessment", "long_term", "disability", "looked_after"])
    i = np.arange(n_teams)
    area = i % n_areas
    width = len(str(n_teams))
    return pd.DataFrame({
        "team_id": [f"T{k:0{width}d}" for k in i + 1],
        "team_name": [f"Team {k}" for k in i + 1],
        "area": [f"Area {a + 1:03d}" for a in area],
        "district": [f"District {a + 1:03d}-{d}" for a, d in zip(area, (i // n_areas) % 5)],
        "team_type": types[rng.choice(len(types), n_teams, p=[0.4, 0.4, 0.1, 0.1])],
        "agency": "css",
    })


def scaled_questionnaire(teams: pd.DataFrame, questions: pd.DataFrame, seed: int) -> pd.DataFrame:
    rng = _srng(seed, "questionnaire")
    n = len(teams)
    census = np.datetime64(_SCALED_CENSUS, "D")
    out = {"team_id": teams["team_id"].to_numpy(),
           "completed_date": _iso_array(np.busday_offset(census - 20, rng.integers(0, 12, n),
                                                         roll="backward", holidays=_BANK_HOLIDAYS)),
           "respondent_role": "Team manager"}
    scales = {"agree4": (["strongly_agree", "agree", "disagree", "strongly_disagree", "na", ""],
                         [0.25, 0.45, 0.18, 0.05, 0.05, 0.02]),
              "yes_partly_no": (["yes", "partly", "no", "na", ""], [0.7, 0.15, 0.08, 0.05, 0.02])}
    for q in questions.itertuples():
        codes, p = scales[q.scale]
        out[q.question_id] = np.array(codes, dtype=object)[rng.choice(len(codes), n, p=p)]
    out["comments"] = ""
    return pd.DataFrame(out)


def scaled_case_audit(teams: pd.DataFrame, criteria: pd.DataFrame, n: int, seed: int,
                      n_auditors: int = 200) -> pd.DataFrame:
    """n audited cases, every date in the contract's order, audits before the census date."""
    rng = _srng(seed, "case_audit")
    census = np.datetime64(_SCALED_CENSUS, "D")
    bd = dict(holidays=_BANK_HOLIDAYS)
    audit = np.busday_offset(census - 60, rng.integers(0, 40, n), roll="backward", **bd)
    audit = np.minimum(audit, census)
    icpc = np.busday_offset(audit - rng.integers(40, 900, n).astype("timedelta64[D]"), 0, roll="backward", **bd)
    strategy = np.busday_offset(icpc, -rng.integers(4, 22, n), roll="forward", **bd)
    s47 = np.minimum(np.busday_offset(strategy, rng.integers(0, 3, n), roll="backward", **bd), icpc)
    referral = np.busday_offset(strategy, -rng.integers(0, 5, n), roll="forward", **bd)
    core = np.minimum(np.busday_offset(icpc, rng.integers(3, 16, n), roll="backward", **bd), audit)
    core[rng.random(n) < 0.03] = np.datetime64("NaT")
    review = np.minimum(icpc + rng.integers(60, 100, n).astype("timedelta64[D]"), audit)
    review[(review <= icpc) | (rng.random(n) < 0.05)] = np.datetime64("NaT")
    visit = np.maximum(np.busday_offset(audit, -rng.integers(1, 20, n), roll="forward", **bd), icpc)
    width = len(str(n))
    flags = rng.random((n, 3)) < [0.03, 0.06, 0.02]
    yn = np.where(flags, "yes", "no").astype(object)
    age = rng.integers(0, 18, n)
    out = {
        "case_id": np.char.add("SC-", np.char.zfill((np.arange(n) + 1).astype(str), width)).astype(object),
        "team_id": teams["team_id"].to_numpy()[rng.integers(0, len(teams), n)],
        "auditor": np.array([f"Auditor {k + 1:03d}" for k in range(n_auditors)], dtype=object)[
            rng.integers(0, n_auditors, n)],
        "audit_date": _iso_array(audit),
        "record_source": np.array(["ics_only", "ics_and_paper"], dtype=object)[rng.integers(0, 2, n)],
        "age_years": age,
        "category_of_abuse": np.array(["NEG", "EMO", "PHY", "SAB", "MUL"], dtype=object)[
            rng.choice(5, n, p=[0.44, 0.26, 0.13, 0.05, 0.12])],
        "referral_date": _iso_array(referral),
        "strategy_discussion_date": _iso_array(strategy),
        "s47_start_date": _iso_array(s47),
        "icpc_date": _iso_array(icpc),
        "cpp_start_date": _iso_array(icpc),
        "first_core_group_date": _iso_array(core),
        "review_conference_date": _iso_array(review),
        "last_visit_date": _iso_array(visit),
        "last_visit_seen_alone": np.where((age < 2) | (rng.random(n) < 0.1), "no", "yes").astype(object),
        "previous_cpp_count": rng.choice(3, n, p=[0.74, 0.2, 0.06]),
        "interim_care_order_at_home": yn[:, 0],
        "police_investigation_open": yn[:, 1],
        "legal_dissent": yn[:, 2],
    }
    answers = np.array(["yes", "no", "not_evidenced", "na", ""], dtype=object)
    for c in criteria.itertuples():
        p_yes = float(c.p_yes)
        p_ne = float(c.p_not_evidenced_ics)
        p = np.array([p_yes, 0, p_ne, 0.05, 0.005])
        p[1] = max(1 - p.sum(), 0.0)
        out[c.criterion_id] = answers[rng.choice(5, n, p=p / p.sum())]
    grades_ = np.array(["outstanding", "good", "requires_improvement", "inadequate"], dtype=object)
    for g in ("assessment", "planning", "recording", "oversight", "supervision", "overall"):
        out[f"grade_{g}"] = grades_[rng.choice(4, n, p=[0.1, 0.5, 0.3, 0.1])]
    return pd.DataFrame(out)


def scaled_monitoring(areas: list[str], years: int, seed: int) -> pd.DataFrame:
    """Every area's months for `years` years to the census month, and County rows that are their sums."""
    rng = _srng(seed, "monitoring")
    last = pd.Period(_SCALED_CENSUS, "M")
    months = [str(p) for p in pd.period_range(last - 12 * years + 1, last, freq="M")]
    a, m = len(areas), len(months)
    started = rng.integers(5, 40, (a, m))
    ended = np.clip(started + rng.integers(-6, 7, (a, m)), 0, None)
    open_ = rng.integers(300, 600, (a, 1)) + np.cumsum(started - ended, axis=1)
    icpcs = started + rng.integers(0, 8, (a, m))
    s47 = icpcs + rng.integers(5, 30, (a, m))
    referrals = s47 * 5 + rng.integers(0, 50, (a, m))
    cin = rng.integers(1500, 2500, (a, m))
    lac = rng.integers(300, 600, (a, m))
    cols = dict(referrals=referrals, s47_enquiries=s47, icpcs=icpcs, cpp_started=started,
                cpp_ended=ended, cpp_open=open_, cin_open=cin, lac_open=lac)
    frame = pd.DataFrame({"month": np.tile(months, a), "area": np.repeat(areas, m),
                          **{k: v.ravel() for k, v in cols.items()}})
    county = pd.DataFrame({"month": months, "area": "County", **{k: v.sum(axis=0) for k, v in cols.items()}})
    out = pd.concat([frame, county], ignore_index=True)
    return out.sort_values(["month"], kind="stable").reset_index(drop=True)


def scaled_workforce(teams: pd.DataFrame, seed: int,
                     periods=("2008-03", "2008-06", "2008-09", "2008-12")) -> pd.DataFrame:
    rng = _srng(seed, "workforce")
    n, k = len(teams), len(periods)
    est = rng.integers(16, 32, n * k)
    vac = np.minimum(rng.integers(0, 8, n * k), est - 2)
    return pd.DataFrame({
        "period": np.repeat(periods, n),
        "team_id": np.tile(teams["team_id"].to_numpy(), k),
        "established_fte": _fte(est),
        "in_post_fte": _fte(est - vac),
        "agency_fte": _fte(rng.integers(0, 4, n * k)),
        "leavers_fte": _fte(rng.integers(0, 4, n * k)),
        "nqsw_headcount": rng.integers(0, 4, n * k),
        "cases_cp": rng.integers(5, 60, n * k),
        "cases_lac": rng.integers(5, 60, n * k),
        "cases_cin": rng.integers(50, 300, n * k),
    })


def generate_scaled(out_dir: Path, audit_rows: int, teams: int = 24, areas: int = 2, years: int = 2,
                    seed: int = 2009, review_id: str | None = None) -> Path:
    """Write a valid invented review of the given size into ``out_dir`` (for the scale benchmark).

    ``audit_rows`` case-audit rows (one per case), ``teams`` teams over
    ``areas`` areas, monitoring for every area over ``years`` years, quarterly
    workforce snapshots for every team. Banks, findings matrix and
    recommendations are the phase 1 example's. Every rule of the data contract
    holds, so the review validates without errors; the same arguments always
    write the same bytes.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    team_frame = scaled_teams(teams, areas, seed)
    area_names = list(dict.fromkeys(sorted(team_frame["area"])))
    questions = make_questions()
    crit = _read_csv("criteria.csv")
    audit = scaled_case_audit(team_frame, crit, audit_rows, seed)
    tables = {
        "teams": team_frame,
        "questions": questions,
        "questionnaire": scaled_questionnaire(team_frame, questions, seed),
        "audit_criteria": make_audit_criteria(),
        "case_audit": audit,
        "case_population": audit[["case_id", "team_id", "cpp_start_date", "category_of_abuse",
                                  "interim_care_order_at_home", "police_investigation_open", "legal_dissent"]],
        "monitoring": scaled_monitoring(area_names, years, seed),
        "workforce": scaled_workforce(team_frame, seed),
        "evidence_map": make_evidence_map(),
        "recommendations": make_recommendations(),
    }
    for name, df in tables.items():
        _write_csv(df, out_dir / f"{name}.csv")
    review_id = review_id or out_dir.name
    (out_dir / "review.yml").write_text(
        f"review_id: {review_id}\ntitle: Scale test review\nkind: phase\nphase: 1\n"
        f"authority: Invented County Council\naudience: board\nboard: Test Board\n"
        f"meeting_date: 2009-02-12\nauthor: Chief Executive\nclassification: Unrestricted\n"
        f"census_date: {_SCALED_CENSUS}\ncp_population: {audit_rows}\nsynthetic: true\n",
        encoding="utf-8", newline="\n")
    return out_dir
