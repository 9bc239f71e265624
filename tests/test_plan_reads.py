"""What a plan reads: the files of the projects a change can reach, and every other project's
project file only where a figure sums every quota (compiler/plan/build.py); the plan is the one
a load of every file gives."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from compiler.errors import StrataError
from compiler.plan import plan, render
from compiler.plan.build import StrataCompiler
from test_plan_example import LoadEverything
from test_plan_support import commit, committed_repo

DEMO_JOB = "projects/demo/train.yaml"
FILES = {
    "projects/demo/project.yaml": """
        kind: Project
        name: demo
        owner: team-demo
        environments: [test]
        quota: {default: {gpu: {t4: 4}}}
        """,
    DEMO_JOB: """
        kind: Job
        name: train
        spec:
          image: reg/demo/train:1.0
          command: [python, train.py]
          resources: {gpu: 1, gpuType: t4}
        """,
    "projects/other/project.yaml": """
        kind: Project
        name: other
        owner: team-other
        environments: [test]
        quota: {default: {gpu: {t4: 8}}}
        """,
    "projects/other/fit.yaml": """
        kind: Job
        name: fit
        spec:
          image: reg/other/fit:1.0
          command: [python, fit.py]
          resources: {gpu: 2, gpuType: t4}
        """,
}


@pytest.fixture
def repo(tmp_path) -> Path:
    return committed_repo(tmp_path / "config", FILES)


def planned(repo: Path) -> tuple[dict, set[str]]:
    """The plan (as JSON, without its stats) and the files it parsed; checked against a load of every file."""
    compiler = StrataCompiler()
    result = json.loads(render(plan(repo, "main", compiler=compiler), "json"))
    reference = json.loads(render(plan(repo, "main", compiler=LoadEverything()), "json"))
    for doc in (result, reference):
        del doc["stats"]
    assert result == reference
    return result, {key.split("\0")[0] for key in compiler.parsed.trees}


def edit(repo: Path, path: str, old: str, new: str) -> None:
    text = (repo / path).read_text()
    assert old in text
    (repo / path).write_text(text.replace(old, new))


def test_a_change_in_one_project_reads_no_file_of_another(repo):
    edit(repo, DEMO_JOB, "train:1.0", "train:1.1")
    result, read = planned(repo)
    assert result["summary"]["change"] == 2 and not result["capacity"]["environments"]
    assert not {f for f in read if f.startswith("projects/other/")}


def test_a_change_of_gpu_demand_sums_every_project_s_quota(repo):
    edit(repo, DEMO_JOB, "gpu: 1,", "gpu: 2,")
    result, read = planned(repo)
    t4 = result["capacity"]["environments"]["dev"]["pools"]["t4"]
    assert t4["quota"] == {"before": 12, "after": 12, "delta": 0} and t4["peak"] == {"delta": 1}
    assert {f for f in read if f.startswith("projects/other/")} == {"projects/other/project.yaml"}


def test_a_pool_with_a_capacity_sums_every_project_s_quota(repo):
    """The oversubscription check sums every project's quota: the other project's file is read for it."""
    edit(repo, "environments/groups/test.yaml", "nodeSelector: {pool: t4}}",
         "nodeSelector: {pool: t4}, capacity: 10}\npolicy: {capacity: {onExceed: error}}")
    edit(repo, "projects/other/project.yaml", "t4: 8", "t4: 6")
    commit(repo, "a capacity")
    edit(repo, DEMO_JOB, "train:1.0", "train:1.1")
    result, read = planned(repo)
    assert result["summary"]["change"] == 2
    assert {f for f in read if f.startswith("projects/other/")} == {"projects/other/project.yaml"}
    edit(repo, "projects/demo/project.yaml", "t4: 4", "t4: 6")
    with pytest.raises(StrataError, match=r"project quotas add up to 12 GPUs.*other 6"):
        plan(repo, "main", compiler=StrataCompiler())


def test_an_environment_change_planned_for_one_project_sums_every_project_s_quota(repo):
    """With `--project`, an environment change loads the named project only on both sides; the
    capacity section still sums every project's quota on each, the base side's from its copy."""
    edit(repo, "environments/groups/test.yaml", "nodeSelector: {pool: t4}}", "nodeSelector: {pool: t4}, price: 1.5}")
    found = plan(repo, "main", projects=("demo",), compiler=StrataCompiler())
    reference = plan(repo, "main", projects=("demo",), compiler=LoadEverything())
    assert render(found, "markdown") == render(reference, "markdown")
    t4 = json.loads(render(found, "json"))["capacity"]["environments"]["dev"]["pools"]["t4"]
    assert t4["quota"] == {"before": 12, "after": 12, "delta": 0} and t4["price"] == {"before": None, "after": 1.5}


def test_a_gang_that_names_another_project_s_queue_is_checked_against_its_limits(tmp_path):
    """A gang's pods start together in the queue it names, another project's too: a plan reads that
    project's files where a rendered target is a gang, and fails where `compile` fails."""
    files = dict(FILES)
    files["environments/groups/test.yaml"] = """
        kind: EnvironmentGroup
        name: test
        vars: {registry: reg.test.local, region: test-1}
        scheduler: volcano
        gpuPools:
          t4: {resourceName: nvidia.com/gpu, nodeSelector: {pool: t4}}
        policy: {capacity: {onUnschedulable: error}}
        """
    files["projects/other/project.yaml"] += "queue: {name: other-q}\n"
    files["projects/demo/borrow.yaml"] = """
        kind: Job
        name: borrow
        spec:
          image: reg/borrow:1.0.0
          command: [python, x.py]
          framework: pytorch
          replicas: {master: 1, worker: 1}
          resources: {cpu: '1', memory: 1Gi, gpu: 1, gpuType: t4}
          scheduling: {queue: other-q, gang: true}
        """
    repo = committed_repo(tmp_path / "config", files)
    edit(repo, "projects/demo/borrow.yaml", "gpu: 1,", "gpu: 8,")
    for compiler in (StrataCompiler(), LoadEverything()):
        with pytest.raises(StrataError, match=r"volcano gang\).*more than volcano queue other-q allows"):
            plan(repo, "main", compiler=compiler)
