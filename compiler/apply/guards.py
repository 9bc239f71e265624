"""Refusals before any write (exit 3): wrong cluster, foreign ApplySet parents, unsafe prunes.

Each guard reads the plan and raises GuardError with every reason at once; nothing has
been written when one fires.
"""
from __future__ import annotations

from compiler.apply.actions import ApplyPlan
from compiler.apply.applyset import PARENT_ID, PARENT_NAMESPACE, TOOL, TOOLING_KEY, parent_name, tool_of
from compiler.apply.kube import Context
from compiler.errors import GuardError, Problem
from compiler.targets import Env


def env_clusters(env: Env) -> list[tuple[str, str]]:
    """(name, server) of every cluster the environment may be applied to: `cluster:` and `clusters:` (SPEC §8)."""
    return [(cluster.name, cluster.server or "") for cluster in env.settings.all_clusters()]


def check_cluster(env: Env, context: Context) -> None:
    """The context must point at one of the environment's clusters: its server URL when the
    environment names one (a name is only a label in a kubeconfig), else its cluster name."""
    clusters = env_clusters(env)
    if not clusters:
        raise GuardError(f"environment {env.name} declares no cluster (`cluster: {{name, server}}`): "
                         "strata refuses to apply it to whatever the kube context points at")
    for name, server in clusters:
        if server and _url(server) == _url(context.server):
            return
        if not server and name in (context.cluster, context.name):
            return
    wanted = " or ".join(f"{name}" + (f" ({server})" if server else "") for name, server in clusters)
    raise GuardError(f"wrong cluster: environment {env.name} is applied to {wanted}, but kube context "
                     f"{context.name!r} points at cluster {context.cluster!r} ({context.server})")


def check_parents(plan: ApplyPlan) -> None:
    """KEP-3659: refuse to mutate an ApplySet another tool manages, or whose id does not match its parent."""
    problems = []
    for state in plan.groups.values():
        parent = state.parent
        if parent is None:
            continue
        meta = parent["metadata"]
        tooling = (meta.get("annotations") or {}).get(TOOLING_KEY, "")
        where = f"ConfigMap {PARENT_NAMESPACE}/{parent_name(plan.env, state.name)}"
        if tool_of(tooling) != TOOL:
            problems.append(Problem(f"ApplySet parent {where} is managed by {tooling or 'an unknown tool'}, not strata: "
                                    "refusing to change it"))
        elif (meta.get("labels") or {}).get(PARENT_ID) != state.set_id:
            problems.append(Problem(f"ApplySet parent {where} has id {(meta.get('labels') or {}).get(PARENT_ID)!r}, "
                                    f"expected {state.set_id!r} (KEP-3659 id of its name): refusing to use it"))
    if problems:
        raise GuardError(problems)


def check_prune(plan: ApplyPlan, *, max_deletions: int, allow_delete_data: bool) -> None:
    """Before any write: no whole project deleted by accident, data only on request, a deletion budget."""
    problems = [Problem(_orphan(plan.env, group)) for group in plan.orphans]
    protected = [s for s in plan.prunes if s.protected]
    if protected and not allow_delete_data:
        listed = ", ".join(s.ref.describe() for s in protected)
        problems.append(Problem(f"prune would delete data ({listed}): pass --allow-delete-data to delete it"))
    if len(plan.prunes) > max_deletions:
        problems.append(Problem(f"prune would delete {len(plan.prunes)} objects, more than --max-deletions "
                                f"{max_deletions}; nothing was deleted (raise the budget if this is intended)"))
    if problems:
        raise GuardError(problems)


def _orphan(env: str, group: str) -> str:
    name = parent_name(env, group)
    return (f"{group} exists in the cluster for {env} (ApplySet parent ConfigMap {PARENT_NAMESPACE}/{name}) but "
            "compiles to nothing: refusing to prune a whole target group. If it was removed on purpose, delete "
            f"its objects by hand (label applyset.kubernetes.io/part-of) and then its parent")


def _url(server: str) -> str:
    return server.strip().rstrip("/").lower()
