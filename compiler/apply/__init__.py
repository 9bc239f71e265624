"""`strata apply` and `strata plan --live`: the compiled environment, server-side applied.

    kube = connect(kubeconfig, context)
    result = apply(repo, ApplyOptions(env="dev", prune=True), kube)

Built on the compile stages: the environment is compiled in memory (`desired`), the cluster
is read (`discovery`, `live`), every object gets a decision (`actions`), guards refuse
unsafe runs before any write (`guards`, `saved`), and only then `execute` writes: one
server-side apply PATCH per object that differs, ApplySet (KEP-3659) parents per target
group, pruning of strata's own members only. `drift` shows the same decisions as a plan.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from compiler.apply.actions import ApplyPlan, build_plan
from compiler.apply.desired import DesiredSet, compile_desired
from compiler.apply.discovery import Discovery, Resource
from compiler.apply.execute import Executor
from compiler.apply.guards import check_cluster, check_parents, check_prune
from compiler.apply.kube import Kube, connect
from compiler.apply.live import read_live
from compiler.apply.order import group_of
from compiler.apply.outcome import ApplyOptions, Outcome
from compiler.apply.saved import check_saved, read_saved
from compiler.errors import StrataError

__all__ = ["ApplyOptions", "Outcome", "Prepared", "apply", "connect", "live_plan", "prepare"]


@dataclass
class Prepared:
    """Everything decided before a write: the desired set, the plan, where each kind lives."""

    desired: DesiredSet
    plan: ApplyPlan
    resources: dict[tuple[str, str], Resource]


@dataclass
class ApplyResult:
    prepared: Prepared
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(o.failed for o in self.outcomes)


def prepare(repo: Path, env: str, projects: tuple[str, ...], kube: Kube) -> Prepared:
    """Compile, check the cluster is the environment's, discover the kinds (a missing CRD is an
    error naming it), read the live objects and decide every action. Reads only."""
    desired = compile_desired(repo, env, projects)
    check_cluster(desired.env, kube.context)
    discovery = Discovery(kube)
    kinds = {(d.api_version, d.ref.kind) for d in desired.objects}
    served = discovery.require(kinds | {("v1", "ConfigMap"), ("v1", "Namespace")})   # parents and their namespace
    resources = {(group_of(api_version), kind): served[(api_version, kind)] for api_version, kind in kinds}
    live = read_live(kube, discovery, env, resources, [d.ref for d in desired.objects])
    return Prepared(desired, build_plan(desired, live), live.resources)


def apply(repo: Path, options: ApplyOptions, kube: Kube,
          progress: Callable[[Outcome], None] | None = None,
          on_ready: Callable[[Prepared], None] | None = None) -> ApplyResult:
    try:
        saved = read_saved(options.plan_file) if options.plan_file is not None else None
        prepared = prepare(repo, options.env, options.projects, kube)
        check_parents(prepared.plan)
        if saved is not None:
            check_saved(saved, prepared.desired, prepared.plan, kube.context)
        if options.prune:
            check_prune(prepared.plan, max_deletions=options.max_deletions, allow_delete_data=options.allow_delete_data)
    except StrataError as error:    # everything above only reads
        error.unchanged = f"the cluster of {options.env} is unchanged"
        raise
    if on_ready is not None:
        on_ready(prepared)
    executor = Executor(kube, prepared.plan, prepared.resources, options, progress or (lambda outcome: None))
    return ApplyResult(prepared, executor.run())


def live_plan(repo: Path, env: str, projects: tuple[str, ...], kube: Kube, head: str):
    """The plan formats' view of the same decisions (`strata plan --live`)."""
    from compiler.apply.drift import drift_plan

    prepared = prepare(repo, env, projects, kube)
    return drift_plan(prepared.desired, prepared.plan, kube.context, head)
