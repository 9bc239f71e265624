from __future__ import annotations

from decimal import Decimal

import pytest

from compiler.errors import Problems
from compiler.check.quota import check_quota, find_overages, format_quantity, parse_quantity, workload_usage
from schemas.service import canary_replicas
from factories import make_env, make_project, make_target

POOLS = {
    "a100": {"resourceName": "nvidia.com/gpu", "nodeSelector": {"gpu.pool": "a100"}},
    "h100": {"resourceName": "nvidia.com/gpu", "nodeSelector": {"gpu.pool": "h100"}},
    "mi300": {"resourceName": "amd.com/gpu"},
}


def project(quota):
    return make_project("asr", make_env("dev", gpuPools=POOLS), quota)


@pytest.mark.parametrize("text, expected", [
    ("500m", Decimal("0.5")), ("2", Decimal(2)), ("1.5", Decimal("1.5")), ("16Gi", Decimal(16 * 1024 ** 3)),
    ("1Ki", Decimal(1024)), ("3M", Decimal(3_000_000)), ("2e3", Decimal(2000)), ("1E", Decimal(10) ** 18),
    ("1Ei", Decimal(1024) ** 6), ("100n", Decimal("1E-7")), ("+.5k", Decimal(500)),
])
def test_parse_quantity_is_exact(text, expected):
    assert parse_quantity(text) == expected


def test_parse_quantity_rejects_garbage():
    with pytest.raises(ValueError):
        parse_quantity("16GB")


@pytest.mark.parametrize("value, binary, expected", [
    (Decimal("0.5"), False, "500m"), (Decimal(8), False, "8"), (Decimal(16 * 1024 ** 3), True, "16Gi"),
    (Decimal(1536 * 1024 ** 2), True, "1536Mi"), (Decimal(2 * 10 ** 9), True, "2G"), (Decimal(0), True, "0"),
])
def test_format_quantity(value, binary, expected):
    assert format_quantity(value, binary) == expected


@pytest.mark.parametrize("replicas, weight, expected", [
    (4, 0, 0), (4, 10, 1), (4, 25, 1), (4, 26, 2), (10, 50, 5), ({"min": 1, "max": 3}, 1, 1), (3, 100, 3),
])
def test_canary_replicas(replicas, weight, expected):
    spec = {"image": "srv:1", "model": {"name": "m", "version": 1}, "replicas": replicas,
            "canary": {"weight": weight}}
    assert canary_replicas(make_target("Service", "web", spec).spec) == expected


def test_canary_replicas_without_canary_is_zero():
    assert canary_replicas(make_target("Service", "web", {"image": "srv:1", "model": {"name": "m", "version": 1}}).spec) == 0


def test_job_usage_counts_every_replica_and_shm():
    job = make_target("Job", "train", {
        "framework": "tensorflow", "image": "tf:2", "replicas": {"ps": 2, "worker": 4, "evaluator": 1},
        "resources": {"cpu": "4", "memory": "16Gi", "shm": "2Gi", "gpu": 1, "gpuType": "a100"}})
    usage = workload_usage(job)  # chief 1 + ps 2 + worker 4 + evaluator 1 = 8 pods
    assert (usage.cpu, usage.memory, usage.gpu) == (Decimal(32), parse_quantity("144Gi"), {"a100": 8})


def test_scheduled_job_counts_too():
    p = project({"cpu": "2"})
    job = make_target("Job", "nightly", {"image": "x:1", "resources": {"cpu": "3"},
                                         "schedule": {"cron": "0 3 * * *"}}, p)
    assert [o.label for o in find_overages(p, [job])] == ["cpu"]


def test_service_counts_max_replicas_plus_canary():
    svc = make_target("Service", "web", {
        "image": "srv:1", "model": {"name": "m", "version": 1}, "replicas": {"min": 1, "max": 4},
        "canary": {"weight": 30}, "resources": {"cpu": "500m", "memory": "1Gi"}})
    usage = workload_usage(svc)  # 4 + ceil(1.2) = 6 pods
    assert (usage.cpu, usage.memory) == (Decimal(3), parse_quantity("6Gi"))


def test_within_quota_is_silent():
    p = project({"cpu": "8", "memory": "32Gi", "gpu": {"a100": 2}})
    nb = make_target("Notebook", "lab", {"image": "jupyter:1", "resources": {
        "cpu": "8", "memory": "30Gi", "shm": "2Gi", "gpu": 2, "gpuType": "a100"}}, p)
    problems = Problems()
    check_quota(p, [nb], problems)
    assert not problems


