"""Every file of the site, in memory: pages, search index, assets and the marker file."""
from __future__ import annotations

import json
from importlib import resources

from compiler import __version__
from compiler.capacity import environment_reports
from compiler.docs.changes import PlanChanges
from compiler.docs.extract import SiteData, extract
from compiler.docs.html import kind_css
from compiler.docs.pages.capacity import capacity_page
from compiler.docs.pages.common import lineage_href
from compiler.docs.pages.home import home_page
from compiler.docs.pages.lineage import lineage_index, lineage_page
from compiler.docs.pages.resource import ResourcePages
from compiler.docs.pages.search import search_page
from compiler.docs.search import search_files

MARKER = "strata-docs.json"     # says the folder is a strata docs site (write.py replaces nothing else)
FORMAT_VERSION = 1
CYTOSCAPE_VERSION = "3.35.0"    # static/cytoscape.min.js, from the npm package `cytoscape` (MIT)
ASSETS = ("site.js", "matrix.js", "lineage.js", "search.js", "cytoscape.min.js", "cytoscape.LICENSE", "favicon.svg")


def site_files(build, changes: PlanChanges | None = None) -> dict[str, bytes]:
    """The whole site for a loaded and rendered build (`load_stage` + `render_stage`)."""
    site = extract(build, changes)
    files = {"index.html": home_page(site), "lineage.html": lineage_index(site),
             "capacity.html": capacity_page(environment_reports(build, site.gpu_lines), site)}
    pages = ResourcePages(site, build)
    for doc in site.docs.values():
        files[doc.href] = pages.page(doc)
    for (env, project), lineage in site.lineages.items():
        files[lineage_href(env, project)] = lineage_page(site, lineage)
    shards = search_files(site)
    files.update(shards)
    files["search.html"] = search_page(sorted(shards))
    files.update(asset_files())
    files[MARKER] = _marker(site)
    return dict(sorted(files.items()))


def asset_files() -> dict[str, bytes]:
    static = resources.files("compiler.docs") / "static"
    files = {f"assets/{name}": (static / name).read_bytes() for name in ASSETS}
    files["assets/site.css"] = (static / "site.css").read_bytes() + kind_css().encode()
    files[".nojekyll"] = b""   # GitHub Pages: serve the files as they are
    return files


def _marker(site: SiteData) -> bytes:
    doc = {"format_version": FORMAT_VERSION, "tool": {"name": "strata", "version": __version__},
           "cytoscape": CYTOSCAPE_VERSION, "environments": list(site.envs), "targets": len(site.docs),
           "plan": site.changes.title or None}
    return (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode()
