"""Would it work on a real cluster? The rule each controller or admission step applies to what
strata emits, written as a check on the compiled objects — beyond their schemas.

Every check runs on the example repository and on the second config repo of
tests/cluster_repo.py (upper-case GPU pools, Kueue and Volcano, Fluid, KServe and chart
services, pipelines with job steps). The module is organised by the kind whose controller
(or admission plugin) the rule belongs to; `test_every_emitted_kind_has_a_rule` fails when an
output kind has no section here. docs/cluster-requirements.md cites the upstream behaviour.
"""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from cluster_repo import write_cluster_repo
from compiler.check.quota import parse_quantity
from compiler.names import is_dns_label, is_dns_subdomain, is_label_value
from compiler.pipeline import compile_repo
from conftest import ROOT

# Rules exist below for each of these (apiVersion, kind); a new output kind needs one.
CHECKED = {
    ("v1", "Namespace"), ("v1", "ResourceQuota"), ("v1", "LimitRange"), ("v1", "ServiceAccount"),
    ("rbac.authorization.k8s.io/v1", "Role"), ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("scheduling.k8s.io/v1", "PriorityClass"), ("kueue.x-k8s.io/v1beta2", "WorkloadPriorityClass"),
    ("kueue.x-k8s.io/v1beta2", "ResourceFlavor"), ("kueue.x-k8s.io/v1beta2", "ClusterQueue"),
    ("kueue.x-k8s.io/v1beta2", "LocalQueue"), ("scheduling.volcano.sh/v1beta1", "Queue"),
    ("batch/v1", "Job"), ("kubeflow.org/v1", "PyTorchJob"), ("kubeflow.org/v1", "TFJob"),
    ("kubeflow.org/v1", "XGBoostJob"), ("kubeflow.org/v1", "MPIJob"), ("kubeflow.org/v1", "Notebook"),
    ("data.fluid.io/v1alpha1", "Dataset"), ("data.fluid.io/v1alpha1", "AlluxioRuntime"),
    ("data.fluid.io/v1alpha1", "JindoRuntime"), ("data.fluid.io/v1alpha1", "JuiceFSRuntime"),
    ("data.fluid.io/v1alpha1", "DataLoad"), ("v1", "PersistentVolume"), ("v1", "PersistentVolumeClaim"),
    ("argoproj.io/v1alpha1", "WorkflowTemplate"), ("argoproj.io/v1alpha1", "CronWorkflow"),
    ("serving.kserve.io/v1beta1", "InferenceService"), ("apps/v1", "Deployment"), ("v1", "Service"),
    ("policy/v1", "PodDisruptionBudget"), ("autoscaling/v2", "HorizontalPodAutoscaler"),
    ("gateway.networking.k8s.io/v1", "HTTPRoute"),
}
KUEUE_JOBS = {("batch/v1", "Job"), ("kubeflow.org/v1", "PyTorchJob"), ("kubeflow.org/v1", "TFJob"),
              ("kubeflow.org/v1", "XGBoostJob")}
KUBEFLOW_REPLICAS = ("pytorchReplicaSpecs", "tfReplicaSpecs", "xgbReplicaSpecs", "mpiReplicaSpecs")
FLUID_INJECT = "fuse.serverful.fluid.io/inject"
FLUID_SCHED = re.compile(r"^fluid\.io/dataset\.([A-Za-z0-9.-]*)\.sched$")      # Fluid pkg/common/label.go
KSERVE_SCHEMES = ("gs://", "s3://", "pvc://", "file://", "https://", "http://", "hdfs://", "webhdfs://", "oci://",
                  "hf://")                                                        # SupportedStorageURIPrefixList
KNATIVE_PORT_NAMES = ("", "h2c", "http1")                                        # validateContainerPorts
KNATIVE_RESERVED = (8012, 8013, 8022, 9090, 9091)


# --- the compiled outputs ---------------------------------------------------------------------

