"""Commands of ``python -m pipeline``: each a setup (arguments) and a run function."""
from __future__ import annotations

import shutil
from pathlib import Path

from pipeline.issues import ValidationFailed, summarise, write_issues
from pipeline.paths import PROJ_ROOT, processed_dir, raw_dir

ISSUES_FILE = "validation__issues.csv"


def clear_outputs(review_id: str, keep: tuple[str, ...] = (ISSUES_FILE,)) -> None:
    """Remove a review's processed outputs except the issue report.

    Called when a review has errors, so that nothing half-built or stale is left
    where a finished result would be (data contract: errors stop the build
    before any output is written).
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
        clear_outputs(review_id, keep=(ISSUES_FILE, "notebooks"))
        print(f"ERROR: {exc}")
        return 1
    print(f"processed data: {processed_dir(review_id).relative_to(PROJ_ROOT)}/")
    if render:
        try:
            from pipeline import report
        except ImportError:
            return 0
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


COMMANDS = {
    "dvc-yaml": (_setup_dvc_yaml, _dvc_yaml),
    "validate": (_setup_validate, _validate),
    "notebook": (_setup_notebook, _notebook),
    "build": (_setup_build, _build),
    "generate": (_setup_generate, _generate),
}
