"""The raw data contract as data: tables, columns, codes, aliases and rules.

Read once from ``tables.yaml`` and ``codes.yaml`` beside this file. The loader,
the validator and the forms generator all read these objects, so what a form
offers and what the validator accepts are the same definitions. This module
imports nothing of the rest of the pipeline.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
TABLE_ORDER = (
    "teams", "questions", "questionnaire", "audit_criteria", "case_audit",
    "case_population", "monitoring", "workforce", "evidence_map", "recommendations",
)


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    type: str
    required: bool = False
    codes: str | None = None
    alias: str | None = None
    unique: bool = False
    min: float | None = None
    max: float | None = None
    gt: float | None = None
    references: str | None = None
    not_after: str | None = None
    default: str | None = None
    personal: bool = False
    free_text: bool = False


@dataclass(frozen=True)
class WideSpec:
    bank: str
    id_column: str
    codes: str | None = None
    codes_from_column: str | None = None


@dataclass(frozen=True)
class TableSpec:
    name: str
    description: str
    columns: dict[str, ColumnSpec]
    required: str | None = None
    wide: WideSpec | None = None
    unique_together: tuple[str, ...] = ()
    date_order: tuple[tuple[str, str, str], ...] = ()
    checks: tuple[str, ...] = ()

    def header_map(self) -> dict[str, str]:
        """Normalised header (name or alias, see ``name_key``) -> canonical column name."""
        out = {}
        for col in self.columns.values():
            out[name_key(col.name)] = col.name
            if col.alias:
                out[name_key(col.alias)] = col.name
        return out

    @property
    def date_columns(self) -> list[str]:
        return [c.name for c in self.columns.values() if c.type == "date"]

    def required_for(self, present: set[str], kind: str | None) -> bool:
        """Whether this table must be present, given the tables present and the review kind."""
        if self.required is None:
            return False
        if self.required == "always":
            return True
        how, _, what = self.required.partition(":")
        if how == "with":
            return what in present
        if how == "for_kind":
            return kind == what
        raise ValueError(f"unknown requirement {self.required!r}")


@dataclass(frozen=True)
class Contract:
    version: int
    tables: dict[str, TableSpec]
    codes: dict[str, tuple[str, ...]]
    labels: dict[str, tuple[str, ...]]
    measures: dict[str, tuple[str, ...]]
    timescales: tuple[str, ...]
    review_keys: dict[str, dict] = field(default_factory=dict)

    def code_lookup(self, codes: str) -> dict[str, str]:
        """Folded code, label or extra label -> canonical code, for one code list."""
        return _code_lookup(self, codes)

    def code_label(self, code: str) -> str:
        """The words people see for a code: its first listed label, else its words with a capital."""
        extra = self.labels.get(code)
        if extra:
            return extra[0]
        words = code.replace("_", " ")
        return words[:1].upper() + words[1:]


def fold(text: str) -> str:
    """Case-insensitive, space-trimmed form used to match headers and codes."""
    return re.sub(r"\s+", " ", str(text).strip()).casefold()


def name_key(text: str) -> str:
    """The form in which sheet, file and column names are matched to the contract: case, spaces,
    hyphens and underscores do not matter ("Case Audit", "case-audit" and "CASE_AUDIT" are all
    ``case_audit``)."""
    return re.sub(r"[\s_\-]+", "_", str(text).strip().casefold()).strip("_")


def _code_lookup(contract: Contract, codes: str) -> dict[str, str]:
    cached = _LOOKUPS.get((id(contract), codes))
    if cached is not None:
        return cached
    out: dict[str, str] = {}
    for code in contract.codes[codes]:
        out[fold(code)] = code
        out[fold(code.replace("_", " "))] = code
        for label in contract.labels.get(code, ()):
            out[fold(label)] = code
    _LOOKUPS[(id(contract), codes)] = out
    return out


_LOOKUPS: dict[tuple[int, str], dict[str, str]] = {}


def _column(name: str, spec: dict) -> ColumnSpec:
    return ColumnSpec(name=name, **spec)


@lru_cache(maxsize=1)
def contract() -> Contract:
    """The contract, read once from the YAML files beside this module."""
    with open(HERE / "tables.yaml", encoding="utf-8") as fh:
        raw_tables = yaml.safe_load(fh)
    with open(HERE / "codes.yaml", encoding="utf-8") as fh:
        raw_codes = yaml.safe_load(fh)
    tables = {}
    for name, spec in raw_tables["tables"].items():
        wide = spec.get("wide")
        tables[name] = TableSpec(
            name=name,
            description=spec.get("description", ""),
            columns={c: _column(c, s) for c, s in spec["columns"].items()},
            required=spec.get("required"),
            wide=WideSpec(**wide) if wide else None,
            unique_together=tuple(spec.get("unique_together", ())),
            date_order=tuple(tuple(r) for r in spec.get("date_order", ())),
            checks=tuple(spec.get("checks", ())),
        )
    special = {"labels", "measures", "timescales", "review_keys"}
    return Contract(
        version=raw_tables["contract_version"],
        tables=tables,
        codes={k: tuple(v) for k, v in raw_codes.items() if k not in special},
        labels={k: tuple(v) for k, v in raw_codes["labels"].items()},
        measures={k: tuple(v) for k, v in raw_codes["measures"].items()},
        timescales=tuple(raw_codes["timescales"]),
        review_keys=raw_codes["review_keys"],
    )
