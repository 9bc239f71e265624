"""Lineage: the target graph's declared references, drawn the way data flows.

Every edge comes from `compiler.graph` (a reference declared on a schema field and
resolved by the graph stage), never from reading YAML. References stay inside one
project and environment, so each (environment, project) has its own lineage. An edge
points from what feeds to what is fed: a Dataset into the Job that mounts it, a Model
into the Service that serves it, a Pipeline into the Jobs it runs (the direction per
kind is `Kind.feeds` in compiler/kinds.py).
"""
from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property

from compiler.graph.build import Graph
from compiler.kinds import kind_of
from compiler.targets import Key

Edge = tuple[str, str]   # (from, to): node ids


@dataclass(frozen=True)
class Lineage:
    """The nodes of one environment's project (ids: `<kind>.<name>`, the resource label) and their edges."""

    env: str
    project: str
    nodes: tuple[str, ...]
    edges: tuple[Edge, ...]

    def key(self, node: str) -> Key:
        return (self.env, self.project, node)

    def neighbourhood(self, node: str, depth: int) -> tuple[str, ...]:
        """`node`, what feeds it and what it feeds, up to `depth` edges away each way."""
        found = {node}
        for step in (self._inputs, self._outputs):
            found |= _reach(step, node, depth)
        return tuple(sorted(found))

    def reach(self, node: str) -> int:
        """How many steps away the farthest node of its neighbourhood is (depths beyond show nothing new)."""
        depth = 0
        while self.neighbourhood(node, depth + 1) != self.neighbourhood(node, depth):
            depth += 1
        return depth

    def inputs_of(self, node: str) -> tuple[str, ...]:
        return tuple(sorted(self._inputs.get(node, ())))

    def outputs_of(self, node: str) -> tuple[str, ...]:
        return tuple(sorted(self._outputs.get(node, ())))

    def restricted(self, nodes: Iterable[str]) -> tuple[Edge, ...]:
        kept = set(nodes)
        return tuple(e for e in self.edges if e[0] in kept and e[1] in kept)

    @cached_property
    def _inputs(self) -> Mapping[str, set[str]]:
        return _adjacent((sink, source) for source, sink in self.edges)

    @cached_property
    def _outputs(self) -> Mapping[str, set[str]]:
        return _adjacent(self.edges)


def _adjacent(edges: Iterable[Edge]) -> Mapping[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for start, end in edges:
        found[start].add(end)
    return found


def _reach(step: Mapping[str, set[str]], start: str, depth: int) -> set[str]:
    seen, queue = {start}, deque([(start, 0)])
    while queue:
        node, distance = queue.popleft()
        if distance == depth:
            continue
        for other in step.get(node, ()):
            if other not in seen:
                seen.add(other)
                queue.append((other, distance + 1))
    return seen


def lineages(graph: Graph) -> dict[tuple[str, str], Lineage]:
    """(environment, project) → its lineage, for every project node of the graph."""
    found = {}
    for group in graph.projects:
        env, project = group.project.env.name, group.project.name
        edges = set()
        for key in group.members:
            for reference in graph.nodes[key].references:
                if reference.key is None:
                    continue
                feeds = kind_of(reference.kind).feeds
                edges.add((reference.key[2], key[2]) if feeds else (key[2], reference.key[2]))
        found[(env, project)] = Lineage(env, project, tuple(sorted(k[2] for k in group.members)), tuple(sorted(edges)))
    return found
