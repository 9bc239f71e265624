"""The capacity section of `strata plan` on a git copy of the example config (docs/plan.md#capacity).

Each scenario edits the working tree like a pull request and checks the section's numbers in
every format; each also checks that the render shortcut (only the targets a change can reach)
gives the same section as rendering everything.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from compiler.errors import StrataError
from compiler.plan import plan, render
from test_plan_example import RESNET, SEARCH, RenderEverything, committed, edit, repo  # noqa: F401 (fixtures)
from repo_fixture import write_repo
from test_plan_support import commit, init_repo

VIT = "projects/cv-shoe-identify/training/train-vit-ddp.yaml"
CV_PROJECT = "projects/cv-shoe-identify/project.yaml"


def section(result) -> dict:
    return json.loads(render(result, "json"))["capacity"]


def same_as_rendering_everything(repo: Path, result) -> None:
    reference = plan(repo, "main", compiler=RenderEverything())
    assert section(result) == section(reference)
    assert render(result, "markdown") == render(reference, "markdown")


def test_raising_a_service_s_max_replicas(repo):
    edit(repo, SEARCH, lambda d: d["spec"]["replicas"].update(max=12))      # prod: 8 → 12, test keeps 2
    result = plan(repo, "main")
    envs = section(result)["environments"]
    assert sorted(envs) == ["prod-bj", "prod-sh"]                          # test's override keeps max 2
    a100 = envs["prod-sh"]["pools"]["a100"]
    assert (a100["steady"], a100["peak"]) == ({"delta": 4}, {"delta": 4})
    assert a100["quota"] == {"before": 16, "after": 16, "delta": 0}
    assert a100["quota_headroom"] == {cluster: {"before": 16, "after": 16, "delta": 0}
                                      for cluster in ("ack-sh-prod-canary", "ack-sh-prod")}
    assert a100["cost_per_month"] == {"steady": {"delta": 11096.0}, "peak": {"delta": 11096.0}}   # 1.90 × 4 × 730 × 2 clusters
    assert envs["prod-sh"]["projects"]["cv-shoe-identify"]["a100"] == {
        "steady": {"delta": 4}, "peak": {"delta": 4}, "quota": {"before": 16, "after": 16, "delta": 0}}
    text = render(result, "text")
    assert ("  prod-sh      a100  ack-sh-prod-canary 32, ack-sh-prod 32        +4      +4     16  ack-sh-prod-canary 16, "
            "ack-sh-prod 16           +11,096.00         +11,096.00") in text.splitlines()
    assert "  prod-bj      cv-shoe-identify  a100        +4      +4     16" in text.splitlines()
    md = render(result, "markdown")
    assert "| `prod-bj` | a100 | 24 | +4 | +4 | 16 | 8 | +5,548.00 | +5,548.00 |" in md
    assert "<details><summary>Per project</summary>" in md
    assert "| `prod-sh` | cv-shoe-identify | a100 | +4 | +4 | 16 |" in md
    same_as_rendering_everything(repo, result)


def test_more_workers_for_a_training_job(repo):
    """Per-role specs have not landed: a role's replica count change stands in for a new worker role."""
    edit(repo, VIT, lambda d: d["overrides"]["test"]["replicas"].update(worker=3))   # 1 + 1 → 1 + 3 pods × 1 GPU
    result = plan(repo, "main")
    envs = section(result)["environments"]
    assert sorted(envs) == ["dev", "staging"]
    a10 = envs["staging"]["pools"]["a10"]
    assert (a10["steady"], a10["peak"]) == ({"delta": 0}, {"delta": 2})
    assert a10["cost_per_month"] == {"steady": {"delta": 0.0}, "peak": {"delta": 1314.0}}     # 0.90 × 2 × 730
    assert envs["dev"]["projects"]["cv-shoe-identify"]["t4"] == {
        "steady": {"delta": 0}, "peak": {"delta": 2}, "quota": {"before": 8, "after": 8, "delta": 0}}
    same_as_rendering_everything(repo, result)


