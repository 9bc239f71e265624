"""Which targets a plan renders: those a changed file can affect, on both sides alike.

A target's objects depend only on its inputs, so a target whose inputs are the same
at the base revision and in the working tree has the same objects on both sides and
cannot appear in the plan: it is loaded (merged and validated) but not rendered.
The rule (docs/plan.md) renders a target when
  1. it exists on one side only (it is being added or destroyed), or
  2. one of its input files (`target.files`, on the base or the head side) changed, or
  3. a resource it may reference, in its project and environment, has a changed input
     file: a Service resolves its Model, a Pipeline embeds its Jobs, every workload
     (Job, Service, Notebook, Pipeline) mounts Datasets, or
  4. a file changed inside its project folder that no target lists (a Jsonnet library
     the project imports), or
  5. a changed input file outside `projects/` is listed by no target (`strata.yaml`,
     a Jsonnet library): then every target is rendered.

Before that, `touched_projects` narrows the loading: when every changed input lies in
`projects/<p>/` folders, only those projects can change, so only they are loaded.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from compiler.kinds import kind_of

Key = tuple[str, str, str]
NOT_INPUTS = (".md", ".markdown", ".rst", ".txt")
# kind → the kinds whose objects embed or point at it (inside one project and environment)
REFERENCED_BY = {"Dataset": ("Job", "Service", "Notebook", "Pipeline"), "Job": ("Pipeline",), "Model": ("Service",)}


def target_key(target: Any) -> Key:
    """(env, project, resource) — the same triple an Emitted carries."""
    return (target.env.name, target.project.name, kind_of(target.kind).resource(target.name))


def project_folder(target: Any) -> str:
    return str(PurePosixPath(target.project.file).parent)


def is_input(path: str, output: str = "out") -> bool:
    """Files that cannot shape a compile: docs, dot-folders (CI, git), the output folder."""
    parts = PurePosixPath(path).parts
    if not parts or parts[0] == output or any(p.startswith(".") for p in parts):
        return False
    return not path.endswith(NOT_INPUTS)


def touched_projects(changed: Iterable[str], output: str = "out") -> frozenset[str] | None:
    """The projects the changed input files can affect; None when the change reaches beyond
    project folders (an environment, a layer, a chart: any project may change)."""
    touched = set()
    for path in changed:
        if not is_input(path, output):
            continue
        if not _project_owned(path):
            return None
        touched.add(PurePosixPath(path).parts[1])
    return frozenset(touched)


@dataclass(frozen=True)
class Scope:
    """The `render_only` predicate both sides are compiled with."""

    keys: frozenset[Key]

    def __call__(self, target: Any) -> bool:
        return target_key(target) in self.keys

    @classmethod
    def build(cls, changed: Iterable[str], head: Iterable[Any], base: Iterable[Any], output: str = "out") -> Scope:
        changed = frozenset(p for p in changed if is_input(p, output))
        head, base = list(head), list(base)
        targets = head + base
        claimed = frozenset(f for t in targets for f in t.files)
        folders = {project_folder(t) for t in targets}
        unclaimed = changed - claimed
        if any(not _project_owned(p) and not any(_inside(p, f) for f in folders) for p in unclaimed):
            return cls(frozenset(map(target_key, targets)))
        dirty_folders = {f for f in folders if any(_inside(p, f) for p in unclaimed)}
        dependents = _dependents(changed, targets)
        affected = {target_key(t) for t in targets if _affected(t, changed, dependents, dirty_folders)}
        one_sided = set(map(target_key, head)) ^ set(map(target_key, base))
        return cls(frozenset(affected | one_sided))


def _affected(target: Any, changed: frozenset[str], dependents: frozenset, dirty_folders: set[str]) -> bool:
    if not changed.isdisjoint(target.files):
        return True
    return (target.env.name, target.project.name, target.kind) in dependents or project_folder(target) in dirty_folders


def _dependents(changed: frozenset[str], targets: list[Any]) -> frozenset[tuple[str, str, str]]:
    """(env, project, kind) of the kinds that may reference a resource whose inputs changed."""
    return frozenset((t.env.name, t.project.name, kind) for t in targets if not changed.isdisjoint(t.files)
                     for kind in REFERENCED_BY.get(t.kind, ()))


def _project_owned(path: str) -> bool:
    """A file in `projects/<p>/`: it belongs to project `p` (the folder is named after it)."""
    parts = PurePosixPath(path).parts
    return len(parts) > 2 and parts[0] == "projects"


def _inside(path: str, folder: str) -> bool:
    return path.startswith(folder.rstrip("/") + "/")
