"""The analysis stages of a review: what each reads and what it writes.

One entry per notebook. ``dvc.yaml`` declares the same deps and outs for each
stage (a test checks the two agree), so the lock file tells the truth about
what a result depends on, and ``python -m pipeline build`` runs the same
stages for a review folder that ``params.yaml`` does not list.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Stage:
    name: str
    modules: tuple[str, ...]          # pipeline modules whose write_outputs the notebook calls
    tables: tuple[str, ...]           # snapshot tables read
    params: tuple[str, ...]           # params.yaml sections read
    outputs: tuple[str, ...]          # CSV tables written into data/processed/<id>/
    needs: tuple[str, ...] = ()       # stages whose outputs it reads
    reads: tuple[str, ...] = ()       # their files it reads
    has_figures: bool = True

    @property
    def notebook(self) -> str:
        return f"notebooks/{self.name}.ipynb"

    @property
    def status_file(self) -> str:
        return f"{self.name}__status.json"

    @property
    def figure_dir(self) -> str:
        return f"figures/{self.name}"


STAGES: dict[str, Stage] = {s.name: s for s in (
    Stage(
        name="questionnaire",
        modules=("questionnaire",),
        tables=("teams", "questions", "questionnaire"),
        params=("questionnaire", "intervals"),
        outputs=(
            "questionnaire__question_summary.csv", "questionnaire__by_area.csv",
            "questionnaire__by_team_type.csv", "questionnaire__team_heatmap.csv",
            "questionnaire__pressures.csv", "questionnaire__team_pressures.csv",
            "questionnaire__response.csv",
        ),
    ),
    Stage(
        name="case_audit",
        modules=("case_audit", "timescales"),
        tables=("teams", "audit_criteria", "case_audit", "case_population"),
        params=("intervals", "timescales"),
        outputs=(
            "case_audit__criterion_compliance.csv", "case_audit__grades.csv", "case_audit__high_risk.csv",
            "case_audit__supervision_overall.csv", "case_audit__not_evidenced_by_source.csv",
            "case_audit__precision.csv", "timescales__summary.csv",
        ),
    ),
    Stage(
        name="workforce",
        modules=("workforce",),
        tables=("teams", "workforce"),
        params=("workforce",),
        outputs=("workforce__teams.csv", "workforce__summary.csv", "workforce__trend.csv",
                 "workforce__measures.csv"),
    ),
    Stage(
        name="monitoring",
        modules=("monitoring",),
        tables=("teams", "monitoring"),
        params=("monitoring",),
        outputs=("monitoring__county.csv", "monitoring__areas.csv", "monitoring__measures.csv",
                 "monitoring__signals.csv"),
    ),
    Stage(
        name="findings",
        modules=("findings",),
        tables=("evidence_map", "recommendations"),
        params=("ratings",),
        outputs=("findings__matrix.csv", "findings__by_finding.csv", "findings__three_cs.csv",
                 "findings__recommendation_links.csv"),
        has_figures=False,
        needs=("questionnaire", "case_audit", "workforce", "monitoring"),
        reads=("questionnaire__question_summary.csv", "case_audit__criterion_compliance.csv",
               "timescales__summary.csv", "workforce__measures.csv", "monitoring__measures.csv",
               "questionnaire__status.json", "case_audit__status.json", "workforce__status.json",
               "monitoring__status.json"),
    ),
)}

ANALYSIS_ORDER = ("questionnaire", "case_audit", "workforce", "monitoring", "findings")


@dataclass(frozen=True)
class RenderStage:
    """The render stage of a review: its papers from its processed results and the report sources.

    ``roots`` are the pipeline modules it runs (their imports are followed, so
    every module it uses is a dependency); ``sources`` the report files it
    reads; ``previous_reads`` what it reads from each review named in
    ``previous_reviews``, by the kind of the review that names them.
    """

    cmd: str
    roots: tuple[str, ...]
    sources: tuple[str, ...]
    params: tuple[str, ...]
    previous_reads: dict[str, tuple[str, ...]]


# What the annual report reads from each of its previous years.
ANNUAL_PREVIOUS_TABLES = ("case_audit__criterion_compliance", "case_audit__precision", "case_audit__grades",
                          "timescales__summary", "workforce__summary", "workforce__teams", "monitoring__county")

RENDER = RenderStage(
    cmd="python -m pipeline render ${item}",
    roots=("papers.publish", "papers.engines", "disclosure", "publication"),
    sources=("report/_quarto.yml", "report/board-paper.qmd", "report/board-slides.qmd",
             "report/annual-audit-report.qmd", "report/partials", "report/templates", "report/config",
             "report/reviews", "report/workbooks"),
    params=("ratings", "questionnaire", "workforce", "monitoring", "intervals", "timescales", "sample",
            "disclosure"),
    previous_reads={
        "phase": ("findings__matrix.csv", "_tables/review.json"),
        "annual": (*(f"{t}.csv" for t in ANNUAL_PREVIOUS_TABLES), "_tables/review.json",
                   "_tables/recommendations.parquet"),
    },
)
RENDER_ROOTS, REPORT_SOURCES, RENDER_PARAMS = RENDER.roots, RENDER.sources, RENDER.params
PREVIOUS_READS = RENDER.previous_reads
