"""The GPUs a pod asks for, and the pool it lands in — read from the pod, not from the spec.

A pod's pool is the environment's `gpuPools` entry whose `resourceName` the pod requests and
whose `nodeSelector` is contained in the pod's: strata puts both on every pod, and whatever
changed them afterwards (a chart of the repo's own, a patch) is what the cluster sees. When
several pools match, the one with the most selector labels wins (the most specific); a GPU
request that matches no pool has pool `None` ("no pool").

GPU counts are Kubernetes extended resources: whole numbers, requests equal to limits (a
limit alone sets the request). They are parsed with the quota check's quantity arithmetic.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from compiler.check.quota import parse_quantity

# GPU resources known without a pool naming them (so a request for one outside every pool is seen).
KNOWN_GPU = re.compile(r"^(nvidia\.com/(gpu|mig-[\w.-]+)|amd\.com/gpu|gpu\.intel\.com/[\w.-]+)$")
NO_POOL = None


@dataclass(frozen=True)
class Pool:
    """What matching needs from one `gpuPools` entry."""

    name: str
    resource: str
    selector: tuple[tuple[str, str], ...]

    def matches(self, resource: str, node_selector: Mapping[str, str]) -> bool:
        return resource == self.resource and all(node_selector.get(k) == v for k, v in self.selector)


def pools_of(gpu_pools: Mapping[str, Any]) -> tuple[Pool, ...]:
    """`EnvironmentSettings.gpuPools` as matchable pools, in name order."""
    return tuple(Pool(name, pool.resourceName, tuple(sorted((k, str(v)) for k, v in pool.nodeSelector.items())))
                 for name, pool in sorted(gpu_pools.items()))


def is_gpu(resource: str, pools: Iterable[Pool]) -> bool:
    return KNOWN_GPU.match(resource) is not None or any(p.resource == resource for p in pools)


def pool_of(resource: str, node_selector: Mapping[str, str], pools: Iterable[Pool]) -> str | None:
    """The most specific pool the request matches (ties: the first by name), else None."""
    matching = sorted((p for p in pools if p.matches(resource, node_selector)), key=lambda p: p.name)
    if not matching:
        return NO_POOL
    most = max(len(p.selector) for p in matching)
    return next(p.name for p in matching if len(p.selector) == most)


def container_gpus(container: Mapping[str, Any], pools: Iterable[Pool]) -> dict[str, int]:
    """GPU resource → count of one container (its request; a limit alone is the request)."""
    resources = container.get("resources") or {}
    requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
    found: dict[str, int] = {}
    for name in sorted(set(requests) | set(limits)):
        if is_gpu(name, pools):
            amount = int(parse_quantity(requests.get(name, limits.get(name))))
            if amount:
                found[name] = amount
    return found


def pod_gpus(pod: Mapping[str, Any], pools: Iterable[Pool]) -> dict[str, int]:
    """What the scheduler reserves for a pod, per GPU resource (Kubernetes' effective request):
    the app containers plus sidecars (init containers with restartPolicy Always), or the largest
    plain init container when that is more — init containers run one at a time, before the rest."""
    pools = tuple(pools)
    running: dict[str, int] = {}
    largest_init: dict[str, int] = {}
    for init in pod.get("initContainers") or []:
        target = running if init.get("restartPolicy") == "Always" else None
        for name, amount in container_gpus(init, pools).items():
            if target is not None:
                target[name] = target.get(name, 0) + amount
            else:
                largest_init[name] = max(largest_init.get(name, 0), amount)
    for main in pod.get("containers") or []:
        for name, amount in container_gpus(main, pools).items():
            running[name] = running.get(name, 0) + amount
    names = sorted(set(running) | set(largest_init))
    return {name: max(running.get(name, 0), largest_init.get(name, 0)) for name in names}


@dataclass(frozen=True)
class Shape:
    """One kind of pod: its role in the workload and the GPUs of one pool it asks for."""

    role: str                  # "Worker", "predictor", "step-train", "" for single-pod workloads
    pool: str | None
    resource: str
    gpus: int                  # per pod


def pod_shapes(role: str, pod: Mapping[str, Any], pools: Iterable[Pool]) -> list[Shape]:
    """A pod spec's GPU requests as shapes (one per GPU resource it asks for; usually one)."""
    pools = tuple(pools)
    selector = {str(k): str(v) for k, v in (pod.get("nodeSelector") or {}).items()}
    return [Shape(role, pool_of(name, selector, pools), name, amount)
            for name, amount in pod_gpus(pod, pools).items()]
