"""`strata diff --env A --env B`: the same resources in two environments, side by side.

For every resource deployed to both, each effective-spec value that differs, with the
file:line and layer that set it on each side (provenance) and, where interpolation made it,
the text before interpolation. A value in a promotable field whose text differs before
interpolation is what `strata promote --from A --to B` would copy; one that differs only after
interpolation (`${env.vars.registry}/…`) differs by design. With `objects`, the compiled
objects are compared too (matched by apiVersion, kind and name: namespaces differ by design).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compiler.explain import parse_path
from compiler.merge.field_rules import ANY
from compiler.merge.targets_of import Selection
from compiler.pipeline import Build, load_stage, render_stage
from compiler.plan.causes import dotted
from compiler.plan.diff import diff, differences
from compiler.plan.mask import mask_changes, mask_object
from compiler.plan.model import ABSENT, ADD, CHANGE, DESTROY, Entry, ObjectKey
from compiler.promote import ResourceFilter
from compiler.promote.fields import Item, comparable, concrete_paths, label, spec_rule, value_at, writable
from compiler.targets import Emitted, Target


@dataclass(frozen=True)
class SideValue:
    value: Any = ABSENT        # the effective value (ABSENT: not set, no default)
    source: Any = ABSENT       # the text before interpolation, when interpolation changed it
    where: str = ""            # file:line:col that set it; "" when no layer did (a default)
    layer: str = ""


@dataclass(frozen=True)
class FieldDiff:
    path: str
    left: SideValue
    right: SideValue
    promotable: bool = False   # inside a promotable field (SPEC §4)
    promotes: bool = False     # and different before interpolation: promotion would copy it


@dataclass(frozen=True)
class ResourceDiff:
    identity: str
    only_in: str = ""                      # the one environment it is deployed to, else ""
    fields: tuple[FieldDiff, ...] = ()
    objects: tuple[Entry, ...] = ()        # object comparison (with --objects)


@dataclass
class EnvDiff:
    left: str
    right: str
    resources: list[ResourceDiff] = field(default_factory=list)   # those that differ
    same: list[str] = field(default_factory=list)                 # identities equal in both


def env_diff(repo: Path, left: str, right: str, *, only: ResourceFilter | None = None,
             objects: bool = False) -> EnvDiff:
    only = only or ResourceFilter()
    build = load_stage(repo, Selection((left, right), only.projects))
    sides = {env: {t.identity: t for t in build.targets if t.env.name == env and only.wants(t)} for env in (left, right)}
    emitted = _objects(build, sides) if objects else {}
    result = EnvDiff(left, right)
    for identity in sorted(sides[left].keys() | sides[right].keys()):
        a, b = sides[left].get(identity), sides[right].get(identity)
        if a is None or b is None:
            result.resources.append(ResourceDiff(identity, only_in=left if b is None else right))
            continue
        fields = tuple(field_diffs(a, b))
        entries = tuple(object_diffs(emitted.get(a.folder, []), emitted.get(b.folder, []), f"{left}→{right}"))
        if fields or entries:
            result.resources.append(ResourceDiff(identity, fields=fields, objects=entries))
        else:
            result.same.append(identity)
    return result


def field_diffs(a: Target, b: Target) -> list[FieldDiff]:
    promotable = [label(p) for p in concrete_paths(a.kind, a.raw_tree, b.raw_tree)]
    found = []
    for path, old, new in differences(a.values, b.values):
        text = dotted(b.values if new is not ABSENT else a.values, path)
        left, right = _side(a, text, old), _side(b, text, new)
        inside = any(text == p or text.startswith((p + ".", p + "[")) for p in promotable)
        differs = comparable(_source_or_value(left)) != comparable(_source_or_value(right))
        found.append(FieldDiff(text, left, right, inside, inside and differs))
    return found


def _side(target: Target, text: str, value: Any) -> SideValue:
    path = _path(target.kind, text)
    node, raw = value_at(target.tree, path), value_at(target.raw_tree, path)
    source, interpolated = writable(raw), writable(node)
    return SideValue(value, source if comparable(source) != comparable(interpolated) else ABSENT,
                     node.origin.where() if node is not None else "", node.origin.layer if node is not None else "")


def _source_or_value(side: SideValue) -> Any:
    return side.value if side.source is ABSENT else side.source


def _path(kind: str, text: str) -> tuple[Any, ...]:
    """A dotted spec path as value_at steps: `[NCCL_DEBUG]` is a keyed item where the list has a merge key."""
    rule, steps = spec_rule(kind), []
    for step in parse_path(text):
        if step.startswith("["):
            key = step[1:-1]
            steps.append(Item(rule.merge_key, key) if rule.merge_key else int(key) if key.isdigit() else key)
            rule = rule.items or ANY
        else:
            steps.append(step)
            rule = rule.child(step) or ANY
    return tuple(steps)


def _objects(build: Build, sides: dict[str, dict[str, Target]]) -> dict[str, list[Emitted]]:
    """The compiled objects of the compared resources, by target folder."""
    wanted = {t.folder for targets in sides.values() for t in targets.values()}
    rendered = render_stage(build, render_only=lambda t: t.folder in wanted)
    found: dict[str, list[Emitted]] = {}
    for item in rendered.emitted:
        if item.target is not None and item.folder in wanted:
            found.setdefault(item.folder, []).append(item)
    return found


def object_diffs(left: list[Emitted], right: list[Emitted], pair: str) -> list[Entry]:
    """Objects of one resource in two environments, matched by apiVersion, kind and name."""
    old, new = _by_name(left), _by_name(right)
    found = []
    for key in sorted(old.keys() | new.keys()):
        a, b = old.get(key), new.get(key)
        shown = b if b is not None else a
        assert shown is not None
        namespace = (shown.obj.get("metadata") or {}).get("namespace") or ""
        object_id = ObjectKey(pair, key[0], key[1], namespace, key[2])
        if a is None or b is None:
            found.append(Entry(object_id, shown.project, shown.resource, ADD if a is None else DESTROY,
                               after=mask_object(shown.obj)))
        elif a.obj != b.obj:
            changes = tuple(mask_changes(b.obj, diff(a.obj, b.obj), old=a.obj))
            found.append(Entry(object_id, b.project, b.resource, CHANGE, changes=changes))
    return found


def _by_name(items: list[Emitted]) -> dict[tuple[str, str, str], Emitted]:
    return {(item.obj.get("apiVersion", ""), item.obj.get("kind", ""), (item.obj.get("metadata") or {}).get("name", "")):
            item for item in items}
