"""The capacity checks (docs/capacity.md#checks), each at the file:line that causes it.

- `capacity` per cluster names exactly the environment's clusters (always an error);
- a pool's project quotas add up to more than capacity × `policy.capacity.oversubscription`
  (reported as `policy.capacity.onExceed` says, at the pool's `capacity`);
- what can never start (`policy.capacity.onUnschedulable`): a pod asking for more GPUs than a
  node of its pool has (`gpusPerNode`), GPUs asked for in a pool the environment does not have,
  a gang (the pods a batch scheduler admits together) needing more GPUs than its queue allows.

Demand is read from the rendered objects (`compiler.capacity.demand`), queue limits from the
rendered Volcano Queues and Kueue LocalQueue → ClusterQueue → ResourceFlavors.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from compiler.capacity.demand import Gang, Workload, group_of, meta, target_workloads
from compiler.capacity.gpus import Pool, pool_of, pools_of
from compiler.check.quota import parse_quantity
from compiler.errors import Problems
from compiler.provenance import Origin
from compiler.suggest import did_you_mean
from compiler.targets import Emitted, Env, Project, Target

NO_LIMIT = None


# --- declarations (load stage) -------------------------------------------------------------------

def check_declared_capacity(envs: Iterable[Env], problems: Problems) -> None:
    """A `capacity` map gives every cluster of its environment, and names only clusters some
    environment has (a group's map may list the clusters of all its environments)."""
    envs = list(envs)
    known = sorted({c for env in envs for c in env.settings.cluster_names()})
    for env in envs:
        clusters = env.settings.cluster_names()
        for name, pool in sorted(env.settings.gpuPools.items()):
            if not isinstance(pool.capacity, dict):
                continue
            path = ("gpuPools", name, "capacity")
            for cluster in sorted(set(clusters) - set(pool.capacity)):
                problems.add(f"gpuPools.{name}.capacity has no entry for cluster {cluster!r} of environment "
                             f"{env.name}", env.locate(*path), env=env.name)
            for cluster in sorted(set(pool.capacity) - set(known)):
                problems.add(f"gpuPools.{name}.capacity: {cluster!r} is no environment's cluster"
                             + did_you_mean(cluster, known, known="clusters"), env.locate(*path, cluster, key=True))
            if not clusters:
                problems.add(f"gpuPools.{name}.capacity is given per cluster, but environment {env.name} names no "
                             "cluster: give one number, or set `cluster:`", env.locate(*path), env=env.name)


# --- after rendering -----------------------------------------------------------------------------

@dataclass
class Report:
    """Where problems go: errors or warnings, as the environment's policy says."""

    problems: Problems
    warnings: Problems
    seen: set = field(default_factory=set)

    def add(self, env: Env, severity: str, message: str, origin: Origin | None, target: str = "") -> None:
        key = (env.name, message, origin)
        if key in self.seen:
            return
        self.seen.add(key)
        if severity == "error":
            self.problems.add(message, origin, target=target, env=env.name)
        else:
            self.warnings.add(message, origin, target=target, env=env.name, warning=True)


def check_capacity(emitted: Iterable[Emitted], quotas: Callable[[str], list[Project]], envs: Mapping[str, Env],
                   problems: Problems, warnings: Problems,
                   workloads: Iterable[tuple[Target, Sequence[Workload]]] = ()) -> None:
    """Every capacity check of the rendered objects of each environment, and of its quotas.

    `quotas(env)` gives every project of an environment (selected or not: a pool's quotas are
    only known whole); it is asked only where a pool declares its capacity. `envs`: the
    environments checked. `workloads`: targets whose objects are not in `emitted` (rendered by
    compile's workers), with their demand already read (`target_workloads` with the
    environment's pools), checked after those in `emitted`.
    """
    report = Report(problems, warnings)
    by_env: dict[str, list[Emitted]] = defaultdict(list)
    for item in emitted:
        by_env[item.env].append(item)
    given: dict[str, list[tuple[Target, Sequence[Workload]]]] = defaultdict(list)
    for target, works in workloads:
        given[target.env.name].append((target, works))
    for name, env in sorted(envs.items()):
        if declares_capacity(env):
            check_oversubscription(env, quotas(name), report)
        items = by_env.get(name, [])
        queues = QueueLimits.of(items, pools_of(env.settings.gpuPools))
        found = [(target, target_workloads(objects, queues.pools)) for target, objects in _by_target(items)]
        for target, works in found + given.get(name, []):
            for work in works:
                check_pods(target, work, report)
                for gang in work.gangs:
                    check_gang(target, work, gang, queues, report)


def declares_capacity(env: Env) -> bool:
    """Whether a pool of `env` gives its capacity: only then are every project's quotas summed there."""
    return any(pool.capacity is not None for pool in env.settings.gpuPools.values())


def _by_target(items: list[Emitted]) -> list[tuple[Target, list[dict[str, Any]]]]:
    grouped: dict[int, tuple[Target, list[dict[str, Any]]]] = {}
    for item in items:
        if item.target is not None:
            grouped.setdefault(id(item.target), (item.target, []))[1].append(item.obj)
    return list(grouped.values())


def check_oversubscription(env: Env, projects: list[Project], report: Report) -> None:
    policy = env.settings.policy.capacity
    for name, pool in sorted(env.settings.gpuPools.items()):
        quotas = [(p, p.quota.gpu[name]) for p in sorted(projects, key=lambda p: p.name) if p.quota.gpu.get(name)]
        total = sum(q for _, q in quotas)
        for cluster, capacity in pool.capacity_by_cluster(env.settings.cluster_names()).items():
            allowed = capacity * policy.oversubscription
            if total <= allowed:
                continue
            where = f" of cluster {cluster}" if len(pool.capacity_by_cluster(env.settings.cluster_names())) > 1 else ""
            each = ", ".join(f"{p.name} {q} ({p.locate_quota('gpu', name).where()})" for p, q in quotas)
            report.add(env, policy.onExceed,
                       f"gpu pool {name}: project quotas add up to {total} GPUs, more than its capacity{where} "
                       f"{capacity} × oversubscription {_ratio(policy.oversubscription)} = {_ratio(allowed)}: {each}",
                       env.locate("gpuPools", name, "capacity", cluster))   # a map's entry, or the number


def check_pods(target: Target, work: Workload, report: Report) -> None:
    """Every pod of a workload fits a node of its pool, and its pool exists."""
    env = target.env
    severity = env.settings.policy.capacity.onUnschedulable
    for pods in work.pods:
        shape = pods.shape
        who = f"{work.kind} {work.name}" + (f" ({shape.role})" if shape.role else "")
        if shape.pool is None:
            pools = [n for n, p in sorted(env.settings.gpuPools.items()) if p.resourceName == shape.resource]
            report.add(env, severity,
                       f"{who} asks for {shape.gpus} {shape.resource} on nodes that no gpuPool of environment "
                       f"{env.name} selects ({', '.join(pools) or f'none requests {shape.resource}'}): no capacity "
                       "counts it, and it may never be scheduled",
                       target.locate(*spec_path(target, shape.role, "gpuType")), target.identity)
            continue
        per_node = env.settings.gpuPools[shape.pool].gpusPerNode
        if per_node is not None and shape.gpus > per_node:
            report.add(env, severity,
                       f"{who}: one pod asks for {shape.gpus} GPUs, but a node of pool {shape.pool} has "
                       f"{per_node} (gpusPerNode at {env.locate('gpuPools', shape.pool, 'gpusPerNode').where()}): "
                       "it can never be scheduled",
                       target.locate(*spec_path(target, shape.role, "gpu")), target.identity)


def check_gang(target: Target, work: Workload, gang: Gang, queues: QueueLimits, report: Report) -> None:
    """A gang needing more GPUs than its queue can ever grant is never admitted."""
    env = target.env
    for resource, pool, needed in queues.over(gang):
        limit, owner = queues.limit(gang, resource, pool if gang.scheduler == "kueue" else None)
        where = owner.locate_quota("gpu", *((pool,) if pool else ())).where() if owner else ""
        what = f"{pool} GPUs" if gang.scheduler == "kueue" else f"{resource}"
        report.add(env, env.settings.policy.capacity.onUnschedulable,
                   f"{work.kind} {work.name}: its {gang.pods} pods start together ({gang.scheduler} gang) and need "
                   f"at least {needed} {what}, more than {gang.scheduler} queue {gang.queue} allows "
                   f"({limit}{', set at ' + where if where else ''}): it can never be admitted",
                   target.locate(*spec_path(target, gang.role, "replicas")), target.identity)


def spec_path(target: Target, role: str, leaf: str) -> tuple:
    """The spec line behind a pod of `role`: a pipeline step's, else the target's `resources`."""
    if target.kind == "Pipeline":
        step = role.split("/")[0].removeprefix("step-")
        for index, candidate in enumerate(target.spec.steps):
            if candidate.name == step:
                if candidate.container is not None:
                    return ("steps", index, "container", "resources", "gpu" if leaf == "replicas" else leaf)
                return ("steps", index, "job")
        return ("steps",)
    if leaf == "replicas":
        written = target.tree is not None and isinstance(target.tree.data, dict) and "replicas" in target.tree.data
        return ("replicas",) if written else ("resources", "gpu")
    return ("resources", leaf)


# --- queue limits from the rendered queue objects ------------------------------------------------

@dataclass
class QueueLimits:
    """What each queue of one environment allows, per GPU resource (Volcano) or flavor (Kueue)."""

    pools: tuple[Pool, ...]
    volcano: dict[str, tuple[dict[str, int], Project | None]] = field(default_factory=dict)
    local_queues: dict[tuple[str, str], str] = field(default_factory=dict)        # (namespace, name) → ClusterQueue
    cluster_queues: dict[str, tuple[dict[tuple[str, str | None], int | None], Project | None]] = \
        field(default_factory=dict)   # name → ((resource, pool) → limit or None: unlimited)

    @classmethod
    def of(cls, items: Iterable[Emitted], pools: tuple[Pool, ...]) -> QueueLimits:
        items = list(items)
        flavors = {str(meta(i.obj).get("name")): _labels((i.obj.get("spec") or {}).get("nodeLabels"))
                   for i in items if i.obj.get("kind") == "ResourceFlavor"}
        limits = cls(pools)
        for item in items:
            obj, owner = item.obj, item.project_ref
            group, kind = group_of(obj), obj.get("kind")
            if group == "scheduling.volcano.sh" and kind == "Queue":
                capability = (obj.get("spec") or {}).get("capability") or {}
                limits.volcano[str(meta(obj).get("name"))] = (
                    {str(k): int(parse_quantity(v)) for k, v in capability.items()}, owner)
            elif group == "kueue.x-k8s.io" and kind == "LocalQueue":
                key = (str(meta(obj).get("namespace", "")), str(meta(obj).get("name")))
                limits.local_queues[key] = str((obj.get("spec") or {}).get("clusterQueue", ""))
            elif group == "kueue.x-k8s.io" and kind == "ClusterQueue":
                limits.cluster_queues[str(meta(obj).get("name"))] = (limits._kueue(obj, flavors), owner)
        return limits

    def _kueue(self, obj: Mapping[str, Any], flavors: Mapping[str, dict[str, str]]) -> dict[tuple[str, str | None], int | None]:
        """(resource, pool) → most GPUs one flavor of that pool grants (nominal + borrowing limit;
        None when it may borrow without limit from a cohort)."""
        spec = obj.get("spec") or {}
        found: dict[tuple[str, str | None], int | None] = {}
        for group in spec.get("resourceGroups") or []:
            for flavor in group.get("flavors") or []:
                name = str(flavor.get("name"))
                for resource in flavor.get("resources") or []:
                    rname = str(resource.get("name"))
                    labels = flavors.get(name)
                    pool = pool_of(rname, labels, self.pools) if labels is not None else name
                    grant: int | None = int(parse_quantity(resource.get("nominalQuota", 0)))
                    if spec.get("cohort"):
                        borrow = resource.get("borrowingLimit")
                        grant = None if borrow is None or grant is None else grant + int(parse_quantity(borrow))
                    key = (rname, pool)
                    if key in found:
                        previous = found[key]
                        found[key] = None if previous is None or grant is None else max(previous, grant)
                    else:
                        found[key] = grant
        return found

    def limit(self, gang: Gang, resource: str, pool: str | None) -> tuple[int | None, Project | None]:
        if gang.scheduler == "volcano":
            capability, owner = self.volcano.get(gang.queue, ({}, None))
            return capability.get(resource), owner
        cluster_queue = self.local_queues.get((gang.namespace, gang.queue))
        grants, owner = self.cluster_queues.get(cluster_queue or "", ({}, None))
        return grants.get((resource, pool)), owner

    def over(self, gang: Gang) -> list[tuple[str, str | None, int]]:
        """(resource, pool, GPUs needed) lines of a gang above its queue's limit (Volcano: per
    resource; the pool, the first of the gang's, only says where the quota is written)."""
        if gang.scheduler == "volcano":
            if gang.queue not in self.volcano:
                return []        # a queue strata does not emit (the cluster's default queue)
            needed: dict[str, int] = defaultdict(int)
            pools: dict[str, str | None] = {}
            for resource, pool, gpus in gang.gpus:
                needed[resource] += gpus       # a Volcano capability is per resource, whatever the pool
                pools.setdefault(resource, pool)
            return [(r, pools[r], n) for r, n in sorted(needed.items())
                    if (limit := self.limit(gang, r, None)[0]) is not None and n > limit]
        found = []
        for resource, pool, gpus in gang.gpus:
            limit = self.limit(gang, resource, pool)[0]
            if limit is not None and gpus > limit:
                found.append((resource, pool, gpus))
        return found


def _labels(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in (value or {}).items()}


def _ratio(value: float) -> str:
    return f"{value:g}"
