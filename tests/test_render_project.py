from __future__ import annotations

import pytest

from compiler.errors import Problems
from compiler.render.platform import render_platform
from compiler.render.project import check_namespaces, check_queue_names, queue_name, render_project
from compiler.check.objects import validate_objects
from factories import make_ctx, make_env, make_project, make_target

POOLS = {
    "a100": {"resourceName": "nvidia.com/gpu", "nodeSelector": {"gpu.pool": "a100"},
             "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]},
    "h100": {"resourceName": "nvidia.com/gpu", "nodeSelector": {"gpu.pool": "h100"}},
    "mi300": {"resourceName": "amd.com/gpu", "nodeSelector": {"gpu.pool": "mi300"}},
}
QUOTA = {"cpu": "64", "memory": "256Gi", "gpu": {"a100": 8, "h100": 4, "mi300": 2}}
LABELS = {"app.kubernetes.io/managed-by": "strata", "strata.dev/project": "asr",
          "strata.dev/environment": "dev", "strata.dev/resource": "project.asr"}


def asr(scheduler="default", quota=QUOTA, name="asr", **doc):
    env = make_env("dev", scheduler=scheduler, gpuPools=POOLS, namespaceSuffix="-dev")
    doc.setdefault("queue", {"name": "speech", "weight": 3})
    return make_project(name, env, quota, owner="team-speech", **doc)


def by_kind(objects):
    return {o["kind"]: o for o in objects}


def assert_valid(project, objects, crd_schemas, kubernetes_schemas):
    problems = Problems()
    validate_objects([(project, o) for o in objects], crd_schemas, problems, kubernetes_schemas)
    assert [p.render() for p in problems.items] == []


def test_default_scheduler_objects(crd_schemas, kubernetes_schemas):
    project = asr()
    objects = render_project(project, [], make_ctx())
    assert [o["kind"] for o in objects] == ["Namespace", "ResourceQuota", "LimitRange", "RoleBinding"]
    ns, quota, limits, binding = objects
    assert limits["spec"] == {"limits": [{"type": "Container", "defaultRequest": {"cpu": "100m", "memory": "128Mi"}}]}
    assert ns["metadata"] == {"name": "asr-dev", "labels": LABELS}
    assert quota["metadata"]["namespace"] == "asr-dev"
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"}
    assert binding["subjects"] == [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "team-speech"}]
    assert all(o["metadata"]["labels"] == LABELS for o in objects)
    assert_valid(project, objects, crd_schemas, kubernetes_schemas)


def test_gpu_types_sharing_a_resource_name_are_summed():
    quota = by_kind(render_project(asr(), [], make_ctx()))["ResourceQuota"]
    assert quota["spec"]["hard"] == {"requests.cpu": "64", "requests.memory": "256Gi",
                                     "requests.amd.com/gpu": "2", "requests.nvidia.com/gpu": "12"}


def test_empty_quota_emits_no_resource_quota():
    kinds = [o["kind"] for o in render_project(asr(quota={}), [], make_ctx())]
    assert kinds == ["Namespace", "RoleBinding"]


def test_volcano_queue(crd_schemas, kubernetes_schemas):
    project = asr("volcano")
    objects = render_project(project, [], make_ctx())
    queue = by_kind(objects)["Queue"]
    assert queue == {
        "apiVersion": "scheduling.volcano.sh/v1beta1", "kind": "Queue",
        "metadata": {"name": "speech", "labels": LABELS},   # cluster-scoped: no namespace
        "spec": {"weight": 3, "capability": {"cpu": "64", "memory": "256Gi",
                                             "amd.com/gpu": "2", "nvidia.com/gpu": "12"}},
    }
    assert_valid(project, objects, crd_schemas, kubernetes_schemas)


def test_kueue_cluster_queue_and_local_queue(crd_schemas, kubernetes_schemas):
    project = asr("kueue")
    objects = render_project(project, [], make_ctx())
    assert [o["kind"] for o in objects] == ["Namespace", "ResourceQuota", "LimitRange", "RoleBinding", "ClusterQueue",
                                            "LocalQueue"]
    cq, lq = objects[4], objects[5]
    assert cq["apiVersion"] == lq["apiVersion"] == "kueue.x-k8s.io/v1beta2"
    assert cq["metadata"] == {"name": "asr-dev", "labels": LABELS}
    assert cq["spec"]["namespaceSelector"] == {"matchLabels": {"kubernetes.io/metadata.name": "asr-dev"}}
    assert cq["spec"]["resourceGroups"] == [
        {"coveredResources": ["cpu", "memory"], "flavors": [{"name": "default-flavor", "resources": [
            {"name": "cpu", "nominalQuota": "64"}, {"name": "memory", "nominalQuota": "256Gi"}]}]},
        {"coveredResources": ["amd.com/gpu"], "flavors": [
            {"name": "mi300", "resources": [{"name": "amd.com/gpu", "nominalQuota": "2"}]}]},
        {"coveredResources": ["nvidia.com/gpu"], "flavors": [
            {"name": "a100", "resources": [{"name": "nvidia.com/gpu", "nominalQuota": "8"}]},
            {"name": "h100", "resources": [{"name": "nvidia.com/gpu", "nominalQuota": "4"}]}]},
    ]
    assert cq["spec"]["fairSharing"] == {"weight": 3}
    assert lq["metadata"]["name"] == "speech" and lq["metadata"]["namespace"] == "asr-dev"
    assert lq["spec"] == {"clusterQueue": "asr-dev"}
    assert_valid(project, objects, crd_schemas, kubernetes_schemas)


