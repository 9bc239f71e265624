from __future__ import annotations

import copy

import pytest

from compiler.check.crds import CrdSchemas
from compiler.errors import Problems
from compiler.check.objects import KubernetesSchemas, is_builtin, pointer, spec_path, validate_objects
from factories import make_project
from test_policy import located_target

JOB_YAML = """\
    kind: Job
    name: train
    spec:
      image: registry.local/train:1.0
      env:
        - name: A
          value: "1"
        - name: B
          value: "2"
      resources:
        cpu: "4"
        memory: 16Gi
    """

BATCH_JOB = {
    "apiVersion": "batch/v1", "kind": "Job",
    "metadata": {"name": "train", "namespace": "demo", "labels": {"app.kubernetes.io/managed-by": "strata"}},
    "spec": {"backoffLimit": 3, "template": {"spec": {"restartPolicy": "Never", "containers": [{
        "name": "main", "image": "registry.local/train:1.0",
        "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
        "resources": {"requests": {"cpu": "4", "memory": "16Gi"}, "limits": {"cpu": "4", "memory": "16Gi"}},
    }]}}},
}

PYTORCH_JOB = {
    "apiVersion": "kubeflow.org/v1", "kind": "PyTorchJob",
    "metadata": {"name": "train", "namespace": "demo"},
    "spec": {"pytorchReplicaSpecs": {"Master": {"replicas": 1, "restartPolicy": "OnFailure", "template": {
        "spec": {"containers": [{"name": "pytorch", "image": "registry.local/train:1.0"}]}}}}},
}


def check(items, crd_schemas, kubernetes_schemas, crd_dirs=("../shared/crds",)):
    problems = Problems()
    validate_objects(items, crd_schemas, problems, kubernetes_schemas, crd_dirs=crd_dirs)
    return [p.render() for p in problems.items]


@pytest.fixture
def job():
    return located_target("Job", "train", JOB_YAML)


def test_valid_objects_pass(job, crd_schemas, kubernetes_schemas):
    assert check([(job, BATCH_JOB), (job, PYTORCH_JOB)], crd_schemas, kubernetes_schemas) == []


def test_bad_builtin_object_names_env_target_object_pointer_and_spec_line(job, crd_schemas, kubernetes_schemas):
    bad = copy.deepcopy(BATCH_JOB)
    container = bad["spec"]["template"]["spec"]["containers"][0]
    container["env"][1]["valu"] = container["env"][1].pop("value")
    container["resources"]["requests"]["cpu"] = True
    assert check([(job, bad)], crd_schemas, kubernetes_schemas) == [
        "projects/demo/job-train.yaml:8:7: demo/Job/train in dev: Job/train at "
        "/spec/template/spec/containers/0/env/1: Additional properties are not allowed ('valu' was unexpected)",
        "projects/demo/job-train.yaml:11:10: demo/Job/train in dev: Job/train at "
        "/spec/template/spec/containers/0/resources/requests/cpu: True is not valid under any of the given schemas",
    ]


def test_bad_custom_resource(job, crd_schemas, kubernetes_schemas):
    bad = copy.deepcopy(PYTORCH_JOB)
    bad["spec"]["pytorchReplicaSpecs"]["Master"]["replica"] = 2
    bad["spec"]["pytorchReplicaSpecs"]["Master"]["template"]["spec"]["containers"][0]["image"] = 7
    assert check([(job, bad)], crd_schemas, kubernetes_schemas) == [
        "projects/demo/job-train.yaml:1:1: demo/Job/train in dev: PyTorchJob/train at "
        "/spec/pytorchReplicaSpecs/Master: Additional properties are not allowed ('replica' was unexpected)",
        "projects/demo/job-train.yaml:4:10: demo/Job/train in dev: PyTorchJob/train at "
        "/spec/pytorchReplicaSpecs/Master/template/spec/containers/0/image: 7 is not of type 'string'",
    ]


