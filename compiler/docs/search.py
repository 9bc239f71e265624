"""The search index, built at generate time: one entry per resource (project, kind, name) with what
it is called, runs and is made of in every environment — names, images, models, the field paths
its layers set and its description.

The index is split into script files of at most `SHARD_BYTES` (loaded with `<script>`, which
works from `file://` where `fetch` does not); the search page scores entries in the browser.
"""
from __future__ import annotations

import json

from compiler.docs.extract import SiteData

SHARD_BYTES = 900_000
GLOBAL = "STRATA_SEARCH"


def search_entries(site: SiteData) -> list[dict]:
    entries = []
    for row in site.rows:
        images: dict[str, None] = {}
        models: dict[str, None] = {}
        fields: set[str] = set()
        descriptions: dict[str, None] = {}
        for doc in row.cells.values():
            images.update(dict.fromkeys(doc.facts.images))
            models.update(dict.fromkeys(doc.facts.models))
            fields.update(s.path for s in doc.settings)
            if doc.description:
                descriptions[doc.description] = None
        entries.append({"k": row.kind, "n": row.name, "p": row.project, "s": row.slug,
                        "e": [[env, row.cells[env].href] for env in site.envs if env in row.cells],
                        "i": list(images), "m": list(models), "f": sorted(fields), "d": " ".join(descriptions)})
    return entries


def search_files(site: SiteData) -> dict[str, bytes]:
    """`search/index-<n>.js` files, each under SHARD_BYTES (an entry larger than that gets a file alone)."""
    shards: list[list[str]] = [[]]
    size = 0
    for entry in search_entries(site):
        text = json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        if shards[-1] and size + len(text) > SHARD_BYTES:
            shards.append([])
            size = 0
        shards[-1].append(text)
        size += len(text) + 1
    return {f"search/index-{i}.js": f"window.{GLOBAL}=(window.{GLOBAL}||[]).concat([\n{','.join(s)}\n]);\n".encode()
            for i, s in enumerate(shards)}
