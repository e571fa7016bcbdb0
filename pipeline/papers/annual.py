"""The annual practice-audit report: this year's audit against the previous years', published safely.

Phase 1 recommended that case-file audit become an annual programme whose
results are reported publicly. For a review of ``kind: annual`` this module
makes the generated sections and the variables of ``annual-audit-report``
from this year's results and those of each review in ``previous_reviews``
(:mod:`pipeline.papers.annual_years`): compliance per criterion with 95%
Wilson intervals, the trend (a chart of small multiples, a table per
criterion, and which changes are larger than the sampling error), statutory
timescales, grades, the recommendations register of every year, and the
workforce and monitoring context. :mod:`pipeline.papers.publish` renders and
publishes them.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline import disclosure as dc
from pipeline.contract import contract
from pipeline.papers import annexes
from pipeline.papers.annual_charts import monitoring_chart, timescale_chart, trend_chart
from pipeline.papers.annual_years import (
    Year,
    compare,
    compliance_table,
    context_table,
    grade_table,
    monitoring_series,
    timescale_table,
)
from pipeline.papers.errors import ReportError
from pipeline.papers.format import date_label, name_list, num, pct, short_date, signed, whole
from pipeline.papers.markup import literal, plain
from pipeline.papers.results import REVIEWS_DIR
from pipeline.papers.tables import Prose, bold_id, md_table, prose
from pipeline.snapshot import open_review

ANNUAL_WORDS = REVIEWS_DIR / "_annual"
LARGER = "larger than the sampling error"
ANNUAL_STAGES = ("case_audit", "workforce", "monitoring")


def _share_cell(table: dc.SuppressedTable, rid, pct_col="compliance_pct", n_col="answered_n") -> str:
    if rid not in table.frame.index:
        return "not audited"
    p = table.text(rid, pct_col, lambda x: pct(x))
    if table.mask.at[rid, pct_col]:  # hidden, or published only as a band: no interval
        share = p
    else:
        share = f"{p} ({table.text(rid, 'ci_low_pct', whole)} to {table.text(rid, 'ci_high_pct', whole)})"
    return f"{share}, n {table.text(rid, n_col, num)}"


def _verdict(direction: str) -> str:
    return {"improved": f"Better, {LARGER}", "worsened": f"Worse, {LARGER}",
            "within": "Within the sampling error", "not compared": "Not compared (a figure is suppressed)"}[direction]


def _change_cell(row) -> str:
    if pd.isna(row["diff_pts"]):
        return "n/a"
    return f"{signed(row['diff_pts'])} ({signed(row['diff_low_pts'])} to {signed(row['diff_high_pts'])})"


def _label(code) -> str:
    return contract().code_label(code) if isinstance(code, str) else ""


def review_variables(years: list[Year], engine: str) -> dict:
    """The review's settings and the years of the series, for the words (data through the boundary)."""
    this = years[-1]
    meta = this.meta
    labels = [y.label for y in years]
    public = dc.AUDIENCE_SUPPRESSED[this.audience]
    return {
        "engine": plain(engine),
        "review": {"id": plain(this.review_id), "title": plain(meta["title"]),
                   "authority": plain(meta["authority"]),
                   "census_date": date_label(meta["census_date"]), "year": this.label,
                   "subtitle": f"Annual practice-audit report {this.label}, {plain(meta['authority'])}",
                   "years": name_list(labels), "first_year": labels[0], "years_n": num(len(years)),
                   "previous_year": labels[-2] if len(years) > 1 else "none"},
        "note": {"convention": dc.CONVENTION_NOTE if public else "", "audience": "public" if public else "board"},
        "disclosure": dc.method_variables(),
    }


def section_notice(review, public: bool) -> dict:
    return {"notice_synthetic": prose("common/synthetic-report.md", review.synthetic),
            "notice_small": prose("common/small-numbers.md", public)}


