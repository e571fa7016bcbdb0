"""Commands of ``python -m pipeline``: each a setup (arguments) and a run function.

Every review id is checked once, here, by ``review_id_arg`` (a plain name, see
``pipeline.paths.check_review_id``); a user's mistake raises ``CliError``, which
``__main__`` prints as one line with exit status 2.
"""
from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from pipeline import manifest
from pipeline.console import Console, shown
from pipeline.issues import ERROR, QUERY, ValidationFailed, summarise, write_issues
from pipeline.lock import review_lock
from pipeline.paths import (OUTPUT_DIR, PROJ_ROOT, BadReviewId, check_review_id, inside, known_reviews,
                            output_dir, processed_dir, raw_dir)

ISSUES_FILE = "validation__issues.csv"
KEEP_ON_ERROR = (ISSUES_FILE, "validation__issues.xlsx", "sample", "forms")


class CliError(Exception):
    """A mistake in the command (wrong id, review not built, busy): one line, exit status 2."""


def review_id_arg(text: str) -> str:
    """argparse type of every review id argument."""
    try:
        return check_review_id(text)
    except BadReviewId as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_review_id(p, text: str = "the review's folder name under data/raw/ (e.g. example-phase1)") -> None:
    p.add_argument("review_id", type=review_id_arg, help=text)


def require_review(review_id: str) -> None:
    """Raise CliError, naming the reviews there are, unless data/raw/<review_id>/review.yml exists."""
    check_review_id(review_id)
    if not (raw_dir(review_id) / "review.yml").is_file():
        have = ", ".join(known_reviews()) or "none"
        raise CliError(f"there is no review {review_id!r} under data/raw/ (a folder with a review.yml); "
                       f"the reviews there are: {have}")


def require_built(review_id: str) -> None:
    """Raise CliError unless the review has been validated and analysed."""
    require_review(review_id)
    if not (processed_dir(review_id) / "_tables" / "review.json").is_file():
        raise CliError(f"review {review_id!r} has not been built yet: run `python -m pipeline build {review_id}` "
                       f"(or `make report REVIEW={review_id}`) first")


def clear_outputs(review_id: str, keep: tuple[str, ...] = KEEP_ON_ERROR) -> None:
    """Remove the files the pipeline wrote for a review (its manifest), except the issue report.

    Called when a review has errors, so that nothing half-built or stale is left
    where a finished result would be. Only files in the review's manifest are
    deleted, never whatever else is in the folder. The auditors' sample list
    and blank forms are kept: a bad returned workbook must not wipe them.
    """
    manifest.remove_written(review_id, keep=keep)


def remove_staging_leftovers(review_id: str) -> None:
    """Remove staging folders an interrupted render of this review left in report/_output/."""
    if OUTPUT_DIR.is_dir():
        for path in OUTPUT_DIR.glob(f".{review_id}.staging-*"):
            shutil.rmtree(inside(path), ignore_errors=True)


def run_validate(review_id: str, folder: Path | None = None, quiet: bool = False):
    """Validate a review, write its issue report; return the Review or raise ValidationFailed."""
    from pipeline.contract import TABLE_ORDER
    from pipeline.load import load_review
    from pipeline.snapshot import META_FILE, TABLES_DIR, write_snapshot

    folder = folder or raw_dir(review_id)
    report = inside(processed_dir(review_id) / ISSUES_FILE)
    try:
        review = load_review(review_id, folder)
    except ValidationFailed as exc:
        write_issues(exc.issues, report)
        manifest.record(review_id, [report, report.with_suffix(".xlsx")])
        clear_outputs(review_id)
        if not quiet:
            print(summarise(exc.issues, review_id))
            print(f"issue report: {shown(report)}")
        raise
    write_issues(review.issues, report)
    manifest.record(review_id, [report, report.with_suffix(".xlsx")])
    write_snapshot(review)
    manifest.record(review_id, [f"{TABLES_DIR}/{t}.parquet" for t in TABLE_ORDER] + [f"{TABLES_DIR}/{META_FILE}"])
    if not quiet:
        print(summarise(review.issues, review_id))
        print(f"issue report: {shown(report)}")
    return review


def _setup_validate(p):
    """check a review folder against the data contract and write its issue report"""
    add_review_id(p)


def _validate(args) -> int:
    require_review(args.review_id)
    with review_lock(args.review_id):
        try:
            run_validate(args.review_id)
        except ValidationFailed:
            return 2
    return 0


def _setup_generate(p):
    """write an invented example review into data/raw/ (or all of them)"""
    p.add_argument("example", help="the example's name, e.g. example-phase1, or all")
    p.add_argument("--out", type=Path, default=None, help="folder to write into instead of data/raw/<example>/")


