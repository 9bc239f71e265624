"""Demand: the GPUs each rendered object asks for, one rule per kind (docs/capacity.md#demand).

Every rule is a pure function of one object (plus the other objects of the same target, for
the joins the cluster makes itself: a HorizontalPodAutoscaler scales its Deployment, a
CronWorkflow runs a WorkflowTemplate) and the environment's pools. It returns a `Workload`:
its pods (shape × how many at once), its GPU totals per pool — fewest and most at once —
whether it runs all the time (*steady*: services, notebooks) or runs and ends (jobs,
pipelines), and the gangs a batch scheduler must admit whole.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

from compiler.capacity.gpus import Pool, Shape, pod_shapes, pools_of
from schemas.service import canary_share

if TYPE_CHECKING:
    from compiler.targets import Target

Object = Mapping[str, Any]
KUEUE_QUEUE = "kueue.x-k8s.io/queue-name"
VOLCANO_QUEUE = "scheduling.volcano.sh/queue-name"
VOLCANO_DEFAULT_QUEUE = "default"


@dataclass(frozen=True)
class Pods:
    """`low`..`high` pods of one shape at once (HPA min..max; equal for jobs)."""

    shape: Shape
    low: int
    high: int


@dataclass(frozen=True)
class Gang:
    """Pods a batch scheduler admits all together, and the queue whose quota must hold them.

    `gpus` is what the gang needs at least, per (resource, pool): for Volcano the `minAvailable`
    pods asking for the fewest GPUs (so "more than the queue allows" means it can never start).
    """

    scheduler: str                                   # "volcano" | "kueue"
    queue: str                                       # Volcano Queue / Kueue LocalQueue name
    namespace: str
    pods: int                                        # how many pods must start together
    gpus: tuple[tuple[str, str | None, int], ...]    # (resource, pool, GPUs)
    role: str = ""                                   # the pipeline step creating it, if any


@dataclass(frozen=True)
class Workload:
    """One object's GPU demand (also one step of a pipeline, for details)."""

    kind: str
    name: str
    steady: bool                                     # runs all the time (services, notebooks)
    pods: tuple[Pods, ...] = ()
    totals: tuple[tuple[str | None, int, int], ...] = ()   # (pool, fewest, most) GPUs at once
    gangs: tuple[Gang, ...] = ()
    detail: str = ""                                 # how the numbers come about, for people
    parts: tuple[Workload, ...] = field(default=())  # objects it creates (a pipeline's jobs)

    @property
    def gpus(self) -> bool:
        return any(high for _, _, high in self.totals)

    @property
    def starts_together(self) -> bool:
        """Whether its pods, or those of an object it creates, form a gang (admitted whole)."""
        return bool(self.gangs) or any(part.starts_together for part in self.parts)


@dataclass(frozen=True)
class Context:
    """What a rule may read besides its object."""

    pools: tuple[Pool, ...]
    siblings: tuple[Object, ...] = ()     # every object of the same target (the object itself too)


Rule = Callable[[Object, Context], "Workload | None"]


# --- helpers -----------------------------------------------------------------------------------

def group_of(obj: Object) -> str:
    api = str(obj.get("apiVersion", ""))
    return api.rpartition("/")[0] if "/" in api else ""


def meta(obj: Object) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def name_of(obj: Object) -> str:
    m = meta(obj)
    return str(m.get("name") or m.get("generateName") or "")


def count(value: Any, default: int) -> int:
    """A replica count as written; absent (or not a whole number) → the controller's default."""
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def totals_of(pods: Iterable[Pods]) -> tuple[tuple[str | None, int, int], ...]:
    """GPU totals per pool (pool None last), fewest and most at once."""
    sums: dict[str | None, list[int]] = {}
    for p in pods:
        low_high = sums.setdefault(p.shape.pool, [0, 0])
        low_high[0] += p.low * p.shape.gpus
        low_high[1] += p.high * p.shape.gpus
    return tuple((pool, low, high) for pool, (low, high) in sorted(sums.items(), key=lambda i: (i[0] is None, i[0] or "")))


