"""The invented example review reproduces the published county figures.

Every expected figure here is either published in the phase 1 report (Kent
Children's Champions Board, 12 February 2009: 903 and 1,052 children with a plan
at December 2007 and 2008, a net rise of 44 in December 2008, 17% vacancies,
25 cases per worker, 50 audited cases) or a rule of the data contract. They are
recomputed from the written CSV files with plain pandas, never by calling the
generator's own helpers.
"""
from __future__ import annotations

import filecmp
from pathlib import Path

import holidays
import numpy as np
import pandas as pd
import pytest
import yaml
from scipy.stats import fisher_exact

from pipeline.examples import generate_example_phase1
from pipeline.paths import RAW_DIR

TABLES = ["teams", "questions", "questionnaire", "audit_criteria", "case_audit",
          "case_population", "monitoring", "workforce", "evidence_map", "recommendations"]
FILES = [f"{t}.csv" for t in TABLES] + ["review.yml"]
CENSUS = pd.Timestamp("2009-01-30")


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("example") / "example-phase1"
    generate_example_phase1(folder, seed=2009)
    return folder


def read(folder: Path, table: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{table}.csv", dtype=str, keep_default_na=False, encoding="utf-8")


def num(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s)


def dates(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s.where(s != ""), format="%Y-%m-%d")


# ---------------------------------------------------------------- files

def test_every_file_written(out):
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)


def test_generation_is_deterministic(out, tmp_path):
    again = tmp_path / "example-phase1"
    generate_example_phase1(again, seed=2009)
    for name in FILES:
        assert (out / name).read_bytes() == (again / name).read_bytes(), name


def test_committed_example_matches_the_generator(out):
    committed = RAW_DIR / "example-phase1"
    match, mismatch, errors = filecmp.cmpfiles(committed, out, FILES, shallow=False)
    assert (mismatch, errors) == ([], []), "re-run: python -m pipeline generate example-phase1"


def test_review_yml(out):
    meta = yaml.safe_load((out / "review.yml").read_text(encoding="utf-8"))
    assert meta["review_id"] == "example-phase1"
    assert meta["title"] == "Protecting Children in Kent"
    assert (meta["kind"], meta["phase"], meta["audience"]) == ("phase", 1, "board")
    assert meta["authority"] == "Kent County Council"
    assert meta["board"] == "Children's Champions Board"
    assert str(meta["meeting_date"]) == "2009-02-12"
    assert str(meta["census_date"]) == "2009-01-30"
    assert meta["synthetic"] is True
    assert meta["cp_population"] == len(read(out, "case_population"))


# ---------------------------------------------------------------- monitoring

def test_published_plan_figures(out):
    mon = read(out, "monitoring")
    county = mon[mon["area"] == "County"].set_index("month")
    assert int(county.loc["2007-12", "cpp_open"]) == 903
    assert int(county.loc["2008-12", "cpp_open"]) == 1052
    dec = county.loc["2008-12"]
    assert int(dec["cpp_started"]) - int(dec["cpp_ended"]) == 44


def test_monitoring_reconciles(out):
    mon = read(out, "monitoring")
    counts = ["referrals", "s47_enquiries", "icpcs", "cpp_started", "cpp_ended", "cpp_open",
              "cin_open", "lac_open"]
    mon[counts] = mon[counts].apply(num)
    months = [str(p) for p in pd.period_range("2007-01", "2009-01", freq="M")]
    for area, g in mon.groupby("area"):
        g = g.set_index("month")
        assert g.index.tolist() == months, area
        stock = g["cpp_open"].to_numpy()
        flow = (g["cpp_started"] - g["cpp_ended"]).to_numpy()
        assert (stock[1:] == stock[:-1] + flow[1:]).all(), area
    areas = mon[mon["area"] != "County"].groupby("month")[counts].sum()
    county = mon[mon["area"] == "County"].set_index("month")[counts]
    pd.testing.assert_frame_equal(areas, county)
    assert set(mon["area"]) == {"East Kent", "West Kent", "County"}


