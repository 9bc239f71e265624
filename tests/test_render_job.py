"""Job rendering: replica layouts, schedulers, pods, cron wrapping, and upstream schema validity."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

import kubernetes_validate
import pytest
import yaml

from compiler.provenance import Origin, Value
from compiler.render.job import JobRenderer, job_conditions, job_object, resource_template
from factories import make_ctx, make_env, make_project, make_target

K8S_VERSION = "1.30"
SPEC_LABELS = ("app.kubernetes.io/managed-by", "strata.dev/project", "strata.dev/environment",
               "strata.dev/resource")
BASE = {"image": "registry.example.com/train:1.4.2", "command": ["python", "train.py"],
        "resources": {"cpu": "4", "memory": "16Gi"}}


# --- helpers shared by the renderer tests (imported by test_render_dataset/notebook) -----------

def assert_valid(objects: list[dict[str, Any]], crds: Any) -> None:
    """Built-in kinds against the Kubernetes schema (strict); custom resources against the
    upstream CRDs, failing when a kind has no CRD there; cron manifests recursively."""
    for obj in objects:
        api, kind = obj["apiVersion"], obj["kind"]
        if "." not in api.rpartition("/")[0]:
            try:
                kubernetes_validate.validate(obj, K8S_VERSION, strict=True)
            except kubernetes_validate.ValidationError as error:
                pytest.fail(f"{kind} {obj['metadata'].get('name')}: {str(error).splitlines()[0]}")
        else:
            assert crds.knows(api, kind), f"no upstream CRD schema for {api} {kind}"
            assert crds.errors(obj) == [], f"{kind} {obj['metadata']['name']}"
        assert_valid(embedded_manifests(obj), crds)


def embedded_manifests(obj: dict[str, Any]) -> list[dict[str, Any]]:
    templates = obj.get("spec", {}).get("workflowSpec", {}).get("templates", [])
    return [yaml.safe_load(t["resource"]["manifest"]) for t in templates if "resource" in t]


def assert_labelled(objects: list[dict[str, Any]], namespace: str = "demo") -> None:
    """SPEC §4: every object carries the strata labels and lives in the project namespace."""
    for obj in objects:
        labels = obj["metadata"]["labels"]
        assert all(key in labels for key in SPEC_LABELS), obj["metadata"]
        assert labels["app.kubernetes.io/managed-by"] == "strata"
        if obj["kind"] != "PersistentVolume":
            assert obj["metadata"]["namespace"] == namespace


def tree_of(data: Any, file: str = "projects/demo/job.yaml") -> Value:
    """A provenance tree giving every value its own line (line = visiting order + 1)."""
    counter = iter(range(1, 10_000))

    def build(node: Any) -> Value:
        origin = Origin(file, next(counter), 3, "resource")
        if isinstance(node, dict):
            return Value({k: build(v) for k, v in node.items()}, origin)
        if isinstance(node, list):
            return Value([build(v) for v in node], origin)
        return Value(node, origin)
    return build(data)


def messages(problems: Any) -> list[str]:
    return [p.message for p in problems.items]


# --- builders ---------------------------------------------------------------------------------

def job(spec: dict[str, Any], scheduler: str = "default", queue: str | None = "team-a", name: str = "train",
        pools: dict | None = None, others: tuple = ()) -> tuple[list[dict], Any, Any]:
    settings: dict[str, Any] = {"scheduler": scheduler}
    if pools is not None:
        settings["gpuPools"] = pools
    project = make_project(env=make_env(**settings), **({"queue": {"name": queue}} if queue else {}))
    target = make_target("Job", name, {**BASE, **spec}, project)
    extra = [make_target(kind, n, s, project) for kind, n, s in others]
    ctx = make_ctx(target, *extra)
    return JobRenderer().render(target, ctx), target, ctx


def replica_specs(obj: dict[str, Any]) -> dict[str, Any]:
    return next(v for k, v in obj["spec"].items() if k.endswith("ReplicaSpecs"))


def pods(obj: dict[str, Any]) -> list[dict[str, Any]]:
    if obj["kind"] == "Job":
        return [obj["spec"]["template"]]
    return [r["template"] for r in replica_specs(obj).values()]


# --- replica layouts --------------------------------------------------------------------------

@pytest.mark.parametrize("framework, replicas, kind, field, expected, container", [
    ("pytorch", {"worker": 3}, "PyTorchJob", "pytorchReplicaSpecs", {"Master": 1, "Worker": 3}, "pytorch"),
    ("tensorflow", {"chief": 1, "ps": 2, "worker": 4, "evaluator": 1}, "TFJob", "tfReplicaSpecs",
     {"Chief": 1, "PS": 2, "Worker": 4, "Evaluator": 1}, "tensorflow"),
    ("tensorflow", {"ps": 1, "worker": 2, "chief": 0}, "TFJob", "tfReplicaSpecs", {"PS": 1, "Worker": 2},
     "tensorflow"),
    ("xgboost", {"worker": 2}, "XGBoostJob", "xgbReplicaSpecs", {"Master": 1, "Worker": 2}, "xgboost"),
    ("mpi", {"worker": 4}, "MPIJob", "mpiReplicaSpecs", {"Launcher": 1, "Worker": 4}, "mpi"),
])
def test_replica_layout_per_framework(framework, replicas, kind, field, expected, container, crd_schemas):
    (obj,), _, ctx = job({"framework": framework, "replicas": replicas})
    assert (obj["apiVersion"], obj["kind"]) == ("kubeflow.org/v1", kind)
    specs = obj["spec"][field]
    assert {role: s["replicas"] for role, s in specs.items()} == expected
    assert list(specs) == list(expected)  # the operator's documented role order
    for spec in specs.values():
        assert spec["restartPolicy"] == "OnFailure"
        assert [c["name"] for c in spec["template"]["spec"]["containers"]] == [container]
    assert messages(ctx.problems) == []
    assert_valid([obj], crd_schemas)
    assert_labelled([obj])


def test_framework_none_is_a_batch_job(crd_schemas):
    (obj,), _, _ = job({"framework": "none", "retry": {"backoffLimit": 2}, "activeDeadline": "2h",
                        "ttlAfterFinished": "1h30m"})
    assert (obj["apiVersion"], obj["kind"]) == ("batch/v1", "Job")
    spec = obj["spec"]
    assert (spec["backoffLimit"], spec["activeDeadlineSeconds"], spec["ttlSecondsAfterFinished"]) == (2, 7200, 5400)
    pod = spec["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    assert pod["containers"][0]["name"] == "train"
    assert_valid([obj], crd_schemas)
    assert_labelled([obj])


def test_run_policy_carries_retry_deadline_and_ttl():
    (obj,), _, _ = job({"framework": "pytorch", "retry": {"backoffLimit": 5}, "activeDeadline": 600,
                        "ttlAfterFinished": "12h"})
    assert obj["spec"]["runPolicy"] == {"backoffLimit": 5, "activeDeadlineSeconds": 600,
                                        "ttlSecondsAfterFinished": 43200}


def test_mpi_gets_one_slot_per_gpu():
    (obj,), _, _ = job({"framework": "mpi", "replicas": {"worker": 2},
                        "resources": {"cpu": "8", "memory": "32Gi", "gpu": 4, "gpuType": "a100"}})
    assert obj["spec"]["slotsPerWorker"] == 4


def test_each_role_has_its_own_pod_template():
    (obj,), _, _ = job({"framework": "pytorch", "replicas": {"worker": 2}})
    master, worker = (s["template"] for s in obj["spec"]["pytorchReplicaSpecs"].values())
    assert master == worker and master is not worker
    assert "&id" not in yaml.safe_dump(obj)


# --- scheduling -------------------------------------------------------------------------------

def test_volcano_gang_sets_min_available_to_all_replicas(crd_schemas):
    (obj,), _, _ = job({"framework": "tensorflow", "replicas": {"ps": 2, "worker": 4},
                        "scheduling": {"gang": True, "priority": "high"}}, scheduler="volcano")
    assert obj["spec"]["runPolicy"]["schedulingPolicy"] == {"minAvailable": 7, "queue": "team-a",
                                                           "priorityClass": "high"}
    for pod in pods(obj):
        assert pod["spec"]["schedulerName"] == "volcano"
        assert pod["spec"]["priorityClassName"] == "high"
    assert "suspend" not in obj["spec"]["runPolicy"]
    assert_valid([obj], crd_schemas)


def test_volcano_without_gang_lets_pods_start_one_by_one():
    (obj,), _, _ = job({"framework": "pytorch", "replicas": {"worker": 3}, "scheduling": {"queue": "burst"}},
                       scheduler="volcano")
    assert obj["spec"]["runPolicy"]["schedulingPolicy"] == {"minAvailable": 1, "queue": "burst"}


def test_volcano_batch_job_names_its_queue_on_the_pods(crd_schemas):
    (obj,), _, _ = job({"framework": "none", "scheduling": {"priority": "low"}}, scheduler="volcano")
    template = obj["spec"]["template"]
    assert template["metadata"]["annotations"] == {"scheduling.volcano.sh/queue-name": "team-a"}
    assert template["spec"]["schedulerName"] == "volcano"
    assert template["spec"]["priorityClassName"] == "low"
    assert_valid([obj], crd_schemas)


def test_kueue_labels_and_suspended_start(crd_schemas):
    (obj,), _, ctx = job({"framework": "pytorch", "replicas": {"worker": 2},
                          "scheduling": {"priority": "high", "gang": True}}, scheduler="kueue")
    labels = obj["metadata"]["labels"]
    assert labels["kueue.x-k8s.io/queue-name"] == "team-a"
    assert labels["kueue.x-k8s.io/priority-class"] == "high"
    assert obj["spec"]["runPolicy"]["suspend"] is True
    assert "schedulingPolicy" not in obj["spec"]["runPolicy"]
    for pod in pods(obj):   # Kueue leaves pod priority to the PriorityClass the pods name
        assert pod["spec"]["priorityClassName"] == "high" and "schedulerName" not in pod["spec"]
    assert messages(ctx.problems) == [] and messages(ctx.warnings) == []
    assert_valid([obj], crd_schemas)


def test_kueue_scheduling_queue_overrides_project_queue_and_batch_job_is_suspended(crd_schemas):
    (obj,), _, _ = job({"framework": "none", "scheduling": {"queue": "urgent"}}, scheduler="kueue")
    assert obj["metadata"]["labels"]["kueue.x-k8s.io/queue-name"] == "urgent"
    assert "kueue.x-k8s.io/priority-class" not in obj["metadata"]["labels"]
    assert obj["spec"]["suspend"] is True
    assert_valid([obj], crd_schemas)


def test_kueue_without_any_queue_is_an_error_at_the_scheduling_field():
    project = make_project(env=make_env(scheduler="kueue"))
    spec = {**BASE, "framework": "pytorch", "scheduling": {"gang": False}}
    target = make_target("Job", "train", spec, project)
    target = replace(target, tree=tree_of(target.values))
    ctx = make_ctx(target)
    JobRenderer().render(target, ctx)
    (problem,) = ctx.problems.items
    assert "scheduler kueue needs a queue" in problem.message
    assert problem.origin == target.tree.data["scheduling"].origin


def test_default_scheduler_uses_priority_class_and_warns_about_gang(crd_schemas):
    (obj,), _, ctx = job({"framework": "xgboost", "scheduling": {"priority": "high", "gang": True}})
    for pod in pods(obj):
        assert pod["spec"]["priorityClassName"] == "high"
        assert "schedulerName" not in pod["spec"]
    assert set(obj["spec"]["runPolicy"]) == {"backoffLimit"}
    assert not any(k.startswith("kueue") for k in obj["metadata"]["labels"])
    assert any("gang scheduling has no effect" in m for m in messages(ctx.warnings))
    assert_valid([obj], crd_schemas)


# --- pods: resources, GPUs, shm, env, datasets ------------------------------------------------

def test_gpu_type_becomes_resource_name_node_selector_and_tolerations(crd_schemas):
    pools = {"mi300": {"resourceName": "amd.com/gpu", "nodeSelector": {"pool": "mi300", "zone": "b"},
                       "tolerations": [{"key": "amd.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]}}
    (obj,), _, _ = job({"framework": "pytorch", "resources": {"cpu": "8", "memory": "64Gi", "gpu": 2,
                                                               "gpuType": "mi300"}}, pools=pools)
    pod = pods(obj)[0]["spec"]
    resources = pod["containers"][0]["resources"]
    expected = {"cpu": "8", "memory": "64Gi", "amd.com/gpu": "2"}
    assert resources == {"requests": expected, "limits": expected}
    assert pod["nodeSelector"] == {"pool": "mi300", "zone": "b"}
    assert pod["tolerations"] == [{"key": "amd.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    assert_valid([obj], crd_schemas)


def test_shm_is_a_memory_backed_volume_at_dev_shm():
    (obj,), _, _ = job({"framework": "pytorch", "resources": {"cpu": "4", "memory": "16Gi", "shm": "8Gi"}})
    pod = pods(obj)[0]["spec"]
    assert {"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": "8Gi"}} in pod["volumes"]
    assert {"name": "dshm", "mountPath": "/dev/shm"} in pod["containers"][0]["volumeMounts"]


def test_env_values_and_secret_references(crd_schemas):
    env = [{"name": "NCCL_DEBUG", "value": "INFO"}, {"name": "EPOCHS", "value": 10},
           {"name": "WANDB_API_KEY", "secretRef": {"name": "wandb", "key": "api-key"}}]
    (obj,), _, _ = job({"framework": "none", "env": env})
    assert obj["spec"]["template"]["spec"]["containers"][0]["env"] == [
        {"name": "NCCL_DEBUG", "value": "INFO"},
        {"name": "EPOCHS", "value": "10"},
        {"name": "WANDB_API_KEY", "valueFrom": {"secretKeyRef": {"name": "wandb", "key": "api-key"}}},
    ]
    assert_valid([obj], crd_schemas)


def test_dataset_mounts_fluid_claim_with_required_placement_and_pvc_subpath(crd_schemas):
    imagenet = ("Dataset", "imagenet", {"sources": [{"name": "train", "uri": "oss://bucket/imagenet"}],
                                        "cache": {"engine": "alluxio"}, "placement": "required"})
    shared = ("Dataset", "shared", {"sources": [{"name": "nas", "uri": "pvc://team-nas/corpora/v2"}]})
    mounts = [{"name": "imagenet", "mountPath": "/data/imagenet"},
              {"name": "shared", "mountPath": "/data/shared", "readOnly": False}]
    (obj,), _, _ = job({"framework": "pytorch", "replicas": {"worker": 2}, "datasets": mounts},
                       others=(imagenet, shared))
    for template in pods(obj):
        assert template["metadata"]["labels"]["fluid.io/dataset.imagenet.sched"] == "required"
        volumes = template["spec"]["volumes"]
        assert volumes == [
            {"name": "data-imagenet", "persistentVolumeClaim": {"claimName": "imagenet", "readOnly": True}},
            {"name": "data-shared", "persistentVolumeClaim": {"claimName": "team-nas", "readOnly": False}},
        ]
        assert template["spec"]["containers"][0]["volumeMounts"] == [
            {"name": "data-imagenet", "mountPath": "/data/imagenet", "readOnly": True},
            {"name": "data-shared", "mountPath": "/data/shared", "readOnly": False, "subPath": "corpora/v2"},
        ]
    assert_valid([obj], crd_schemas)


# --- completion conditions --------------------------------------------------------------------

def test_conditions_follow_the_decisive_role():
    _, pytorch, _ = job({"framework": "pytorch", "replicas": {"worker": 3}})
    success, failure = job_conditions(pytorch)
    assert success == "status.replicaStatuses.Master.succeeded == 1"
    requirements = failure.split(", ")
    assert requirements[:2] == ["status.replicaStatuses.Master.failed > 0",
                                "status.replicaStatuses.Worker.failed > 0"]
    assert "status.conditions.2.type == Failed" in requirements


def test_tensorflow_without_chief_succeeds_on_all_workers():
    _, tf, _ = job({"framework": "tensorflow", "replicas": {"chief": 0, "ps": 2, "worker": 3}})
    success, failure = job_conditions(tf)
    assert success == "status.replicaStatuses.Worker.succeeded == 3"
    assert "status.replicaStatuses.PS.failed > 0" in failure


def test_batch_job_conditions_use_succeeded_and_failed_counts():
    _, batch, _ = job({"framework": "none", "retry": {"backoffLimit": 2}})
    success, failure = job_conditions(batch)
    assert success == "status.succeeded > 0"
    assert failure.startswith("status.failed > 2, status.conditions.0.type == Failed")


def test_conditions_are_valid_label_selector_requirements():
    """Argo parses the conditions as label selectors: keys must be qualified names (<= 63 chars)."""
    _, tf, _ = job({"framework": "tensorflow", "replicas": {"chief": 1, "evaluator": 1, "worker": 2}})
    for condition in job_conditions(tf):
        for requirement in condition.split(", "):
            key, operator, value = requirement.split(" ")
            assert len(key) <= 63 and key.replace(".", "").isalnum()
            assert operator in ("==", ">") and value.isalnum()


# --- cron wrapping ----------------------------------------------------------------------------

SCHEDULE = {"cron": "0 2 * * *", "timezone": "Asia/Shanghai", "concurrency": "Forbid",
            "startingDeadlineSeconds": 3600, "historyLimit": {"successful": 5, "failed": 2}}


def test_schedule_wraps_the_job_in_a_cron_workflow(crd_schemas):
    spec = {"framework": "pytorch", "replicas": {"worker": 3}, "schedule": SCHEDULE}
    (cron,), target, ctx = job(spec, scheduler="volcano")
    assert (cron["apiVersion"], cron["kind"]) == ("argoproj.io/v1alpha1", "CronWorkflow")
    cron_spec = cron["spec"]
    assert cron_spec["schedules"] == ["0 2 * * *"]
    assert cron_spec["timezone"] == "Asia/Shanghai"
    assert (cron_spec["concurrencyPolicy"], cron_spec["startingDeadlineSeconds"]) == ("Forbid", 3600)
    assert (cron_spec["successfulJobsHistoryLimit"], cron_spec["failedJobsHistoryLimit"]) == (5, 2)
    (template,) = cron_spec["workflowSpec"]["templates"]
    assert cron_spec["workflowSpec"]["entrypoint"] == template["name"]
    resource = template["resource"]
    assert resource["action"] == "create" and resource["setOwnerReference"] is True
    assert (resource["successCondition"], resource["failureCondition"]) == job_conditions(target)
    manifest = yaml.safe_load(resource["manifest"])
    bare = job_object(target, ctx)
    assert manifest["metadata"]["generateName"] == "train-" and "name" not in manifest["metadata"]
    assert manifest["spec"] == bare["spec"] and manifest["kind"] == "PyTorchJob"
    assert messages(ctx.problems) == [] and messages(ctx.warnings) == []
    assert_valid([cron], crd_schemas)
    assert_labelled([cron, manifest])


def test_dst_timezone_warns_at_the_timezone_field():
    project = make_project()
    spec = {**BASE, "schedule": {"cron": "30 2 * * *", "timezone": "Europe/Berlin"}}
    target = make_target("Job", "nightly", spec, project)
    target = replace(target, tree=tree_of(target.values))
    ctx = make_ctx(target)
    JobRenderer().render(target, ctx)
    (warning,) = ctx.warnings.items
    assert "observes daylight saving time" in warning.message
    assert warning.origin == target.tree.data["schedule"].data["timezone"].origin


def test_unknown_timezone_and_bad_cron_are_errors():
    (_,), _, ctx = job({"schedule": {"cron": ["0 2 * *", "@daily"], "timezone": "Mars/Olympus"}})
    found = messages(ctx.problems)
    assert any("cron '0 2 * *': needs five fields" in m for m in found)
    assert any("unknown timezone 'Mars/Olympus'" in m for m in found)
    assert len(found) == 2


def test_resource_template_is_reusable_by_pipelines():
    _, target, ctx = job({"framework": "xgboost", "replicas": {"worker": 2}})
    template = resource_template(target, ctx, "step-train")
    assert template["name"] == "step-train"
    assert yaml.safe_load(template["resource"]["manifest"])["kind"] == "XGBoostJob"


# --- determinism ------------------------------------------------------------------------------

def test_rendering_is_deterministic():
    spec = {"framework": "tensorflow", "replicas": {"chief": 1, "ps": 1, "worker": 2}, "schedule": SCHEDULE,
            "env": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}],
            "resources": {"cpu": "2", "memory": "4Gi", "gpu": 1, "gpuType": "a100", "shm": "1Gi"}}
    first = yaml.safe_dump_all(job(spec, scheduler="volcano")[0], sort_keys=False)
    second = yaml.safe_dump_all(job(spec, scheduler="volcano")[0], sort_keys=False)
    assert first == second
