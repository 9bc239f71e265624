"""`patches:` (schemas/patch.py) applied to a target's rendered objects, before any check reads them.

Unlike a Kustomize patch, a strata patch
- merges lists by the keys Kubernetes declares for them (`KEYED_LISTS`) inside custom resources
  too, so patching a TFJob's `containers` adds to them instead of replacing them;
- is an error when it matches nothing (no object of that kind and name, a role the job does not
  have, a JSON path that does not exist, a container name that is not there);
- is an error when it changes what strata computes (`COMPUTED`: names, queues, replicas,
  resources, GPU pool placement, ...), naming the typed field to set instead, or a path the
  environment's `policy.forbidPatchPaths` forbids.
Both checks compare the object before and after the patch, so they hold whatever the patch says.
"""
from __future__ import annotations

import copy
from collections.abc import Iterator
from fnmatch import fnmatchcase
from typing import Any

from compiler.paths import json_pointer
from compiler.targets import Target
from schemas.patch import JsonOp, Patch

Object = dict[str, Any]

# Lists merged item by item on a key (Kubernetes' patch merge keys); every other list is replaced.
KEYED_LISTS = {"containers": "name", "initContainers": "name", "volumes": "name", "env": "name",
               "imagePullSecrets": "name", "volumeMounts": "mountPath", "ports": "containerPort"}

# JSON-pointer globs of what strata computes (label keys with `/` are written `~1`), and the field to set instead.
COMPUTED = (
    ("/metadata/name", "the resource's name"),
    ("/metadata/generateName", "the resource's name"),
    ("/metadata/namespace", "the project's namespace"),
    ("*/kueue.x-k8s.io~1queue-name", "scheduling.queue"),
    ("*/kueue.x-k8s.io~1priority-class", "scheduling.priority"),
    ("*/scheduling.volcano.sh~1*", "scheduling"),
    ("*/strata.dev~1*", "nothing: strata's own labels and annotations"),
    ("*/app.kubernetes.io~1managed-by", "nothing: strata sets it"),
    ("*/fluid.io~1*", "datasets"),
    ("*ReplicaSpecs/*/replicas", "replicas"),
    ("/spec/replicas", "replicas (a Dataset: cache.replicas)"),
    ("*/containers/*/resources*", "resources (roles.<role>.resources for one role)"),
    ("/spec/runPolicy/schedulingPolicy*", "scheduling"),
    ("/spec/runPolicy/suspend", "scheduling"),
    ("/spec/elasticPolicy*", "elastic"),
    ("/spec/slotsPerWorker", "the worker role's resources.gpu"),
    ("/spec/parallelism", "parallelism"),
    ("/spec/completions", "completions"),
    ("*/schedulerName", "the environment's scheduler"),
    ("*/priorityClassName", "scheduling.priority"),
    ("*/storageUri", "model"),
    ("*/canaryTrafficPercent", "canary.weight"),
    ("*/minReplicas", "replicas"),
    ("*/maxReplicas", "replicas"),
    ("*/successCondition", "nothing: strata derives it from the job's roles"),
    ("*/failureCondition", "nothing: strata derives it from the job's roles"),
)
# Kinds whose pod templates sit under spec.<x>ReplicaSpecs.<Role>.template.
REPLICA_SPECS = "ReplicaSpecs"


class PatchError(Exception):
    """One patch problem: reported at the patch's file:line, the patch skipped."""

    def __init__(self, message: str, where: tuple = ()):
        super().__init__(message)
        self.where = where


def apply_patches(target: Target, objects: list[Object], ctx: Any, *, pods: bool = True,
                  kinds: frozenset[str] | None = None, exclude: frozenset[str] = frozenset()) -> list[Object]:
    """`objects` with the target's enabled patches applied, in their effective order.

    `pods` includes the pod patches, `kinds` limits the object patches to those kinds and
    `exclude` leaves those kinds out: a Job is patched where job.py builds it, so a cron or a
    pipeline that embeds the job as text embeds the patched one; its CronWorkflow here.
    """
    patches: list[Patch] = getattr(target.spec, "patches", None) or []
    if not patches:
        return objects
    forbidden = target.env.settings.policy.forbidPatchPaths
    out = list(objects)
    for index, patch in enumerate(patches):
        if not patch.enabled or not _selected(patch, pods, kinds, exclude):
            continue
        try:
            out = _apply(target, patch, out, forbidden)
        except PatchError as problem:
            ctx.error(target, ("patches", index, *problem.where), f"patch {patch.name!r}: {problem}")
    return out


