"""Stage 3, merge: one pure function for SPEC §2's rules, for every kind.

- mapping over mapping: deep merge;
- scalar or list over scalar or list: replace;
- mapping over scalar/list (or back): an error naming both places, unless the
  field accepts both forms or the higher value is tagged `!replace`;
- `null` deletes the key (the schema default applies again), as in Helm;
- a list whose field declares a merge key merges item by item on it, keeping
  the lower layer's order and appending new items;
- `!replace` replaces a mapping or list outright; `!append` appends to a list (a list
  made only of appends keeps the tag, so it can still append to a Job's list when a
  role is laid over it).

Inputs are never mutated: unchanged subtrees are shared, so a layer used by a
thousand targets is not copied a thousand times. A value that replaces another
records the origins it overrode, which `strata explain` prints.
"""
from __future__ import annotations

from collections.abc import Callable

from compiler.errors import Problem
from compiler.merge.field_rules import ANY, Rule
from compiler.provenance import APPEND, REPLACE, Value

Report = Callable[[Problem], None]
# A run's normalized layer subtrees: (id(value), id(rule)) → (value, rule, normalized, problems).
# A layer (an app type's defaults, an environment's overrides) is laid under thousands of targets;
# normalized once, its result is shared by all of them like the layer itself, and its problems are
# reported again for each. Holding the value and the rule keeps their ids from being reused.
Memo = dict[tuple[int, int], tuple[Value, Rule, Value, tuple[Problem, ...]]]


def merge(lower: Value | None, higher: Value, rule: Rule, report: Report, memo: Memo | None = None) -> Value | None:
    """`higher` layered over `lower`; None means the key is deleted. `memo`: see Memo."""
    if higher.data is None and higher.tag is None:
        return None
    if lower is None or higher.tag == REPLACE:
        return _overriding(normalize(higher, rule, report, memo), lower)
    if higher.is_map and lower.is_map:
        return _merge_maps(lower, higher, rule, report, memo)
    if higher.is_list and lower.is_list:
        return _merge_lists(lower, higher, rule, report, memo)
    if (higher.is_map != lower.is_map) and not rule.both_forms:
        report(Problem(f"{_form(higher)} cannot replace {_form(lower)} set at {lower.origin.describe()}; "
                       "tag it !replace if that is intended", higher.origin))
    return _overriding(normalize(higher, rule, report, memo), lower)


def normalize(value: Value, rule: Rule, report: Report, memo: Memo | None = None) -> Value:
    """A layer's value on its own: nulls dropped, tags applied, merge keys checked."""
    if memo is None:
        return _normalized(value, rule, report)
    found = memo.get((id(value), id(rule)))
    if found is None:
        problems: list[Problem] = []
        found = memo[(id(value), id(rule))] = (value, rule, _normalized(value, rule, problems.append), tuple(problems))
    for problem in found[3]:
        report(problem)
    return found[2]


def _normalized(value: Value, rule: Rule, report: Report) -> Value:
    data = value.data
    if isinstance(data, dict):
        kept = {}
        for key, child in data.items():
            if child.data is not None or child.tag is not None:
                kept[key] = _normalized(child, rule.child(key) or ANY, report)
        return Value(kept, value.origin, value.overrode, None, value.key_origin)
    if isinstance(data, list):
        items = [_normalized(item, rule.items or ANY, report) for item in data]
        if rule.merge_key:
            _check_keys(items, rule.merge_key, report)
        # An append with nothing below it stays an append: a role's `args: !append [...]`
        # still appends to the Job's args when the roles are laid over the Job (inherit.py).
        return Value(items, value.origin, value.overrode, _pending_append(value), value.key_origin)
    if value.tag == APPEND and not isinstance(data, list):
        report(Problem("!append applies to lists only", value.origin))
    return value if value.tag is None else Value(data, value.origin, value.overrode, None, value.key_origin, value.raw)


def _merge_maps(lower: Value, higher: Value, rule: Rule, report: Report, memo: Memo | None) -> Value:
    if higher.tag == APPEND:
        report(Problem("!append applies to lists only; use !replace or a plain mapping", higher.origin))
    merged = dict(lower.data)
    for key, value in higher.data.items():
        result = merge(merged.get(key), value, rule.child(key) or ANY, report, memo)
        if result is None:
            merged.pop(key, None)
        else:
            merged[key] = result
    return Value(merged, higher.origin, (), None, lower.key_origin or higher.key_origin)


def _merge_lists(lower: Value, higher: Value, rule: Rule, report: Report, memo: Memo | None) -> Value:
    items = normalize(higher, rule, report, memo).data
    if higher.tag == APPEND:
        return Value(list(lower.data) + items, higher.origin, (), _pending_append(lower), lower.key_origin)
    if not rule.merge_key:
        return _overriding(Value(items, higher.origin, (), None, higher.key_origin), lower)
    # An item merging into a lower one is merged as written, so its `null`s delete that item's fields.
    pairs = list(zip(higher.data, items, strict=True))
    return Value(_merge_by_key(lower.data, pairs, rule, report, memo), higher.origin, (), None, lower.key_origin)


def _merge_by_key(lower: list[Value], higher: list[tuple[Value, Value]], rule: Rule, report: Report,
                  memo: Memo | None) -> list[Value]:
    """`higher` as (as written, normalized) pairs merged into `lower` item by item on the merge key."""
    key = rule.merge_key or ""   # only called for rules that declare one
    merged: list[Value | None] = list(lower)
    position = {_key_of(item, key): i for i, item in enumerate(lower)}
    for written, item in higher:
        name = _key_of(item, key)
        if name in position:
            merged[position[name]] = merge(merged[position[name]], written, rule.items or ANY, report, memo)
        else:
            position[name] = len(merged)
            merged.append(item)
    return [item for item in merged if item is not None]


def _check_keys(items: list[Value], key: str, report: Report) -> None:
    seen: dict[object, Value] = {}
    for item in items:
        if not item.is_map or key not in item.data:
            report(Problem(f"each item of this list needs `{key}` (its merge key)", item.origin))
            continue
        name = _key_of(item, key)
        if name in seen:
            report(Problem(f"duplicate {key} {name!r} in one list (first at line {seen[name].origin.line})",
                           item.origin))
        seen[name] = item


def _key_of(item: Value, key: str) -> object:
    """Merge keys compare as text (model version 3 and "3" are the same version)."""
    found = item.data.get(key) if item.is_map else None
    return str(found.data) if found is not None else id(item)


def _overriding(value: Value, lower: Value | None) -> Value:
    if lower is None:
        return value
    return Value(value.data, value.origin, (lower.origin,) + lower.overrode, None, value.key_origin or lower.key_origin,
                 value.raw)


def _pending_append(value: Value) -> str | None:
    return APPEND if value.tag == APPEND else None


def _form(value: Value) -> str:
    return "a mapping" if value.is_map else "a list" if value.is_list else "a scalar"
