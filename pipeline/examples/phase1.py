"""The phase-1 example (``example-phase1``): teams, monitoring, workforce, questionnaire, case audit.

Modelled on Kent's phase 1 review (Children's Champions Board, 12 February 2009);
see the package docstring for the published figures it pins down.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.examples.common import (
    EXAMPLE_DATA,
    _add_months,
    _add_wd,
    _allocate,
    _day,
    _fte,
    _iso,
    _read_csv,
    _rng,
    _targets,
    _to_wd,
    _wd_between,
    _write_csv,
)

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
    The steps below draw from one random stream in a fixed order.
    """
    rng = _rng(seed, "case_audit")
    at = targets["case_audit"]
    census = _day(targets["census_date"])
    crit = _read_csv("criteria.csv") if criteria is None else criteria
    auditors = _read_csv("auditors.csv")["auditor"].tolist() if auditors is None else list(auditors)
    sample = _audit_sample(population, at, rng)
    flags = _audit_flags(len(sample), at, rng)
    audit, review_plan = _audit_cases(sample, flags, at, census, auditors, rng)
    _miss_some_reviews(audit, review_plan, rng)
    _audit_answers(audit, sample, crit, flags, rng)
    _audit_grades(audit, flags, rng)
    for col in audit.columns:
        if col.endswith("_date"):
            audit[col] = audit[col].map(_iso)
    _check_audit_dates(audit, census)
    return audit


def _audit_sample(population: pd.DataFrame, at: dict, rng: np.random.Generator) -> pd.DataFrame:
    """High-risk cases first, the rest from the others; plans begun a month before the audit window."""
    a_from = _day(at["audit_from"])
    pop = population.copy()
    pop["start"] = pop["cpp_start_date"].map(_day)
    pop["risky"] = (pop[["interim_care_order_at_home", "police_investigation_open",
                         "legal_dissent"]] == "yes").any(axis=1)
    eligible = pop[pop["start"] <= a_from - np.timedelta64(28, "D")]
    risky_ids = eligible.index[eligible["risky"]].to_numpy()
    other_ids = eligible.index[~eligible["risky"]].to_numpy()
    pick = np.concatenate([rng.choice(risky_ids, at["high_risk_cases"], replace=False),
                           rng.choice(other_ids, at["cases"] - at["high_risk_cases"], replace=False)])
    return pop.loc[np.sort(pick)].sort_values("case_id").reset_index(drop=True)


def _audit_flags(m: int, at: dict, rng: np.random.Generator) -> dict:
    """Which cases rest on ICS alone, miss a timescale, or have good supervision and outcomes."""
    n_late_icpc, n_late_cg, n_late_visit = at.get("late", (7, 5, 6))

    def flags(k: int) -> np.ndarray:
        z = np.zeros(m, dtype=bool)
        z[rng.choice(m, k, replace=False)] = True
        return z

    out = {"ics_only": flags(at["ics_only_cases"]), "late_icpc": flags(n_late_icpc)}
    out["late_cg"], out["missing_cg"] = flags(n_late_cg), np.zeros(m, dtype=bool)
    out["missing_cg"][rng.choice(np.flatnonzero(~out["late_cg"]), 1)] = True
    out["late_visit"] = flags(n_late_visit)
    good_sup = flags(at["good_supervision_cases"])
    good_overall = np.zeros(m, dtype=bool)
    gs, ws = np.flatnonzero(good_sup), np.flatnonzero(~good_sup)
    good_overall[rng.choice(gs, at["good_overall_given_good_supervision"], replace=False)] = True
    good_overall[rng.choice(ws, at["good_overall_given_weak_supervision"], replace=False)] = True
    out["good_sup"], out["good_overall"] = good_sup, good_overall
    return out


