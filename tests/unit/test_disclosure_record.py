"""The publication check of disclosure control, and the disclosure.json record."""
from __future__ import annotations

import dataclasses
import json

import pandas as pd
import pytest

from pipeline import disclosure as dc
from pipeline import protection as pr
from pipeline import publication

TIMESCALE = pd.DataFrame({"met_n": [103, 109], "not_met_n": [4, 11], "due_n": [107, 120],
                          "nyd_n": [13, 0], "cases_n": [120, 120]}, index=["review", "icpc"])
TIMESCALE["met_pct"] = 100 * TIMESCALE["met_n"] / TIMESCALE["due_n"]


def _table():
    return dc.suppress_table(TIMESCALE, ["met_n", "not_met_n", "due_n", "nyd_n"],
                             sums={"due_n": ["met_n", "not_met_n"], "cases_n": ["due_n", "nyd_n"]},
                             derived={"met_pct": ["met_n", "due_n"]}, keep=["met_n", "due_n"],
                             shares={"met_pct": ("met_n", "due_n")}, interval=pr.Interval(0, 10))


def test_check_passes_a_protected_table_and_fails_a_narrowed_one():
    table = _table()
    publication.check_protection({"t": table})
    # A band of 95% would leave not met at most 5: the check must refuse it.
    narrowed = dataclasses.replace(table.problem, inequalities=[([0, 2], [100.0, -95.0])])
    with pytest.raises(publication.PublicationError, match="narrower than the protection interval"):
        publication.check_protection({"t": dataclasses.replace(table, problem=narrowed)})
    # Showing met (103) pins not met at 4.
    shown = table.problem.unknown.copy()
    shown[0] = False
    with pytest.raises(publication.PublicationError):
        publication.check_protection({"t": dataclasses.replace(
            table, problem=dataclasses.replace(table.problem, unknown=shown))})


def test_a_public_table_without_its_constraints_is_refused_a_board_one_is_not():
    table = _table()
    with pytest.raises(publication.PublicationError, match="no record"):
        publication.check_protection({"t": dataclasses.replace(table, problem=None)})
    board = dc.apply_if_public("board", TIMESCALE, ["met_n"])
    publication.check_protection({"b": board})


def test_record_counts_by_hand_and_names_no_cell(tmp_path):
    # review: not met 4 (primary) and met 103 (secondary, not small) hidden; 90% or more.
    path = publication.write_disclosure_record(tmp_path, "r", {"t": _table()})
    record = json.loads(path.read_text(encoding="utf-8"))
    assert record["hidden_counts"] == 2
    assert list(record["hidden_why"].values()) == [1, 1]
    assert record["hidden_not_small"] == 1
    assert record["shares_published_as_a_band"] == 1
    assert record["protection_interval"] == {"at_most": 0, "at_least": 10}
    text = path.read_text(encoding="utf-8")
    assert "review" not in text.replace('"review_id"', "") and "103" not in text


def test_parameters_are_validated_and_quoted_in_the_method():
    from pydantic import ValidationError

    from pipeline.params import DisclosureParams

    with pytest.raises(ValidationError):
        DisclosureParams(protection={"at_most": 0, "at_least": 4})  # not above the small range
    with pytest.raises(ValidationError):
        DisclosureParams(share_bands_pct=(100,))
    v = dc.method_variables()
    assert (v["small_low"], v["small_high"], v["at_most"], v["at_least"]) == ("1", "5", "0", "10")
    assert v["bands"] == "95%, 90%, 85% and 80%" and v["band_example"] == "95% or more"
