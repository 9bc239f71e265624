"""Stage 4, validate: merged Value trees → pydantic models, errors located by provenance.

A pydantic error location is a path into the data; the same path into the
merged Value tree gives the file:line:col (and layer) of the offending value.
"""
from __future__ import annotations

import re
from collections.abc import Hashable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from compiler.errors import Problem, Problems, clip
from compiler.load.yaml_files import LeadingZero, resolve_plain
from compiler.merge.field_rules import ANY, Rule, rule_for_model
from compiler.paths import dotted
from compiler.provenance import Origin, Value
from compiler.suggest import closest, did_you_mean
from schemas.base import DNS1123_LABEL

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
             chain: tuple[str, ...] = (), target: str = "", env: str = "",
             missing_at: Origin | None = None, shared: Shared | None = None) -> M | None:
    """The model instance, or None with every problem added (located, deduplicated).

    `target`/`env` say where the value was merged for (one root cause found in
    many environments is grouped by `compiler.errors.group`); `missing_at` is
    where a required field missing at the top belongs (the resource's own
    `spec`, rather than whichever layer happened to write last). With `shared` (one per run), the
    instance shares its models with those validated before (`share_equal`).
    """
    rule = rule_for_model(model)
    found = Problems()
    data = to_data(value, rule, found)
    try:
        instance = model.model_validate(data)
    except ValidationError as exc:
        where = Located(value, rule, root, missing_at or value.origin)
        found.extend(replace(p, message=context + p.message, chain=chain, targets=(target,) if target else (),
                             envs=(env,) if env else ()) for p in _problems(exc, where))
        instance = None
    problems.extend(found.items)
    if found or instance is None:
        return None
    return instance if shared is None else share_equal(instance, shared)


def validate_document(model: type[M], value: Value | None, file: str) -> M:
    """Validate a stand-alone settings document or raise (used for strata.yaml)."""
    problems = Problems()
    if value is None:
        value = Value({}, Origin(file, 1, 1))
    instance = validate(model, value, problems)
    problems.raise_if_any()
    assert instance is not None
    return instance


@dataclass(frozen=True)
class Located:
    """The validated tree and how its errors are worded and placed."""

    value: Value
    rule: Rule
    root_name: str            # printed before every path (`spec`)
    missing_at: Origin        # where a top-level required field that is missing is reported


def _problems(exc: ValidationError, where: Located) -> list[Problem]:
    """One problem per root cause: follow-on and union-member noise dropped (`_root_causes`)."""
    out = []
    for error, path, node, parent in _root_causes(exc.errors(include_url=False), where):
        message = _message(error, path, parent)
        shown = dotted((where.root_name,) + path if where.root_name else path)
        out.append(Problem(f"{shown}: {message}" if shown else message, _origin(error, path, node, where)))
    return out


def _root_causes(errors: list, where: Located) -> list[tuple[dict, tuple, Value | None, Rule]]:
    """Errors with their data path, minus the ones another error already explains.

    - a missing field next to an unknown near-miss (`imagee` for `image`) is the same typo;
    - a union tried as each member: "should be a valid integer" for `replicas: {min: 2, max: ten}`
      is noise when another member got further (an error deeper under the same path);
    - one problem per path (pydantic may report several members' failures at one place).
    """
    followed = [(e, *_follow(where.value, where.rule, _located(e))) for e in errors]
    near_misses = {(path[:-1], guess) for e, path, _node, parent in followed if e["type"] == "extra_forbidden"
                   for guess in [_close(str(path[-1]), parent) if path else None] if guess}
    kept: list[tuple[dict, tuple, Value | None, Rule]] = []
    seen: set[tuple] = set()
    for error, path, node, parent in sorted(followed, key=lambda f: f[0]["type"] != "extra_forbidden"):
        if error["type"] == "missing" and (path, str(error["loc"][-1])) in near_misses:
            continue
        if error["type"].endswith("_type") and any(len(p) > len(path) and p[:len(path)] == path
                                                   for _e, p, _n, _r in followed):
            continue
        if path in seen and error["type"] != "extra_forbidden":
            continue
        seen.add(path)
        kept.append((error, path, node, parent))
    return kept


def _located(error: dict) -> tuple:
    """The error's location, narrowed to the key a validator names (`PydanticCustomError` ctx `key`)."""
    key = (error.get("ctx") or {}).get("key")
    return tuple(error["loc"]) + ((key,) if key is not None else ())


def _origin(error: dict, path: tuple, node: Value | None, where: Located) -> Origin:
    if error["type"] == "missing" and not path:
        return where.missing_at
    if node is None:
        return where.value.origin
    keyed = error["type"] == "extra_forbidden" or (error.get("ctx") or {}).get("key") is not None
    return node.key_origin if keyed and node.key_origin is not None else node.origin


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


