"""Project objects (SPEC §3 Project): namespace, quota, owner access, workflow RBAC and the scheduler queue.

`render_project` gives one project's objects in one environment, in apply
order: Namespace, ResourceQuota (when the quota sets anything), LimitRange
(when the quota limits cpu or memory: the quota refuses pods without requests
for them, and controllers' helper pods — Fluid's loaders, Argo's init and wait
containers, Knative's queue-proxy — bring none), the owner's RoleBinding, the
workflow ServiceAccounts with their Role and RoleBinding, then — when the project
declares `queue:` — by the env's scheduler a Volcano Queue, or a Kueue ClusterQueue
plus its LocalQueue. Every quantity is the project's merged quota; GPU types
sharing a resource name are summed under it.

Workflow RBAC: every Argo workflow of the project (a Pipeline's WorkflowTemplate and
CronWorkflow, a scheduled Job's CronWorkflow) runs as a ServiceAccount; per account,
strata emits it with a Role granting exactly what Argo's emissary executor and those
workflows' resource templates use — `workflowtaskresults` create/patch (the executor
reports outputs), and create/get on each job kind a `job:` step or schedule creates
(`kubectl create`, then polling its status) — and the RoleBinding between the two.

Kueue layout (v1beta2, checked against the upstream CRD): one resource group
covers `cpu`/`memory` with the single flavor `default-flavor` (the project's
cpu and memory are totals, whichever GPU a pod uses), and one resource group
per GPU resource name covers that name with one flavor per gpuType, each with
the gpuType's nominal quota. Kueue assigns a flavor per resource group, so a
GPU pod takes cpu/memory from `default-flavor` and GPUs from its type's
flavor; separate groups keep every flavor's resource list equal to its
group's covered resources (a CRD rule) without padding zero quotas.

ResourceFlavors describe node pools, which belong to the environment, not to a
project: the environment's platform target holds them (compiler/render/platform.py),
and a ClusterQueue names them by the same derived name (`flavor_name`).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from compiler.check.environment import DEFAULT_FLAVOR, flavor_name
from compiler.check.quota import gpu_quota_by_resource, gpu_resource_name, pod_usage, workloads
from compiler.errors import Problems
from compiler.kinds import kind_of
from compiler.render.common import labels_for
from compiler.targets import Project, Target
from schemas.base import Amounts

VOLCANO_API = "scheduling.volcano.sh/v1beta1"
KUEUE_API = "kueue.x-k8s.io/v1beta2"
OWNER_ROLE = "edit"
RBAC_API = "rbac.authorization.k8s.io/v1"
LIMIT_RANGE = "project-defaults"
EXECUTOR_RULE = {"apiGroups": ["argoproj.io"], "resources": ["workflowtaskresults"], "verbs": ["create", "patch"]}
RESOURCE_VERBS = ["create", "get"]   # argoexec: `kubectl create`, then GET until a condition matches


def resource_label(project: Project) -> str:
    return f"project.{project.name}"


def queue_name(project: Project) -> str | None:
    """The project's queue (Volcano Queue / Kueue LocalQueue), if it declares one.

    Without `queue:` workloads use the scheduler's default queue (as the Job
    renderer does), so no queue objects are emitted.
    """
    return project.doc.queue.name if project.doc.queue else None


def _meta(project: Project, name: str, namespaced: bool = True) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespaced:
        meta["namespace"] = project.namespace
    meta["labels"] = labels_for(project, resource_label(project))
    return meta


def _object(api_version: str, kind: str, meta: dict[str, Any], **body: Any) -> dict[str, Any]:
    return {"apiVersion": api_version, "kind": kind, "metadata": meta, **body}


# --- quota in Kubernetes terms --------------------------------------------------------------------

def quota_amounts(project: Project) -> dict[str, str]:
    """cpu, memory, then GPUs summed per resource name: the project's quota as a ResourceList."""
    amounts: dict[str, str] = {}
    if project.quota.cpu is not None:
        amounts["cpu"] = project.quota.cpu
    if project.quota.memory is not None:
        amounts["memory"] = project.quota.memory
    for resource, count in gpu_quota_by_resource(project).items():
        amounts[resource] = str(count)
    return amounts


def namespace(project: Project) -> dict[str, Any]:
    return _object("v1", "Namespace", _meta(project, project.namespace, namespaced=False))


def resource_quota(project: Project) -> dict[str, Any] | None:
    """Requests only: strata sets limits equal to requests, so one line per resource suffices."""
    amounts = quota_amounts(project)
    if not amounts:
        return None
    hard = {f"requests.{name}": amount for name, amount in amounts.items()}
    return _object("v1", "ResourceQuota", _meta(project, "project-quota"), spec={"hard": hard})