def test_referrals_rise_after_november_2008(out):
    mon = read(out, "monitoring")
    county = mon[mon["area"] == "County"].set_index("month")
    for col in ("referrals", "s47_enquiries", "icpcs"):
        base = num(county.loc["2007-01":"2007-12", col])
        limit = base.mean() + 3 * base.diff().abs().mean() / 1.128
        assert num(county.loc["2008-12", col]) > limit, col
        assert num(county.loc["2009-01", col]) > limit, col


def test_census_snapshot_is_consistent(out):
    mon = read(out, "monitoring")
    pop = read(out, "case_population")
    teams = read(out, "teams")
    jan = mon[mon["month"] == "2009-01"].set_index("area")
    assert int(jan.loc["County", "cpp_open"]) == len(pop)
    by_area = pop.merge(teams[["team_id", "area"]], on="team_id", how="left",
                        validate="many_to_one")["area"].value_counts()
    for area in ("East Kent", "West Kent"):
        assert by_area[area] == int(jan.loc[area, "cpp_open"])


# ---------------------------------------------------------------- workforce

def test_published_workforce_figures(out):
    wf = read(out, "workforce")
    cols = ["established_fte", "in_post_fte", "agency_fte", "cases_cp", "cases_lac", "cases_cin"]
    wf[cols] = wf[cols].apply(num)
    assert (wf["in_post_fte"] <= wf["established_fte"]).all()
    latest = wf[wf["period"] == wf["period"].max()]
    vacancy = (latest["established_fte"] - latest["in_post_fte"]).clip(lower=0)
    assert (latest["established_fte"].sum(), vacancy.sum()) == (300.0, 51.0)
    assert round(100 * vacancy.sum() / latest["established_fte"].sum(), 1) == 17.0
    workers = (latest["in_post_fte"] + latest["agency_fte"]).sum()
    cases = (latest["cases_cp"] + latest["cases_lac"] + latest["cases_cin"]).sum()
    assert cases / workers == 25.0
    assert 3.5 <= latest["cases_cp"].sum() / workers <= 4.5
    assert 4.0 < latest["cases_lac"].sum() / workers < 4.5
    team_rate = vacancy / latest["established_fte"]
    assert (team_rate > 0.25).sum() in (2, 3)


def test_vacancies_worsen_over_the_year(out):
    wf = read(out, "workforce")
    wf[["established_fte", "in_post_fte"]] = wf[["established_fte", "in_post_fte"]].apply(num)
    wf["vacancy_fte"] = (wf["established_fte"] - wf["in_post_fte"]).clip(lower=0)
    by = wf.groupby("period")[["vacancy_fte", "established_fte"]].sum()
    rate = (by["vacancy_fte"] / by["established_fte"]).to_numpy()
    assert len(rate) == 4 and (np.diff(rate) > 0).all()


def test_teams(out):
    teams = read(out, "teams")
    assert len(teams) == 24 and teams["team_id"].is_unique
    assert set(teams["area"]) == {"East Kent", "West Kent"}
    assert len(set(teams["district"]) - {""}) == 12
    assert set(teams["team_type"]) == {"duty_assessment", "long_term", "disability"}


# ---------------------------------------------------------------- questionnaire

CITED = {  # the seeds' questionnaire references and a phrase each question must carry
    "Q1": "threshold", "Q2": "information", "Q12": "seen and spoken", "Q13": "not been seen alone",
    "Q15": "assessment", "Q16": "earlier concerns", "Q17": "care planning",
    "Q19": "range of agencies", "Q21": "visited within", "Q22": "plans clear",
    "Q23": "evidence that child protection plans", "Q24": "consulted", "Q27": "policies", "Q28": "quality audits",
    "Q29": "performance indicators",
}


def test_question_bank(out):
    questions = read(out, "questions")
    ids = [f"Q{i}" for i in range(1, 30)]
    assert questions["question_id"].tolist() == ids
    text = questions.set_index("question_id")["text"].str.lower()
    for qid, phrase in CITED.items():
        assert phrase in text[qid], qid
    qn = read(out, "questionnaire")
    assert [c for c in qn.columns if c.startswith("Q")] == ids
    assert qn["team_id"].tolist() == read(out, "teams")["team_id"].tolist()
    assert (dates(qn["completed_date"]) <= CENSUS).all()


