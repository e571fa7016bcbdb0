"""Integration: the public annual report of example-annual-2012, with 2010 and 2011 as previous years.

The three reviews are built from their raw data (validation, notebooks, and
for 2012 the report). Text is taken out of each format with a library that
reads it (html.parser, pypdf, python-docx) and checked against figures
worked out here from the raw CSVs with plain pandas: what must be there
(suppressed counts as ``c``, the convention note, the criteria whose change is
clearly larger than the sampling error, the synthetic notice on every PDF
page) and what must never be (case ids, auditors, comments, team names).
"""
from __future__ import annotations

import math
import re

import docx
import pandas as pd
import pytest
from pypdf import PdfReader

from pipeline import cli, disclosure, publication
from pipeline.papers import annual_years, publish
from pipeline.papers import engines as render
from pipeline.papers.errors import ReportError
from pipeline.paths import output_dir, processed_dir, raw_dir

from html_text import HtmlText

pytestmark = pytest.mark.integration
THIS, PREVIOUS = "example-annual-2012", ("example-annual-2010", "example-annual-2011")
FIRST = PREVIOUS[0]
NOTICE = "Synthetic data: not real cases"
FORMATS = ("html", "pdf", "docx")


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def built():
    for review_id in PREVIOUS:
        assert cli.build(review_id, jobs=2, render=False) == 0
    assert cli.build(THIS, jobs=2, render=True) == 0
    out = output_dir(THIS)
    html = HtmlText()
    html.feed((out / "annual-audit-report.html").read_text(encoding="utf-8"))
    pdf = PdfReader(out / "annual-audit-report.pdf")
    word = docx.Document(out / "annual-audit-report.docx")
    texts = {
        "html": " ".join(html.parts + html.alts),
        "pdf": " ".join(page.extract_text() for page in pdf.pages),
        "docx": " ".join([p.text for p in word.paragraphs]
                         + [c.text for t in word.tables for row in t.rows for c in row.cells]),
    }
    return {"out": out, "html": html, "pdf": pdf, "docx": word, "texts": {k: _flat(v) for k, v in texts.items()}}


# ------------------------------------------------------------------ independent figures from the raw CSVs


def _raw(review_id: str, table: str) -> pd.DataFrame:
    return pd.read_csv(raw_dir(review_id) / f"{table}.csv", dtype=str)


def _criterion_counts(review_id: str) -> pd.DataFrame:
    """yes, no, not evidenced, judged and not judged per criterion, from the raw case_audit.csv."""
    audit = _raw(review_id, "case_audit")
    rows = []
    for cid in _raw(review_id, "audit_criteria")["criterion_id"]:
        a = audit[cid].str.strip().str.lower()
        yes, no, ne = (a == "yes").sum(), (a == "no").sum(), (a == "not_evidenced").sum()
        rows.append((cid, yes, no, ne, yes + no + ne, len(a) - (yes + no + ne)))
    return pd.DataFrame(rows, columns=["cid", "yes", "no", "ne", "judged", "not_judged"]).set_index("cid")


def _share_hidden(counts: pd.DataFrame) -> pd.Series:
    """Shares that must be hidden whatever else is chosen: numerator or denominator 1 to 5. (Which
    other shares disclosure control withholds is a search; tests/security/test_intruder.py attacks it.)"""
    small = lambda s: s.between(1, 5)  # noqa: E731
    return small(counts["yes"]) | small(counts["judged"])


def _withheld(built, year: str) -> set:
    """Criteria whose share for ``year`` the report withholds (c) or prints only as a band."""
    table = next(t for t in built["html"].tables if t and t[0][:1] == ["Criterion"] and year in t[0])
    col = table[0].index(year)
    return {row[0] for row in table[1:] if row[col].startswith("c") or "or more" in row[col]}


def _z(k1, n1, k2, n2) -> float:
    p = (k1 + k2) / (n1 + n2)
    return (k2 / n2 - k1 / n1) / math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))


# ------------------------------------------------------------------ tests


def test_three_formats_are_written(built):
    assert sorted(p.name for p in built["out"].iterdir()) == [
        "annual-audit-report.docx", "annual-audit-report.html", "annual-audit-report.pdf", "annual-audit-tables.xlsx",
        "disclosure.json"]


def test_no_case_id_auditor_comment_or_team_name_in_any_format(built):
    forbidden = set()
    for review_id in (*PREVIOUS, THIS):
        audit, population = _raw(review_id, "case_audit"), _raw(review_id, "case_population")
        forbidden |= set(audit["case_id"]) | set(audit["auditor"]) | set(population["case_id"])
        forbidden |= set(_raw(review_id, "teams")["team_name"])
    assert len(forbidden) > 1000
    for fmt, text in built["texts"].items():
        found = [f for f in forbidden if re.search(rf"(?<![\w-]){re.escape(f)}(?![\w-])", text)]
        assert found == [], fmt


