"""Where a run is: one reading of a run object's `status`, whatever its kind.

- Argo Workflow (`status.phase`: Pending, Running, Succeeded, Failed, Error; `status.nodes`,
  one per step: `displayName`, `type` (Pod for a step that runs a pod), `phase`, `message`);
- batch/v1 Job (conditions `Complete` / `Failed` with status True; `active`, `ready`,
  `succeeded`, `failed`; a Kueue-managed job is `suspend`ed until admitted);
- Kubeflow training jobs (`status.conditions` of type Created, Running, Restarting,
  Succeeded, Failed, Suspended — the last one True is the state; `replicaStatuses` per
  replica type: active, succeeded, failed).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SUCCEEDED, FAILED, RUNNING, PENDING = "Succeeded", "Failed", "Running", "Pending"
KUBEFLOW_STATES = ("Created", "Running", "Restarting", "Succeeded", "Failed", "Suspended")


@dataclass(frozen=True)
class Step:
    name: str
    phase: str
    message: str = ""
    node: str = ""          # the Argo node id (the pod's `workflows.argoproj.io/node-id`)


@dataclass(frozen=True)
class Progress:
    phase: str                       # Pending | Running | Succeeded | Failed (Argo's Error counts as Failed)
    pods: str = ""                   # "pods 2/3 running"
    steps: tuple[Step, ...] = ()
    message: str = ""
    started: str = ""
    finished: str = ""

    @property
    def done(self) -> bool:
        return self.phase in (SUCCEEDED, FAILED)

    @property
    def succeeded(self) -> bool:
        return self.phase == SUCCEEDED

    def line(self) -> str:
        """One line for the progress display."""
        parts = [self.phase]
        if self.pods:
            parts.append(self.pods)
        if self.steps:
            parts.append("steps: " + ", ".join(f"{s.name} {_mark(s.phase)}" for s in self.steps))
        if self.message and self.phase != RUNNING:
            parts.append(self.message)
        return " · ".join(parts)


def progress(obj: dict[str, Any]) -> Progress:
    kind = obj.get("kind")
    status = obj.get("status") or {}
    if kind == "Workflow":
        return _workflow(status)
    if kind == "Job" and str(obj.get("apiVersion", "")).startswith("batch/"):
        return _batch(obj, status)
    return _kubeflow(status)


def _workflow(status: dict) -> Progress:
    phase = status.get("phase") or PENDING
    nodes = [n for n in (status.get("nodes") or {}).values() if isinstance(n, dict) and n.get("type") == "Pod"]
    nodes.sort(key=lambda n: (n.get("startedAt") or "", n.get("displayName") or ""))
    steps = tuple(Step(str(n.get("displayName") or n.get("name")), str(n.get("phase") or PENDING),
                       str(n.get("message") or ""), str(n.get("id") or "")) for n in nodes)
    running = sum(1 for s in steps if s.phase == RUNNING)
    return Progress(FAILED if phase == "Error" else phase, f"pods {running} running" if running else "", steps,
                    str(status.get("message") or ""), status.get("startedAt") or "", status.get("finishedAt") or "")


def _batch(obj: dict, status: dict) -> Progress:
    conditions = {c.get("type"): c for c in status.get("conditions") or [] if str(c.get("status")) == "True"}
    wanted = (obj.get("spec") or {}).get("parallelism") or 1
    pods = f"pods {status.get('ready') or 0}/{wanted} ready"
    if "Complete" in conditions:
        return Progress(SUCCEEDED, pods, started=status.get("startTime") or "", finished=status.get("completionTime") or "")
    if "Failed" in conditions:
        failed = conditions["Failed"]
        return Progress(FAILED, pods, message=_reason(failed), started=status.get("startTime") or "",
                        finished=failed.get("lastTransitionTime") or "")
    if (obj.get("spec") or {}).get("suspend"):
        return Progress(PENDING, message="suspended (waiting for the queue to admit it)")
    return Progress(RUNNING if status.get("active") else PENDING, pods, started=status.get("startTime") or "")


def _kubeflow(status: dict) -> Progress:
    true = [c for c in status.get("conditions") or [] if str(c.get("status")) == "True" and c.get("type") in KUBEFLOW_STATES]
    state = true[-1] if true else {}
    kind = state.get("type", "")
    replicas = status.get("replicaStatuses") or {}
    active = sum(int(r.get("active") or 0) for r in replicas.values() if isinstance(r, dict))
    pods = f"pods {active} running" if active else ""
    started, finished = str(status.get("startTime") or ""), str(status.get("completionTime") or "")
    if kind == "Succeeded":
        return Progress(SUCCEEDED, pods, started=started, finished=finished)
    if kind == "Failed":
        return Progress(FAILED, pods, message=_reason(state), started=started,
                        finished=finished or state.get("lastTransitionTime") or "")
    if kind in ("Running", "Restarting"):
        return Progress(RUNNING, pods, message=_reason(state) if kind == "Restarting" else "", started=started)
    return Progress(PENDING, pods, message="suspended (waiting for the queue to admit it)" if kind == "Suspended" else "")


def _reason(condition: dict) -> str:
    return ": ".join(str(x) for x in (condition.get("reason"), condition.get("message")) if x)


def _mark(phase: str) -> str:
    return {SUCCEEDED: "✓", FAILED: "✗", "Error": "✗", RUNNING: "…", "Skipped": "-", "Omitted": "-"}.get(phase, "·")