def _generate(args) -> int:
    from pipeline import examples

    argv = [args.example] + (["--out", str(args.out)] if args.out else [])
    return examples.main(argv) or 0


def _setup_notebook(p):
    """execute one analysis notebook for a review (Papermill)"""
    from pipeline.stages import STAGES

    p.add_argument("stage", choices=sorted(STAGES), help="the analysis: " + ", ".join(sorted(STAGES)))
    add_review_id(p)


def run_stage_notebook(stage: str, review_id: str) -> Path:
    """Run one stage's notebook, stamp its status with the snapshot it read, record what it wrote."""
    from pipeline.notebooks import run_notebook
    from pipeline.snapshot import stage_snapshot, stamp_status
    from pipeline.stages import STAGES

    stamp = stage_snapshot(review_id, stage)
    try:
        path = run_notebook(stage, review_id)
    finally:
        failed = processed_dir(review_id) / "notebooks" / f"{stage}.failed.ipynb"
        if failed.exists():
            manifest.record(review_id, [failed])
    spec = STAGES[stage]
    status_path = processed_dir(review_id) / spec.status_file
    status = json.loads(status_path.read_text(encoding="utf-8"))
    files = [path, status_path, *spec.outputs]
    files += [f for m in status.get("modules", {}).values() for f in m.get("outputs", [])]
    manifest.record(review_id, files)
    stamp_status(review_id, stage, stamp)
    return path


def _notebook(args) -> int:
    from pipeline.notebooks import NotebookFailed

    require_built(args.review_id)
    with review_lock(args.review_id):
        try:
            path = run_stage_notebook(args.stage, args.review_id)
        except NotebookFailed as exc:
            raise CliError(str(exc)) from None
    print(f"{args.stage}: {shown(path)}")
    return 0


# ------------------------------------------------------------------ build


def missing_previous(review_id: str) -> list[str]:
    """The reviews named in `review_id`'s previous_reviews whose results its render needs but lacks."""
    from pipeline.dvcgen import render_deps_of_previous

    missing = []
    for dep in render_deps_of_previous(review_id):
        prev = dep.split("/")[2]
        if not (PROJ_ROOT / dep).exists() and prev not in missing:
            missing.append(prev)
    return missing


def _build_previous(review_id: str, jobs: int, con: Console, chain: tuple[str, ...]) -> int:
    """Build (without papers) each earlier review this one compares with that has not been built."""
    for prev in missing_previous(review_id):
        if prev in chain or prev == review_id:
            raise CliError(f"review {review_id!r} names {prev!r} among its previous_reviews, which leads back "
                           "to itself: fix previous_reviews in its review.yml")
        try:
            require_review(check_review_id(prev))
        except (CliError, BadReviewId) as exc:
            raise CliError(f"review {review_id!r} compares itself with {prev!r} (previous_reviews), "
                           f"but {exc}") from None
        con.say(f"{review_id}: compares itself with {prev}, which has not been built: building it first")
        rc = build(prev, jobs=jobs, render=False, con=con, chain=chain + (review_id,))
        if rc:
            return rc
    return 0


def _run_analyses(review_id: str, jobs: int, con: Console) -> None:
    """The notebooks: those that need no other stage at once (up to `jobs`), then the rest in order."""
    from concurrent.futures import ThreadPoolExecutor

    from pipeline.stages import ANALYSIS_ORDER, STAGES

    def one(stage):
        with con.stage(review_id, stage):
            path = run_stage_notebook(stage, review_id)
        con.detail(f"  ran {shown(path)}")

    first = [s for s in ANALYSIS_ORDER if not STAGES[s].needs]
    later = [s for s in ANALYSIS_ORDER if STAGES[s].needs]
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        list(pool.map(one, first))
    for stage in later:
        one(stage)


def build(review_id: str, jobs: int = 2, render: bool = True, con: Console | None = None,
          chain: tuple[str, ...] = ()) -> int:
    """Validate a review, run its notebooks (independent ones in parallel) and render its papers.

    Returns 0, or 1 when the data or an analysis failed: then the files the
    pipeline wrote for the review are removed (the issue report stays), so
    nothing half-built is left where a finished result would be. Earlier
    reviews it compares itself with are built first when they have not been.
    Raises CliError for a wrong id, a missing review or a build already running.
    """
    from pipeline.stages import ANALYSIS_ORDER

    con = con or Console()
    require_review(review_id)
    rc = _build_previous(review_id, jobs, con, chain)
    if rc:
        return rc
    steps = ["validate", *ANALYSIS_ORDER] + (["render"] if render else [])
    with review_lock(review_id):
        remove_staging_leftovers(review_id)
        con.open_log(processed_dir(review_id))
        try:
            with con.review(review_id, steps):
                return _build_steps(review_id, jobs, render, con)
        finally:
            con.close_log()