def _audit_cases(sample: pd.DataFrame, flags: dict, at: dict, census: np.datetime64,
                 auditors: list[str], rng: np.random.Generator) -> tuple[pd.DataFrame, list]:
    """One row of dates and case details per sampled case; and each case's review deadline."""
    a_from, a_to = _day(at["audit_from"]), _day(at["audit_to"])
    span = _wd_between(a_from, a_to)
    ages = rng.choice(18, len(sample), p=_age_weights())
    rows, review_plan = [], []
    for i, case in sample.iterrows():
        icpc = np.datetime64(case["start"], "D")
        audit = _add_wd(a_from, int(rng.integers(0, span + 1)))
        gap = int(rng.integers(16, 23)) if flags["late_icpc"][i] else int(rng.integers(4, 16))
        strategy = _add_wd(icpc, -gap)
        s47 = min(_add_wd(strategy, int(rng.integers(0, 3))), icpc)
        referral = _add_wd(strategy, -int(rng.integers(0, 5)))
        if flags["missing_cg"][i]:
            core = None
        else:
            cg_gap = int(rng.integers(11, 17)) if flags["late_cg"][i] else int(rng.integers(3, 11))
            core = min(_add_wd(icpc, cg_gap), audit)
        deadline = _add_months(icpc, 3)
        review_plan.append(deadline)
        if deadline > census:
            review = None                     # not yet due at the census date
        else:
            review = min(_to_wd(deadline - np.timedelta64(int(rng.integers(0, 12)), "D")), audit)
        vgap = int(rng.integers(11, 21)) if flags["late_visit"][i] else int(rng.integers(1, 10))
        visit = max(_add_wd(audit, -vgap), icpc)
        age = int(ages[i])
        seen_alone = "no" if age < 2 or rng.random() < 0.1 else "yes"
        rows.append(dict(
            case_id=case["case_id"], team_id=case["team_id"],
            auditor=auditors[int(rng.integers(len(auditors)))],
            audit_date=audit, record_source="ics_only" if flags["ics_only"][i] else "ics_and_paper",
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
    return pd.DataFrame(rows), review_plan


def _miss_some_reviews(audit: pd.DataFrame, review_plan: list, rng: np.random.Generator) -> None:
    """Two reviews missed and two held late, among cases whose deadline passed well before the audit."""
    due = [i for i in range(len(audit))
           if review_plan[i] + np.timedelta64(20, "D") <= audit["audit_date"][i]]
    chosen = rng.choice(due, 4, replace=False)
    for i in chosen[:2]:
        audit.loc[i, "review_conference_date"] = None
    for i in chosen[2:]:
        audit.loc[i, "review_conference_date"] = _to_wd(
            review_plan[i] + np.timedelta64(int(rng.integers(5, 19)), "D"))


def _audit_answers(audit: pd.DataFrame, sample: pd.DataFrame, crit: pd.DataFrame, flags: dict,
                   rng: np.random.Generator) -> None:
    """The criterion answers (in place), and a couple of cells the auditor left blank."""
    m = len(audit)
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
            p_ne = float(c.p_not_evidenced_ics) if flags["ics_only"][i] else p_ne_paper
            p_yes = float(c.p_yes) - (p_ne - p_ne_paper) - (0 if flags["good_overall"][i] else 0.12)
            p_yes = min(max(p_yes, 0.0), 1.0 - p_ne)
            values.append(rng.choice(["yes", "not_evidenced", "no"],
                                     p=[p_yes, p_ne, 1.0 - p_yes - p_ne]))
        audit[c.criterion_id] = values
    crit_ids = crit["criterion_id"].tolist()
    for _ in range(2):
        i, j = int(rng.integers(m)), crit_ids[int(rng.integers(len(crit_ids)))]
        audit.loc[i, j] = ""


def _audit_grades(audit: pd.DataFrame, flags: dict, rng: np.random.Generator) -> None:
    """The auditors' grades (in place): good supervision goes with a good overall grade."""
    good_sup, good_overall, ics_only = flags["good_sup"], flags["good_overall"], flags["ics_only"]

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
