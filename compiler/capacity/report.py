"""Capacity figures of one environment: per pool and per project, from rendered demand and quotas.

- *steady*: services and notebooks at their most replicas (`steady_min`: at their fewest);
- *peak*: steady plus every job and pipeline run at once (each as its rule counts it);
- *quota*: the project quotas of the pool (`quota.gpu.<pool>`), summed;
- *quota headroom*: capacity × allowed oversubscription − quota, per cluster;
- *peak headroom*: capacity − peak, per cluster (every cluster of an environment runs all of it);
- *cost per month*: price per GPU-hour × GPUs × `HOURS_PER_MONTH`.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from compiler.capacity.demand import Workload, target_workloads
from compiler.capacity.gpus import pools_of
from compiler.targets import Emitted, Env, Project

HOURS_PER_MONTH = 730          # 8,760 hours a year / 12, as cloud price lists count a month
NO_POOL = "(no pool)"          # GPUs whose pod matches no gpuPools entry


@dataclass(frozen=True)
class Line:
    """One workload's GPUs in one pool: what manifest.json keeps per target."""

    project: str
    resource: str              # the target: `job.train`
    kind: str                  # the object: `PyTorchJob`
    name: str
    pool: str                  # a gpuPools name, or NO_POOL
    low: int                   # GPUs at its fewest at once
    high: int                  # GPUs at its most at once
    steady: bool
    detail: str

    def record(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "pool": self.pool, "min": self.low, "max": self.high,
                "steady": self.steady, "detail": self.detail}

    @classmethod
    def from_record(cls, project: str, resource: str, record: Mapping[str, Any]) -> Line:
        return cls(project, resource, str(record["kind"]), str(record["name"]), str(record["pool"]),
                   int(record["min"]), int(record["max"]), bool(record["steady"]), str(record.get("detail", "")))


def target_lines(project: str, resource: str, objects: Iterable[Mapping[str, Any]], env: Env) -> list[Line]:
    """The GPU lines of one target's rendered objects."""
    return workload_lines(project, resource, target_workloads(objects, pools_of(env.settings.gpuPools)))


def workload_lines(project: str, resource: str, workloads: Iterable[Workload]) -> list[Line]:
    """The GPU lines of one target's workloads (compiler.capacity.demand.target_workloads)."""
    return [Line(project, resource, w.kind, w.name, pool or NO_POOL, low, high, w.steady, w.detail)
            for w in workloads for pool, low, high in w.totals if high]


def lines_of(emitted: Iterable[Emitted], envs: Mapping[str, Env]) -> dict[str, list[Line]]:
    """Environment → the GPU lines of every target among `emitted` (project objects ask for none)."""
    grouped: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for item in emitted:
        if item.target is not None and item.env in envs:
            grouped[(item.env, item.project, item.resource)].append(item.obj)
    found: dict[str, list[Line]] = defaultdict(list)
    for (env, project, resource), objects in sorted(grouped.items()):
        found[env] += target_lines(project, resource, objects, envs[env])
    return dict(found)


# --- sums ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Demand:
    steady_min: int = 0
    steady: int = 0
    peak: int = 0

    def __add__(self, other: Demand) -> Demand:
        return Demand(self.steady_min + other.steady_min, self.steady + other.steady, self.peak + other.peak)

    def __sub__(self, other: Demand) -> Demand:
        return Demand(self.steady_min - other.steady_min, self.steady - other.steady, self.peak - other.peak)


def demand_of(line: Line) -> Demand:
    if line.steady:
        return Demand(line.low, line.high, line.high)
    return Demand(0, 0, line.high)


def pool_key(line: Line) -> str:
    return line.pool


def project_pool_key(line: Line) -> tuple[str, str]:
    return (line.project, line.pool)


def demand_by(lines: Iterable[Line], key) -> dict[Any, Demand]:
    sums: dict[Any, Demand] = defaultdict(Demand)
    for line in lines:
        sums[key(line)] += demand_of(line)
    return dict(sums)


def quota_by_project(projects: Iterable[Project]) -> dict[tuple[str, str], int]:
    """(project, pool) → GPUs of its quota there."""
    return {(p.name, pool): count for p in projects for pool, count in p.quota.gpu.items()}