def _build_steps(review_id: str, jobs: int, render: bool, con: Console) -> int:
    """The build of one review under its lock: validate, analyse, render; 0 or 1."""
    from pipeline.notebooks import NotebookFailed

    try:
        with con.stage(review_id, "validate"):
            review = run_validate(review_id, quiet=True)
    except ValidationFailed as exc:
        con.say(summarise(exc.issues, review_id), level=0)
        con.say(f"issue report: {shown(processed_dir(review_id) / ISSUES_FILE)}", level=0)
        return 1
    errors = sum(i.severity == ERROR for i in review.issues)
    queries = sum(i.severity == QUERY for i in review.issues)
    con.say(f"{review_id}: {errors} error(s), {queries} query(ies); issue report "
            f"{shown(processed_dir(review_id) / ISSUES_FILE)}")
    try:
        _run_analyses(review_id, jobs, con)
    except NotebookFailed as exc:
        clear_outputs(review_id, keep=KEEP_ON_ERROR + ("notebooks",))
        con.error(str(exc))
        return 1
    con.say(f"{review_id}: processed data in {shown(processed_dir(review_id))}/")
    if render:
        from pipeline.papers import publish

        with con.stage(review_id, "render"):
            if publish.render_review(review_id, quiet=True):
                return 1
    con.say(summary_line(review_id), level=0)
    return 0


def summary_line(review_id: str) -> str:
    """One review's result: errors and queries from its issue report, and the paths of its papers."""
    import pandas as pd

    issues = processed_dir(review_id) / ISSUES_FILE
    sev = pd.read_csv(issues)["severity"] if issues.is_file() else pd.Series(dtype=str)
    papers = sorted(p for p in output_dir(review_id).glob("*") if p.is_file()) if output_dir(review_id).is_dir() else []
    where = ", ".join(shown(p) for p in papers) if papers else "no papers rendered"
    return (f"built {review_id}: {int((sev == ERROR).sum())} error(s), {int((sev == QUERY).sum())} query(ies); "
            f"papers: {where}")


def _console(args) -> Console:
    from pipeline.console import NORMAL, QUIET, VERBOSE

    return Console(QUIET if getattr(args, "quiet", False) else VERBOSE if getattr(args, "verbose", False) else NORMAL)


def _setup_build(p):
    """validate a review, run its analyses and render its papers (without DVC)"""
    add_review_id(p)
    p.add_argument("--jobs", type=int, default=2, help="notebooks run at once (default 2)")
    p.add_argument("--no-render", action="store_true", help="stop after the analyses")


def _build(args) -> int:
    return 2 if build(args.review_id, jobs=args.jobs, render=not args.no_render, con=_console(args)) else 0


def _setup_summary(p):
    """print, for each review (default: those in params.yaml), its errors, queries and papers"""
    p.add_argument("review_ids", nargs="*", type=review_id_arg, metavar="review_id",
                   help="reviews to summarise (default: the reviews listed in params.yaml)")


def _summary(args) -> int:
    from pipeline.params import params

    ids = args.review_ids or list(params().reviews)
    for review_id in ids:
        require_review(review_id)
    for review_id in ids:
        print(summary_line(review_id))
    return 0


def _setup_dvc_yaml(p):
    """write dvc.yaml from the stage registry (--check: fail if it is out of date)"""
    p.add_argument("--check", action="store_true", help="only check that dvc.yaml is up to date")


def _dvc_yaml(args) -> int:
    from pipeline import dvcgen

    return dvcgen.main(["--check"] if args.check else [])


def _setup_render(p):
    """render the papers of a review again from its processed results"""
    add_review_id(p)


def _render(args) -> int:
    from pipeline.papers import publish

    require_built(args.review_id)
    with review_lock(args.review_id):
        remove_staging_leftovers(args.review_id)
        if publish.render_review(args.review_id, quiet=getattr(args, "quiet", False)):
            return 2
    return 0


COMMANDS = {
    "validate": (_setup_validate, _validate),
    "build": (_setup_build, _build),
    "render": (_setup_render, _render),
    "notebook": (_setup_notebook, _notebook),
    "summary": (_setup_summary, _summary),
    "generate": (_setup_generate, _generate),
    "dvc-yaml": (_setup_dvc_yaml, _dvc_yaml),
}


def _setup_sample(p):
    """plan and draw the case-audit sample from case_population (auditors' list, never for a report)"""
    add_review_id(p)
    p.add_argument("--margin", type=float, default=None,
                   help="95%% margin of error in percentage points (default: params.yaml sample.margin_pct)")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: params.yaml sample.seed)")
    p.add_argument("--force", action="store_true",
                   help="draw again over an existing sample (the earlier one is kept in sample/previous/)")


