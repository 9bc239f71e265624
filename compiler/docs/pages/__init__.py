"""Stage 3 of the site: one module per kind of page, each turning `SiteData` into HTML bytes."""
