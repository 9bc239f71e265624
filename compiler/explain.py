"""`strata explain`: an effective value and the chain of file:line that set and overrode it.

What can be explained, in one environment: a resource (`<project>/<Kind>/<name>`, the kind
in any case, or its file), a project (`<project>` or its project.yaml: owner, namespace,
queue, vars and the quota merged for that environment) and an environment (its name or
file: the group's settings merged with its own). Each value shows where it was set, what it
overrode, the text as written when `${...}` references changed it, and the lock that pins it.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from compiler.errors import StrataError
from compiler.kinds import kind_of, kinds
from compiler.merge.field_rules import ANY, Rule, rule_for_model
from compiler.merge.interpolate import references
from compiler.merge.layering import Lock, env_locks
from compiler.output import yamlout
from compiler.paths import parse_path
from compiler.provenance import Origin, Value, plain
from compiler.secrets import is_secret_env, looks_secret, masked
from compiler.suggest import did_you_mean
from compiler.targets import Project, Target
from schemas import EnvironmentSettings, ProjectDoc
from schemas.project import Quota

ENVELOPE = ("kind", "name")


@dataclass(frozen=True)
class Subject:
    """What is explained: a merged tree with provenance, and how to read it."""

    title: str                       # `demo/Job/train in dev`, `project demo in dev`, `environment dev`
    root: str                        # what the top level is called in messages: `spec`, `the project`
    chain: tuple[str, ...]           # the layers merged, lowest first
    tree: Value
    rule: Rule                       # the schema of `tree`: known fields, merge keys of lists
    raw: Value | None = None         # `tree` before interpolation, where that differs
    values: dict | None = None       # effective values including schema defaults (resources)
    locks: tuple[Lock, ...] = ()
    owner: Target | Project | None = None   # knows where `${...}` references are written


def find_subject(build: Any, root: Path, ref: str, env: str | None) -> Subject:
    """The resource, project or environment `ref` names (see the module docstring)."""
    world = build.world
    rel = _repo_file(root, ref)
    environment = _environment_named(world, rel, ref)
    if environment is not None and env in (None, environment):
        return environment_subject(build, environment)
    if env is None:
        raise StrataError(f"{ref}: --env is required to explain a resource or a project (the environment "
                          "whose effective values to show)")
    project = _project_named(world, rel, ref)
    if project is not None:
        return project_subject(build, project, env)
    return target_subject(build, find_target(build.targets, root, ref, env))


def _repo_file(root: Path, ref: str) -> str | None:
    if (root / ref).is_file():
        return _relative(root, root / ref)
    return _relative(root, Path(ref)) if Path(ref).is_file() else None


def _environment_named(world: Any, rel: str | None, ref: str) -> str | None:
    """`prod-sh` or `environments/prod-sh.yaml` (a project of the same name wins for a bare name)."""
    if rel is not None:
        folder, stem = str(Path(rel).parent), Path(rel).stem
        return stem if folder == "environments" and stem in world.envs else None
    return ref if ref in world.envs and ref not in world.projects else None


def _project_named(world: Any, rel: str | None, ref: str) -> str | None:
    """`demo` or `projects/demo/project.yaml`."""
    if rel is not None:
        folder = str(Path(rel).parent)
        return next((name for name, d in world.project_dirs.items() if d == folder and Path(rel).stem == "project"),
                    None)
    return ref if ref in world.projects else None


def find_target(targets: list[Target], root: Path, ref: str, env: str) -> Target:
    """`<project>/<Kind>/<name>` (kind in any case), or a resource file (which must hold one resource)."""
    candidates = [t for t in targets if t.env.name == env]
    rel = _repo_file(root, ref)
    if rel is not None:
        found = [t for t in candidates if t.origin and t.origin.file == rel]
        if len({t.identity for t in found}) > 1:
            names = ", ".join(sorted({t.identity for t in found}))
            raise StrataError(f"{rel} holds several resources ({names}); name one as <project>/<Kind>/<name>")
    else:
        found = [t for t in candidates if t.identity.lower() == ref.lower()]
    if not found:
        known = [t.identity for t in candidates]
        raise StrataError(f"{ref}: no such resource deployed to environment {env}" + did_you_mean(ref, known))
    return found[0]


def _relative(root: Path, path: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        raise StrataError(f"{path} is outside the repository {root}") from None


def target_subject(build: Any, target: Target) -> Subject:
    assert target.tree is not None
    return Subject(f"{target.identity} in {target.env.name}", "spec", ("schema defaults", *target.chain), target.tree,
                   rule_for_model(kind_of(target.kind).spec), target.raw_tree, target.values,
                   env_locks(build.world, target.env.name, target.kind), target)


def project_subject(build: Any, name: str, env: str) -> Subject:
    """The project's own settings, with `quota` merged for this environment."""
    project = next((p for p in build.projects if p.name == name and p.env.name == env), None)
    if project is None:
        raise StrataError(f"project {name} is not deployed to environment {env}")
    doc = build.world.projects[name][0]
    data = {k: v for k, v in doc.value.data.items() if k not in ENVELOPE}
    if project.quota_tree is not None:
        data["quota"] = project.quota_tree
    rule = _settings_rule(ProjectDoc, quota=rule_for_model(Quota))
    quota = ("quota.default", f"quota.overrides.{project.env.group}", f"quota.overrides.{env}")
    return Subject(f"project {name} in {env} (namespace {project.namespace})", "the project", (f"project {name}", *quota),
                   Value(data, doc.origin), rule, owner=project)