@dataclass(frozen=True)
class Item:
    """One object: emitted, or a job manifest an Argo resource template embeds (`embedded_in`)."""

    env: str
    folder: str
    obj: dict[str, Any]
    embedded_in: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return self.obj.get("apiVersion", ""), self.obj.get("kind", "")

    @property
    def name(self) -> str:
        return (self.obj.get("metadata") or {}).get("name") or (self.obj.get("metadata") or {}).get("generateName", "")

    @property
    def namespace(self) -> str:
        return (self.obj.get("metadata") or {}).get("namespace", "")

    @property
    def labels(self) -> dict[str, str]:
        return (self.obj.get("metadata") or {}).get("labels") or {}


@dataclass(frozen=True)
class Pod:
    """A pod template as the controller that runs it would see it."""

    item: Item
    labels: dict[str, str]
    spec: dict[str, Any]
    namespace: str

    @property
    def containers(self) -> list[dict[str, Any]]:
        return [*(self.spec.get("initContainers") or []), *(self.spec.get("containers") or [])]

    @property
    def claims(self) -> set[str]:
        return {v["persistentVolumeClaim"]["claimName"] for v in self.spec.get("volumes") or []
                if "persistentVolumeClaim" in v}


@dataclass
class Output:
    name: str
    build: Any
    items: list[Item] = field(default_factory=list)

    def __post_init__(self) -> None:
        for emitted in self.build.emitted:
            item = Item(emitted.env, emitted.folder, emitted.obj)
            self.items.append(item)
            self.items += [Item(emitted.env, emitted.folder, m, item.name) for m in embedded(emitted.obj)]

    def env(self, name: str) -> Any:
        return self.build.world.envs[name].env

    def of(self, *kinds: str) -> list[Item]:
        return [i for i in self.items if i.key[1] in kinds]

    def find(self, env: str, kind: str, name: str, namespace: str = "") -> list[Item]:
        return [i for i in self.items if (i.env, i.key[1], i.name, i.namespace) == (env, kind, name, namespace)
                and not i.embedded_in]

    def pods(self) -> list[Pod]:
        return [pod for item in self.items for pod in pods_of(item)]


def embedded(obj: dict[str, Any]) -> list[dict[str, Any]]:
    """The objects an Argo workflow's resource templates create."""
    spec = obj.get("spec") or {}
    templates = (spec.get("workflowSpec") or spec).get("templates") or []
    return [yaml.safe_load(t["resource"]["manifest"]) for t in templates if "resource" in t]


def pods_of(item: Item) -> Iterator[Pod]:
    obj, namespace = item.obj, item.namespace or ""
    spec = obj.get("spec") or {}
    kind = item.key[1]
    if kind in ("Deployment", "StatefulSet") or item.key == ("batch/v1", "Job"):
        template = spec["template"]
        yield Pod(item, template.get("metadata", {}).get("labels") or {}, template["spec"], namespace)
    for field_name in KUBEFLOW_REPLICAS:
        for replica in (spec.get(field_name) or {}).values():
            template = replica["template"]
            yield Pod(item, template.get("metadata", {}).get("labels") or {}, template["spec"], namespace)
    if kind == "Notebook":   # the notebook controller copies the Notebook's own labels to its pod
        yield Pod(item, item.labels, spec["template"]["spec"], namespace)
    if kind == "InferenceService":
        predictor = spec["predictor"]
        pod_spec = {**predictor, "containers": [predictor["model"]]}
        yield Pod(item, {**item.labels, **(predictor.get("labels") or {})}, pod_spec, namespace)
    if kind in ("WorkflowTemplate", "CronWorkflow"):
        for template in (spec.get("workflowSpec") or spec).get("templates") or []:
            if "container" in template:
                pod_spec = {"containers": [template["container"]], "volumes": template.get("volumes") or []}
                yield Pod(item, (template.get("metadata") or {}).get("labels") or {}, pod_spec, namespace)


@pytest.fixture(scope="module", params=["example", "cluster"])
def out(request, tmp_path_factory) -> Output:
    root = ROOT if request.param == "example" else write_cluster_repo(tmp_path_factory.mktemp("cluster"))
    return Output(request.param, compile_repo(root))


