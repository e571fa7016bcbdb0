"""Blocks the Board paper and its slides share: figure references (gated in a public paper) and the key
audit questions."""
from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from pipeline import disclosure as dc
from pipeline.papers.markup import literal
from pipeline.papers.protect import Protected, small_any
from pipeline.papers.results import Results
from pipeline.papers.tables import figure_ref


def figure_block(results: Results, name: str, workspace: Path) -> str:
    fig = results.figures.get(name)
    if fig is None:
        return ""
    target = workspace / "figures" / fig["png"].name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(fig["png"], target)
    return figure_ref(fig["caption"], f"figures/{target.name}", fig["alt"])


def gated_figure(results: Results, name: str, workspace: Path, prot: Protected, safe: bool, what: str) -> str:
    """A figure, or in a public paper whose chart would show a hidden figure, a sentence saying it is left out.

    The charts are drawn by the analysis stages from the unprotected data (their
    labels and alt text state every value), so a public paper shows one only
    when none of its data is hidden (``safe``).
    """
    if prot.public and not safe:
        if results.figures.get(name) is None:
            return ""
        return (f"*{what} is left out of this published version: some of its figures are suppressed "
                f"(small numbers).*\n")
    return figure_block(results, name, workspace)


def row_clear(t: dc.SuppressedTable | None, row) -> bool:
    return t is not None and row in t.mask.index and not bool(t.mask.loc[row].any())


def criterion_figure(results: Results, cid: str, workspace: Path, prot: Protected) -> str:
    comp = prot.compliance
    safe = row_clear(comp, cid) and not small_any(comp.frame.loc[cid, ["na_n", "blank_n"]].tolist())
    return gated_figure(results, f"case_audit__criterion_{cid}", workspace, prot, safe,
                         f"The chart of criterion {cid}")


def key_criteria(results: Results, cfg: dict) -> list[str]:
    ca = results.get("case_audit__criterion_compliance")
    if ca is None:
        return []
    chosen = cfg.get("key_criteria") or ca.loc[ca["reference"].notna(), "criterion_id"].tolist()
    return [c for c in chosen if c in set(ca["criterion_id"])]


def criterion_heading(ca: pd.DataFrame, text: pd.Series, cid: str) -> str:
    r = ca[ca["criterion_id"] == cid].iloc[0]
    ref = f" [{r['reference']}]" if isinstance(r["reference"], str) else ""
    return f"## {literal(text.get(cid, cid))}{literal(ref)}\n"


def criterion_texts(review) -> pd.Series:
    criteria = review.table("audit_criteria")
    return criteria.set_index("criterion_id")["text"] if criteria is not None else pd.Series(dtype=str)