def _selected(patch: Patch, pods: bool, kinds: frozenset[str] | None, exclude: frozenset[str]) -> bool:
    if patch.pods is not None:
        return pods
    assert patch.object is not None
    return (kinds is None or patch.object.kind in kinds) and patch.object.kind not in exclude


def _apply(target: Target, patch: Patch, objects: list[Object], forbidden: list[str]) -> list[Object]:
    out = []
    matched = False
    for obj in objects:
        places = list(_places(target, patch, obj))
        if not places:
            out.append(obj)
            continue
        matched = True
        patched = copy.deepcopy(obj)
        for pointer in places:
            _apply_body(patch, patched, pointer)
        _check_changes(obj, patched, forbidden)
        out.append(patched)
    if not matched:
        raise PatchError(_nothing_matched(target, patch, objects), ("pods",) if patch.pods is not None else ("object",))
    return out


# --- where a patch applies -----------------------------------------------------------------------

def _places(target: Target, patch: Patch, obj: Object) -> Iterator[tuple[str, ...]]:
    """The paths in `obj` the patch body is relative to: pod templates, or the object's root."""
    if patch.object is not None:
        name = patch.object.name or target.name
        meta = obj.get("metadata") or {}
        own = meta.get("name") or str(meta.get("generateName", "")).removesuffix("-")
        if obj.get("kind") == patch.object.kind and own == name:
            yield ()
        return
    assert patch.pods is not None
    wanted = {r.lower() for r in patch.pods.roles}
    for role, path in pod_templates(obj):
        if not wanted or role in wanted:
            yield path


def pod_templates(obj: Object) -> Iterator[tuple[str, tuple[str, ...]]]:
    """(role, path) of each PodTemplateSpec in `obj`: Kubeflow jobs' replica specs (role = the
    replica type, lower case), a batch Job's, a Deployment's or StatefulSet's, a Notebook's."""
    spec = obj.get("spec") or {}
    for key, replicas in spec.items():
        if key.endswith(REPLICA_SPECS) and isinstance(replicas, dict):
            for role, replica in replicas.items():
                if isinstance(replica, dict) and isinstance(replica.get("template"), dict):
                    yield role.lower(), ("spec", key, role, "template")
    if isinstance(spec.get("template"), dict):
        yield "", ("spec", "template")


def _nothing_matched(target: Target, patch: Patch, objects: list[Object]) -> str:
    rendered = ", ".join(f"{o.get('kind')}/{(o.get('metadata') or {}).get('name') or '?'}" for o in objects)
    if patch.object is not None:
        return (f"matches nothing: no {patch.object.kind}/{patch.object.name or target.name} among the objects "
                f"{target.kind} {target.name} renders ({rendered or 'none'})")
    roles = sorted({role for o in objects for role, _ in pod_templates(o) if role})
    if patch.pods is not None and patch.pods.roles and roles:
        return f"matches nothing: no pod template of role {', '.join(patch.pods.roles)} (roles here: {', '.join(roles)})"
    return (f"matches nothing: {rendered or 'nothing'} has no pod template a pods patch reaches (Kubeflow jobs, "
            "batch Jobs, Notebooks and chart Deployments do); use an object patch")


# --- the bodies ----------------------------------------------------------------------------------

def _apply_body(patch: Patch, obj: Object, at: tuple[str, ...]) -> None:
    parent: Any = obj
    for step in at[:-1]:
        parent = parent[step]
    node = parent[at[-1]] if at else obj
    if patch.merge is not None:
        merged = merge_patch(node, patch.merge)
        if at:
            parent[at[-1]] = merged
        else:
            obj.clear()
            obj.update(merged)
    for index, op in enumerate(patch.json_ or []):
        json_op(node, op, ("json", index))


def merge_patch(base: Any, patch: Any, key: str = "") -> Any:
    """`patch` merged over `base`: maps deep, `KEYED_LISTS` item by item, anything else replaced."""
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for k, v in patch.items():
            out[k] = merge_patch(base[k], v, k) if k in base else copy.deepcopy(v)
        return out
    if isinstance(base, list) and isinstance(patch, list) and key in KEYED_LISTS:
        return _merge_keyed(base, patch, key)
    return copy.deepcopy(patch)