def _interval_column(show: pd.DataFrame) -> list[str]:
    return [dc.SUPPRESSED if a == dc.SUPPRESSED else f"{a} to {b}"
            for a, b in zip(show["ci_low_pct"], show["ci_high_pct"])]


def section_compliance(this: Year, c: dc.SuppressedTable, texts: pd.Series, public: bool) -> tuple[dict, dict]:
    """This year's compliance per criterion: the table and the variables of the words."""
    prec = this.results.get("case_audit__precision").iloc[0]
    shown_pct = dc.chart_safe(c)["compliance_pct"].dropna()
    v = {"cases_n": dc.suppress_text_count(prec["audited_n"]) if public else num(prec["audited_n"]),
         "population_n": num(prec["population_n"]) if pd.notna(prec["population_n"]) else "n/a",
         "margin_pct": num(prec["margin_pct"], 1), "criteria_n": num(len(c.frame)),
         "compliance_min_pct": pct(shown_pct.min()) if len(shown_pct) else "n/a",
         "compliance_max_pct": pct(shown_pct.max()) if len(shown_pct) else "n/a",
         "suppressed_n": num(int(c.mask[["compliance_pct"]].to_numpy().sum()))}
    show = c.to_display({"compliance_pct": lambda x: pct(x), "ci_low_pct": whole, "ci_high_pct": whole})
    table = pd.DataFrame({
        "Criterion": [f"{cid}: {texts.get(cid, '')}" for cid in show.index],
        "Ref": c.frame["reference"].fillna("").tolist(),
        "Yes": show["yes_n"].tolist(), "No": show["no_n"].tolist(), "Not evidenced": show["not_evidenced_n"].tolist(),
        "Judged": show["answered_n"].tolist(), "Compliance": show["compliance_pct"].tolist(),
        "95% interval": _interval_column(show)})
    return {"compliance_words": Prose("annual/compliance.md"),
            "compliance": md_table(table, ["l", "l", "r", "r", "r", "r", "r", "l"],
                                   widths=[28, 8, 7, 7, 12, 10, 16, 12])}, v


def _trend_tables(labels: list[str], comp: list, ids: list, vs_first, vs_prev) -> dict:
    by_year = pd.DataFrame([{"Criterion": cid, **{y: (_share_cell(t, cid) if t is not None else "no audit")
                                                  for y, t in zip(labels, comp)}} for cid in ids])
    changes = []
    for cid in ids:
        row = {"Criterion": cid, f"Since {labels[0]} (points)": _change_cell(vs_first.loc[cid]),
               f"Against {labels[0]}": _verdict(vs_first.loc[cid, "direction"])}
        if len(labels) > 2:
            row[f"Since {labels[-2]} (points)"] = _change_cell(vs_prev.loc[cid])
            row[f"Against {labels[-2]}"] = _verdict(vs_prev.loc[cid, "direction"])
        changes.append(row)
    k = 2 if len(labels) > 2 else 1
    return {"trend_by_year_words": Prose("annual/trend-by-year.md"),
            "trend_by_year": md_table(by_year, ["l"] + ["r"] * len(labels), widths=[10] + [24] * len(labels)),
            "trend_changes_words": Prose("annual/trend-changes.md"),
            "trend_changes": md_table(pd.DataFrame(changes), ["l"] + ["r", "l"] * k, widths=[10] + [16, 26] * k)}


