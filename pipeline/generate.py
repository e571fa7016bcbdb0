"""Generate the invented example reviews under ``data/raw/``.

``example-phase1`` (described below) is the main one. The later examples reuse
its functions with their own lookup data in subfolders of ``example_data/``:
``example-phase2`` (multi-agency working), ``example-phase3`` (national policy)
and ``example-annual-2010`` .. ``-2012`` (the annual practice audits); see the
section "the later examples" near the end.

The example is modelled on Kent County Council's "Protecting Children in Kent"
phase 1 review (Children's Champions Board, 12 February 2009). Every row is
invented (``synthetic: true``) except the county figures that the review
published, which come out exactly:

- 903 children with a child protection plan at December 2007 and 1,052 at
  December 2008, with a net rise of 44 in December 2008 (report para 29);
- a vacancy rate of 17% for qualified social workers, with a few teams above
  25% (para 16), and an average caseload of 25 per worker, about 4 of them
  children with a plan and just over 4 looked-after children (para 28);
- an audit of 50 current child protection cases (findings slides).

The generator is deterministic: numpy ``default_rng`` streams seeded from the
seed and a fixed table number, no wall clock, no hash-ordered iteration, rows
written in a fixed order. Running it twice writes byte-identical files.

The lookup lists (districts, team types, question and criterion banks, the
findings matrix, the recommendations, the target figures) are data files in
``pipeline/example_data/``; this module only turns them into tables.

Usage::

    python -m pipeline.generate <example-id | all> [--out DIR] [--seed N]
"""
from __future__ import annotations

import argparse
import calendar
import datetime as dt
import sys
from pathlib import Path

import holidays
import numpy as np
import pandas as pd
import yaml

from pipeline.paths import RAW_DIR

EXAMPLE_DATA = Path(__file__).resolve().parent / "example_data"
REVIEW_ID = "example-phase1"

# One independent random stream per table, so that changing how one table is
# drawn never changes another.
_STREAM = {
    "workforce": 1,
    "monitoring": 2,
    "questionnaire": 3,
    "case_population": 4,
    "case_audit": 5,
}

# England and Wales bank holidays of the years the example covers.
_BANK_HOLIDAYS = np.array(
    sorted(holidays.country_holidays("GB", subdiv="ENG", years=range(2005, 2014))),
    dtype="datetime64[D]",
)


# --------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------

def _rng(seed: int, table: str) -> np.random.Generator:
    return np.random.default_rng([seed, _STREAM[table]])


def _read_csv(name: str) -> pd.DataFrame:
    return pd.read_csv(EXAMPLE_DATA / name, dtype=str, keep_default_na=False)


