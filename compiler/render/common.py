"""Labels and metadata every emitted object carries (SPEC §4)."""
from __future__ import annotations

from typing import Any

from compiler.targets import Project, Target

MANAGED_BY = {"app.kubernetes.io/managed-by": "strata"}


def labels_for(project: Project, resource: str) -> dict[str, str]:
    return {
        **MANAGED_BY,
        "strata.dev/project": project.name,
        "strata.dev/environment": project.env.name,
        "strata.dev/resource": resource,
    }


def target_labels(target: Target) -> dict[str, str]:
    return labels_for(target.project, target.resource)


def metadata(target: Target, name: str | None = None, *, namespaced: bool = True,
             labels: dict[str, str] | None = None, annotations: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name or target.name}
    if namespaced:
        meta["namespace"] = target.project.namespace
    meta["labels"] = {**target_labels(target), **(labels or {})}
    if annotations:
        meta["annotations"] = dict(annotations)
    return meta


def main_metadata(target: Target, name: str | None = None, *, labels: dict[str, str] | None = None,
                  annotations: dict[str, str] | None = None) -> dict[str, Any]:
    """The metadata of a target's main object: strata's labels and annotations, then the spec's own
    `metadata:` (schemas/pod.py refuses the keys strata writes, so neither overrides the other)."""
    own = getattr(target.spec, "metadata", None)
    if own is not None:
        labels = {**(labels or {}), **own.labels}
        annotations = {**(annotations or {}), **own.annotations}
    return metadata(target, name, labels=labels, annotations=annotations)


def k8s_object(api_version: str, kind: str, meta: dict[str, Any], **body: Any) -> dict[str, Any]:
    return {"apiVersion": api_version, "kind": kind, "metadata": meta, **body}
