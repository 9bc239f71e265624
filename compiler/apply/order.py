"""The order objects are applied in, and the CRD that serves a custom kind.

Kept in this one module so that it can switch to the kind registry (compiler/kinds.py)
when that lands: `apply_rank` is the only function the rest of apply asks.

Lower ranks go first; pruning deletes in the reverse order.
"""
from __future__ import annotations

PREREQUISITES, NAMESPACES, PROJECT_SETUP, DATA, SERVICES, RUNS, NOTEBOOKS = range(7)

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
    ("data.fluid.io", "DataLoad"): DATA,
    # run-to-completion work and the templates that start it
    ("batch", "Job"): RUNS,
    ("kubeflow.org", "PyTorchJob"): RUNS,
    ("kubeflow.org", "TFJob"): RUNS,
    ("kubeflow.org", "XGBoostJob"): RUNS,
    ("kubeflow.org", "MPIJob"): RUNS,
    ("argoproj.io", "WorkflowTemplate"): RUNS,
    ("argoproj.io", "CronWorkflow"): RUNS,
    ("kubeflow.org", "Notebook"): NOTEBOOKS,
}

# Kinds whose deletion loses data: pruned only with --allow-delete-data.
DATA_KINDS = {("", "Namespace"), ("", "PersistentVolumeClaim"), ("", "PersistentVolume"), ("data.fluid.io", "Dataset")}

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


def holds_data(api_version: str, kind: str) -> bool:
    return (group_of(api_version), kind) in DATA_KINDS


def crd_name(api_version: str, kind: str) -> str:
    """The CustomResourceDefinition that would serve `kind` (`<plural>.<group>`)."""
    group = group_of(api_version)
    return f"{PLURALS.get((group, kind), kind.lower() + 's')}.{group}"
