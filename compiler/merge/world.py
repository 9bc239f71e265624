"""Environments, app types and projects: the settings every target is merged within.

An Environment's settings are merged over its group's with the same merge
function as specs. App types resolve their `extends:` chain; projects expand
`environments:` (a group name stands for its environments).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from compiler.capacity.checks import check_declared_capacity
from compiler.check.environment import check_environment, check_project_limits
from compiler.check.quota import check_quota_gpu_types
from compiler.check.specs import validate
from compiler.delivery.settings import check_delivery
from compiler.errors import Problems
from compiler.kinds import kind_names
from compiler.load.documents import Doc, Documents
from compiler.merge.field_rules import rule_for_model
from compiler.merge.rule import merge
from compiler.provenance import Origin, Value, relayer
from compiler.suggest import did_you_mean
from compiler.targets import Env, Project
from schemas import AppTypeDoc, EnvironmentDoc, EnvironmentGroupDoc, ProjectDoc
from schemas.environment import EnvironmentSettings
from schemas.project import Quota

ENVELOPE_KEYS = ("kind", "name", "group")


@dataclass
class EnvLayers:
    """One environment: merged settings plus its group and env documents as layers."""

    env: Env
    group_doc: Doc
    env_doc: Doc
    settings: Value | None = None   # the group's settings merged with the environment's, with provenance


@dataclass
class AppType:
    name: str
    for_kind: str
    chain: list[Doc]          # base first, this app type last
    doc: Doc


@dataclass
class World:
    envs: dict[str, EnvLayers] = field(default_factory=dict)
    groups: dict[str, Doc] = field(default_factory=dict)
    app_types: dict[str, AppType] = field(default_factory=dict)
    projects: dict[str, tuple[Doc, ProjectDoc]] = field(default_factory=dict)   # name → (doc, model)
    project_dirs: dict[str, str] = field(default_factory=dict)                  # name → dir
    # Environments whose own files have errors (name → group, "" if unknown): they still exist
    # for references, so correct files naming them get no follow-on errors; they get no targets.
    broken_envs: dict[str, str] = field(default_factory=dict)

    def expand(self, names: list[str]) -> list[str]:
        """Environment or group names → environment names (broken ones too), in name order."""
        groups = {**self.broken_envs, **{e: layers.env.group for e, layers in self.envs.items()}}
        return sorted(env for env, group in groups.items() if env in names or group in names)

    def env_names(self) -> list[str]:
        return sorted(set(self.envs) | set(self.broken_envs))

    def known_targets(self) -> list[str]:
        return sorted(set(self.env_names()) | set(self.groups))


def build_world(docs: Documents, problems: Problems) -> World:
    world = World()
    for doc in docs.groups:
        world.groups[doc.name] = _labelled(doc, f"group {doc.name}")
        validate(EnvironmentGroupDoc, doc.value, problems)
    for doc in docs.environments:
        _add_env(world, _labelled(doc, f"environment {doc.name}"), problems)
    _check_promotions(world, problems)
    check_declared_capacity([layers.env for _, layers in sorted(world.envs.items())], problems)
    for doc in docs.layers:
        app_type = validate(AppTypeDoc, doc.value, problems)
        if app_type is not None and app_type.for_ not in kind_names():
            problems.add(f"for: {app_type.for_!r} is not a resource kind"
                         + did_you_mean(app_type.for_, kind_names(), known="kinds"), doc.where("for"))
    _resolve_app_types(world, [_labelled(d, f"app-type {d.name}") for d in docs.layers], problems)
    for project_dir, doc in docs.projects.items():
        _add_project(world, project_dir, _labelled(doc, f"project {doc.name}"), problems)
    _check_layer_keys(world, problems)
    return world


def _labelled(doc: Doc, layer: str) -> Doc:
    return Doc(doc.kind, doc.name, relayer(doc.value, layer), doc.file)


def _settings_only(value: Value) -> Value:
    return Value({k: v for k, v in value.data.items() if k not in ENVELOPE_KEYS}, value.origin)


def _add_env(world: World, doc: Doc, problems: Problems) -> None:
    group = doc.get("group")
    world.broken_envs[doc.name] = group.data if group is not None and isinstance(group.data, str) else ""
    model = validate(EnvironmentDoc, doc.value, problems)
    if model is None:
        return
    group_doc = world.groups.get(model.group)
    if group_doc is None:
        problems.add(f"environment {doc.name} names group {model.group!r}, which has no file under "
                     "environments/groups/" + did_you_mean(model.group, world.groups, known="groups"),
                     doc.where("group"))
        return
    rule = rule_for_model(EnvironmentSettings)
    merged = merge(_settings_only(group_doc.value), _settings_only(doc.value), rule, problems.items.append)
    settings = validate(EnvironmentSettings, merged or Value({}, doc.origin), problems)
    if settings is not None:
        env = Env(doc.name, model.group, settings, doc.origin, (group_doc.file, doc.file),
                  _env_ref_origins(doc, group_doc, merged), merged)
        world.envs[doc.name] = EnvLayers(env, group_doc, doc, merged)
        del world.broken_envs[doc.name]
        check_delivery(env, merged, problems)
        check_environment(env, problems)


def _env_ref_origins(doc: Doc, group_doc: Doc, merged: Value | None) -> dict[str, Origin]:
    found = {"env.name": doc.where("name"), "env.group": doc.where("group")}
    listed = _child(merged, "clusters")
    first = listed.data[0] if listed is not None and listed.is_list and listed.data else None
    cluster = _child(_child(merged, "cluster") or first, "name")     # `${env.cluster}`: the first cluster
    if cluster is not None:
        found["env.cluster"] = cluster.origin
    found.update({f"group.vars.{k}": v.origin for k, v in _vars(group_doc.get("vars"))})
    found.update({f"env.vars.{k}": v.origin for k, v in _vars(_child(merged, "vars"))})
    return found


def _child(value: Value | None, key: str) -> Value | None:
    return value.data.get(key) if value is not None and value.is_map else None


def _vars(holder: Value | None) -> list[tuple[str, Value]]:
    return list(holder.data.items()) if holder is not None and holder.is_map else []


def _check_layer_keys(world: World, problems: Problems) -> None:
    """`defaults.<Kind>` must name a resource kind and `appTypes.<name>` an app type: a misspelt
    key would otherwise be a layer that never applies."""
    docs = [*world.groups.values(), *(layers.env_doc for layers in world.envs.values()),
            *(doc for doc, _model in world.projects.values())]
    for doc in docs:
        for section, known in (("defaults", kind_names()), ("appTypes", world.app_types)):
            if doc.kind == "Project" and section == "appTypes":
                continue
            holder = doc.get(section)
            for key, value in holder.data.items() if holder is not None and holder.is_map else ():
                if key not in known:
                    what = "resource kind" if section == "defaults" else "app type"
                    problems.add(f"{section}.{key}: no {what} is named {key!r}"
                                 + did_you_mean(key, known, known=f"{what}s"), value.key_origin or value.origin)


def _check_promotions(world: World, problems: Problems) -> None:
    """`promotion.from` names another known environment (SPEC §3; `strata promote` reads it).
    An environment whose own file has errors still counts as known (no follow-on error here)."""
    known = world.env_names()
    for name, layers in sorted(world.envs.items()):
        promotion = layers.env.settings.promotion
        if promotion is None or (promotion.from_ in known and promotion.from_ != name):
            continue
        where = promotion_origin(layers)
        if promotion.from_ == name:
            if where is not None and where.file == layers.env_doc.file:   # a group's may name one of its own
                problems.add(f"environment {name} cannot be promoted from itself (promotion.from: {name})", where)
        else:
            hint = " (that is a group; name one of its environments)" if promotion.from_ in world.groups else \
                did_you_mean(promotion.from_, known, known="environments")
            problems.add(f"promotion.from: environment {name} names {promotion.from_!r}, which is not an "
                         f"environment{hint}", where)


def promotion_origin(layers: EnvLayers) -> Origin | None:
    """Where `promotion.from` of an environment is written: its own file, else its group's."""
    for doc in (layers.env_doc, layers.group_doc):
        promotion = doc.get("promotion")
        if promotion is not None and promotion.is_map and "from" in promotion.data:
            return promotion.data["from"].origin
    return None


