"""The capacity section of a plan: what a change does to GPU demand and quotas (docs/plan.md#capacity).

Both sides render the same targets (the plan's scope), and a target outside the scope renders
the same objects on both sides, so the difference of the rendered sides' GPU lines *is* the
change in demand — exactly, without rendering the rest. Quotas are cheap to know whole: every
project file of the head side is read when a pool is listed (`Side.every_project`; a project
the base side did not load has the same quota there). Hence, per environment and pool:

- Δ steady and Δ peak (docs/capacity.md), and Δ cost per month at the declared price;
- the pool's quota (the projects' quotas, summed) before → after, and the quota headroom
  (capacity × allowed oversubscription − quota) before → after, per cluster;

and per project whose figures change, its Δ steady, Δ peak and quota before → after. Absolute
demand (of a project, of an environment) would need targets the change cannot reach rendered
too; `strata capacity` has it. Environments the change leaves alone are not listed.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from compiler.capacity.formats import per_cluster
from compiler.capacity.report import Demand, EnvFacts, demand_by, lines_of, monthly_cost, pool_key, project_pool_key
from compiler.plan.scope import Scope, touched_projects


@dataclass(frozen=True)
class Change:
    """A figure on both sides; `before`/`after` None when only the difference is known."""

    before: int | float | None
    after: int | float | None
    delta: int | float

    @classmethod
    def of(cls, before: int | float, after: int | float) -> Change:
        return cls(before, after, after - before)

    def json(self) -> dict[str, Any]:
        return {"before": self.before, "after": self.after, "delta": self.delta}

    def shown(self) -> str:
        """`16`, or `16 → 24` when it changes."""
        return _text(self.after) if self.before == self.after else f"{_text(self.before)} → {_text(self.after)}"


@dataclass(frozen=True)
class PoolChange:
    pool: str
    capacity: tuple[dict[str, int], dict[str, int]]           # per cluster, before and after
    oversubscription: tuple[float, float]
    price: tuple[float | None, float | None]
    steady: int                                               # Δ GPUs, services and notebooks at most
    peak: int                                                 # Δ GPUs, everything at once
    quota: Change
    quota_headroom: dict[str, Change]                         # per cluster
    cost: tuple[Decimal, Decimal] | None                      # Δ per month (steady, peak); None: no price

    @property
    def changed(self) -> bool:
        return bool(self.steady or self.peak or self.quota.delta or self.capacity[0] != self.capacity[1]
                    or self.oversubscription[0] != self.oversubscription[1] or self.price[0] != self.price[1])


@dataclass(frozen=True)
class ProjectChange:
    project: str
    pool: str
    steady: int                    # Δ GPUs
    peak: int                      # Δ GPUs
    quota: Change                  # before/after None: the project has no quota line for the pool


@dataclass(frozen=True)
class EnvChange:
    env: str
    clusters: tuple[str, ...]
    pools: tuple[PoolChange, ...]
    projects: tuple[ProjectChange, ...]


@dataclass(frozen=True)
class CapacityChange:
    """Only the environments whose GPU figures change."""

    environments: tuple[EnvChange, ...] = ()


# --- the section -------------------------------------------------------------------------------

def capacity_change(old: Any, head: Any, scope: Scope, changed: Iterable[str]) -> CapacityChange | None:
    """The section for two rendered plan sides (`compiler.plan.build.Side`); None when neither
    side knows any environment (nothing was loaded)."""
    touched = touched_projects(changed)
    before_envs, after_envs = _envs(old), _envs(head)
    if not before_envs and not after_envs:
        return None
    if touched is not None:   # only project folders changed: environments are the same on both sides
        before_envs = {**after_envs, **before_envs}
    # Only an environment with a rendered target, or whose project file changed (a quota), can
    # change: an environment file is an input of every target there.
    changed = frozenset(changed)
    edited = {p.env.name for side in (old, head) if side.build is not None for p in side.build.projects
              if p.file in changed}
    reached = {env for env, _, _ in scope.keys} | edited | (set(before_envs) ^ set(after_envs))
    envs = ({n: e for n, e in before_envs.items() if n in reached}, {n: e for n, e in after_envs.items() if n in reached})
    lines = lines_of(old.emitted, envs[0]), lines_of(head.emitted, envs[1])
    # When only project folders changed, a project the plan did not build has the same quota on
    # both sides: it matters only to the sum of a pool that is listed. Without one, the
    # environments' every other project (~1,200 on the bench) need not be merged.
    found = _env_changes(old, head, envs, lines, touched, every=touched is None)
    if touched is not None and any(change.pools for change in found):
        found = _env_changes(old, head, envs, lines, touched, every=True)
    return CapacityChange(found)


def _env_changes(old: Any, head: Any, envs: tuple[dict, dict], lines: tuple[dict, dict],
                 touched: frozenset[str] | None, every: bool) -> tuple[EnvChange, ...]:
    """Each reached environment's change, its quotas from every project of the head side's world
    (`every`) or from the projects the head side built."""
    (before_envs, after_envs), (before_lines, after_lines) = envs, lines
    head_quotas = _quotas(head, after_envs, every)
    found = []
    for name in sorted(set(before_envs) | set(after_envs)):
        before_quotas = _base_quotas(old, before_envs, name, head_quotas.get(name, {}), touched)
        facts = (_facts(before_envs.get(name), before_quotas), _facts(after_envs.get(name), head_quotas.get(name, {})))
        change = env_change(name, facts, before_lines.get(name, []), after_lines.get(name, []))
        if change.pools or change.projects:
            found.append(change)
    return tuple(found)


def env_change(name: str, facts: tuple[EnvFacts, EnvFacts], before: list, after: list) -> EnvChange:
    old, new = facts
    pools_before, pools_after = demand_by(before, pool_key), demand_by(after, pool_key)
    names = sorted(set(old.pools) | set(new.pools) | set(pools_before) | set(pools_after)
                   | {p for _, p in old.quotas} | {p for _, p in new.quotas})
    pools = [pool_change(pool, old, new, pools_before.get(pool, Demand()), pools_after.get(pool, Demand()))
             for pool in names]
    projects = _project_changes(old, new, before, after)
    return EnvChange(name, new.clusters or old.clusters, tuple(p for p in pools if p.changed), projects)


def pool_change(pool: str, old: EnvFacts, new: EnvFacts, before: Demand, after: Demand) -> PoolChange:
    was, now = old.pools.get(pool), new.pools.get(pool)
    capacity = (was.capacity if was else {}, now.capacity if now else {})
    quota = Change.of(_pool_quota(old, pool), _pool_quota(new, pool))
    headroom = {}
    for cluster in dict.fromkeys([*capacity[1], *capacity[0]]):   # the environment's cluster order
        was_room, now_room = (_num(side[cluster] * facts.oversubscription - _pool_quota(facts, pool))
                              if cluster in side else None for side, facts in zip(capacity, (old, new), strict=True))
        delta = now_room - was_room if now_room is not None and was_room is not None else 0
        headroom[cluster] = Change(was_room, now_room, delta)
    price = (was.price if was else None, now.price if now else None)
    demand = after - before
    return PoolChange(pool, capacity, (old.oversubscription, new.oversubscription), price, demand.steady, demand.peak,
                      quota, headroom, _cost(price, before, after, (len(old.clusters or new.clusters), len(new.clusters))))


def _cost(price: tuple[float | None, float | None], before: Demand, after: Demand,
          clusters: tuple[int, int]) -> tuple[Decimal, Decimal] | None:
    """Δ per month on all the environment's clusters (each runs every object): only when the
    price is the same on both sides (a price change alone would need the whole environment's
    demand, which a plan does not render)."""
    if price[1] is None or price[0] not in (None, price[1]):
        return None
    was, now = (max(1, n) for n in clusters)
    steady = monthly_cost(price[1], after.steady * now - before.steady * was)
    peak = monthly_cost(price[1], after.peak * now - before.peak * was)
    return (steady, peak) if steady is not None and peak is not None else None


def _project_changes(old: EnvFacts, new: EnvFacts, before: list, after: list) -> tuple:
    was, now = demand_by(before, project_pool_key), demand_by(after, project_pool_key)
    keys = sorted(set(was) | set(now) | set(old.quotas) | set(new.quotas))
    found = []
    for project, pool in keys:
        a, b = was.get((project, pool), Demand()), now.get((project, pool), Demand())
        limits = (old.quotas.get((project, pool)), new.quotas.get((project, pool)))   # None: no quota line
        quota = Change(limits[0], limits[1], (limits[1] or 0) - (limits[0] or 0))
        if a == b and not quota.delta:
            continue
        found.append(ProjectChange(project, pool, b.steady - a.steady, b.peak - a.peak, quota))
    return tuple(found)


# --- the sides ---------------------------------------------------------------------------------

def _envs(side: Any) -> dict:
    build = side.build
    if getattr(build, "world", None) is None:
        return {}
    wanted = build.selection.envs
    return {name: layers.env for name, layers in build.world.envs.items() if not wanted or name in wanted}


def _quotas(side: Any, envs: Mapping[str, Any], every: bool = True) -> dict[str, dict[str, Any]]:
    """env → project name → Project: every project of the side (its files read then, if the side
    did not load them), or (not `every`) the projects the side built."""
    from compiler.merge.world import projects_in_env

    if side.build is None:
        return {}
    if not every:
        return {name: {p.name: p for p in side.build.projects if p.env.name == name} for name in envs}
    world = side.every_project()
    return {name: {p.name: p for p in projects_in_env(world, name, side.build.projects)} for name in envs}


def _base_quotas(old: Any, envs: Mapping[str, Any], env: str, head: Mapping[str, Any],
                 touched: frozenset[str] | None) -> dict[str, Any]:
    """The base side's projects of `env`; a project it did not load (no change can reach it) as the head has it."""
    loaded = _quotas(old, {env: envs[env]}).get(env, {}) if env in envs else {}
    if touched is None:
        return loaded
    return {**{n: p for n, p in head.items() if n not in touched}, **loaded}


