"""``dvc repro`` on every core: one DVC process per group of reviews that share no stage.

    python -m pipeline.repro [--jobs N]          (what `make report` runs)

The reviews of ``params.yaml`` fall into groups that no stage joins: an
annual report reads the years before it, a later phase the earlier phases,
and nothing else crosses between reviews. The groups are found in
``dvc.yaml`` itself (a stage joins the reviews whose folders its deps and outs
name) and shared out over ``--jobs`` DVC processes (default: the number of
cores, at most two), each running ``dvc repro`` on its own stages.

DVC allows this. A ``dvc repro`` holds the repository lock only while it
checks and records stages, and lets it go while a stage's command runs
(``dvc.stage.run.run_stage`` calls the command through ``unlocked_repo``); with
``--wait-for-lock`` the other process waits for the lock instead of failing.
``dvc.lock`` is written under that lock, and DVC's read/write locks on stage
paths see no conflict because the groups' outputs are disjoint. DVC still
decides which stages rerun and records every one in ``dvc.lock``, exactly as
one ``dvc repro`` would.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

from pipeline.paths import PROJ_ROOT

_REVIEW_PATH = re.compile(r"(?:data/raw|data/processed|report/_output)/([^/\"']+)")


def stage_reviews(dvc_yaml: dict, reviews: list[str]) -> dict[str, set[str]]:
    """Each stage's DVC address (``name@item`` in a foreach) and the reviews its deps and outs name."""
    known, found = set(reviews), {}
    for name, stage in (dvc_yaml.get("stages") or {}).items():
        if "foreach" in stage:
            items = reviews if stage["foreach"] == "${reviews}" else list(stage["foreach"])
            body = json.dumps(stage["do"])
            for item in items:
                found[f"{name}@{item}"] = set(_REVIEW_PATH.findall(body.replace("${item}", str(item)))) & known
        else:
            found[name] = set(_REVIEW_PATH.findall(json.dumps(stage))) & known
    return found


def groups(dvc_yaml: dict, reviews: list[str], jobs: int) -> list[list[str]]:
    """The stage addresses in at most ``jobs`` groups, no review's stages split between two."""
    parent = {r: r for r in reviews}

    def root(r: str) -> str:
        while parent[r] != r:
            r = parent[r]
        return r

    by_stage = stage_reviews(dvc_yaml, reviews)
    for ids in by_stage.values():
        first, *rest = sorted(ids) or [None]
        for other in rest:
            parent[root(other)] = root(first)
    components: dict[str, list[str]] = {}
    shared: list[str] = []  # stages that name no review go with the first group
    for address, ids in by_stage.items():
        (components.setdefault(root(min(ids)), []) if ids else shared).append(address)
    bins: list[list[str]] = [[] for _ in range(max(1, jobs))]
    for stages in sorted(components.values(), key=len, reverse=True):  # largest first, into the emptiest bin
        min(bins, key=len).extend(stages)
    bins[0][:0] = shared
    return [b for b in bins if b]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                        help="DVC processes at once (default: the cores, at most 2)")
    args = parser.parse_args(argv)
    root = Path(PROJ_ROOT)
    dvc_yaml = yaml.safe_load((root / "dvc.yaml").read_text(encoding="utf-8"))
    reviews = list(yaml.safe_load((root / "params.yaml").read_text(encoding="utf-8")).get("reviews") or [])
    dvc = str(Path(sys.executable).with_name("dvc"))
    procs = [subprocess.Popen([dvc, "--wait-for-lock", "repro", *targets], cwd=root)
             for targets in groups(dvc_yaml, reviews, args.jobs)]
    codes = [p.wait() for p in procs]
    return max(codes, default=0)


if __name__ == "__main__":
    sys.exit(main())
