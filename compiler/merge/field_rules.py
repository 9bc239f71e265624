"""Per-field behaviour, read off the schema models once.

The compiler never guesses from content: whether a list merges by key, whether
a field accepts both a mapping and a scalar (Service `replicas`), whether a map
keeps scalars as written text, whether a field names another resource (the
target graph's edges) or whether `strata promote` copies it comes from the
pydantic field.
"""
from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.functional_validators import BeforeValidator

from schemas.base import INHERITS, MERGE_KEY, PROMOTABLE, REFERENCE, _text


@dataclass(frozen=True)
class Rule:
    merge_key: str | None = None     # list items merge by this key
    both_forms: bool = False            # a mapping may replace a scalar/list and back
    text: bool = False                  # scalars are kept as their source text
    fields: dict[str, Rule] | None = None  # a model's fields, by YAML name
    items: Rule | None = None      # rule of each list item
    values: Rule | None = None     # rule of each value of a free-keyed map
    model: type | None = None        # for "did you mean" suggestions
    promotable: bool = False            # `strata promote` copies this field between environments
    ref: str | None = None           # the field names a resource of this kind (`ref("Dataset")`)
    inherits: tuple[str, ...] = ()   # each value of this map is merged over these fields of its parent

    def child(self, key: Any) -> Rule | None:
        if self.fields is not None:
            return self.fields.get(key)
        return self.values


ANY = Rule()


@cache
def rule_for_model(model: type[BaseModel]) -> Rule:
    fields = {}
    for name, info in model.model_fields.items():
        rule = _rule(info.annotation, tuple(info.metadata))
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        if MERGE_KEY in extra:
            rule = Rule(merge_key=str(extra[MERGE_KEY]), both_forms=rule.both_forms, items=rule.items)
        if extra.get(PROMOTABLE):
            rule = replace(rule, promotable=True)
        if REFERENCE in extra:
            rule = replace(rule, ref=str(extra[REFERENCE]))
        inherited = extra.get(INHERITS)
        if isinstance(inherited, list):
            rule = replace(rule, inherits=tuple(str(name) for name in inherited))
        fields[info.alias or name] = rule
    return Rule(fields=fields, model=model)


EACH = "*"   # in a reference pattern: every item of a list, every value of a free-keyed map


@cache
def reference_fields(model: type[BaseModel]) -> tuple[tuple[tuple[str, ...], str], ...]:
    """(path pattern, kind) of every field under `model` that names another resource.

    `("steps", EACH, "job")` stands for `steps[i].job` for every step; the graph
    stage matches the patterns against each target's effective spec.
    """
    return tuple(_references(rule_for_model(model), ()))


def _references(rule: Rule, path: tuple[str, ...]) -> list[tuple[tuple[str, ...], str]]:
    found = [(path, rule.ref)] if rule.ref else []
    for key, child in (rule.fields or {}).items():
        found += _references(child, (*path, key))
    for each in (rule.items, rule.values):
        if each is not None:
            found += _references(each, (*path, EACH))
    return found


def _rule(annotation: Any, metadata: tuple = ()) -> Rule:
    annotation, text = _unwrap(annotation, metadata)
    members = _union_members(annotation)
    text = text or any(_unwrap(a, ())[1] for a in _raw_members(annotation))
    mapping = [m for m in members if _is_mapping(m)]
    others = [m for m in members if not _is_mapping(m) and m is not type(None)]
    base = _mapping_rule(mapping[0]) if mapping else _list_rule(others)
    return Rule(base.merge_key, bool(mapping and others), text or base.text,
                base.fields, base.items, base.values, base.model)


def _unwrap(annotation: Any, metadata: tuple) -> tuple[Any, bool]:
    text = any(isinstance(m, BeforeValidator) and m.func is _text for m in metadata)
    while typing.get_origin(annotation) is typing.Annotated:
        args = typing.get_args(annotation)
        annotation = args[0]
        text = text or any(isinstance(m, BeforeValidator) and m.func is _text for m in args[1:])
    return annotation, text


def _union_members(annotation: Any) -> list[Any]:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [_unwrap(a, ())[0] for a in typing.get_args(annotation)]
    return [annotation]


def _raw_members(annotation: Any) -> tuple:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return typing.get_args(annotation)
    return ()


def _is_mapping(annotation: Any) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    return typing.get_origin(annotation) is dict or annotation is dict


def _mapping_rule(annotation: Any) -> Rule:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return rule_for_model(annotation)
    args = typing.get_args(annotation)
    return Rule(values=_rule(args[1]) if len(args) == 2 else ANY)


def _list_rule(members: list[Any]) -> Rule:
    for member in members:
        if typing.get_origin(member) is list:
            args = typing.get_args(member)
            return Rule(items=_rule(args[0]) if args else ANY)
    text = any(_unwrap(m, ())[1] for m in members)
    return Rule(text=text)


ITEMS = "[]"   # a step through every item of a merge-keyed list, in `promotable_fields` paths


def promotable_fields(rule: Rule, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Paths of the promotable fields under `rule`, e.g. ("image",), ("chart", "version"),
    ("steps", ITEMS, "container", "image"); a promotable field is not searched further."""
    for key, child in (rule.fields or {}).items():
        if child.promotable:
            yield path + (key,)
        elif child.fields is not None:
            yield from promotable_fields(child, path + (key,))
        elif child.merge_key and child.items is not None:
            yield from promotable_fields(child.items, path + (key, ITEMS))
