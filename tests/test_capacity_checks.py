"""The capacity checks (compiler.capacity.checks): each one, at the line that causes it, as the
environment's policy says (error or warning)."""
from __future__ import annotations

from compiler.capacity.checks import check_capacity
from compiler.errors import Problems
from compiler.targets import Emitted
from factories import located_target, make_env, make_project
from repo_fixture import run, write_repo

GROUP = "environments/groups/test.yaml"


def group(capacity: str = "capacity: 12", policy: str = "", scheduler: str = "default") -> str:
    return f"""
        kind: EnvironmentGroup
        name: test
        vars: {{registry: reg.test.local, region: test-1}}
        scheduler: {scheduler}
        gpuPools:
          t4:
            resourceName: nvidia.com/gpu
            nodeSelector: {{pool: t4}}
            {capacity}
            gpusPerNode: 4
        {policy}
        """


def project(name: str, gpus: int, queue: str = "") -> str:
    return f"""
        kind: Project
        name: {name}
        owner: team-{name}
        environments: [test]
        {queue}
        quota:
          default: {{gpu: {{t4: {gpus}}}}}
        """


def job(gpu: int, *lines: str) -> str:
    extra = "\n".join(f"          {line}" for line in lines)
    return f"""
        kind: Job
        name: train
        spec:
          image: reg/demo/train:1.0
          resources: {{gpu: {gpu}, gpuType: t4}}
{extra}
        """


def line_of(repo, path: str, text: str) -> int:
    return next(i for i, line in enumerate((repo / path).read_text().splitlines(), 1) if text in line)


# --- quotas over capacity ------------------------------------------------------------------------

def test_quotas_over_capacity_warn_by_default(tmp_path):
    repo = write_repo(tmp_path, {GROUP: group(), "projects/demo/project.yaml": project("demo", 8),
                                 "projects/other/project.yaml": project("other", 8)})
    result = run(repo, "compile")
    assert result.exit_code == 0, result.output
    line = line_of(repo, GROUP, "capacity: 12")
    assert (f"{GROUP}:{line}:15: warning: in dev, staging: gpu pool t4: project quotas add up to 16 GPUs, more than "
            "its capacity 12 × oversubscription 1 = 12: demo 8 (projects/demo/project.yaml:7:23), "
            "other 8 (projects/other/project.yaml:7:23)") in result.output


def test_quotas_over_capacity_fail_when_policy_says_error(tmp_path):
    policy = "policy: {capacity: {onExceed: error}}"
    repo = write_repo(tmp_path, {GROUP: group(policy=policy), "projects/demo/project.yaml": project("demo", 8),
                                 "projects/other/project.yaml": project("other", 8)})
    result = run(repo, "compile")
    assert result.exit_code == 1
    assert "project quotas add up to 16 GPUs, more than its capacity 12" in result.output
    assert not (repo / "out").exists()


def test_oversubscription_allows_more_quota_than_gpus(tmp_path):
    policy = "policy: {capacity: {oversubscription: 1.5, onExceed: error}}"
    repo = write_repo(tmp_path, {GROUP: group(policy=policy), "projects/demo/project.yaml": project("demo", 8),
                                 "projects/other/project.yaml": project("other", 8)})
    result = run(repo, "compile")
    assert result.exit_code == 0 and "quotas add up" not in result.output, result.output


def test_capacity_per_cluster_is_checked_per_cluster(tmp_path):
    capacity = "capacity: {dev-cluster: 16, staging-cluster: 8}"
    policy = "policy: {capacity: {onExceed: error}}"
    repo = write_repo(tmp_path, {GROUP: group(capacity, policy), "projects/demo/project.yaml": project("demo", 12)})
    result = run(repo, "compile")
    assert result.exit_code == 1
    line = line_of(repo, GROUP, "capacity: {")
    assert (f"{GROUP}:{line}:50: in staging: gpu pool t4: project quotas add up to 12 GPUs, more than its capacity "
            "8 × oversubscription 1 = 8: demo 12") in result.output
    assert "in dev" not in result.output


def test_capacity_map_must_name_clusters(tmp_path):
    """A group's map names the clusters of its environments; each environment needs its own."""
    repo = write_repo(tmp_path, {GROUP: group("capacity: {dev-clustr: 16, staging-cluster: 8}")})
    result = run(repo, "compile")
    assert result.exit_code == 1
    line = line_of(repo, GROUP, "capacity: {")
    assert result.output.splitlines()[:2] == [
        f"{GROUP}:{line}:15: in dev: gpuPools.t4.capacity has no entry for cluster 'dev-cluster' of environment dev",
        f"{GROUP}:{line}:16: gpuPools.t4.capacity: 'dev-clustr' is no environment's cluster; did you mean "
        "'dev-cluster'?"]


# --- what can never start ------------------------------------------------------------------------

def test_a_pod_larger_than_a_node_is_an_error_at_its_gpu_line(tmp_path):
    repo = write_repo(tmp_path, {GROUP: group(), "projects/demo/train.yaml": job(6)})
    result = run(repo, "compile")
    assert result.exit_code == 1
    line = line_of(repo, "projects/demo/train.yaml", "gpu: 6")
    assert (f"projects/demo/train.yaml:{line}:20: demo/Job/train in dev, staging: Job train: one pod asks "
            f"for 6 GPUs, but a node of pool t4 has 4 (gpusPerNode at {GROUP}:10:18): it can never be "
            "scheduled") in result.output


def test_unschedulable_may_be_a_warning(tmp_path):
    repo = write_repo(tmp_path, {GROUP: group(policy="policy: {capacity: {onUnschedulable: warn}}"),
                                 "projects/demo/train.yaml": job(6)})
    result = run(repo, "compile")
    assert result.exit_code == 0 and "warning: " in result.output and "can never be scheduled" in result.output


