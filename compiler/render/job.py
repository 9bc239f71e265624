"""Job → a Kubeflow training job (TFJob, PyTorchJob, XGBoostJob, MPIJob) or a batch/v1 Job.

With `schedule`, the job is wrapped in an Argo CronWorkflow whose single resource
template creates it and waits on success/failure conditions generated here, so
users never write them (argo-workflows#7143: conditions cannot match
`status.conditions[]` by type).

Scheduling follows the environment's `scheduler`:
- volcano: pods get `schedulerName: volcano`; Kubeflow jobs get
  `runPolicy.schedulingPolicy` (minAvailable = all replicas when `gang`, else 1 —
  the training operator would otherwise gang the whole job by default —, queue,
  priorityClass); a batch Job's pods carry Volcano's queue annotation;
- kueue: the job carries `kueue.x-k8s.io/queue-name` (and `priority-class`, naming the
  WorkloadPriorityClass the platform target emits) labels and starts suspended; Kueue
  unsuspends it on admission. The training operator's `kubeflow.org/v1` MPIJob is not one
  Kueue manages (its MPIJob integration is the MPI Operator's v2beta1), so it is an error;
- every scheduler: `priorityClassName` on the pods (a declared PriorityClass: the pods'
  own priority for kube-scheduler preemption, which a WorkloadPriorityClass does not give).

Pipelines reuse `job_object`, `job_conditions` and `resource_template`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from compiler.output import yamlout
from compiler.render import RenderContext, WorkflowAccess
from compiler.render.common import k8s_object, main_metadata, metadata, target_labels
from compiler.render.cron import check_schedule, cron_spec
from compiler.render.network import join_network
from compiler.render.patch import apply_patches
from compiler.render.pod import container, container_resources, pod_metadata, pod_parts, pod_spec
from compiler.targets import Target
from schemas.job import JobSpec

KUBEFLOW = "kubeflow.org/v1"
ARGO = "argoproj.io/v1alpha1"
KUEUE_QUEUE = "kueue.x-k8s.io/queue-name"
KUEUE_PRIORITY = "kueue.x-k8s.io/priority-class"
VOLCANO_QUEUE = "scheduling.volcano.sh/queue-name"
CREATE_TEMPLATE = "create-job"
# Positions of a `Failed` entry in status.conditions that the failure condition
# checks: Argo cannot filter a list by type, but it can address items by index, and
# Created/Suspended/Running/Restarting come before Failed in every operator we emit.
CONDITION_SLOTS = range(5)


@dataclass(frozen=True)
class Operator:
    """How one Kubeflow training operator names things."""

    kind: str
    replica_field: str
    container: str                 # the container name the operator looks for
    replica_types: dict[str, str]  # spec role → replica type


OPERATORS: dict[str, Operator] = {
    "tensorflow": Operator("TFJob", "tfReplicaSpecs", "tensorflow",
                           {"chief": "Chief", "ps": "PS", "worker": "Worker", "evaluator": "Evaluator"}),
    "pytorch": Operator("PyTorchJob", "pytorchReplicaSpecs", "pytorch", {"master": "Master", "worker": "Worker"}),
    "xgboost": Operator("XGBoostJob", "xgbReplicaSpecs", "xgboost", {"master": "Master", "worker": "Worker"}),
    "mpi": Operator("MPIJob", "mpiReplicaSpecs", "mpi", {"launcher": "Launcher", "worker": "Worker"}),
}
# Every kind a Job renders as (before a schedule wraps it): its `patches` apply to this object.
JOB_KINDS = ("Job", *(operator.kind for operator in OPERATORS.values()))

# The role whose success the operator treats as the job's success, in order of preference.
DECISIVE_ROLES = ("chief", "master", "launcher", "worker")


class JobRenderer:
    def render(self, target: Target, ctx: RenderContext) -> list[dict[str, Any]]:
        check_job(target, ctx)
        if target.spec.schedule is None:
            return [job_object(target, ctx)]
        check_schedule(target, ctx, target.spec.schedule)
        return [cron_workflow(target, ctx)]

    def workflow_access(self, target: Target, find: Any) -> WorkflowAccess | None:
        """A scheduled job's CronWorkflow creates the job under the project's workflow account."""
        if target.spec.schedule is None:
            return None
        return WorkflowAccess(target.project.workflow_service_account, (job_api_kind(target),))


def job_api_kind(target: Target) -> tuple[str, str]:
    """(apiVersion, kind) of the object a Job renders: a batch/v1 Job or a Kubeflow training job."""
    framework = target.spec.framework
    return ("batch/v1", "Job") if framework == "none" else (KUBEFLOW, OPERATORS[framework].kind)


# --- the job object ---------------------------------------------------------------------------

def job_object(target: Target, ctx: RenderContext, *, generate_name: bool = False) -> dict[str, Any]:
    """The bare job (never cron-wrapped). `generate_name` names it `<name>-<random>`, for
    Argo steps that create a fresh job on every run."""
    meta = main_metadata(target, labels=kueue_labels(target))
    if generate_name:
        meta = {"generateName": f"{meta.pop('name')}-", **meta}
    spec: JobSpec = target.spec
    if spec.framework == "none":
        obj = k8s_object("batch/v1", "Job", meta, spec=batch_job_spec(target, ctx))
    else:
        operator = OPERATORS[spec.framework]
        obj = k8s_object(KUBEFLOW, operator.kind, meta, spec=kubeflow_spec(target, ctx, operator))
    # Patched here, so a CronWorkflow or a pipeline step that embeds the job embeds the patched one.
    return apply_patches(target, [obj], ctx, kinds=frozenset(JOB_KINDS))[0]


def kubeflow_spec(target: Target, ctx: RenderContext, operator: Operator) -> dict[str, Any]:
    """One pod template per role, each its own dict (shared dicts would dump as YAML anchors)."""
    spec: JobSpec = target.spec
    replicas = {operator.replica_types[role]: {"replicas": count, "restartPolicy": restart_policy(spec, role),
                                               "template": pod_template(target, ctx, operator.container, role)}
                for role, count in spec.role_counts().items()}
    out: dict[str, Any] = {"runPolicy": run_policy(target), operator.replica_field: replicas}
    if spec.elastic is not None:
        out.update(elastic_fields(spec))
    slots = mpi_slots(spec)
    if slots:
        out["slotsPerWorker"] = slots
    return out


def restart_policy(spec: JobSpec, role: str) -> str:
    """The role's own, else `retry.restartPolicy`, else OnFailure (a batch Job: Never)."""
    default = "Never" if spec.framework == "none" else "OnFailure"
    return spec.role(role).restartPolicy or spec.retry.restartPolicy or default


