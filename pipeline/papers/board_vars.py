"""The variables of the Board paper: every number its words quote, formatted for print.

Keyed for ``{{< var >}}`` (``ca.cases_n``, ``sup.or``...). Counts and the
figures built on them come from the disclosure-controlled tables of
:class:`~pipeline.papers.protect.Protected` (through
:func:`~pipeline.papers.protect.cell`), so a figure hidden in a table is ``c``
in a sentence too. Text from the data (the review's metadata) crosses into the
paper through :func:`pipeline.papers.markup.literal`.
"""
from __future__ import annotations

import pandas as pd

from pipeline import disclosure as dc
from pipeline.contract import contract
from pipeline.papers.format import date_label, month_label, num, pct
from pipeline.papers.markup import plain
from pipeline.papers.protect import Protected, cell, intervals, protect, row_of
from pipeline.papers.results import Results
from pipeline.papers.tables import RAG_WORD
from pipeline.params import params

ORDINAL = {1: "first", 2: "second", 3: "third"}
EVIDENCE = (("questionnaire", "a self-assessment questionnaire"), ("case_audit", "a case-file audit"),
            ("workforce", "workforce returns"), ("monitoring", "the monthly monitoring dataset"))


def review_variables(review) -> dict:
    """The review's own settings (title, board, dates), each through the markup boundary."""
    meta = review.meta
    phase = meta.get("phase")
    evidence = [label for table, label in EVIDENCE if table in review.present]
    return {
        "id": plain(review.review_id), "title": plain(meta["title"]), "authority": plain(meta["authority"]),
        "board": plain(meta.get("board", "")), "meeting_date": date_label(meta.get("meeting_date")),
        "author": plain(meta.get("author", "")), "classification": plain(meta.get("classification", "")),
        "phase": str(phase or ""), "phase_ordinal": ORDINAL.get(phase, str(phase or "")),
        "census_date": date_label(meta["census_date"]),
        "subtitle": (f"Phase {phase}: report to the {plain(meta.get('board', 'Board'))}" if phase
                     else f"Annual practice-audit report, {plain(meta['authority'])}"),
        "evidence_list": ", ".join(evidence) or "no analysed tables",
    }


def questionnaire_variables(review, results: Results, prot: Protected) -> dict | None:
    qs = results.get("questionnaire__question_summary")
    if qs is None:
        return None
    prm = params()
    pressures = results.get("questionnaire__pressures")
    team_p = results.get("questionnaire__team_pressures")
    county = pressures[pressures["is_county_pressure"]]["question_id"].tolist() if pressures is not None else []
    returns = review.table("questionnaire")
    qn = {
        "returns_n": num(returns.shape[0]) if returns is not None
        else num(len(team_p)) if team_p is not None else "n/a",
        "questions_n": num(len(qs)),
        "pressures_n": num(len(county)), "pressures": plain(", ".join(county) or "none"),
        "coinciding_n": num(int(team_p["is_coinciding"].sum())) if team_p is not None else "n/a",
        "threshold_pct": pct(prm.questionnaire.county_pressure_below_pct),
    }
    for r in qs.itertuples():  # answers of teams; a share of 1 to 5 answers is hidden like a count of cases
        hidden = prot.small(r.answered_n)
        qn[r.question_id] = {"pct": dc.SUPPRESSED if hidden else pct(r.positive_pct),
                             "n": dc.SUPPRESSED if hidden else num(r.answered_n)}
    return qn


