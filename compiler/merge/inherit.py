"""Partial specs laid over their parent's fields after layering: a Job's `roles`.

A field declared with `inherits(...)` (schemas/base.py) is a map of partial specs:
`roles.ps` may set `image` or `resources.gpu` and takes every other named field from the
Job. Each value is merged over the parent's fields by the one merge rule
(compiler/merge/rule.py) — maps deep-merge, lists replace (`!append` appends), `env` and
`pod.volumes` merge by name, a `null` in a role falls back to the Job's value — and the
result replaces it in the effective tree. So renderers, quota and policy see complete
role specs, and every inherited value keeps the file:line that set it (`strata explain`).

Precedence: a role's value wins over the Job's whatever layer set either (a role is more
specific than the Job, as an environment is more specific than its group).
"""
from __future__ import annotations

from compiler.merge.field_rules import ANY, Rule
from compiler.merge.rule import Report, merge
from compiler.provenance import Value


def expand_inherited(tree: Value, rule: Rule, report: Report) -> Value:
    """`tree` with every inheriting map's values merged over their parent's fields."""
    if not tree.is_map or rule.fields is None:
        return tree
    data = dict(tree.data)
    for key, field_rule in rule.fields.items():
        holder = data.get(key)
        if field_rule.inherits and holder is not None and holder.is_map:
            base = Value({name: data[name] for name in field_rule.inherits if name in data}, tree.origin)
            data[key] = _laid_over(base, holder, field_rule.values or ANY, report)
    return Value(data, tree.origin, tree.overrode, tree.tag, tree.key_origin, tree.raw)


def _laid_over(base: Value, holder: Value, rule: Rule, report: Report) -> Value:
    merged = {}
    for name, value in holder.data.items():
        merged[name] = (merge(base, value, rule, report) or base) if value.is_map else value
    return Value(merged, holder.origin, holder.overrode, holder.tag, holder.key_origin)
