"""Pods that a test plays the controller for, and their `log` subresource.

Follows https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/ ("read log
of the specified Pod", GET /api/v1/namespaces/{ns}/pods/{name}/log): the answer is the plain
text of one container's log; `container` is required when the pod has several (400 otherwise,
naming them); `tailLines=N` keeps the last N lines; an unknown pod is 404. The logs themselves
are what a test says a container printed (`KubeDouble.add_pod(..., logs=)`), as no kubelet runs.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from kube_double.store import ApiError


@dataclass
class Logs:
    text: dict[tuple[str, str, str], str] = field(default_factory=dict)   # (namespace, pod, container) → log

    def read(self, pod: dict, query: dict[str, str]) -> str:
        meta = pod["metadata"]
        containers = [c["name"] for c in (pod.get("spec") or {}).get("containers") or []]
        container = query.get("container")
        if not container:
            if len(containers) != 1:
                raise ApiError(400, "BadRequest", f"a container name must be specified for pod {meta['name']}, "
                                                  f"choose one of: [{' '.join(containers)}]")
            container = containers[0]
        elif container not in containers:
            raise ApiError(400, "BadRequest", f"container {container} is not valid for pod {meta['name']}")
        lines = self.text.get((meta.get("namespace", ""), meta["name"], container), "").splitlines(keepends=True)
        tail = query.get("tailLines")
        if tail:
            lines = lines[-int(tail):] if int(tail) > 0 else []
        return "".join(lines)


def pod(namespace: str, name: str, *, labels: dict | None = None, annotations: dict | None = None,
        phase: str = "Running", containers: tuple[str, ...] = ("main",), ready: bool | None = None,
        exit_code: int | None = None, owner: dict | None = None) -> dict:
    """A Pod as a controller creates it and the kubelet reports it (phase, readiness, terminated state)."""
    ready = phase == "Running" if ready is None else ready
    statuses = []
    for container in containers:
        status: dict = {"name": container, "ready": ready, "restartCount": 0}
        if exit_code is not None:
            status["state"] = {"terminated": {"exitCode": exit_code, "reason": "Error" if exit_code else "Completed"}}
        statuses.append(status)
    meta: dict = {"name": name, "namespace": namespace, "labels": labels or {}}
    if annotations:
        meta["annotations"] = annotations
    if owner:
        meta["ownerReferences"] = [owner]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
            "spec": {"containers": [{"name": c, "image": "image"} for c in containers]},
            "status": {"phase": phase, "containerStatuses": statuses,
                       "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}}
