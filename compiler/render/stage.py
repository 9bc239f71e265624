"""Stage 5, render: every target through its kind's renderer, then per-project objects and checks."""
from __future__ import annotations

from itertools import groupby
from typing import Callable, Optional

from compiler.render import RenderContext
from compiler.render.registry import RENDERERS
from compiler.targets import Emitted, Project, Target

NOT_DEPLOYED = ("Model",)   # a Model has no target folder: Services resolve it


def render_all(build, ctx: RenderContext, *, render_only: Optional[Callable[[Target], bool]] = None,
               progress: Optional[Callable[[int, int], None]] = None) -> list[Emitted]:
    for target in build.targets:
        ctx.targets[(target.env.name, target.project.name, target.kind, target.name)] = target
    ordered = sorted(build.targets, key=_order)
    emitted: list[Emitted] = []
    for done, target in enumerate(ordered, 1):
        if target.kind not in NOT_DEPLOYED and (render_only is None or render_only(target)):
            emitted += _render_target(target, ctx)
        if progress:
            progress(done, len(ordered))
    emitted += _render_projects(build.projects, ordered, ctx)
    return emitted


def _order(target: Target) -> tuple:
    return (target.env.name, target.project.name, target.kind, target.name)


def _render_target(target: Target, ctx: RenderContext) -> list[Emitted]:
    from compiler import policy

    policy.check_policies(target, ctx)
    renderer = RENDERERS.get(target.kind)
    objects = renderer.render(target, ctx) if renderer is not None else []
    policy.check_objects(target, objects, ctx)
    resource = f"{target.kind.lower()}.{target.name}"
    return [Emitted(target.env.name, target.project.name, resource, target.folder, obj, target) for obj in objects]


def _render_projects(all_projects: list[Project], ordered: list[Target], ctx: RenderContext) -> list[Emitted]:
    from compiler.quota import check_quota
    from compiler.render.project import check_queue_names, render_project

    emitted: list[Emitted] = []
    members_of = {key: list(group) for key, group in groupby(ordered, key=lambda t: (t.env.name, t.project.name))}
    projects = {(p.env.name, p.name): (p, members_of.get((p.env.name, p.name), [])) for p in all_projects}
    for (env, name), (project, members) in sorted(projects.items()):
        check_quota(project, members, ctx.problems)
        folder = f"{env}/{name}"
        for obj in render_project(project, members, ctx):
            emitted.append(Emitted(env, name, f"project.{name}", folder, obj, None))
    check_queue_names(projects, ctx)
    return emitted
