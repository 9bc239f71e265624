"""Stage 5, render: every target through its kind's renderer, then per-project objects and checks.

`render_target` is a function of one target and what its references resolved to
(from the target graph): it returns a frozen `Rendered` and touches nothing
shared, so targets render in any order, on any worker.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from compiler.check import policy
from compiler.delivery.annotate import for_delivery
from compiler.errors import Problem
from compiler.graph.build import Graph
from compiler.kinds import PLATFORM, PLATFORM_RESOURCE, kind_of
from compiler.render import RenderContext, Rendered
from compiler.render.job import JOB_KINDS as KUBEFLOW_KINDS
from compiler.render.patch import apply_patches
from compiler.targets import Emitted, Key, Project, Target, target_key

if TYPE_CHECKING:
    from compiler.capacity.demand import Demands


@dataclass(frozen=True)
class RenderSettings:
    """What every render of one run shares: where charts live, and the loaded-chart memo."""

    repo: Path
    chart_dirs: tuple[Path, ...] = ()
    charts: dict[Any, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class RenderResult:
    rendered: Mapping[Key, Rendered]          # the targets rendered, by key
    emitted: tuple[Emitted, ...]              # their objects and every project's, in output order
    problems: tuple[Problem, ...]
    warnings: tuple[Problem, ...]


def render_target(target: Target, references: Mapping[tuple[str, str], Target | None],
                  settings: RenderSettings) -> Rendered:
    """One target's objects (policies checked on its spec and on them), values and records."""
    ctx = RenderContext(repo=settings.repo, chart_dirs=settings.chart_dirs, references=references,
                        cache=settings.charts)
    policy.check_policies(target, ctx)
    renderer = kind_of(target.kind).renderer
    objects = renderer.render(target, ctx) if renderer is not None else []
    if target.kind == "Job":   # job.py patched the job object itself (it may be embedded in a workflow)
        objects = apply_patches(target, objects, ctx, pods=False, exclude=frozenset(KUBEFLOW_KINDS))
    else:
        objects = apply_patches(target, objects, ctx)
    policy.check_objects(target, objects, ctx)
    return ctx.rendered(for_delivery(target.env, objects))


def render_all(targets: list[Target], projects: list[Project], graph: Graph, settings: RenderSettings, *,
               render_only: Callable[[Target], bool] | None = None,
               progress: Callable[[int, int], None] | None = None,
               peers: list[Project] | Callable[[Demands], list[Project]] | None = None) -> RenderResult:
    """Every target `render_only` accepts in memory (validate, plan, apply, docs, a shard; `strata
    compile` streams its output through compiler.render.workers instead, with the same functions),
    then the projects' objects and checks, then each environment's platform target. `peers`: every
    project, when `projects` are some of them (a shard's): the cross-project checks compare them
    all (see `_render_projects`); or a function of the rendered targets and their GPU demand that
    says which (a plan's: compiler.pipeline.gang_peers)."""
    todo = renderable(targets, render_only)
    rendered: dict[Key, Rendered] = {}
    # Helm renders in native code that releases the GIL, so a small thread pool overlaps
    # it with the Python work of other targets; results come back in `todo` order.
    with ThreadPoolExecutor(max_workers=_workers()) as pool:
        jobs = pool.map(lambda t: render_target(t, graph.resolved(target_key(t)), settings), todo)
        for done, (target, result) in enumerate(zip(todo, jobs, strict=True), 1):
            rendered[target_key(target)] = result
            if progress:
                progress(done, len(todo))
    emitted = [Emitted(t.env.name, t.project.name, t.resource, t.folder, obj, t)
               for t in todo for obj in rendered[target_key(t)].objects]
    if callable(peers):
        from compiler.capacity.demand import demand_of

        peers = peers([(t, demand_of(t, rendered[target_key(t)].objects)) for t in todo])
    report = RenderContext(repo=settings.repo)   # project objects and cross-project checks
    emitted += render_shared(projects, graph, report, peers)
    problems = [p for r in rendered.values() for p in r.problems] + report.problems.items
    warnings = [w for r in rendered.values() for w in r.warnings] + report.warnings.items
    return RenderResult(rendered, tuple(emitted), tuple(problems), tuple(warnings))


def renderable(targets: list[Target], render_only: Callable[[Target], bool] | None = None) -> list[Target]:
    """The targets to render, in output order: deployed kinds, those `render_only` keeps."""
    ordered = sorted(targets, key=_order)
    return [t for t in ordered if kind_of(t.kind).deployed and (render_only is None or render_only(t))]


def render_shared(projects: list[Project], graph: Graph, report: RenderContext,
                  peers: list[Project] | None = None) -> list[Emitted]:
    """What no one target renders: every project's objects (with the cross-project checks,
    reported into `report`) and each environment's platform target."""
    return _render_projects(projects, graph, report, peers) + _render_platforms(graph)


def _workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def _order(target: Target) -> tuple:
    return (target.env.name, target.project.name, target.kind, target.name)


def _render_platforms(graph: Graph) -> list[Emitted]:
    """Each environment's platform target: a function of its settings alone (with what its
    delivery engine needs on every object, as on the projects')."""
    from compiler.render.platform import render_platform

    return [Emitted(node.env.name, PLATFORM, PLATFORM_RESOURCE, node.folder, obj, env_ref=node.env)
            for node in graph.platforms for obj in for_delivery(node.env, render_platform(node.env))]


def _render_projects(all_projects: list[Project], graph: Graph, ctx: RenderContext,
                     peers: list[Project] | None = None) -> list[Emitted]:
    """Per environment: each project's objects and the cross-project checks. With `peers` (a
    shard's or a delta compile's: every project), their queue objects are rendered too, for the
    capacity checks (a Job may name another project's Volcano queue), and they are compared;
    only `all_projects` are quota-checked (each with its targets), rendered whole and written."""
    from compiler.check.quota import check_quota
    from compiler.render.project import check_namespaces, check_queue_names, queue_objects, render_project

    members = {(p.project.env.name, p.project.name): [graph.nodes[k].target for k in p.members]
               for p in graph.projects}
    checked = {(p.env.name, p.name) for p in all_projects}
    by_env = _by_env(all_projects if peers is None else peers)
    emitted: list[Emitted] = []
    for env, projects in sorted(by_env.items()):
        ordered = sorted(projects, key=lambda p: p.name)
        targets_of = {p.name: sorted(members.get((env, p.name), []), key=_order) for p in ordered}
        for project in ordered:
            if (env, project.name) in checked:
                check_quota(project, targets_of[project.name], ctx.problems)
        for project in ordered:
            if (env, project.name) not in checked:   # only read by the checks: nothing to annotate
                emitted += _project_items(project, queue_objects(project))
            else:
                objects = render_project(project, targets_of[project.name], ctx)
                emitted += _project_items(project, for_delivery(project.env, objects))
    check_queue_names(by_env, ctx.problems)
    check_namespaces(by_env, ctx.problems)
    return emitted


def _project_items(project: Project, objects: list[dict]) -> list[Emitted]:
    env, name = project.env.name, project.name
    return [Emitted(env, name, f"project.{name}", f"{env}/{name}", obj, None, project) for obj in objects]


def _by_env(projects: list[Project]) -> dict[str, list[Project]]:
    by_env: dict[str, list[Project]] = {}
    for project in projects:
        by_env.setdefault(project.env.name, []).append(project)
    return by_env