def test_questionnaire_pressures_and_comments(out):
    questions = read(out, "questions").set_index("question_id")
    qn = read(out, "questionnaire")
    positive = {"agree4": {"strongly_agree", "agree"}, "yes_partly_no": {"yes"}}
    share = {}
    for qid, q in questions.iterrows():
        answered = qn[qid][~qn[qid].isin(["", "na"])]
        share[qid] = answered.isin(positive[q["scale"]]).mean()
    pressures = {q for q, s in share.items() if s < 0.75}
    assert {"Q7", "Q9", "Q18"} <= pressures            # caseloads, vacancies, ICS
    assert len(pressures) <= 6                          # mostly positive
    answers = qn[list(questions.index)]
    assert (answers == "na").to_numpy().sum() > 0 and (answers == "").to_numpy().sum() > 0
    written = qn["comments"][qn["comments"] != ""]
    assert len(written) > 0 and written.str.startswith("COMMENT-").all()


# ---------------------------------------------------------------- case audit

def test_audit_criteria_carry_the_key_findings(out):
    crit = read(out, "audit_criteria")
    refs = crit["reference"].value_counts()
    for para, n in {"Para 21": 1, "Para 16": 1, "Para 15": 2, "Para 30.2": 1, "Para 47": 1,
                    "Para 9.1": 6, "Para 8.1": 1}.items():
        assert refs.get(para, 0) == n, para
    assert crit["criterion_id"].is_unique


def test_case_audit_sample(out):
    audit = read(out, "case_audit")
    pop = read(out, "case_population")
    assert len(audit) == 50 and audit["case_id"].is_unique
    assert audit["case_id"].isin(pop["case_id"]).all()
    assert pop["case_id"].is_unique
    assert audit["case_id"].str.fullmatch(r"KCA-\d{4}").all()
    assert audit["team_id"].isin(read(out, "teams")["team_id"]).all()
    assert audit["auditor"].str.startswith("Auditor ").all()
    sources = audit["record_source"].value_counts()
    assert set(sources.index) == {"ics_only", "ics_and_paper"} and sources.min() >= 20
    ages = num(audit["age_years"])
    assert ages.between(0, 17).all()
    flag_cols = ["interim_care_order_at_home", "police_investigation_open", "legal_dissent"]
    assert (audit[flag_cols] == "yes").any(axis=1).sum() >= 20
    # the audited cases are the population's cases, not copies that disagree
    both = audit.merge(pop, on="case_id", suffixes=("", "_pop"), validate="one_to_one")
    for col in ["team_id", "cpp_start_date", "category_of_abuse"] + flag_cols:
        assert (both[col] == both[f"{col}_pop"]).all(), col


def test_case_audit_date_order(out):
    a = read(out, "case_audit")
    d = {c: dates(a[c]) for c in a.columns if c.endswith("_date")}
    chain = ["referral_date", "strategy_discussion_date", "s47_start_date", "icpc_date",
             "cpp_start_date"]
    for earlier, later in zip(chain, chain[1:]):
        assert (d[earlier] <= d[later]).all(), (earlier, later)
    cg, rv = d["first_core_group_date"], d["review_conference_date"]
    assert (cg.isna() | (cg >= d["icpc_date"])).all()
    assert (rv.isna() | (rv > d["icpc_date"])).all()
    for col, s in d.items():
        assert (s.isna() | (s <= d["audit_date"])).all(), col
    assert d["audit_date"].between("2009-01-01", CENSUS).all()


def _working_days(start: pd.Series, end: pd.Series) -> pd.Series:
    hol = np.array(sorted(holidays.country_holidays("GB", subdiv="ENG", years=range(2005, 2011))),
                   dtype="datetime64[D]")
    ok = start.notna() & end.notna()
    out = pd.Series(np.nan, index=start.index)
    a = start[ok].to_numpy().astype("datetime64[D]") + 1
    b = end[ok].to_numpy().astype("datetime64[D]") + 1
    out[ok] = np.busday_count(a, b, holidays=hol)
    return out