def test_unset_quota_is_unlimited_and_pipelines_are_not_counted():
    p = project({"gpu": {"a100": 1}})
    job = make_target("Job", "big", {"image": "x:1", "resources": {"cpu": "512", "memory": "4Ti"}}, p)
    pipe = make_target("Pipeline", "etl", {"steps": [{"name": "s", "container": {
        "image": "x:1", "resources": {"gpu": 8, "gpuType": "a100"}}}]}, p)
    assert find_overages(p, [job, pipe]) == []


def test_each_overage_is_an_error_listing_the_workloads_without_a_quota_tree_at_the_project_file():
    p = project({"cpu": "16", "memory": "64Gi", "gpu": {"a100": 8, "h100": 4}})
    train = make_target("Job", "train", {"framework": "pytorch", "image": "pt:2", "replicas": {"worker": 3},
                                         "resources": {"cpu": "4", "memory": "16Gi", "shm": "4Gi",
                                                       "gpu": 2, "gpuType": "a100"}}, p)
    web = make_target("Service", "web", {"image": "srv:1", "model": {"name": "m", "version": 1}, "replicas": 2,
                                         "resources": {"cpu": "2", "memory": "4Gi", "gpu": 1, "gpuType": "a100"}}, p)
    lab = make_target("Notebook", "lab", {"image": "jupyter:1", "resources": {"cpu": "1", "memory": "2Gi"}}, p)
    problems = Problems()
    check_quota(p, [web, lab, train], problems)
    assert {problem.origin.where() for problem in problems.items} == {"projects/asr/project.yaml:1:1"}
    assert [(problem.scope(), problem.message) for problem in problems.items] == [
        ("project asr in dev: ", "over quota: cpu requested 21 > quota 16 (over by 5) by Job/train 16, "
                                 "Notebook/lab 1, Service/web 4"),
        ("project asr in dev: ", "over quota: memory requested 90Gi > quota 64Gi (over by 26Gi) by Job/train 80Gi, "
                                 "Notebook/lab 2Gi, Service/web 8Gi"),
        ("project asr in dev: ", "over quota: gpu a100 requested 10 > quota 8 (over by 2) by Job/train 8, "
                                 "Service/web 2")]


def test_an_overage_points_at_the_quota_entry_that_sets_the_limit(tmp_path):
    from repo_fixture import compile_targets, write_repo

    repo = write_repo(tmp_path / "repo", {
        "projects/demo/project.yaml": """
            kind: Project
            name: demo
            owner: o
            environments: [test]
            quota:
              default: {cpu: "8", gpu: {t4: 1}}
              overrides:
                staging:
                  cpu: "2"
            """,
        "projects/demo/train.yaml": "kind: Job\nname: train\nspec: {image: a, resources: {cpu: 4}}\n"})
    build, problems = compile_targets(repo)
    assert not problems
    found = Problems()
    for proj in build.projects:
        check_quota(proj, [t for t in build.targets if t.env.name == proj.env.name], found)
    [problem] = found.items
    assert problem.render() == ("projects/demo/project.yaml:9:12: project demo in staging: over quota: cpu requested "
                                "4 > quota 2 (over by 2) by Job/train 4")


def test_gpus_sharing_a_resource_name_are_checked_together_when_untyped_gpus_join():
    p = project({"gpu": {"a100": 4, "h100": 2}})      # nvidia.com/gpu: 6
    typed = make_target("Job", "a", {"image": "x:1", "resources": {"gpu": 4, "gpuType": "a100"}}, p)
    untyped = make_target("Job", "b", {"image": "x:1", "resources": {"gpu": 3}}, p)
    other = make_target("Job", "c", {"image": "x:1", "resources": {"gpu": 8, "gpuType": "mi300"}}, p)
    [overage] = find_overages(p, [typed, untyped, other])
    assert overage.describe() == ("nvidia.com/gpu (all GPU types) requested 7 > quota 6 (over by 1) "
                                  "by Job/a 4, Job/b 3")


def test_each_gpu_type_has_its_own_line():
    p = project({"gpu": {"a100": 4, "h100": 2}})
    job = make_target("Job", "a", {"image": "x:1", "resources": {"gpu": 3, "gpuType": "h100"}}, p)
    assert [o.describe() for o in find_overages(p, [job])] == [
        "gpu h100 requested 3 > quota 2 (over by 1) by Job/a 3"]
