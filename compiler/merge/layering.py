"""Build one target: its layers in SPEC §2 order, merged, lock-checked, interpolated, validated.

Precedence, lowest first (what `strata explain` prints):
  1 schema defaults · 2 app-type chain · 3 group defaults.<Kind>, group appTypes.<t>
  4 env defaults.<Kind>, env appTypes.<t> · 5 project defaults.<Kind> · 6 resource spec
  7 resource overrides.<group>, overrides.<env>
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field

from compiler.check.specs import Shared, validate
from compiler.errors import Problems
from compiler.kinds import kind_names, kind_of
from compiler.load.documents import Doc
from compiler.merge import interpolate as interp
from compiler.merge.command_layer import SET_LAYER
from compiler.merge.field_rules import rule_for_model
from compiler.merge.inherit import expand_inherited
from compiler.merge.rule import Memo, merge
from compiler.merge.world import World
from compiler.provenance import Origin, Value, plain, relayer
from compiler.suggest import did_you_mean
from compiler.targets import Project, Target
from schemas.resource import ResourceDoc

ENVELOPE = ("kind", "name", "appType", "deployTo", "overrides")


@dataclass(frozen=True)
class Layer:
    label: str
    value: Value
    locks: tuple[Lock, ...] = ()   # locks that take effect right after this layer


@dataclass(frozen=True)
class Lock:
    path: tuple[str, ...]
    origin: Origin
    text: str


def resource_envelope(doc: Doc, problems: Problems) -> ResourceDoc | None:
    """Validate kind/name/appType/deployTo/overrides; `spec` is validated after merging."""
    shallow = Value({k: v for k, v in doc.value.data.items() if k != "spec"}, doc.origin)
    envelope = validate(ResourceDoc, shallow, problems)
    spec = doc.get("spec")
    if spec is not None and not spec.is_map:
        problems.add("`spec` must be a mapping", spec.origin)
        return None
    return envelope


@dataclass
class RunMemo:
    """What the targets of one run share: layer subtrees normalized (compiler.merge.rule.Memo)
    and found free of references (compiler.merge.interpolate) once, not once per target, and app
    types' spec layers made once; equal parts of the validated specs."""

    normalized: Memo = field(default_factory=dict)
    interpolated: dict = field(default_factory=dict)
    app_specs: dict[int, tuple[Doc, Value]] = field(default_factory=dict)   # id(app type doc) → (it, its layer)
    specs: Shared = field(default_factory=Shared)   # what the validated specs share (compiler.check.specs)


def layers_for(world: World, project: Project, doc: Doc, envelope: ResourceDoc, problems: Problems,
               memo: RunMemo | None = None) -> list[Layer]:
    env_layers = world.envs[project.env.name]
    kind, app_type = doc.kind, envelope.appType
    layers: list[Layer] = []
    if app_type is not None:
        chain = world.app_types[app_type].chain
        layers += [Layer(f"app-type {d.name}", _app_type_spec(d, memo)) for d in chain]
    for scope in (env_layers.group_doc, env_layers.env_doc):
        candidates = (_layer(scope, f"defaults.{kind}", "defaults", kind),
                      _layer(scope, f"appTypes.{app_type}", "appTypes", app_type))
        found = [layer for layer in candidates if layer is not None]
        locks = _locks(scope, kind)
        if found:
            found[-1] = Layer(found[-1].label, found[-1].value, locks)
        elif locks:
            found = [Layer(f"{scope.value.origin.layer} (locks)", Value({}, scope.origin), locks)]
        layers += found
    project_doc = world.projects[project.name][0]
    project_layer = _layer(project_doc, f"defaults.{kind}", "defaults", kind)
    if project_layer is not None:
        layers.append(project_layer)
    spec = doc.get("spec")
    if spec is not None:
        layers.append(Layer(f"resource {doc.file}", spec))
    overrides = doc.get("overrides")
    for key in (project.env.group, project.env.name):
        layer = overrides.data.get(key) if overrides is not None and overrides.is_map else None
        if layer is not None:
            layers.append(Layer(f"overrides.{key}", layer))
    return layers