def describe(pods: Iterable[Pods]) -> str:
    """`Worker 3 × 8 GPU` / `2–8 × 1 GPU`, joined with ` + `."""
    parts = []
    for p in pods:
        replicas = str(p.high) if p.low == p.high else f"{p.low}–{p.high}"
        role = f"{p.shape.role} " if p.shape.role else ""
        parts.append(f"{role}{replicas} × {p.shape.gpus} GPU")
    return " + ".join(parts)


def workload(obj: Object, steady: bool, pods: list[Pods], *, gangs: Iterable[Gang] = (),
             note: str = "") -> Workload:
    detail = describe(pods) + (f" ({note})" if note and pods else "")
    return Workload(str(obj.get("kind", "")), name_of(obj), steady, tuple(pods), totals_of(pods),
                    tuple(gangs), detail)


def shaped(role: str, pod: Mapping[str, Any], ctx: Context, low: int, high: int) -> list[Pods]:
    return [Pods(shape, low, high) for shape in pod_shapes(role, pod, ctx.pools)]


def template_pod(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return ((obj.get("template") or {}).get("spec")) or {}


# --- gangs -------------------------------------------------------------------------------------

def smallest_gang(pods: Iterable[Pods], members: int, instances: int) -> tuple[tuple[str, str | None, int], ...]:
    """Per (resource, pool): the GPUs of the `members` pods (of `instances`, GPU-less ones
    included) that ask for the fewest of them."""
    pods = list(pods)
    found = []
    for key in sorted({(p.shape.resource, p.shape.pool) for p in pods}, key=lambda k: (k[0], k[1] or "")):
        counts = sorted([p.shape.gpus for p in pods if (p.shape.resource, p.shape.pool) == key for _ in range(p.high)])
        counts = [0] * (instances - len(counts)) + counts   # pods without this resource ask for none of it
        found.append((key[0], key[1], sum(counts[:members])))
    return tuple(f for f in found if f[2])


def kueue_gang(obj: Object, pods: list[Pods], instances: int) -> list[Gang]:
    """Kueue admits a workload whole: every pod at once, from the LocalQueue its label names."""
    queue = (meta(obj).get("labels") or {}).get(KUEUE_QUEUE)
    if not queue or not pods:
        return []
    return [Gang("kueue", str(queue), str(meta(obj).get("namespace", "")), instances,
                 smallest_gang(pods, instances, instances))]


def volcano_gang(obj: Object, pods: list[Pods], members: int, instances: int, queue: str | None) -> list[Gang]:
    if not pods:
        return []
    return [Gang("volcano", queue or VOLCANO_DEFAULT_QUEUE, str(meta(obj).get("namespace", "")), members,
                 smallest_gang(pods, members, instances))]


# --- the rules ---------------------------------------------------------------------------------

def scaled(obj: Object, ctx: Context) -> Workload | None:
    """Deployment / StatefulSet / ReplicaSet: `replicas` (default 1), or minReplicas..maxReplicas
    of the HorizontalPodAutoscaler whose scaleTargetRef names it. Steady."""
    spec = obj.get("spec") or {}
    low = high = count(spec.get("replicas"), 1)
    note = ""
    hpa = autoscaler_of(obj, ctx.siblings)
    if hpa is not None:
        hpa_spec = hpa.get("spec") or {}
        low, high = count(hpa_spec.get("minReplicas"), 1), count(hpa_spec.get("maxReplicas"), 1)
        note = "HPA"
    return workload(obj, True, shaped("", template_pod(spec), ctx, low, high), note=note)


def autoscaler_of(obj: Object, siblings: Iterable[Object]) -> Object | None:
    for other in siblings:
        if other.get("kind") == "HorizontalPodAutoscaler":
            ref = (other.get("spec") or {}).get("scaleTargetRef") or {}
            if ref.get("kind") == obj.get("kind") and ref.get("name") == name_of(obj):
                return other
    return None


KSERVE_COMPONENTS = ("predictor", "transformer", "explainer")


def inference_service(obj: Object, ctx: Context) -> Workload | None:
    """KServe: each component's minReplicas (default 1)..maxReplicas pods. With
    `canaryTrafficPercent` the last rolled-out revision keeps running beside the new one: each
    keeps at least minReplicas, and at most the new one takes its traffic share of maxReplicas
    (ceil(max × percent / 100), as a chart canary). Steady."""
    spec = obj.get("spec") or {}
    pods: list[Pods] = []
    notes = []
    for component in KSERVE_COMPONENTS:
        part = spec.get(component)
        if not isinstance(part, Mapping):
            continue
        low = count(part.get("minReplicas"), 1)
        high = max(low, count(part.get("maxReplicas"), low))
        percent = part.get("canaryTrafficPercent")
        if isinstance(percent, int) and 0 < percent < 100:
            low, high = 2 * low, high + max(low, canary_share(high, percent))
            notes.append(f"{component} canary {percent}%: two revisions")
        pods += shaped(component, kserve_pod(part), ctx, low, high)
    return workload(obj, True, pods, note="; ".join(notes))


def kserve_pod(component: Mapping[str, Any]) -> dict[str, Any]:
    """A component is a pod spec inline, its main container under `model` (predictors)."""
    containers = [component["model"]] if isinstance(component.get("model"), Mapping) else []
    return {**component, "containers": containers + list(component.get("containers") or [])}


def kubeflow_job(obj: Object, ctx: Context) -> Workload | None:
    """A Kubeflow training job (PyTorchJob, TFJob, XGBoostJob, MPIJob, …): every role's
    replicas (default 1) × its pod's GPUs — launcher and parameter servers included; an elastic
    PyTorchJob's workers up to `elasticPolicy.maxReplicas`. Volcano gang: `minAvailable` pods of
    `runPolicy.schedulingPolicy` (all of them when unset); Kueue: the whole job."""
    spec = obj.get("spec") or {}
    pods: list[Pods] = []
    instances = 0
    for key, roles in sorted(spec.items()):
        if not key.endswith("ReplicaSpecs") or not isinstance(roles, Mapping):
            continue
        for role, replica in roles.items():
            replicas = count(replica.get("replicas"), 1)
            high = max(replicas, count((spec.get("elasticPolicy") or {}).get("maxReplicas"), 0)) \
                if role == "Worker" else replicas
            pods += shaped(role, template_pod(replica), ctx, high, high)
            instances += replicas
    return workload(obj, False, pods, gangs=kubeflow_gangs(obj, spec, pods, instances))


def kubeflow_gangs(obj: Object, spec: Mapping[str, Any], pods: list[Pods], instances: int) -> list[Gang]:
    policy = (spec.get("runPolicy") or {}).get("schedulingPolicy")
    if isinstance(policy, Mapping):
        members = count(policy.get("minAvailable"), instances)
        return volcano_gang(obj, pods, members, instances, policy.get("queue"))
    return kueue_gang(obj, pods, instances)


def batch_job(obj: Object, ctx: Context) -> Workload | None:
    """batch/v1 Job: `parallelism` pods at once (default 1; never more than `completions`).
    Kueue: the whole Job; Volcano (queue annotation on its pods): each pod on its own."""
    spec = obj.get("spec") or {}
    parallelism = count(spec.get("parallelism"), 1)
    completions = spec.get("completions")
    high = min(parallelism, completions) if isinstance(completions, int) else parallelism
    pod = template_pod(spec)
    pods = shaped("", pod, ctx, high, high)
    annotations = ((spec.get("template") or {}).get("metadata") or {}).get("annotations") or {}
    gangs = kueue_gang(obj, pods, high)
    if not gangs and (pod.get("schedulerName") == "volcano" or VOLCANO_QUEUE in annotations):
        gangs = volcano_gang(obj, pods, 1, high, annotations.get(VOLCANO_QUEUE))
    return workload(obj, False, pods, gangs=gangs)


def volcano_job(obj: Object, ctx: Context) -> Workload | None:
    """Volcano batch Job: every task's replicas × its pod's GPUs; gang `minAvailable` (default:
    every replica) from `spec.queue`."""
    spec = obj.get("spec") or {}
    pods: list[Pods] = []
    instances = 0
    for index, task in enumerate(spec.get("tasks") or []):
        replicas = count(task.get("replicas"), 1)
        pods += shaped(str(task.get("name") or f"task-{index}"), template_pod(task), ctx, replicas, replicas)
        instances += replicas
    members = count(spec.get("minAvailable"), instances)
    return workload(obj, False, pods, gangs=volcano_gang(obj, pods, members, instances, spec.get("queue")))


def notebook(obj: Object, ctx: Context) -> Workload | None:
    """Kubeflow Notebook: one pod (a StatefulSet of one), counted as running. Steady."""
    return workload(obj, True, shaped("", template_pod(obj.get("spec") or {}), ctx, 1, 1))


def pod(obj: Object, ctx: Context) -> Workload | None:
    """A bare Pod: one, running."""
    return workload(obj, True, shaped("", obj.get("spec") or {}, ctx, 1, 1))


def _argo(name: str) -> Rule:
    def rule(obj: Object, ctx: Context) -> Workload | None:
        from compiler.capacity import workflow
        return getattr(workflow, name)(obj, ctx)
    return rule


RULES: dict[tuple[str, str], Rule] = {
    ("apps", "Deployment"): scaled,
    ("apps", "StatefulSet"): scaled,
    ("apps", "ReplicaSet"): scaled,
    ("", "Pod"): pod,
    ("serving.kserve.io", "InferenceService"): inference_service,
    ("kubeflow.org", "PyTorchJob"): kubeflow_job,
    ("kubeflow.org", "TFJob"): kubeflow_job,
    ("kubeflow.org", "XGBoostJob"): kubeflow_job,
    ("kubeflow.org", "MPIJob"): kubeflow_job,
    ("kubeflow.org", "PaddleJob"): kubeflow_job,
    ("kubeflow.org", "JAXJob"): kubeflow_job,
    ("kubeflow.org", "Notebook"): notebook,
    ("batch", "Job"): batch_job,
    ("batch.volcano.sh", "Job"): volcano_job,
    ("argoproj.io", "WorkflowTemplate"): _argo("workflow_template"),
    ("argoproj.io", "Workflow"): _argo("workflow"),
    ("argoproj.io", "CronWorkflow"): _argo("cron_workflow"),
}


def workload_of(obj: Object, ctx: Context) -> Workload | None:
    """The object's demand by its kind's rule; None for kinds that run nothing."""
    rule = RULES.get((group_of(obj), str(obj.get("kind", ""))))
    return rule(obj, ctx) if rule is not None else None


Demands: TypeAlias = "Sequence[tuple[Target, Sequence[Workload]]]"   # rendered targets and their GPU demand


def demand_of(target: Target, objects: Iterable[Object]) -> tuple[Workload, ...]:
    """A rendered target's workloads that ask for GPUs, in its environment's pools."""
    return tuple(target_workloads(objects, pools_of(target.env.settings.gpuPools)))


def target_workloads(objects: Iterable[Object], pools: tuple[Pool, ...]) -> list[Workload]:
    """The workloads of one target's objects that ask for GPUs, in object order."""
    objects = tuple(objects)
    ctx = Context(pools, objects)
    found = (workload_of(obj, ctx) for obj in objects)
    return [w for w in found if w is not None and w.gpus]