def mpi_slots(spec: JobSpec) -> int | None:
    """One MPI slot per GPU of a worker (the launcher's GPUs do not make it a rank host's slots)."""
    if spec.framework != "mpi":
        return None
    return spec.role("worker").resources.gpu or None


def elastic_fields(spec: JobSpec) -> dict[str, Any]:
    """elasticPolicy (+ spec.nprocPerNode): the operator turns them into torchrun's PET_* env."""
    elastic = spec.elastic
    assert elastic is not None
    policy: dict[str, Any] = {"minReplicas": elastic.minReplicas, "maxReplicas": elastic.maxReplicas}
    if elastic.maxRestarts is not None:
        policy["maxRestarts"] = elastic.maxRestarts
    rendezvous = elastic.rendezvous
    policy["rdzvBackend"] = rendezvous.backend
    if rendezvous.host is not None:
        policy["rdzvHost"] = rendezvous.host
    if rendezvous.port is not None:
        policy["rdzvPort"] = rendezvous.port
    if rendezvous.id is not None:
        policy["rdzvId"] = rendezvous.id
    if rendezvous.conf:
        policy["rdzvConf"] = [{"key": k, "value": v} for k, v in sorted(rendezvous.conf.items())]
    if elastic.autoscale is not None:
        policy["metrics"] = [{"type": "Resource", "resource": {"name": "cpu", "target": {
            "type": "Utilization", "averageUtilization": elastic.autoscale.cpuUtilization}}}]
    out: dict[str, Any] = {"elasticPolicy": policy}
    if elastic.nprocPerNode is not None:
        out["nprocPerNode"] = str(elastic.nprocPerNode)
    return out