def label_resource(doc: Doc) -> Doc:
    """Label a resource document's layers once (not once per target): `resource`, `overrides.<key>`."""
    data = dict(doc.value.data)
    if data.get("spec") is not None:
        data["spec"] = relayer(data["spec"], "resource")
    overrides = data.get("overrides")
    if overrides is not None and overrides.is_map:
        labelled = {k: relayer(v, f"overrides.{k}") for k, v in overrides.data.items()}
        data["overrides"] = Value(labelled, overrides.origin, overrides.overrode, overrides.tag, overrides.key_origin)
    return Doc(doc.kind, doc.name, Value(data, doc.value.origin, key_origin=doc.value.key_origin), doc.file)


def _app_type_spec(doc: Doc, memo: RunMemo | None = None) -> Value:
    """An app type's `spec`, plus its `chart:` as the Service's `spec.chart` default (made once
    per run with `memo`: the same layer object for every target, as the memos need)."""
    if memo is not None and id(doc) in memo.app_specs:
        return memo.app_specs[id(doc)][1]
    spec = doc.get("spec") or Value({}, doc.origin)
    chart = doc.get("chart")
    if chart is not None and spec.is_map:
        spec = Value({**spec.data, "chart": chart}, spec.origin)
    if memo is not None:
        memo.app_specs[id(doc)] = (doc, spec)
    return spec


def _layer(doc: Doc, label: str, section: str, key: str | None) -> Layer | None:
    holder = doc.get(section)
    if key is None or holder is None or not holder.is_map or key not in holder.data:
        return None
    value = holder.data[key]
    return Layer(f"{doc.value.origin.layer} {label}", value) if value.data is not None else None


def _locks(doc: Doc, kind: str) -> tuple[Lock, ...]:
    """The locks `doc` sets on `kind` (paths are checked once per file by `check_lock_paths`)."""
    locked = doc.get("locked")
    if locked is None or not locked.is_list:
        return ()
    found = []
    for item in locked.data:
        head, _, rest = str(item.data).partition(".")
        if rest and head in (kind, "*"):
            found.append(Lock(tuple(rest.split(".")), item.origin, str(item.data)))
    return tuple(found)


def env_locks(world: World, env: str, kind: str) -> tuple[Lock, ...]:
    """The locks an environment puts on `kind`: its group's, then its own (promote and explain check them)."""
    layers = world.envs[env]
    return _locks(layers.group_doc, kind) + _locks(layers.env_doc, kind)


def check_lock_paths(doc: Doc, problems: Problems) -> None:
    """Every `locked:` path must name a field, else the lock silently protects nothing."""
    locked = doc.get("locked")
    for item in locked.data if locked is not None and locked.is_list else ():
        text = str(item.data)
        head, _, rest = text.partition(".")
        if not rest:
            problems.add(f"locked path {text!r} must look like <Kind>.<field path> or *.<field path>", item.origin)
        elif head != "*" and head not in kind_names():
            problems.add(f"locked path {text!r}: no kind is named {head!r}"
                         + did_you_mean(head, kind_names(), known="kinds"), item.origin)
        else:
            kinds = list(kind_names()) if head == "*" else [head]
            found = [_path_problem(kind, tuple(rest.split(".")), head) for kind in kinds]
            if all(found):
                _depth, message = max(p for p in found if p is not None)
                problems.add(f"locked path {text!r}: {message}", item.origin)


def _path_problem(kind: str, steps: tuple[str, ...], head: str) -> tuple[int, str] | None:
    """None if `steps` names a field of `kind`'s spec, else (how far it got, what is wrong)."""
    rule = rule_for_model(kind_of(kind).spec)
    for depth, step in enumerate(steps):
        where = ".".join((head, *steps[:depth]))
        if rule.fields is not None:
            if step not in rule.fields:
                return depth, f"{where} has no field {step!r}" + did_you_mean(step, rule.fields, known="fields")
            rule = rule.fields[step]
        elif rule.values is not None:
            rule = rule.values
        else:
            return depth, f"{where} holds a value, not fields: a lock path ends there"
    return None


