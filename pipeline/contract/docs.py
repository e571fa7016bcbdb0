"""Write ``docs/data-contract.md`` from the contract files, so the page and the code cannot drift.

The page is the introduction in ``intro.md`` followed by one section for
``review.yml`` and one per table, generated from ``tables.yaml`` and
``codes.yaml`` through :func:`pipeline.contract.contract`. Run
``python -m pipeline.contract.docs`` after changing the contract; a test fails
while the committed page is stale.
"""
from __future__ import annotations

import sys

from pipeline.contract import HERE, ColumnSpec, Contract, TableSpec, contract

DOC_PATH = HERE.parents[1] / "docs" / "data-contract.md"


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _requirement(table: TableSpec) -> str:
    if table.required is None:
        return "optional"
    if table.required == "always":
        return "required in every review"
    how, _, what = table.required.partition(":")
    if how == "with":
        return f"required when `{what}` is present"
    return f"required for a review of kind `{what}`"


def _rules(col: ColumnSpec, doc: Contract) -> str:
    return "; ".join(_value_rules(col, doc) + _link_rules(col))


def _value_rules(col: ColumnSpec, doc: Contract) -> list[str]:
    """The rules on a column's own values: codes, uniqueness and bounds."""
    rules = []
    if col.codes:
        rules.append("one of " + ", ".join(f"`{c}`" for c in doc.codes[col.codes]))
    if col.unique:
        rules.append("unique")
    if col.min is not None:
        rules.append(f"at least {col.min:g}")
    if col.gt is not None:
        rules.append(f"more than {col.gt:g}")
    if col.max is not None:
        rules.append(f"at most {col.max:g}")
    return rules


def _link_rules(col: ColumnSpec) -> list[str]:
    """The rules tying a column to others, its default and whether it may be published."""
    rules = []
    if col.references:
        rules.append(f"must appear in `{col.references}`")
    if col.not_after:
        rules.append(f"not after `{col.not_after}` of review.yml")
    if col.default:
        rules.append(f"blank means `{col.default}`")
    if col.personal:
        rules.append("personal: never published")
    if col.free_text:
        rules.append("free text: never published")
    return rules


def _table_section(table: TableSpec, doc: Contract) -> list[str]:
    lines = [f"### {table.name}", "", f"{table.description} ({_requirement(table)}.)", ""]
    if table.wide:
        lines += [f"Besides the columns below, one column per `{table.wide.id_column}` of "
                  f"`{table.wide.bank}`, named by that id.", ""]
    lines += ["| column | type | required | alias | rules |", "| --- | --- | --- | --- | --- |"]
    for col in table.columns.values():
        lines.append(f"| {col.name} | {col.type} | {'yes' if col.required else 'no'} | "
                     f"{col.alias or ''} | {_cell(_rules(col, doc))} |")
    extra = []
    if table.unique_together:
        extra.append("No two rows share the same " + ", ".join(f"`{c}`" for c in table.unique_together) + ".")
    for earlier, op, later in table.date_order:
        first = "every date" if earlier == "*" else f"`{earlier}`"
        extra.append(f"{first} {'must not be after' if op == '<=' else 'must be before'} `{later}`.")
    if table.checks:
        extra.append("Table checks: " + ", ".join(f"`{c}`" for c in table.checks) + ".")
    return lines + ([""] + extra if extra else []) + [""]


def _review_section(doc: Contract) -> list[str]:
    lines = ["## review.yml", "", "| key | type | required | rules |", "| --- | --- | --- | --- |"]
    for key, spec in doc.review_keys.items():
        if spec.get("required"):
            required = "yes"
        elif spec.get("required_for_kind"):
            required = f"for kind `{spec['required_for_kind']}`"
        else:
            required = "no"
        rules = []
        if spec.get("codes"):
            rules.append("one of " + ", ".join(f"`{c}`" for c in doc.codes[spec["codes"]]))
        for bound, word in (("min", "at least"), ("max", "at most")):
            if bound in spec:
                rules.append(f"{word} {spec[bound]}")
        lines.append(f"| {key} | {spec.get('type', 'text')} | {required} | {'; '.join(rules)} |")
    return lines + [""]


def _codes_section(doc: Contract) -> list[str]:
    lines = ["## Code lists", "", "| list | codes | further accepted words |", "| --- | --- | --- |"]
    for name, codes in doc.codes.items():
        words = "; ".join(f"`{c}`: {', '.join(doc.labels[c])}" for c in codes if c in doc.labels)
        lines.append(f"| {name} | {', '.join(f'`{c}`' for c in codes)} | {_cell(words)} |")
    measures = "; ".join(f"{src}: {', '.join(f'`{m}`' for m in ms)}" for src, ms in doc.measures.items())
    lines += ["", f"Measures an evidence-map row may name in `ref`: {measures}. Timescales: "
              + ", ".join(f"`{t}`" for t in doc.timescales) + ".", ""]
    return lines


def render(doc: Contract | None = None) -> str:
    """The whole page as Markdown text."""
    doc = doc or contract()
    lines = [(HERE / "intro.md").read_text(encoding="utf-8").rstrip(), "", f"Contract version {doc.version}.", ""]
    lines += _review_section(doc) + ["## Tables", ""]
    for table in doc.tables.values():
        lines += _table_section(table, doc)
    lines += _codes_section(doc)
    return "\n".join(lines).rstrip() + "\n"


def main() -> int:
    DOC_PATH.write_text(render(), encoding="utf-8")
    print(f"wrote {DOC_PATH.relative_to(HERE.parents[1])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
