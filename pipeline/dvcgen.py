"""Write ``dvc.yaml`` from the stage registry, so the two cannot disagree.

Each stage fans out over the reviews in ``params.yaml`` (DVC ``foreach``) and
declares exactly what it reads: the snapshot tables of its review, the
``params.yaml`` sections it uses, its notebook, and the ``pipeline`` modules it
imports (found by reading their import statements, transitively). A test checks
that the committed ``dvc.yaml`` equals what this module writes.
"""
from __future__ import annotations

import ast
import sys
from functools import lru_cache
from pathlib import Path

import yaml

from pipeline.paths import PROJ_ROOT, raw_dir
from pipeline.stages import ANALYSIS_ORDER, RENDER, STAGES

PKG = PROJ_ROOT / "pipeline"
RAW = "data/raw/${item}"
OUT = "data/processed/${item}"
HEADER = "# Written by `python -m pipeline dvc-yaml` from pipeline/stages.py: do not edit by hand.\n"


def _module_file(name: str) -> Path | None:
    path = PKG / (name.replace(".", "/") + ".py")
    if path.exists():
        return path
    init = PKG / name.replace(".", "/") / "__init__.py"
    return init if init.exists() else None


@lru_cache(maxsize=None)
def imports_of(module: str) -> frozenset[str]:
    """pipeline modules a module imports, directly or not (itself included)."""
    path = _module_file(module)
    if path is None:
        return frozenset()
    found = {module}
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:  # module-level imports; lazy ones are named as roots by the stage
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pipeline"):
            base = node.module.removeprefix("pipeline").lstrip(".")
            if base:
                names.append(base)
            else:
                names += [a.name for a in node.names]
            names += [f"{base}.{a.name}" for a in node.names if base]
        elif isinstance(node, ast.Import):
            names += [a.name.removeprefix("pipeline.") for a in node.names if a.name.startswith("pipeline.")]
        for name in names:
            if _module_file(name) is not None and name not in found:
                found |= imports_of(name)
    return frozenset(found)


def code_deps(modules: list[str]) -> list[str]:
    files: set[str] = set()
    for module in modules:
        for name in imports_of(module):
            path = _module_file(name)
            rel = path.relative_to(PROJ_ROOT).as_posix()
            if path.name == "__init__.py" and path.parent.name == "contract":
                rel = "pipeline/contract"
            files.add(rel)
    files.discard("pipeline/__init__.py")
    return sorted(files)


def validate_stage() -> dict:
    return {
        "foreach": "${reviews}",
        "do": {
            "cmd": "python -m pipeline validate ${item}",
            "deps": [RAW] + code_deps(["cli", "load", "validate", "snapshot"]),
            "params": ["limits"],  # the input limits validation enforces
            "outs": [{f"{OUT}/validation__issues.csv": {"cache": False}},
                     {f"{OUT}/_tables": {"cache": False}}],
        },
    }


def analysis_stage(name: str) -> dict:
    stage = STAGES[name]
    deps = [stage.notebook, f"{OUT}/_tables/review.json"]
    deps += [f"{OUT}/_tables/{t}.parquet" for t in stage.tables]
    deps += [f"{OUT}/{f}" for f in stage.reads]
    deps += code_deps(["notebooks", "snapshot", *stage.modules])
    outs = [{f"{OUT}/{f}": {"cache": False}} for f in (*stage.outputs, stage.status_file)]
    if stage.has_figures:
        outs.append({f"{OUT}/{stage.figure_dir}": {"cache": False}})
    outs.append({f"{OUT}/notebooks/{name}.ipynb": {"cache": False}})
    return {
        "foreach": "${reviews}",
        "do": {
            "cmd": f"python -m pipeline notebook {name} ${{item}}",
            "deps": deps,
            "params": list(stage.params),
            "outs": outs,
        },
    }


def reviews_listed() -> list[str]:
    """The reviews of ``params.yaml`` (read as plain YAML: dvcgen must not need a valid build)."""
    with open(PROJ_ROOT / "params.yaml", encoding="utf-8") as fh:
        return [str(r) for r in (yaml.safe_load(fh) or {}).get("reviews") or []]


def _substitute(value, review_id: str):
    if isinstance(value, str):
        return value.replace("${item}", review_id)
    if isinstance(value, list):
        return [_substitute(v, review_id) for v in value]
    if isinstance(value, dict):
        return {_substitute(k, review_id): _substitute(v, review_id) for k, v in value.items()}
    return value