def _resolve_app_types(world: World, docs: list[Doc], problems: Problems) -> None:
    by_name = {d.name: d for d in docs}
    for doc in docs:
        chain = _chain(doc, by_name, problems)
        kind = doc.get("for")
        if chain is None or kind is None:
            continue
        for base in chain[:-1]:
            base_kind = base.get("for")
            if base_kind is not None and base_kind.data != kind.data:
                problems.add(f"app type {doc.name} (for {kind.data}) extends {base.name}, which is for "
                             f"{base_kind.data}", doc.where("extends"))
        world.app_types[doc.name] = AppType(doc.name, kind.data, chain, doc)


def _chain(doc: Doc, by_name: dict[str, Doc], problems: Problems) -> list[Doc] | None:
    chain = [doc]
    while (parent := chain[-1].get("extends")) is not None:
        base = by_name.get(parent.data)
        if base is None:
            problems.add(f"app type {chain[-1].name} extends unknown app type {parent.data!r}", parent.origin)
            return None
        if base in chain:
            cycle = " -> ".join([d.name for d in chain] + [base.name])
            problems.add(f"app types extend each other in a cycle: {cycle}", doc.where("extends"))
            return None
        chain.append(base)
    return list(reversed(chain))


def _add_project(world: World, project_dir: str, doc: Doc, problems: Problems) -> None:
    folder = Path(project_dir).name
    if doc.name != folder:
        problems.add(f"project name {doc.name!r} must match its folder {folder!r}", doc.where("name"))
    model = validate(ProjectDoc, doc.value, problems)
    if model is None:
        return
    known = set(world.known_targets())
    for item in doc.value.data["environments"].data:   # present: validated above
        if item.data not in known:
            problems.add(f"unknown environment or group {item.data!r}" + did_you_mean(str(item.data), known),
                         item.origin)
    world.projects[doc.name] = (doc, model)
    world.project_dirs[doc.name] = project_dir


