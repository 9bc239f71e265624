"""Which targets the base side must render; the others reuse the head's objects.

The rule (docs/plan.md): a base target is rendered when
  1. the head has no such target (it is being destroyed or renamed), or
  2. one of its input files (`target.files`, on the base or the head side) changed, or
  3. a resource it may reference, in its project and environment, is affected by a changed
     file: a Service resolves its Model, a Pipeline embeds its Jobs, every workload
     (Job, Service, Notebook, Pipeline) mounts Datasets; or
  4. a file changed inside its project folder that no target lists (a removed resource,
     a Jsonnet library the project imports), or
  5. a changed input file is listed by no target and lies outside `projects/<p>/`
     (a chart, `strata.yaml`, a Jsonnet library): then every target is rendered.
Everything else has the same inputs on both sides, hence the same objects.

Before that, `touched_projects` narrows both compiles: when every changed input lies in
`projects/<p>/` folders, only those projects can change, so only they are compiled.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, Iterable

NOT_INPUTS = (".md", ".markdown", ".rst", ".txt")
# kind → the kinds whose objects embed or point at it (inside one project and environment)
REFERENCED_BY = {"Dataset": ("Job", "Service", "Notebook", "Pipeline"), "Job": ("Pipeline",), "Model": ("Service",)}


def target_key(target: Any) -> tuple[str, str, str]:
    """(env, project, resource) — the same triple an Emitted carries."""
    return (target.env.name, target.project.name, f"{target.kind.lower()}.{target.name}")


def project_folder(target: Any) -> str:
    return str(PurePosixPath(target.project.file).parent)


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


def is_input(path: str, output: str = "out") -> bool:
    """Files that cannot shape a compile: docs, dot-folders (CI, git), the output folder."""
    parts = PurePosixPath(path).parts
    if not parts or parts[0] == output or any(p.startswith(".") for p in parts):
        return False
    return not path.endswith(NOT_INPUTS)


@dataclass
class BaseScope:
    changed: frozenset[str]
    head_files: dict[tuple[str, str, str], frozenset[str]]
    everything: bool
    changed_folders: frozenset[str]
    dependents: frozenset[tuple[str, str, str]]   # (env, project, kind) referencing an affected resource
    rendered: set[tuple[str, str, str]] = field(default_factory=set)
    reused: set[tuple[str, str, str]] = field(default_factory=set)

    @classmethod
    def build(cls, changed: Iterable[str], head_targets: Iterable[Any], output: str = "out") -> "BaseScope":
        changed = frozenset(p for p in changed if is_input(p, output))
        targets = list(head_targets)
        head_files = {target_key(t): frozenset(t.files) for t in targets}
        folders = {project_folder(t) for t in targets}
        claimed = frozenset().union(*head_files.values()) if head_files else frozenset()
        unclaimed = changed - claimed
        in_folder = {f for f in folders if any(_inside(p, f) for p in unclaimed)}
        # a project folder the head lacks is a removed project: its base targets go by rule 1
        loose = [p for p in unclaimed if not _project_owned(p) and not any(_inside(p, f) for f in folders)]
        return cls(changed, head_files, bool(loose), frozenset(in_folder), _dependents(changed, targets))

    def __call__(self, target: Any) -> bool:
        """The `render_only` predicate of the base compile; records its answer."""
        key = target_key(target)
        render = self._needs_render(target, key)
        (self.rendered if render else self.reused).add(key)
        return render

    def _needs_render(self, target: Any, key: tuple[str, str, str]) -> bool:
        if self.everything or key not in self.head_files:
            return True
        if (target.env.name, target.project.name, target.kind) in self.dependents:
            return True
        if project_folder(target) in self.changed_folders:
            return True
        return not self.changed.isdisjoint(set(target.files) | self.head_files[key])


def _dependents(changed: frozenset[str], targets: list[Any]) -> frozenset[tuple[str, str, str]]:
    return frozenset((t.env.name, t.project.name, kind) for t in targets if not changed.isdisjoint(t.files)
                     for kind in REFERENCED_BY.get(t.kind, ()))


def _project_owned(path: str) -> bool:
    """A file in `projects/<p>/`: it belongs to project `p` (the folder is named after it)."""
    parts = PurePosixPath(path).parts
    return len(parts) > 2 and parts[0] == "projects"


def _inside(path: str, folder: str) -> bool:
    return path.startswith(folder.rstrip("/") + "/")