# --- one environment -------------------------------------------------------------------------------

@dataclass(frozen=True)
class PoolRow:
    pool: str
    capacity: dict[str, int]          # cluster → GPUs ({}: not declared)
    per_node: int | None
    price: float | None
    oversubscription: float
    quota: int
    demand: Demand
    clusters: int = 1                 # every cluster of the environment runs the whole demand

    def quota_headroom(self) -> dict[str, float]:
        return {c: gpus * self.oversubscription - self.quota for c, gpus in self.capacity.items()}

    def peak_headroom(self) -> dict[str, int]:
        return {c: gpus - self.demand.peak for c, gpus in self.capacity.items()}

    def cost(self, gpus: int) -> Decimal | None:
        """Per month, on all the environment's clusters: each runs every object (SPEC §8)."""
        return monthly_cost(self.price, gpus * self.clusters)


def monthly_cost(price: float | None, gpus: int) -> Decimal | None:
    """price per GPU-hour × GPUs × HOURS_PER_MONTH, to the cent; None without a price."""
    if price is None:
        return None
    return (Decimal(str(price)) * gpus * HOURS_PER_MONTH).quantize(Decimal("0.01"), ROUND_HALF_UP)


@dataclass(frozen=True)
class ProjectRow:
    project: str
    pool: str
    quota: int | None                # None: the project has no quota line for the pool
    demand: Demand


@dataclass(frozen=True)
class EnvCapacity:
    env: str
    clusters: tuple[str, ...]
    pools: tuple[PoolRow, ...]
    projects: tuple[ProjectRow, ...]
    lines: tuple[Line, ...]
    complete: bool = True            # demand of every project counted (no --project selection)


@dataclass(frozen=True)
class PoolFacts:
    """A pool as declared: GPUs per cluster, per node, price per GPU-hour."""

    capacity: dict[str, int]
    per_node: int | None = None
    price: float | None = None


@dataclass(frozen=True)
class EnvFacts:
    """What an environment declares and what its projects are allotted: all the figures need
    besides demand. Rebuilt from a manifest's capacity block when a partial compile merges."""

    env: str
    clusters: tuple[str, ...]
    pools: dict[str, PoolFacts]
    oversubscription: float
    quotas: dict[tuple[str, str], int]          # (project, pool) → GPUs

    @classmethod
    def of(cls, env: Env, projects: Iterable[Project]) -> EnvFacts:
        settings, clusters = env.settings, env.settings.cluster_names()
        pools = {name: PoolFacts(pool.capacity_by_cluster(clusters), pool.gpusPerNode, pool.price)
                 for name, pool in settings.gpuPools.items()}
        return cls(env.name, tuple(clusters), pools, settings.policy.capacity.oversubscription,
                   quota_by_project(projects))

    def record(self) -> dict[str, Any]:
        """Every fact as JSON data (a shard records its environments'; `strata merge` sums them)."""
        return {"env": self.env, "clusters": list(self.clusters), "oversubscription": self.oversubscription,
                "pools": {name: {"capacity": pool.capacity, "gpusPerNode": pool.per_node, "price": pool.price}
                          for name, pool in self.pools.items()},
                "quotas": [[project, pool, gpus] for (project, pool), gpus in sorted(self.quotas.items())]}

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> EnvFacts:
        pools = {name: PoolFacts(dict(row["capacity"]), row["gpusPerNode"], row["price"])
                 for name, row in data["pools"].items()}
        return cls(data["env"], tuple(data["clusters"]), pools, data["oversubscription"],
                   {(project, pool): gpus for project, pool, gpus in data["quotas"]})

    @classmethod
    def from_json(cls, env: str, block: Mapping[str, Any]) -> EnvFacts:
        pools = {name: PoolFacts(dict(row.get("capacity") or {}), row.get("gpusPerNode"), row.get("price"))
                 for name, row in block["pools"].items() if name != NO_POOL}
        ratios = {row["oversubscription"] for row in block["pools"].values()}
        quotas = {(project, pool): row["quota"] for project, rows in block["projects"].items()
                  for pool, row in rows.items() if row.get("quota")}
        return cls(env, tuple(block["clusters"]), pools, ratios.pop() if ratios else 1.0, quotas)