def test_every_emitted_kind_has_a_rule(out):
    assert {i.key for i in out.items} <= CHECKED


def test_the_second_repo_covers_what_it_is_for(out):
    if out.name != "cluster":
        pytest.skip("the example's coverage is tests/test_example_repo.py's")
    kinds = {i.key[1] for i in out.items}
    assert {"ResourceFlavor", "WorkloadPriorityClass", "ClusterQueue", "Queue", "AlluxioRuntime", "JindoRuntime",
            "DataLoad", "InferenceService", "Deployment", "HTTPRoute", "PyTorchJob", "XGBoostJob", "Job",
            "WorkflowTemplate", "CronWorkflow", "Notebook"} <= kinds
    assert {"A100", "H100_80GB"} <= set(out.env("kq").settings.gpuPools)


# --- kube-apiserver: names --------------------------------------------------------------------

def test_names_are_dns_1123_and_kueue_labels_are_label_values(out):
    for item in out.items:
        name = item.name
        assert is_dns_subdomain(name.rstrip("-")), (item.key, name)
        if item.key[1] in ("Namespace", "Service", "LocalQueue", "ClusterQueue", "ResourceFlavor",
                           "WorkloadPriorityClass", "PriorityClass"):
            assert is_dns_label(name), (item.key, name)     # also label values, DNS names or queue labels
        for key, value in item.labels.items():
            assert is_label_value(value), (item.key, name, key, value)


# --- scheduling.k8s.io PriorityClass (the Priority admission plugin) ----------------------------

def priority_classes(out: Output, env: str) -> dict[str, int]:
    return {i.name: i.obj["value"] for i in out.of("PriorityClass") if i.env == env}


def test_priority_class_rules(out):
    """Values within user range, no `system-` names, only in `_platform`, once per environment."""
    for item in out.of("PriorityClass"):
        assert item.folder == f"{item.env}/_platform"
        assert -2**31 <= item.obj["value"] <= 1_000_000_000 and not item.name.startswith("system-")
        assert item.obj["globalDefault"] is False
    for env in out.build.world.envs:
        names = [i.name for i in out.of("PriorityClass") if i.env == env]
        assert sorted(names) == sorted(set(names)) == sorted(out.env(env).settings.priorityClasses)


def test_every_pod_priority_class_exists(out):
    """The Priority admission plugin rejects a pod whose priorityClassName does not exist; the
    Volcano PodGroup's priorityClass and Kueue's fallback read the same class."""
    for pod in out.pods():
        name = pod.spec.get("priorityClassName")
        if name:
            assert name in priority_classes(out, pod.item.env), (pod.item.name, name)
    for item in out.items:
        policy = ((item.obj.get("spec") or {}).get("runPolicy") or {}).get("schedulingPolicy") or {}
        if "priorityClass" in policy:
            assert policy["priorityClass"] in priority_classes(out, item.env)


# --- Kueue: WorkloadPriorityClass, ResourceFlavor, ClusterQueue, LocalQueue ----------------------

def kueue_envs(out: Output) -> list[str]:
    return [e for e in out.build.world.envs if out.env(e).settings.scheduler == "kueue"]


def test_workload_priority_class_rules(out):
    """A job's `kueue.x-k8s.io/priority-class` label names a WorkloadPriorityClass that exists (a
    missing one leaves the job suspended forever); each mirrors the PriorityClass of its name."""
    for item in out.of("WorkloadPriorityClass"):
        assert item.env in kueue_envs(out) and item.folder == f"{item.env}/_platform"
        assert item.obj["value"] == priority_classes(out, item.env)[item.name]
    for item in out.items:
        wanted = item.labels.get("kueue.x-k8s.io/priority-class")
        if wanted:
            assert out.find(item.env, "WorkloadPriorityClass", wanted), (item.name, wanted)


