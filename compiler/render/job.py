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
from compiler.render.common import k8s_object, metadata, target_labels
from compiler.render.cron import check_schedule, cron_spec
from compiler.render.pod import container, container_resources, pod_parts, pod_spec
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
    meta = metadata(target, labels=kueue_labels(target))
    if generate_name:
        meta = {"generateName": f"{meta.pop('name')}-", **meta}
    spec: JobSpec = target.spec
    if spec.framework == "none":
        return k8s_object("batch/v1", "Job", meta, spec=batch_job_spec(target, ctx))
    operator = OPERATORS[spec.framework]
    return k8s_object(KUBEFLOW, operator.kind, meta, spec=kubeflow_spec(target, ctx, operator))


def kubeflow_spec(target: Target, ctx: RenderContext, operator: Operator) -> dict[str, Any]:
    """One pod template per role, each its own dict (shared dicts would dump as YAML anchors)."""
    spec: JobSpec = target.spec
    replicas = {operator.replica_types[role]: {"replicas": count, "restartPolicy": "OnFailure",
                                               "template": pod_template(target, ctx, operator.container)}
                for role, count in spec.role_counts().items()}
    out: dict[str, Any] = {"runPolicy": run_policy(target), operator.replica_field: replicas}
    if spec.framework == "mpi" and spec.resources.gpu:
        out["slotsPerWorker"] = spec.resources.gpu  # one MPI slot per GPU
    return out


def run_policy(target: Target) -> dict[str, Any]:
    spec: JobSpec = target.spec
    policy: dict[str, Any] = {"backoffLimit": spec.retry.backoffLimit}
    policy.update(deadlines(spec))
    scheduler = target.env.settings.scheduler
    if scheduler == "volcano":
        policy["schedulingPolicy"] = volcano_policy(target)
    elif scheduler == "kueue":
        policy["suspend"] = True
    return policy


def volcano_policy(target: Target) -> dict[str, Any]:
    spec: JobSpec = target.spec
    policy: dict[str, Any] = {"minAvailable": spec.total_replicas if spec.scheduling.gang else 1}
    queue = queue_name(target)
    if queue:
        policy["queue"] = queue
    if spec.scheduling.priority:
        policy["priorityClass"] = spec.scheduling.priority
    return policy


def batch_job_spec(target: Target, ctx: RenderContext) -> dict[str, Any]:
    """`restartPolicy: Never` so each failure is a failed pod that `backoffLimit` and the
    generated failure condition (`status.failed`) both count."""
    spec: JobSpec = target.spec
    out: dict[str, Any] = {"backoffLimit": spec.retry.backoffLimit, **deadlines(spec)}
    if target.env.settings.scheduler == "kueue":
        out["suspend"] = True
    out["template"] = pod_template(target, ctx, target.name, restart_policy="Never")
    return out


def deadlines(spec: JobSpec) -> dict[str, int]:
    out: dict[str, int] = {}
    if spec.activeDeadline is not None:
        out["activeDeadlineSeconds"] = spec.activeDeadline
    if spec.ttlAfterFinished is not None:
        out["ttlSecondsAfterFinished"] = spec.ttlAfterFinished
    return out


# --- pods -------------------------------------------------------------------------------------

def pod_template(target: Target, ctx: RenderContext, container_name: str,
                 restart_policy: str | None = None) -> dict[str, Any]:
    spec: JobSpec = target.spec
    parts = pod_parts(target, spec.resources, spec.datasets, ctx)
    main = container(container_name, spec.image, command=spec.command, args=spec.args, env=spec.env,
                     resources=container_resources(target, spec.resources), mounts=parts.mounts)
    template_meta: dict[str, Any] = {"labels": {**target_labels(target), **parts.labels}}
    annotations = pod_annotations(target)
    if annotations:
        template_meta["annotations"] = annotations
    return {"metadata": template_meta,
            "spec": pod_spec([main], parts, restartPolicy=restart_policy, **pod_scheduling(target))}


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
        return "status.succeeded > 0", ", ".join(failure)
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