def limit_range(project: Project) -> dict[str, Any] | None:
    """Default container requests (and limits, if configured) where the quota limits cpu or memory."""
    if project.quota.cpu is None and project.quota.memory is None:
        return None
    limits = project.limits
    entry: dict[str, Any] = {"type": "Container", "defaultRequest": _amounts(limits.defaultRequest)}
    if limits.default is not None and _amounts(limits.default):
        entry["default"] = _amounts(limits.default)
    return _object("v1", "LimitRange", _meta(project, LIMIT_RANGE), spec={"limits": [entry]})


def _amounts(amounts: Amounts) -> dict[str, str]:
    return {name: value for name, value in (("cpu", amounts.cpu), ("memory", amounts.memory)) if value is not None}


def owner_binding(project: Project) -> dict[str, Any]:
    """The owner group gets the built-in `edit` role in the namespace."""
    return _object(
        "rbac.authorization.k8s.io/v1", "RoleBinding", _meta(project, "project-owner"),
        roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": OWNER_ROLE},
        subjects=[{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": project.doc.owner}],
    )


# --- workflow RBAC ---------------------------------------------------------------------------------

def workflow_accounts(targets: Iterable[Target]) -> dict[str, set[tuple[str, str]]]:
    """ServiceAccount → (apiVersion, kind) its workflows create, over the project's targets."""
    by_name = {(t.kind, t.name): t for t in targets}
    accounts: dict[str, set[tuple[str, str]]] = {}
    for target in by_name.values():
        access_of = getattr(kind_of(target.kind).renderer, "workflow_access", None)
        access = access_of(target, lambda kind, name: by_name.get((kind, name))) if access_of else None
        if access is not None:
            accounts.setdefault(access.service_account, set()).update(access.creates)
    return accounts


def workflow_rbac(project: Project, targets: Iterable[Target]) -> list[dict[str, Any]]:
    """Per workflow ServiceAccount: the account, its Role and the RoleBinding between them."""
    objects = []
    for account, creates in sorted(workflow_accounts(targets).items()):
        objects += [
            _object("v1", "ServiceAccount", _meta(project, account)),
            _object(RBAC_API, "Role", _meta(project, account), rules=role_rules(creates)),
            _object(RBAC_API, "RoleBinding", _meta(project, account),
                    roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": account},
                    subjects=[{"kind": "ServiceAccount", "name": account, "namespace": project.namespace}]),
        ]
    return objects


def role_rules(creates: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
    """The executor's rule, then create/get per API group on the kinds (plural: kind lower case + s,
    as kubectl's namer makes it for every job kind strata emits)."""
    plurals: dict[str, set[str]] = defaultdict(set)
    for api_version, kind in creates:
        group = api_version.rpartition("/")[0]
        plurals[group].add(kind.lower() + "s")
    return [dict(EXECUTOR_RULE), *({"apiGroups": [group], "resources": sorted(names), "verbs": list(RESOURCE_VERBS)}
                                   for group, names in sorted(plurals.items()))]


# --- Volcano ---------------------------------------------------------------------------------------

def volcano_queue(project: Project) -> dict[str, Any]:
    queue = project.doc.queue
    assert queue is not None   # only projects with a queue get one
    spec: dict[str, Any] = {"weight": queue.weight}
    capability = quota_amounts(project)
    if capability:
        spec["capability"] = capability
    return _object(VOLCANO_API, "Queue", _meta(project, queue.name, namespaced=False), spec=spec)


# --- Kueue -----------------------------------------------------------------------------------------

def kueue_resource_groups(project: Project) -> list[dict[str, Any]]:
    groups = []
    base = [(name, amount) for name, amount in (("cpu", project.quota.cpu), ("memory", project.quota.memory))
            if amount is not None]
    if base:
        groups.append(_group([name for name, _ in base], [(DEFAULT_FLAVOR, base)]))
    for resource, gpu_types in gpu_types_by_resource(project).items():
        flavors = [(flavor_name(gpu_type), [(resource, str(project.quota.gpu[gpu_type]))]) for gpu_type in gpu_types]
        groups.append(_group([resource], flavors))
    return groups


def _group(covered: list[str], flavors: list[tuple[str, list[tuple[str, str]]]]) -> dict[str, Any]:
    return {"coveredResources": covered, "flavors": [
        {"name": flavor, "resources": [{"name": name, "nominalQuota": amount} for name, amount in amounts]}
        for flavor, amounts in flavors]}


def gpu_types_by_resource(project: Project) -> dict[str, list[str]]:
    """Quota gpuTypes grouped by resource name; both levels sorted."""
    grouped: dict[str, list[str]] = defaultdict(list)
    for gpu_type in sorted(project.quota.gpu):
        grouped[gpu_resource_name(project, gpu_type)].append(gpu_type)
    return dict(sorted(grouped.items()))


def cluster_queue(project: Project) -> dict[str, Any]:
    """Named after the namespace; only that namespace's LocalQueues may point to it."""
    spec: dict[str, Any] = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": project.namespace}}}
    groups = kueue_resource_groups(project)
    if groups:
        spec["resourceGroups"] = groups
    queue = project.doc.queue
    assert queue is not None   # only projects with a queue get one
    spec["fairSharing"] = {"weight": queue.weight}
    return _object(KUEUE_API, "ClusterQueue", _meta(project, project.namespace, namespaced=False), spec=spec)


def local_queue(project: Project) -> dict[str, Any]:
    queue = project.doc.queue
    assert queue is not None   # only projects with a queue get one
    return _object(KUEUE_API, "LocalQueue", _meta(project, queue.name),
                   spec={"clusterQueue": project.namespace})


def kueue_uncovered(project: Project, targets: Iterable[Target]) -> list[tuple[Target, str]]:
    """(workload, what) pairs Kueue would never admit: their ClusterQueue has no quota for it.

    Kueue leaves a workload pending when it requests a resource its ClusterQueue
    does not cover, so an unset quota line means "never" there, not "unlimited".
    Workloads sent to another queue (a Job's `scheduling.queue`) are that queue's business.
    """
    found = []
    for target in workloads(targets):
        if own_queue(target) not in (None, queue_name(project)):
            continue
        resources = target.spec.resources
        usage = pod_usage(resources)
        missing = [name for name in ("cpu", "memory") if getattr(usage, name) and getattr(project.quota, name) is None]
        missing += ["ephemeral-storage"] if resources.ephemeralStorage else []
        found += [(target, what) for what in missing + _uncovered_gpus(project, usage.gpu)]
    return found


def own_queue(target: Target) -> str | None:
    """The queue a workload's spec names for itself (`scheduling.queue`), if its kind has one."""
    return getattr(getattr(target.spec, "scheduling", None), "queue", None)


def _uncovered_gpus(project: Project, gpus: dict[str | None, int]) -> list[str]:
    """GPU types without a flavor; untyped GPUs fit any flavor of their resource name."""
    missing = []
    for gpu_type in sorted(gpus, key=lambda t: t or ""):
        if gpu_type is None and gpu_resource_name(project, None) not in gpu_quota_by_resource(project):
            missing.append("GPUs without a gpuType")
        elif gpu_type is not None and gpu_type not in project.quota.gpu:
            missing.append(f"gpuType {gpu_type}")
    return missing


# --- entry points ----------------------------------------------------------------------------------

def render_project(project: Project, targets: list[Target], ctx: Any) -> list[dict[str, Any]]:
    """Every object of `project` in its environment (targets: the project's targets there)."""
    objects = [namespace(project), resource_quota(project), limit_range(project), owner_binding(project),
               *workflow_rbac(project, targets), *queue_objects(project)]
    if _scheduler(project) == "kueue":
        for target, what in kueue_uncovered(project, targets):
            hint = "which a project quota cannot set" if what == "ephemeral-storage" else f"set it in {project.file}"
            ctx.warn(target, ("resources",), f"Kueue will not admit it: ClusterQueue {project.namespace} "
                                             f"has no quota for {what} ({hint})")
    return [o for o in objects if o is not None]


def queue_objects(project: Project) -> list[dict[str, Any]]:
    """The project's scheduler queue objects (the last of `render_project`'s): all the capacity
    checks read of another project (a Job may send its pods to another project's queue)."""
    scheduler = _scheduler(project)
    if scheduler == "volcano":
        return [volcano_queue(project)]
    if scheduler == "kueue":
        return [cluster_queue(project), local_queue(project)]
    return []


def _scheduler(project: Project) -> str:
    return project.env.settings.scheduler if project.doc.queue else "default"


# --- cross-project checks --------------------------------------------------------------------------

def check_queue_names(projects_by_env: dict[str, list[Project]], problems: Problems) -> None:
    """Two projects of one Volcano environment may not share a queue name (it is cluster-scoped)."""
    for env_name in sorted(projects_by_env):
        volcano = [p for p in projects_by_env[env_name] if p.env.settings.scheduler == "volcano" and p.doc.queue]
        _report_clashes(volcano, queue_name, "Volcano queue", problems)


def check_namespaces(projects_by_env: dict[str, list[Project]], problems: Problems) -> None:
    """Two projects of one environment may not share a namespace (nor, with Kueue, a ClusterQueue)."""
    for env_name in sorted(projects_by_env):
        _report_clashes(projects_by_env[env_name], lambda p: p.namespace, "namespace", problems)


def _report_clashes(projects: list[Project], name_of: Any, what: str, problems: Problems) -> None:
    users: dict[str, list[Project]] = defaultdict(list)
    for project in sorted(projects, key=lambda p: p.name):
        users[name_of(project)].append(project)
    for name, clashing in sorted(users.items()):
        first = clashing[0]
        for other in clashing[1:]:
            problems.add(f"{what} {name!r} in environment {other.env.name} is used by two projects: "
                         f"{first.name} ({first.origin.where()}) and {other.name} ({other.origin.where()})",
                         other.origin)