def _whole_pct(k, n) -> str:
    """k of n as a whole percentage, halves rounded up (the papers round halves away from zero: 111 of 120 is
    92.5%, printed 93%)."""
    return f"{math.floor(100 * k / n + 0.5)}%"


def test_suppressed_counts_appear_as_c_and_no_small_count_is_shown(built):
    counts = _criterion_counts(THIS)
    small = counts[["yes", "no", "ne", "judged"]].apply(lambda s: s.between(1, 5))
    assert small.to_numpy().any(), "the example should have small counts to hide"
    table = next(t for t in built["html"].tables if t and t[0][:4] == ["Criterion", "Ref", "Yes", "No"])
    header = table[0]
    shown = {row[0].split(":")[0]: dict(zip(header, row)) for row in table[1:]}
    for cid, row in counts.iterrows():
        cells = shown[cid]
        for col, name in (("yes", "Yes"), ("no", "No"), ("ne", "Not evidenced"), ("judged", "Judged")):
            if 1 <= row[col] <= 5:
                assert cells[name] == "c", (cid, name)
            elif cells[name] != "c":
                assert cells[name] == f"{row[col]:,}", (cid, name)
        # secondary suppression: never exactly one hidden cell in a line that adds up
        line = [cells[n] for n in ("Yes", "No", "Not evidenced", "Judged")]
        assert line.count("c") != 1, cid
        if _share_hidden(counts).loc[cid]:
            assert cells["Compliance"] == "c", cid
        withheld = cells["Yes"] == "c" or cells["Judged"] == "c"
        band = re.fullmatch(r"(\d+)% or more", cells["Compliance"])
        if band:  # a band is printed only where the count is withheld, and it is true
            assert withheld and 100 * row["yes"] / row["judged"] >= int(band.group(1)), cid
        elif withheld:
            assert cells["Compliance"] == "c", cid
        else:
            assert cells["Compliance"] == _whole_pct(row["yes"], row["judged"]), cid


def test_convention_note_in_every_format(built):
    for fmt in FORMATS:
        assert disclosure.CONVENTION_NOTE in built["texts"][fmt], fmt


def _statement(text: str, this: str, since: str) -> tuple[set, set, set]:
    """Criteria named as rising, falling, and not compared, in the statement of one comparison."""
    start = text.index(f"{this} against {since}.")
    seg = text[start:]
    end = min(i for i in (seg.find(" against ", len(this) + 10), seg.find("Compliance by year")) if i > 0)
    seg = seg[:end]
    rose = re.search(r"rose by more than the sampling error on .*?(?=It fell|The changes on|$)", seg)
    fell = re.search(r"fell by more than the sampling error on .*?(?=The changes on|$)", seg)
    skipped = re.search(r"Not compared because a figure is suppressed: (.*?)\.", seg)
    ids = lambda m: set(re.findall(r"\bC\d\d\b", m.group(0))) if m else set()  # noqa: E731
    return ids(rose), ids(fell), (set(re.findall(r"\bC\d\d\b", skipped.group(1))) if skipped else set())


def test_trend_statement_names_the_improving_and_worsening_criteria(built):
    first, this = _criterion_counts(FIRST), _criterion_counts(THIS)
    withheld = _withheld(built, "2009-10") | _withheld(built, "2011-12")
    hidden = pd.Series({c: c in withheld for c in this.index})
    assert (_share_hidden(first) | _share_hidden(this))[lambda s: s].index.isin(list(withheld)).all()
    z = pd.Series({c: _z(first.at[c, "yes"], first.at[c, "judged"], this.at[c, "yes"], this.at[c, "judged"])
                   for c in this.index})
    clearly_up = set(z[(z > 2.6) & ~hidden].index)
    clearly_down = set(z[(z < -2.6) & ~hidden].index)
    clearly_not = set(z[z.abs() < 1.6].index)
    assert "C04" in clearly_down and clearly_up, "the example has criteria improving and one worsening"
    for fmt in FORMATS:
        rose, fell, skipped = _statement(built["texts"][fmt], "2011-12", "2009-10")
        assert clearly_up <= rose, fmt
        assert clearly_down <= fell, fmt
        assert not (rose | fell) & clearly_not, fmt
        assert not rose & fell, fmt
        assert skipped == set(hidden[hidden].index), fmt
        # the words "larger than the sampling error" only where a change is significant
        assert (rose | fell) and "rose by more than the sampling error" in built["texts"][fmt]