def test_moving_a_job_to_another_pool(repo):
    """prod-sh's train-resnet (and the pipeline step embedding it) from the h800 to the a100 pool."""
    edit(repo, RESNET, lambda d: d["overrides"].update({"prod-sh": {"resources": {"gpuType": "a100"}}}))
    result = plan(repo, "main")
    envs = section(result)["environments"]
    assert sorted(envs) == ["prod-sh"]
    pools = envs["prod-sh"]["pools"]
    assert (pools["a100"]["peak"], pools["h800"]["peak"]) == ({"delta": 8}, {"delta": -8})   # job 4 + pipeline 4
    assert pools["a100"]["steady"] == pools["h800"]["steady"] == {"delta": 0}
    project = envs["prod-sh"]["projects"]["cv-shoe-identify"]
    assert (project["a100"]["peak"], project["h800"]["peak"]) == ({"delta": 8}, {"delta": -8})
    assert ("| `prod-sh` | h800 | ack-sh-prod-canary 56, ack-sh-prod 64 | 0 | −8 | 40 | ack-sh-prod-canary 16, "
            "ack-sh-prod 24 | 0.00 | −37,376.00 |")   # 3.20 × 8 × 730 × 2 clusters in render(result, "markdown")
    same_as_rendering_everything(repo, result)


def test_a_change_in_one_environment_lists_only_it(repo):
    edit(repo, SEARCH, lambda d: d["overrides"].update({"prod-bj": {"replicas": {"min": 2, "max": 10}}}))
    result = plan(repo, "main")
    assert result.changed_envs() == ["prod-bj"]
    envs = section(result)["environments"]
    assert list(envs) == ["prod-bj"] and envs["prod-bj"]["pools"]["a100"]["steady"] == {"delta": 2}
    text = render(result, "text")
    assert "prod-sh" not in text.split("GPU capacity")[1]
    same_as_rendering_everything(repo, result)


def test_a_quota_change_moves_the_quota_headroom(repo):
    edit(repo, CV_PROJECT, lambda d: d["quota"]["overrides"]["prod-sh"]["gpu"].update(a100=24))
    result = plan(repo, "main")
    a100 = section(result)["environments"]["prod-sh"]["pools"]["a100"]
    assert a100["quota"] == {"before": 16, "after": 24, "delta": 8}
    assert a100["quota_headroom"] == {cluster: {"before": 16, "after": 8, "delta": -8}
                                      for cluster in ("ack-sh-prod-canary", "ack-sh-prod")}
    assert (a100["steady"], a100["peak"]) == ({"delta": 0}, {"delta": 0})
    assert ("| `prod-sh` | a100 | ack-sh-prod-canary 32, ack-sh-prod 32 | 0 | 0 | 16 → 24 | ack-sh-prod-canary 16 → 8, "
            "ack-sh-prod 16 → 8 | 0.00 | 0.00 |") in render(result, "markdown")
    same_as_rendering_everything(repo, result)


def test_a_capacity_change_in_an_environment_file(repo):
    path = repo / "environments/prod-sh.yaml"
    path.write_text(path.read_text().replace("capacity: 32 ", "capacity: 24 "))
    result = plan(repo, "main")
    a100 = section(result)["environments"]["prod-sh"]["pools"]["a100"]
    assert a100["capacity"] == {"before": {"ack-sh-prod-canary": 32, "ack-sh-prod": 32},
                                "after": {"ack-sh-prod-canary": 24, "ack-sh-prod": 24}}
    assert a100["quota_headroom"]["ack-sh-prod"] == {"before": 16, "after": 8, "delta": -8}
    assert ("| `prod-sh` | a100 | ack-sh-prod-canary 32, ack-sh-prod 32 → ack-sh-prod-canary 24, ack-sh-prod 24 | 0 | 0 | 16 "
            "| ack-sh-prod-canary 16 → 8, ack-sh-prod 16 → 8 |") in render(result, "markdown")


def test_quotas_over_capacity_fail_the_plan_in_production(repo):
    path = repo / "environments/prod-sh.yaml"
    path.write_text(path.read_text().replace("capacity: 32 ", "capacity: 8 "))
    with pytest.raises(StrataError) as error:
        plan(repo, "main")
    assert ("gpu pool a100: project quotas add up to 16 GPUs, more than its capacity of cluster ack-sh-prod-canary 8"
            in str(error.value))


def test_no_gpu_change_says_so(repo):
    edit(repo, RESNET, lambda d: d["overrides"]["test"]["resources"].update(memory="40Gi"))
    result = plan(repo, "main")
    assert section(result) == {"hours_per_month": 730, "environments": {}}
    assert "GPU capacity: no change in GPU demand or quotas." in render(result, "text")
    assert "GPU capacity: no change in GPU demand or quotas." in render(result, "markdown")
    assert json.loads(render(result, "json"))["format_version"] == "1.3"