def environment_subject(build: Any, name: str) -> Subject:
    layers = build.world.envs[name]
    tree = layers.settings or Value({}, layers.env_doc.origin)
    return Subject(f"environment {name}", "the environment", (f"group {layers.env.group}", f"environment {name}"), tree,
                   _settings_rule(EnvironmentSettings))


def _settings_rule(model: Any, **fields: Rule) -> Rule:
    """A settings document's rule, where `defaults.<Kind>` is read as that kind's spec (merge keys)."""
    rule = rule_for_model(model)
    defaults = Rule(fields={kind.name: rule_for_model(kind.spec) for kind in kinds()})
    return Rule(fields={**(rule.fields or {}), "defaults": defaults, **fields}, model=rule.model)


# --- paths --------------------------------------------------------------------------------------

def resolve(subject: Subject, text: str) -> tuple[Value | None, Value | None]:
    """The Value (and its uninterpolated twin) at a dotted path; an unknown field or item is an error."""
    node: Value | None = subject.tree
    raw: Value | None = subject.raw
    rule = subject.rule
    for depth, step in enumerate(parse_path(text)):
        where = ".".join(parse_path(text)[:depth]).replace(".[", "[") or subject.root
        if step.startswith("["):
            index = _item_index(node, rule, step[1:-1], text, where)
            node, raw = _at(node, index), _at(raw, index)
            rule = rule.items or ANY
        else:
            _check_field(node, rule, step, text, where)
            node, raw = _at(node, step), _at(raw, step)
            rule = rule.child(step) or ANY
    return node, raw


def _at(node: Value | None, step: Any) -> Value | None:
    if node is None:
        return None
    if isinstance(step, str) and node.is_map:
        return node.data.get(step)
    if isinstance(step, int) and node.is_list and step < len(node.data):
        return node.data[step]
    return None


def _check_field(node: Value | None, rule: Rule, step: str, text: str, where: str) -> None:
    """`step` must be a field of the schema here (set or not), or a key of a free-keyed map."""
    if rule.fields is not None:
        known = set(rule.fields)
    elif node is not None and node.is_map:
        known = set(node.data)
    elif node is not None and node.is_list:
        raise StrataError(f"--path {text}: {where} is a list; address an item as [NAME] or [INDEX]")
    elif node is not None or rule.items is not None:
        raise StrataError(f"--path {text}: {where} is a single value; it has no field {step!r}")
    else:
        return   # unset, and nothing says what it may hold
    if step not in known:
        raise StrataError(f"--path {text}: {where} has no field {step!r}" + did_you_mean(step, known, known="fields"))


def _item_index(node: Value | None, rule: Rule, key: str, text: str, where: str) -> int | None:
    if node is None:
        return None
    if not node.is_list:
        raise StrataError(f"--path {text}: {where} is not a list")
    names = [str(item.data[rule.merge_key].data) for item in node.data
             if rule.merge_key and item.is_map and rule.merge_key in item.data]
    if key in names:
        return names.index(key)
    if key.isdigit() and int(key) < len(node.data):
        return int(key)
    raise StrataError(f"--path {text}: {where} has no item [{key}]" + did_you_mean(key, names, known="items"))


# --- output -------------------------------------------------------------------------------------

def explain_lines(subject: Subject, path_text: str | None) -> list[str]:
    """The explanation; a --path that names nothing is an error before anything is printed."""
    node, raw = resolve(subject, path_text) if path_text else (subject.tree, subject.raw)
    return [subject.title, "layers, lowest first: " + " < ".join(subject.chain),
            *_explained(subject, path_text or "", node, raw)]


def _explained(subject: Subject, path_text: str, node: Value | None, raw: Value | None) -> Iterator[str]:
    if not path_text:
        for setting in settings(subject):
            yield from setting_lines(setting)
        return
    if node is None:
        value = _effective(subject.values, path_text)
        shown = "unset" if value is None else short_value(value)
        yield f"{path_text} = {shown}  (schema default: no layer sets it)"
        yield from (lock_line(lock) for lock in _locks_on(subject, path_text))
        return
    for setting in _leaves(subject, node, raw, _rule_at(subject, path_text), path_text,
                           _secret_value(subject, path_text)):
        yield from setting_lines(setting)


@dataclass(frozen=True)
class Setting:
    """One value a layer set (a scalar, or a list of scalars) and every file:line that decided it."""

    path: str                                        # `env[NCCL_DEBUG].value` (the --path spelling)
    value: Any                                       # the effective value, plain (masked if secret-like)
    shown: str                                       # it on one line, as explain prints it
    origin: Origin                                   # where it is set
    overrode: tuple[Origin, ...] = ()                # what it replaced, nearest first
    written: str | None = None                       # the text as written, when `${...}` changed it
    references: tuple[tuple[str, Origin], ...] = ()  # each `${key}` of `written` and where its value is set
    locks: tuple[Lock, ...] = ()                     # locks that pin it


