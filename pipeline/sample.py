"""Plan and draw the case-audit sample from the open child protection cases.

The review recommends extending the case audit to a larger sample so more
confidence can be placed in it (issue 6, item 1). The frame is the review's
``case_population`` (the open CP cases at census_date). The design:

- **Size**: Cochran's sample size for a proportion to within +/- ``margin_pct``
  points at 95% (worst case p = 0.5), with the finite-population correction for
  the N cases of the frame (``stats.sample_size``).
- **Certainty stratum**: every case carrying a high-risk flag
  (``interim_care_order_at_home``, ``police_investigation_open`` or
  ``legal_dissent`` = yes) is audited, whatever the size. These cases are
  counted separately and are *not* part of the proportional allocation.
- **Proportional strata**: the rest of the required size
  (n required - high-risk cases, never below 0) is allocated to the strata
  area x team type of the remaining cases in proportion to their size, rounded
  by the largest-remainder (Hamilton) method so the stratum sizes add up
  exactly (see ``allocate``), and drawn at random without replacement within
  each stratum with ``numpy.random.default_rng(seed)``.
- **Reproducible**: cases are sorted by case_id and strata taken in sorted
  order before drawing, so the same frame and seed always give the same cases,
  whatever the row order of the file.

The sample list carries case ids: it is an operational list for the auditors,
written under ``data/processed/<id>/sample/`` (never committed) and never
copied into a report. The plan (``sample__plan.json``) and the strata table
carry counts only; the methodology annex quotes them.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline import stats
from pipeline.outputs import write_csv
from pipeline.paths import processed_dir

#: The three flags whose ``yes`` marks a high-risk case (issue 3, item 4; as ``case_audit.HIGH_RISK_FLAGS``).
HIGH_RISK_FLAGS = ("interim_care_order_at_home", "police_investigation_open", "legal_dissent")
#: The stratum name of the cases taken with certainty.
CERTAINTY = "certainty: high risk"
#: Files written into ``data/processed/<id>/sample/``.
CASES_FILE = "sample__cases.csv"
PLAN_FILE = "sample__plan.json"
STRATA_FILE = "sample__strata.csv"

CASE_COLUMNS = ["case_id", "team_id", "area", "team_type", "stratum", "is_certainty"]
STRATA_COLUMNS = ["stratum", "area", "team_type", "is_certainty", "population_n", "sample_n",
                  "design_weight"]


@dataclass(frozen=True)
class SamplePlan:
    """A drawn sample: the case list (with case ids), its strata and the plan (counts only)."""

    cases: pd.DataFrame   # CASE_COLUMNS, sorted by stratum then case_id
    strata: pd.DataFrame  # STRATA_COLUMNS, certainty first, then strata in sorted order
    plan: dict            # JSON-ready; no case id


def stratum_name(area: str, team_type: str) -> str:
    """The name of a proportional stratum: ``<area> / <team_type>``."""
    return f"{area} / {team_type}"


def allocate(population_n: pd.Series, n: int) -> pd.Series:
    """Allocate ``n`` cases to strata in proportion to their sizes, adding up to exactly ``n``.

    Largest-remainder (Hamilton) rounding: each stratum h first gets the whole
    part of its quota n N_h / N; the cases still to place go one each to the
    strata with the largest fractional parts (ties: the larger stratum, then
    the earlier in ``population_n``'s order). No stratum gets more than its
    size, since the quota never exceeds it. ``population_n`` is indexed by
    stratum; the result has the same index and dtype int.
    """
    sizes = population_n.astype("int64")
    total = int(sizes.sum())
    if n < 0 or n > total:
        raise ValueError(f"cannot allocate {n} cases to strata of {total} cases")
    if total == 0:
        return sizes * 0
    quota = sizes * n / total
    base = np.floor(quota).astype("int64")
    left = n - int(base.sum())
    order = pd.DataFrame({"frac": (quota - base).to_numpy(), "size": sizes.to_numpy(),
                          "pos": np.arange(len(sizes))})
    order = order.sort_values(["frac", "size", "pos"], ascending=[False, False, True], kind="stable")
    extra = np.zeros(len(sizes), dtype="int64")
    extra[order["pos"].to_numpy()[:left]] = 1
    return pd.Series(base.to_numpy() + extra, index=sizes.index, dtype="int64")


def is_high_risk(frame: pd.DataFrame) -> pd.Series:
    """True for a case with any high-risk flag equal to ``yes``."""
    return frame[list(HIGH_RISK_FLAGS)].eq("yes").any(axis=1)


def _strata_of_population(case_population: pd.DataFrame, teams: pd.DataFrame) -> pd.DataFrame:
    """The population in case_id order with its area, team type, certainty flag and stratum."""
    pop = case_population.merge(teams[["team_id", "area", "team_type"]], on="team_id", how="left",
                                validate="many_to_one")
    if pop[["area", "team_type"]].isna().any().any():
        missing = sorted(pop.loc[pop["area"].isna() | pop["team_type"].isna(), "team_id"].unique())
        raise ValueError(f"case_population team(s) not in teams or without area/team type: {missing}")
    pop = pop.sort_values("case_id", kind="stable").reset_index(drop=True)
    pop["is_certainty"] = is_high_risk(pop)
    pop["stratum"] = [stratum_name(a, t) for a, t in zip(pop["area"], pop["team_type"])]
    pop.loc[pop["is_certainty"], "stratum"] = CERTAINTY
    return pop


def _draw_cases(certain: pd.DataFrame, rest: pd.DataFrame, alloc: pd.Series, seed: int) -> pd.DataFrame:
    """Every certainty case plus a random draw of ``alloc`` cases within each stratum, certainty first."""
    rng = np.random.default_rng(seed)
    drawn = [certain]
    for stratum, k in alloc.items():
        members = rest[rest["stratum"] == stratum]  # already in case_id order
        if k:
            pick = np.sort(rng.choice(len(members), size=int(k), replace=False))
            drawn.append(members.iloc[pick])
    cases = pd.concat(drawn, ignore_index=True)
    cases["_certain_first"] = (~cases["is_certainty"]).astype(int)
    cases = (cases.sort_values(["_certain_first", "stratum", "case_id"], kind="stable")
             [CASE_COLUMNS].reset_index(drop=True))
    cases["is_certainty"] = cases["is_certainty"].astype(bool)
    return cases


def _strata_table(rest: pd.DataFrame, sizes: pd.Series, alloc: pd.Series, high_risk_n: int) -> pd.DataFrame:
    """One row a stratum (the certainty stratum first) with its sizes and design weight."""
    first = rest.drop_duplicates("stratum").set_index("stratum")
    rows = [{"stratum": CERTAINTY, "area": None, "team_type": None, "is_certainty": True,
             "population_n": high_risk_n, "sample_n": high_risk_n}]
    rows += [{"stratum": s, "area": first.at[s, "area"], "team_type": first.at[s, "team_type"],
              "is_certainty": False, "population_n": int(sizes[s]), "sample_n": int(alloc[s])}
             for s in sizes.index]
    strata = pd.DataFrame(rows)
    strata["design_weight"] = (strata["population_n"] / strata["sample_n"].where(strata["sample_n"] > 0)
                               ).astype("float64")
    strata = strata[STRATA_COLUMNS]
    return strata


def plan_sample(case_population: pd.DataFrame, teams: pd.DataFrame, margin_pct: float, seed: int,
                confidence: float = 0.95) -> SamplePlan:
    """Size, allocate and draw the audit sample (see the module docstring for the design).

    ``case_population`` and ``teams`` are the typed tables of a validated review
    (every team_id of the population is in teams). Returns the case list, the
    strata (the certainty stratum first) and the plan.
    """
    pop = _strata_of_population(case_population, teams)

    population_n = len(pop)
    required_n = stats.sample_size(margin_pct, N=population_n, confidence=confidence) if population_n else 0
    certain = pop[pop["is_certainty"]]
    rest = pop[~pop["is_certainty"]]
    high_risk_n = len(certain)
    proportional_n = min(max(required_n - high_risk_n, 0), len(rest))

    sizes = rest.groupby("stratum", sort=True).size()
    alloc = allocate(sizes, proportional_n)

    cases = _draw_cases(certain, rest, alloc, seed)

    strata = _strata_table(rest, sizes, alloc, high_risk_n)

    from pipeline.case_audit import precision

    drawn_n = len(cases)
    expected = precision(drawn_n, population_n, confidence=confidence)["margin_pct"].iloc[0] if drawn_n else None
    plan = {
        "design": ("Stratified random sample of the open child protection cases at the census date: "
                   "every high-risk case (interim care order at home, open police investigation, or "
                   "proceedings not taken after professional dissent) taken with certainty; the rest "
                   "of the required size allocated to area x team type strata in proportion to their "
                   "size (largest-remainder rounding) and drawn at random within each stratum."),
        "population_n": int(population_n),
        "high_risk_n": int(high_risk_n),
        "margin_pct": float(margin_pct),
        "confidence": float(confidence),
        "p": 0.5,
        "required_n": int(required_n),
        "proportional_n": int(proportional_n),
        "drawn_n": int(drawn_n),
        "expected_margin_pct": None if expected is None else round(float(expected), 2),
        "seed": int(seed),
        "strata_n": int(len(sizes)),
        "strata": [{k: (None if pd.isna(v) else v) for k, v in r.items()
                    if k in ("stratum", "area", "team_type", "is_certainty", "population_n", "sample_n")}
                   for r in strata.astype(object).to_dict("records")],
        "notes": [
            "Sample size: Cochran n0 = z^2 p(1-p)/e^2 with p = 0.5, finite-population corrected "
            "n = n0/(1 + (n0-1)/N), rounded up.",
            "The high-risk cases are counted separately and are not part of the proportional "
            "allocation, so they are over-represented: a figure for all open cases should weight "
            "each stratum by its design weight (population_n / sample_n); the expected margin assumes "
            "a simple random sample of drawn_n cases.",
        ],
    }
    return SamplePlan(cases=cases, strata=strata, plan=plan)


def write_sample(sp: SamplePlan, out_dir: Path | str, review_id: str | None = None,
                 census_date=None) -> dict[str, Path]:
    """Write the case list, the strata table and the plan into ``out_dir``; return their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    plan = dict(sp.plan)
    if review_id is not None:
        plan = {"review_id": review_id, **plan}
    if census_date is not None and not pd.isna(census_date):
        plan = {**plan, "census_date": pd.Timestamp(census_date).date().isoformat()}
    paths = {"cases": out_dir / CASES_FILE, "strata": out_dir / STRATA_FILE, "plan": out_dir / PLAN_FILE}
    write_csv(sp.cases, paths["cases"])  # the shared writer: no text can run as a formula
    write_csv(sp.strata, paths["strata"])
    paths["plan"].write_text(json.dumps(plan, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return paths


class SampleExists(Exception):
    """Raised when a sample has already been drawn and ``--force`` was not given."""


PREVIOUS_DIR = "previous"


def previous_name(plan: dict) -> str:
    """The folder name an earlier sample is kept under: its seed and margin, never the clock."""
    return f"seed-{plan.get('seed')}_margin-{float(plan.get('margin_pct')):g}"


def keep_previous(out_dir: Path | str, force: bool) -> Path | None:
    """Make room for a new sample in ``out_dir`` without losing the one already there.

    With no sample in ``out_dir`` this does nothing and returns None. With one,
    it raises ``SampleExists`` unless ``force``; with ``force`` it moves the
    sample's three files into ``previous/seed-<seed>_margin-<margin>/`` (a
    ``-2``, ``-3``... suffix when that name is taken) and returns that folder.
    Nothing is deleted.
    """
    out_dir = Path(out_dir)
    present = [out_dir / name for name in (CASES_FILE, STRATA_FILE, PLAN_FILE) if (out_dir / name).exists()]
    if not present:
        return None
    plan_path = out_dir / PLAN_FILE
    try:
        plan = json.loads(plan_path.read_text(encoding="utf-8")) if plan_path.exists() else {}
        name = previous_name(plan)
    except (ValueError, TypeError):
        name = "seed-unknown_margin-unknown"
    if not force:
        raise SampleExists(f"a sample has already been drawn ({name.replace('_', ', ').replace('-', ' ')}) in "
                           f"{out_dir}; rerun with --force to draw a new one (the earlier one is kept in "
                           f"{PREVIOUS_DIR}/)")
    target = out_dir / PREVIOUS_DIR / name
    k = 2
    while target.exists():
        target = out_dir / PREVIOUS_DIR / f"{name}-{k}"
        k += 1
    target.mkdir(parents=True)
    for path in present:
        path.replace(target / path.name)
    return target


def read_sample_cases(review_id: str) -> pd.DataFrame | None:
    """The review's sample list (case_id, team_id, ...), or None when no sample has been drawn."""
    path = sample_dir(review_id) / CASES_FILE
    if not path.exists():
        return None
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def sample_dir(review_id: str) -> Path:
    """``data/processed/<review_id>/sample/``: operational lists, never committed, never reported."""
    return processed_dir(review_id) / "sample"


def summary(sp: SamplePlan, review_id: str) -> str:
    """A few lines for the terminal: sizes, strata and seed (no case id)."""
    p = sp.plan
    lines = [
        f"sample {review_id}: {p['population_n']:,} open cases, margin +/-{p['margin_pct']:g} points "
        f"at {p['confidence']:.0%}",
        f"  required (Cochran, finite-population corrected): {p['required_n']:,}",
        f"  high-risk cases taken in full (certainty stratum): {p['high_risk_n']:,}",
        f"  drawn from {p['strata_n']} strata (area x team type), proportional: {p['proportional_n']:,}",
        f"  cases to audit: {p['drawn_n']:,}; expected margin +/-{p['expected_margin_pct']} points; "
        f"seed {p['seed']}",
    ]
    return "\n".join(lines)


def load_for(review_id: str, needs: tuple[str, ...], folder: Path | None = None):
    """Load a review for planning, stopping only on errors in the tables ``needs``.

    Sampling and forms come before the returns exist, so a review still
    missing, say, its evidence_map can have its sample drawn. Errors in the
    needed tables, in review.yml or in a file that cannot be read at all stop
    with ``ValidationFailed`` (carrying just those errors); a needed table that
    is absent raises ``LookupError``. Returns the Review and the number of
    errors found in other tables.
    """
    from pipeline.issues import ERROR, ValidationFailed
    from pipeline.load import load_review

    review = load_review(review_id, folder, strict=False)
    blocking = [i for i in review.issues
                if i.severity == ERROR and (i.table in needs or i.table in ("", "review"))]
    if blocking:
        raise ValidationFailed(review_id, blocking)
    absent = [t for t in needs if review.table(t) is None]
    if absent:
        raise LookupError(f"review {review_id!r} has no {', '.join(absent)} table "
                          f"(a {absent[0]}.csv or a sheet {absent[0]!r} in data/raw/{review_id}/)")
    other = sum(1 for i in review.issues if i.severity == ERROR) - len(blocking)
    return review, other