def test_adding_a_role_to_a_tensorflow_job(tmp_path):
    """A TFJob gains an evaluator: one more pod of the job's shape (a role of its own)."""
    files = {
        "environments/groups/test.yaml": """
            kind: EnvironmentGroup
            name: test
            vars: {registry: reg.test.local, region: test-1}
            gpuPools:
              t4: {resourceName: nvidia.com/gpu, nodeSelector: {pool: t4}, capacity: 16, price: 0.5}
            """,
        "projects/demo/train.yaml": """
            kind: Job
            name: train
            spec:
              framework: tensorflow
              image: reg/demo/train:1.0
              replicas: {worker: 2}
              resources: {gpu: 2, gpuType: t4}
            """}
    repo = write_repo(init_repo(tmp_path / "config"), files)
    commit(repo, "base")
    yaml_rt = YAML()
    doc = yaml_rt.load((repo / "projects/demo/train.yaml").read_text())
    doc["spec"]["replicas"]["evaluator"] = 1
    with (repo / "projects/demo/train.yaml").open("w") as out:
        yaml_rt.dump(doc, out)
    result = plan(repo, "main")
    envs = section(result)["environments"]
    assert sorted(envs) == ["dev", "staging"]
    assert envs["dev"]["pools"]["t4"]["peak"] == {"delta": 2}                    # chief 1 + 2 workers + evaluator
    assert envs["dev"]["projects"]["demo"]["t4"] == {"steady": {"delta": 0}, "peak": {"delta": 2},
                                                     "quota": {"before": None, "after": None, "delta": 0}}


def test_a_quota_for_a_project_without_resources_yet(repo):
    (repo / "projects/new-team").mkdir()
    (repo / "projects/new-team/project.yaml").write_text(
        "kind: Project\nname: new-team\nowner: team-new\nenvironments: [prod-sh]\n"
        "quota:\n  default: {gpu: {h800: 16}}\n")
    result = plan(repo, "main")
    h800 = section(result)["environments"]["prod-sh"]["pools"]["h800"]
    assert h800["quota"] == {"before": 40, "after": 56, "delta": 16}
    assert h800["quota_headroom"]["ack-sh-prod"] == {"before": 24, "after": 8, "delta": -16}
    assert section(result)["environments"]["prod-sh"]["projects"] == {"new-team": {"h800": {
        "steady": {"delta": 0}, "peak": {"delta": 0}, "quota": {"before": None, "after": 16, "delta": 16}}}}


def test_a_second_cluster_costs_the_whole_demand_again():
    """Every cluster of an environment runs every object: adding one adds its GPUs' cost, with no
    change of demand (price 2.00 × 4 GPUs × 730 h)."""
    from decimal import Decimal

    from compiler.capacity.report import Demand, EnvFacts, PoolFacts
    from compiler.plan.capacity import pool_change

    def facts(clusters: tuple[str, ...]) -> EnvFacts:
        return EnvFacts("prod", clusters, {"a100": PoolFacts({c: 8 for c in clusters}, 8, 2.0)}, 1.0, {})

    demand = Demand(steady_min=4, steady=4, peak=4)
    change = pool_change("a100", facts(("one",)), facts(("one", "two")), demand, demand)
    assert (change.steady, change.peak) == (0, 0)
    assert change.cost == (Decimal("5840.00"), Decimal("5840.00"))
    same = pool_change("a100", facts(("one", "two")), facts(("one", "two")), demand, Demand(4, 6, 6))
    assert same.cost == (Decimal("5840.00"), Decimal("5840.00"))   # +2 GPUs on each of 2 clusters


def test_oversubscribing_a_pool_with_another_projects_quota_fails_the_plan(committed, tmp_path):
    """The production capacity check sums every project's quota of the pool, also those of the
    projects a change confined to one project folder does not build."""
    repo = tmp_path / "config"
    shutil.copytree(committed, repo, symlinks=True)
    edit(repo, "projects/search-rec/project.yaml", lambda d: d["quota"]["overrides"]["prod"].update(gpu={"a100": 16}))
    commit(repo, "search-rec takes half of prod-sh's A100s")
    edit(repo, CV_PROJECT, lambda d: d["quota"]["overrides"]["prod-sh"]["gpu"].update(a100=24))   # 16 + 24 > 32
    with pytest.raises(StrataError, match="a100"):
        plan(repo, "main")
