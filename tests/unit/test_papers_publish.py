"""The publisher's own jobs, on a temporary folder: slots into the workspace, leftover staging removed,
and the render stage of dvc.yaml never lost silently."""
from __future__ import annotations

import ast
import re

import pytest

from pipeline import dvcgen, stages
from pipeline.papers import publish
from pipeline.papers.errors import ReportError
from pipeline.papers.tables import Prose
from pipeline.paths import PROJ_ROOT

PARTIALS = PROJ_ROOT / "report" / "partials"


def test_slots_go_to_sections_or_chosen(tmp_path):
    (tmp_path / "sections").mkdir()
    publish.write_slots(tmp_path, {"table": "| a |\n|---|\n| 1 |\n", "words": Prose("board/compliance.md"),
                                   "nothing": None})
    assert (tmp_path / "sections" / "table.md").read_text() == "| a |\n|---|\n| 1 |\n"
    assert (tmp_path / "chosen" / "words.md").read_bytes() == (PARTIALS / "board" / "compliance.md").read_bytes()
    assert (tmp_path / "chosen" / "nothing.md").read_text() == ""


def test_a_missing_partial_is_named(tmp_path):
    (tmp_path / "sections").mkdir()
    with pytest.raises(ReportError, match=r"report/partials/board/nope\.md is missing \(the words slot"):
        publish.write_slots(tmp_path, {"words": Prose("board/nope.md")})


def test_leftover_staging_of_this_review_only_is_removed(tmp_path, monkeypatch):
    out = tmp_path / "_output"
    for name in (".r1.staging-abc", ".r1.staging-def", ".r10.staging-abc", "r1", ".r2.staging-x"):
        (out / name).mkdir(parents=True)
    monkeypatch.setattr(publish, "output_dir", lambda rid: out / rid)
    publish.remove_leftover_staging("r1")
    assert sorted(p.name for p in out.iterdir()) == [".r10.staging-abc", ".r2.staging-x", "r1"]


def test_every_partial_the_code_chooses_exists():
    names = set()
    for path in (PROJ_ROOT / "pipeline" / "papers").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("Prose", "prose"):
                for arg in node.args[:1]:
                    for sub in ast.walk(arg):  # both branches of a conditional name
                        if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                            names.add(sub.value)
    assert len(names) > 40
    assert sorted(n for n in names if not (PARTIALS / n).is_file()) == []


def test_every_chosen_slot_the_sources_include_is_a_file_name():
    for qmd in (PROJ_ROOT / "report").glob("*.qmd"):
        for slot in re.findall(r"\{\{< include (?:chosen|sections)/([^ ]+)\.md >\}\}", qmd.read_text()):
            assert re.fullmatch(r"[a-z0-9_]+", slot), (qmd.name, slot)


def test_the_render_stage_names_only_modules_that_exist(monkeypatch):
    assert "render" in dvcgen.render_stages() or any(k.startswith("render-") for k in dvcgen.render_stages())
    broken = stages.RenderStage(**{**stages.RENDER.__dict__, "roots": ("papers.gone", "render")})
    monkeypatch.setattr(dvcgen, "RENDER", broken)
    with pytest.raises(SystemExit, match="papers.gone"):
        dvcgen.dvc_yaml()
