"""`strata run` and `strata runs`: start a compiled Job or Pipeline once, now, under the same policies.

    prepared = prepare_run(repo, RunRequest("demo/Job/train", "dev", ("resources.gpu=2",)), source, starter,
                           connect, argo_for)
    started = start_run(prepared, dry_run=False)
    final = follow(kube_snapshots(prepared.kube, prepared.resource, started.obj), on_change)

Built on the compile stages: the target's project is compiled in the environment with the
`--set` layer on top of the target (`compiled`: a value a lock, a policy or the quota refuses
in a commit is refused here), then, before anything is created, the guards refuse a wrong
cluster (apply's), a dirty working tree where the environment does not allow one, and an
Argo Server that is not the environment's (`guards`). The run object is the committed object
with a generated name and the run labels (`objects`); a Workflow references the cluster's
WorkflowTemplate or CronWorkflow only when that is the compiled one (`cluster`). It is created
through the Kubernetes API, or submitted through the Argo Server's API (`argo`) when the
environment names one. `follow` watches it to the end, `status` reads its state, `failure`
finds the failed step or pod and its last log lines, `listing` is `strata runs`.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compiler.apply.discovery import Discovery, Resource
from compiler.apply.kube import Kube
from compiler.errors import StrataError
from compiler.run import objects
from compiler.run.cluster import difference
from compiler.run.compiled import Compiled, compile_run
from compiler.run.guards import argo_server_of, check_cluster, check_source
from compiler.run.model import VIA_ARGO, VIA_KUBERNETES, RunRequest, Source, Start, Started, Starter, run_labels

__all__ = ["Prepared", "RunRequest", "Source", "Started", "Starter", "prepare_run", "start_run"]


@dataclass(frozen=True)
class Prepared:
    compiled: Compiled
    start: Start
    kube: Kube
    resource: Resource             # where the run object lives (its kind's API path)
    argo: Any = None               # the Argo Server client when the run goes through it


def prepare_run(repo: Path, request: RunRequest, source: Source, starter: Starter, connect: Callable[[], Kube],
                argo_for: Callable[[str, Kube], Any]) -> Prepared:
    """Compile, check, and decide the run object; reads the cluster, writes nothing. The cluster is
    connected to (`connect`) only once the config compiled and the working tree is acceptable."""
    compiled = compile_run(repo, request.ref, request.env, request.settings)
    env = compiled.target.env
    check_source(env, source, request.allow_dirty)
    kube = connect()
    check_cluster(env, kube.context)
    committed = compiled.committed
    labels = run_labels(starter, source)
    discovery = Discovery(kube)
    if committed["kind"] not in ("WorkflowTemplate", "CronWorkflow"):
        start = objects.job_start(committed, labels)
        resource = discovery.require({(committed["apiVersion"], committed["kind"])})[(committed["apiVersion"], committed["kind"])]
        return Prepared(compiled, start, kube, resource)
    url = argo_server_of(env, request.argo_server)
    kinds = {("argoproj.io/v1alpha1", "Workflow"), (committed["apiVersion"], committed["kind"])}
    served = discovery.require(kinds)
    source_resource = served[(committed["apiVersion"], committed["kind"])]
    found = kube.get(source_resource.path(committed["metadata"]["namespace"], committed["metadata"]["name"]))
    if not found.ok and found.status != 404:
        raise StrataError(f"reading {committed['kind']} {committed['metadata']['name']}: {found.message}")
    live = found.body if found.ok else None
    why = difference(committed, live)
    via = VIA_ARGO if url else VIA_KUBERNETES
    if committed["kind"] == "WorkflowTemplate":
        start = objects.template_start(committed, labels, live, why, via)
    else:
        start = objects.cron_start(committed, labels, live, why, via, starter.now)
    return Prepared(compiled, start, kube, served[("argoproj.io/v1alpha1", "Workflow")], argo_for(url, kube) if url else None)


def start_run(prepared: Prepared, dry_run: bool) -> Started:
    """Create the run (or, with `dry_run`, have the server check it and store nothing)."""
    start = prepared.start
    warnings = prepared.compiled.warnings
    if start.via == VIA_ARGO:
        meta = start.obj["metadata"]
        if start.submit_from is not None:
            kind, name = start.submit_from
            created = prepared.argo.submit(start.namespace, kind, name, generate_name=meta["generateName"],
                                           labels=start.labels, parameters=start.parameters, dry_run=dry_run)
        else:
            created = prepared.argo.create(start.namespace, start.obj, dry_run=dry_run)
        return Started(start, created, dry_run, warnings)
    response = prepared.kube.create(prepared.resource.path(start.namespace), start.obj, dry_run=dry_run)
    if not response.ok:
        raise StrataError(f"creating {start.kind} {start.obj['metadata']['generateName']}… in {start.namespace}: "
                          f"{response.message}")
    return Started(start, response.body, dry_run, warnings)