def run_policy(target: Target) -> dict[str, Any]:
    spec: JobSpec = target.spec
    policy: dict[str, Any] = {}
    if spec.cleanup is not None:
        policy["cleanPodPolicy"] = spec.cleanup.pods
    policy["backoffLimit"] = spec.retry.backoffLimit
    policy.update(deadlines(spec))
    scheduler = target.env.settings.scheduler
    if scheduler == "volcano":
        policy["schedulingPolicy"] = volcano_policy(target)
    elif scheduler == "kueue":
        policy["suspend"] = True
    return policy


def volcano_policy(target: Target) -> dict[str, Any]:
    spec: JobSpec = target.spec
    policy: dict[str, Any] = {"minAvailable": gang_size(spec) if spec.scheduling.gang else 1}
    queue = queue_name(target)
    if queue:
        policy["queue"] = queue
    if spec.scheduling.priority:
        policy["priorityClass"] = spec.scheduling.priority
    return policy


def gang_size(spec: JobSpec) -> int:
    """Pods that must start together: every replica of every role; elastic workers from minReplicas."""
    counts = spec.role_counts()
    if spec.elastic is not None and "worker" in counts:
        counts["worker"] = spec.elastic.minReplicas
    return sum(counts.values())


def batch_job_spec(target: Target, ctx: RenderContext) -> dict[str, Any]:
    """`restartPolicy: Never` (unless `retry.restartPolicy` says OnFailure) so each failure is a
    failed pod that `backoffLimit` and the generated failure condition (`status.failed`) both count."""
    spec: JobSpec = target.spec
    out: dict[str, Any] = {"backoffLimit": spec.retry.backoffLimit, **deadlines(spec)}
    for field_name in ("parallelism", "completions", "completionMode"):
        if getattr(spec, field_name) is not None:
            out[field_name] = getattr(spec, field_name)
    if target.env.settings.scheduler == "kueue":
        out["suspend"] = True
    out["template"] = pod_template(target, ctx, target.name, "main", restart_policy=restart_policy(spec, "main"))
    return out


def deadlines(spec: JobSpec) -> dict[str, int]:
    out: dict[str, int] = {}
    if spec.activeDeadline is not None:
        out["activeDeadlineSeconds"] = spec.activeDeadline
    if spec.ttlAfterFinished is not None:
        out["ttlSecondsAfterFinished"] = spec.ttlAfterFinished
    return out


# --- pods -------------------------------------------------------------------------------------

def pod_template(target: Target, ctx: RenderContext, container_name: str, role: str,
                 restart_policy: str | None = None) -> dict[str, Any]:
    spec: JobSpec = target.spec
    own = spec.role(role)
    parts = pod_parts(target, own.resources, spec.datasets, ctx, own.pod, role_path(spec, role, "pod"))
    resources = container_resources(target, own.resources)
    fabric = join_network(target, ctx, own.network, role_path(spec, role, "network"), parts, resources)
    main = container(container_name, own.image or spec.image, command=own.command or (), args=own.args or (),
                     env=[*own.env, *fabric], resources=resources, mounts=parts.mounts, parts=parts)
    return {"metadata": pod_metadata(parts, target_labels(target), pod_annotations(target)),
            "spec": pod_spec([main], parts, restartPolicy=restart_policy, **pod_scheduling(target))}


def role_path(spec: JobSpec, role: str, *path: str) -> tuple:
    """Where a role's value is in the spec: under `roles.<role>` when the role has its own entry."""
    return ("roles", role, *path) if role in (spec.roles or {}) else path