def test_resource_flavor_rules(out):
    """Flavors live in `_platform` only; every ClusterQueue flavor names one (else the ClusterQueue
    is inactive); a GPU flavor carries its pool's node labels, so admitted pods land there."""
    for item in out.of("ResourceFlavor"):
        assert item.folder == f"{item.env}/_platform" and item.env in kueue_envs(out)
        pool_key = (item.obj["metadata"].get("annotations") or {}).get("strata.dev/gpu-pool")
        if pool_key is not None:
            pool = out.env(item.env).settings.gpuPools[pool_key]
            assert item.obj["spec"].get("nodeLabels", {}) == pool.nodeSelector
    for cq in out.of("ClusterQueue"):
        for group in cq.obj["spec"].get("resourceGroups", []):
            for flavor in group["flavors"]:
                assert out.find(cq.env, "ResourceFlavor", flavor["name"]), flavor["name"]
                assert [r["name"] for r in flavor["resources"]] == group["coveredResources"]


def test_kueue_admits_every_job(out):
    """In a Kueue environment every job (embedded ones too) names a LocalQueue of its namespace whose
    ClusterQueue selects that namespace and covers every resource its pods request; it starts
    suspended; and it is a kind Kueue manages (not the training operator's v1 MPIJob)."""
    for item in out.items:
        if item.env not in kueue_envs(out) or item.key not in KUEUE_JOBS | {("kubeflow.org/v1", "MPIJob")}:
            continue
        assert item.key in KUEUE_JOBS, f"{item.name}: Kueue does not manage {item.key}"
        namespace = item.namespace or next(i.namespace for i in out.items if i.name == item.embedded_in)
        (local,) = out.find(item.env, "LocalQueue", item.labels["kueue.x-k8s.io/queue-name"], namespace)
        (cluster,) = out.find(item.env, "ClusterQueue", local.obj["spec"]["clusterQueue"])
        assert cluster.obj["spec"]["namespaceSelector"] == {"matchLabels": {"kubernetes.io/metadata.name": namespace}}
        covered = {r for g in cluster.obj["spec"].get("resourceGroups", []) for r in g["coveredResources"]}
        spec = item.obj["spec"]
        assert spec.get("suspend", (spec.get("runPolicy") or {}).get("suspend")) is True
        for pod in pods_of(item):
            for container in pod.containers:
                assert set((container.get("resources") or {}).get("requests", {})) <= covered, item.name


# --- Volcano Queue ------------------------------------------------------------------------------

def test_volcano_queue_rules(out):
    """A job's schedulingPolicy.queue (the PodGroup's queue) and a batch Job's queue annotation name an
    emitted Queue; pods name no scheduler but Volcano's."""
    queues = {(i.env, i.name) for i in out.of("Queue")}
    for item in out.items:
        policy = ((item.obj.get("spec") or {}).get("runPolicy") or {}).get("schedulingPolicy") or {}
        if "queue" in policy:
            assert (item.env, policy["queue"]) in queues
            assert policy["minAvailable"] <= sum(r["replicas"] for f in KUBEFLOW_REPLICAS
                                                 for r in (item.obj["spec"].get(f) or {}).values())
    for pod in out.pods():
        assert pod.spec.get("schedulerName") in (None, "volcano")
        queue = ((pod.item.obj["spec"].get("template") or {}).get("metadata", {}).get("annotations") or {}).get(
            "scheduling.volcano.sh/queue-name")
        if queue:
            assert (pod.item.env, queue) in queues


# --- ResourceQuota and LimitRange (the ResourceQuota and LimitRanger admission plugins) ----------

def test_quota_and_limit_range_rules(out):
    """A namespace whose quota limits cpu or memory refuses pods without requests for them: it has
    exactly one LimitRange (two would apply defaults in no fixed order) with a default request for
    each, and defaults that are limits are not below the requests."""
    for quota in out.of("ResourceQuota"):
        hard = quota.obj["spec"]["hard"]
        ranges = [i for i in out.of("LimitRange") if (i.env, i.namespace) == (quota.env, quota.namespace)]
        if "requests.cpu" not in hard and "requests.memory" not in hard:
            continue
        (limit_range,) = ranges
        (entry,) = limit_range.obj["spec"]["limits"]
        assert entry["type"] == "Container" and set(entry["defaultRequest"]) == {"cpu", "memory"}
        for resource, amount in (entry.get("default") or {}).items():
            assert parse_quantity(amount) >= parse_quantity(entry["defaultRequest"][resource])
    for item in out.of("LimitRange"):
        assert [q for q in out.of("ResourceQuota") if (q.env, q.namespace) == (item.env, item.namespace)]


