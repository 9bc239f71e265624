"""Environment policies (SPEC §3 `policy:`), each violation an error at the spec's file:line.

`check_policies` looks at a target's effective spec: pinned images, cpu and
memory on every workload container, GPUs per workload, allowed GPU types, no plain
value in an env var named like a secret.
`check_objects` looks at what was emitted: hostPath volumes in workload pods
(a Fluid runtime's own cache tiers are the platform's business, not a workload's).
`requirePinnedModels` belongs to the Service stage, which resolves models.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from compiler.check.quota import parse_quantity
from compiler.render.network import PROFILE_VOLUME, profile_devices
from compiler.secrets import SECRET_NAME_PATTERN, looks_secret
from compiler.targets import Target
from schemas.common import Container

FLUID_GROUP = "data.fluid.io/"


def images(target: Target) -> Iterator[tuple[tuple, str]]:
    """(spec path, image) of every image the target runs, the Service canary's included."""
    for container in target.spec.containers():
        if container.image:   # none: a KServe ServingRuntime's image, the platform's to pin
            yield container.path + ("image",), container.image
    canary = getattr(target.spec, "canary", None)
    if canary is not None and canary.image:
        yield ("canary", "image"), canary.image


def is_pinned(image: str) -> bool:
    """A digest, or a tag other than `latest` (a registry port is not a tag)."""
    name, _, digest = image.partition("@")
    if digest:
        return True
    tag = name.rpartition("/")[2].partition(":")[2]
    return bool(tag) and tag != "latest"


# --- the spec checks -------------------------------------------------------------------------------

def check_policies(target: Target, ctx: Any) -> None:
    """Report every policy violation of `target` in its environment."""
    policy = target.env.settings.policy
    if policy.requirePinnedImages:
        _pinned_images(target, ctx)
    containers = target.spec.containers()   # pipeline `container` steps included
    for container in containers:
        _limits_cover_requests(target, container, ctx)
        if policy.requireResourceLimits:
            _resource_limits(target, container, ctx)
        if policy.allowedGpuTypes is not None:
            _allowed_gpu_type(target, container, policy.allowedGpuTypes, ctx)
    if policy.maxGpuPerWorkload is not None:
        for workload in dict.fromkeys(c.workload for c in containers):
            _max_gpus(target, [c for c in containers if c.workload == workload], policy.maxGpuPerWorkload, ctx)
    if policy.forbidPlainSecrets:
        _plain_secrets(target, ctx)


def _pinned_images(target: Target, ctx: Any) -> None:
    for path, image in images(target):
        if not is_pinned(image):
            ctx.error(target, path, f"image {image!r} is not pinned: policy requirePinnedImages needs a tag "
                                    "other than `latest`, or a digest")


def _limits_cover_requests(target: Target, container: Container, ctx: Any) -> None:
    """A limit below its request is refused by the API server; say so at the limit's line."""
    resources = container.resources
    for name in ("cpu", "memory", "ephemeralStorage"):
        request, limit = getattr(resources, name), resources.limit(name)
        if request is not None and limit is not None and parse_quantity(limit) < parse_quantity(request):
            ctx.error(target, container.path + ("resources", "limits", name),
                      f"{container.label}limits.{name} {limit} is below the request {request}")


def _resource_limits(target: Target, container: Container, ctx: Any) -> None:
    missing = [name for name in ("cpu", "memory") if getattr(container.resources, name) is None]
    if missing:
        ctx.error(target, container.path + ("resources", missing[0]),
                  f"{container.label}resources {' and '.join(missing)} not set: policy requireResourceLimits "
                  "needs cpu and memory on every workload container")
        return
    unlimited = [name for name in ("cpu", "memory") if container.resources.limit(name) is None]
    if unlimited:
        ctx.error(target, container.path + ("resources", "limits", unlimited[0]),
                  f"{container.label}limits.{unlimited[0]} is none: policy requireResourceLimits needs a cpu "
                  "and memory limit on every workload container")