def test_custom_resource_kind_without_crd_is_one_error_per_kind(job, kubernetes_schemas):
    other = CrdSchemas(schemas={"example.com/v1/Other": {"type": "object"}})
    assert check([(job, PYTORCH_JOB), (job, PYTORCH_JOB)], other, kubernetes_schemas) == [
        "strata: no schema for kubeflow.org/v1 PyTorchJob in --crds ../shared/crds (2 objects left unchecked); "
        "add its CustomResourceDefinition there"]


def test_a_crd_folder_without_crds_is_one_error(job, kubernetes_schemas, tmp_path):
    (tmp_path / "notes.yaml").write_text("kind: ConfigMap\n")
    problems = check([(job, PYTORCH_JOB)] * 80, CrdSchemas.load(tmp_path), kubernetes_schemas, crd_dirs=(tmp_path,))
    assert len(problems) == 1
    assert problems[0].startswith(f"strata: --crds {tmp_path}: no CustomResourceDefinition found there")


def test_unknown_builtin_kind_is_an_error(crd_schemas, kubernetes_schemas):
    project = make_project("demo")
    obj = {"apiVersion": "extensions/v1beta1", "kind": "Deployment", "metadata": {"name": "web"}}
    assert check([(project, obj)], crd_schemas, kubernetes_schemas) == [
        "projects/demo/project.yaml:1:1: project demo in dev: Deployment/web at /: "
        f"extensions/v1beta1 Deployment is not a Kubernetes {kubernetes_schemas.version} kind"]


def test_validators_are_built_once_per_kind(kubernetes_schemas):
    schemas = KubernetesSchemas()
    assert schemas.errors(BATCH_JOB) == []
    first = schemas._validators["batch/v1/Job"]
    schemas.errors(BATCH_JOB)
    assert schemas._validators["batch/v1/Job"] is first and len(schemas._validators) == 1


@pytest.mark.parametrize("api_version, builtin", [
    ("v1", True), ("apps/v1", True), ("rbac.authorization.k8s.io/v1", True), ("networking.k8s.io/v1", True),
    ("kueue.x-k8s.io/v1beta2", False), ("kubeflow.org/v1", False), ("scheduling.volcano.sh/v1beta1", False),
])
def test_builtin_groups(api_version, builtin):
    assert is_builtin(api_version) is builtin


def test_pointer_escapes_slashes():
    assert pointer(["spec", "hard", "requests.nvidia.com/gpu"]) == "/spec/hard/requests.nvidia.com~1gpu"


@pytest.mark.parametrize("json_pointer, path", [
    ("/spec/template/spec/containers/0/image", ("image",)),
    ("/spec/tfReplicaSpecs/Worker/template/spec/containers/0/env/3/value", ("env", 3)),
    ("/spec/template/spec/containers/0/resources/limits/memory", ("resources", "memory")),
    ("/spec/template/spec/containers/0/resources/limits/nvidia.com~1gpu", ("resources", "gpu")),
    ("/spec/template/spec/volumes/1", ("datasets",)),
    ("/spec/template/spec/containers/0/volumeMounts/0", ("datasets",)),
    ("/metadata/labels", None),
])
def test_spec_path(json_pointer, path):
    assert spec_path(json_pointer) == path


def test_without_crds_custom_resources_are_unchecked(job, kubernetes_schemas):
    bad = copy.deepcopy(PYTORCH_JOB)
    bad["spec"]["typo"] = 1
    assert check([(job, bad)], None, kubernetes_schemas) == []


def test_owner_unknown_falls_back_to_the_object_labels(crd_schemas, kubernetes_schemas):
    obj = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "asr", "labels": {
        "strata.dev/project": "asr", "strata.dev/environment": "prod"}}, "spec": {"bogus": True}}
    assert check([(None, obj)], crd_schemas, kubernetes_schemas) == [
        "strata: project asr in prod: Namespace/asr at /spec: Additional properties are not allowed "
        "('bogus' was unexpected)"]
