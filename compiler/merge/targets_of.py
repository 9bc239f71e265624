"""Target expansion: which resource goes to which environment (SPEC §2).

The project's `environments:` (groups expand to their environments), narrowed
by the resource's optional `deployTo:`.
"""
from __future__ import annotations

from dataclasses import dataclass

from compiler.errors import Problems
from compiler.load.documents import Documents
from compiler.merge.command_layer import CommandLayer
from compiler.merge.layering import RunMemo, build_target, check_lock_paths, label_resource, resource_envelope
from compiler.merge.world import World, project_in_env
from compiler.suggest import did_you_mean
from compiler.targets import Project, Target

UNKNOWN_SELECTION = "unknown-selection"   # Problem.code of an --env/--project this repo lacks


@dataclass(frozen=True)
class Selection:
    envs: tuple[str, ...] = ()
    projects: tuple[str, ...] = ()
    cells: frozenset[tuple[str, str]] | None = None   # only these (env, project) pairs: a shard's (compiler/shard)

    def wants(self, env: str, project: str) -> bool:
        return ((not self.envs or env in self.envs) and (not self.projects or project in self.projects)
                and (self.cells is None or (env, project) in self.cells))


def check_selection(world: World, selection: Selection, problems: Problems) -> None:
    for env in selection.envs:
        if env not in world.env_names():
            problems.add(f"--env {env}: no such environment{_known(env, world.envs)}",
                         code=UNKNOWN_SELECTION, subject=env)
    for project in selection.projects:
        if project not in world.projects:
            problems.add(f"--project {project}: no such project{_known(project, world.projects)}",
                         code=UNKNOWN_SELECTION, subject=project)


def _known(name: str, names) -> str:
    return did_you_mean(name, names, quote=False)


def build_targets(world: World, docs: Documents, selection: Selection, problems: Problems,
                  command: CommandLayer | None = None, *, raw_trees: bool = True) -> tuple[list[Project], list[Target]]:
    """Every selected (project, environment) pair and every target in it (`command`: a run's
    `--set` layer, for the one target it names; `raw_trees`: keep each target's `raw_tree`)."""
    for doc in [*world.groups.values(), *(layers.env_doc for layers in world.envs.values())]:
        check_lock_paths(doc, problems)
    all_projects: list[Project] = []
    targets: list[Target] = []
    memo = RunMemo()   # shared by every target of this run
    for name in sorted(world.projects):
        _doc, model = world.projects[name]
        project_envs = world.expand(model.environments)
        projects = {env: project_in_env(world, name, env, problems)
                    for env in project_envs if env in world.envs and selection.wants(env, name)}
        all_projects += [p for p in projects.values() if p is not None]
        for resource in map(label_resource, docs.resources.get(world.project_dirs[name], [])):
            envelope = resource_envelope(resource, problems)
            if envelope is None or not _app_type_ok(world, resource, envelope, problems):
                continue
            for env in _resource_envs(world, project_envs, resource, envelope, problems):
                project = projects.get(env)
                if project is not None:
                    extra = command.value if command and command.applies_to(name, resource.kind, resource.name, env) \
                        else None
                    target = build_target(world, project, resource, envelope, problems, memo, extra, raw_tree=raw_trees)
                    if target is not None:
                        targets.append(target)
    return all_projects, targets


def _app_type_ok(world: World, resource, envelope, problems: Problems) -> bool:
    if envelope.appType is None:
        return True
    app_type = world.app_types.get(envelope.appType)
    where = resource.get("appType").origin
    if app_type is None:
        problems.add(f"unknown app type {envelope.appType!r} (known: {', '.join(sorted(world.app_types))})", where)
        return False
    if app_type.for_kind != resource.kind:
        problems.add(f"app type {app_type.name} is for {app_type.for_kind}, not {resource.kind}", where)
        return False
    return True


def _resource_envs(world: World, project_envs: list[str], resource, envelope, problems: Problems) -> list[str]:
    envs = project_envs
    if envelope.deployTo is not None:
        wanted = set()
        for item in resource.get("deployTo").data:
            expanded = world.expand([item.data])
            if not expanded:
                problems.add(f"deployTo: unknown environment or group {item.data!r}"
                             + did_you_mean(str(item.data), world.known_targets()), item.origin)
            elif not set(expanded) & set(project_envs):
                problems.add(f"deployTo: {item.data} is not among the project's environments "
                             f"({', '.join(project_envs)})", item.origin)
            wanted.update(expanded)
        envs = [env for env in project_envs if env in wanted]
    _check_override_keys(world, resource, envs, problems)
    return envs


def _check_override_keys(world: World, resource, envs: list[str], problems: Problems) -> None:
    """`overrides.<key>` names an environment or group this resource is deployed to: any
    other key is a layer that never applies (a typo, or a leftover)."""
    overrides = resource.get("overrides")
    if overrides is None or not overrides.is_map:
        return
    known = set(world.known_targets())
    for key, value in overrides.data.items():
        where = value.key_origin or value.origin
        if key not in known:
            problems.add(f"overrides.{key}: no environment or group is named {key!r}"
                         + did_you_mean(key, known), where)
        elif not set(world.expand([key])) & set(envs):
            problems.add(f"overrides.{key}: this resource is not deployed to {key} (it goes to "
                         f"{', '.join(envs) or 'no environment'}), so these overrides never apply", where)
