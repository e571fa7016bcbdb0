"""Read ``review.yml``, the review's settings, and check it against the contract's list of keys.

The file is read with a YAML loader that refuses anchors and aliases (so an
"alias bomb" cannot expand), within ``limits.max_yaml_kb``, and that leaves
dates as text, so that an impossible date such as ``2009-13-45`` is reported
as a bad date of its key rather than failing inside the YAML parser. A list or
a mapping given for a key that takes one value is an error.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path

import pandas as pd
import yaml

from pipeline.contract import Contract, fold
from pipeline.issues import ERROR, QUERY, Issue
from pipeline.params import LimitsParams
from pipeline.readers import issue, limit_issue

FILE = "review.yml"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_UK = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


class ReviewYamlLoader(yaml.SafeLoader):
    """PyYAML's safe loader without anchors, aliases or implicit dates."""

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise yaml.composer.ComposerError(
                None, None, "anchors and aliases (& and *) are not allowed in review.yml", event.start_mark)
        return super().compose_node(parent, index)


ReviewYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_date(value) -> pd.Timestamp | None:
    """A date written YYYY-MM-DD or DD/MM/YYYY (or a date object), or None when it is no real date."""
    if isinstance(value, (dt.date, dt.datetime)):
        return pd.Timestamp(value).normalize()
    if not isinstance(value, str):
        return None
    text = value.strip()
    iso, uk = _ISO.fullmatch(text), _UK.fullmatch(text)
    if iso:
        year, month, day = (int(g) for g in iso.groups())
    elif uk:
        day, month, year = (int(g) for g in uk.groups())
    else:
        return None
    if not 1678 <= year <= 2261:
        return None
    try:
        return pd.Timestamp(dt.date(year, month, day))
    except ValueError:
        return None


def load_yaml(path: Path, limits: LimitsParams) -> tuple[object, Issue | None]:
    """The parsed file, or the one error that stops it being read."""
    size = path.stat().st_size
    if size > limits.max_yaml_kb * 1024:
        return None, limit_issue("review", FILE, None, "max_yaml_kb", limits.max_yaml_kb,
                                 f"review.yml is {size / 1024:,.0f} KB")
    try:
        return yaml.load(path.read_text(encoding="utf-8-sig"), Loader=ReviewYamlLoader), None  # noqa: S506
    except yaml.composer.ComposerError as exc:
        if "anchors and aliases" in str(exc):
            return None, issue(ERROR, "review", FILE, None, exc.problem_mark.line + 1, None, None, "yaml_alias",
                               "review.yml uses a YAML anchor or alias (& or *); write each value out in full")
        return None, _unreadable(exc)
    except (yaml.YAMLError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        return None, _unreadable(exc)


def _unreadable(exc: Exception) -> Issue:
    """review.yml cannot be parsed: the parser's reason, on one line."""
    reason = " ".join(str(exc).split())[:300] or type(exc).__name__
    return issue(ERROR, "review", FILE, None, None, None, None, "yaml", f"review.yml cannot be read: {reason}")


def _bad(key: str, value, rule: str, message: str) -> Issue:
    shown = value if not isinstance(value, (list, dict, bytes)) else type(value).__name__
    return issue(ERROR, "review", FILE, None, None, key, shown, rule, message)


def check_value(key: str, value, rule: dict, spec: Contract) -> tuple[object, Issue | None]:
    """One key's value made canonical, or the error it gives."""
    kind_of = rule["type"]
    if kind_of != "list" and isinstance(value, (list, dict, bytes)):
        what = {list: "list", dict: "set of keys", bytes: "binary value"}[type(value)]
        return None, _bad(key, value, "scalar", f"{key} must be a single value, not a {what}")
    if kind_of == "date":
        parsed = parse_date(value)
        if parsed is None:
            return None, _bad(key, value, "date", f"{key} must be a real date (YYYY-MM-DD or DD/MM/YYYY)")
        return parsed, None
    if kind_of == "code":
        code = spec.code_lookup(rule["codes"]).get(fold(value))
        if code is None:
            return None, _bad(key, value, "code", f"{key} must be one of {', '.join(spec.codes[rule['codes']])}")
        return code, None
    if kind_of == "integer":
        if (isinstance(value, bool) or not isinstance(value, int)
                or value < rule.get("min", -math.inf) or value > rule.get("max", math.inf)):
            return None, _bad(key, value, "integer", f"{key} must be a whole number in range")
        return value, None
    if kind_of == "bool":
        if not isinstance(value, bool):
            return None, _bad(key, value, "bool", f"{key} must be true or false")
        return value, None
    if kind_of == "list":
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or any(isinstance(v, (list, dict)) for v in value):
            return None, _bad(key, value, "list",
                              f"{key} must be a list of review ids, e.g. [review-2010, review-2011]")
        return [str(v) for v in value], None
    return str(value), None


def _checked_keys(meta: dict, spec: Contract) -> tuple[dict, list[Issue]]:
    """The contract's keys of review.yml that are given and valid, and an issue for each one missing or bad."""
    issues: list[Issue] = []
    out: dict = {}
    kind = meta.get("kind")
    kind = kind if isinstance(kind, str) else None
    for key, rule in spec.review_keys.items():
        value = meta.get(key)
        required = rule.get("required") or rule.get("required_for_kind") == kind
        if value is None or value == "":
            if required:
                issues.append(issue(ERROR, "review", FILE, None, None, key, None, "required",
                                    f"review.yml must give {key}"))
            continue
        value, error = check_value(key, value, rule, spec)
        if error is not None:
            issues.append(error)
            continue
        out[key] = value
    return out, issues


def read_meta(folder: Path, spec: Contract, limits: LimitsParams | None = None) -> tuple[dict, list[Issue]]:
    """Read and check review.yml against the contract's list of keys."""
    path = folder / FILE
    if not path.exists():
        return {}, [issue(ERROR, "review", FILE, None, None, None, None, "missing_file",
                          "the review folder has no review.yml")]
    meta, error = load_yaml(path, limits or LimitsParams())
    if error is not None:
        return {}, [error]
    meta = {} if meta is None else meta
    if not isinstance(meta, dict):
        return {}, [issue(ERROR, "review", FILE, None, None, None, None, "yaml",
                          "review.yml must be a set of key: value lines")]
    out, issues = _checked_keys(meta, spec)
    for key in meta:
        if key not in spec.review_keys:
            issues.append(issue(QUERY, "review", FILE, None, None, key, None, "unknown_key",
                                f"review.yml key {key!r} is not in the contract and is ignored"))
    if "review_id" in out and out["review_id"] != folder.name:
        issues.append(issue(ERROR, "review", FILE, None, None, "review_id", out["review_id"], "review_id",
                            f"review_id must equal the folder name {folder.name!r}"))
    out.setdefault("synthetic", False)
    out.setdefault("previous_reviews", [])
    return out, issues