def settings(subject: Subject) -> Iterator[Setting]:
    """Every value set in the subject's tree, in spec order (what `strata explain` prints)."""
    yield from _leaves(subject, subject.tree, subject.raw, subject.rule, "")


def _rule_at(subject: Subject, text: str) -> Rule:
    rule = subject.rule
    for step in parse_path(text):
        rule = (rule.items or ANY) if step.startswith("[") else (rule.child(step) or ANY)
    return rule


def _leaves(subject: Subject, node: Value, raw: Value | None, rule: Rule, label: str,
            secret: bool = False) -> Iterator[Setting]:
    """Every scalar (or list of scalars) under `node`, each with its chain; list items by merge key.
    `secret`: `node` is the value of an env var named like a secret (masked)."""
    data = node.data
    if isinstance(data, dict):
        name = data.get("name")
        hides = "value" in data and name is not None and looks_secret(name.data)   # as secrets.is_secret_env
        for key, child in data.items():
            yield from _leaves(subject, child, _at(raw, key), rule.child(key) or ANY, _join(label, key),
                               hides and key == "value")
    elif isinstance(data, list) and data and (data[0].is_map or data[0].is_list):
        for index, item in enumerate(data):
            key = item.data.get(rule.merge_key) if rule.merge_key and item.is_map else None
            step = f"[{key.data}]" if key is not None else f"[{index}]"
            yield from _leaves(subject, item, _at(raw, index), rule.items or ANY, label + step)
    else:
        yield _setting(subject, label, node, raw, text=rule.text, secret=secret)


def _join(label: str, key: str) -> str:
    return f"{label}.{key}" if label else key


def _setting(subject: Subject, label: str, node: Value, raw: Value | None, *, text: bool = False,
             secret: bool = False) -> Setting:
    written = raw.data if raw is not None and isinstance(raw.data, str) and raw.data != node.data else None
    value = plain(node)
    if secret:
        value = shown = masked(value)
    else:   # a free-text field (env values, vars) keeps a scalar as written: `3e-4` stays `3e-4`, not 0.0003
        shown = node.raw if text and node.raw is not None else short_value(value)
    return Setting(label, value, shown, node.origin, node.overrode, written,
                   tuple(_reference_origins(subject, written)) if written is not None else (),
                   tuple(_locks_on(subject, label)))


def setting_lines(setting: Setting) -> Iterator[str]:
    yield f"{setting.path} = {setting.shown}"
    if setting.written is not None:
        yield f"  written  {setting.written}"
        for key, origin in setting.references:
            yield f"           ${{{key}}} is set at {origin.describe()}"
    yield f"  set by   {setting.origin.describe()}"
    for i, origin in enumerate(setting.overrode):
        yield f"  {'overrode' if i == 0 else '        '} {origin.describe()}"
    yield from (lock_line(lock) for lock in setting.locks)


def _secret_value(subject: Subject, label: str) -> bool:
    """`label` is the plain value of an env var whose name looks secret (compiler/secrets.py): masked."""
    if not label.endswith(".value"):
        return False
    item, _raw = resolve(subject, label[: -len(".value")])
    return item is not None and is_secret_env(plain(item))


def _reference_origins(subject: Subject, text: str) -> Iterator[tuple[str, Origin]]:
    """Where the value of each `${...}` of a written value is set, for this target."""
    owner = subject.owner
    for key in references(text):
        origin = owner.project.ref_origin(key) if isinstance(owner, Target) else None
        if origin is not None:
            yield key, origin


def _locks_on(subject: Subject, label: str) -> Iterator[Lock]:
    if not subject.locks:
        return
    path = _steps(label)
    for lock in subject.locks:
        if path[: len(lock.path)] == lock.path:
            yield lock


@lru_cache(maxsize=8192)   # the same labels recur in every target of a kind (the docs site explains thousands)
def _steps(label: str) -> tuple[str, ...]:
    return tuple(parse_path(label))


def lock_line(lock: Lock) -> str:
    return f"  locked   by {lock.origin.where()} ({lock.text}, {lock.origin.layer}): a higher layer may not change it"


def _effective(values: dict | None, text: str) -> Any:
    node: Any = values
    for step in parse_path(text):
        if isinstance(node, dict) and step in node:
            node = node[step]
        else:
            return None
    return node


def short_value(value: Any) -> str:
    """A value on one line: YAML for scalars, compact JSON (valid flow YAML) for mappings and lists."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return _scalar_text(type(value).__name__, value)


@lru_cache(maxsize=65536)   # scalars repeat a lot (the docs site explains every target)
def _scalar_text(_type: str, value: Any) -> str:   # the type is in the key: 1, 1.0 and True are equal keys
    return yamlout.dump(value).strip()
