"""The later phase examples: ``example-phase2`` (multi-agency working) and ``example-phase3`` (national policy)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from pipeline.examples.common import (
    EXAMPLE_DATA,
    SEEDS,
    _add_wd,
    _day,
    _iso,
    _read_csv,
    _rng,
    _targets,
    _wd_between,
    _write_csv,
)
from pipeline.examples.phase1 import (
    _months,
    make_case_audit,
    make_case_population,
    make_evidence_map,
    make_monitoring,
    make_recommendations,
    make_teams,
)

# own seed; no wall clock; rows in a fixed order.


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
