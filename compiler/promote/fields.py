"""The promotable fields of a target, their values before interpolation, and the override that
makes one environment get another's values.

Which fields are promotable is declared on the schema (`promotable()` in schemas/base.py) and
read through `compiler.merge.field_rules`. Values are read from `Target.raw_tree`, the merged
spec before interpolation, so `${env.vars.registry}/…` stays a reference that resolves to the
target environment's registry.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from compiler.kinds import kind_of
from compiler.merge.field_rules import ANY, ITEMS, Rule, promotable_fields, rule_for_model
from compiler.plan.model import ABSENT
from compiler.provenance import Value


@dataclass(frozen=True)
class Item:
    """A step into a merge-keyed list: the item whose `field` is `key` (`steps[train]`)."""

    field: str
    key: str


Step = str | Item
Path = tuple[Step, ...]


@cache
def spec_rule(kind: str) -> Rule:
    return rule_for_model(kind_of(kind).spec)


@cache
def patterns(kind: str) -> tuple[tuple[str, ...], ...]:
    return tuple(promotable_fields(spec_rule(kind)))


def rule_at(kind: str, path: Path) -> Rule:
    rule = spec_rule(kind)
    for step in path:
        rule = (rule.items or ANY) if isinstance(step, Item) else (rule.child(step) or ANY)
    return rule


def concrete_paths(kind: str, *trees: Value | None) -> list[Path]:
    """Every promotable field of `kind` in these trees; a merge-keyed list contributes the items
    present in all of them (an item only one side has is structure, not a release value)."""
    found: list[Path] = []
    for pattern in patterns(kind):
        found += _expand(spec_rule(kind), pattern, (), list(trees))
    return found


def _expand(rule: Rule, pattern: tuple[str, ...], prefix: Path, trees: list[Value | None]) -> list[Path]:
    if not pattern:
        return [prefix]
    step, rest = pattern[0], pattern[1:]
    if step != ITEMS:
        children = [t.data.get(step) if t is not None and t.is_map else None for t in trees]
        return _expand(rule.child(step) or ANY, rest, prefix + (step,), children)
    key = rule.merge_key or ""
    keyed = [_items(t, key) for t in trees]
    common = [k for k in keyed[0] if all(k in other for other in keyed[1:])] if keyed else []
    found: list[Path] = []
    for name in common:
        found += _expand(rule.items or ANY, rest, prefix + (Item(key, name),), [k[name] for k in keyed])
    return found


def _items(tree: Value | None, key: str) -> dict[str, Value]:
    if tree is None or not tree.is_list:
        return {}
    return {str(item.data[key].data): item for item in tree.data if item.is_map and key in item.data}


def value_at(tree: Value | None, path: tuple[Step | int, ...]) -> Value | None:
    """The Value at `path` (mapping keys, keyed items, list indexes), None where nothing is set."""
    node = tree
    for step in path:
        if node is None:
            return None
        if isinstance(step, Item):
            node = _items(node, step.field).get(step.key)
        elif isinstance(step, int):
            node = node.data[step] if node.is_list and 0 <= step < len(node.data) else None
        else:
            node = node.data.get(step) if node.is_map else None
    return node


def label(path: Path) -> str:
    """`model.version`, `steps[train].container.image`: the `strata explain --path` spelling."""
    text = ""
    for step in path:
        text += f"[{step.key}]" if isinstance(step, Item) else (f".{step}" if text else step)
    return text


def writable(value: Value | None) -> Any:
    """Plain data as it is written back to YAML: a scalar read from `1.10` stays the text `1.10`."""
    if value is None:
        return ABSENT
    data = value.data
    if isinstance(data, dict):
        return {k: writable(v) for k, v in data.items()}
    if isinstance(data, list):
        return [writable(v) for v in data]
    if isinstance(data, float) and value.raw is not None:
        return value.raw
    return data


def comparable(data: Any) -> Any:
    """Scalars as text (a model version 4 and "4" are the same version; SPEC §3), nulls and
    booleans as they are."""
    if isinstance(data, dict):
        return {k: comparable(v) for k, v in data.items()}
    if isinstance(data, list):
        return [comparable(v) for v in data]
    if data is None or data is ABSENT or isinstance(data, bool):
        return data
    return str(data)


def delta(current: Any, wanted: Any, rule: Rule) -> Any:
    """What to write over `current` so that the merge gives `wanted` (None writes `null`)."""
    if wanted is ABSENT:
        return None
    if isinstance(current, dict) and isinstance(wanted, dict):
        found = {k: delta(current.get(k, ABSENT), v, rule.child(k) or ANY) for k, v in wanted.items()
                 if comparable(current.get(k, ABSENT)) != comparable(v)}
        found.update({k: None for k in current if k not in wanted})
        return found
    return wanted


def nest(patch: dict[str, Any], path: Path, value: Any) -> None:
    """Put `value` at `path` in `patch`; an `Item` step becomes a one-item list keyed by it."""
    node = patch
    for i, step in enumerate(path):
        last = i == len(path) - 1
        if isinstance(step, Item):
            items = node.setdefault("__items__", {})
            node = items.setdefault(step.key, {step.field: step.key})
            if last:
                node.update(value)
        elif last:
            node[step] = value
        else:
            node = node.setdefault(step, {})


def as_yaml(patch: Any) -> Any:
    """`nest`'s keyed-item placeholders turned into the lists YAML holds (`steps: [{name: …}]`)."""
    if not isinstance(patch, dict):
        return patch
    if "__items__" in patch:
        return [as_yaml(item) for item in patch["__items__"].values()]
    return {k: as_yaml(v) for k, v in patch.items()}
