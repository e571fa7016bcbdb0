"""pipeline.repro: the stages of dvc.yaml split into groups of reviews that no stage joins."""
from __future__ import annotations

from pipeline.repro import groups, stage_reviews

REVIEWS = ["p1", "p2", "p3", "a1", "a2"]

# A small dvc.yaml: per-review stages, p3's render reads p1 and p2, a2's render reads a1.
DVC_YAML = {
    "stages": {
        "validate": {"foreach": "${reviews}", "do": {"cmd": "python -m pipeline validate ${item}",
                                                    "deps": ["data/raw/${item}", "pipeline/load.py"],
                                                    "outs": [{"data/processed/${item}/_tables": {"cache": False}}]}},
        "render": {"foreach": ["p1", "p2", "a1"], "do": {"cmd": "render ${item}",
                                                         "deps": ["data/processed/${item}/_tables"],
                                                         "outs": [{"report/_output/${item}": {"cache": False}}]}},
        "render-p3": {"cmd": "render p3", "deps": ["data/processed/p3/_tables", "data/processed/p1/x.csv",
                                                   "data/processed/p2/x.csv"], "outs": ["report/_output/p3"]},
        "render-a2": {"cmd": "render a2", "deps": ["data/processed/a2/_tables", "data/processed/a1/x.csv"],
                      "outs": ["report/_output/a2"]},
        "docs": {"cmd": "make docs", "deps": ["docs"], "outs": ["site"]},
    }
}


def test_each_stage_names_the_reviews_of_its_paths():
    found = stage_reviews(DVC_YAML, REVIEWS)
    assert found["validate@a1"] == {"a1"}
    assert found["render@p2"] == {"p2"}
    assert found["render-p3"] == {"p1", "p2", "p3"}
    assert found["docs"] == set()
    assert len(found) == 5 + 3 + 1 + 1 + 1


def test_reviews_joined_by_a_stage_stay_in_one_group():
    two = groups(DVC_YAML, REVIEWS, jobs=2)
    assert len(two) == 2
    phases = {"validate@p1", "validate@p2", "validate@p3", "render@p1", "render@p2", "render-p3"}
    annuals = {"validate@a1", "validate@a2", "render@a1", "render-a2"}
    # the larger component (6 stages) goes first; the stage naming no review goes with the first group
    assert set(two[0]) == phases | {"docs"}
    assert set(two[1]) == annuals
    assert two[0][0] == "docs"


def test_one_job_is_one_group_of_every_stage():
    (only,) = groups(DVC_YAML, REVIEWS, jobs=1)
    assert sorted(only) == sorted(stage_reviews(DVC_YAML, REVIEWS))


def test_more_jobs_than_components_leaves_no_empty_group():
    assert len(groups(DVC_YAML, REVIEWS, jobs=5)) == 2