def audit_variables(results: Results, prot: Protected) -> dict | None:
    ca = results.get("case_audit__criterion_compliance")
    if ca is None:
        return None
    share = params().ratings["share_pct"]
    comp, ne = prot.compliance, prot.not_evidenced
    prec = results.get("case_audit__precision").iloc[0]
    shown = dc.chart_safe(comp)["compliance_pct"]

    def ne_share(source):
        if ne is None or source not in ne.frame.index:
            return "n/a"
        return cell(ne, source, "not_evidenced_pct", lambda x: pct(x, 1))

    v = {
        "cases_n": prot.count(prec["audited_n"]), "criteria_n": num(len(ca)),
        "population_n": prot.count(prec["population_n"]) if pd.notna(prec["population_n"]) else "n/a",
        "margin_pct": num(prec["margin_pct"], 1), "needed_5_n": num(prec["sample_needed_margin_5_n"]),
        "needed_10_n": num(prec["sample_needed_margin_10_n"]),
        "compliance_min_pct": pct(shown.min()), "compliance_max_pct": pct(shown.max()),
        "below_green_n": num(int((ca["compliance_pct"] < share.green).sum())),
        "ne_ics_pct": ne_share("ics_only"), "ne_paper_pct": ne_share("ics_and_paper"),
    }
    for cid, ci in zip(comp.frame.index, intervals(comp)):
        v[cid] = {"pct": cell(comp, cid, "compliance_pct", pct), "n": cell(comp, cid, "answered_n", num), "ci": ci}
    return v


def supervision_variables(results: Results, prot: Protected) -> dict | None:
    st = prot.supervision
    if st is None:
        return None
    good = row_of(results.get("case_audit__supervision_overall"), "supervision_group", "good_or_better")
    hide = prot.supervision_hidden
    return {"good_pct": cell(st, "good_or_better", "pct", pct),
            "poor_pct": cell(st, "not_good_or_better", "pct", pct),
            "or": dc.SUPPRESSED if hide else num(good["odds_ratio"], 1),
            "or_ci": dc.SUPPRESSED if hide else f"{num(good['or_ci_low'], 1)} to {num(good['or_ci_high'], 1)}",
            "p": dc.SUPPRESSED if hide else "< 0.001" if good["p_value"] < 0.001 else num(good["p_value"], 3),
            "good_n": cell(st, "good_or_better", "cases_n", num),
            "poor_n": cell(st, "not_good_or_better", "cases_n", num),
            "hidden": "yes" if hide else "no"}


def timescale_variables(prot: Protected) -> dict | None:
    tst = prot.timescales
    if tst is None:
        return None
    return {mid: {"pct": cell(tst, mid, "met_pct", pct), "met_n": cell(tst, mid, "met_n", num),
                  "due_n": cell(tst, mid, "due_n", num), "not_yet_due_n": cell(tst, mid, "not_yet_due_n", num)}
            for mid in tst.frame.index}


def workforce_variables(results: Results, prot: Protected) -> dict | None:
    ws = results.get("workforce__summary")
    if ws is None:
        return None
    county = ws[ws["level"] == "county"].iloc[0]
    wt, cn = prot.workforce, county["name"]
    v = {"vacancy_pct": pct(county["vacancy_pct"]), "caseload": cell(wt, cn, "caseload_per_worker", num),
         "cp_per_worker": cell(wt, cn, "cp_per_worker", lambda x: num(x, 1)),
         "lac_per_worker": cell(wt, cn, "lac_per_worker", lambda x: num(x, 1)),
         "agency_pct": pct(county["agency_pct"]), "teams_n": num(county["teams_n"]),
         "teams_above_n": num(county["teams_above_threshold_n"]),
         "threshold_pct": pct(params().workforce.vacancy_threshold_pct),
         "period": "the latest period"}
    teams = results.get("workforce__teams")
    if teams is not None and "period" in teams:
        v["period"] = month_label(teams["period"].iloc[0])
    return v


def monitoring_variables(results: Results, prot: Protected) -> dict | None:
    mon = results.get("monitoring__county")
    if mon is None:
        return None
    mt = prot.monitoring
    months = mon["month"].astype(str).tolist()
    v = {"first_month": month_label(months[0]), "last_month": month_label(months[-1]),
         "last_open": cell(mt, months[-1], "cpp_open", num), "baseline_n": num(params().monitoring.baseline_months)}
    change = row_of(results.get("monitoring__measures"), "measure", "cpp_open_change_pct")
    # a change between two months is hidden with either month (any hidden month, to be safe)
    v["change_pct"] = "n/a" if change is None else dc.SUPPRESSED if mt.mask["cpp_open"].any() else pct(change["value"])
    decembers = [m for m in months if m.endswith("-12")]
    if decembers:
        last = decembers[-1]
        prev = f"{int(last[:4]) - 1}-12"
        v["dec"] = {
            "last_month": month_label(last), "last_open": cell(mt, last, "cpp_open", num),
            "last_net": cell(mt, last, "cpp_open_net_change_n", lambda x: f"{int(x):+d}" if pd.notna(x) else "n/a"),
            "prev_month": month_label(prev),
            "prev_open": cell(mt, prev, "cpp_open", num) if prev in mt.frame.index else "n/a",
        }
    signals = results.get("monitoring__signals")
    if signals is not None:
        v["signals_n"] = num(len(signals[signals["direction"] == "high"]))
    return v


