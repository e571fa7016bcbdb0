"""Annex B of the Board paper (methodology and sample) and the Board slides: choices of words and tables.

The words are the partials ``report/partials/board/method*.md`` and
``slide-*.md``; the numbers they quote are variables (``design.*``,
``spc.*``, ``ca.*``...). The caveats of ``report/config/caveats.yml`` are
authored text with ``{{< var >}}`` placeholders: they are filled here from
the same variables, so the table carries no shortcode.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import yaml

from pipeline.papers.board_blocks import (
    criterion_figure,
    criterion_heading,
    criterion_texts,
    figure_block,
    key_criteria,
)
from pipeline.papers.errors import ReportError
from pipeline.papers.format import num
from pipeline.papers.markup import literal, plain
from pipeline.papers.protect import Protected
from pipeline.papers.results import CONFIG_DIR, Results
from pipeline.papers.tables import Markup, Prose, md_table, prose, rag_cell
from pipeline.params import params
from pipeline.paths import processed_dir

ANALYSED = {"case_audit": "ca", "questionnaire": "qn", "workforce": "wf", "monitoring": "mon", "timescales": "ts"}
IMPORTANCE = {"High": 0, "Medium": 1, "Low": 2}
_VAR = re.compile(r"\{\{<\s*var\s+([\w.-]+)\s*>\}\}")


def method_variables(review, prot: Protected) -> dict:
    """``spc.*`` (the XmR rules of params.yaml) and ``design.*`` (the next sample's plan, when there is one)."""
    m = params().monitoring
    v: dict = {"spc": {"baseline_n": num(m.baseline_months), "shift_run": num(m.shift_run),
                       "trend_run": num(m.trend_run)}}
    plan = processed_dir(review.review_id) / "sample" / "sample__plan.json"
    if plan.exists():
        doc = json.loads(plan.read_text(encoding="utf-8"))
        certainty = doc.get("certainty_n", doc.get("high_risk_n"))
        v["design"] = {"margin_pct": num(doc.get("margin_pct"), 1), "required_n": num(doc.get("required_n")),
                       "certainty_n": prot.count(certainty) if prot.public else num(certainty),
                       "seed": plain(doc.get("seed"))}
    return v


def fill(text: str, v: dict, where: str) -> str:
    """Authored text with its ``{{< var >}}`` placeholders replaced by the variables' values."""
    def value(m):
        node = v
        for part in m.group(1).split("."):
            if not isinstance(node, dict) or part not in node:
                raise ReportError(f"{where}: the placeholder {m.group(0)!r} names no variable")
            node = node[part]
        return str(node)

    return _VAR.sub(value, text)


def caveats_table(v: dict) -> str:
    with open(CONFIG_DIR / "caveats.yml", encoding="utf-8") as fh:
        caveats = yaml.safe_load(fh)
    rows = [(c["importance"].capitalize(), Markup(fill(c["text"], v, "report/config/caveats.yml").replace("|", "\\|")))
            for c in caveats if ANALYSED.get(c["applies_to"]) in v]
    rows.sort(key=lambda r: IMPORTANCE[r[0]])
    return md_table(pd.DataFrame(rows, columns=["Importance", "Assumption or caveat"]))


def section_method(v: dict, prot: Protected) -> dict:
    thresholds = pd.DataFrame([(name, r.better, num(r.green, 1), num(r.amber, 1))
                               for name, r in params().ratings.items()],
                              columns=["Measure", "Better when", "Green at or beyond", "Amber at or beyond"])
    return {"method_words": Prose("board/method.md"),
            "method_sample": prose("board/method-sample.md", "ca" in v),
            "method_design": prose("board/method-design.md", "design" in v),
            "method_small": prose("board/method-small-numbers.md", prot.public),
            "method_disclosure": prose("common/disclosure-method.md", prot.public),
            "method_ratings_words": Prose("board/method-ratings.md"),
            "method_ratings": md_table(thresholds, ["l", "l", "r", "r"]),
            "method_spc_words": Prose("board/method-spc.md"),
            "method_caveats": caveats_table(v)}


def _slides_rest(review, results: Results, cfg: dict, v: dict, workspace: Path, prot: Protected) -> str:
    out = []
    fd = results.get("findings__by_finding")
    if fd is not None:
        out.append("## Findings matrix in brief\n")
        out.append(md_table(pd.DataFrame({"Finding": fd["finding_id"] + ": " + fd["finding"],
                                          "Rating": fd["finding_rag"].map(rag_cell)})))
    ca = results.get("case_audit__criterion_compliance")
    text = criterion_texts(review)
    for cid in key_criteria(results, cfg):
        out.append(criterion_heading(ca, text, cid))
        out.append(criterion_figure(results, cid, workspace, prot))
    if "wf" in v:
        out.append("## Capacity\n")
        out.append(figure_block(results, "workforce__vacancy_by_team", workspace))
    recs = review.table("recommendations")
    if recs is not None:
        for start in range(0, len(recs), 4):
            out.append("## Recommendations\n")
            for r in recs.iloc[start:start + 4].itertuples():
                words = r.text if len(r.text) <= 160 else r.text[:157].rsplit(" ", 1)[0] + "..."
                out.append(f"- **{literal(r.rec_id)}** {literal(words)}")
            out.append("")
    return "\n".join(out) + "\n"


def section_slides(review, results: Results, cfg: dict, v: dict, workspace: Path, prot: Protected) -> dict:
    """A short deck: key findings (authored bullets, chosen by what the review has), the matrix in brief,
    one slide per key audit question, capacity, recommendations."""
    sup = "sup" in v
    return {
        "slide_audit": prose("board/slide-audit.md", "ca" in v),
        "slide_supervision": (prose("board/slide-supervision-suppressed.md") if prot.supervision_hidden
                              else prose("board/slide-supervision.md")) if sup else None,
        "slide_workforce": prose("board/slide-workforce.md", "wf" in v),
        "slide_monitoring": prose("board/slide-monitoring.md", "mon" in v and "dec" in v["mon"]),
        "slide_recording": prose("board/slide-recording.md", "ca" in v),
        "slides": _slides_rest(review, results, cfg, v, workspace, prot),
    }