def test_containers_strata_sizes_request_at_most_their_limits(out):
    for pod in out.pods():
        for container in pod.containers:
            resources = container.get("resources") or {}
            for name, limit in (resources.get("limits") or {}).items():
                request = (resources.get("requests") or {}).get(name)
                assert request is None or parse_quantity(request) <= parse_quantity(limit), (pod.item.name, name)


# --- Argo Workflows: ServiceAccount, Role, RoleBinding, WorkflowTemplate, CronWorkflow -----------

def plural(api_version: str, kind: str) -> tuple[str, str]:
    return api_version.rpartition("/")[0], kind.lower() + "s"


def grants(out: Output, env: str, namespace: str, account: str) -> dict[tuple[str, str], set[str]]:
    """(group, resource) → verbs the account gets through RoleBindings of its namespace."""
    found: dict[tuple[str, str], set[str]] = defaultdict(set)
    for binding in out.of("RoleBinding"):
        if (binding.env, binding.namespace) != (env, namespace):
            continue
        if {"kind": "ServiceAccount", "name": account, "namespace": namespace} not in binding.obj["subjects"]:
            continue
        (role,) = out.find(env, "Role", binding.obj["roleRef"]["name"], namespace)
        for rule in role.obj["rules"]:
            for group in rule["apiGroups"]:
                for resource in rule["resources"]:
                    found[(group, resource)].update(rule["verbs"])
    return dict(found)


def test_workflows_run_as_an_account_granted_exactly_what_they_do(out):
    """Every workflow names a ServiceAccount of its namespace (else Argo uses `default`); its Role
    grants workflowtaskresults create/patch (the emissary executor's outputs) and create/get on each
    kind its resource templates create (`kubectl create`, then GETs until a condition matches) —
    and nothing else (least privilege)."""
    needs: dict[tuple[str, str, str], dict[tuple[str, str], set[str]]] = defaultdict(
        lambda: {("argoproj.io", "workflowtaskresults"): {"create", "patch"}})
    workflows = out.of("WorkflowTemplate", "CronWorkflow")
    for item in workflows:
        spec = item.obj["spec"]
        account = (spec.get("workflowSpec") or spec).get("serviceAccountName")
        assert account, f"{item.name}: runs as the namespace's default ServiceAccount"
        assert out.find(item.env, "ServiceAccount", account, item.namespace), account
        wanted = needs[(item.env, item.namespace, account)]
        for created in embedded(item.obj):
            wanted[plural(created["apiVersion"], created["kind"])] = {"create", "get"}
    for (env, namespace, account), wanted in needs.items():
        assert grants(out, env, namespace, account) == wanted, (env, namespace, account)
    accounts = {(i.env, i.namespace, i.name) for i in out.of("Role")}
    assert accounts == set(needs), "a workflow Role no workflow uses"


def test_cron_workflows_use_schedules(out):
    """Argo >= 3.6 reads `schedules` (the only form in v4); `schedule` is gone."""
    for item in out.of("CronWorkflow"):
        assert "schedule" not in item.obj["spec"] and item.obj["spec"]["schedules"]


def test_service_account_rules(out):
    """A ServiceAccount strata emits is used by a workflow or a predictor; one listing Secrets lists
    the environment's storage Secrets (where KServe's credential builder looks)."""
    used = {(i.env, i.namespace, (i.obj["spec"].get("workflowSpec") or i.obj["spec"]).get("serviceAccountName"))
            for i in out.of("WorkflowTemplate", "CronWorkflow")}
    used |= {(p.item.env, p.namespace, p.spec.get("serviceAccountName")) for p in out.pods()}
    for item in out.of("ServiceAccount"):
        assert (item.env, item.namespace, item.name) in used
        storage_secrets = {s.secret for s in out.env(item.env).settings.storage.values()}
        assert {s["name"] for s in item.obj.get("secrets", [])} <= storage_secrets