def _targets() -> dict:
    with open(EXAMPLE_DATA / "targets.yml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _day(value) -> np.datetime64:
    return np.datetime64(pd.Timestamp(str(value)).date(), "D")


def _add_wd(d: np.datetime64, n: int) -> np.datetime64:
    """The n-th working day after d (n may be negative: before d)."""
    roll = "backward" if n >= 0 else "forward"
    return np.busday_offset(np.datetime64(d, "D"), n, roll=roll, holidays=_BANK_HOLIDAYS)


def _wd_between(a: np.datetime64, b: np.datetime64) -> int:
    """Working days d with a < d <= b."""
    one = np.timedelta64(1, "D")
    a, b = np.datetime64(a, "D"), np.datetime64(b, "D")
    return int(np.busday_count(a + one, b + one, holidays=_BANK_HOLIDAYS))


def _to_wd(d: np.datetime64) -> np.datetime64:
    """d itself if a working day, else the working day before it."""
    return np.busday_offset(np.datetime64(d, "D"), 0, roll="backward", holidays=_BANK_HOLIDAYS)


def _add_months(d: np.datetime64, months: int) -> np.datetime64:
    """Same day `months` on, or the last day of that month (data contract)."""
    date = pd.Timestamp(d).date()
    m = date.month - 1 + months
    year, month = date.year + m // 12, m % 12 + 1
    day = min(date.day, calendar.monthrange(year, month)[1])
    return np.datetime64(dt.date(year, month, day), "D")


def _iso(d) -> str:
    return "" if d is None or pd.isna(d) else str(np.datetime64(d, "D"))


def _allocate(total: int, weights, caps=None) -> np.ndarray:
    """Split an integer total over weights, largest remainder, never above caps."""
    w = np.asarray(weights, dtype=float)
    caps = np.full(len(w), 10**12, dtype=np.int64) if caps is None else np.asarray(caps, dtype=np.int64)
    if total > caps.sum():
        raise ValueError(f"cannot allocate {total} under caps summing to {caps.sum()}")
    out = np.zeros(len(w), dtype=np.int64)
    free = np.ones(len(w), dtype=bool)
    remaining = total
    while remaining > 0:
        share = np.where(free, w, 0.0)
        if share.sum() <= 0:
            share = free.astype(float)
        exact = remaining * share / share.sum()
        add = np.floor(exact).astype(np.int64)
        order = np.lexsort((np.arange(len(w)), -(exact - add)))
        for i in order[: remaining - add.sum()]:
            add[i] += 1
        add = np.minimum(add, caps - out)
        out += add
        remaining = total - out.sum()
        free = out < caps
    return out


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    df.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def _fte(units) -> list[str]:
    """Half-FTE units as text with one decimal (exact in binary)."""
    return [f"{u / 2:.1f}" for u in units]


# --------------------------------------------------------------------------
# tables
# --------------------------------------------------------------------------

def make_teams() -> pd.DataFrame:
    """Two areas, twelve districts; one area-wide disability team per area."""
    districts = _read_csv("districts.csv")
    types = _read_csv("team_types.csv").set_index("team_type")
    rows = []
    for area in dict.fromkeys(districts["area"]):
        for rec in districts[districts["area"] == area].itertuples():
            for team_type in rec.team_types.split(";"):
                rows.append((f"{rec.district} {types.loc[team_type, 'name_suffix']}",
                             area, rec.district, team_type))
        rows.append((f"{area} {types.loc['disability', 'name_suffix']}", area, "", "disability"))
    teams = pd.DataFrame(rows, columns=["team_name", "area", "district", "team_type"])
    teams.insert(0, "team_id", [f"T{i:02d}" for i in range(1, len(teams) + 1)])
    teams["agency"] = "css"
    return teams


def _months(first: str, last: str) -> list[str]:
    return [str(p) for p in pd.period_range(first, last, freq="M")]


def make_monitoring(targets: dict, seed: int) -> pd.DataFrame:
    """Monthly stock and flow by area, with a County row that is their sum.

    cpp_open of a month = cpp_open of the month before + cpp_started - cpp_ended,
    exactly, for each area and so for the County. The County stock passes
    through the anchors of targets.yml (903 at 2007-12, 1,052 at 2008-12 after a
    net rise of 44, as the report's para 29 publishes).
    """
    rng = _rng(seed, "monitoring")
    mt, wt = targets["monitoring"], targets["workforce"]
    months = _months(mt["first_month"], mt["last_month"])
    areas = mt["areas"]
    anchors = {str(k): int(v) for k, v in mt["cpp_open_anchors"].items()}
    idx = [months.index(m) for m in anchors]

    # County stock: through the anchors, linear between them, with noise.
    lin = np.interp(np.arange(len(months)), idx, list(anchors.values()))
    county = np.rint(lin + rng.normal(0, 5, len(months))).astype(int)
    county[idx] = list(anchors.values())
    east = np.rint(county * mt["east_share"] + rng.normal(0, 3, len(months))).astype(int)
    stock = {areas[0]: east, areas[1]: county - east}

    # Children in need and looked after: end at the workforce snapshot of the
    # last workforce period and drift back from there.
    last_wf = months.index(str(wt["periods"][-1]))
    total_cases = int(round(wt["caseload_per_worker"] * (
        wt["established_fte"] - wt["vacancy_fte_latest"] + wt["agency_fte_latest"])))
    cp_latest = int(county[last_wf])
    if cp_latest != wt["cases_cp_latest"]:
        raise ValueError("targets.yml: cases_cp_latest must equal the County cpp_open of the last workforce period")
    lac_latest = int(wt["cases_lac_latest"])
    cin_latest = total_cases - cp_latest - lac_latest
    share = np.array([mt["east_share"], 1 - mt["east_share"]])
    lac_area = _allocate(lac_latest, share)
    cin_area = _allocate(cin_latest, share)

    surge = {str(k): float(v) for k, v in mt["surge"].items()}
    rows = []
    for a, area in enumerate(areas):
        s = stock[area]
        base_started = mt["cpp_started_per_month"]
        for i, month in enumerate(months):
            trend = 1 + 0.006 * i
            mult = surge.get(month, 1.0)
            net = int(s[i] - s[i - 1]) if i else int(rng.integers(0, 4))
            started = int(round(base_started * trend * mult * (1 + rng.normal(0, 0.08))))
            min_ended = int(round(0.5 * base_started))
            if started - net < min_ended:
                started = net + min_ended
            ended = started - net
            icpcs = started + int(round(started * rng.uniform(0.08, 0.20)))
            s47 = int(round(icpcs / (mt["icpc_per_s47"] * rng.uniform(0.92, 1.08))))
            referrals = int(round(mt["referrals_per_month"][area] * (1 + 0.003 * i) * mult
                                  * (1 + rng.normal(0, 0.035))))
            referrals = max(referrals, int(round(s47 / mt["s47_per_referral"] * 0.8)))
            back = last_wf - i
            lac = int(round(lac_area[a] / (1 + mt["lac_open_monthly_growth"]) ** back
                            + rng.normal(0, 4))) if back else int(lac_area[a])
            cin = int(round(cin_area[a] / (1 + mt["cin_open_monthly_growth"]) ** back
                            + rng.normal(0, 15))) if back else int(cin_area[a])
            rows.append(dict(month=month, area=area, referrals=referrals, s47_enquiries=s47,
                             icpcs=icpcs, cpp_started=started, cpp_ended=ended,
                             cpp_open=int(s[i]), cin_open=cin, lac_open=lac))
    mon = pd.DataFrame(rows)
    counts = [c for c in mon.columns if c not in ("month", "area")]
    county_rows = mon.groupby("month", sort=True)[counts].sum().reset_index()
    county_rows.insert(1, "area", "County")
    mon = pd.concat([mon, county_rows], ignore_index=True)
    order = {a: i for i, a in enumerate(areas + ["County"])}
    mon = mon.sort_values(["month", "area"], key=lambda c: c.map(order) if c.name == "area" else c,
                          kind="stable").reset_index(drop=True)
    return mon


def make_workforce(teams: pd.DataFrame, monitoring: pd.DataFrame, targets: dict,
                   seed: int, pressured: pd.DataFrame | None = None) -> pd.DataFrame:
    """Quarterly snapshots per team, in half-FTE units so the sums are exact.

    Latest period: vacancies (established - in post, never negative) sum to
    vacancy_fte_latest over established_fte (17%, report para 16); the teams
    flagged high_vacancy in pressured_teams.csv are above 25% and no other is;
    cases over in-post plus agency FTE is exactly caseload_per_worker (25,
    para 28). The team cases of each period total the monitoring stock of that
    month by area, so the two tables agree.
    """
    rng = _rng(seed, "workforce")
    wt = targets["workforce"]
    types = _read_csv("team_types.csv").set_index("team_type")
    pressured = _read_csv("pressured_teams.csv") if pressured is None else pressured
    high = set(zip(pressured.loc[pressured["high_vacancy"] == "yes", "district"],
                   pressured.loc[pressured["high_vacancy"] == "yes", "team_type"]))
    is_high = np.array([(d, t) in high for d, t in zip(teams["district"], teams["team_type"])])
    n = len(teams)

    # Establishment: half-FTE units summing to established_fte.
    base = types.loc[teams["team_type"], "established_fte"].astype(float).to_numpy()
    est = _allocate(int(round(wt["established_fte"] * 2)), base * (1 + rng.normal(0, 0.08, n)))

    # Latest vacancies: high teams from high_vacancy_min_pct to 33%, the rest
    # share what is left of the total, none above other_max_pct.
    vac_latest_total = int(round(wt["vacancy_fte_latest"] * 2))
    vac = np.zeros(n, dtype=np.int64)
    for i in np.flatnonzero(is_high):
        rate = rng.uniform(wt["high_vacancy_min_pct"] / 100, 0.30)
        vac[i] = int(np.ceil(rate * est[i]))
    caps = np.floor(est * wt["other_max_pct"] / 100).astype(np.int64)
    others = ~is_high
    vac[others] = _allocate(vac_latest_total - vac.sum(),
                            est[others] * rng.uniform(0.4, 1.6, others.sum()), caps[others])

    periods = [str(p) for p in wt["periods"]]
    vac_totals = [int(round(v * 2)) for v in wt["vacancy_fte_earlier"]] + [vac_latest_total]
    rows = []
    for p, period in enumerate(periods):
        if p == len(periods) - 1:
            vac_p = vac
        else:
            # an earlier quarter with fewer vacancies than the latest keeps each
            # team at or below its latest (a worsening year, as phase 1); one
            # with more lets teams go up to a third of their posts
            cap = vac if vac_totals[p] <= vac.sum() else np.maximum(vac, (est * 0.33).astype(np.int64))
            vac_p = _allocate(vac_totals[p], vac + 1.0, cap)
        agency = _allocate(int(round(vac_totals[p] * wt["agency_fte_latest"] / wt["vacancy_fte_latest"])),
                           vac_p + 0.5, vac_p)
        in_post = est - vac_p
        workers = in_post + agency       # half-FTE units
        mon = monitoring[monitoring["month"] == period].set_index("area")
        area_totals = {a: mon.loc[a] for a in mon.index if a != "County"}
        total_cases = int(round(wt["caseload_per_worker"] * workers.sum() / 2)) \
            if p == len(periods) - 1 else None
        cases = {}
        for kind, col in (("cp", "cpp_open"), ("lac", "lac_open"), ("cin", "cin_open")):
            w = est * types.loc[teams["team_type"], f"{kind}_weight"].astype(float).to_numpy() \
                * rng.uniform(0.85, 1.15, n)
            out = np.zeros(n, dtype=np.int64)
            for area, tot in area_totals.items():
                m = (teams["area"] == area).to_numpy()
                out[m] = _allocate(int(tot[col]), w[m])
            cases[kind] = out
        if total_cases is not None and sum(c.sum() for c in cases.values()) != total_cases:
            raise ValueError("workforce cases do not give the target caseload; check targets.yml")
        leavers = rng.choice([0, 0, 0, 1, 1, 2, 2, 3], n) + np.where(is_high, 2, 0)
        nqsw = rng.choice([0, 1, 1, 2, 2, 3], n)
        for i in range(n):
            rows.append(dict(period=period, team_id=teams["team_id"][i],
                             established_fte=est[i], in_post_fte=in_post[i], agency_fte=agency[i],
                             leavers_fte=leavers[i], nqsw_headcount=int(nqsw[i]),
                             cases_cp=int(cases["cp"][i]), cases_lac=int(cases["lac"][i]),
                             cases_cin=int(cases["cin"][i])))
    wf = pd.DataFrame(rows)
    for col in ("established_fte", "in_post_fte", "agency_fte", "leavers_fte"):
        wf[col] = _fte(wf[col])
    return wf


def make_questions() -> pd.DataFrame:
    return _read_csv("questions.csv")[["question_id", "text", "theme", "scale"]]


def make_questionnaire(teams: pd.DataFrame, targets: dict, seed: int) -> pd.DataFrame:
    """One return per team, mostly positive.

    Each question's county positive share is pinned to the bank's
    target_positive_share (the county-wide pressures sit below 75%); the cells
    of pressured_teams.csv are negative (local pressures); teams of the types in
    na_team_types may answer na; a few cells are left blank. The comments column
    carries a COMMENT- marker so tests can prove it never reaches an output.
    """
    rng = _rng(seed, "questionnaire")
    qt = targets["questionnaire"]
    bank = _read_csv("questions.csv")
    pressured = _read_csv("pressured_teams.csv")
    remarks = _read_csv("comments.csv")["comment"].tolist()
    n = len(teams)
    key = list(zip(teams["district"], teams["team_type"]))
    forced = {(key.index((r.district, r.team_type)), q)
              for r in pressured.itertuples() for q in r.questions.split(";")}

    answers = pd.DataFrame(index=range(n), columns=bank["question_id"], dtype=object)
    # structural na
    for q in bank.itertuples():
        na_types = set(q.na_team_types.split(";")) - {""}
        for i in range(n):
            if teams["team_type"][i] in na_types and rng.random() < qt["na_share"]:
                answers.loc[i, q.question_id] = "na"
    # blanks, away from na and forced cells
    free_cells = [(i, q) for q in bank["question_id"] for i in range(n)
                  if pd.isna(answers.loc[i, q]) and (i, q) not in forced]
    blank = {free_cells[j] for j in rng.choice(len(free_cells), qt["blank_cells"], replace=False)}

    for q in bank.itertuples():
        qid = q.question_id
        answered = [i for i in range(n) if pd.isna(answers.loc[i, qid]) and (i, qid) not in blank]
        n_pos = int(round(float(q.target_positive_share) * len(answered)))
        must_neg = [i for i in answered if (i, qid) in forced]
        pool = [i for i in answered if (i, qid) not in forced]
        n_neg_more = max(len(answered) - n_pos - len(must_neg), 0)
        extra_neg = set(rng.choice(pool, n_neg_more, replace=False).tolist()) if n_neg_more else set()
        for i in answered:
            negative = i in extra_neg or i in must_neg
            if q.scale == "agree4":
                code = (("disagree" if rng.random() < 0.8 else "strongly_disagree") if negative
                        else ("strongly_agree" if rng.random() < 0.35 else "agree"))
            else:
                code = (("partly" if rng.random() < 0.7 else "no") if negative else "yes")
            answers.loc[i, qid] = code
    answers = answers.fillna("")

    from_d, to_d = _day(qt["completed_from"]), _day(qt["completed_to"])
    span = _wd_between(from_d, to_d)
    completed = [_iso(_add_wd(from_d, int(k))) for k in rng.integers(0, span + 1, n)]
    roles = rng.choice(["Team manager", "Team manager", "Team manager", "Deputy team manager"], n)
    comments = []
    for i in range(n):
        if rng.random() < qt["comment_share"]:
            comments.append(f"COMMENT-{teams['team_id'][i]}: {remarks[int(rng.integers(len(remarks)))]}")
        else:
            comments.append("")
    out = pd.DataFrame({"team_id": teams["team_id"], "completed_date": completed,
                        "respondent_role": roles})
    out = pd.concat([out, answers], axis=1)
    out["comments"] = comments
    return out


def make_case_population(teams: pd.DataFrame, monitoring: pd.DataFrame,
                         workforce: pd.DataFrame, targets: dict, seed: int) -> pd.DataFrame:
    """The open child protection cases at census_date.

    Their number by area is the monitoring stock of the census month, shared
    between teams as the latest workforce snapshot's cases_cp; a tenth carry
    at least one of the NSPCC high-risk flags the County Council asked about.
    """
    rng = _rng(seed, "case_population")
    pt = targets["case_population"]
    census = _day(targets["census_date"])
    census_month = str(pd.Timestamp(str(census)).to_period("M"))
    mon = monitoring[monitoring["month"] == census_month].set_index("area")
    latest = workforce[workforce["period"] == workforce["period"].max()]
    team_ids = []
    for area in dict.fromkeys(teams["area"]):
        in_area = teams[teams["area"] == area]["team_id"].tolist()
        w = latest.set_index("team_id").loc[in_area, "cases_cp"].astype(float).to_numpy()
        k = _allocate(int(mon.loc[area, "cpp_open"]), w)
        for t, c in zip(in_area, k):
            team_ids += [t] * int(c)
    n = len(team_ids)
    if n != int(mon.loc["County", "cpp_open"]):
        raise ValueError("case population does not match the County stock")

    numbers = np.sort(rng.choice(9000, n, replace=False) + 1000)
    order = rng.permutation(n)          # which team each case number belongs to
    days_on_plan = np.minimum(rng.exponential(pt["mean_months_on_plan"] * 30.4, n), 1050)
    start = [_to_wd(census - np.timedelta64(int(d), "D")) for d in days_on_plan]
    cats = list(pt["category_shares"])
    category = rng.choice(cats, n, p=np.array(list(pt["category_shares"].values()), dtype=float))
    flags = np.zeros((n, 3), dtype=bool)     # icoh, police, legal_dissent
    risky = rng.choice(n, int(round(pt["high_risk_share"] * n)), replace=False)
    for i in risky:
        f = rng.random(3) < [0.3, 0.55, 0.25]
        if not f.any():
            f[int(rng.integers(3))] = True
        flags[i] = f
    yn = np.where(flags, "yes", "no")
    pop = pd.DataFrame({
        "case_id": [f"KCA-{numbers[i]:04d}" for i in range(n)],
        "team_id": [team_ids[j] for j in order],
        "cpp_start_date": [_iso(start[j]) for j in order],
        "category_of_abuse": category[order],
        "interim_care_order_at_home": yn[order, 0],
        "police_investigation_open": yn[order, 1],
        "legal_dissent": yn[order, 2],
    })
    return pop


def make_audit_criteria() -> pd.DataFrame:
    return _read_csv("criteria.csv")[["criterion_id", "text", "domain", "reference"]]


def make_case_audit(population: pd.DataFrame, targets: dict, seed: int,
                    criteria: pd.DataFrame | None = None,
                    auditors: list[str] | None = None) -> pd.DataFrame:
    """The completed forms of the audited cases (50 in phase 1) drawn from the population.

    Dates respect the contract's order rules; most Working Together timescales
    are met and some are not; cases whose first review is not due by the census
    date have no review date. Cases resting on ICS alone record more
    not_evidenced answers; good supervision goes with a good overall grade.
    """
    rng = _rng(seed, "case_audit")
    at = targets["case_audit"]
    census = _day(targets["census_date"])
    a_from, a_to = _day(at["audit_from"]), _day(at["audit_to"])
    crit = _read_csv("criteria.csv") if criteria is None else criteria
    auditors = _read_csv("auditors.csv")["auditor"].tolist() if auditors is None else list(auditors)
    n_late_icpc, n_late_cg, n_late_visit = at.get("late", (7, 5, 6))

    # the sample: high-risk cases first, the rest from the others; plans that
    # began at least a month before the audit window
    pop = population.copy()
    pop["start"] = pop["cpp_start_date"].map(_day)
    pop["risky"] = (pop[["interim_care_order_at_home", "police_investigation_open",
                         "legal_dissent"]] == "yes").any(axis=1)
    eligible = pop[pop["start"] <= a_from - np.timedelta64(28, "D")]
    risky_ids = eligible.index[eligible["risky"]].to_numpy()
    other_ids = eligible.index[~eligible["risky"]].to_numpy()
    pick = np.concatenate([rng.choice(risky_ids, at["high_risk_cases"], replace=False),
                           rng.choice(other_ids, at["cases"] - at["high_risk_cases"], replace=False)])
    sample = pop.loc[np.sort(pick)].sort_values("case_id").reset_index(drop=True)
    m = len(sample)

    def flags(k: int) -> np.ndarray:
        z = np.zeros(m, dtype=bool)
        z[rng.choice(m, k, replace=False)] = True
        return z

    ics_only = flags(at["ics_only_cases"])
    late_icpc = flags(n_late_icpc)
    late_cg, missing_cg = flags(n_late_cg), np.zeros(m, dtype=bool)
    missing_cg[rng.choice(np.flatnonzero(~late_cg), 1)] = True
    late_visit = flags(n_late_visit)
    good_sup = flags(at["good_supervision_cases"])
    good_overall = np.zeros(m, dtype=bool)
    gs, ws = np.flatnonzero(good_sup), np.flatnonzero(~good_sup)
    good_overall[rng.choice(gs, at["good_overall_given_good_supervision"], replace=False)] = True
    good_overall[rng.choice(ws, at["good_overall_given_weak_supervision"], replace=False)] = True

    span = _wd_between(a_from, a_to)
    ages = rng.choice(18, m, p=_age_weights())
    rows = []
    review_plan = []       # to choose a couple of missed and late reviews below
    for i, case in sample.iterrows():
        icpc = np.datetime64(case["start"], "D")
        audit = _add_wd(a_from, int(rng.integers(0, span + 1)))
        gap = int(rng.integers(16, 23)) if late_icpc[i] else int(rng.integers(4, 16))
        strategy = _add_wd(icpc, -gap)
        s47 = min(_add_wd(strategy, int(rng.integers(0, 3))), icpc)
        referral = _add_wd(strategy, -int(rng.integers(0, 5)))
        if missing_cg[i]:
            core = None
        else:
            cg_gap = int(rng.integers(11, 17)) if late_cg[i] else int(rng.integers(3, 11))
            core = min(_add_wd(icpc, cg_gap), audit)
        deadline = _add_months(icpc, 3)
        review_plan.append(deadline)
        if deadline > census:
            review = None                     # not yet due at the census date
        else:
            review = min(_to_wd(deadline - np.timedelta64(int(rng.integers(0, 12)), "D")), audit)
        vgap = int(rng.integers(11, 21)) if late_visit[i] else int(rng.integers(1, 10))
        visit = max(_add_wd(audit, -vgap), icpc)
        age = int(ages[i])
        seen_alone = "no" if age < 2 or rng.random() < 0.1 else "yes"
        rows.append(dict(
            case_id=case["case_id"], team_id=case["team_id"],
            auditor=auditors[int(rng.integers(len(auditors)))],
            audit_date=audit, record_source="ics_only" if ics_only[i] else "ics_and_paper",
            age_years=age, category_of_abuse=case["category_of_abuse"],
            referral_date=referral, strategy_discussion_date=strategy, s47_start_date=s47,
            icpc_date=icpc, cpp_start_date=icpc, first_core_group_date=core,
            review_conference_date=review, last_visit_date=visit,
            last_visit_seen_alone=seen_alone,
            previous_cpp_count=int(rng.choice([0, 1, 2], p=[0.74, 0.2, 0.06])),
            interim_care_order_at_home=case["interim_care_order_at_home"],
            police_investigation_open=case["police_investigation_open"],
            legal_dissent=case["legal_dissent"],
        ))
    audit = pd.DataFrame(rows)

    # two reviews missed and two held late, among cases whose deadline passed
    # well before the audit
    due = [i for i in range(m) if review_plan[i] + np.timedelta64(20, "D") <= audit["audit_date"][i]]
    chosen = rng.choice(due, 4, replace=False)
    for i in chosen[:2]:
        audit.loc[i, "review_conference_date"] = None
    for i in chosen[2:]:
        audit.loc[i, "review_conference_date"] = _to_wd(
            review_plan[i] + np.timedelta64(int(rng.integers(5, 19)), "D"))

    # criteria
    for c in crit.itertuples():
        p_ne_paper = float(c.p_not_evidenced_paper)
        values = []
        for i in range(m):
            if c.na_when == "no_high_risk" and not sample["risky"][i]:
                values.append("na")
                continue
            if c.na_when == "under_2" and audit["age_years"][i] < 2:
                values.append("na")
                continue
            p_ne = float(c.p_not_evidenced_ics) if ics_only[i] else p_ne_paper
            p_yes = float(c.p_yes) - (p_ne - p_ne_paper) - (0 if good_overall[i] else 0.12)
            p_yes = min(max(p_yes, 0.0), 1.0 - p_ne)
            values.append(rng.choice(["yes", "not_evidenced", "no"],
                                     p=[p_yes, p_ne, 1.0 - p_yes - p_ne]))
        audit[c.criterion_id] = values
    # a couple of cells the auditor left blank
    crit_ids = crit["criterion_id"].tolist()
    for _ in range(2):
        i, j = int(rng.integers(m)), crit_ids[int(rng.integers(len(crit_ids)))]
        audit.loc[i, j] = ""

    # grades
    def grade(good: np.ndarray, p_good: float, p_weak: float) -> list[str]:
        out = []
        for g in good:
            if rng.random() < (p_good if g else p_weak):
                out.append("outstanding" if rng.random() < 0.15 else "good")
            else:
                out.append("inadequate" if rng.random() < 0.15 else "requires_improvement")
        return out

    audit["grade_assessment"] = grade(good_overall, 0.9, 0.35)
    audit["grade_planning"] = grade(good_overall, 0.9, 0.3)
    audit["grade_recording"] = grade(good_overall & ~ics_only, 0.85, 0.35)
    audit["grade_oversight"] = grade(good_sup, 0.9, 0.25)
    audit["grade_supervision"] = [("outstanding" if rng.random() < 0.2 else "good") if g else
                                  ("inadequate" if rng.random() < 0.2 else "requires_improvement")
                                  for g in good_sup]
    audit["grade_overall"] = [("outstanding" if rng.random() < 0.1 else "good") if g else
                              ("inadequate" if rng.random() < 0.1 else "requires_improvement")
                              for g in good_overall]

    for col in audit.columns:
        if col.endswith("_date"):
            audit[col] = audit[col].map(_iso)
    _check_audit_dates(audit, census)
    return audit


def _age_weights() -> np.ndarray:
    """Ages of children with a plan: younger children more often (invented)."""
    w = np.array([10, 8, 8, 7, 7, 6, 6, 6, 5, 5, 5, 5, 5, 5, 4, 4, 2, 2], dtype=float)
    return w / w.sum()


def _check_audit_dates(audit: pd.DataFrame, census: np.datetime64) -> None:
    """Fail loudly if the generator ever breaks the contract's date order."""
    d = {c: pd.to_datetime(audit[c].where(audit[c] != ""), format="%Y-%m-%d")
         for c in audit.columns if c.endswith("_date")}
    chain = ["referral_date", "strategy_discussion_date", "s47_start_date", "icpc_date", "cpp_start_date"]
    for a, b in zip(chain, chain[1:]):
        assert (d[a] <= d[b]).all(), (a, b)
    assert ((d["first_core_group_date"] >= d["icpc_date"]) | d["first_core_group_date"].isna()).all()
    assert ((d["review_conference_date"] > d["icpc_date"]) | d["review_conference_date"].isna()).all()
    for c, s in d.items():
        assert ((s <= d["audit_date"]) | s.isna()).all(), c
    assert (d["audit_date"] <= pd.Timestamp(str(census))).all()


def make_evidence_map() -> pd.DataFrame:
    return _read_csv("evidence_map.csv")


def make_recommendations() -> pd.DataFrame:
    return _read_csv("recommendations.csv")


# --------------------------------------------------------------------------
# the whole review
# --------------------------------------------------------------------------

def generate_example_phase1(out_dir: Path, seed: int = 2009) -> None:
    """Write the example review's review.yml and CSV tables into out_dir."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    targets = _targets()
    teams = make_teams()
    monitoring = make_monitoring(targets, seed)
    workforce = make_workforce(teams, monitoring, targets, seed)
    population = make_case_population(teams, monitoring, workforce, targets, seed)
    tables = {
        "teams": teams,
        "questions": make_questions(),
        "questionnaire": make_questionnaire(teams, targets, seed),
        "audit_criteria": make_audit_criteria(),
        "case_audit": make_case_audit(population, targets, seed),
        "case_population": population,
        "monitoring": monitoring,
        "workforce": workforce,
        "evidence_map": make_evidence_map(),
        "recommendations": make_recommendations(),
    }
    for name, df in tables.items():
        _write_csv(df, out_dir / f"{name}.csv")
    template = (EXAMPLE_DATA / "review.yml").read_text(encoding="utf-8")
    review = template.replace("{cp_population}", str(len(population)))
    (out_dir / "review.yml").write_text(review, encoding="utf-8", newline="\n")


# --------------------------------------------------------------------------
# the later examples: phase 2, phase 3 and the annual practice audits
# --------------------------------------------------------------------------
#
# Each has its lookup data in a subfolder of example_data/ (phase2/, phase3/,
# annual/) and shares the recommendations register in example_data/register/.
# The same rules hold: one random stream per table, seeded from the example's
# own seed; no wall clock; rows in a fixed order.

SEEDS = {
    "example-phase1": 2009,
    "example-phase2": 20090423,
    "example-phase3": 20090625,
    "example-annual-2010": 2010,
    "example-annual-2011": 2011,
    "example-annual-2012": 2012,
}
_STREAM.update({"monitoring_extension": 6})

_ROLES = {  # who signs a joint-working return, by agency (invented)
    "css": "Team manager", "police": "Detective inspector", "health": "Named nurse",
    "education": "Safeguarding adviser", "probation": "Senior probation officer",
}


def _sub_csv(sub: str, name: str) -> pd.DataFrame:
    return _read_csv(f"{sub}/{name}")


def _sub_yaml(sub: str, name: str = "targets.yml") -> dict:
    with open(EXAMPLE_DATA / sub / name, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _sort_monitoring(mon: pd.DataFrame, areas: list[str]) -> pd.DataFrame:
    order = {a: i for i, a in enumerate(areas + ["County"])}
    return mon.sort_values(["month", "area"], key=lambda c: c.map(order) if c.name == "area" else c,
                           kind="stable").reset_index(drop=True)


def extend_monitoring(mon: pd.DataFrame, base: dict, ext: dict, seed: int) -> pd.DataFrame:
    """Continue a monitoring series to ext['extend_to'], reconciled as the contract asks.

    The County stock passes through ext['cpp_open_anchors']; each area's flows
    follow its own last twelve months (multiplied by ext['surge'] where given),
    with the ratios of base (phase 1's targets['monitoring']). The County rows
    are the sums of the area rows.
    """
    rng = _rng(seed, "monitoring_extension")
    areas = list(base["areas"])
    counts = [c for c in mon.columns if c not in ("month", "area")]
    last = mon["month"].max()
    months = _months(str(pd.Period(last, "M") + 1), str(ext["extend_to"]))
    anchors = {str(k): int(v) for k, v in ext["cpp_open_anchors"].items()}
    if sorted(anchors) != months:
        raise ValueError("phase 2 targets: give a County anchor for every added month")
    surge = {str(k): float(v) for k, v in ext.get("surge", {}).items()}
    county = np.array([anchors[m] for m in months])
    east = np.rint(county * base["east_share"] + rng.normal(0, 3, len(months))).astype(int)
    stock = {areas[0]: east, areas[1]: county - east}
    rows = []
    for area in areas:
        past = mon[mon["area"] == area].sort_values("month").tail(12)
        prev = past.iloc[-1]
        base_started = float(past["cpp_started"].iloc[:-2].median())
        base_referrals = float(past["referrals"].iloc[:-2].median())
        s_prev, cin, lac = int(prev["cpp_open"]), int(prev["cin_open"]), int(prev["lac_open"])
        for i, month in enumerate(months):
            mult = surge.get(month, 1.0)
            s = int(stock[area][i])
            net = s - s_prev
            started = int(round(base_started * mult * (1 + rng.normal(0, 0.08))))
            min_ended = int(round(0.5 * base_started))
            if started - net < min_ended:
                started = net + min_ended
            icpcs = started + int(round(started * rng.uniform(0.08, 0.20)))
            s47 = int(round(icpcs / (base["icpc_per_s47"] * rng.uniform(0.92, 1.08))))
            referrals = int(round(base_referrals * mult * (1 + rng.normal(0, 0.035))))
            referrals = max(referrals, int(round(s47 / base["s47_per_referral"] * 0.8)))
            cin = int(round(cin * (1 + base["cin_open_monthly_growth"]) + rng.normal(0, 15)))
            lac = int(round(lac * (1 + base["lac_open_monthly_growth"]) + rng.normal(0, 4)))
            rows.append(dict(month=month, area=area, referrals=referrals, s47_enquiries=s47,
                             icpcs=icpcs, cpp_started=started, cpp_ended=started - net,
                             cpp_open=s, cin_open=cin, lac_open=lac))
            s_prev = s
    added = pd.DataFrame(rows)
    county_rows = added.groupby("month", sort=True)[counts].sum().reset_index()
    county_rows.insert(1, "area", "County")
    out = pd.concat([mon, added, county_rows], ignore_index=True)
    return _sort_monitoring(out, areas)


def _phase2_monitoring() -> pd.DataFrame:
    """Phase 1's monitoring series, continued to March 2009."""
    base = _targets()
    mon = make_monitoring(base, SEEDS["example-phase1"])
    return extend_monitoring(mon, base["monitoring"], _sub_yaml("phase2")["monitoring"],
                             SEEDS["example-phase2"])


def make_partner_teams() -> pd.DataFrame:
    """Phase 2's responding units: the partner agencies' units, then phase 1's CSS teams."""
    units = _sub_csv("phase2", "units.csv")
    units["team_type"] = "partner_agency"
    units = units[["team_id", "team_name", "area", "district", "team_type", "agency"]]
    return pd.concat([units, make_teams()], ignore_index=True)


def make_joint_questionnaire(teams: pd.DataFrame, targets: dict, seed: int) -> pd.DataFrame:
    """One joint-working return per partner unit and per CSS duty team.

    Each question's positive share is pinned to the bank's target; which units
    answer negatively is drawn with the weights of agency_bias.csv (an agency
    weak on a question is more often negative on it); agencies in na_always
    answer na, those in na_sometimes do with chance na_share.
    """
    rng = _rng(seed, "questionnaire")
    qt = targets["questionnaire"]
    bank = _sub_csv("phase2", "questions.csv")
    bias = {(r.agency, r.question_id): float(r.weight)
            for r in _sub_csv("phase2", "agency_bias.csv").itertuples()}
    remarks = _sub_csv("phase2", "comments.csv")["comment"].tolist()
    ret = teams[(teams["team_type"] == "partner_agency")
                | teams["team_type"].isin(qt["css_team_types"])].reset_index(drop=True)
    n = len(ret)
    agency = ret["agency"].tolist()
    answers = pd.DataFrame(index=range(n), columns=bank["question_id"], dtype=object)
    for q in bank.itertuples():
        always = set(q.na_always.split(";")) - {""}
        sometimes = set(q.na_sometimes.split(";")) - {""}
        for i in range(n):
            if agency[i] in always or (agency[i] in sometimes and rng.random() < qt["na_share"]):
                answers.loc[i, q.question_id] = "na"
    free_cells = [(i, q) for q in bank["question_id"] for i in range(n) if pd.isna(answers.loc[i, q])]
    blank = {free_cells[j] for j in rng.choice(len(free_cells), qt["blank_cells"], replace=False)}
    for q in bank.itertuples():
        qid = q.question_id
        answered = [i for i in range(n) if pd.isna(answers.loc[i, qid]) and (i, qid) not in blank]
        n_neg = len(answered) - int(round(float(q.target_positive_share) * len(answered)))
        w = np.array([bias.get((agency[i], qid), 1.0) for i in answered])
        neg = set(rng.choice(answered, n_neg, replace=False, p=w / w.sum()).tolist()) if n_neg else set()
        for i in answered:
            if q.scale == "agree4":
                code = (("disagree" if rng.random() < 0.8 else "strongly_disagree") if i in neg
                        else ("strongly_agree" if rng.random() < 0.3 else "agree"))
            else:
                code = (("partly" if rng.random() < 0.7 else "no") if i in neg else "yes")
            answers.loc[i, qid] = code
    answers = answers.fillna("")
    from_d, to_d = _day(qt["completed_from"]), _day(qt["completed_to"])
    span = _wd_between(from_d, to_d)
    completed = [_iso(_add_wd(from_d, int(k))) for k in rng.integers(0, span + 1, n)]
    comments = [f"COMMENT-{ret['team_id'][i]}: {remarks[int(rng.integers(len(remarks)))]}"
                if rng.random() < qt["comment_share"] else "" for i in range(n)]
    out = pd.DataFrame({"team_id": ret["team_id"], "completed_date": completed,
                        "respondent_role": [_ROLES[a] for a in agency]})
    out = pd.concat([out, answers], axis=1)
    out["comments"] = comments
    return out


def _team_weights(teams: pd.DataFrame, period: str) -> pd.DataFrame:
    """Stand-in for a workforce snapshot: each team's share of the plans (no workforce table)."""
    types = _read_csv("team_types.csv").set_index("team_type")
    w = (types.loc[teams["team_type"], "established_fte"].astype(float).to_numpy()
         * types.loc[teams["team_type"], "cp_weight"].astype(float).to_numpy())
    return pd.DataFrame({"period": period, "team_id": teams["team_id"].to_numpy(), "cases_cp": w})


def _criteria_frame(crit: pd.DataFrame) -> pd.DataFrame:
    return crit[["criterion_id", "text", "domain", "reference"]]


def _evidence_map(sub: str) -> pd.DataFrame:
    """An example's findings matrix, with the finding wording of phase 1's matrix."""
    wording = make_evidence_map().drop_duplicates("finding_id").set_index("finding_id")["finding"]
    em = _sub_csv(sub, "evidence_map.csv")
    unknown = set(em["finding_id"]) - set(wording.index)
    if unknown:
        raise ValueError(f"{sub}/evidence_map.csv: unknown finding_id {sorted(unknown)}")
    em.insert(1, "finding", em["finding_id"].map(wording))
    return em


def make_register(review_id: str, max_phase: int | None) -> pd.DataFrame:
    """The recommendations register as review_id records it (phase <= max_phase)."""
    cols = ["rec_id", "finding_ids", "text", "owner", "phase", "due_date"]
    recs = pd.concat([make_recommendations()[cols], _sub_csv("register", "recommendations.csv")[cols]],
                     ignore_index=True)
    status = _sub_csv("register", "status.csv").set_index("rec_id")[review_id]
    if max_phase is not None:
        recs = recs[recs["phase"].astype(int) <= max_phase].reset_index(drop=True)
    recs["status"] = recs["rec_id"].map(status).fillna("")
    if (recs["status"] == "").any():
        raise ValueError(f"register/status.csv: no {review_id} status for "
                         f"{recs.loc[recs['status'] == '', 'rec_id'].tolist()}")
    return recs[["rec_id", "finding_ids", "text", "owner", "phase", "status", "due_date"]]


def _write_review(out_dir: Path, tables: dict, review_yml: str) -> None:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        _write_csv(df, out_dir / f"{name}.csv")
    (out_dir / "review.yml").write_text(review_yml, encoding="utf-8", newline="\n")


def generate_example_phase2(out_dir: Path, seed: int = SEEDS["example-phase2"]) -> None:
    """Multi-agency working (phase 2): partner units, joint-working questionnaire,
    multi-agency case audit of 40 cases, monitoring continued to March 2009, the
    findings matrix rating what phase 1 deferred, and the register so far.
    No workforce table: the workforce analysis is skipped and the matrix has no
    workforce rows."""
    targets = _sub_yaml("phase2")
    teams = make_partner_teams()
    monitoring = _phase2_monitoring()
    css = teams[teams["agency"] == "css"].reset_index(drop=True)
    census_month = str(pd.Timestamp(str(targets["census_date"])).to_period("M"))
    population = make_case_population(css, monitoring, _team_weights(css, census_month), targets, seed)
    crit = _sub_csv("phase2", "criteria.csv")
    tables = {
        "teams": teams,
        "questions": _sub_csv("phase2", "questions.csv")[["question_id", "text", "theme", "scale"]],
        "questionnaire": make_joint_questionnaire(teams, targets, seed),
        "audit_criteria": _criteria_frame(crit),
        "case_audit": make_case_audit(population, targets, seed, criteria=crit,
                                      auditors=_sub_csv("phase2", "auditors.csv")["auditor"].tolist()),
        "case_population": population,
        "monitoring": monitoring,
        "evidence_map": _evidence_map("phase2"),
        "recommendations": make_register("example-phase2", 2),
    }
    template = (EXAMPLE_DATA / "phase2" / "review.yml").read_text(encoding="utf-8")
    _write_review(out_dir, tables, template.replace("{cp_population}", str(len(population))))


def generate_example_phase3(out_dir: Path, seed: int = SEEDS["example-phase3"]) -> None:
    """National policy (phase 3): phase 1's CSS teams, phase 2's monitoring
    dataset unchanged, a findings matrix of national-policy rows and the full
    register. No questionnaire, case audit or workforce: those analyses are
    skipped, and every computed row of the matrix reads monitoring."""
    tables = {
        "teams": make_teams(),
        "monitoring": _phase2_monitoring(),
        "evidence_map": _evidence_map("phase3"),
        "recommendations": make_register("example-phase3", 3),
    }
    _write_review(out_dir, tables, (EXAMPLE_DATA / "phase3" / "review.yml").read_text(encoding="utf-8"))


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


def scaled_workforce(teams: pd.DataFrame, seed: int, periods=("2008-03", "2008-06", "2008-09", "2008-12")) -> pd.DataFrame:
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


EXAMPLES = {
    "example-phase1": lambda out, seed=None: generate_example_phase1(out, seed=SEEDS["example-phase1"] if seed is None else seed),
    "example-phase2": lambda out, seed=None: generate_example_phase2(out, seed=SEEDS["example-phase2"] if seed is None else seed),
    "example-phase3": lambda out, seed=None: generate_example_phase3(out, seed=SEEDS["example-phase3"] if seed is None else seed),
    "example-annual-2010": lambda out, seed=None: generate_example_annual(out, 2010, seed),
    "example-annual-2011": lambda out, seed=None: generate_example_annual(out, 2011, seed),
    "example-annual-2012": lambda out, seed=None: generate_example_annual(out, 2012, seed),
}


def generate(name: str, out_dir: Path | None = None, seed: int | None = None) -> Path:
    """Write one example review into out_dir (default data/raw/<name>); return the folder."""
    out = Path(out_dir) if out_dir is not None else RAW_DIR / name
    EXAMPLES[name](out, seed)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.generate",
        description="Generate an invented example review (synthetic data).")
    parser.add_argument("review_id", choices=[*EXAMPLES, "all"])
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default data/raw/<review_id>); with 'all', "
                             "the folder that receives one subfolder per example")
    parser.add_argument("--seed", type=int, default=None,
                        help="seed of a single example (default: its own fixed seed)")
    args = parser.parse_args(argv)
    if args.review_id == "all":
        if args.seed is not None:
            parser.error("--seed applies to a single example")
        for name in EXAMPLES:
            out = generate(name, None if args.out is None else args.out / name)
            print(f"wrote {out}")
        return 0
    out = generate(args.review_id, args.out, args.seed)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
