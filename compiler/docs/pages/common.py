"""Pieces several pages share: how deep a page sits, plan marks, a lineage picture with its links."""
from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from compiler.docs.extract import SiteData, TargetDoc
from compiler.docs.html import esc
from compiler.docs.layout import layout
from compiler.docs.lineage import Lineage
from compiler.docs.svg import NodeView, svg
from compiler.explain import short_value
from compiler.kinds import kind_of

CHANGE_SYMBOL = {"add": "+", "change": "~", "destroy": "−"}


def root_of(href: str) -> str:
    """The way up from a page at `href` (relative to the site root) to the root: `../` per folder."""
    return "../" * href.count("/")


def lineage_href(env: str, project: str) -> str:
    return f"lineage/{env}/{project}.html"


def drift_title(doc: TargetDoc) -> str:
    fields = "; ".join(f"{d.path} {short_value(d.here)} ({doc.source}: {short_value(d.source)})" for d in doc.drift)
    return f"differs from {doc.source}: {fields}"


def node_views(site: SiteData, lineage: Lineage, nodes: Iterable[str], folder: str, current: str = "") -> dict[str, NodeView]:
    """How each lineage node is drawn; `folder` leads from the page to the folder of the lineage's
    resource pages (one folder per environment and project)."""
    views = {}
    for node in nodes:
        doc = site.docs[lineage.key(node)]
        views[node] = NodeView(doc.target.kind, doc.target.name, kind_of(doc.target.kind).slug,
                               folder + doc.href.rsplit("/", 1)[1], doc.change, node == current)
    return views


def lineage_svg(site: SiteData, lineage: Lineage, nodes: Iterable[str], folder: str, label: str, current: str = "") -> str:
    """The SVG of `nodes` and their edges (the same picture in every environment is drawn once)."""
    views = node_views(site, lineage, nodes, folder, current)
    return _svg(tuple(sorted(views.items())), lineage.restricted(views), label)


@lru_cache(maxsize=4096)
def _svg(views: tuple[tuple[str, NodeView], ...], edges: tuple[tuple[str, str], ...], label: str) -> str:
    return svg(layout([node for node, _ in views], edges), dict(views), label)


def resource_folder(env: str, project: str) -> str:
    """Where the resource pages of a project in an environment are, relative to the site root."""
    return f"r/{env}/{project}/"


def code(value: object) -> str:
    return f"<code>{esc(value)}</code>"
