"""Which targets a plan renders: those a changed file can affect, on both sides alike.

A target's objects depend only on its inputs, so a target whose inputs are the same
at the base revision and in the working tree has the same objects on both sides and
cannot appear in the plan: it is loaded (merged and validated) but not rendered.
The rule (docs/plan.md) renders a target when
  1. it exists on one side only (it is being added or destroyed), or
  2. it is a changed node of the target graph, on the base or the head side: one of
     its own input files changed (its layers, the files its Jsonnet imports read, the
     chart it renders with), or a file changed inside its project folder that no
     target lists, or
  3. it depends on a changed node: it references one, directly or through others, in
     either side's graph (a Pipeline embeds its Jobs, which mount Datasets), or
  4. a changed input file outside `projects/` is listed by no target (`strata.yaml`):
     then every target is rendered.
Any file can be an input (a chart's README.md, a text file a Jsonnet spec `importstr`s),
so documents (.md, .txt, ...) are left out only when no target lists them.

Before that, `touched_projects` narrows the loading: when every changed input lies in
`projects/<p>/` folders, only those projects can change, so only they are loaded.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:   # not imported at run time: a plan without changed inputs loads no schema
    from compiler.graph.build import Graph, Node
    from compiler.targets import Key

NOT_INPUTS = (".md", ".markdown", ".rst", ".txt")


def project_folder(target: Any) -> str:
    return str(PurePosixPath(target.project.file).parent)


def is_input(path: str, output: str = "out") -> bool:
    """Files that cannot shape a compile: dot-folders (CI, git, .strata), the output folder.
    `path` is as git prints it (no `.` or empty parts): split as a string, it is cheap enough for
    every untracked file of a plan's working tree."""
    parts = path.split("/")
    return bool(path) and parts[0] != output and not any(p.startswith(".") for p in parts)


def is_document(path: str) -> bool:
    """README.md, notes.txt: an input only when a target lists it (a chart file, an importstr)."""
    return path.endswith(NOT_INPUTS)


def touched_projects(changed: Iterable[str], output: str = "out") -> frozenset[str] | None:
    """The projects the changed input files can affect; None when the change reaches beyond
    project folders (an environment, a layer, a chart, any file a chart or an import may read:
    any project may change). Documents at the top of the repository (README.md) are no
    chart's files and are taken to be no Jsonnet spec's import either."""
    touched = set()
    for path in changed:
        if not is_input(path, output) or (is_document(path) and "/" not in path):   # README.md at the top
            continue
        if not _project_owned(path):
            return None
        touched.add(path.split("/")[1])
    return frozenset(touched)


@dataclass(frozen=True)
class Scope:
    """The `render_only` predicate both sides are compiled with."""

    keys: frozenset[Key]

    def __call__(self, target: Any) -> bool:
        from compiler.targets import target_key

        return target_key(target) in self.keys

    @classmethod
    def build(cls, changed: Iterable[str], head: Graph, base: Graph, output: str = "out") -> Scope:
        changed = frozenset(p for p in changed if is_input(p, output))
        nodes = [*head.nodes.values(), *base.nodes.values()]
        claimed = frozenset(f for node in nodes for f in node.files)
        folders = {project_folder(node.target) for node in nodes}
        unclaimed = {p for p in changed - claimed if not is_document(p)}
        if any(not _project_owned(p) and not any(_inside(p, f) for f in folders) for p in unclaimed):
            return cls(frozenset(node.key for node in nodes))
        dirty_folders = {f for f in folders if any(_inside(p, f) for p in unclaimed)}
        touched = {node.key for node in nodes if _changed(node, changed, dirty_folders)}
        one_sided = set(head.nodes) ^ set(base.nodes)
        return cls(frozenset(touched | head.dependants(touched) | base.dependants(touched) | one_sided))


def _changed(node: Node, changed: frozenset[str], dirty_folders: set[str]) -> bool:
    return not changed.isdisjoint(node.files) or project_folder(node.target) in dirty_folders


def _project_owned(path: str) -> bool:
    """A file in `projects/<p>/`: it belongs to project `p` (the folder is named after it)."""
    parts = path.split("/")
    return len(parts) > 2 and parts[0] == "projects"


def _inside(path: str, folder: str) -> bool:
    return path.startswith(folder.rstrip("/") + "/")
