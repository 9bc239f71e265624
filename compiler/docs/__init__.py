"""`strata docs`: a static site showing what runs where, why it is set that way, and what depends on what.

Built on the stages: `load_stage` + `render_stage` give every target's effective spec with
provenance, the target graph and the rendered objects; the site is three steps over them,
each module with one job:

    extract.py     stage 1, data: `extract(build, changes)` → `SiteData` (frozen)
      facts.py       a matrix cell: image tags, model and chart versions, GPUs; drift from `promotion.from`
      lineage.py     each (environment, project)'s lineage, from the graph's declared references
      describe.py    a resource's description: the comment above its document
      changes.py     `--plan plan.json`: the targets a plan changes
    layout.py      stage 2, layout: deterministic layered positions for a lineage graph
      svg.py         the same layout as inline SVG (no JavaScript needed)
    pages/         stage 3, pages: one module per kind of page, HTML bytes (capacity.html shows
                   compiler.capacity's reports, the figures of `strata capacity`)
      search.py      the search index, split into script files
    site.py        every file of the site (`site_files`); write.py puts them on disk through
                   compiler.output's guard and crash-safe swap
    serve.py       `strata docs serve`
    static/        CSS, JavaScript and the vendored Cytoscape.js (MIT, see cytoscape.LICENSE)

The same config gives the same bytes: nothing depends on the clock or on dict order.
"""
