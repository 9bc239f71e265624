"""The inline SVG of a lineage layout: the same picture as the interactive view, without JavaScript."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from compiler.docs.html import esc
from compiler.docs.layout import NODE_HEIGHT, NODE_WIDTH, Layout

NAME_CHARS = 26   # a longer name is cut with an ellipsis (the full name is the node's title)


@dataclass(frozen=True)
class NodeView:
    """How one node is shown: its kind's name, its own name, its page and what to highlight."""

    kind: str
    name: str
    slug: str                    # the kind's CSS class suffix
    href: str                    # relative to the page the SVG is in
    changed: str = ""            # the plan's change (add, change, destroy), if any
    current: bool = False        # the node the page is about


def svg(graph: Layout, views: Mapping[str, NodeView], label: str) -> str:
    """`<svg>` with one `<g class="node" data-id>` per node and one `<path class="edge">` per edge."""
    parts = [f'<svg class="lineage-svg" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {graph.width} {graph.height}" '
             f'width="{graph.width}" height="{graph.height}" role="img" aria-label="{esc(label)}" '
             f'data-nodes="{len(graph.positions)}" data-edges="{len(graph.edges)}">',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
             'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrow"/></marker></defs>']
    for source, sink in graph.edges:
        parts.append(f'<path class="edge" data-from="{esc(source)}" data-to="{esc(sink)}" '
                     f'd="{_path(graph.positions[source], graph.bends.get((source, sink), ()), graph.positions[sink])}" '
                     'marker-end="url(#arrow)"/>')
    for node, (x, y) in sorted(graph.positions.items()):
        parts.append(_node(node, x, y, views[node]))
    parts.append("</svg>")
    return "".join(parts)


def _path(start: tuple[int, int], bends: tuple[tuple[int, int], ...], end: tuple[int, int]) -> str:
    """Left to right from the right side of one box to the left side of the next, turning halfway
    between columns (as Cytoscape's `taxi` edges do), straight through the columns a long edge
    crosses (where the layout kept room for it)."""
    (x1, y1), (x2, y2) = start, end
    if x2 <= x1:   # a cycle's edge: straight
        return f"M{x1},{y1 + NODE_HEIGHT // 2} L{x2},{y2 - NODE_HEIGHT // 2}"
    half = NODE_WIDTH // 2
    x, y = x1 + half, y1
    parts = [f"M{x},{y}"]
    for bx, by in bends:
        parts.append(_turn(x, y, bx - half, by) + f" L{bx + half},{by}")
        x, y = bx + half, by
    parts.append(_turn(x, y, x2 - half, y2))
    return " ".join(parts)


def _turn(x1: int, y1: int, x2: int, y2: int) -> str:
    if y1 == y2:
        return f"L{x2},{y2}"
    middle = (x1 + x2) // 2
    return f"L{middle},{y1} L{middle},{y2} L{x2},{y2}"


def _node(node: str, x: int, y: int, view: NodeView) -> str:
    left, top = x - NODE_WIDTH // 2, y - NODE_HEIGHT // 2
    classes = " ".join(c for c in ("node", f"kind-{view.slug}", "current" if view.current else "",
                                   f"plan-{view.changed}" if view.changed else "") if c)
    name = view.name if len(view.name) <= NAME_CHARS else view.name[: NAME_CHARS - 1] + "…"
    return (f'<a href="{esc(view.href)}"><g class="{classes}" data-id="{esc(node)}">'
            f'<title>{esc(view.kind)} {esc(view.name)}</title>'
            f'<rect x="{left}" y="{top}" width="{NODE_WIDTH}" height="{NODE_HEIGHT}" rx="7"/>'
            f'<rect class="band" x="{left}" y="{top}" width="6" height="{NODE_HEIGHT}" rx="3"/>'
            f'<text class="kind" x="{left + 16}" y="{top + 17}">{esc(view.kind)}</text>'
            f'<text class="name" x="{left + 16}" y="{top + 35}">{esc(name)}</text></g></a>')