def section_trend(years: list[Year], comp: list, texts: pd.Series, workspace: Path) -> tuple[dict, dict]:
    """The trend chart and tables, the statement of which changes go beyond the sampling error, and their
    variables."""
    labels = [y.label for y in years]
    ids = list(comp[-1].frame.index)
    slots = {"trend_chart": trend_chart(years, comp, workspace), "trend_first": prose("annual/first-year.md",
                                                                                      len(years) < 2),
             "trend_statement": "", "trend_by_year_words": None, "trend_by_year": "", "trend_changes_words": None,
             "trend_changes": ""}
    if len(years) < 2:
        v = {k: {"since": "none", "up_n": "0", "down_n": "0", "up": "none", "down": "none"} for k in ("first", "prev")}
        return slots, v
    vs_first = compare(years, comp, "yes_n", "answered_n", 0, ids)
    vs_prev = compare(years, comp, "yes_n", "answered_n", -2, ids)
    slots.update(_trend_tables(labels, comp, ids, vs_first, vs_prev))
    v: dict = {}
    statement = []
    for key, cmp, since in (("first", vs_first, labels[0]), ("prev", vs_prev, labels[-2])):
        up = [cid for cid in ids if cmp.loc[cid, "direction"] == "improved"]
        down = [cid for cid in ids if cmp.loc[cid, "direction"] == "worsened"]
        skipped = [cid for cid in ids if cmp.loc[cid, "direction"] == "not compared"]
        v[key] = {"since": since, "up_n": num(len(up)), "down_n": num(len(down)),
                  "up": plain(name_list(up)), "down": plain(name_list(down))}
        if key == "prev" and len(years) < 3:
            continue
        statement.append(_trend_statement(labels[-1], since, up, down, skipped, cmp, comp, years, key, texts))
    slots["trend_statement"] = "\n".join(statement)
    return slots, v


def build_sections(review, years: list[Year], workspace: Path, engine: str) -> tuple[dict, dict]:
    """Every slot of the annual report (generated blocks and chosen partials) and the variables of its words."""
    this = years[-1]
    public = dc.AUDIENCE_SUPPRESSED[this.audience]
    v = review_variables(years, engine)
    v["prov"] = annexes.provenance_variables(engine)
    slots: dict = section_notice(review, public)
    comp = [compliance_table(y) for y in years]
    if comp[-1] is None:
        raise ReportError(f"{this.review_id}: the annual report needs a case audit, and this review has none")
    criteria = open_review(this.review_id, tables=["audit_criteria"]).table("audit_criteria")
    texts = criteria.set_index("criterion_id")["text"]
    parts = []
    parts.append(section_compliance(this, comp[-1], texts, public))
    parts.append(section_trend(years, comp, texts, workspace))
    parts.append(_section_timescales(years, [timescale_table(y) for y in years], workspace))
    parts.append(_section_grades(years, [grade_table(y) for y in years]))
    parts.append(_section_recommendations(years))
    parts.append(_section_context(years, workspace))
    for key, (part, values) in zip(("ca", "trend", "ts", "gr", "rec", "ctx"), parts):
        slots.update(part)
        v[key] = values
    slots.update(_section_method(years, public))
    slots.update(annexes.section_quality(this.review_id, ANNUAL_STAGES, public=True))
    slots["annex_glossary"] = annexes.section_glossary()
    slots.update(annexes.section_provenance(review))
    return slots, v


def _trend_statement(label, since, up, down, skipped, cmp, comp, years, key, texts) -> str:
    earlier = 0 if key == "first" else -2

    def detail(cid):
        then = comp[earlier].text(cid, "compliance_pct", lambda x: pct(x))
        now = comp[-1].text(cid, "compliance_pct", lambda x: pct(x))
        r = cmp.loc[cid]
        return (f"{literal(cid)} ({literal(texts.get(cid, ''))}: {then} to {now}, a change of {signed(r['diff_pts'])} "
                f"points, 95% interval {signed(r['diff_low_pts'])} to {signed(r['diff_high_pts'])})")

    out = [f"**{literal(label)} against {literal(since)}.**"]
    if up:
        out.append(f"Compliance rose by more than the sampling error on {len(up)} "
                   f"criteri{'on' if len(up) == 1 else 'a'}: " + "; ".join(detail(c) for c in up) + ".")
    if down:
        out.append(f"It fell by more than the sampling error on {len(down)} "
                   f"criteri{'on' if len(down) == 1 else 'a'}: " + "; ".join(detail(c) for c in down) + ".")
    if not up and not down:
        out.append("No change in compliance goes beyond the sampling error.")
    else:
        out.append("The changes on the other criteria are within the sampling error: they may be chance.")
    if skipped:
        out.append(f"Not compared because a figure is suppressed: {literal(name_list(skipped))}.")
    return " ".join(out) + "\n"