def _merge_keyed(base: list, patch: list, key: str) -> list:
    field = KEYED_LISTS[key]
    out = list(base)
    where = {item.get(field): i for i, item in enumerate(out) if isinstance(item, dict)}
    for item in patch:
        found = where.get(item.get(field)) if isinstance(item, dict) else None
        if found is not None:
            out[found] = merge_patch(out[found], item)
        elif key in ("containers", "initContainers") and isinstance(item, dict) and "image" not in item:
            names = ", ".join(str(c.get("name")) for c in base if isinstance(c, dict))
            raise PatchError(f"matches nothing: no container {item.get('name')!r} in {key} ({names or 'none'}); "
                             "a new one needs an image", ("merge",))
        else:
            out.append(copy.deepcopy(item))
    return out


def json_op(node: Any, op: JsonOp, where: tuple) -> None:
    """One RFC 6902 operation on `node`, in place; a path that is not there is an error."""
    steps = [s.replace("~1", "/").replace("~0", "~") for s in op.path.split("/")[1:]]
    parent = node
    for step in steps[:-1]:
        parent = _child(parent, step, op, where)
    last = steps[-1] if steps else ""
    if op.op == "add":
        if isinstance(parent, list):
            index = len(parent) if last == "-" else _index(parent, last, op, where, insert=True)
            parent.insert(index, copy.deepcopy(op.value))
        elif isinstance(parent, dict):
            parent[last] = copy.deepcopy(op.value)
        else:
            raise PatchError(f"matches nothing: {op.path} is not inside an object or list", where)
        return
    current = _child(parent, last, op, where)
    if op.op == "test":
        if current != op.value:
            raise PatchError(f"test {op.path} failed: it is {current!r}, not {op.value!r}", where)
    elif op.op == "remove":
        del parent[_index(parent, last, op, where) if isinstance(parent, list) else last]
    else:   # replace
        parent[_index(parent, last, op, where) if isinstance(parent, list) else last] = copy.deepcopy(op.value)


def _child(node: Any, step: str, op: JsonOp, where: tuple) -> Any:
    if isinstance(node, dict) and step in node:
        return node[step]
    if isinstance(node, list):
        return node[_index(node, step, op, where)]
    raise PatchError(f"matches nothing: {op.op} {op.path}: there is no {step!r}", where)


def _index(items: list, step: str, op: JsonOp, where: tuple, *, insert: bool = False) -> int:
    if step.isdigit() and int(step) < len(items) + (1 if insert else 0):
        return int(step)
    raise PatchError(f"matches nothing: {op.op} {op.path}: index {step} is not in a list of {len(items)}", where)


# --- what a patch may change ---------------------------------------------------------------------

def changed_paths(before: Any, after: Any, path: tuple = ()) -> Iterator[tuple]:
    """Every leaf path that differs (added, removed or changed), added subtrees leaf by leaf."""
    if isinstance(before, dict) and isinstance(after, dict):
        for key in {**before, **after}:
            yield from changed_paths(before.get(key, _MISSING), after.get(key, _MISSING), (*path, key))
    elif isinstance(before, list) and isinstance(after, list):
        for index in range(max(len(before), len(after))):
            yield from changed_paths(before[index] if index < len(before) else _MISSING,
                                     after[index] if index < len(after) else _MISSING, (*path, index))
    elif before is _MISSING and isinstance(after, (dict, list)) and after:
        yield from changed_paths({} if isinstance(after, dict) else [], after, path)
    elif before != after:
        yield path


_MISSING = object()


def _check_changes(before: Object, after: Object, forbidden: list[str]) -> None:
    for path in changed_paths(before, after):
        pointer = json_pointer(path)
        why = next((field for glob, field in COMPUTED if fnmatchcase(pointer, glob)), None)
        if why is None and _pool_placement(before, path):
            why = "resources.gpuType (its gpuPool), pod.nodeSelector or pod.tolerations"
        if why is not None:
            raise PatchError(f"changes {pointer}, which strata computes: set {why}")
        rule = next((glob for glob in forbidden if fnmatchcase(pointer, glob)), None)
        if rule is not None:
            raise PatchError(f"changes {pointer}: policy forbidPatchPaths forbids {rule!r}")


def _pool_placement(before: Object, path: tuple) -> bool:
    """A nodeSelector key or toleration that was there before (a GPU pool's, or the pod block's)
    changed or removed."""
    for at, name in enumerate(path):
        if name in ("nodeSelector", "tolerations") and at + 1 < len(path):
            return _exists(before, path[:at + 2])
    return False


def _exists(node: Any, path: tuple) -> bool:
    for step in path:
        in_list = isinstance(node, list) and isinstance(step, int) and step < len(node)
        if not (in_list or (isinstance(node, dict) and step in node)):
            return False
        node = node[step]
    return True