def _sample(args) -> int:
    from pipeline import sample
    from pipeline.issues import ValidationFailed
    from pipeline.params import params

    prm = params()
    margin = prm.sample.margin_pct if args.margin is None else args.margin
    seed = prm.sample.seed if args.seed is None else args.seed
    try:
        review, other = sample.load_for(args.review_id, ("teams", "case_population"))
    except ValidationFailed as exc:
        print(f"ERROR: {exc}")
        return 1
    except LookupError as exc:
        print(f"ERROR: {exc}")
        return 1
    try:
        sp = sample.plan_sample(review.table("case_population"), review.table("teams"), margin, seed,
                                confidence=prm.intervals.confidence)
    except ValueError as exc:
        print(f"ERROR: {exc}")
        return 1
    try:
        kept = sample.keep_previous(sample.sample_dir(args.review_id), args.force)
    except sample.SampleExists as exc:
        print(f"ERROR: {exc}")
        return 1
    if kept is not None:
        print(f"earlier sample kept in {kept.relative_to(PROJ_ROOT) if kept.is_relative_to(PROJ_ROOT) else kept}")
    paths = sample.write_sample(sp, sample.sample_dir(args.review_id), review_id=args.review_id,
                                census_date=review.meta.get("census_date"))
    print(sample.summary(sp, args.review_id))
    cp = review.meta.get("cp_population")
    if cp is not None and cp != sp.plan["population_n"]:
        print(f"  note: review.yml cp_population is {cp:,} but case_population has "
              f"{sp.plan['population_n']:,} cases; the sample is sized on case_population")
    if other:
        print(f"  note: the review has {other} error(s) in other tables; "
              f"`python -m pipeline validate {args.review_id}` lists them")
    rel = {k: (v.relative_to(PROJ_ROOT) if v.is_relative_to(PROJ_ROOT) else v) for k, v in paths.items()}
    print(f"sample list (case ids: for the auditors only, never for a report): {rel['cases']}")
    print(f"plan and strata (counts only, for the methodology annex): {rel['plan']}, {rel['strata']}")
    return 0


def _setup_forms(p):
    """write blank Excel forms (case audit, questionnaire) made from the contract and the review's banks"""
    add_review_id(p)
    p.add_argument("--out", type=Path, default=None,
                   help="folder for the workbooks (default data/processed/<review_id>/forms/)")


def _forms(args) -> int:
    from pipeline import forms, sample
    from pipeline.issues import ValidationFailed

    try:
        review, other = sample.load_for(args.review_id, ("teams",))
    except (ValidationFailed, LookupError) as exc:
        print(f"ERROR: {exc}")
        return 1
    banks = {"audit_criteria", "questions"}
    bad = [i for i in review.issues if i.severity == "error" and i.table in banks]
    if bad:
        print(f"ERROR: {ValidationFailed(args.review_id, bad)}")
        return 1
    cases = sample.read_sample_cases(args.review_id)
    out = args.out or processed_dir(args.review_id) / forms.FORMS_SUBDIR
    written = forms.write_forms(review, out, sample=cases)
    if not written:
        print(f"ERROR: review {args.review_id!r} has neither audit_criteria nor questions: no form to make")
        return 1
    for name, path in written.items():
        path = path.resolve()
        shown = path.relative_to(PROJ_ROOT) if path.is_relative_to(PROJ_ROOT) else path
        print(f"{name} form: {shown}")
    if "case_audit" in written:
        print(f"  case audit pre-filled with {len(cases):,} sampled cases" if cases is not None
              else f"  case audit not pre-filled: no sample drawn (`python -m pipeline sample {args.review_id}`)")
    if "questionnaire" in written:
        print(f"  questionnaire pre-filled with {len(review.table('teams')):,} teams")
    print("  completed workbooks go into data/raw/" + args.review_id + "/ (several are combined)")
    return 0


COMMANDS["sample"] = (_setup_sample, _sample)
COMMANDS["forms"] = (_setup_forms, _forms)


def _setup_returns(p):
    """track the case-audit returns against the sample: a workbook for the audit lead (holds case ids)"""
    add_review_id(p)


def _returns(args) -> int:
    from pipeline import returns

    require_review(args.review_id)
    try:
        tracker, path, unread = returns.run(args.review_id, raw_dir(args.review_id))
    except LookupError as exc:
        print(f"ERROR: {exc}")
        return 1
    print(f"returns {args.review_id}:")
    print("\n".join(returns.summary_lines(tracker)))
    for issue in unread:
        print(f"  note: {issue.where()}: {issue.message} (its rows are not counted)")
    print(f"tracker (case ids: for the audit lead only, never for a report): "
          f"{path.relative_to(PROJ_ROOT) if path.is_relative_to(PROJ_ROOT) else path}")
    return 0


COMMANDS["returns"] = (_setup_returns, _returns)