def _section_timescales(years, tables, workspace) -> tuple[dict, dict]:
    t = tables[-1]
    slots = {"timescales_none": prose("annual/no-timescales.md", t is None), "timescales_words": None,
             "timescales": "", "timescales_trend_words": None, "timescales_trend": ""}
    if t is None:
        return slots, {}
    labels = [y.label for y in years]
    show = t.to_display({"met_pct": lambda x: pct(x), "ci_low_pct": whole,
                         "ci_high_pct": whole})
    table = pd.DataFrame({
        "Timescale": t.frame["label"].tolist(), "Met": show["met_n"].tolist(), "Not met": show["not_met_n"].tolist(),
        "Due": show["due_n"].tolist(), "Not yet due": show["not_yet_due_n"].tolist(),
        "Met (%)": show["met_pct"].tolist(),
        "95% interval": [dc.SUPPRESSED if a == dc.SUPPRESSED else f"{a} to {b}"
                         for a, b in zip(show["ci_low_pct"], show["ci_high_pct"])]})
    slots["timescales_words"] = Prose("annual/timescales.md")
    out = [md_table(table, ["l", "r", "r", "r", "r", "r", "l"], widths=[30, 8, 9, 8, 10, 10, 13])]
    v = {mid: {"pct": t.text(mid, "met_pct", lambda x: pct(x))} for mid in t.frame.index}
    if len(years) > 1 and all(x is not None for x in tables):
        out.append(timescale_chart(years, tables, workspace))
        cmp = compare(years, tables, "met_n", "due_n", 0, list(t.frame.index))
        rows = []
        for mid in t.frame.index:
            row = {"Timescale": t.frame.at[mid, "short_label"]}
            for y, tt in zip(labels, tables):
                row[y] = _share_cell(tt, mid, "met_pct", "due_n")
            row[f"Change since {labels[0]} (points)"] = _change_cell(cmp.loc[mid])
            row["Assessment"] = _verdict(cmp.loc[mid, "direction"])
            rows.append(row)
        slots["timescales_trend_words"] = Prose("annual/timescales-trend.md")
        slots["timescales_trend"] = md_table(pd.DataFrame(rows), ["l"] + ["r"] * len(labels) + ["r", "l"],
                                             widths=[18] + [16] * len(labels) + [14, 20])
        up = [t.frame.at[m, "short_label"] for m in t.frame.index if cmp.loc[m, "direction"] == "improved"]
        down = [t.frame.at[m, "short_label"] for m in t.frame.index if cmp.loc[m, "direction"] == "worsened"]
        v["up"], v["down"] = plain(name_list(up).lower()), plain(name_list(down).lower())
    slots["timescales"] = "\n".join(out)
    return slots, v


