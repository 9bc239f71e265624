"""Pod-template building blocks shared by jobs, notebooks, pipeline steps and services.

One place turns `resources`, `env`, `datasets` and `gpuType` into container
fields, volumes and scheduling, so every workload family agrees on them.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from compiler.targets import Target
from schemas.common import DatasetMount, EnvVar, Resources
from schemas.pod import Pod, Volume

SHM_VOLUME = "dshm"
# Fluid (>= 0.9) calls its webhook only for pods carrying this label (an objectSelector; the
# namespace label `fluid.io/enable-injection` is no longer read), and without it no cache
# placement plugin runs: the sched label below would be inert.
FLUID_INJECT = "fuse.serverful.fluid.io/inject"


@dataclass
class PodParts:
    """Everything a pod needs beyond its containers' command line."""

    volumes: list[dict[str, Any]] = field(default_factory=list)
    mounts: list[dict[str, Any]] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    node_selector: dict[str, str] = field(default_factory=dict)
    tolerations: list[dict[str, Any]] = field(default_factory=list)
    annotations: dict[str, str] = field(default_factory=dict)
    pod_fields: dict[str, Any] = field(default_factory=dict)        # serviceAccountName, securityContext, ...
    container_fields: dict[str, Any] = field(default_factory=dict)  # workingDir, imagePullPolicy, ports


def env_vars(env: list[EnvVar]) -> list[dict[str, Any]]:
    """`value` stays a value; `secretRef` becomes a secretKeyRef (never the secret itself)."""
    out: list[dict[str, Any]] = []
    for var in env:
        if var.secretRef is not None:
            out.append({"name": var.name, "valueFrom": {"secretKeyRef": {
                "name": var.secretRef.name, "key": var.secretRef.key}}})
        elif var.fieldRef is not None:
            out.append({"name": var.name, "valueFrom": {"fieldRef": {"fieldPath": var.fieldRef}}})
        else:
            out.append({"name": var.name, "value": var.value})
    return out


def gpu_resource_name(target: Target, resources: Resources) -> str | None:
    return target.env.gpu_resource(resources.gpuType) if resources.gpu else None


AMOUNTS = (("cpu", "cpu"), ("memory", "memory"), ("ephemeralStorage", "ephemeral-storage"))


def container_resources(target: Target, resources: Resources) -> dict[str, Any]:
    """cpu, memory and ephemeral storage are requests, and limits unless `limits` says
    otherwise (`none`: no limit); GPUs are always both."""
    requests: dict[str, str] = {}
    limits: dict[str, str] = {}
    for field_name, key in AMOUNTS:
        request, limit = getattr(resources, field_name), resources.limit(field_name)
        if request is not None:
            requests[key] = request
        if limit is not None:
            limits[key] = limit
    gpu_name = gpu_resource_name(target, resources)
    if gpu_name:
        requests[gpu_name] = limits[gpu_name] = str(resources.gpu)
    return {k: v for k, v in (("requests", requests), ("limits", limits)) if v}


def gpu_scheduling(target: Target, resources: Resources, parts: PodParts) -> None:
    """nodeSelector and tolerations of the env's pool for `gpuType`."""
    if not resources.gpu or not resources.gpuType:
        return
    pool = target.env.settings.gpuPools.get(resources.gpuType)
    if pool is None:
        return
    parts.node_selector.update(pool.nodeSelector)
    for tol in pool.tolerations:
        parts.tolerations.append(tol.model_dump(exclude_none=True))


def shm_volume(resources: Resources, parts: PodParts) -> None:
    """`shm` as a memory-backed emptyDir at /dev/shm (PyTorch data loaders need it)."""
    if resources.shm is None:
        return
    parts.volumes.append({"name": SHM_VOLUME, "emptyDir": {"medium": "Memory", "sizeLimit": resources.shm}})
    parts.mounts.append({"name": SHM_VOLUME, "mountPath": "/dev/shm"})


def dataset_claim(dataset: Target) -> tuple[str, str | None]:
    """(claim name, subPath) a consumer mounts for a Dataset target (SPEC §3 Dataset)."""
    spec = dataset.spec
    if spec.cache.engine == "none":
        source = spec.sources[0]
        if source.scheme == "pvc":
            claim, _, sub = source.uri[len("pvc://"):].partition("/")
            return claim, (sub.strip("/") or None)
    return dataset.name, None


def dataset_volumes(target: Target, mounts: list[DatasetMount], ctx: Any, parts: PodParts,
                    path: tuple = ("datasets",)) -> None:
    """PVC volumes for each mounted dataset, plus Fluid's webhook and required-placement labels."""
    for mount in mounts:
        dataset = ctx.find("Dataset", mount.name)
        if dataset is None:
            continue  # an unknown dataset: reported by the graph stage
        claim, sub_path = dataset_claim(dataset)
        volume = f"data-{mount.name}"
        parts.volumes.append({"name": volume, "persistentVolumeClaim": {
            "claimName": claim, "readOnly": mount.readOnly}})
        volume_mount: dict[str, Any] = {"name": volume, "mountPath": mount.mountPath, "readOnly": mount.readOnly}
        if sub_path:
            volume_mount["subPath"] = sub_path
        parts.mounts.append(volume_mount)
        if dataset.spec.cache.engine != "none":
            parts.labels[FLUID_INJECT] = "true"
            if dataset.spec.placement == "required":
                parts.labels[f"fluid.io/dataset.{dataset.name}.sched"] = "required"


