"""The platform target of one environment: the cluster-scoped objects its projects share.

`out/<env>/_platform/manifests.yaml` holds, from the environment's (and its group's)
settings only — never from any project, so adding or removing a project cannot change it:

- a `scheduling.k8s.io/v1` PriorityClass per `priorityClasses` entry: the kube-apiserver's
  Priority admission rejects a pod whose `priorityClassName` does not exist, and Kueue and
  Volcano read the class of a job's pods;
- with `scheduler: kueue`, a Kueue WorkloadPriorityClass of the same name and value (the job's
  `kueue.x-k8s.io/priority-class` label names it; a missing one leaves the job suspended), and
  the ResourceFlavors every project's ClusterQueue names: `default-flavor` for cpu and memory
  and one per `gpuPools` entry, named after the pool's key as a DNS-1123 label
  (compiler/check/environment.py `flavor_name`), the key kept in an annotation.
"""
from __future__ import annotations

from typing import Any

from compiler.check.environment import DEFAULT_FLAVOR, flavor_name
from compiler.kinds import PLATFORM_RESOURCE
from compiler.render.common import MANAGED_BY, k8s_object
from compiler.targets import Env
from schemas.environment import GpuPool

KUEUE_API = "kueue.x-k8s.io/v1beta2"
GPU_POOL_ANNOTATION = "strata.dev/gpu-pool"


def platform_labels(env: Env) -> dict[str, str]:
    return {**MANAGED_BY, "strata.dev/environment": env.name, "strata.dev/resource": PLATFORM_RESOURCE}


def _meta(env: Env, name: str, annotations: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": platform_labels(env)}
    if annotations:
        meta["annotations"] = annotations
    return meta


def render_platform(env: Env) -> list[dict[str, Any]]:
    """Every object of the environment's platform target, in apply order."""
    objects = priority_classes(env)
    if env.settings.scheduler == "kueue":
        objects += workload_priority_classes(env) + resource_flavors(env)
    return objects


def _described(env: Env) -> str:
    return f"declared by environment {env.name} (strata)"


def priority_classes(env: Env) -> list[dict[str, Any]]:
    return [k8s_object("scheduling.k8s.io/v1", "PriorityClass", _meta(env, name), value=value,
                       globalDefault=False, description=_described(env))
            for name, value in sorted(env.settings.priorityClasses.items())]


def workload_priority_classes(env: Env) -> list[dict[str, Any]]:
    return [k8s_object(KUEUE_API, "WorkloadPriorityClass", _meta(env, name), value=value,
                       description=_described(env))
            for name, value in sorted(env.settings.priorityClasses.items())]


def resource_flavors(env: Env) -> list[dict[str, Any]]:
    """`default-flavor`, then one flavor per GPU pool carrying its nodeSelector and tolerations,
    so Kueue places an admitted pod on the pool whose quota it was given."""
    flavors = [k8s_object(KUEUE_API, "ResourceFlavor", _meta(env, DEFAULT_FLAVOR), spec={})]
    pools = env.settings.gpuPools
    for key in sorted(pools, key=flavor_name):
        flavors.append(k8s_object(KUEUE_API, "ResourceFlavor",
                                  _meta(env, flavor_name(key), {GPU_POOL_ANNOTATION: key}),
                                  spec=_flavor_spec(pools[key])))
    return flavors


def _flavor_spec(pool: GpuPool) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    if pool.nodeSelector:
        spec["nodeLabels"] = dict(sorted(pool.nodeSelector.items()))
    if pool.tolerations:
        spec["tolerations"] = [t.model_dump(exclude_none=True) for t in pool.tolerations]
    return spec
