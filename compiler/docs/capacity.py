"""The capacity page's figures: GPUs per environment × pool × project, against quota and capacity.

`capacity_figures` is the one seam between the site and where the numbers come from.
Today it sums what the quota check sums (`compiler.check.quota.workload_usage`: every
replica of every Job, Service and Notebook, per gpuType) against each project's quota
for the environment; no environment declares its pools' physical capacity yet, so
`capacity` is None. When `strata capacity` (issue 19) lands, this function reads its
figures instead (demand computed from the rendered objects, declared capacity) and the
page shows them unchanged.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from compiler.check.quota import workload_usage, workloads

NO_TYPE = "(no gpuType)"


@dataclass(frozen=True)
class Consumer:
    resource: str          # `<kind>.<name>`
    gpus: int


@dataclass(frozen=True)
class ProjectPool:
    project: str
    requested: int                 # GPUs with every replica of every workload running
    quota: int | None              # the project's `quota.gpu.<pool>` here; None: no quota line
    consumers: tuple[Consumer, ...] = ()


@dataclass(frozen=True)
class Pool:
    name: str
    capacity: int | None           # GPUs the pool has (declared); None: not declared
    projects: tuple[ProjectPool, ...] = ()

    @property
    def requested(self) -> int:
        return sum(p.requested for p in self.projects)

    @property
    def quota(self) -> int:
        return sum(p.quota or 0 for p in self.projects)


@dataclass(frozen=True)
class EnvCapacity:
    env: str
    pools: tuple[Pool, ...] = ()
    source: str = "quota"          # where the demand figures come from


def capacity_figures(build) -> list[EnvCapacity]:
    """Per selected environment (in name order), each GPU pool's projects: requested GPUs and quota."""
    requested: dict[tuple[str, str, str], dict[str, int]] = defaultdict(dict)   # (env, pool, project) → resource → GPUs
    for target in workloads(build.targets):
        for gpu_type, count in workload_usage(target).gpu.items():
            if count:
                requested[(target.env.name, gpu_type or NO_TYPE, target.project.name)][target.resource] = count
    quotas = {(p.env.name, pool, p.name): count for p in build.projects for pool, count in p.quota.gpu.items()}
    envs = sorted({p.env.name for p in build.projects} | {k[0] for k in requested})
    pools_of = {p.env.name: p.env.settings.gpuPools for p in build.projects}
    found = []
    for env in envs:
        names = sorted({*pools_of.get(env, {}), *(k[1] for k in (*requested, *quotas) if k[0] == env)})
        pools = []
        for pool in names:
            projects = sorted({k[2] for k in (*requested, *quotas) if k[:2] == (env, pool)})
            pools.append(Pool(pool, _declared_capacity(pools_of.get(env, {}).get(pool)), tuple(
                ProjectPool(project, sum(requested.get((env, pool, project), {}).values()),
                            quotas.get((env, pool, project)),
                            tuple(Consumer(r, n) for r, n in sorted(requested.get((env, pool, project), {}).items())))
                for project in projects)))
        found.append(EnvCapacity(env, tuple(pools)))
    return found


def _declared_capacity(pool) -> int | None:
    """A pool's declared GPUs, once environments can declare them (`gpuPools.<pool>.capacity`)."""
    capacity = getattr(pool, "capacity", None)
    return capacity if isinstance(capacity, int) else None
