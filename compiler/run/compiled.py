"""The run's source: its target compiled with the `--set` layer, and the committed object it copies.

The target's project is compiled in the run's environment with the same stages as
`strata compile` (`load_stage` with the `--set` layer → `render_stage`), so a value a
lock, a policy or the project's quota would refuse in a commit is refused here, at the
same file:line. What the run copies: the Job's training job or batch Job; for a Job with
a `schedule`, its CronWorkflow (a run of the schedule, once); for a Pipeline, its
WorkflowTemplate.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compiler.errors import Problem, StrataError
from compiler.kinds import kind_names
from compiler.merge.command_layer import SET_LAYER, CommandLayer, command_layer
from compiler.merge.targets_of import Selection
from compiler.run.model import RUNNABLE
from compiler.suggest import did_you_mean
from compiler.targets import Target


@dataclass(frozen=True)
class Compiled:
    target: Target
    committed: dict[str, Any]        # the compiled object the run is made from
    build: Any                       # the render stage's Build (explain of the --set paths)
    command: CommandLayer | None
    warnings: tuple = ()


def compile_run(repo: Path, ref: str, env: str, settings: tuple[str, ...]) -> Compiled:
    from compiler.pipeline import load_stage, render_stage

    project, kind, name = parse_ref(ref)
    command = command_layer(project, kind, name, env, settings) if settings else None
    build = render_stage(load_stage(repo, Selection((env,), (project,)), command=command))
    target = _target(build, project, kind, name, env)
    if command is not None and kind == "Pipeline":
        _check_params(target, command)
    objects = [e.obj for e in build.emitted if e.target is not None and e.target.identity == target.identity
               and e.env == env]
    return Compiled(target, _committed(target, objects), build, command, tuple(build.warnings))


def parse_ref(ref: str) -> tuple[str, str, str]:
    """`<project>/<Kind>/<name>` with the kind in any case → (project, Kind, name)."""
    parts = ref.split("/")
    kinds = {k.lower(): k for k in kind_names()}
    if len(parts) != 3 or not all(parts):
        raise StrataError(f"{ref}: name a resource as <project>/<Kind>/<name> (demo/Job/train)")
    kind = kinds.get(parts[1].lower())
    if kind is None:
        raise StrataError(f"{ref}: no kind {parts[1]!r}" + did_you_mean(parts[1], RUNNABLE, known="kinds"))
    if kind not in RUNNABLE:
        raise StrataError(f"{ref}: strata run starts a Job or a Pipeline; a {kind} is delivered by apply")
    return parts[0], kind, parts[2]


def _target(build: Any, project: str, kind: str, name: str, env: str) -> Target:
    for target in build.targets:
        if (target.project.name, target.kind, target.name, target.env.name) == (project, kind, name, env):
            return target
    known = [t.identity for t in build.targets if t.kind in RUNNABLE and t.env.name == env]
    raise StrataError(f"{project}/{kind}/{name}: no such resource deployed to environment {env}"
                      + did_you_mean(f"{project}/{kind}/{name}", known))


def _check_params(target: Target, command: CommandLayer) -> None:
    """`params[x]` must name a declared param: a new one would reach no step (and is a typo)."""
    params = (target.tree.data.get("params") if target.tree is not None and target.tree.is_map else None)
    added = [item.data["name"].data for item in (params.data if params is not None and params.is_list else [])
             if item.is_map and "name" in item.data and item.data["name"].origin.layer == SET_LAYER
             and not item.data["name"].overrode]      # a name --set wrote that no lower layer had
    if added:
        declared = [p.name for p in target.spec.params if p.name not in added]
        raise StrataError([Problem(f"--set: pipeline {target.name} declares no param {name!r}"
                                   + did_you_mean(name, declared, known="its params")) for name in added])


def _committed(target: Target, objects: list[dict[str, Any]]) -> dict[str, Any]:
    wanted = "WorkflowTemplate" if target.kind == "Pipeline" else "CronWorkflow" if target.spec.schedule else None
    found = [o for o in objects if wanted is None or o["kind"] == wanted]
    if len(found) != 1:     # a renderer change would land here, not a user's mistake
        raise StrataError(f"{target.identity} in {target.env.name} compiles to {len(found)} runnable objects, expected one")
    return found[0]