def test_timescales_mostly_met_some_not(out):
    a = read(out, "case_audit")
    d = {c: dates(a[c]) for c in a.columns if c.endswith("_date")}
    icpc = _working_days(d["strategy_discussion_date"], d["icpc_date"])
    core = _working_days(d["icpc_date"], d["first_core_group_date"])
    visit = _working_days(d["last_visit_date"], d["audit_date"])
    for name, gap, limit in (("icpc", icpc, 15), ("core", core, 10), ("visit", visit, 10)):
        met = (gap <= limit).sum()
        assert 0.7 * len(a) <= met < len(a), name
    deadline = d["icpc_date"] + pd.DateOffset(months=3)
    held = d["review_conference_date"]
    not_yet_due = held.isna() & (deadline > CENSUS)
    missed = held.isna() & (deadline <= CENSUS)
    late = held.notna() & (held > deadline)
    assert not_yet_due.sum() >= 3 and 1 <= missed.sum() <= 2 and late.sum() >= 1


def test_ics_only_cases_show_more_not_evidenced(out):
    a = read(out, "case_audit")
    crit = read(out, "audit_criteria")["criterion_id"].tolist()
    long = a.melt(id_vars=["record_source"], value_vars=crit, value_name="answer")
    long = long[long["answer"].isin(["yes", "no", "not_evidenced"])]
    share = long.assign(ne=long["answer"] == "not_evidenced").groupby("record_source")["ne"].mean()
    assert share["ics_only"] > 2 * share["ics_and_paper"]


def test_good_supervision_goes_with_good_overall_grade(out):
    a = read(out, "case_audit")
    good = {"outstanding", "good"}
    sup, overall = a["grade_supervision"].isin(good), a["grade_overall"].isin(good)
    table = [[(sup & overall).sum(), (sup & ~overall).sum()],
             [(~sup & overall).sum(), (~sup & ~overall).sum()]]
    odds, p = fisher_exact(table)
    assert odds > 1 and p < 0.01


# ---------------------------------------------------------------- findings matrix

def test_evidence_map_reproduces_the_findings_matrix(out):
    em = read(out, "evidence_map")
    assert list(dict.fromkeys(em["finding_id"])) == [f"JAR{i}" for i in range(1, 10)] + ["CAPACITY"]
    questions = set(read(out, "questions")["question_id"])
    crit = read(out, "audit_criteria").set_index("criterion_id")["reference"]
    q_refs = set(em.loc[em["source"] == "questionnaire", "ref"])
    assert q_refs <= questions
    assert {"Q1", "Q2", "Q12", "Q13", "Q15", "Q16", "Q17", "Q19", "Q21", "Q22", "Q23", "Q24",
            "Q27", "Q28", "Q29"} == q_refs
    c_refs = em.loc[em["source"] == "case_audit", "ref"]
    assert set(c_refs) <= set(crit.index)
    # the seed slides' [Para] rows, plus the two audit criteria the issue maps to JAR7 and JAR8
    assert sorted(crit[c_refs].tolist()) == ["", "", "Para 8.1"] + ["Para 9.1"] * 6
    assert em.loc[em["ref"] == "C16", "finding_id"].tolist() == ["JAR8"]
    assert em.loc[em["ref"] == "C17", "finding_id"].tolist() == ["JAR7"]
    # JAR1 has only [Q27], [Q28], [Q29]; no timescale row (the seed has none)
    assert em.loc[em["finding_id"] == "JAR1", "ref"].tolist() == ["Q27", "Q28", "Q29"]
    assert "timescale" not in set(em["source"])
    narrative = em[em["source"] == "narrative"]
    assert (narrative["ref"] == "").all() and narrative["rag"].isin(["green", "grey"]).all()
    assert (em.loc[em["source"] != "narrative", "rag"] == "").all()
    later = narrative[narrative["phase"] == "2"]
    assert set(later["finding_id"]) == {"JAR2", "JAR6"} and (later["rag"] == "grey").all()
    measures = em[em["source"].isin(["workforce", "monitoring"])]
    assert set(measures["ref"]) == {"vacancy_pct", "caseload_per_worker", "agency_pct", "cpp_open_change_pct"}
    assert set(measures["finding_id"]) == {"CAPACITY"}  # capacity is rated under its own heading


def test_seven_recommendations(out):
    recs = read(out, "recommendations")
    assert recs["rec_id"].tolist() == [f"R{i}" for i in range(1, 8)]
    ids = {f.strip() for cell in recs["finding_ids"] for f in cell.split(";")}
    assert ids <= set(read(out, "evidence_map")["finding_id"])
    assert (recs["phase"] == "1").all()