def _section_grades(years, tables) -> tuple[dict, dict]:
    t = tables[-1]
    slots = {"grades_none": prose("annual/no-grades.md", t is None), "grades_words": None, "grades": "",
             "grades_trend_words": None, "grades_trend": ""}
    if t is None:
        return slots, {}
    labels = [y.label for y in years]
    show = t.to_display({"good_pct": lambda x: pct(x), "ci_low_pct": whole,
                         "ci_high_pct": whole})
    table = pd.DataFrame({
        "Domain": [str(d).capitalize() for d in t.frame.index], "Good or better": show["good_n"].tolist(),
        "Requires improvement or inadequate": show["below_n"].tolist(), "Graded": show["graded_n"].tolist(),
        "Good or better (%)": show["good_pct"].tolist(),
        "95% interval": [dc.SUPPRESSED if a == dc.SUPPRESSED else f"{a} to {b}"
                         for a, b in zip(show["ci_low_pct"], show["ci_high_pct"])]})
    slots["grades_words"] = Prose("annual/grades.md")
    out = [md_table(table, ["l", "r", "r", "r", "r", "l"], widths=[16, 12, 18, 10, 14, 14])]
    v = {"overall_pct": t.text("overall", "good_pct", lambda x: pct(x)) if "overall" in t.frame.index else "n/a"}
    if len(years) > 1 and all(x is not None for x in tables):
        cmp = compare(years, tables, "good_n", "graded_n", 0, list(t.frame.index))
        rows = []
        for d in t.frame.index:
            row = {"Domain": str(d).capitalize()}
            for y, tt in zip(labels, tables):
                row[y] = _share_cell(tt, d, "good_pct", "graded_n")
            row[f"Change since {labels[0]} (points)"] = _change_cell(cmp.loc[d])
            row["Assessment"] = _verdict(cmp.loc[d, "direction"])
            rows.append(row)
        slots["grades_trend_words"] = Prose("annual/grades-trend.md")
        slots["grades_trend"] = md_table(pd.DataFrame(rows), ["l"] + ["r"] * len(labels) + ["r", "l"],
                                         widths=[14] + [16] * len(labels) + [14, 20])
        if "overall" in t.frame.index:
            v["overall_first_pct"] = tables[0].text("overall", "good_pct", lambda x: pct(x))
            v["overall_direction"] = _verdict(cmp.loc["overall", "direction"]).lower()
    slots["grades"] = out[0]
    return slots, v


def _section_recommendations(years) -> tuple[dict, dict]:
    labels = [y.label for y in years]
    registers = {y.label: y.recommendations for y in years if y.recommendations is not None}
    this = years[-1].recommendations
    if this is None:
        return ({"recommendations_words": Prose("common/no-register.md"), "recommendations": ""},
                {"n": "0", "complete_n": "0"})
    ids = list(dict.fromkeys([r for reg in registers.values() for r in reg["rec_id"]]))
    rows = []
    for rid in ids:
        latest = next(reg for reg in reversed(list(registers.values())) if rid in set(reg["rec_id"]))
        r = latest[latest["rec_id"] == rid].iloc[0]
        text = str(r["text"])
        row = {"Recommendation": bold_id(rid, text), "Owner": r["owner"] if isinstance(r["owner"], str) else "",
               "Due": short_date(r["due_date"])}
        for lab in labels:
            reg = registers.get(lab)
            hit = reg[reg["rec_id"] == rid] if reg is not None else pd.DataFrame()
            row[lab] = _label(hit["status"].iloc[0]) if not hit.empty else "not in the register"
        rows.append(row)
    counts = this["status"].value_counts()
    v = {"n": num(len(this)), "complete_n": num(counts.get("complete", 0)),
         "in_progress_n": num(counts.get("in_progress", 0)), "agreed_n": num(counts.get("agreed", 0)),
         "proposed_n": num(counts.get("proposed", 0)), "superseded_n": num(counts.get("superseded", 0))}
    if len(years) > 1 and years[0].recommendations is not None:
        first = years[0].recommendations
        v["complete_first_n"] = num((first["status"] == "complete").sum())
    table = md_table(pd.DataFrame(rows), ["l", "l", "l"] + ["l"] * len(labels), widths=[32, 14, 9] + [15] * len(labels))
    return {"recommendations_words": Prose("annual/recommendations.md"), "recommendations": table}, v