# --- Fluid: Dataset, runtimes, DataLoad, and its pod webhook -------------------------------------

def fluid_claims(out: Output, env: str, namespace: str) -> set[str]:
    return {i.name for i in out.of("Dataset") if (i.env, i.namespace) == (env, namespace)}


def test_fluid_webhook_acts_on_every_pod_mounting_a_cached_dataset(out):
    """Fluid >= 0.9 calls its webhook only for pods labelled fuse.serverful.fluid.io/inject=true (the
    namespace label is not read); a sched label names a mounted Fluid claim, with value `required`."""
    for pod in out.pods():
        mounted = pod.claims & fluid_claims(out, pod.item.env, pod.namespace)
        if mounted:
            assert pod.labels.get(FLUID_INJECT) == "true", pod.item.name
        for key, value in pod.labels.items():
            match = FLUID_SCHED.match(key)
            if key.startswith("fluid.io/dataset."):
                assert match and value == "required" and match.group(1) in mounted, (pod.item.name, key)
                assert pod.labels.get(FLUID_INJECT) == "true"


def test_fluid_runtime_rules(out):
    """A runtime binds the Dataset of its name; every component has requests (a quota'd namespace
    refuses pods without); an Alluxio worker's memory limit holds its memory tiers (else Fluid fails
    the runtime); a DataLoad names its Dataset and has requests."""
    for runtime in out.of("AlluxioRuntime", "JindoRuntime", "JuiceFSRuntime"):
        assert out.find(runtime.env, "Dataset", runtime.name, runtime.namespace)
        spec = runtime.obj["spec"]
        components = {"AlluxioRuntime": ("master", "jobMaster", "worker", "jobWorker", "fuse")}.get(
            runtime.key[1], ("master", "worker", "fuse"))
        for component in components:
            assert set(spec[component]["resources"]["requests"]) == {"cpu", "memory"}, component
        if runtime.key[1] == "AlluxioRuntime":
            in_memory = sum((parse_quantity(level["quota"]) for level in spec.get("tieredstore", {}).get("levels", [])
                             if level["mediumtype"] == "MEM"), Decimal(0))
            assert parse_quantity(spec["worker"]["resources"]["limits"]["memory"]) >= in_memory
    for item in out.of("Dataset"):
        assert len([r for r in out.of("AlluxioRuntime", "JindoRuntime", "JuiceFSRuntime")
                    if (r.env, r.namespace, r.name) == (item.env, item.namespace, item.name)]) == 1
    for load in out.of("DataLoad"):
        target = load.obj["spec"]["dataset"]
        assert out.find(load.env, "Dataset", target["name"], target["namespace"])
        assert set(load.obj["spec"]["resources"]["requests"]) == {"cpu", "memory"}


# --- PersistentVolume and PersistentVolumeClaim ---------------------------------------------------

def test_claims_pods_mount_exist_or_are_prerequisites(out):
    """A pod mounting a claim that does not exist stays Pending: every claim is emitted, made by a
    Fluid Dataset, or listed as a prerequisite; an NFS PV is pre-bound to its claim."""
    for pod in out.pods():
        listed = out.env(pod.item.env).settings.prerequisites.get("PersistentVolumeClaim", [])
        for claim in pod.claims:
            assert (out.find(pod.item.env, "PersistentVolumeClaim", claim, pod.namespace)
                    or claim in fluid_claims(out, pod.item.env, pod.namespace) or claim in listed), claim
    for volume in out.of("PersistentVolume"):
        ref = volume.obj["spec"]["claimRef"]
        (claim,) = out.find(volume.env, "PersistentVolumeClaim", ref["name"], ref["namespace"])
        assert claim.obj["spec"]["volumeName"] == volume.name