def _message(error: dict, path: tuple, parent: Rule) -> str:
    kind, msg = error["type"], error["msg"]
    if kind == "extra_forbidden":
        return "unknown field" + _suggestion(str(path[-1]) if path else "", parent)
    if kind == "missing":
        return f"required field `{error['loc'][-1]}` is missing (no layer sets it)"
    if kind == "bool_type" and str(error.get("input", "")).lower() in YAML11_BOOLS:
        return f"{error['input']!r} is not a boolean in YAML 1.2; write true or false"
    if kind in _EXPECTED:
        return _wrong_type(_EXPECTED[kind], error.get("input"))
    if kind in ("value_error", "assertion_error"):
        return msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind == "literal_error":
        allowed = re.findall(r"'([^']*)'", str((error.get("ctx") or {}).get("expected", "")))
        guess = closest(str(error.get("input")), allowed)
        return (f"{_shown(error.get('input'))} is not allowed; {msg[0].lower()}{msg[1:]}"
                + (f"; did you mean {guess!r}?" if guess else ""))
    if kind == "string_pattern_mismatch" and (error.get("ctx") or {}).get("pattern") == DNS1123_LABEL:
        return f"{_shown(error.get('input'))} is not a DNS-1123 label (lower case letters, digits and '-')"
    if kind in _BOUNDS:
        return f"{_shown(error.get('input'))} is out of range: {msg[0].lower()}{msg[1:]}"
    return msg


_EXPECTED = {"int_type": "an integer", "float_type": "a number", "string_type": "a string",
             "bool_type": "true or false", "dict_type": "a mapping", "model_type": "a mapping",
             "model_attributes_type": "a mapping", "list_type": "a list"}
_BOUNDS = ("greater_than", "greater_than_equal", "less_than", "less_than_equal", "too_short", "too_long",
           "string_too_short", "string_too_long")


def _wrong_type(expected: str, value: Any) -> str:
    """`expected an integer, got "4" (a string); write 4 without quotes` and the like."""
    text = f"expected {expected}, got {_shown(value)}"
    if isinstance(value, str) and expected in ("an integer", "a number", "true or false"):
        unquoted = resolve_plain(value.strip())
        if not isinstance(unquoted, str) and unquoted is not None:
            return f"{text} (a string); write {value.strip()} without quotes"
    if expected == "a string" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{text} (a number); quote it if it is text: '{value}'"
    return text


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return clip(repr(value) if isinstance(value, str) else str(value))


def _close(key: str, parent: Rule) -> str | None:
    return closest(key, parent.fields or ())


def _suggestion(key: str, parent: Rule) -> str:
    return f" {key!r}" + did_you_mean(key, parent.fields or (), known="allowed")


@dataclass
class Shared:
    """What the specs validated in one run share (`share_equal`)."""

    models: dict[Hashable, BaseModel] = field(default_factory=dict)       # a model's content → the first such model
    names: dict[frozenset[str], FieldNames] = field(default_factory=dict)   # a set of field names → the one shared


def share_equal(model: M, shared: Shared) -> M:
    """`model`, its models replaced by equal ones validated before in the run, and its sets of
    field names by shared ones; the first equal model if there was one.

    Pydantic keeps a `__dict__` and a set of field names per instance, and a third of a loaded
    compile's memory was its specs: the same job's in six environments is equal but for a few
    fields (at 3,600 targets, 36,000 models, 7,500 distinct, with a few hundred distinct sets).
    Nothing assigns to a validated spec; should anything start to, the assignment raises (pydantic
    adds the name to the model's set of field names, which `FieldNames` refuses), so a compile
    fails rather than goes on with other targets' specs changed too. 0.4 s of a 10,800-target load.
    """
    return _shared(model, shared)[0]


def _shared(item: Any, shared: Shared) -> tuple[Any, Hashable]:
    """The shared equal of `item` (made from it, its parts replaced) and its key: a string is its
    own, a model's is its id (`shared` keeps it alive), any other's is a tuple led by its type."""
    kind = type(item)
    if kind is str or item is None:
        return item, item
    if kind is int or kind is bool:
        return item, (kind, item)
    if isinstance(item, BaseModel):
        fields = item.__dict__   # this instance's own: not shared yet
        names = frozenset(item.__pydantic_fields_set__)
        parts: list[Any] = [kind, names]
        for name, value in fields.items():
            fields[name], key = _shared(value, shared)
            parts.append(key)
        content = tuple(parts)
        found = shared.models.get(content)
        if found is None:
            object.__setattr__(item, "__pydantic_fields_set__", shared.names.setdefault(names, FieldNames(names)))
            shared.models[content] = found = item
        return found, id(found)
    if kind is list:
        keys: list[Any] = [list]
        for index, value in enumerate(item):
            item[index], key = _shared(value, shared)
            keys.append(key)
        return item, tuple(keys)
    if kind is dict:
        keys = [dict]
        for name, value in item.items():
            item[name], key = _shared(value, shared)
            keys += (name, key)
        return item, tuple(keys)
    if kind is float:   # 0.0 == -0.0, but they are written differently
        return item, (float, repr(item))
    try:
        return item, (kind, hash(item), item)
    except TypeError:   # unhashable (a tuple of lists, say): equal to no other
        return item, (id(item),)


class FieldNames(set):
    """The names of the fields set in models shared by many specs (`share_equal`): a set, as
    pydantic reads it, that refuses to change: a change means a shared model was assigned to."""

    def _refuse(self, *args: object) -> Any:
        raise TypeError("the set fields of a validated spec are shared by other specs: they do not change")

    add = discard = remove = pop = clear = update = _refuse
    difference_update = intersection_update = symmetric_difference_update = _refuse
    __ior__ = __iand__ = __isub__ = __ixor__ = _refuse
