"""The order objects are applied in, which objects hold data or run to completion, and the CRD
that serves a custom kind: per Kubernetes kind, what `strata apply` and the delivery engines share.

`apply_rank` is the one order: `strata apply` applies in it (pruning deletes in the
reverse order) and its stage is each object's Argo CD sync wave (compiler/delivery/annotate.py).

Lower ranks go first. The last stage holds what may sit unfinished for a long time —
run-to-completion work (training jobs, Jobs, DataLoads, the templates that start runs) and
notebooks (which may be stopped) — because Argo CD waits for every object of a wave to be
Healthy before it applies the next one, and never waits on its last wave.
"""
from __future__ import annotations

PREREQUISITES, NAMESPACES, PROJECT_SETUP, DATA, SERVICES, RUNS = range(6)

RANKS: dict[tuple[str, str], int] = {
    # cluster-wide objects that other objects name: CRDs, priorities, Kueue flavors
    ("apiextensions.k8s.io", "CustomResourceDefinition"): PREREQUISITES,
    ("scheduling.k8s.io", "PriorityClass"): PREREQUISITES,
    ("kueue.x-k8s.io", "ResourceFlavor"): PREREQUISITES,
    ("kueue.x-k8s.io", "WorkloadPriorityClass"): PREREQUISITES,
    ("", "Namespace"): NAMESPACES,
    # what a project's workloads are admitted and authorised by
    ("", "ResourceQuota"): PROJECT_SETUP,
    ("", "LimitRange"): PROJECT_SETUP,
    ("", "ServiceAccount"): PROJECT_SETUP,
    ("", "ConfigMap"): PROJECT_SETUP,
    ("", "Secret"): PROJECT_SETUP,
    ("scheduling.volcano.sh", "Queue"): PROJECT_SETUP,
    ("kueue.x-k8s.io", "ClusterQueue"): PROJECT_SETUP,
    ("kueue.x-k8s.io", "LocalQueue"): PROJECT_SETUP,
    ("rbac.authorization.k8s.io", "Role"): PROJECT_SETUP,
    ("rbac.authorization.k8s.io", "ClusterRole"): PROJECT_SETUP,
    ("rbac.authorization.k8s.io", "RoleBinding"): PROJECT_SETUP,
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"): PROJECT_SETUP,
    # data before whatever mounts it
    ("", "PersistentVolume"): DATA,
    ("", "PersistentVolumeClaim"): DATA,
    ("data.fluid.io", "Dataset"): DATA,
    ("data.fluid.io", "AlluxioRuntime"): DATA,
    ("data.fluid.io", "JindoRuntime"): DATA,
    ("data.fluid.io", "JuiceFSRuntime"): DATA,
    # run-to-completion work and the templates that start it, then notebooks
    ("data.fluid.io", "DataLoad"): RUNS,
    ("batch", "Job"): RUNS,
    ("kubeflow.org", "PyTorchJob"): RUNS,
    ("kubeflow.org", "TFJob"): RUNS,
    ("kubeflow.org", "XGBoostJob"): RUNS,
    ("kubeflow.org", "MPIJob"): RUNS,
    ("argoproj.io", "WorkflowTemplate"): RUNS,
    ("argoproj.io", "CronWorkflow"): RUNS,
    ("kubeflow.org", "Notebook"): RUNS,
}

# Kinds whose deletion loses data: pruned only with --allow-delete-data (Argo CD: Prune=confirm).
DATA_KINDS = {("", "Namespace"), ("", "PersistentVolumeClaim"), ("", "PersistentVolume"), ("data.fluid.io", "Dataset")}

# Run-to-completion kinds: one run each, replaced rather than edited (compiler/apply/jobs.py).
RUN_KINDS = {("batch", "Job"), ("kubeflow.org", "PyTorchJob"), ("kubeflow.org", "TFJob"),
             ("kubeflow.org", "XGBoostJob"), ("kubeflow.org", "MPIJob")}

# Custom kinds strata emits whose plural is not `<kind lower case>s`.
PLURALS = {("kubeflow.org", "PyTorchJob"): "pytorchjobs", ("kubeflow.org", "TFJob"): "tfjobs",
           ("kubeflow.org", "XGBoostJob"): "xgboostjobs", ("kubeflow.org", "MPIJob"): "mpijobs"}


def group_of(api_version: str) -> str:
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


_POSITION = {key: i for i, key in enumerate(RANKS)}


def apply_rank(api_version: str, kind: str) -> tuple[int, int]:
    """Where a kind goes in the apply order: its stage, then its place in the table above
    (a Fluid Dataset before its Runtime before its DataLoad). A kind not listed goes with the services."""
    key = (group_of(api_version), kind)
    return RANKS.get(key, SERVICES), _POSITION.get(key, len(_POSITION))


def stage_of(api_version: str, kind: str) -> int:
    """The stage alone: objects of one stage have no order between them that matters."""
    return apply_rank(api_version, kind)[0]


def last_stage(api_version: str, kind: str) -> bool:
    return stage_of(api_version, kind) == RUNS


def holds_data(api_version: str, kind: str) -> bool:
    return (group_of(api_version), kind) in DATA_KINDS


def runs_to_completion(obj: dict) -> bool:
    return (group_of(obj.get("apiVersion", "")), obj.get("kind")) in RUN_KINDS


def crd_name(api_version: str, kind: str) -> str:
    """The CustomResourceDefinition that would serve `kind` (`<plural>.<group>`)."""
    group = group_of(api_version)
    return f"{PLURALS.get((group, kind), kind.lower() + 's')}.{group}"
