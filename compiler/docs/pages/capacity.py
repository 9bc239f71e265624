"""capacity.html: `strata capacity`'s figures per environment (compiler.capacity's reports, the
same numbers as its text, markdown and JSON and as manifest.json), each workload linked to its page."""
from __future__ import annotations

from collections import defaultdict

from compiler.capacity.formats import LEGEND, POOL_HEADERS, PROJECT_HEADERS, heading, pool_cells, project_cells
from compiler.capacity.report import EnvCapacity, Line
from compiler.docs.extract import SiteData
from compiler.docs.html import esc, page
from compiler.plan import capacity as plan_capacity

WARN_SHARE = 0.8   # above this share of what is allowed a bar is amber; above all of it, red
NUMBERS = {"capacity", "per node", "quota", "quota headroom", "steady", "peak", "peak headroom", "price/GPU-h",
           "steady/month", "peak/month"}


def capacity_page(reports: list[EnvCapacity], site: SiteData) -> bytes:
    order = {env: i for i, env in enumerate(site.envs)}
    planned = {env.env: env for env in site.changes.capacity.environments} if site.changes.capacity else {}
    sections = [_env_section(report, site) + _plan_section(planned.get(report.env))
                for report in sorted(reports, key=lambda r: (order.get(r.env, len(order)), r.env))]
    body = (f'<p class="lead">{esc(LEGEND)} The same figures as <code>strata capacity</code> and '
            '<code>out/manifest.json</code>: demand is read from the rendered objects, capacity from each '
            'environment\'s <code>gpuPools</code>.</p>' + "".join(sections))
    return page("Capacity", "", body, current="capacity.html", heading="<h1>GPU capacity</h1>")


def _env_section(report: EnvCapacity, site: SiteData) -> str:
    title = f'<h2>{esc(heading(report))}</h2>'
    if not report.pools:
        return f'<section id="env-{esc(report.env)}">{title}<p class="none">No GPU pools, quotas or GPU workloads.</p></section>'
    clusters = len(report.clusters)
    pools = "".join(_row(pool_cells(row, clusters), POOL_HEADERS, "pool",
                         _bar(row.demand.peak, min(row.capacity.values()) if row.capacity else None))
                    for row in report.pools)
    workloads: dict[tuple[str, str], list[Line]] = defaultdict(list)
    for line in report.lines:
        workloads[(line.project, line.pool)].append(line)
    projects = "".join(_row(cells, PROJECT_HEADERS, "project", _bar(row.demand.peak, row.quota),
                            _workloads(site, report.env, workloads[(row.project, row.pool)]))
                       for row, cells in zip(report.projects, project_cells(report), strict=True))
    return (f'<section class="capacity" id="env-{esc(report.env)}">{title}'
            f'{_table(POOL_HEADERS, "Peak of capacity", "", pools)}'
            + (_table(PROJECT_HEADERS, "Peak of quota", "Workloads", projects) if projects else "") + '</section>')


def _table(headers: tuple[str, ...], bar: str, extra: str, rows: str) -> str:
    cells = "".join(f'<th{_num(h)}>{esc(h)}</th>' for h in headers)
    tail = f"<th>{esc(extra)}</th>" if extra else ""
    return f'<table class="capacity-table"><thead><tr>{cells}<th>{esc(bar)}</th>{tail}</tr></thead><tbody>{rows}</tbody></table>'


def _row(cells: list[str], headers: tuple[str, ...], kind: str, bar: str, extra: str | None = None) -> str:
    first, *rest = cells
    tds = "".join(f"<td{_num(h)}>{esc(c)}</td>" for h, c in zip(headers[1:], rest, strict=True))
    tail = f'<td class="consumers">{extra}</td>' if extra is not None else ""
    return f'<tr class="{kind}"><th scope="row">{esc(first)}</th>{tds}<td>{bar}</td>{tail}</tr>'


def _num(header: str) -> str:
    return ' class="num"' if header in NUMBERS else ""


def _workloads(site: SiteData, env: str, lines: list[Line]) -> str:
    return ", ".join(f"{_link(site, env, line)} {line.high}" for line in lines)


def _link(site: SiteData, env: str, line: Line) -> str:
    doc = site.docs.get((env, line.project, line.resource))
    text = f"{line.kind} {line.name}"
    if doc is None:
        return esc(text)
    return f'<a href="{esc(doc.href)}" title="{esc(line.detail)}">{esc(text)}</a>'


def _bar(used: int, allowed: int | None) -> str:
    if not allowed:
        return ""
    share = used / allowed
    level = "over" if share > 1 else "warn" if share > WARN_SHARE else "ok"
    width = min(100, round(share * 100))
    return (f'<span class="bar {level}" title="{used} of {allowed}"><span style="width:{width}%"></span></span>'
            f'<span class="share">{round(share * 100)}%</span>')


def _plan_section(change: plan_capacity.EnvChange | None) -> str:
    """What the plan (`--plan`) does to this environment: its capacity section's rows, as the plan prints them."""
    if change is None:
        return ""
    only = plan_capacity.CapacityChange((change,))
    pools = _plan_table(plan_capacity.POOL_HEADERS[1:], [row[1:] for row in plan_capacity.pool_rows(only)])
    projects = _plan_table(plan_capacity.PROJECT_HEADERS[1:], [row[1:] for row in plan_capacity.project_rows(only)])
    return (f'<section class="capacity plan-capacity" id="plan-{esc(change.env)}"><h3>This plan in {esc(change.env)}</h3>'
            f'<p class="hint">{esc(plan_capacity.LEGEND)}</p>{pools}{projects}</section>')


def _plan_table(headers: tuple[str, ...], rows: list[list[str]]) -> str:
    if not rows:
        return ""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="capacity-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