def test_kueue_resource_flavors_are_the_environments_not_a_projects(crd_schemas, kubernetes_schemas):
    """Flavors come from the environment's pools alone, in its platform target: no project holds them."""
    first, second = asr("kueue", name="asr"), asr("kueue", name="vision", quota={"gpu": {"a100": 1}},
                                                  queue={"name": "vision"})
    rendered = {p.name: render_project(p, [], make_ctx()) for p in (second, first)}
    assert not [o for objects in rendered.values() for o in objects if o["kind"] == "ResourceFlavor"]
    flavors = [o for o in render_platform(first.env) if o["kind"] == "ResourceFlavor"]
    assert [f["metadata"]["name"] for f in flavors] == ["default-flavor", "a100", "h100", "mi300"]
    a100 = flavors[1]
    assert a100["spec"] == {"nodeLabels": {"gpu.pool": "a100"}, "tolerations": [
        {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]}
    assert a100["metadata"]["annotations"] == {"strata.dev/gpu-pool": "a100"}
    assert "namespace" not in a100["metadata"]
    assert_valid(first.env, flavors, crd_schemas, kubernetes_schemas)


def test_no_flavors_without_kueue():
    assert [o for o in render_platform(asr("volcano").env) if o["kind"] == "ResourceFlavor"] == []


def test_project_without_queue_gets_no_queue_objects():
    for scheduler in ("volcano", "kueue"):
        project = asr(scheduler, queue=None)
        assert queue_name(project) is None
        assert [o["kind"] for o in render_project(project, [], make_ctx())] == [
            "Namespace", "ResourceQuota", "LimitRange", "RoleBinding"]


def test_kueue_warns_about_workloads_it_would_never_admit():
    project = asr("kueue", quota={"gpu": {"a100": 4}})
    job = make_target("Job", "train", {"image": "x:1", "resources": {
        "cpu": "2", "gpu": 1, "gpuType": "h100"}}, project)
    ctx = make_ctx(job)
    render_project(project, [job], ctx)
    assert [w.render() for w in ctx.warnings.items] == [
        "projects/asr/job-train.yaml:1:1: warning: asr/Job/train in dev: Kueue will not admit it: "
        "ClusterQueue asr-dev has no quota for cpu (set it in projects/asr/project.yaml)",
        "projects/asr/job-train.yaml:1:1: warning: asr/Job/train in dev: Kueue will not admit it: "
        "ClusterQueue asr-dev has no quota for gpuType h100 (set it in projects/asr/project.yaml)",
    ]


def test_output_is_deterministic():
    assert render_project(asr("kueue"), [], make_ctx()) == render_project(asr("kueue"), [], make_ctx())


def test_volcano_queue_name_clash_names_both_files():
    a, b = asr("volcano", name="asr"), asr("volcano", name="vision")
    problems = Problems()
    check_queue_names({"dev": [b, a]}, problems)
    [problem] = problems.items
    assert problem.render() == (
        "projects/vision/project.yaml:1:1: Volcano queue 'speech' in environment dev is used by two projects: "
        "asr (projects/asr/project.yaml:1:1) and vision (projects/vision/project.yaml:1:1)")


@pytest.mark.parametrize("scheduler", ["kueue", "default"])
def test_queue_names_may_repeat_outside_volcano(scheduler):
    problems = Problems()
    check_queue_names({"dev": [asr(scheduler, name="asr"), asr(scheduler, name="vision")]}, problems)
    assert not problems


def test_namespace_clash():
    problems = Problems()
    check_namespaces({"dev": [asr(name="asr"), asr(name="vision", namespace="asr")]}, problems)
    assert [p.message for p in problems.items] == [
        "namespace 'asr-dev' in environment dev is used by two projects: "
        "asr (projects/asr/project.yaml:1:1) and vision (projects/vision/project.yaml:1:1)"]


def test_kueue_coverage_ignores_jobs_sent_to_another_queue_and_untyped_gpus_with_a_flavor():
    project = asr("kueue", quota={"cpu": "8", "gpu": {"a100": 4}})
    elsewhere = make_target("Job", "a", {"image": "x:1", "scheduling": {"queue": "shared"},
                                         "resources": {"gpu": 1, "gpuType": "h100"}}, project)
    untyped = make_target("Job", "b", {"image": "x:1", "resources": {"cpu": "1", "gpu": 1}}, project)
    ctx = make_ctx(elsewhere, untyped)
    render_project(project, [elsewhere, untyped], ctx)
    assert not ctx.warnings
