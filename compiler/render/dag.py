"""Graph checks of a pipeline's `after:` edges, free of any Argo or error-reporting detail.

Steps are given as ordered `(name, after)` pairs; every finding points back at
list indexes so the caller can report it at the step's file:line. Traversal
follows the declared order, so the same pipeline always yields the same findings.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

Steps = Sequence[tuple[str, Sequence[str]]]


@dataclass(frozen=True)
class Edge:
    """`steps[step].after[position]` names `target`."""

    step: int
    position: int
    target: str


@dataclass(frozen=True)
class Cycle:
    names: tuple[str, ...]   # first name repeated at the end: ("a", "b", "a")
    closing: Edge            # the `after` entry that closes the loop

    def describe(self) -> str:
        return " -> ".join(self.names)


def duplicates(steps: Steps) -> list[int]:
    """Indexes of steps whose name an earlier step already uses."""
    seen: set[str] = set()
    found = []
    for index, (name, _) in enumerate(steps):
        if name in seen:
            found.append(index)
        seen.add(name)
    return found


def unknown_after(steps: Steps) -> list[Edge]:
    """`after` entries naming no step of the pipeline."""
    names = {name for name, _ in steps}
    return [edge for edge in _edges(steps) if edge.target not in names]


def cycles(steps: Steps) -> list[Cycle]:
    """Every loop a depth-first walk meets, each once, named in `after` order (a waits for b)."""
    graph = _graph(steps)
    state: dict[str, str] = {}
    found: list[Cycle] = []
    for name in graph:
        if name not in state:
            found.extend(_walk(name, graph, state))
    return found


def _edges(steps: Steps) -> list[Edge]:
    return [Edge(i, j, target) for i, (_, after) in enumerate(steps) for j, target in enumerate(after)]


def _graph(steps: Steps) -> dict[str, list[Edge]]:
    """name → its known `after` edges (the first step of a duplicated name wins)."""
    first: dict[str, int] = {}
    for index, (name, _) in enumerate(steps):
        first.setdefault(name, index)
    graph: dict[str, list[Edge]] = {name: [] for name in first}
    for edge in _edges(steps):
        name = steps[edge.step][0]
        if edge.target in graph and first[name] == edge.step:
            graph[name].append(edge)
    return graph


def _walk(start: str, graph: dict[str, list[Edge]], state: dict[str, str]) -> list[Cycle]:
    """Iterative DFS from `start` (no recursion limit on long generated chains)."""
    found = []
    path: list[str] = [start]
    pending: list[list[Edge]] = [list(reversed(graph[start]))]
    state[start] = "open"
    while pending:
        if not pending[-1]:
            state[path.pop()] = "done"
            pending.pop()
            continue
        edge = pending[-1].pop()
        if state.get(edge.target) == "open":
            loop = path[path.index(edge.target):]
            found.append(Cycle((*loop, edge.target), edge))
        elif edge.target not in state:
            state[edge.target] = "open"
            path.append(edge.target)
            pending.append(list(reversed(graph[edge.target])))
    return found
