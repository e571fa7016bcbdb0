"""Commands of ``python -m pipeline``: each a setup (arguments) and a run function."""
from __future__ import annotations

import shutil
from pathlib import Path

from pipeline.paths import PROJ_ROOT, processed_dir, raw_dir

ISSUES_FILE = "validation__issues.csv"


def clear_outputs(review_id: str, keep: tuple[str, ...] = (ISSUES_FILE, "sample", "forms")) -> None:
    """Remove a review's processed outputs except the issue report.

    Called when a review has errors, so that nothing half-built or stale is left
    where a finished result would be (data contract: errors stop the build
    before any output is written). The auditors' sample list and blank forms
    are kept: a bad returned workbook must not wipe the list of cases to audit.
    """
    out = processed_dir(review_id)
    if not out.exists():
        return
    for path in out.iterdir():
        if path.name in keep:
            continue
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()


def run_validate(review_id: str, folder: Path | None = None, quiet: bool = False):
    """Validate a review, write its issue report; return the Review or raise ValidationFailed."""
    from pipeline.issues import ValidationFailed, summarise, write_issues
    from pipeline.load import load_review

    folder = folder or raw_dir(review_id)
    report = processed_dir(review_id) / ISSUES_FILE
    try:
        review = load_review(review_id, folder)
    except ValidationFailed as exc:
        write_issues(exc.issues, report)
        clear_outputs(review_id)
        if not quiet:
            print(summarise(exc.issues, review_id))
            print(f"issue report: {report.relative_to(PROJ_ROOT) if report.is_relative_to(PROJ_ROOT) else report}")
        raise
    write_issues(review.issues, report)
    from pipeline.snapshot import write_snapshot

    write_snapshot(review)
    if not quiet:
        print(summarise(review.issues, review_id))
        print(f"issue report: {report.relative_to(PROJ_ROOT) if report.is_relative_to(PROJ_ROOT) else report}")
    return review


def _setup_validate(p):
    """check a review folder against the data contract"""
    p.add_argument("review_id")


def _validate(args) -> int:
    from pipeline.issues import ValidationFailed  # lazily: `notebook` stages need no pandas here

    try:
        run_validate(args.review_id)
    except ValidationFailed:
        return 1
    return 0


def _setup_generate(p):
    """write an invented example review into data/raw/"""
    p.add_argument("example", help="e.g. example-phase1")
    p.add_argument("--out", type=Path, default=None)


def _generate(args) -> int:
    from pipeline import generate

    argv = [args.example] + (["--out", str(args.out)] if args.out else [])
    return generate.main(argv) or 0


def _setup_notebook(p):
    """execute one analysis notebook for a review (Papermill)"""
    from pipeline.stages import STAGES

    p.add_argument("stage", choices=sorted(STAGES))
    p.add_argument("review_id")


def _notebook(args) -> int:
    from pipeline.notebooks import NotebookFailed, run_notebook

    try:
        path = run_notebook(args.stage, args.review_id)
    except NotebookFailed as exc:
        print(f"ERROR: {exc}")
        return 1
    print(f"{args.stage}: {path.relative_to(PROJ_ROOT)}")
    return 0


def build(review_id: str, jobs: int = 2, render: bool = True) -> int:
    """Validate a review, run its notebooks (independent ones in parallel) and render its papers.

    On any failure the review's processed outputs are removed (the issue report
    stays), so nothing half-built is left where a finished result would be.
    """
    from concurrent.futures import ThreadPoolExecutor

    from pipeline.issues import ValidationFailed

    from pipeline.notebooks import NotebookFailed, run_notebook
    from pipeline.stages import ANALYSIS_ORDER, STAGES

    try:
        run_validate(review_id)
    except ValidationFailed:
        return 1
    first = [s for s in ANALYSIS_ORDER if not STAGES[s].needs]
    later = [s for s in ANALYSIS_ORDER if STAGES[s].needs]
    try:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            for path in pool.map(lambda s: run_notebook(s, review_id), first):
                print(f"  ran {path.relative_to(PROJ_ROOT)}")
        for stage in later:
            print(f"  ran {run_notebook(stage, review_id).relative_to(PROJ_ROOT)}")
    except NotebookFailed as exc:
        clear_outputs(review_id, keep=(ISSUES_FILE, "notebooks", "sample", "forms"))
        print(f"ERROR: {exc}")
        return 1
    print(f"processed data: {processed_dir(review_id).relative_to(PROJ_ROOT)}/")
    if render:
        from pipeline import report

        return report.render_review(review_id)
    return 0


def _setup_build(p):
    """validate a review, run its analyses and render its papers"""
    p.add_argument("review_id")
    p.add_argument("--jobs", type=int, default=2, help="notebooks run at once (default 2)")
    p.add_argument("--no-render", action="store_true", help="stop after the analyses")


def _build(args) -> int:
    return build(args.review_id, jobs=args.jobs, render=not args.no_render)


def _setup_dvc_yaml(p):
    """write dvc.yaml from the stage registry (--check: fail if it is out of date)"""
    p.add_argument("--check", action="store_true")


def _dvc_yaml(args) -> int:
    from pipeline import dvcgen

    return dvcgen.main(["--check"] if args.check else [])


def _setup_render(p):
    """render the papers of a review from its processed results"""
    p.add_argument("review_id")


def _render(args) -> int:
    from pipeline import report

    return report.render_review(args.review_id)


COMMANDS = {
    "render": (_setup_render, _render),
    "dvc-yaml": (_setup_dvc_yaml, _dvc_yaml),
    "validate": (_setup_validate, _validate),
    "notebook": (_setup_notebook, _notebook),
    "build": (_setup_build, _build),
    "generate": (_setup_generate, _generate),
}


def _setup_sample(p):
    """plan and draw the case-audit sample from case_population (auditors' list, never for a report)"""
    p.add_argument("review_id")
    p.add_argument("--margin", type=float, default=None,
                   help="95%% margin of error in percentage points (default: params.yaml sample.margin_pct)")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: params.yaml sample.seed)")


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
    p.add_argument("review_id")
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