# demo's job runs in the `burst` queue of project platform, which allows 4 GPUs; the job's
# 2 pods × 4 GPUs must start together (gang). demo's own quota is large enough.
GANG_OVER_ANOTHER_QUEUE = {
    GROUP: group("capacity: 64", scheduler="volcano"),
    "projects/demo/project.yaml": project("demo", 16, "queue: {name: demo}"),
    "projects/platform/project.yaml": project("platform", 4, "queue: {name: burst}"),
    "projects/demo/train.yaml": """
        kind: Job
        name: train
        spec:
          framework: pytorch
          image: reg/demo/train:1.0
          replicas: {master: 1, worker: 1}
          resources: {gpu: 4, gpuType: t4}
          scheduling: {queue: burst, gang: true}
        """}


def test_a_gang_larger_than_its_queue_is_never_admitted(tmp_path):
    repo = write_repo(tmp_path, GANG_OVER_ANOTHER_QUEUE)
    result = run(repo, "compile")
    assert result.exit_code == 1, result.output
    line = line_of(repo, "projects/demo/train.yaml", "replicas:")
    assert (f"projects/demo/train.yaml:{line}:13: demo/Job/train in dev, staging: PyTorchJob train: its 2 pods "
            "start together (volcano gang) and need at least 8 nvidia.com/gpu, more than volcano queue burst "
            "allows (4, set at projects/platform/project.yaml:7:23): it can never be admitted") in result.output
    # without the gang, one pod (4 GPUs) at a time fits
    (repo / "projects/demo/train.yaml").write_text((repo / "projects/demo/train.yaml").read_text()
                                                   .replace("gang: true", "gang: false"))
    assert run(repo, "compile").exit_code == 0


def kueue_objects(nominal: int) -> list[dict]:
    labels = {"kueue.x-k8s.io/queue-name": "q"}
    job = {"apiVersion": "kubeflow.org/v1", "kind": "PyTorchJob",
           "metadata": {"name": "train", "namespace": "demo-dev", "labels": labels},
           "spec": {"pytorchReplicaSpecs": {"Master": {"replicas": 1, "template": {"spec": {
               "nodeSelector": {"gpu.pool": "a100"},
               "containers": [{"name": "c", "resources": {"limits": {"nvidia.com/gpu": "4"}}}]}}},
               "Worker": {"replicas": 2, "template": {"spec": {
                   "nodeSelector": {"gpu.pool": "a100"},
                   "containers": [{"name": "c", "resources": {"limits": {"nvidia.com/gpu": "4"}}}]}}}}}}
    local = {"apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "LocalQueue",
             "metadata": {"name": "q", "namespace": "demo-dev"}, "spec": {"clusterQueue": "demo-dev"}}
    cluster = {"apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "ClusterQueue", "metadata": {"name": "demo-dev"},
               "spec": {"resourceGroups": [{"coveredResources": ["nvidia.com/gpu"], "flavors": [
                   {"name": "big-gpus", "resources": [{"name": "nvidia.com/gpu", "nominalQuota": str(nominal)}]}]}]}}
    flavor = {"apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "ResourceFlavor", "metadata": {"name": "big-gpus"},
              "spec": {"nodeLabels": {"gpu.pool": "a100"}}}
    return [job, local, cluster, flavor]


def check(objects: list[dict], target, **settings) -> Problems:
    problems, warnings = Problems(), Problems()
    env = target.env
    emitted = [Emitted(env.name, target.project.name, "job.train", target.folder, o, target) for o in objects[:1]]
    emitted += [Emitted(env.name, target.project.name, "project.demo", "", o, None, target.project) for o in objects[1:]]
    check_capacity(emitted, lambda _: [target.project], {env.name: env}, problems, warnings)
    return problems


def kueue_target():
    env = make_env("dev", scheduler="kueue")
    text = """
        kind: Job
        name: train
        spec:
          framework: pytorch
          image: t:1
          replicas: {worker: 2}
          resources: {gpu: 4, gpuType: a100}
        """
    return located_target("Job", "train", text, make_project("demo", env))


def test_a_kueue_workload_larger_than_its_cluster_queue_flavor_is_never_admitted():
    """Kueue admits a workload whole: 3 pods × 4 GPUs against the flavor of the pods' pool."""
    target = kueue_target()
    problems = check(kueue_objects(8), target)
    assert [p.message for p in problems.items] == [
        "PyTorchJob train: its 3 pods start together (kueue gang) and need at least 12 a100 GPUs, more than kueue "
        "queue q allows (8, set at projects/demo/project.yaml:1:1): it can never be admitted"]
    assert problems.items[0].origin.where() == "projects/demo/job-train.yaml:7:13"
    assert not check(kueue_objects(12), target).items


def test_gpus_in_no_pool_are_reported():
    target = kueue_target()
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "train", "namespace": "demo-dev"},
                  "spec": {"replicas": 1, "template": {"spec": {"nodeSelector": {"gpu.pool": "t4"}, "containers": [
                      {"name": "c", "resources": {"limits": {"nvidia.com/gpu": "1"}}}]}}}}
    problems = check([deployment], target)
    assert [p.message for p in problems.items] == [
        "Deployment train asks for 1 nvidia.com/gpu on nodes that no gpuPool of environment dev selects (a100): "
        "no capacity counts it, and it may never be scheduled"]
    assert problems.items[0].origin.where() == "projects/demo/job-train.yaml:8:32"    # resources.gpuType