# --- Kubeflow training operator and batch Jobs ----------------------------------------------------

def test_training_job_rules(out):
    """The operator finds its container by name in every replica; a batch Job's pods never restart
    in place (backoffLimit counts failed pods)."""
    names = {"PyTorchJob": "pytorch", "TFJob": "tensorflow", "XGBoostJob": "xgboost", "MPIJob": "mpi"}
    for item in out.of(*names):
        for pod in pods_of(item):
            assert names[item.key[1]] in [c["name"] for c in pod.spec["containers"]]
    for item in out.items:
        if item.key == ("batch/v1", "Job"):
            assert item.obj["spec"]["template"]["spec"]["restartPolicy"] == "Never"


# --- Kubeflow Notebook ------------------------------------------------------------------------------

def test_notebook_rules(out):
    """No annotation the notebook controller would fight over or ignore (culling is controller-wide)."""
    for item in out.of("Notebook"):
        annotations = item.obj["metadata"].get("annotations") or {}
        assert not {"strata.dev/idle-timeout-seconds", "notebooks.kubeflow.org/last-activity",
                    "kubeflow-resource-stopped"} & set(annotations)
        assert "metadata" not in item.obj["spec"]["template"]   # labels belong on the Notebook itself


# --- KServe InferenceService -------------------------------------------------------------------------

def test_inference_service_rules(out):
    """KServe admits only storage URIs it can download; an s3:// pull runs as a ServiceAccount listing
    a storage Secret (or a workload identity); the mode is a current name; in Knative mode one TCP
    port named as Knative admits, off the queue-proxy's ports."""
    for item in out.of("InferenceService"):
        mode = item.obj["metadata"]["annotations"]["serving.kserve.io/deploymentMode"]
        assert mode in ("Knative", "Standard")
        predictor = item.obj["spec"]["predictor"]
        model = predictor["model"]
        assert model["storageUri"].startswith(KSERVE_SCHEMES), model["storageUri"]
        storage = out.env(item.env).settings.storage.get("s3")
        if model["storageUri"].startswith("s3://") and storage is not None:
            account = predictor["serviceAccountName"]
            if storage.serviceAccount:
                assert account == storage.serviceAccount
            else:
                (sa,) = out.find(item.env, "ServiceAccount", account, item.namespace)
                assert {"name": storage.secret} in sa.obj["secrets"]
        if mode == "Knative":
            (port,) = model["ports"]
            assert port.get("name", "") in KNATIVE_PORT_NAMES and port.get("protocol", "TCP") == "TCP"
            assert port["containerPort"] not in KNATIVE_RESERVED
        if "canaryTrafficPercent" in predictor:
            assert mode == "Knative" and 0 <= predictor["canaryTrafficPercent"] <= 100


# --- the platform chart: Deployment, Service, PodDisruptionBudget, HPA, HTTPRoute -------------------

def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return selector.items() <= labels.items()


def test_deployment_and_budget_rules(out):
    """Each Deployment's pods are selected by exactly one PodDisruptionBudget (the eviction API refuses
    a pod with two) and by one Service; each Service selects pods that declare its named target
    ports; each HPA scales a Deployment of its target."""
    for deployment in out.of("Deployment"):
        labels = deployment.obj["spec"]["template"]["metadata"]["labels"]
        assert selects(deployment.obj["spec"]["selector"]["matchLabels"], labels)
        budgets = [b for b in out.of("PodDisruptionBudget") if (b.env, b.namespace) == (deployment.env, deployment.namespace)
                   and selects(b.obj["spec"]["selector"]["matchLabels"], labels)]
        assert len(budgets) == 1, deployment.name
        services = [s for s in out.of("Service") if (s.env, s.namespace) == (deployment.env, deployment.namespace)
                    and selects(s.obj["spec"]["selector"], labels)]
        assert len(services) == 1, deployment.name
    for service in out.of("Service"):
        # a Service selecting no pods has no endpoints; a targetPort name no container declares, none either
        pods = [d.obj["spec"]["template"] for d in out.of("Deployment") if (d.env, d.namespace) ==
                (service.env, service.namespace) and selects(service.obj["spec"]["selector"], d.obj["spec"]["template"]
                                                             ["metadata"]["labels"])]
        assert pods, service.name
        for pod in pods:
            declared = {p["name"] for c in pod["spec"]["containers"] for p in c.get("ports", [])}
            assert {p["targetPort"] for p in service.obj["spec"]["ports"] if isinstance(p["targetPort"], str)} <= declared
    for hpa in out.of("HorizontalPodAutoscaler"):
        target = hpa.obj["spec"]["scaleTargetRef"]
        assert out.find(hpa.env, target["kind"], target["name"], hpa.namespace)


