"""Issue 11's findings, one section each: what strata now refuses, reports or emits, on the example
repository and on the second config repo (tests/cluster_repo.py).

The rules the objects must satisfy on a cluster are checked, kind by kind, on both repos in
tests/test_would_it_work.py; this module covers the rest of each finding: errors at the
right lines, configuration, plan, validate and the docs.
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from cluster_repo import CLUSTER_REPO, write_cluster_repo
from compiler.names import derived_label
from compiler.pipeline import compile_repo
from conftest import ROOT, require_crds
from repo_fixture import run
from test_plan_support import commit, init_repo

KQ = "environments/kq.yaml"
VISION = "projects/vision/project.yaml"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """The second repo, compiled once (tests that change it write their own copy)."""
    root = write_cluster_repo(tmp_path_factory.mktemp("cluster"))
    return compile_repo(root)


@pytest.fixture(scope="module")
def example():
    return compile_repo(ROOT)


def objects(build, env: str | None = None, kind: str | None = None, folder: str | None = None) -> list[dict]:
    return [e.obj for e in build.emitted if (env is None or e.env == env) and (kind is None or e.obj["kind"] == kind)
            and (folder is None or e.folder == folder)]


def named(build, env: str, kind: str, name: str, namespace: str | None = None) -> dict:
    (found,) = [o for o in objects(build, env, kind) if o["metadata"]["name"] == name
                and namespace in (None, o["metadata"].get("namespace"))]
    return found


def errors(root: Path, *args: str) -> list[str]:
    result = run(root, "compile", *args)
    assert result.exit_code == 1, result.output
    return [line for line in result.output.splitlines() if re.match(r"^\S+:\d+:\d+: ", line)]


# --- 1. ResourceFlavor names derived from gpuPools keys --------------------------------------------

def test_derived_labels():
    assert [derived_label(k) for k in ("A100", "H100_80GB", "a100.80gb", "--x--", "__")] == [
        "a100", "h100-80gb", "a100-80gb", "x", ""]


def test_upper_case_pools_become_valid_flavor_names_everywhere_kueue_reads_them(cluster, example):
    flavors = {f["metadata"]["name"]: f for f in objects(cluster, "kq", "ResourceFlavor")}
    assert sorted(flavors) == ["a100", "default-flavor", "h100-80gb"]
    assert flavors["h100-80gb"]["metadata"]["annotations"] == {"strata.dev/gpu-pool": "H100_80GB"}
    (queue,) = objects(cluster, "kq", "ClusterQueue")
    gpu_group = queue["spec"]["resourceGroups"][1]
    assert [f["name"] for f in gpu_group["flavors"]] == ["a100", "h100-80gb"]
    # the job still asks for its pool by the key as written: node selector and resource are the pool's
    train = named(cluster, "kq", "PyTorchJob", "train")
    pod = train["spec"]["pytorchReplicaSpecs"]["Master"]["template"]["spec"]
    assert pod["nodeSelector"] == {"gpu.example.com/model": "H100-80GB"}
    assert [f["metadata"]["name"] for f in objects(example, "staging", "ResourceFlavor")] == ["default-flavor", "a10"]


def test_two_pools_giving_one_flavor_name_are_an_error_at_both_lines(tmp_path):
    root = write_cluster_repo(tmp_path, {KQ: CLUSTER_REPO[KQ].replace(
        "        storage:", "          h100.80gb: {nodeSelector: {gpu.example.com/model: H100}}\n        storage:")})
    found = errors(root)
    text = (root / KQ).read_text().splitlines()
    first = next(i for i, line in enumerate(text, 1) if line.strip().startswith("H100_80GB:"))
    second = next(i for i, line in enumerate(text, 1) if line.strip().startswith("h100.80gb:"))
    assert len(found) == 2
    assert found[0].startswith(f"{KQ}:{first}:3: ") and "'h100-80gb'" in found[0]
    assert found[1].startswith(f"{KQ}:{second}:3: ") and f"{KQ}:{first}:3" in found[1]


def test_a_pool_key_taking_the_cpu_flavor_name_or_none_is_an_error(tmp_path):
    root = write_cluster_repo(tmp_path, {KQ: CLUSTER_REPO[KQ].replace(
        "        storage:", "          Default_Flavor: {}\n          '__': {}\n        storage:")})
    found = errors(root)
    assert any("'default-flavor' is the one strata uses for cpu and memory" in e for e in found)
    assert any("gpuPools.__: " in e and "has no letter or digit" in e for e in found)


# --- 2. shared objects in the environment's platform target ----------------------------------------

def test_shared_objects_are_in_the_platform_target_with_their_own_manifest_entry(cluster, tmp_path):
    shared = ("ResourceFlavor", "PriorityClass", "WorkloadPriorityClass")
    for emitted in cluster.emitted:
        assert (emitted.obj["kind"] in shared) == (emitted.folder == f"{emitted.env}/_platform")
        if emitted.obj["kind"] in shared:
            assert emitted.project == "_platform" and emitted.resource == "platform"
    root = write_cluster_repo(tmp_path)
    assert run(root, "compile").exit_code == 0
    manifest = json.loads((root / "out/manifest.json").read_text())
    entries = {e["env"]: e for e in manifest["platforms"]}
    assert sorted(entries) == ["kq", "vc"]
    assert set(entries["kq"]["inputs"]) == {KQ, "environments/groups/gpu.yaml"}
    assert list(entries["kq"]["outputs"]) == ["kq/_platform/manifests.yaml"]
    assert len(entries["kq"]["digest"]) == 64 and entries["kq"]["digest"] != entries["vc"]["digest"]
    on_disk = list(yaml.safe_load_all((root / "out/kq/_platform/manifests.yaml").read_text()))
    assert [o["kind"] for o in on_disk] == ["PriorityClass"] * 2 + ["WorkloadPriorityClass"] * 2 + ["ResourceFlavor"] * 3
    assert all("strata.dev/project" not in o["metadata"]["labels"] for o in on_disk)


def test_the_platform_digest_follows_the_environment_files_only(tmp_path):
    root = write_cluster_repo(tmp_path)
    before = compile_repo(root).digests
    (root / "projects/vision/training/train.yaml").write_text(
        (root / "projects/vision/training/train.yaml").read_text().replace("train:2.0", "train:2.1"))
    after = compile_repo(root).digests
    platform = [k for k in before if k[1] == "_platform"]
    assert platform and all(before[k] == after[k] for k in platform)
    (root / KQ).write_text((root / KQ).read_text() + "vars: {x: y}\n")
    changed = compile_repo(root).digests
    assert changed[("kq", "_platform", "platform")] != before[("kq", "_platform", "platform")]
    assert changed[("vc", "_platform", "platform")] == before[("vc", "_platform", "platform")]


SPEECH = {
    "projects/speech/project.yaml": """
        kind: Project
        name: speech
        owner: team-speech
        environments: [gpu]
        queue: {name: speech}
        quota:
          default: {cpu: "32", memory: 256Gi, gpu: {A100: 4}}
        """,
    "projects/speech/train.yaml": """
        kind: Job
        name: asr
        spec:
          image: reg/asr:1.0
          resources: {cpu: "4", memory: 16Gi, gpu: 1, gpuType: A100}
        """,
}


@pytest.mark.parametrize("change", ["add", "remove"])
def test_plan_of_adding_or_removing_a_project_changes_no_shared_object(tmp_path, change):
    """Flavors used to live in the first Kueue project's project.yaml: a plan that loads only the
    touched project then showed them added or destroyed."""
    from compiler.plan import plan

    repo = init_repo(tmp_path / "config")
    write_cluster_repo(repo, SPEECH if change == "remove" else None)
    (repo / ".gitignore").write_text("out/\n")
    commit(repo, "base")
    if change == "add":
        write_cluster_repo(repo, SPEECH)
    else:
        shutil.rmtree(repo / "projects/speech")
    result = plan(repo, "main")
    kinds = {(e.key.kind, e.change) for e in result.entries}
    assert kinds and {e.project for e in result.entries} == {"speech"}
    assert not {k for k, _ in kinds} & {"ResourceFlavor", "PriorityClass", "WorkloadPriorityClass"}


# --- 3. priority classes -------------------------------------------------------------------------------

def test_declared_priorities_become_classes_and_pods_keep_their_class(cluster, example):
    assert {p["metadata"]["name"]: p["value"] for p in objects(cluster, "kq", "PriorityClass")} == {
        "batch-low": 100, "train-high": 100000}
    assert {w["metadata"]["name"] for w in objects(cluster, "kq", "WorkloadPriorityClass")} == {"batch-low", "train-high"}
    assert objects(cluster, "vc", "WorkloadPriorityClass") == []          # Volcano: no Kueue class
    train = named(cluster, "kq", "PyTorchJob", "train")
    assert train["metadata"]["labels"]["kueue.x-k8s.io/priority-class"] == "train-high"
    for replica in train["spec"]["pytorchReplicaSpecs"].values():
        assert replica["template"]["spec"]["priorityClassName"] == "train-high"
    vit = named(example, "staging", "PyTorchJob", "train-vit-ddp")
    assert vit["spec"]["pytorchReplicaSpecs"]["Master"]["template"]["spec"]["priorityClassName"] == "ml-training-high"


def test_an_undeclared_priority_is_an_error_at_its_line(tmp_path):
    path = "projects/vision/training/train.yaml"
    root = write_cluster_repo(tmp_path, {path: CLUSTER_REPO[path].replace("priority: train-high", "priority: train-hi")})
    (found,) = errors(root)
    line = next(i for i, text in enumerate((root / path).read_text().splitlines(), 1) if "train-hi" in text)
    assert found.startswith(f"{path}:{line}:")
    assert "'train-hi' is not one of this environment's priorityClasses (batch-low, train-high)" in found
    assert "did you mean 'train-high'?" in found


@pytest.mark.parametrize("entry, at, message", [
    ("system-x: 1", "system-x", "priorityClasses.system-x: priority class names starting with `system-` are reserved"),
    ("Batch-Low: 1", "Batch-Low", "priorityClasses.Batch-Low: a priority class name must be a DNS-1123 label"),
    ("huge: 2000000000", "huge", "priorityClasses.huge: 2000000000 is above 1000000000"),
    ("huger: 3000000000", "3000000000", "priorityClasses.huger: 3000000000 is out of range: Kubernetes stores "
                                        "this field as an int32"),       # the schema's Int32, at the value
])
def test_priority_class_names_and_values_follow_kubernetes(tmp_path, entry, at, message):
    group = "environments/groups/gpu.yaml"
    root = write_cluster_repo(tmp_path, {group: CLUSTER_REPO[group].replace("batch-low: 100}", f"batch-low: 100, {entry}}}")})
    (found,) = errors(root)
    line = next(i for i, text in enumerate((root / group).read_text().splitlines(), 1) if "priorityClasses" in text)
    column = (root / group).read_text().splitlines()[line - 1].index(at) + 1
    assert found.startswith(f"{group}:{line}:{column}: {message}"), found


def test_mpi_under_kueue_is_an_error_at_the_framework(tmp_path):
    path = "projects/vision/training/mpi.yaml"
    root = write_cluster_repo(tmp_path, {path: """
        kind: Job
        name: mpi
        spec:
          framework: mpi
          image: reg/mpi:1.0
          resources: {cpu: "2", memory: 4Gi}
        """})
    (found,) = errors(root)
    assert found.startswith(f"{path}:4:14: vision/Job/mpi in kq:")
    assert "Kueue manages the MPI Operator's kubeflow.org/v2beta1 MPIJob" in found


# --- 4. Fluid ----------------------------------------------------------------------------------------

def test_every_consumer_of_a_cached_dataset_carries_the_webhook_label(cluster):
    inject = "fuse.serverful.fluid.io/inject"
    notebook = named(cluster, "kq", "Notebook", "lab")
    assert notebook["metadata"]["labels"][inject] == "true"            # the controller copies these to the pod
    assert notebook["metadata"]["labels"]["fluid.io/dataset.images.sched"] == "required"
    isvc = named(cluster, "kq", "InferenceService", "search")
    assert isvc["spec"]["predictor"]["labels"][inject] == "true"
    template = named(cluster, "kq", "WorkflowTemplate", "retrain")
    prepare = next(t for t in template["spec"]["templates"] if t["name"] == "step-prepare")
    assert prepare["metadata"]["labels"][inject] == "true"
    rerank = named(cluster, "kq", "XGBoostJob", "rerank")      # jindo, placement preferred: no sched label
    assert rerank["spec"]["xgbReplicaSpecs"]["Master"]["template"]["metadata"]["labels"][inject] == "true"
    assert not any(k.endswith(".sched") for k in rerank["spec"]["xgbReplicaSpecs"]["Master"]["template"]["metadata"]["labels"])
    # the namespace label Fluid < 0.9 read is not emitted: it does nothing in v1.0
    assert all("fluid.io/enable-injection" not in n["metadata"]["labels"] for n in objects(cluster, kind="Namespace"))


def test_cache_pods_are_sized_from_the_dataset_spec(cluster):
    runtime = named(cluster, "kq", "AlluxioRuntime", "images")
    assert runtime["spec"]["worker"]["resources"]["limits"] == {"cpu": "2", "memory": "7Gi"}   # 3Gi + 4Gi MEM tier
    assert runtime["spec"]["master"]["resources"]["requests"] == {"cpu": "500m", "memory": "2Gi"}
    load = named(cluster, "kq", "DataLoad", "images-warmup")
    assert load["spec"]["resources"]["requests"] == {"cpu": "500m", "memory": "1Gi"}


# --- 5. workflow RBAC --------------------------------------------------------------------------------

def test_the_workflow_role_is_read_back_as_least_privilege(cluster, example):
    role = named(cluster, "kq", "Role", "pipeline-runner")
    assert role["rules"] == [
        {"apiGroups": ["argoproj.io"], "resources": ["workflowtaskresults"], "verbs": ["create", "patch"]},
        {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["create", "get"]},             # nightly's schedule
        {"apiGroups": ["kubeflow.org"], "resources": ["pytorchjobs", "xgboostjobs"], "verbs": ["create", "get"]}]
    cv = named(example, "prod-sh", "Role", "pipeline-runner", "cv-shoe-identify")
    assert cv["rules"][1] == {"apiGroups": ["kubeflow.org"], "resources": ["pytorchjobs"], "verbs": ["create", "get"]}
    for verbs in (rule["verbs"] for o in objects(cluster, kind="Role") for rule in o["rules"]):
        assert not {"delete", "patch", "update", "*"} & set(verbs) or verbs == ["create", "patch"]


def test_the_workflow_account_name_is_configurable(cluster, tmp_path):
    vc = [o["metadata"]["name"] for o in objects(cluster, "vc", "ServiceAccount")]
    assert "workflows" in vc and "pipeline-runner" not in vc          # environment vc: workflowServiceAccount
    cron = named(cluster, "vc", "CronWorkflow", "nightly")
    assert cron["spec"]["workflowSpec"]["serviceAccountName"] == "workflows"
    path = "projects/vision/pipelines/retrain.yaml"
    own_account = CLUSTER_REPO[path].replace("        spec:\n", "        spec:\n          serviceAccount: trainer\n", 1)
    root = write_cluster_repo(tmp_path, {path: own_account})
    build = compile_repo(root)
    rules = {o["metadata"]["name"]: o["rules"] for o in objects(build, "kq", "Role")}
    assert [r["resources"] for r in rules["trainer"]] == [["workflowtaskresults"], ["pytorchjobs", "xgboostjobs"]]
    assert [r["resources"] for r in rules["pipeline-runner"]] == [["workflowtaskresults"], ["jobs"]]


# --- 6. LimitRange -------------------------------------------------------------------------------------

def test_limit_range_defaults_merge_project_over_environment(cluster, example):
    (limits,) = objects(cluster, "kq", "LimitRange")
    assert limits["spec"]["limits"] == [{"type": "Container", "defaultRequest": {"cpu": "100m", "memory": "64Mi"},
                                         "default": {"cpu": "2", "memory": "2Gi"}}]
    prod = named(example, "prod-sh", "LimitRange", "project-defaults", "cv-shoe-identify")
    assert prod["spec"]["limits"][0]["default"] == {"cpu": "1", "memory": "1Gi"}


def test_a_default_limit_below_the_default_request_is_an_error_where_it_is_set(tmp_path):
    root = write_cluster_repo(tmp_path, {VISION: CLUSTER_REPO[VISION].replace(
        "defaultRequest: {cpu: 100m}", "defaultRequest: {cpu: \"4\"}")})
    (found,) = errors(root)
    assert found.startswith("environments/groups/gpu.yaml:")
    assert "limits.default.cpu (2) is below limits.defaultRequest.cpu (4)" in found


# --- 7, 8. object storage: KServe and the chart's puller ----------------------------------------------

def test_kserve_pulls_through_the_s3_api_with_the_environments_credentials(cluster, example):
    isvc = named(example, "prod-bj", "InferenceService", "shoe-search")
    assert isvc["spec"]["predictor"]["model"]["storageUri"] == "s3://ml-models-prod/cv/shoe-embedder/3/"
    account = named(example, "prod-bj", "ServiceAccount", "shoe-search-models")
    assert account["secrets"] == [{"name": "oss-model-reader"}]
    assert isvc["metadata"]["annotations"]["serving.kserve.io/deploymentMode"] == "Knative"
    search = named(cluster, "vc", "InferenceService", "search")       # s3 with workload identity
    assert search["spec"]["predictor"]["serviceAccountName"] == "model-puller"
    assert search["spec"]["predictor"]["model"]["ports"] == [{"name": "h2c", "containerPort": 8001, "protocol": "TCP"}]


def test_the_chart_puller_gets_endpoint_and_keys_by_reference(cluster):
    ranker = named(cluster, "kq", "Deployment", "ranker")
    env = {e["name"]: e for e in ranker["spec"]["template"]["spec"]["initContainers"][0]["env"]}
    assert env["RCLONE_S3_ENDPOINT"]["value"] == "http://minio.storage.svc:9000"
    assert env["RCLONE_S3_PROVIDER"]["value"] == "Other"
    assert env["AWS_ACCESS_KEY_ID"]["valueFrom"]["secretKeyRef"] == {"name": "s3-models", "key": "AWS_ACCESS_KEY_ID"}
    canary = named(cluster, "kq", "Deployment", "ranker-canary")    # its model is on oss://
    env = {e["name"]: e for e in canary["spec"]["template"]["spec"]["initContainers"][0]["env"]}
    assert env["RCLONE_S3_PROVIDER"]["value"] == "Alibaba"
    assert env["AWS_SECRET_ACCESS_KEY"]["valueFrom"]["secretKeyRef"]["name"] == "oss-models"


def test_kserve_values_yaml_does_not_claim_a_chart(tmp_path):
    root = write_cluster_repo(tmp_path)
    assert run(root, "compile").exit_code == 0
    values = yaml.safe_load((root / "out/kq/vision/service-search/values.yaml").read_text())
    assert "chart" not in values and values["runtime"] == "kserve"
    chart_values = yaml.safe_load((root / "out/kq/vision/service-ranker/values.yaml").read_text())
    assert "modelStorage" in chart_values and "runtime" not in chart_values
    example = yaml.safe_load((ROOT / "tests/golden/example/staging/cv-shoe-identify/service-shoe-search/values.yaml")
                             .read_text())
    assert "chart" not in example


# --- 9. canary traffic -----------------------------------------------------------------------------------

def test_canary_traffic_is_split_by_route_weight(cluster, example):
    for build, env, name, weight in ((cluster, "kq", "ranker", 20), (example, "staging", "ranking-online", 10)):
        route = named(build, env, "HTTPRoute", name)
        assert [(b["name"], b["weight"]) for b in route["spec"]["rules"][0]["backendRefs"]] == [
            (name, 100 - weight), (f"{name}-canary", weight)]
        assert named(build, env, "PodDisruptionBudget", f"{name}-canary")
    vc = named(cluster, "vc", "HTTPRoute", "ranker")
    assert vc["spec"]["parentRefs"][0]["sectionName"] == "https"
    assert vc["spec"]["hostnames"] == ["ranker.vision.vc.example.com"]


def test_a_canary_weight_without_a_gateway_is_an_error(tmp_path):
    root = write_cluster_repo(tmp_path, {KQ: CLUSTER_REPO[KQ].replace(
        "        gateway: {name: public, namespace: edge, domain: kq.example.com}\n", "")})
    (found,) = errors(root)
    assert found.startswith("projects/vision/serving/ranker.yaml:") and "environment kq names no `gateway:`" in found


# --- 10. prerequisites: docs and validate ------------------------------------------------------------------

def test_cluster_requirements_doc_exists_is_linked_and_names_what_must_preexist():
    doc = (ROOT / "docs/cluster-requirements.md").read_text()
    assert "docs/cluster-requirements.md" in (ROOT / "README.md").read_text()
    for needed in ("--gang-scheduler-name=volcano", "fuse.serverful.fluid.io/inject", "workflowtaskresults",
                   "archiveLogs", "CULL_IDLE_TIME", "serving.kserve.io/s3-endpoint", "custom.metrics.k8s.io",
                   "ClusterWorkflowTemplate", "Gateway", "prerequisites:", "v0.19", "3.6"):
        assert needed in doc, needed


def test_validate_warns_once_per_name_about_what_the_output_needs_and_nobody_lists(tmp_path):
    path = "projects/vision/training/rerank.yaml"
    root = write_cluster_repo(tmp_path, {path: CLUSTER_REPO[path] + """
          env:
            - name: TOKEN
              secretRef: {name: feature-token, key: token}
        """})
    result = run(root, "validate")
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if "is named by the output but not emitted" in line]
    assert len(warnings) == 2, warnings
    token, puller = sorted(warnings)
    # rerank runs in both environments, on its own and inside the pipeline: still one warning
    assert "in kq, vc: Secret 'feature-token'" in token and "namespaces vision, vision-kq" in token
    assert "in vc: ServiceAccount 'model-puller'" in puller
    assert "ClusterWorkflowTemplate" not in result.output                  # listed under prerequisites


def test_validate_names_the_annotations_kserve_reads_from_an_unlisted_storage_secret(tmp_path):
    group = "environments/groups/gpu.yaml"
    root = write_cluster_repo(tmp_path, {group: CLUSTER_REPO[group].replace("Secret: [s3-models, oss-models, oss-data]",
                                                                             "Secret: [oss-models, oss-data]")})
    result = run(root, "validate")
    (warning,) = [line for line in result.output.splitlines() if "Secret 's3-models'" in line]
    assert "serving.kserve.io/s3-endpoint" in warning and "serving.kserve.io/s3-usehttps" in warning


def test_the_example_lists_every_prerequisite_it_needs():
    result = run(ROOT, "validate")
    assert result.exit_code == 0, result.output
    assert "is named by the output but not emitted" not in result.output


# --- and the schemas still hold ---------------------------------------------------------------------

def test_the_second_repo_validates_against_upstream_crds_and_kubernetes_schemas(tmp_path):
    """Every kind it emits (HTTPRoute, Role, LimitRange, WorkloadPriorityClass too) has a schema and passes it."""
    root = write_cluster_repo(tmp_path)
    result = run(root, "validate", "--crds", str(require_crds()))
    assert result.exit_code == 0, result.output
    assert "checked against Kubernetes and CRD schemas" in result.output