def findings_variables(results: Results) -> dict | None:
    fm = results.get("findings__matrix")
    if fm is None:
        return None
    byf = fm.drop_duplicates("finding_id")
    counts = byf["finding_rag"].fillna("").value_counts()
    rated = counts.get("red", 0) + counts.get("amber", 0) + counts.get("green", 0)
    v = {"findings_n": num(len(byf)), "red_n": num(counts.get("red", 0)), "amber_n": num(counts.get("amber", 0)),
         "green_n": num(counts.get("green", 0)), "unrated_n": num(len(byf) - rated)}
    for r in byf.itertuples():  # each finding's rating in words: {{< var fd.JAR6.rating >}}
        v[r.finding_id] = {"rating": _rating_word(r.finding_rag)}
    return v


def team_variables(review) -> dict | None:
    teams = review.table("teams")
    if teams is None:
        return None
    agency = teams["agency"].fillna("") if "agency" in teams else pd.Series("", index=teams.index)
    return {"n": num(len(teams)), "partner_n": num(int((teams.get("team_type") == "partner_agency").sum())),
            **{f"{a}_n": num(int((agency == a).sum())) for a in sorted(set(agency) - {""})}}


def build_variables(review, results: Results, engine: str, prot: Protected | None = None) -> dict:
    """Every number the words may quote, formatted for print, keyed for ``{{< var >}}``."""
    prot = prot or protect(review, results)
    share = params().ratings["share_pct"]
    v: dict = {"review": review_variables(review),
               "ratings": {"share_green": num(share.green), "share_amber": num(share.amber)}}
    parts = {"qn": questionnaire_variables(review, results, prot), "ca": audit_variables(results, prot),
             "sup": supervision_variables(results, prot) if results.get("case_audit__criterion_compliance")
             is not None else None,
             "ts": timescale_variables(prot), "wf": workforce_variables(results, prot),
             "mon": monitoring_variables(results, prot), "fd": findings_variables(results)}
    v.update({key: part for key, part in parts.items() if part is not None})
    recs = review.table("recommendations")
    v["rec"] = {"n": num(0 if recs is None else len(recs)), **register_variables(review)}
    teams = team_variables(review)
    if teams is not None:
        v["teams"] = teams
    v["engine"] = plain(engine)
    return v


def register_variables(review) -> dict:
    """Counts from the recommendations register: by status (every code), by phase, this phase and earlier ones."""
    recs = review.table("recommendations")
    if recs is None:
        return {}
    phase = review.meta.get("phase")
    status = recs["status"].astype(str)
    rec = {f"{code}_n": num(int((status == code).sum())) for code in contract().codes["status"]}
    rec_phase = pd.to_numeric(recs["phase"], errors="coerce")
    for p in sorted(rec_phase.dropna().astype(int).unique()):
        rec[f"phase{p}_n"] = num(int((rec_phase == p).sum()))
    earlier = recs[rec_phase < phase] if phase else recs.iloc[0:0]
    done = earlier["status"].isin(["complete", "superseded"])
    rec.update(this_phase_n=num(int((rec_phase == phase).sum())) if phase else "n/a",
               earlier_n=num(len(earlier)), earlier_complete_n=num(int((earlier["status"] == "complete").sum())),
               earlier_open_n=num(int((~done).sum())))
    return rec


def _rating_word(rag) -> str:
    return rag if isinstance(rag, str) and rag in RAG_WORD and rag != "grey" else "not rated"

