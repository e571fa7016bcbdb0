"""The across-the-phases chapter: a review set beside the reviews before it.

For a phase review with ``previous_reviews`` (phase 3 of the example) the
chapter shows (a) the recommendations register phase by phase, (b) each
finding's rating as it stood after each review, and (c) the case for change:
each recommendation of this phase with the evidence whose wording it shares.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

import pandas as pd

from pipeline.contract import contract
from pipeline.papers.errors import ReportError
from pipeline.papers.format import date_label, num
from pipeline.papers.markup import literal, plain
from pipeline.papers.results import Results, read_table
from pipeline.papers.tables import Prose, md_table, prose, rag_cell, rating_or_unrated
from pipeline.paths import PROJ_ROOT, processed_dir
from pipeline.stages import PREVIOUS_READS


def previous_reviews(meta: dict) -> list[str]:
    """The reviews a review compares itself with (``previous_reviews`` in its review.yml), in order."""
    return [str(r) for r in (meta.get("previous_reviews") or [])]


@dataclass
class Stood:
    """A review's findings matrix as it stood when that review reported."""

    review_id: str
    label: str
    matrix: pd.DataFrame | None


def _stood_label(meta: dict) -> str:
    phase = meta.get("phase")
    when = date_label(meta.get("meeting_date") or meta.get("census_date"))
    return f"Phase {phase} ({when})" if phase else f"{meta.get('review_id', '')} ({when})"


def read_previous(review) -> list[Stood]:
    """The findings matrix of each previous review; a clear error when one has not been built."""
    out = []
    for prev in previous_reviews(review.meta):
        folder = processed_dir(prev)
        for name in PREVIOUS_READS["phase"]:
            if not (folder / name).exists():
                raise ReportError(
                    f"{review.review_id} sets its findings beside those of {prev}, but {prev} has not been built "
                    f"({(folder / name).relative_to(PROJ_ROOT)} is missing): run `python -m pipeline build {prev}` "
                    f"(or `make report REVIEW={prev}`) first")
        meta = json.loads((folder / "_tables" / "review.json").read_text(encoding="utf-8"))["meta"]
        matrix = read_table(folder / "findings__matrix.csv")
        out.append(Stood(prev, _stood_label(meta), matrix))
    return out


def finding_standing(matrix: pd.DataFrame | None, finding_id: str) -> str:
    """A finding's rating in one review, in words: its rating, "Deferred to phase N", "Not rated" or "Not examined"."""
    rows = None if matrix is None else matrix[matrix["finding_id"] == finding_id]
    if rows is None or rows.empty:
        return "Not examined"
    rag = rows["finding_rag"].iloc[0]
    if isinstance(rag, str) and rag:
        return rag_cell(rag)
    if rows["is_deferred"].astype(bool).all():
        phases = sorted({str(p) for p in rows["phase"]})
        return "Deferred to phase " + " and ".join(phases)
    return "Not rated"


def across_variables(review, results: Results, stood: list[Stood]) -> dict:
    """Numbers for the words of a review that looks back over earlier ones (the ``across`` key)."""
    v: dict = {}
    fm = results.get("findings__matrix")
    labels = [s.label[:1].lower() + s.label[1:] for s in stood]
    ever_red = set()
    for s in [*stood, Stood(review.review_id, "", fm)]:
        if s.matrix is not None:
            ever_red |= set(s.matrix.loc[s.matrix["finding_rag"] == "red", "finding_id"])
    v["across"] = {
        "previous_n": num(len(stood)), "reviews_n": num(len(stood) + 1),
        "previous": plain(" and ".join([", ".join(labels[:-1]), labels[-1]]) if len(labels) > 1 else "".join(labels)),
        "red_any_n": num(len(ever_red)), "red_any": plain(", ".join(sorted(ever_red)) or "none"),
    }
    return v