def test_model_puller_reaches_its_object_store(out):
    """An s3:// or oss:// model is pulled with the environment's endpoint and credentials by reference
    (a Secret's keys, or a workload-identity ServiceAccount); no credential value is ever written."""
    for deployment in out.of("Deployment"):
        pod = deployment.obj["spec"]["template"]["spec"]
        env = {e["name"]: e for e in pod["initContainers"][0]["env"]}
        scheme = env["MODEL_URI"]["value"].split("://")[0]
        storage = out.env(deployment.env).settings.storage.get(scheme)
        if storage is None:
            continue
        if storage.endpoint:
            assert env["RCLONE_S3_ENDPOINT"]["value"].endswith("://" + storage.endpoint)
        if storage.secret:
            for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
                assert env[key]["valueFrom"]["secretKeyRef"] == {"name": storage.secret, "key": key}
        else:
            assert pod["serviceAccountName"] == storage.serviceAccount
    for item in out.items:
        text = yaml.safe_dump(item.obj)
        assert not re.search(r"name: AWS_SECRET_ACCESS_KEY\n\s*value:", text)


def test_http_route_rules(out):
    """The route attaches to the environment's Gateway; each backendRef is a Service of its namespace
    with that port; with a canary the weights are 100-w and w over disjoint track Services."""
    for route in out.of("HTTPRoute"):
        gateway = out.env(route.env).settings.gateway
        (parent,) = route.obj["spec"]["parentRefs"]
        assert (parent["kind"], parent["name"], parent["namespace"]) == ("Gateway", gateway.name, gateway.namespace)
        (rule,) = route.obj["spec"]["rules"]
        services = []
        for backend in rule["backendRefs"]:
            assert backend.get("kind", "Service") == "Service"
            (service,) = out.find(route.env, "Service", backend["name"], route.namespace)
            assert backend["port"] in [p["port"] for p in service.obj["spec"]["ports"]]
            services.append(service)
        canaries = [d for d in out.of("Deployment") if (d.env, d.namespace, d.name) ==
                    (route.env, route.namespace, f"{route.name}-canary")]
        weights = [b["weight"] for b in rule["backendRefs"]]
        if canaries:
            weight = int(canaries[0].obj["metadata"]["annotations"]["strata.dev/canary-weight"])
            assert weights == [100 - weight, weight]
            tracks = [s.obj["spec"]["selector"]["strata.dev/track"] for s in services]
            assert tracks == ["stable", "canary"]
        else:
            assert weights == [100]


# --- strata's own bookkeeping -----------------------------------------------------------------------

def test_namespace_rules(out):
    """Every namespaced object's namespace is a Namespace the same environment emits."""
    namespaces = {(i.env, i.name) for i in out.of("Namespace")}
    for item in out.items:
        if item.namespace:
            assert (item.env, item.namespace) in namespaces, (item.key, item.name)


def test_nothing_is_emitted_twice(out):
    seen = set()
    for item in out.items:
        if item.embedded_in:
            continue
        key = (item.env, *item.key, item.namespace, item.name)
        assert key not in seen, key
        seen.add(key)


def test_would_it_work_reads_both_repos(out):
    assert Path(out.build.root).is_dir() and out.items
