"""Stage 4, validate: merged Value trees → pydantic models, errors located by provenance.

A pydantic error location is a path into the data; the same path into the
merged Value tree gives the file:line:col (and layer) of the offending value.
"""
from __future__ import annotations

import difflib
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from compiler.errors import Problem, Problems
from compiler.load.yaml_files import LeadingZero
from compiler.merge.field_rules import ANY, Rule, rule_for_model
from compiler.paths import dotted
from compiler.provenance import Origin, Value

M = TypeVar("M", bound=BaseModel)
YAML11_BOOLS = {"y", "yes", "n", "no", "on", "off"}


def to_data(value: Value, rule: Rule, problems: Problems) -> Any:
    """Plain data for pydantic; free-text fields get scalars as written (`1.10`, `010`)."""
    data = value.data
    if isinstance(data, dict):
        return {k: to_data(v, rule.child(k) or ANY, problems) for k, v in data.items()}
    if isinstance(data, list):
        items = rule.items or ANY
        return [to_data(v, items, problems) for v in data]
    if rule.text and value.raw is not None:
        return value.raw
    if isinstance(data, LeadingZero):
        problems.add(f"{data.text}: an integer with a leading zero is ambiguous (YAML 1.1 reads it as "
                     f"octal); write {int(data.text, 10)} or quote it", value.origin)
        return int(data.text, 10)
    return data


def validate(model: type[M], value: Value, problems: Problems, *, context: str = "", root: str = "",
             chain: tuple[str, ...] = ()) -> M | None:
    """The model instance, or None with every problem added (located, deduplicated)."""
    rule = rule_for_model(model)
    found = Problems()
    data = to_data(value, rule, found)
    try:
        instance = model.model_validate(data)
    except ValidationError as exc:
        found.extend(_problems(exc, value, rule, context, root, chain))
        instance = None
    problems.extend(found.items)
    return None if found else instance


def validate_document(model: type[M], value: Value | None, file: str) -> M:
    """Validate a stand-alone settings document or raise (used for strata.yaml)."""
    problems = Problems()
    if value is None:
        value = Value({}, Origin(file, 1, 1))
    instance = validate(model, value, problems)
    problems.raise_if_any()
    assert instance is not None
    return instance


def _problems(exc: ValidationError, root: Value, rule: Rule, context: str, root_name: str,
              chain: tuple[str, ...]) -> list[Problem]:
    seen: set[tuple] = set()
    out = []
    for error in exc.errors(include_url=False):
        path, node, parent_rule = _follow(root, rule, error["loc"])
        if (path, error["type"]) in seen or any(p[0] == path for p in seen if error["type"] != "extra_forbidden"):
            continue
        seen.add((path, error["type"]))
        message = _message(error, path, parent_rule)
        where = dotted((root_name,) + path if root_name else path)
        origin = node.origin if node else root.origin
        if error["type"] == "extra_forbidden" and node is not None and node.key_origin is not None:
            origin = node.key_origin
        out.append(Problem(f"{context}{where}: {message}" if where else f"{context}{message}", origin, chain))
    return out


def _follow(root: Value, rule: Rule, loc: tuple) -> tuple[tuple, Value | None, Rule]:
    """The real data path in `loc` (union member names dropped), its Value and parent rule."""
    path: list[Any] = []
    node: Value | None = root
    parent = rule
    for step in loc:
        data = node.data if node is not None else None
        if isinstance(data, dict) and isinstance(step, str) and step in data:
            parent, node, rule = rule, data[step], rule.child(step) or ANY
        elif isinstance(data, list) and isinstance(step, int) and 0 <= step < len(data):
            parent, node, rule = rule, data[step], rule.items or ANY
        else:
            continue
        path.append(step)
    return tuple(path), node, parent


def _message(error: Any, path: tuple, parent: Rule) -> str:
    kind, msg = error["type"], error["msg"]
    if kind == "extra_forbidden":
        return "unknown field" + _suggestion(str(path[-1]) if path else "", parent)
    if kind == "missing":
        return f"required field `{error['loc'][-1]}` is missing"
    if kind == "bool_type" and str(error.get("input", "")).lower() in YAML11_BOOLS:
        return f"{error['input']!r} is not a boolean in YAML 1.2; write true or false"
    if kind == "value_error":
        return msg.removeprefix("Value error, ")
    if kind == "literal_error":
        return f"{error.get('input')!r} is not allowed; {msg[0].lower()}{msg[1:]}"
    return msg


def _suggestion(key: str, parent: Rule) -> str:
    names = sorted(parent.fields or ())
    close = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
    if close:
        return f" {key!r}; did you mean {close[0]!r}?"
    return f" {key!r}" + (f" (allowed: {', '.join(names)})" if names and len(names) <= 12 else "")