def section_across_register(review) -> str:
    """(a) The recommendations register across the phases, phase by phase, with each status in words."""
    recs = review.table("recommendations")
    if recs is None or recs.empty:
        return ""
    label = contract().code_label
    statuses = [s for s in contract().codes["status"] if s in set(recs["status"])]
    counts = (recs.assign(Phase=recs["phase"].map(lambda p: f"Phase {p}"))
              .pivot_table(index="Phase", columns="status", values="rec_id", aggfunc="count", fill_value=0)
              .reindex(columns=statuses, fill_value=0))
    summary = counts.reset_index().rename(columns={s: label(s) for s in statuses})
    summary["Total"] = counts.sum(axis=1).values
    out = [md_table(summary.astype(str), ["l"] + ["r"] * (len(summary.columns) - 1))]
    for phase, rows in recs.groupby("phase", sort=True):
        out.append(f"\n**Recommendations of phase {phase}**\n")
        table = pd.DataFrame({
            "Rec": rows["rec_id"], "Recommendation": rows["text"], "Owner": rows["owner"].fillna(""),
            "Status": rows["status"].map(label),
            "Due": rows["due_date"].map(lambda d: date_label(d) if pd.notna(d) else "not set")})
        out.append(md_table(table, widths=[5, 50, 16, 10, 12]))
    return "\n".join(out)


def section_across_matrix(review, results: Results, stood: list[Stood]) -> str:
    """(b) The findings matrix as it stood after each review, side by side: one row per finding, ratings in words."""
    this = Stood(review.review_id, f"{_stood_label(review.meta)}, this paper", results.get("findings__matrix"))
    columns = [*stood, this]
    names: dict[str, str] = {}
    for s in columns:
        if s.matrix is not None:
            for fid, text in zip(s.matrix["finding_id"], s.matrix["finding"]):
                names[fid] = text  # the latest wording wins
    if not names:
        return ""
    rows = [[f"{fid}: {text}", *[finding_standing(s.matrix, fid) for s in columns]] for fid, text in names.items()]
    table = pd.DataFrame(rows, columns=["Finding", *[s.label for s in columns]])
    return (md_table(table, ["l"] + ["l"] * len(columns), widths=[40] + [14] * len(columns)))


_STOP_WORDS = frozenset(
    "a about after against all also an and any are as at be been before being between both but by can cannot "
    "could do does each every for from give given has have how in into is it its keep keeps kept let make may "
    "more most must new no not now of on one only or other out over own per rather so such than that the their "
    "them then there these they this those through to under until up upon was were what when where which while "
    "who whose why will with within without would yet".split())


def _words(text: str) -> set[str]:
    found = set()
    for token in re.findall(r"[a-z][a-z'’-]*[a-z]", str(text).lower()):
        token = token.replace("’", "'").removesuffix("'s").removesuffix("'")
        if token.endswith("s") and not token.endswith("ss") and len(token) > 4:
            token = token[:-1]
        if len(token) > 2 and token not in _STOP_WORDS:
            found.add(token)
    return found


def link_by_words(recs: pd.DataFrame, evidence: pd.DataFrame) -> dict[str, list[tuple[int, list[str]]]]:
    """For each recommendation, the evidence rows whose wording it shares, with the shared words.

    The register does not say which finding a recommendation answers (the data
    contract has no such column), so the link is made from the words the two
    share: each word is weighted by how rare it is among the evidence rows and
    the recommendations (inverse document frequency), a pair is scored by the
    cosine of their weighted word sets, and a row is linked when it shares at
    least two words and scores at least 75% of the recommendation's best row.
    The paper prints the shared words, so a reader can judge every link."""
    rec_docs = {r.rec_id: _words(r.text) for r in recs.itertuples()}
    docs = [_words(t) for t in evidence["evidence"]]
    df: dict[str, int] = {}
    for d in [*docs, *rec_docs.values()]:
        for w in d:
            df[w] = df.get(w, 0) + 1
    total = len(docs) + len(rec_docs)
    idf = {w: math.log((1 + total) / (1 + n)) + 1 for w, n in df.items()}

    def norm(words):
        return math.sqrt(sum(idf[w] ** 2 for w in words)) or 1.0

    links: dict[str, list[tuple[int, list[str]]]] = {}
    for rec_id, words in rec_docs.items():
        scored = []
        for i, d in enumerate(docs):
            shared = sorted(words & d, key=lambda w: (-idf[w], w))
            if len(shared) >= 2:
                scored.append((sum(idf[w] ** 2 for w in shared) / (norm(words) * norm(d)), i, shared))
        best = max((s for s, _, _ in scored), default=0.0)
        links[rec_id] = [(i, shared) for s, i, shared in sorted(scored, key=lambda x: (-x[0], x[1]))
                         if s >= 0.75 * best]
    return links