def summarize(facts: EnvFacts, lines: Iterable[Line], *, complete: bool = True) -> EnvCapacity:
    """The figures of one environment from what it declares and allots, and its GPU lines."""
    lines = sorted(lines, key=lambda line: (line.project, line.resource, line.kind, line.name, line.pool))
    by_pool = demand_by(lines, pool_key)
    by_project = demand_by(lines, project_pool_key)
    names = sorted(set(facts.pools) | {pool for _, pool in facts.quotas} | set(by_pool), key=_pool_order)
    rows = []
    for name in names:
        pool = facts.pools.get(name, PoolFacts({}))
        quota = sum(count for (_, p), count in facts.quotas.items() if p == name)
        demand = by_pool.get(name, Demand())
        if pool.capacity or quota or demand.peak:
            rows.append(PoolRow(name, pool.capacity, pool.per_node, pool.price, facts.oversubscription, quota, demand,
                                max(1, len(facts.clusters))))
    keys = sorted(set(by_project) | {k for k, count in facts.quotas.items() if count},
                  key=lambda k: (k[0], _pool_order(k[1])))
    project_rows = tuple(ProjectRow(project, pool, facts.quotas.get((project, pool)),
                                    by_project.get((project, pool), Demand())) for project, pool in keys)
    return EnvCapacity(facts.env, facts.clusters, tuple(rows), project_rows, tuple(lines), complete)


def merged_blocks(old: Mapping[str, Any], new: Mapping[str, Any], targets: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """A partial compile's capacity blocks merged into the previous manifest's: the compiled
    environments' figures again, from their declarations and every target entry now in the manifest."""
    lines = lines_of_entries(targets)
    merged = dict(old)
    for env, block in new.items():
        merged[env] = to_json(summarize(EnvFacts.from_json(env, block), lines.get(env, [])), workloads=False)
    return dict(sorted(merged.items()))


def lines_of_entries(entries: Iterable[Mapping[str, Any]]) -> dict[str, list[Line]]:
    """Environment → the GPU lines of manifest.json target entries (their `gpus`)."""
    found: dict[str, list[Line]] = defaultdict(list)
    for entry in entries:
        resource = f"{str(entry['kind']).lower()}.{entry['name']}"
        found[entry["env"]] += [Line.from_record(entry["project"], resource, r) for r in entry.get("gpus", [])]
    return dict(found)


def _pool_order(pool: str) -> tuple[bool, str]:
    return (pool == NO_POOL, pool)


# --- JSON (manifest.json, `strata capacity --format json`) -----------------------------------------

def to_json(report: EnvCapacity, *, workloads: bool = True) -> dict[str, Any]:
    """`workloads` lists every GPU line (manifest.json has them per target instead)."""
    found = {
        "clusters": list(report.clusters),
        "complete": report.complete,
        "hours_per_month": HOURS_PER_MONTH,
        "pools": {row.pool: pool_json(row) for row in report.pools},
        "projects": _projects_json(report.projects),
    }
    if workloads:
        found["workloads"] = [{"project": line.project, "resource": line.resource, **line.record()}
                              for line in report.lines]
    return found


def pool_json(row: PoolRow) -> dict[str, Any]:
    found: dict[str, Any] = {"capacity": row.capacity or None, "gpusPerNode": row.per_node, "price": row.price,
                             "oversubscription": row.oversubscription, "quota": row.quota,
                             **demand_json(row.demand)}
    if row.capacity:
        found["quota_headroom"] = {c: number(v) for c, v in row.quota_headroom().items()}
        found["peak_headroom"] = row.peak_headroom()
    if row.price is not None:
        found["cost_per_month"] = {"steady": money(row.cost(row.demand.steady)), "peak": money(row.cost(row.demand.peak))}
    return found


def demand_json(demand: Demand) -> dict[str, int]:
    return {"steady": demand.steady, "steady_min": demand.steady_min, "peak": demand.peak}


def _projects_json(rows: Iterable[ProjectRow]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for row in rows:
        found.setdefault(row.project, {})[row.pool] = {"quota": row.quota, **demand_json(row.demand)}
    return found


def number(value: float) -> int | float:
    """A whole number as an int (JSON `48`, not `48.0`)."""
    return int(value) if float(value).is_integer() else round(value, 6)


def money(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None
