"""Project objects (SPEC §3 Project): namespace, quota, owner access and the scheduler queue.

`render_project` gives one project's objects in one environment, in apply
order: Namespace, ResourceQuota (when the quota sets anything), RoleBinding,
then — when the project declares `queue:` — by the env's scheduler a Volcano
Queue, or a Kueue ClusterQueue plus its LocalQueue. Every quantity is the
project's merged quota; GPU types sharing a resource name are summed under it.

Kueue layout (v1beta2, checked against the upstream CRD): one resource group
covers `cpu`/`memory` with the single flavor `default-flavor` (the project's
cpu and memory are totals, whichever GPU a pod uses), and one resource group
per GPU resource name covers that name with one flavor per gpuType, each with
the gpuType's nominal quota. Kueue assigns a flavor per resource group, so a
GPU pod takes cpu/memory from `default-flavor` and GPUs from its type's
flavor; separate groups keep every flavor's resource list equal to its
group's covered resources (a CRD rule) without padding zero quotas.

ResourceFlavors describe node pools, which belong to the environment, not to a
project: `render_flavors` builds them once per environment (see there).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from compiler.check.quota import gpu_quota_by_resource, gpu_resource_name, pod_usage, workloads
from compiler.errors import Problems
from compiler.render.common import labels_for
from compiler.targets import Project, Target

VOLCANO_API = "scheduling.volcano.sh/v1beta1"
KUEUE_API = "kueue.x-k8s.io/v1beta2"
DEFAULT_FLAVOR = "default-flavor"
OWNER_ROLE = "edit"


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


def owner_binding(project: Project) -> dict[str, Any]:
    """The owner group gets the built-in `edit` role in the namespace."""
    return _object(
        "rbac.authorization.k8s.io/v1", "RoleBinding", _meta(project, "project-owner"),
        roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": OWNER_ROLE},
        subjects=[{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": project.doc.owner}],
    )


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
        flavors = [(gpu_type, [(resource, str(project.quota.gpu[gpu_type]))]) for gpu_type in gpu_types]
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
    objects = [namespace(project), resource_quota(project), owner_binding(project)]
    scheduler = project.env.settings.scheduler if project.doc.queue else "default"
    if scheduler == "volcano":
        objects.append(volcano_queue(project))
    elif scheduler == "kueue":
        objects += [cluster_queue(project), local_queue(project)]
        for target, what in kueue_uncovered(project, targets):
            hint = "which a project quota cannot set" if what == "ephemeral-storage" else f"set it in {project.file}"
            ctx.warn(target, ("resources",), f"Kueue will not admit it: ClusterQueue {project.namespace} "
                                             f"has no quota for {what} ({hint})")
    return [o for o in objects if o is not None]


def flavor_owner(projects: list[Project]) -> Project | None:
    """The project whose project.yaml carries the environment's ResourceFlavors: the first Kueue one."""
    kueue = sorted((p for p in projects if p.env.settings.scheduler == "kueue" and p.doc.queue),
                   key=lambda p: p.name)
    return kueue[0] if kueue else None


def render_flavors(projects: list[Project]) -> list[dict[str, Any]]:
    """The Kueue ResourceFlavors of one environment: `default-flavor` plus one per gpuType.

    They are cluster-wide and shared by every project's ClusterQueue, so they are
    built once per environment (from its gpuPools and every Kueue project's quota)
    and attributed to `flavor_owner`; each carries its gpuPool's nodeSelector and
    tolerations so Kueue matches a pod's pool to the right flavor and quota.
    Empty unless the environment uses Kueue.
    """
    owner = flavor_owner(projects)
    if owner is None:
        return []
    pools = owner.env.settings.gpuPools
    gpu_types = sorted(set(pools) | {t for p in projects if p.doc.queue for t in p.quota.gpu})
    flavors = [_object(KUEUE_API, "ResourceFlavor", _meta(owner, DEFAULT_FLAVOR, namespaced=False), spec={})]
    for gpu_type in gpu_types:
        flavors.append(_object(KUEUE_API, "ResourceFlavor", _meta(owner, gpu_type, namespaced=False),
                               spec=_flavor_spec(pools.get(gpu_type))))
    return flavors


def _flavor_spec(pool: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    if pool is not None and pool.nodeSelector:
        spec["nodeLabels"] = dict(sorted(pool.nodeSelector.items()))
    if pool is not None and pool.tolerations:
        spec["tolerations"] = [t.model_dump(exclude_none=True) for t in pool.tolerations]
    return spec


def render_projects(projects: list[Project], targets_of: dict[str, list[Target]], ctx: Any) -> dict[str, list[dict]]:
    """One environment's project objects by project name, its ResourceFlavors included."""
    ordered = sorted(projects, key=lambda p: p.name)
    rendered = {p.name: render_project(p, targets_of.get(p.name, []), ctx) for p in ordered}
    owner = flavor_owner(ordered)
    if owner is not None:
        rendered[owner.name].extend(render_flavors(ordered))
    return rendered


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