def pod_scheduling(target: Target) -> dict[str, str | None]:
    """schedulerName by the env's scheduler; priorityClassName whatever the scheduler."""
    scheduler = target.env.settings.scheduler
    return {"schedulerName": "volcano" if scheduler == "volcano" else None,
            "priorityClassName": target.spec.scheduling.priority}


def pod_annotations(target: Target) -> dict[str, str]:
    """A batch Job has no runPolicy, so Volcano reads its queue from the pods."""
    queue = queue_name(target)
    if target.env.settings.scheduler == "volcano" and target.spec.framework == "none" and queue:
        return {VOLCANO_QUEUE: queue}
    return {}


def kueue_labels(target: Target) -> dict[str, str]:
    if target.env.settings.scheduler != "kueue":
        return {}
    labels: dict[str, str] = {}
    queue = queue_name(target)
    if queue:
        labels[KUEUE_QUEUE] = queue
    if target.spec.scheduling.priority:
        labels[KUEUE_PRIORITY] = target.spec.scheduling.priority
    return labels


def queue_name(target: Target) -> str | None:
    """`scheduling.queue`, else the project's queue."""
    project_queue = target.project.doc.queue
    return target.spec.scheduling.queue or (project_queue.name if project_queue else None)


# --- checks -----------------------------------------------------------------------------------

def check_job(target: Target, ctx: RenderContext) -> None:
    scheduler = target.env.settings.scheduler
    if scheduler == "kueue" and target.spec.framework == "mpi":
        ctx.error(target, ("framework",),
                  "framework mpi cannot run under scheduler kueue: Kueue manages the MPI Operator's "
                  "kubeflow.org/v2beta1 MPIJob, not the training operator's kubeflow.org/v1 MPIJob strata "
                  "emits, so the job would stay suspended forever")
    if scheduler == "kueue" and not queue_name(target):
        ctx.error(target, ("scheduling", "queue"),
                  "scheduler kueue needs a queue (scheduling.queue or the project's queue.name): "
                  "the job starts suspended and only a LocalQueue admits it")
    if scheduler == "default" and target.spec.scheduling.gang:
        ctx.warn(target, ("scheduling", "gang"),
                 f"gang scheduling has no effect with scheduler default in environment {target.env.name}")
    engine = target.env.settings.delivery.engine
    if engine != "ci" and target.spec.ttlAfterFinished is not None and target.spec.schedule is None:
        ctx.error(target, ("ttlAfterFinished",),
                  f"ttlAfterFinished: {target.env.name} is delivered by {engine} (delivery.engine), which creates "
                  "the job again once its TTL deletes it, so it would run again; unset ttlAfterFinished here "
                  "(`ttlAfterFinished: null`), or deliver the environment with strata apply")
    check_lifecycle(target, ctx)


def check_lifecycle(target: Target, ctx: RenderContext) -> None:
    """Fields that belong to one kind of job only, and restart policies that would never end it."""
    spec: JobSpec = target.spec
    batch = spec.framework == "none"
    for field_name in ("parallelism", "completions", "completionMode"):
        if getattr(spec, field_name) is not None and not batch:
            ctx.error(target, (field_name,), f"{field_name} is for a batch Job (framework none); a "
                                             f"{spec.framework} job sizes its roles with `replicas`")
    if spec.cleanup is not None and batch:
        ctx.error(target, ("cleanup",), "cleanup is for Kubeflow jobs; a batch Job's pods go with "
                                        "ttlAfterFinished")
    if spec.elastic is not None:
        _check_elastic(target, ctx)
    if batch:
        policy = spec.retry.restartPolicy
        if policy not in (None, "Never", "OnFailure"):
            ctx.error(target, ("retry", "restartPolicy"),
                      f"a batch Job's pods restart Never or OnFailure, not {policy} (that is a Kubeflow policy)")
        return
    counts = spec.role_counts()
    decisive = next((r for r in DECISIVE_ROLES if r in counts), None)
    if decisive is not None and restart_policy(spec, decisive) == "Always":
        where = ("roles", decisive, "restartPolicy") if spec.role(decisive).restartPolicy else ("retry", "restartPolicy")
        ctx.warn(target, where, f"restartPolicy Always on the {decisive} role: its pods are restarted even "
                                "after they succeed, so the job never completes")


