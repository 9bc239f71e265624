"""GPU capacity: demand computed from the rendered objects, checks, and reports (docs/capacity.md).

    demand.py    one rule per kind: an object → its GPUs per pool, fewest and most at once
    workflow.py  Argo: the most GPUs a run holds at once; how many runs of a schedule overlap
    gpus.py      a pod's GPUs and the pool it lands in
    checks.py    oversubscribed quotas, pods larger than a node, gangs larger than their queue
    report.py    per environment: pools, projects, workloads (manifest.json, `strata capacity`)
    formats.py   `strata capacity` as text, markdown or JSON

`environment_reports` is the entry point for a rendered build.
"""
from __future__ import annotations

from collections.abc import Mapping

from compiler.capacity.report import EnvCapacity, EnvFacts, Line, lines_of, summarize
from compiler.targets import Env


def selected_envs(build) -> dict[str, Env]:
    """The environments a build compiled (its --env selection, else all)."""
    wanted = build.selection.envs
    return {name: layers.env for name, layers in sorted(build.world.envs.items()) if not wanted or name in wanted}


def environment_reports(build, lines: Mapping[str, list[Line]] | None = None) -> list[EnvCapacity]:
    """Each selected environment's figures: every project's quota there, and the GPU lines of the
    build's rendered targets (or `lines`, per environment, when some targets were not rendered)."""
    from compiler.merge.world import projects_in_env

    envs = selected_envs(build)
    lines = lines if lines is not None else lines_of(build.emitted, envs)
    return [summarize(EnvFacts.of(env, projects_in_env(build.world, name, build.projects)), lines.get(name, []),
                      complete=not build.selection.projects)
            for name, env in envs.items()]