def _max_gpus(target: Target, containers: list[Container], limit: int, ctx: Any) -> None:
    """Every GPU of one workload, all replicas of all its roles."""
    using = [c for c in containers if c.resources.gpu]
    total = sum(c.resources.gpu * c.pods for c in using)
    if total <= limit:
        return
    parts = [f"{c.label.removesuffix(': ')} {c.resources.gpu} x {c.pods}".strip() for c in using]
    if len(using) == 1:
        only = using[0]
        detail = f" ({only.resources.gpu} per pod x {only.pods} pods)" if only.pods > 1 else ""
        label = only.label
    else:
        detail, label = f" ({' + '.join(parts)})", ""
    ctx.error(target, using[0].path + ("resources", "gpu"),
              f"{label}{total} GPUs{detail} exceed policy maxGpuPerWorkload {limit}")


def _allowed_gpu_type(target: Target, container: Container, allowed: list[str], ctx: Any) -> None:
    resources = container.resources
    if not resources.gpu or resources.gpuType in allowed:
        return
    what = f"gpuType {resources.gpuType!r}" if resources.gpuType else "GPUs without a gpuType"
    field = "gpuType" if resources.gpuType else "gpu"
    ctx.error(target, container.path + ("resources", field),
              f"{container.label}{what} not allowed: policy allowedGpuTypes is {', '.join(allowed) or 'empty'}")


def env_lists(target: Target) -> Iterator[tuple[tuple, list[Any], str]]:
    """(spec path, env vars, label) of the env list of every container the target runs."""
    for container in target.spec.containers():
        part = target.spec
        for step in container.path:   # (), ("steps", i, "container"), ("roles", "ps"), ("transformer",)
            part = part[step] if isinstance(part, (dict, list)) else getattr(part, step)   # roles is a map
        yield container.path + ("env",), list(getattr(part, "env", [])), container.label


def _plain_secrets(target: Target, ctx: Any) -> None:
    for path, env, label in env_lists(target):
        for index, var in enumerate(env):
            if var.value is not None and looks_secret(var.name):
                ctx.error(target, path + (index, "value"),
                          f"{label}env var {var.name} holds a plain value but its name looks like a secret "
                          f"({SECRET_NAME_PATTERN}): policy forbidPlainSecrets needs "
                          f"`secretRef: {{name: <Secret>, key: <key>}}` instead of `value`")


# --- the emitted-object checks ---------------------------------------------------------------------

def check_objects(target: Target, objects: list[dict[str, Any]], ctx: Any) -> None:
    """forbidHostPath: no hostPath volume in any workload pod strata emits for `target`."""
    if not target.env.settings.policy.forbidHostPath:
        return
    devices = profile_devices(target)
    for obj in objects:
        if str(obj.get("apiVersion", "")).startswith(FLUID_GROUP):
            continue  # a Fluid runtime's cache tiers live on its own pods, not the workload's
        for pointer, volume in host_path_volumes(obj):
            if str(volume.get("name", "")).startswith(PROFILE_VOLUME) and volume["hostPath"].get("path") in devices:
                continue  # a network profile's host device: the platform's, like the cache tiers
            ctx.error(target, (), f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')} volume "
                                  f"{volume.get('name')!r} at {pointer} mounts hostPath "
                                  f"{volume['hostPath'].get('path')!r}: policy forbidHostPath")


def host_path_volumes(node: Any, pointer: str = "") -> list[tuple[str, dict[str, Any]]]:
    """(JSON pointer, volume) of every hostPath volume in any `volumes:` list, depth first."""
    found: list[tuple[str, dict[str, Any]]] = []
    _find_host_paths(node, pointer, [], found)
    return found


def _find_host_paths(node: Any, pointer: str, steps: list[Any], found: list[tuple[str, dict[str, Any]]]) -> None:
    # `steps`: the keys and indexes down to `node`, pushed and popped, made a pointer only for a volume found
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "volumes" and isinstance(value, list):
                where = pointer + "".join(f"/{_escape(step)}" for step in steps)
                found.extend((f"{where}/volumes/{i}", v) for i, v in enumerate(value)
                             if isinstance(v, dict) and isinstance(v.get("hostPath"), dict))
            if isinstance(value, (dict, list)):
                steps.append(key)
                _find_host_paths(value, pointer, steps, found)
                steps.pop()
    elif isinstance(node, list):
        for index, item in enumerate(node):
            if isinstance(item, (dict, list)):
                steps.append(index)
                _find_host_paths(item, pointer, steps, found)
                steps.pop()


def _escape(key: Any) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")
