"""Stage 5, render: every target through its kind's renderer, then per-project objects and checks."""
from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from itertools import groupby

from compiler.kinds import kind_of
from compiler.render import RenderContext
from compiler.targets import Emitted, Project, Target


def render_all(build, ctx: RenderContext, *, render_only: Callable[[Target], bool] | None = None,
               progress: Callable[[int, int], None] | None = None) -> list[Emitted]:
    for target in build.targets:
        ctx.targets[(target.env.name, target.project.name, target.kind, target.name)] = target
    ordered = sorted(build.targets, key=_order)
    todo = [t for t in ordered if kind_of(t.kind).deployed and (render_only is None or render_only(t))]
    emitted: list[Emitted] = []
    # Helm renders in native code that releases the GIL, so a small thread pool overlaps
    # it with the Python work of other targets; results come back in `todo` order.
    with ThreadPoolExecutor(max_workers=_workers()) as pool:
        for done, objects in enumerate(pool.map(lambda t: _render_target(t, ctx), todo), 1):
            emitted += objects
            if progress:
                progress(done, len(todo))
    emitted += _render_projects(build.projects, ordered, ctx)
    return emitted


def _workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def _order(target: Target) -> tuple:
    return (target.env.name, target.project.name, target.kind, target.name)


def _render_target(target: Target, ctx: RenderContext) -> list[Emitted]:
    from compiler.check import policy

    policy.check_policies(target, ctx)
    renderer = kind_of(target.kind).renderer
    objects = renderer.render(target, ctx) if renderer is not None else []
    policy.check_objects(target, objects, ctx)
    return [Emitted(target.env.name, target.project.name, target.resource, target.folder, obj, target)
            for obj in objects]


def _render_projects(all_projects: list[Project], ordered: list[Target], ctx: RenderContext) -> list[Emitted]:
    """Per environment: each project's objects (+ the env's shared Kueue flavors) and cross-project checks."""
    from compiler.check.quota import check_quota
    from compiler.render.project import check_namespaces, check_queue_names, render_projects

    members = {key: list(group) for key, group in groupby(ordered, key=lambda t: (t.env.name, t.project.name))}
    by_env: dict[str, list[Project]] = defaultdict(list)
    for project in all_projects:
        by_env[project.env.name].append(project)
    emitted: list[Emitted] = []
    for env, projects in sorted(by_env.items()):
        targets_of = {p.name: members.get((env, p.name), []) for p in projects}
        for project in sorted(projects, key=lambda p: p.name):
            check_quota(project, targets_of[project.name], ctx.problems)
        by_name = {p.name: p for p in projects}
        for name, objects in sorted(render_projects(projects, targets_of, ctx).items()):
            emitted += [Emitted(env, name, f"project.{name}", f"{env}/{name}", obj, None, by_name[name])
                        for obj in objects]
    check_queue_names(by_env, ctx.problems)
    check_namespaces(by_env, ctx.problems)
    return emitted
