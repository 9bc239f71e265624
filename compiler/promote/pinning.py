"""Model aliases become versions where the target environment requires pinned models.

An alias is resolved the way the source environment resolves it — through the source's own
Model (the registry is merged per environment too) — so the target gets the version the
source runs. Where the field is a model reference is read off the schema (`ModelRef`).
"""
from __future__ import annotations

from typing import Any

from compiler.errors import Problems
from compiler.merge.field_rules import ANY, Rule
from compiler.promote.fields import Path, label, value_at, writable
from compiler.targets import Target
from schemas.service import ModelRef


def pin_aliases(value: Any, rule: Rule, source: Target, models: dict[tuple[str, str], Target],
                path: Path, problems: Problems, notes: list[str]) -> Any:
    """`value` (plain, before interpolation) with every `{alias}` model reference turned into `{version}`."""
    if not isinstance(value, dict):
        return value
    if rule.model is ModelRef and "alias" in value:
        return _pinned(value, source, models, path, problems, notes)
    return {k: pin_aliases(v, rule.child(k) or ANY, source, models, path + (k,), problems, notes)
            for k, v in value.items()}


def _pinned(ref: dict[str, Any], source: Target, models: dict[tuple[str, str], Target], path: Path,
            problems: Problems, notes: list[str]) -> dict[str, Any]:
    alias = ref["alias"]
    name = ref.get("name") or writable(value_at(source.raw_tree, ("model", "name")))
    model = models.get((source.project.name, str(name)))
    version = value_at(model.raw_tree, ("aliases", str(alias))) if model is not None else None
    if version is None:
        where = value_at(source.raw_tree, (*path, "alias"))
        problems.add(f"{source.identity} in {source.env.name}: cannot pin the alias {alias!r}: model {name!r} has "
                     f"no such alias in {source.env.name}", where.origin if where else source.origin)
        return ref
    pinned = writable(version)
    notes.append(f"{label(path)}: alias {alias} of model {name} pinned to version {pinned} "
                 f"(as {source.env.name} resolves it)")
    return {**{k: v for k, v in ref.items() if k != "alias"}, "version": pinned}