def merge_layers(layers: list[Layer], kind: str, problems: Problems, memo: Memo | None = None) -> Value:
    """Fold the layers lowest first, enforcing each lock from the layer that sets it (`memo`: a
    run's normalized layer subtrees, compiler.merge.rule.Memo)."""
    rule = rule_for_model(kind_of(kind).spec)
    merged: Value | None = None
    pinned: list[tuple[Lock, object]] = []
    for layer in layers:
        merged = merge(merged, layer.value, rule, problems.items.append, memo) if layer.value.data else (merged or None)
        if merged is None:
            merged = Value({}, layer.value.origin)
        _check_locks(pinned, merged, layer, problems)
        pinned += [(lock, _value_at(merged, lock.path)) for lock in layer.locks]
    return merged if merged is not None else Value({}, Origin("", 1, 1))


def _value_at(tree: Value, path: tuple[str, ...]) -> object:
    found = lookup_exact(tree, path)
    return plain(found) if found is not None else None


def lookup_exact(tree: Value, path: tuple) -> Value | None:
    node: Value | None = tree
    for step in path:
        if node is None or not node.is_map or step not in node.data:
            return None
        node = node.data[step]
    return node


def _check_locks(pinned: list[tuple[Lock, object]], merged: Value, layer: Layer, problems: Problems) -> None:
    """Report (once) each lock whose value this layer changed, at the changed value's file:line."""
    for entry in list(pinned):
        lock, expected = entry
        if _value_at(merged, lock.path) != expected:
            found = lookup_exact(merged, lock.path)
            where = found.origin if found is not None else layer.value.origin
            shown = "unset" if expected is None else repr(expected)
            problems.add(f"{'.'.join(lock.path)} is locked by {lock.origin.describe()} ({lock.text}) to "
                         f"{shown}; this layer may not change it", where)
            pinned.remove(entry)


def build_target(world: World, project: Project, doc: Doc, envelope: ResourceDoc,
                 problems: Problems, memo: RunMemo | None = None, command: Value | None = None, *,
                 raw_tree: bool = True) -> Target | None:
    """Merge, interpolate and validate one resource for one environment; `command` is a run's
    `--set` layer (compiler/merge/command_layer.py), merged last and checked like any other.
    `raw_tree=False` leaves the tree before interpolation out of the target (a compile never reads it)."""
    memo = memo or RunMemo()
    layers = layers_for(world, project, doc, envelope, problems, memo)
    if command is not None:
        layers.append(Layer(SET_LAYER, command))
    merged = merge_layers(layers, doc.kind, problems, memo.normalized)
    env_layers = world.envs[project.env.name]
    refs = interp.context(env=project.env, group_vars=_group_vars(env_layers.group_doc), project=project,
                          kind=doc.kind, name=doc.name)
    tree = expand_inherited(interp.interpolate(merged, refs, problems, memo.interpolated), rule_for_model(kind_of(doc.kind).spec),
                            problems.items.append)
    chain = tuple(sys.intern(layer.label) for layer in layers)   # labels repeat across targets: one string each
    found = Problems()
    own_spec = doc.get("spec")
    spec = validate(kind_of(doc.kind).spec, tree, found, root="spec", chain=chain,
                    target=f"{project.name}/{doc.kind}/{doc.name}", env=project.env.name,
                    missing_at=(own_spec.key_origin or own_spec.origin) if own_spec is not None else doc.origin,
                    shared=memo.specs)
    problems.extend(found.items)
    if spec is None:
        return None
    files = _input_files(world, project, doc, envelope)
    return Target(kind=doc.kind, name=doc.name, project=project, spec=spec, tree=tree, raw_tree=merged if raw_tree else None,
                  origin=doc.origin, files=files, app_type=envelope.appType, chain=chain)


def _group_vars(group_doc: Doc) -> dict[str, str]:
    found = group_doc.get("vars")
    if found is None or not found.is_map:
        return {}
    return {k: (v.raw if v.raw is not None else str(v.data)) for k, v in found.data.items()}


def _input_files(world: World, project: Project, doc: Doc, envelope: ResourceDoc) -> tuple[str, ...]:
    files = {doc.file, project.file, *project.env.files}
    if envelope.appType is not None:
        files.update(d.file for d in world.app_types[envelope.appType].chain)
    return tuple(sorted(files))

