"""The search page: the query box, the result list, and the index's script files."""
from __future__ import annotations

from collections.abc import Iterable

from compiler.docs.html import page


def search_page(shards: Iterable[str]) -> bytes:
    body = ('<div class="toolbar"><input type="search" id="query" placeholder="A name, image, model, field path '
            '(replicas.max) or words of a description" aria-label="Search" autofocus><span class="count" id="result-count">'
            '</span></div><p class="hint">Every word must match (in any order). Results link to the resource in each '
            'environment it is deployed to.</p><ol id="results" class="results"></ol>'
            '<noscript><p>Search needs JavaScript; the <a href="index.html">matrix</a> lists every resource.</p></noscript>')
    return page("Search", "", body, current="search.html", scripts=(*shards, "assets/search.js"), heading="<h1>Search</h1>")