def _section_context(years, workspace) -> tuple[dict, dict]:
    t = context_table(years)
    show = t.to_display({"vacancy_pct": lambda x: pct(x), "caseload_per_worker": lambda x: num(x, 1),
                         "agency_pct": lambda x: pct(x), "cpp_open_n": num, "cpp_open_per_10k": lambda x: num(x, 1),
                         "referrals_n": num, "icpcs_n": num, "months_n": num})
    workforce = pd.DataFrame({
        "Year": list(show.index), "Snapshot": show["period"].tolist(), "Vacancy rate": show["vacancy_pct"].tolist(),
        "Caseload per worker": show["caseload_per_worker"].tolist(), "Agency share": show["agency_pct"].tolist()})
    monitoring = pd.DataFrame({
        "Year": list(show.index), "Children with a plan at year end": show["cpp_open_n"].tolist(),
        "Per 10,000 children": show["cpp_open_per_10k"].tolist(), "Referrals": show["referrals_n"].tolist(),
        "Initial conferences": show["icpcs_n"].tolist(), "Months": show["months_n"].tolist()})
    this = t.frame.index[-1]
    fmt = {"vacancy_pct": lambda x: pct(x), "caseload_per_worker": lambda x: num(x), "agency_pct": lambda x: pct(x),
           "cpp_open_n": num, "cpp_open_per_10k": lambda x: num(x, 1)}
    v = {k: t.text(this, k, f) or "n/a" for k, f in fmt.items()}
    v["period"] = t.frame.at[this, "period"] or "n/a"
    v["last_month"] = t.frame.at[this, "last_month"] or "n/a"
    first = t.frame.index[0]
    v["first"] = {k: t.text(first, k, f) or "n/a" for k, f in fmt.items()}
    v["first"]["last_month"] = t.frame.at[first, "last_month"] or "n/a"
    series = monitoring_series(years)
    chart = (monitoring_chart(series, workspace)
             if series is not None and dc.chart_safe(series)["cpp_open_n"].notna().any() else "")
    return {"context_workforce_words": Prose("annual/context-workforce.md"),
            "context_workforce": md_table(workforce, ["l", "l", "r", "r", "r"], widths=[10, 14, 12, 14, 12]),
            "context_monitoring_words": Prose("annual/context-monitoring.md"),
            "context_monitoring": md_table(monitoring, ["l", "r", "r", "r", "r", "r"], widths=[10, 16, 12, 12, 14, 9])
            + "\n" + chart}, v


def _section_method(years, public: bool) -> dict:
    rows = []
    for y in years:
        prec = y.results.get("case_audit__precision")
        p = prec.iloc[0] if prec is not None else None
        audited = "n/a" if p is None else dc.suppress_text_count(p["audited_n"]) if public else num(p["audited_n"])
        rows.append((y.label, date_label(y.meta["census_date"]), audited,
                     num(p["population_n"]) if p is not None and pd.notna(p["population_n"]) else "n/a",
                     f"±{num(p['margin_pct'], 1)}" if p is not None else "n/a"))
    samples = md_table(pd.DataFrame(rows, columns=["Year", "Census date", "Cases audited", "Children with a plan",
                                                   "Margin of error (points)"]), ["l", "l", "r", "r", "r"],
                       widths=[10, 16, 12, 16, 14])
    return {"method_samples_words": Prose("annual/method-samples.md"), "method_samples": samples,
            "method_words": Prose("annual/method.md"),
            "method_changes": Prose("annual/method-changes-three.md" if len(years) > 2
                                    else "annual/method-changes-two.md"),
            "method_small": prose("annual/method-small-numbers.md", public),
            "method_disclosure": prose("common/disclosure-method.md", public)}


def words_folder(review_id: str, has_previous: bool = True) -> Path:
    """The review's own words if it has a folder under report/reviews/, else the shared annual words
    (``_annual_first`` for a first year, which has nothing to compare with)."""
    own = REVIEWS_DIR / review_id
    if (own / "summary.md").exists():
        return own
    return ANNUAL_WORDS if has_previous else ANNUAL_WORDS.with_name("_annual_first")

