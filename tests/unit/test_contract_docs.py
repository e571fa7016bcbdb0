"""docs/data-contract.md is generated from the contract files and must be current."""
from __future__ import annotations

from pipeline.contract import contract
from pipeline.contract.docs import DOC_PATH, render


def test_committed_page_is_current():
    assert DOC_PATH.read_text(encoding="utf-8") == render(), (
        "docs/data-contract.md is stale: run `python -m pipeline.contract.docs`")


def test_every_table_and_column_is_documented():
    page = render()
    doc = contract()
    for table in doc.tables.values():
        assert f"### {table.name}\n" in page
        for col in table.columns:
            assert f"\n| {col} |" in page, f"{table.name}.{col} missing from the page"


def test_rules_are_written_out_from_the_yaml():
    page = render()
    # workforce.established_fte has gt: 0; case_audit.age_years has min 0 and max 17 (tables.yaml)
    assert "| established_fte | number | yes |  | more than 0 |" in page
    assert "| age_years | integer | yes |  | at least 0; at most 17 |" in page
    assert "| case_id | text | yes | LAchildID | unique; personal: never published |" in page
