"""What failed in a run, and the last lines its pod printed (the Kubernetes API: pods, pods/log).

Pods are found as their controllers label them: a batch Job's by `batch.kubernetes.io/job-name`
(and the older `job-name`), a Kubeflow job's by `training.kubeflow.org/job-name`, an Argo
step's by `workflows.argoproj.io/workflow` and the `workflows.argoproj.io/node-id` annotation
(a pod without it is named after its node id, as Argo's first pod names were).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from compiler.apply.kube import Kube
from compiler.run.status import FAILED, progress

TAIL = 20
MAX_PARTS = 3
JOB_LABELS = ("batch.kubernetes.io/job-name", "job-name")
KUBEFLOW_LABEL = "training.kubeflow.org/job-name"
WORKFLOW_LABEL = "workflows.argoproj.io/workflow"
NODE_ID = "workflows.argoproj.io/node-id"
PODS = "/api/v1/namespaces/{namespace}/pods"


@dataclass(frozen=True)
class FailedPart:
    what: str                  # "step train" / "pod train-x7k2p-worker-0"
    pod: str
    message: str = ""
    log: tuple[str, ...] = ()  # its last lines


def failed_parts(kube: Kube, obj: dict[str, Any], tail: int = TAIL) -> list[FailedPart]:
    meta = obj["metadata"]
    namespace, name = meta.get("namespace", ""), meta["name"]
    if obj.get("kind") == "Workflow":
        return _workflow_parts(kube, obj, namespace, name, tail)
    labels = JOB_LABELS if str(obj.get("apiVersion", "")).startswith("batch/") else (KUBEFLOW_LABEL,)
    for label in labels:
        pods = list(kube.list(PODS.format(namespace=namespace), f"{label}={name}"))
        if pods:
            break
    found = [p for p in pods if _failed(p)][:MAX_PARTS]
    return [FailedPart(f"pod {p['metadata']['name']}", p["metadata"]["name"], _pod_message(p),
                       _tail(kube, namespace, p, tail)) for p in found]


def _workflow_parts(kube: Kube, obj: dict, namespace: str, name: str, tail: int) -> list[FailedPart]:
    steps = [s for s in progress(obj).steps if s.phase in (FAILED, "Error")][:MAX_PARTS]
    if not steps:
        return []
    pods = {(p["metadata"].get("annotations") or {}).get(NODE_ID, p["metadata"]["name"]): p
            for p in kube.list(PODS.format(namespace=namespace), f"{WORKFLOW_LABEL}={name}")}
    parts = []
    for step in steps:
        pod = pods.get(step.node)
        log = _tail(kube, namespace, pod, tail, "main") if pod is not None else ()
        parts.append(FailedPart(f"step {step.name}", pod["metadata"]["name"] if pod else step.node, step.message, log))
    return parts


def _failed(pod: dict) -> bool:
    status = pod.get("status") or {}
    if status.get("phase") == FAILED:
        return True
    return any(((c.get("state") or {}).get("terminated") or {}).get("exitCode") not in (None, 0)
               for c in status.get("containerStatuses") or [])


def _pod_message(pod: dict) -> str:
    status = pod.get("status") or {}
    for container in status.get("containerStatuses") or []:
        ended = (container.get("state") or {}).get("terminated") or {}
        if ended.get("exitCode"):
            return f"container {container.get('name')} exited with {ended['exitCode']}" + (
                f" ({ended['reason']})" if ended.get("reason") else "")
    return str(status.get("message") or status.get("reason") or "")


def _tail(kube: Kube, namespace: str, pod: dict, tail: int, container: str | None = None) -> tuple[str, ...]:
    containers = [c.get("name") for c in (pod.get("spec") or {}).get("containers") or []]
    chosen = container if container in containers else (containers[0] if containers else None)
    query = {"tailLines": str(tail), **({"container": chosen} if chosen else {})}
    status, text = kube.text(f"{PODS.format(namespace=namespace)}/{pod['metadata']['name']}/log", query)
    if status != 200:
        return (f"(no log: HTTP {status})",)
    return tuple(text.splitlines())