def _check_elastic(target: Target, ctx: RenderContext) -> None:
    spec: JobSpec = target.spec
    elastic = spec.elastic
    assert elastic is not None
    if spec.framework != "pytorch":
        ctx.error(target, ("elastic",), f"elastic training is PyTorch's (torchrun); framework {spec.framework} "
                                        "has no elasticPolicy")
        return
    workers = spec.role_counts().get("worker", 0)
    if not elastic.minReplicas <= workers <= elastic.maxReplicas:
        ctx.error(target, ("replicas", "worker"), f"replicas.worker ({workers}) must lie within elastic "
                                                  f"minReplicas..maxReplicas ({elastic.minReplicas}.."
                                                  f"{elastic.maxReplicas})")


# --- completion conditions --------------------------------------------------------------------

def job_conditions(target: Target) -> tuple[str, str]:
    """(successCondition, failureCondition) for an Argo resource template creating this job.

    Argo ANDs the success requirements and fails on ANY failure requirement. Success is
    the decisive role's `succeeded` count (the operator counts still-active replicas as
    succeeded once the job succeeds); failure is any failed replica, or a `Failed` entry
    in status.conditions, which also catches an exhausted backoffLimit or deadline when
    restarted pods never reach phase Failed.
    """
    spec: JobSpec = target.spec
    failed_condition = [f"status.conditions.{slot}.type == Failed" for slot in CONDITION_SLOTS]
    if spec.framework == "none":
        failure = [f"status.failed > {spec.retry.backoffLimit}", *failed_condition]
        needed = spec.completions or 1   # without completions, one success completes the Job
        return f"status.succeeded > {needed - 1}", ", ".join(failure)
    operator, counts = OPERATORS[spec.framework], spec.role_counts()
    role = next((r for r in DECISIVE_ROLES if r in counts), next(iter(counts)))
    success = f"status.replicaStatuses.{operator.replica_types[role]}.succeeded == {counts[role]}"
    failure = [f"status.replicaStatuses.{operator.replica_types[r]}.failed > 0" for r in counts]
    return success, ", ".join(failure + failed_condition)


# --- cron wrapping ----------------------------------------------------------------------------

def cron_workflow(target: Target, ctx: RenderContext) -> dict[str, Any]:
    """Runs as the project's workflow ServiceAccount, which may create exactly this job's kind."""
    spec = {**cron_spec(target.spec.schedule),
            "workflowMetadata": {"labels": target_labels(target)},
            "workflowSpec": {"entrypoint": CREATE_TEMPLATE,
                             "serviceAccountName": target.project.workflow_service_account,
                             "templates": [resource_template(target, ctx, CREATE_TEMPLATE)]}}
    return k8s_object(ARGO, "CronWorkflow", metadata(target), spec=spec)


def resource_template(target: Target, ctx: RenderContext, name: str) -> dict[str, Any]:
    """An Argo resource template that creates a fresh job per run and waits for its outcome.

    `setOwnerReference` ties each job to its workflow run, so the run's history limit
    cleans it up.
    """
    success, failure = job_conditions(target)
    return {"name": name, "resource": {
        "action": "create",
        "setOwnerReference": True,
        "successCondition": success,
        "failureCondition": failure,
        "manifest": manifest_text(job_object(target, ctx, generate_name=True)),
    }}


def manifest_text(obj: dict[str, Any]) -> str:
    """Argo takes the manifest as YAML text; keys keep their readable order."""
    return yamlout.dump(obj)
