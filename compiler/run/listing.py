"""`strata runs`: the runs strata started (objects labelled `strata.dev/run`), newest first.

Each run kind the cluster serves is listed in each project namespace of the environment (label
selector `strata.dev/run,strata.dev/environment=<env>[,strata.dev/project=<p>]`), so a Role in
the project's namespace is enough to list its runs; Workflows come from the Argo Server instead
when the environment has one.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from compiler.apply.discovery import Discovery
from compiler.apply.jobs import RUN_KINDS
from compiler.apply.kube import Kube
from compiler.run.model import COMMIT_LABEL, RUN_LABEL, USER_LABEL
from compiler.run.status import progress

ENV_LABEL, PROJECT_LABEL, RESOURCE_LABEL = "strata.dev/environment", "strata.dev/project", "strata.dev/resource"
WORKFLOW = ("argoproj.io/v1alpha1", "Workflow")
JOB_VERSIONS = {"batch": "batch/v1", "kubeflow.org": "kubeflow.org/v1"}


@dataclass(frozen=True)
class Run:
    kind: str
    namespace: str
    name: str
    env: str
    project: str
    resource: str          # `job.train`
    phase: str
    started: str
    finished: str
    commit: str
    user: str
    run_id: str

    def duration(self, now: str) -> str:
        """How long it ran (or has been running, at `now`)."""
        start = _time(self.started)
        end = _time(self.finished) if self.finished else _time(now)
        if start is None or end is None:
            return ""
        return _span(int((end - start).total_seconds()))

    def document(self, now: str) -> dict[str, Any]:
        return {"kind": self.kind, "namespace": self.namespace, "name": self.name, "environment": self.env,
                "project": self.project, "resource": self.resource, "phase": self.phase, "started": self.started,
                "finished": self.finished, "duration": self.duration(now), "sourceCommit": self.commit,
                "user": self.user, "run": self.run_id}


def selector(env: str, project: str | None) -> str:
    return ",".join([RUN_LABEL, f"{ENV_LABEL}={env}", *([f"{PROJECT_LABEL}={project}"] if project else [])])


def list_runs(kube: Kube, env: str, project: str | None, namespaces: tuple[str, ...], argo: Any = None) -> list[Run]:
    """Every run of `env` (and `project`) in the project `namespaces`; `argo` lists the Workflows."""
    discovery = Discovery(kube)
    wanted = selector(env, project)
    objects: list[dict] = []
    kinds = [WORKFLOW] if argo is None else []
    kinds += [(JOB_VERSIONS[group], kind) for group, kind in sorted(RUN_KINDS)]
    for api_version, kind in kinds:
        resource = discovery.find(api_version, kind)
        if resource is None:
            continue        # not installed here (no Kubeflow, no Argo): no runs of that kind
        for namespace in namespaces:
            objects += [{"apiVersion": api_version, "kind": kind, **item}
                        for item in kube.list(resource.path(namespace), wanted)]
    for namespace in namespaces if argo is not None else ():
        objects += argo.list(namespace, wanted)
    runs = [run_of(obj) for obj in objects]
    return sorted(runs, key=lambda r: (r.started, r.namespace, r.name), reverse=True)


def run_of(obj: dict[str, Any]) -> Run:
    meta = obj["metadata"]
    labels = meta.get("labels") or {}
    state = progress(obj)
    return Run(obj["kind"], meta.get("namespace", ""), meta["name"], labels.get(ENV_LABEL, ""),
               labels.get(PROJECT_LABEL, ""), labels.get(RESOURCE_LABEL, ""), state.phase,
               state.started or meta.get("creationTimestamp", ""), state.finished, labels.get(COMMIT_LABEL, ""),
               labels.get(USER_LABEL, ""), labels.get(RUN_LABEL, ""))


def _time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
    except ValueError:
        return None


def _span(seconds: int) -> str:
    hours, rest = divmod(max(seconds, 0), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"