def project_in_env(world: World, name: str, env_name: str, problems: Problems) -> Project | None:
    """The project as seen from one environment: namespace suffix, merged quota."""
    doc, model = world.projects[name]
    env = world.envs[env_name].env
    merged = _merged_quota(doc, env, problems)
    quota = validate(Quota, merged, problems, context="quota: ", target=f"project {name}", env=env_name) \
        if merged is not None else Quota()
    if quota is None:
        return None
    refs = {"project.name": doc.where("name"), **{f"project.vars.{k}": v.origin for k, v in _vars(doc.get("vars"))}}
    project = Project(name, model, env, quota, doc.origin, doc.file, merged, refs)
    check_quota_gpu_types(project, problems)
    check_project_limits(project, doc.get("limits"), problems)
    return project


def projects_in_env(world: World, env_name: str, known: Iterable[Project] = ()) -> list[Project]:
    """Every project deploying to `env_name`, selected or not, in name order (`known`: ones already
    built). Problems of the others are left to the compile that selects them."""
    have = {p.name: p for p in known if p.env.name == env_name}
    found = []
    for name, (_doc, model) in sorted(world.projects.items()):
        if env_name not in world.expand(model.environments) or env_name not in world.envs:
            continue
        project = have.get(name) or project_in_env(world, name, env_name, Problems())
        if project is not None:
            found.append(project)
    return found


def _merged_quota(doc: Doc, env: Env, problems: Problems) -> Value | None:
    """`quota.default`, then `quota.overrides.<group>`, then `quota.overrides.<env>`."""
    quota = doc.get("quota")
    if quota is None:
        return None
    rule = rule_for_model(Quota)
    merged: Value | None = quota.data.get("default")
    overrides = quota.data.get("overrides")
    for key in (env.group, env.name):
        layer = overrides.data.get(key) if overrides is not None and overrides.is_map else None
        if layer is not None:
            merged = merge(merged, layer, rule, problems.items.append)
    return merged or Value({}, quota.origin)
