"""Which other desired objects an object needs, read from the object itself.

Used to skip (and report) what depends on an object that failed: its Namespace, the
claims and Fluid Datasets it mounts, the priority class and queues it is admitted by,
the Kueue flavors a ClusterQueue lists, the Dataset a DataLoad warms.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from compiler.apply.model import Desired, Ref

# (parent key, key) or (None, key) of a string value → the kinds (group, kind) it names
NAMES: dict[tuple[str | None, str], tuple[tuple[str, str], ...]] = {
    (None, "claimName"): (("", "PersistentVolumeClaim"), ("data.fluid.io", "Dataset")),
    (None, "priorityClassName"): (("scheduling.k8s.io", "PriorityClass"),),
    (None, "priorityClass"): (("scheduling.k8s.io", "PriorityClass"),),
    (None, "queue"): (("scheduling.volcano.sh", "Queue"),),
    (None, "clusterQueue"): (("kueue.x-k8s.io", "ClusterQueue"),),
    (None, "kueue.x-k8s.io/queue-name"): (("kueue.x-k8s.io", "LocalQueue"),),
    (None, "kueue.x-k8s.io/priority-class"): (("kueue.x-k8s.io", "WorkloadPriorityClass"),),
    ("flavors", "name"): (("kueue.x-k8s.io", "ResourceFlavor"),),
    ("dataset", "name"): (("data.fluid.io", "Dataset"),),
    (None, "volumeName"): (("", "PersistentVolume"),),
}


def needs(desired: Desired, present: set[Ref]) -> set[Ref]:
    """The desired objects (among `present`) this one names."""
    namespace = desired.ref.namespace
    wanted = {Ref("", "Namespace", "", namespace)} if namespace else set()
    for parent, key, value in _strings(desired.obj.get("spec"), None, None):
        for group, kind in NAMES.get((parent, key), ()) + NAMES.get((None, key), ()):
            wanted |= {Ref(group, kind, namespace, value), Ref(group, kind, "", value)}
    for key, value in ((desired.obj.get("metadata") or {}).get("labels") or {}).items():
        for group, kind in NAMES.get((None, key), ()):
            wanted |= {Ref(group, kind, namespace, value), Ref(group, kind, "", value)}
    return (wanted & present) - {desired.ref}


def _strings(value: Any, parent: str | None, key: str | None) -> Iterator[tuple[str | None, str, str]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, key, k)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, parent, key)
    elif isinstance(value, str) and key is not None:
        yield parent, key, value
