"""The capacity page: GPUs per environment, pool and project against quota and declared capacity."""
from __future__ import annotations

from compiler.docs.capacity import EnvCapacity, Pool, ProjectPool
from compiler.docs.extract import SiteData
from compiler.docs.html import esc, page
from compiler.targets import Key

WARN_SHARE = 0.8   # requested above this share of the quota is shown amber; above the quota, red


def capacity_page(figures: list[EnvCapacity], site: SiteData) -> bytes:
    order = {env: i for i, env in enumerate(site.envs)}
    sections = [_env_section(env, site) for env in sorted(figures, key=lambda e: (order.get(e.env, len(order)), e.env))]
    body = ('<p class="lead">GPUs each project asks for (every replica of every job, service and notebook, as the '
            'quota check counts them) against its quota, per environment and GPU pool. <em>Capacity</em> is what a '
            'pool physically has, where the environment declares it.</p>' + "".join(sections))
    return page("Capacity", "", body, current="capacity.html", heading="<h1>GPU capacity</h1>")


def _env_section(figures: EnvCapacity, site: SiteData) -> str:
    if not figures.pools:
        return f'<section><h2>{esc(figures.env)}</h2><p class="none">No GPU pools and no GPU requests.</p></section>'
    rows = "".join(_pool_rows(pool, figures.env, site) for pool in figures.pools)
    return (f'<section class="capacity" id="env-{esc(figures.env)}"><h2>{esc(figures.env)}</h2>'
            '<table class="capacity-table"><thead><tr><th>Pool / project</th><th class="num">Requested</th>'
            '<th class="num">Quota</th><th class="num">Capacity</th><th>Use of quota</th><th>Workloads</th></tr></thead>'
            f'<tbody>{rows}</tbody></table></section>')


def _pool_rows(pool: Pool, env: str, site: SiteData) -> str:
    capacity = str(pool.capacity) if pool.capacity is not None else '<span class="none" title="not declared">—</span>'
    over = pool.capacity is not None and pool.quota > pool.capacity
    head = (f'<tr class="pool{" over" if over else ""}"><th scope="rowgroup">{esc(pool.name)}</th>'
            f'<td class="num">{pool.requested}</td><td class="num">{pool.quota}</td><td class="num">{capacity}</td>'
            f'<td>{_bar(pool.requested, pool.quota)}</td><td></td></tr>')
    return head + "".join(_project_row(p, env, site) for p in pool.projects)


def _project_row(project: ProjectPool, env: str, site: SiteData) -> str:
    quota = str(project.quota) if project.quota is not None else '<span class="none" title="no quota line">—</span>'
    consumers = ", ".join(f"{_consumer(site, (env, project.project, c.resource))} {c.gpus}" for c in project.consumers)
    return (f'<tr class="project"><td>{esc(project.project)}</td><td class="num">{project.requested}</td>'
            f'<td class="num">{quota}</td><td></td><td>{_bar(project.requested, project.quota)}</td>'
            f'<td class="consumers">{consumers}</td></tr>')


def _consumer(site: SiteData, key: Key) -> str:
    doc = site.docs.get(key)
    if doc is None:
        return esc(key[2])
    return f'<a href="{esc(doc.href)}">{esc(doc.target.kind)} {esc(doc.target.name)}</a>'


def _bar(requested: int, allowed: int | None) -> str:
    if not allowed:
        return ""
    share = requested / allowed
    level = "over" if share > 1 else "warn" if share > WARN_SHARE else "ok"
    width = min(100, round(share * 100))
    return (f'<span class="bar {level}" title="{requested} of {allowed}"><span style="width:{width}%"></span></span>'
            f'<span class="share">{round(share * 100)}%</span>')
