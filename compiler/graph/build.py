"""Stage: the target graph. Nodes are targets; an edge is a reference one target makes to another.

References are declared on the schema fields (`ref("Dataset")`, `ref("Model")`,
`ref("Job")`) and always name a resource of the same project and environment.
`build_graph` runs after the merge: it resolves every reference (an unknown name
is an error at the referencing field), lists each target's own input files (its
layers, and the chart files it renders with) and, from the edges, every file its
output depends on. Renderers see only what their target's references resolved to,
`plan` renders the changed nodes and their dependants, and a target's digest
covers its references' digests (compiler/graph/digest.py).

Project nodes group each (environment, project)'s targets: its Namespace, quota
and queues are rendered from the project, its checks read those targets. A platform
node per environment stands for its `_platform` target (compiler/render/platform.py),
whose only inputs are the environment's and its group's files.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compiler.errors import Problems
from compiler.graph import inputs, references
from compiler.graph.references import Reference
from compiler.kinds import PLATFORM, PLATFORM_RESOURCE, platform_folder
from compiler.targets import Env, Key, Project, Target, target_key


@dataclass(frozen=True)
class Node:
    target: Any                                  # a Target (plan tests use stand-ins)
    files: tuple[str, ...] = ()                  # its own inputs: the target's files, its chart's files
    references: tuple[Reference, ...] = ()

    @property
    def key(self) -> Key:
        return target_key(self.target)


@dataclass(frozen=True)
class ProjectNode:
    project: Project
    members: tuple[Key, ...] = ()                # the project's targets in this environment


@dataclass(frozen=True)
class PlatformNode:
    """One environment's platform target: rendered from its settings alone."""

    env: Env

    @property
    def key(self) -> Key:
        return (self.env.name, PLATFORM, PLATFORM_RESOURCE)

    @property
    def files(self) -> tuple[str, ...]:
        return tuple(sorted(self.env.files))

    @property
    def folder(self) -> str:
        return platform_folder(self.env.name)


@dataclass(frozen=True)
class Graph:
    nodes: Mapping[Key, Node] = field(default_factory=dict)
    inputs: Mapping[Key, tuple[str, ...]] = field(default_factory=dict)   # every file a node's output reads
    projects: tuple[ProjectNode, ...] = ()
    platforms: tuple[PlatformNode, ...] = ()

    @classmethod
    def of(cls, nodes: Iterable[Node], projects: Iterable[ProjectNode] = (),
           platforms: Iterable[PlatformNode] = ()) -> Graph:
        by_key = {node.key: node for node in nodes}
        return cls(by_key, _closure(by_key), tuple(projects), tuple(platforms))

    def references(self, key: Key) -> tuple[Key, ...]:
        return tuple(r.key for r in self.nodes[key].references if r.key is not None)

    def dependants(self, keys: Iterable[Key]) -> frozenset[Key]:
        """Every node that references one of `keys`, directly or through others."""
        referrers: dict[Key, list[Key]] = defaultdict(list)
        for key in self.nodes:
            for other in self.references(key):
                referrers[other].append(key)
        found: set[Key] = set()
        pending = list(keys)
        while pending:
            for referrer in referrers.get(pending.pop(), ()):
                if referrer not in found:
                    found.add(referrer)
                    pending.append(referrer)
        return frozenset(found)

    def resolved(self, key: Key) -> dict[tuple[str, str], Target | None]:
        """(kind, name) → target for every reference a node's output may read: its own and,
        through them, theirs (a Pipeline embeds its Jobs, which mount Datasets)."""
        found: dict[tuple[str, str], Target | None] = {}
        pending = [key]
        while pending:
            for ref in self.nodes[pending.pop()].references:
                if (ref.kind, ref.name) not in found:
                    other = self.nodes.get(ref.key) if ref.key is not None else None
                    found[(ref.kind, ref.name)] = other.target if other is not None else None
                    if other is not None:
                        pending.append(other.key)
        return found


def build_graph(targets: list[Target], projects: list[Project], problems: Problems, *,
                root: Path, chart_dirs: tuple[Path, ...], reads: Mapping[str, tuple[str, ...]] | None = None,
                envs: Iterable[Env] = ()) -> Graph:
    """The graph of `targets` (and a platform node per environment in `envs`); every unknown
    reference, GPU pool and priority class, and every chart file outside the repository, is added
    to `problems`. `reads`: the files each Jsonnet spec file's imports read."""
    index = {target_key(t): t for t in targets}
    charts = inputs.ChartFiles(root, chart_dirs)
    nodes = []
    for target in targets:
        found = references.resolve(target, index, problems)
        nodes.append(Node(target, inputs.own_files(target, charts, reads or {}, problems), found))
    references.check_gpu_pools(targets, problems)
    references.check_priorities(targets, problems)
    platforms = [PlatformNode(env) for env in sorted(envs, key=lambda e: e.name)]
    return Graph.of(nodes, _project_nodes(projects, index), platforms)


def _project_nodes(projects: list[Project], index: Mapping[Key, Target]) -> list[ProjectNode]:
    members: dict[tuple[str, str], list[Key]] = defaultdict(list)
    for key in sorted(index):
        members[key[:2]].append(key)
    return [ProjectNode(p, tuple(members.get((p.env.name, p.name), ()))) for p in projects]


def _closure(nodes: Mapping[Key, Node]) -> dict[Key, tuple[str, ...]]:
    """Each node's own files plus, through its references, every file those read."""
    done: dict[Key, tuple[str, ...]] = {}
    for start in nodes:
        if start in done:
            continue
        stack = [start]
        while stack:
            key = stack[-1]
            refs = [r.key for r in nodes[key].references if r.key is not None and r.key in nodes]
            todo = [r for r in refs if r not in done and r not in stack]
            if todo:
                stack.extend(todo)
                continue
            files = set(nodes[key].files)
            for other in refs:
                files.update(done.get(other, ()))   # absent only on a reference cycle
            done[key] = tuple(sorted(files))
            stack.pop()
    return done
