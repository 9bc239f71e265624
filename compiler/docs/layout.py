"""A deterministic layered layout for lineage graphs, computed once in Python.

Left to right in the direction data flows: each node's column is the length of the
longest path reaching it; within a column nodes are ordered by the mean position of
their neighbours (a few barycentre sweeps, ties broken by id), which keeps edges
short and crossings few on the graphs a project has (tens of nodes). Connected
components are stacked top to bottom, the largest first. The same nodes and edges
always give the same positions: the browser (Cytoscape's `preset` layout) and the
inline SVG draw exactly this picture.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise

from compiler.docs.lineage import Edge

NODE_WIDTH, NODE_HEIGHT = 196, 46
COLUMN, ROW, COMPONENT_GAP, MARGIN = 270, 66, 30, 16
SWEEPS = 4


@dataclass(frozen=True)
class Layout:
    positions: Mapping[str, tuple[int, int]]    # node id → centre (x, y), px
    width: int
    height: int
    edges: tuple[Edge, ...] = ()
    bends: Mapping[Edge, tuple[tuple[int, int], ...]] = field(default_factory=dict)   # an edge across columns:
                                                # the points it passes, one per column between its ends


def layout(nodes: Sequence[str], edges: Iterable[Edge]) -> Layout:
    kept = set(nodes)
    return _layout(tuple(sorted(kept)), tuple(sorted({e for e in edges if e[0] in kept and e[1] in kept and e[0] != e[1]})))


@lru_cache(maxsize=4096)   # every environment of a project has the same shapes: lay each out once
def _layout(nodes: tuple[str, ...], edges: tuple[Edge, ...]) -> Layout:
    kept = set(nodes)
    placed: dict[str, tuple[int, int]] = {}
    top, width = MARGIN, 0
    for component in _components(sorted(kept), edges):
        columns = _ordered_columns(component, [e for e in edges if e[0] in component])
        tallest = max(len(column) for column in columns)
        for x_index, column in enumerate(columns):
            offset = (tallest - len(column)) * ROW // 2
            for y_index, node in enumerate(column):
                placed[node] = (MARGIN + NODE_WIDTH // 2 + x_index * COLUMN, top + NODE_HEIGHT // 2 + offset + y_index * ROW)
        width = max(width, 2 * MARGIN + NODE_WIDTH + (len(columns) - 1) * COLUMN)
        top += NODE_HEIGHT + (tallest - 1) * ROW + COMPONENT_GAP
    height = top - COMPONENT_GAP + MARGIN if placed else 2 * MARGIN
    positions = {node: xy for node, xy in placed.items() if node in kept}
    bends = {edge: tuple(placed[_waypoint(edge, i)] for i in range(1, _span(edge, placed)))
             for edge in edges if _span(edge, placed) > 1}
    return Layout(positions, width or 2 * MARGIN, height, edges, bends)


def _waypoint(edge: Edge, index: int) -> str:
    """The stand-in for an edge crossing a column (`~` sorts after the characters of ids: on a tie, nodes first)."""
    return f"~{edge[0]}>{edge[1]}#{index}"


def _span(edge: Edge, placed: Mapping[str, tuple[int, int]]) -> int:
    """How many columns an edge goes to the right (0 or less: a cycle's edge, drawn straight)."""
    return (placed[edge[1]][0] - placed[edge[0]][0]) // COLUMN


def _components(nodes: list[str], edges: tuple[Edge, ...]) -> list[set[str]]:
    neighbours: dict[str, set[str]] = defaultdict(set)
    for a, b in edges:
        neighbours[a].add(b)
        neighbours[b].add(a)
    found, seen = [], set()
    for start in nodes:
        if start in seen:
            continue
        component, stack = set(), [start]
        while stack:
            node = stack.pop()
            if node not in component:
                component.add(node)
                stack.extend(neighbours[node] - component)
        seen |= component
        found.append(component)
    return sorted(found, key=lambda c: (-len(c), min(c)))


def _ordered_columns(nodes: set[str], edges: list[Edge]) -> list[list[str]]:
    """Each column's nodes top to bottom, with a waypoint for every column an edge crosses."""
    column = _columns(nodes, _acyclic(nodes, edges))
    forward = []
    for edge in edges:
        span = column[edge[1]] - column[edge[0]]
        if span < 1:
            continue
        chain = [edge[0], *(_waypoint(edge, i) for i in range(1, span)), edge[1]]
        for i, waypoint in enumerate(chain[1:-1], start=1):
            column[waypoint] = column[edge[0]] + i
        forward += list(pairwise(chain))
    columns: list[list[str]] = [[] for _ in range(max(column.values()) + 1)]
    for node in sorted(column):
        columns[column[node]].append(node)
    inputs: dict[str, list[str]] = defaultdict(list)
    outputs: dict[str, list[str]] = defaultdict(list)
    for a, b in forward:
        outputs[a].append(b)
        inputs[b].append(a)
    for sweep in range(SWEEPS):
        if sweep % 2 == 0:
            for i in range(1, len(columns)):
                columns[i] = _by_barycentre(columns[i], inputs, _index(columns[i - 1]))
        else:
            for i in range(len(columns) - 2, -1, -1):
                columns[i] = _by_barycentre(columns[i], outputs, _index(columns[i + 1]))
    return columns


def _acyclic(nodes: set[str], edges: list[Edge]) -> list[Edge]:
    """The edges without those closing a cycle (depth first, in id order), for layering only."""
    outputs: dict[str, list[str]] = defaultdict(list)
    for a, b in edges:
        outputs[a].append(b)
    state: dict[str, int] = {}   # 1: on the current path, 2: done
    kept = []
    for start in sorted(nodes):
        if start in state:
            continue
        stack = [(start, iter(sorted(outputs[start])))]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) != 1:
                kept.append((node, child))
                if child not in state:
                    state[child] = 1
                    stack.append((child, iter(sorted(outputs[child]))))
    return kept


def _columns(nodes: set[str], edges: list[Edge]) -> dict[str, int]:
    """Longest path from a source, over acyclic edges (Kahn's order)."""
    inputs: dict[str, int] = dict.fromkeys(nodes, 0)
    outputs: dict[str, list[str]] = defaultdict(list)
    for a, b in edges:
        outputs[a].append(b)
        inputs[b] += 1
    column = dict.fromkeys(nodes, 0)
    ready = sorted(n for n, count in inputs.items() if count == 0)
    while ready:
        node = ready.pop(0)
        for other in sorted(outputs[node]):
            column[other] = max(column[other], column[node] + 1)
            inputs[other] -= 1
            if inputs[other] == 0:
                ready.append(other)
    return column


def _index(column: list[str]) -> dict[str, int]:
    return {node: i for i, node in enumerate(column)}


def _by_barycentre(column: list[str], neighbours: Mapping[str, list[str]], placed: Mapping[str, int]) -> list[str]:
    def key(item: tuple[int, str]) -> tuple[float, int, str]:
        index, node = item
        seen = [placed[n] for n in neighbours.get(node, ()) if n in placed]
        return (sum(seen) / len(seen) if seen else float(index), index, node)

    return [node for _, node in sorted(enumerate(column), key=key)]