def _own_recommendations(review) -> pd.DataFrame:
    recs = review.table("recommendations")
    if recs is None:
        return pd.DataFrame()
    return recs[pd.to_numeric(recs["phase"], errors="coerce") == review.meta.get("phase")]


def section_across_case(review, results: Results) -> tuple[str, str]:
    """(c) The case for change, recommendation by recommendation: the evidence of this phase each one answers,
    and (second) the evidence no recommendation of this phase takes up."""
    recs = review.table("recommendations")
    fm = results.get("findings__matrix")
    phase = review.meta.get("phase")
    mine = _own_recommendations(review)
    if recs is None or fm is None or mine.empty:
        return "", ""
    evidence = fm[fm["phase"] == phase].reset_index(drop=True)
    if evidence.empty:
        evidence = fm.reset_index(drop=True)
    links = link_by_words(mine, evidence)
    label = contract().code_label
    out = []
    used: set[int] = set()
    for r in mine.itertuples():
        due = f", due {date_label(r.due_date)}" if pd.notna(r.due_date) else ""
        owner = f" Owner: {literal(r.owner)}." if isinstance(r.owner, str) else ""
        out.append(f"**{literal(r.rec_id)}.** {literal(r.text)}{owner} Status: {literal(label(r.status))}{due}.\n")
        rows = []
        for i, shared in links[r.rec_id]:
            e = evidence.iloc[i]
            used.add(i)
            rating = rating_or_unrated(e["rag"])
            rows.append((f"{e['finding_id']}: {e['finding']}", e["evidence"], rating, ", ".join(shared[:5])))
        if rows:
            out.append(md_table(pd.DataFrame(rows, columns=["Finding", "Evidence", "Rating", "Shared words"]),
                                widths=[22, 40, 10, 18]))
        else:
            out.append("No evidence row of this phase shares its wording; it rests on the findings as a whole.\n")
    rest = evidence.drop(index=sorted(used))
    unused = "" if rest.empty else md_table(pd.DataFrame({
        "Finding": rest["finding_id"] + ": " + rest["finding"], "Evidence": rest["evidence"],
        "Rating": rest["rag"].map(rating_or_unrated)}), widths=[28, 50, 12])
    return "\n".join(out), unused



def section_across(review, results: Results, stood: list[Stood]) -> dict:
    """The phase 3 chapter: register, matrix by phase, case for change (empty for a review with no previous ones)."""
    empty = {"across_register_words": None, "across_register": "", "across_matrix_words": None,
             "across_matrix": "", "across_case_words": None, "across_case": "", "across_unused_words": None,
             "across_unused": ""}
    if not previous_reviews(review.meta):
        return empty
    recs = review.table("recommendations")
    fm = results.get("findings__matrix")
    matrix = section_across_matrix(review, results, stood)
    case, unused = section_across_case(review, results)
    mine = _own_recommendations(review)
    return {
        "across_register_words": Prose("board/across-register.md" if recs is not None and not recs.empty
                                       else "board/across-register-none.md"),
        "across_register": section_across_register(review),
        "across_matrix_words": Prose("board/across-matrix.md" if matrix else "board/across-matrix-none.md"),
        "across_matrix": matrix,
        "across_case_words": Prose("board/across-case-none.md" if recs is None or fm is None
                                   else "board/across-case-own-none.md" if mine.empty else "board/across-case.md"),
        "across_case": case,
        "across_unused_words": prose("board/across-unused.md", bool(unused)),
        "across_unused": unused,
    }
