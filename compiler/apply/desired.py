"""The desired state: the environment compiled in memory by the same stages as `strata compile`.

Apply never reads `out/` as its source of truth: it loads and renders the environment
(`compiler.pipeline.load_stage` / `render_stage`), so what is applied is what the
config says now. Each object is labelled as a member of its target group's ApplySet.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from compiler.apply.applyset import PART_OF, group_id, with_membership
from compiler.apply.model import Desired, Ref
from compiler.apply.order import apply_rank
from compiler.errors import Problem, StrataError
from compiler.targets import Emitted, Env


@dataclass(frozen=True)
class DesiredSet:
    env: Env
    projects: tuple[str, ...]          # the --project selection (empty: the whole environment)
    objects: tuple[Desired, ...]       # in apply order
    groups: tuple[str, ...]            # every target group with at least one object
    warnings: tuple = ()               # the compile's warnings (Problems), printed by the command

    @property
    def digest(self) -> str:
        return desired_digest(self.objects)

    def of_group(self, group: str) -> list[Desired]:
        return [d for d in self.objects if d.group == group]


def compile_desired(repo: Path, env: str, projects: tuple[str, ...] = ()) -> DesiredSet:
    """Compile `env` (only `projects`, if given) in memory; raises StrataError on bad input."""
    from compiler.merge.targets_of import Selection
    from compiler.pipeline import load_stage, render_stage

    build = render_stage(load_stage(repo, Selection((env,), tuple(projects))))
    emitted = [e for e in build.emitted if e.env == env and (not projects or e.project in projects)]
    found = desired_set(build.world.envs[env].env, tuple(projects), emitted)
    return DesiredSet(found.env, found.projects, found.objects, found.groups, tuple(build.warnings))


def desired_set(env: Env, projects: tuple[str, ...], emitted: list[Emitted]) -> DesiredSet:
    problems: list[Problem] = []
    seen: dict[Ref, Desired] = {}
    for item in emitted:
        desired = _desired(item, problems)
        other = seen.get(desired.ref)
        if other is not None and other.group != desired.group:
            problems.append(Problem(f"{desired.ref.describe()} in {env.name} is emitted by both {other.group} and "
                                    f"{desired.group}; one ApplySet must own it (move it to one target)"))
        seen.setdefault(desired.ref, desired)
    if problems:
        raise StrataError(problems)
    objects = tuple(sorted(seen.values(), key=_apply_order))
    return DesiredSet(env, projects, objects, tuple(sorted({d.group for d in objects})))


def _desired(item: Emitted, problems: list[Problem]) -> Desired:
    ref = Ref.of(item.obj)
    if PART_OF in ((item.obj.get("metadata") or {}).get("labels") or {}):
        problems.append(Problem(f"{ref.describe()} in {item.env} already carries the label {PART_OF}; "
                                "strata sets it (KEP-3659: a manifest must not)"))
    owner = item.owner
    source = owner.origin.where() if owner is not None and owner.origin is not None else ""
    obj = with_membership(item.obj, group_id(item.env, item.project))
    return Desired(ref, obj, item.env, item.project, item.resource, source)


def _apply_order(d: Desired) -> tuple:
    return (apply_rank(d.api_version, d.ref.kind), d.group, d.ref.namespace, d.ref.name, d.ref.kind)


def desired_digest(objects: tuple[Desired, ...] | list[Desired]) -> str:
    """sha256 of what would be applied, in a canonical form (sorted keys, no spaces)."""
    rows = sorted(([d.group, d.ref.token(), d.obj] for d in objects), key=lambda row: (row[0], row[1]))
    canonical = json.dumps(rows, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
