"""Lineage pages: one per environment and project (the whole-project view, or one node's
neighbourhood at a depth named in the URL: `#node=job.train&depth=2`), and an index of them.

Never the whole fleet at once: a graph of thousands of nodes is what freezes dbt's docs.
Positions are computed here (compiler/docs/layout.py) for the whole project and for each
node's neighbourhood at every depth that shows something new, up to `MAX_DEPTH` and within
`POSITION_BUDGET` positions per page; beyond that the page takes the neighbourhood's
positions from the whole-project layout. Cytoscape.js draws them as they are (`preset`).
"""
from __future__ import annotations

from compiler.docs.extract import SiteData
from compiler.docs.html import esc, json_script, kind_colours, page
from compiler.docs.layout import NODE_HEIGHT, NODE_WIDTH, Layout, layout
from compiler.docs.lineage import Lineage
from compiler.docs.pages.common import lineage_href, lineage_svg, node_views, resource_folder, root_of

MAX_DEPTH = 4
POSITION_BUDGET = 20_000


def lineage_page(site: SiteData, lineage: Lineage) -> bytes:
    href = lineage_href(lineage.env, lineage.project)
    root = root_of(href)
    whole = layout(lineage.nodes, lineage.edges)
    folder = root + resource_folder(lineage.env, lineage.project)
    views = node_views(site, lineage, lineage.nodes, folder)
    colours = kind_colours()
    data = {
        "nodes": {node: {"kind": v.kind, "name": v.name, "href": v.href, "colour": colours[v.slug],
                         "change": v.changed} for node, v in views.items()},
        "edges": [list(edge) for edge in lineage.edges],
        "whole": _positions(whole),
        "focus": _focus_layouts(lineage),
        "size": [NODE_WIDTH, NODE_HEIGHT],
    }
    options = "".join(f'<option value="{esc(node)}">{esc(views[node].kind)} {esc(views[node].name)}</option>'
                      for node in lineage.nodes)
    controls = (
        '<div class="toolbar lineage-controls"><label>Focus <select id="focus"><option value="">whole project</option>'
        f'{options}</select></label><label>Depth <select id="depth"><option value="1">1 step</option>'
        '<option value="2">2 steps</option><option value="3">3 steps</option><option value="all">everything connected'
        '</option></select></label><button type="button" id="fit">Fit</button><button type="button" id="png">'
        'Download PNG</button><span class="count" id="graph-count"></span></div>')
    picture = lineage_svg(site, lineage, lineage.nodes, folder, f"lineage of project {lineage.project} in {lineage.env}")
    body = (f'<p class="lead">Declared references between the resources of project <b>{esc(lineage.project)}</b> in '
            f'<b>{esc(lineage.env)}</b>: {len(lineage.nodes)} resources, {len(lineage.edges)} edges. Arrows point the '
            'way data flows (a dataset into the job mounting it, a model into the service serving it, a pipeline into '
            'the jobs it runs). Click a node to focus on it.</p>' + controls +
            '<div class="lineage-view"><div id="cy" class="cy" data-ready="0" hidden></div>'
            '<aside id="node-panel" class="node-panel" hidden></aside></div>'
            f'<div class="svg-box" id="lineage-svg">{picture}</div>' + json_script("lineage-data", data))
    return page(f"Lineage of {lineage.project} in {lineage.env}", root, body, current="lineage.html",
                scripts=("assets/cytoscape.min.js", "assets/lineage.js"),
                heading=f"<h1>Lineage <small>{esc(lineage.project)} in {esc(lineage.env)}</small></h1>")


def _positions(graph: Layout) -> dict[str, object]:
    """`at`: each node's centre; `via`: the points an edge crossing columns passes (`<from>><to>` → points)."""
    return {"at": {node: [x, y] for node, (x, y) in sorted(graph.positions.items())},
            "via": {f"{a}>{b}": [list(point) for point in points] for (a, b), points in sorted(graph.bends.items())}}


def _focus_layouts(lineage: Lineage) -> dict[str, dict[str, object]]:
    """Per node: how far its neighbourhood reaches, and the layout of each depth up to that."""
    reach = {node: lineage.reach(node) for node in lineage.nodes}
    layouts: dict[str, dict[str, object]] = {node: {} for node in lineage.nodes}
    budget = POSITION_BUDGET
    for depth in range(1, MAX_DEPTH + 1):   # every node's small depths before anyone's large ones
        for node in lineage.nodes:
            if depth > max(1, reach[node]):
                continue
            nodes = lineage.neighbourhood(node, depth)
            if len(nodes) > budget:
                continue
            budget -= len(nodes)
            layouts[node][str(depth)] = _positions(layout(nodes, lineage.restricted(nodes)))
    return {node: {"reach": reach[node], "layouts": layouts[node]} for node in lineage.nodes}


def lineage_index(site: SiteData) -> bytes:
    rows = []
    order = {env: i for i, env in enumerate(site.envs)}
    for (env, project), lineage in sorted(site.lineages.items(), key=lambda item: (item[0][1], order.get(item[0][0], 0))):
        changed = sum(1 for node in lineage.nodes if site.docs[lineage.key(node)].change)
        rows.append(f'<tr><td>{esc(project)}</td><td>{esc(env)}</td><td><a href="{esc(lineage_href(env, project))}">'
                    f'{len(lineage.nodes)} resources, {len(lineage.edges)} edges</a></td>'
                    f'<td>{changed or ""}</td></tr>')
    body = ('<p class="lead">One lineage per project and environment: references never cross them. The site never '
            'draws the whole fleet at once.</p><table class="list"><thead><tr><th>Project</th><th>Environment</th>'
            f'<th>Lineage</th><th>Changed by the plan</th></tr></thead><tbody>{"".join(rows)}</tbody></table>')
    return page("Lineage", "", body, current="lineage.html", heading="<h1>Lineage</h1>")