def test_larger_than_the_sampling_error_only_on_significant_rows(built):
    table = next(t for t in built["html"].tables if t and t[0][:2] == ["Criterion", "Since 2009-10 (points)"])
    for row in table[1:]:
        change, verdict = row[1], row[2]
        if "larger than the sampling error" in verdict:
            low, high = [int(x.replace("−", "-")) for x in re.findall(r"[-−+]?\d+", change)[1:3]]
            assert low > 0 or high < 0, row
        elif change != "n/a":
            low, high = [int(x.replace("−", "-")) for x in re.findall(r"[-−+]?\d+", change)[1:3]]
            assert low <= 0 <= high, row


def test_chart_alt_text_states_no_hidden_number(built):
    alt = next(a for a in built["html"].alts if a.startswith("Small multiples"))
    years = [FIRST, PREVIOUS[1], THIS]
    counts = [_criterion_counts(r) for r in years]
    for cid in counts[-1].index:
        entry = re.search(rf"{cid}: ([^;.]*(?:\.\d)?[^;.]*)", alt).group(1).split(", ")
        for i, c in enumerate(counts):
            if cid in c.index and cid in _withheld(built, ("2009-10", "2010-11", "2011-12")[i]):
                assert entry[i] == "c", (cid, years[i])
            elif cid in c.index:
                assert entry[i] == _whole_pct(c.at[cid, "yes"], c.at[cid, "judged"]), (cid, years[i])


def test_workforce_and_recommendations_from_the_raw_data(built):
    wf = pd.read_csv(raw_dir(THIS) / "workforce.csv")
    latest = wf[wf["period"] == wf["period"].max()]
    vacancy = (100 * (latest["established_fte"] - latest["in_post_fte"]).clip(lower=0).sum()
               / latest["established_fte"].sum())
    recs = _raw(THIS, "recommendations")
    done = (recs["status"].str.lower() == "complete").sum()
    for fmt in FORMATS:
        text = built["texts"][fmt]
        assert f"vacancy rate for qualified social workers was {vacancy:.0f}%" in text, fmt
        assert f"Of the {len(recs)} recommendations in the register, {done} are complete" in text, fmt


def test_synthetic_notice_on_every_pdf_page_and_in_word_and_html(built):
    for i, page in enumerate(built["pdf"].pages):
        assert NOTICE in page.extract_text(), f"PDF page {i + 1}"
    for section in built["docx"].sections:
        assert NOTICE in " ".join(p.text for p in section.header.paragraphs)
    assert NOTICE in built["texts"]["html"]


def test_a_failing_publication_check_moves_nothing(built, monkeypatch):
    """A case id slipped into the rendered HTML stops the build before anything reaches report/_output."""
    before = {p.name: p.read_bytes() for p in built["out"].iterdir()}
    case_id = _raw(THIS, "case_audit")["case_id"].iloc[0]
    real = render.render_document

    def leaky(source, variables, out_dir, basename, formats, **kw):
        result = real(source, variables, out_dir, basename, formats, **kw)
        html = result["html"]
        html.write_text(html.read_text(encoding="utf-8").replace("</body>", f"<p>{case_id}</p></body>"),
                        encoding="utf-8")
        return result

    monkeypatch.setattr(render, "render_document", leaky)
    with pytest.raises(ReportError) as err:
        publish.build_papers(THIS)
    assert "annual-audit-report.html" in str(err.value) and "case_audit.case_id" in str(err.value)
    assert {p.name: p.read_bytes() for p in built["out"].iterdir()} == before
    assert not [p for p in built["out"].parent.iterdir() if p.name.startswith(f".{THIS}.staging-")]
    assert publish.render_review(THIS, quiet=True) == 1  # the build's exit status


def test_a_previous_review_not_built_is_named_with_the_command():
    with pytest.raises(ReportError, match=r"python -m pipeline build example-annual-1999 --no-render"):
        annual_years._load_year("example-annual-1999")


def test_a_board_audience_passes_through_unchanged(built):
    year = annual_years._load_year(THIS)
    year.meta = dict(year.meta, audience="board")
    table = annual_years.compliance_table(year)
    assert not table.mask.to_numpy().any()
    counts = _criterion_counts(THIS)
    assert table.frame["no_n"].astype(int).to_dict() == counts["no"].astype(int).to_dict()
    public = annual_years.compliance_table(annual_years._load_year(THIS))
    assert public.mask["no_n"].any()


def test_newcombe_difference_matches_the_published_example():
    # Newcombe (1998), Table II, example (a): 56/70 against 48/80, method 10: 0.0524 to 0.3339
    d, low, high = annual_years.newcombe_difference(48, 80, 56, 70)
    assert (round(d, 2), round(low / 100, 4), round(high / 100, 4)) == (20.0, 0.0524, 0.3339)


def test_publication_check_passes_on_the_built_report(built):
    publication.check_review(THIS, sorted(built["out"].iterdir()))
    assert processed_dir(THIS).exists()