def pod_parts(target: Target, resources: Resources, mounts: list[DatasetMount], ctx: Any,
              pod: Pod | None = None, path: tuple = ("pod",)) -> PodParts:
    """Datasets, /dev/shm, the GPU pool, then the `pod:` block at spec path `path`."""
    parts = PodParts()
    dataset_volumes(target, mounts, ctx, parts)
    shm_volume(resources, parts)
    gpu_scheduling(target, resources, parts)
    if pod is not None:
        pod_block(target, pod, parts, ctx, path)
    return parts


def pod_block(target: Target, pod: Pod, parts: PodParts, ctx: Any, path: tuple = ("pod",)) -> None:
    """The `pod:` block (schemas/pod.py) into pod parts: the same meaning for every kind."""
    for key, value in sorted(pod.nodeSelector.items()):
        if parts.node_selector.get(key, value) != value:
            ctx.error(target, (*path, "nodeSelector", key),
                      f"nodeSelector {key} is set to {parts.node_selector[key]!r} by the gpuPool of this "
                      f"gpuType; pod.nodeSelector may not change it")
        parts.node_selector[key] = value
    parts.tolerations += [t.model_dump(exclude_none=True) for t in pod.tolerations]
    parts.labels.update(pod.labels)
    parts.annotations.update(pod.annotations)
    for volume in pod.volumes:
        parts.volumes.append(pod_volume(volume))
        parts.mounts.append(volume_mount(volume))
    if pod.serviceAccount:
        parts.pod_fields["serviceAccountName"] = pod.serviceAccount
    if pod.securityContext is not None:
        parts.pod_fields["securityContext"] = pod.securityContext.model_dump(exclude_none=True)
    if pod.imagePullSecrets:
        parts.pod_fields["imagePullSecrets"] = [{"name": s.name} for s in pod.imagePullSecrets]
    if pod.workingDir:
        parts.container_fields["workingDir"] = pod.workingDir
    if pod.imagePullPolicy:
        parts.container_fields["imagePullPolicy"] = pod.imagePullPolicy
    if pod.ports:
        parts.container_fields["ports"] = [{"name": p.name, "containerPort": p.containerPort, "protocol": p.protocol}
                                           for p in pod.ports]


def pod_volume(volume: Volume) -> dict[str, Any]:
    source: dict[str, Any]
    if volume.configMap is not None:
        source = {"configMap": {"name": volume.configMap}}
    elif volume.secret is not None:
        source = {"secret": {"secretName": volume.secret}}
    elif volume.claim is not None:
        source = {"persistentVolumeClaim": {"claimName": volume.claim, **({"readOnly": True} if volume.readOnly else {})}}
    elif volume.hostPath is not None:
        source = {"hostPath": {"path": volume.hostPath}}
    else:
        empty = volume.emptyDir
        source = {"emptyDir": empty.model_dump(exclude_none=True, exclude_defaults=True) if empty else {}}
    return {"name": volume.name, **source}


def volume_mount(volume: Volume) -> dict[str, Any]:
    mount: dict[str, Any] = {"name": volume.name, "mountPath": volume.mountPath}
    if volume.readOnly:
        mount["readOnly"] = True
    if volume.subPath:
        mount["subPath"] = volume.subPath
    return mount


def container(name: str, image: str | None, *, command: Sequence[str] = (), args: Sequence[str] = (),
              env: Sequence[EnvVar] = (), resources: dict[str, Any] | None = None,
              mounts: Sequence[dict[str, Any]] = (), ports: Sequence[dict[str, Any]] = (),
              parts: PodParts | None = None) -> dict[str, Any]:
    """A container dict with empty fields left out; `parts` adds the `pod:` block's container fields."""
    extra = parts.container_fields if parts is not None else {}
    out: dict[str, Any] = {"name": name}
    if image:
        out["image"] = image
    if extra.get("imagePullPolicy"):
        out["imagePullPolicy"] = extra["imagePullPolicy"]
    if command:
        out["command"] = list(command)
    if args:
        out["args"] = list(args)
    if extra.get("workingDir"):
        out["workingDir"] = extra["workingDir"]
    if env:
        out["env"] = env_vars(list(env))
    if extra.get("securityContext"):   # a network profile's (compiler/render/network.py)
        out["securityContext"] = extra["securityContext"]
    ports = [*ports, *extra.get("ports", ())]
    if ports:
        out["ports"] = ports
    if resources:
        out["resources"] = resources
    if mounts:
        out["volumeMounts"] = list(mounts)
    return out


def pod_spec(containers: list[dict[str, Any]], parts: PodParts, **extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {**{k: v for k, v in extra.items() if v is not None}, "containers": containers}
    spec.update(placement(parts))
    return spec


def placement(parts: PodParts) -> dict[str, Any]:
    """The pod-level fields of a pod spec: service account, security, pull secrets, nodeSelector,
    tolerations and volumes (empty ones left out)."""
    found: dict[str, Any] = dict(parts.pod_fields)
    if parts.node_selector:
        found["nodeSelector"] = dict(sorted(parts.node_selector.items()))
    if parts.tolerations:
        found["tolerations"] = parts.tolerations
    if parts.volumes:
        found["volumes"] = parts.volumes
    return found


def pod_metadata(parts: PodParts, labels: dict[str, str] | None = None,
                 annotations: dict[str, str] | None = None) -> dict[str, Any]:
    """A pod template's metadata: strata's labels first, then the pod's own (empty ones left out)."""
    meta: dict[str, Any] = {}
    merged_labels = {**(labels or {}), **parts.labels}
    if merged_labels:
        meta["labels"] = merged_labels
    merged_annotations = {**(annotations or {}), **parts.annotations}
    if merged_annotations:
        meta["annotations"] = merged_annotations
    return meta
