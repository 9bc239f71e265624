"""The home page: the environment × resource matrix (what runs where)."""
from __future__ import annotations

from compiler.docs.extract import Row, SiteData, TargetDoc
from compiler.docs.html import badge, esc, page
from compiler.docs.pages.common import CHANGE_SYMBOL, drift_title

ROOT = ""


def home_page(site: SiteData) -> bytes:
    head = "".join(f"<th class=\"env\" scope=\"col\">{esc(env)}{_source_note(site, env)}</th>" for env in site.envs)
    body = []
    project = None
    for row in site.rows:
        if row.project != project:
            project = row.project
            body.append(f'<tr class="group" data-project="{esc(project)}"><th colspan="{len(site.envs) + 2}" scope="rowgroup">'
                        f'{esc(project)}</th></tr>')
        body.append(_row(row, site))
    targets = len(site.docs)
    projects = len({row.project for row in site.rows})
    summary = (f'<p class="lead">{targets} targets: {len(site.rows)} resources of {projects} projects in '
               f'{len(site.envs)} environments. Each cell is the resource in that environment: image tag, model '
               'version, chart version and GPUs (the most it holds at once, per pool, as the capacity page counts '
               'them). Click a cell for its effective spec and where each value comes from.</p>')
    return page("Matrix", ROOT, summary + _plan_box(site) + _toolbar(site) +
                f'<div class="matrix-wrap"><table class="matrix" id="matrix"><thead><tr><th scope="col">Kind</th>'
                f'<th scope="col">Name</th>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>',
                current="index.html", scripts=("assets/matrix.js",), heading="<h1>What runs where</h1>")


def _source_note(site: SiteData, env: str) -> str:
    source = site.sources.get(env)
    return f'<span class="from" title="promoted from {esc(source)}">← {esc(source)}</span>' if source else ""


def _row(row: Row, site: SiteData) -> str:
    drifts = any(doc.drift for doc in row.cells.values())
    changed = any(doc.change for doc in row.cells.values())
    flags = " ".join(f for f, on in (("has-drift", drifts), ("has-change", changed)) if on)
    cells = "".join(_cell(row.cells[env]) if env in row.cells else '<td class="cell none" title="not deployed here">'
                    '·</td>' for env in site.envs)
    return (f'<tr class="{flags}" data-project="{esc(row.project)}" data-search="{esc(_row_text(row))}">'
            f'<td>{badge(row.slug, row.kind)}</td><th scope="row" class="name">{esc(row.name)}</th>{cells}</tr>')


def _row_text(row: Row) -> str:
    words = {row.project, row.kind.lower(), row.name}
    for doc in row.cells.values():
        words.update(doc.facts.tags)
        words.update(doc.facts.models)
    return " ".join(sorted(words)).lower()


def _cell(doc: TargetDoc) -> str:
    facts = doc.facts
    parts = [f'<span class="tag">{esc(tag)}</span>' for tag in facts.tags[:2]]
    if len(facts.tags) > 2:
        parts.append(f'<span class="more">+{len(facts.tags) - 2}</span>')
    parts += [f'<span class="model">{esc(model)}</span>' for model in facts.models]
    if facts.chart:
        parts.append(f'<span class="chart">{esc(facts.chart)}</span>')
    if facts.gpus:
        parts.append(f'<span class="gpu">{esc(facts.gpu_text)} GPU</span>')
    if not parts:
        parts.append('<span class="plain">✓</span>')
    classes = " ".join(c for c in ("cell", "drift" if doc.drift else "", f"plan-{doc.change}" if doc.change else "") if c)
    title = []   # the row and the column already say which resource and environment (a big matrix is heavy)
    if facts.images:
        title.append("image: " + ", ".join(facts.images))
    if doc.drift:
        title.append(drift_title(doc))
    if doc.change:
        title.append(f"this plan: {doc.change}")
    mark = f'<span class="plan-mark">{CHANGE_SYMBOL[doc.change]}</span>' if doc.change else ""
    hint = f' title="{esc(chr(10).join(title))}"' if title else ""
    return f'<td class="{classes}"><a href="{esc(doc.href)}"{hint}>{mark}{"".join(parts)}</a></td>'


def _toolbar(site: SiteData) -> str:
    plan = ('<label><input type="checkbox" id="only-changed"> only changed by the plan</label>'
            if site.changes.targets else "")
    return ('<div class="toolbar"><input type="search" id="filter" placeholder="Filter rows: project, name, tag, model…" '
            'aria-label="Filter rows"><label><input type="checkbox" id="only-drift"> only resources that differ from '
            f'their promotion source</label>{plan}<span class="legend"><span class="swatch drift"></span> differs from '
            'the environment it is promoted from (<code>promotion.from</code>)'
            + ('<span class="swatch plan-change"></span> changed by the plan' if site.changes.targets else "")
            + '</span><span class="count" id="row-count"></span></div>')


def _plan_box(site: SiteData) -> str:
    if not site.changes.targets:
        return ""
    counts: dict[str, int] = {}
    for change in site.changes.targets.values():
        counts[change] = counts.get(change, 0) + 1
    shown = ", ".join(f"{n} {change}" for change, n in sorted(counts.items()))
    gone = "".join(f"<li><code>{esc(e)}/{esc(p)}/{esc(r)}</code></li>" for e, p, r in site.destroyed)
    return (f'<section class="plan-box"><h2>Plan: {esc(site.changes.title)}</h2><p>Targets changed: {esc(shown)}. '
            'They are highlighted in the matrix and in the lineage.</p>'
            + (f"<p>Removed by the plan (no page here):</p><ul>{gone}</ul>" if gone else "") + "</section>")