def previous_reviews(meta: dict) -> list[str]:
    """The reviews a review compares itself with (``previous_reviews`` in its review.yml), in order."""
    return [str(r) for r in (meta.get("previous_reviews") or [])]


def render_deps_of_previous(review_id: str) -> list[str]:
    """Files of earlier reviews that ``python -m pipeline render <review_id>`` reads.

    Read from the raw ``review.yml`` (plain YAML, no validation) so that this
    can run for every review in params.yaml without building anything; what a
    render reads from each previous review is declared by kind in
    :data:`pipeline.stages.RENDER`."""
    path = raw_dir(review_id) / "review.yml"
    meta = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}) if path.exists() else {}
    reads = RENDER.previous_reads.get(meta.get("kind"), ())
    return [f"data/processed/{prev}/{name}" for prev in previous_reviews(meta) for name in reads]


def render_stage() -> dict:
    """The render stage of dvc.yaml (as a foreach over the reviews), from :data:`pipeline.stages.RENDER`."""
    deps = [s for s in RENDER.sources if (PROJ_ROOT / s).exists()]
    deps += [RAW, f"{OUT}/_tables", f"{OUT}/validation__issues.csv"]
    for stage in STAGES.values():
        deps += [f"{OUT}/{f}" for f in (*stage.outputs, stage.status_file)]
        if stage.has_figures:
            deps.append(f"{OUT}/{stage.figure_dir}")
    deps += code_deps(list(RENDER.roots))
    missing = [root for root in RENDER.roots if _module_file(root) is None]
    if missing:  # never write a dvc.yaml whose render stage has lost its code
        raise SystemExit(f"the render stage names modules that do not exist: {', '.join(missing)} "
                         "(pipeline/stages.py, RENDER.roots)")
    return {
        "foreach": "${reviews}",
        "do": {
            "cmd": RENDER.cmd,
            "deps": deps,
            "params": list(RENDER.params),
            "outs": [{"report/_output/${item}": {"cache": False}}],
        },
    }


def render_stages() -> dict[str, dict]:
    """The render stages: one ``render`` foreach, and a stage of its own for a review that reads others.

    A review whose paper reads earlier reviews (``previous_reviews`` in its
    review.yml, e.g. phase 3 setting every phase's findings matrix side by
    side) depends on those reviews' files too. A ``foreach`` stage cannot give
    one item deps the others lack, so the reviews of ``params.yaml`` whose
    render reads nothing else share the ``render`` foreach (over the list
    written out here), and each of the others gets a stage of its own,
    ``render-<review_id>``, with the same deps plus the earlier reviews'
    files. The list is taken from ``params.yaml`` and the review.yml files
    when dvc.yaml is written, so changing either means rewriting dvc.yaml
    (``make report`` does it when they are newer; a test fails when it is stale).
    """
    template = render_stage()
    listed = reviews_listed()
    plain, own = [], {}
    for review_id in listed:
        extra = render_deps_of_previous(review_id)
        if not extra:
            plain.append(review_id)
            continue
        for dep in extra:
            prev = dep.split("/")[2]
            if prev not in listed:
                raise SystemExit(f"{review_id} reads the results of {prev} (previous_reviews in its review.yml), "
                                 f"which params.yaml does not list: add {prev} to reviews in params.yaml")
        stage = _substitute(template["do"], review_id)
        stage["deps"] = [*stage["deps"], *extra]
        own[f"render-{review_id}"] = stage
    stages = {"render": {"foreach": plain, "do": template["do"]}} if plain else {}
    stages.update(own)
    return stages


def dvc_yaml() -> str:
    stages = {"validate": validate_stage()}
    for name in ANALYSIS_ORDER:
        stages[name] = analysis_stage(name)
    stages.update(render_stages())
    doc = {"vars": ["params.yaml"], "stages": stages}
    return HEADER + yaml.safe_dump(doc, sort_keys=False, width=120)


def main(argv: list[str] | None = None) -> int:
    text = dvc_yaml()
    target = PROJ_ROOT / "dvc.yaml"
    if argv and argv[0] == "--check":
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current != text:
            print("dvc.yaml is out of date: run python -m pipeline dvc-yaml")
            return 1
        return 0
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target.relative_to(PROJ_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