def _facts(env: Any, projects: Mapping[str, Any]) -> EnvFacts:
    if env is None:
        return EnvFacts("", (), {}, 1.0, {})
    return EnvFacts.of(env, projects.values())


def _pool_quota(facts: EnvFacts, pool: str) -> int:
    return sum(count for (_, p), count in facts.quotas.items() if p == pool)


def signed(value: int | float | Decimal) -> str:
    """`+6`, `−2`, `0`; money with cents and thousands."""
    text = f"{abs(value):,.2f}" if isinstance(value, Decimal) else _text(abs(value))
    return ("+" if value > 0 else "−" if value < 0 else "") + text


def _text(value: int | float | None) -> str:
    if value is None:
        return "—"
    return f"−{_text(-value)}" if value < 0 else str(_num(value))


def _num(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


# --- rows for text and markdown ----------------------------------------------------------------

LEGEND = ("GPUs. Δ steady: services and notebooks at their most replicas; Δ peak: steady plus every job and "
          "pipeline run at once; quota: the projects' quotas for the pool, summed; quota headroom: capacity × "
          "allowed oversubscription − quota; Δ cost: price per GPU-hour × 730 hours a month (docs/capacity.md).")
POOL_HEADERS = ("environment", "pool", "capacity", "Δ steady", "Δ peak", "quota", "quota headroom",
                "Δ cost/month steady", "Δ cost/month peak")
PROJECT_HEADERS = ("environment", "project", "pool", "Δ steady", "Δ peak", "quota")


def pool_rows(change: CapacityChange) -> list[list[str]]:
    return [[env.env, pool.pool, _capacity_cell(pool.capacity, len(env.clusters)), signed(pool.steady),
             signed(pool.peak), pool.quota.shown(), _headroom_cell(pool, len(env.clusters)),
             *((signed(c) for c in pool.cost) if pool.cost is not None else ("—", "—"))]
            for env in change.environments for pool in env.pools]


def project_rows(change: CapacityChange) -> list[list[str]]:
    return [[env.env, p.project, p.pool, signed(p.steady), signed(p.peak), p.quota.shown()]
            for env in change.environments for p in env.projects]


def _capacity_cell(capacity: tuple[dict[str, int], dict[str, int]], clusters: int) -> str:
    before, after = (per_cluster(side, clusters) for side in capacity)
    return after if before == after else f"{before} → {after}"


def _headroom_cell(pool: PoolChange, clusters: int) -> str:
    if not pool.quota_headroom:
        return "—"
    parts = []
    for cluster, room in pool.quota_headroom.items():
        text = room.shown() + (" (over)" if room.after is not None and room.after < 0 else "")
        parts.append(text if clusters <= 1 else f"{cluster} {text}")
    ratios = pool.oversubscription
    ratio = f" (×{ratios[1]:g})" if ratios[0] == ratios[1] else f" (×{ratios[0]:g} → ×{ratios[1]:g})"
    return ", ".join(parts) + ("" if ratios == (1.0, 1.0) else ratio)


# --- JSON --------------------------------------------------------------------------------------

def capacity_json(change: CapacityChange) -> dict[str, Any]:
    """The `capacity` section of the JSON plan (format 1.3, docs/plan.md#capacity)."""
    from compiler.capacity.report import HOURS_PER_MONTH, money

    def pool_json(pool: PoolChange) -> dict[str, Any]:
        return {
            "capacity": {"before": pool.capacity[0] or None, "after": pool.capacity[1] or None},
            "oversubscription": {"before": pool.oversubscription[0], "after": pool.oversubscription[1]},
            "price": {"before": pool.price[0], "after": pool.price[1]},
            "steady": {"delta": pool.steady}, "peak": {"delta": pool.peak},
            "quota": pool.quota.json(),
            "quota_headroom": {c: room.json() for c, room in pool.quota_headroom.items()},
            "cost_per_month": None if pool.cost is None else
            {"steady": {"delta": money(pool.cost[0])}, "peak": {"delta": money(pool.cost[1])}},
        }

    def projects_json(env: EnvChange) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for p in env.projects:
            found.setdefault(p.project, {})[p.pool] = {
                "steady": {"delta": p.steady}, "peak": {"delta": p.peak}, "quota": p.quota.json()}
        return found

    return {"hours_per_month": HOURS_PER_MONTH, "environments": {
        env.env: {"clusters": list(env.clusters), "pools": {p.pool: pool_json(p) for p in env.pools},
                  "projects": projects_json(env)} for env in change.environments}}


def capacity_from_json(section: Mapping[str, Any]) -> CapacityChange:
    """A saved plan's `capacity` section read back (`strata docs generate --plan` shows it);
    KeyError, TypeError or ValueError when it is not one `capacity_json` wrote."""
    def change(doc: Mapping[str, Any]) -> Change:
        return Change(doc["before"], doc["after"], doc["delta"])

    def pool(name: str, doc: Mapping[str, Any]) -> PoolChange:
        cost = doc["cost_per_month"]
        return PoolChange(name, (dict(doc["capacity"]["before"] or {}), dict(doc["capacity"]["after"] or {})),
                          (float(doc["oversubscription"]["before"]), float(doc["oversubscription"]["after"])),
                          (doc["price"]["before"], doc["price"]["after"]), int(doc["steady"]["delta"]),
                          int(doc["peak"]["delta"]), change(doc["quota"]),
                          {c: change(room) for c, room in doc["quota_headroom"].items()},
                          None if cost is None else (Decimal(str(cost["steady"]["delta"])),
                                                     Decimal(str(cost["peak"]["delta"]))))

    return CapacityChange(tuple(
        EnvChange(env, tuple(block["clusters"]), tuple(pool(name, doc) for name, doc in block["pools"].items()),
                  tuple(ProjectChange(project, name, int(doc["steady"]["delta"]), int(doc["peak"]["delta"]),
                                      change(doc["quota"]))
                        for project, pools in block["projects"].items() for name, doc in pools.items()))
        for env, block in section["environments"].items()))
