"""`strata capacity` and the capacity figures in manifest.json, on the example config.

The main test recomputes the GPU totals from the compiled out/ folder with its own reading of
the YAML (not strata's rules), for the kinds the example emits, and compares them with
`strata capacity --format json`.
"""
from __future__ import annotations

import json
import shutil
from collections import defaultdict
from pathlib import Path

import pytest
import yaml
from repo_fixture import copy_example, run

EXAMPLE = ("strata.yaml", "layers", "environments", "projects")
POOL_LABEL = "node.example.com/gpu"      # the example names its pools after this node label's values


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> Path:
    repo = copy_example(tmp_path_factory.mktemp("capacity") / "config", EXAMPLE)
    result = run(repo, "compile")
    assert result.exit_code == 0, result.output
    return repo


@pytest.fixture(scope="module")
def reported(example) -> dict:
    result = run(example, "capacity", "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


# --- an independent count from out/ --------------------------------------------------------

def gpus(pod: dict) -> tuple[str | None, int]:
    """(pool, GPUs) of a pod spec: its containers' nvidia.com/gpu limits, its pool label."""
    count = sum(int((c.get("resources") or {}).get("limits", {}).get("nvidia.com/gpu", 0))
                for c in pod.get("containers", []))
    return (pod.get("nodeSelector") or {}).get(POOL_LABEL), count


def job_gpus(job: dict) -> tuple[str | None, int]:
    """A Kubeflow job: every replica of every role; a batch Job: its parallelism (default 1)."""
    spec = job["spec"]
    if job["kind"] == "Job":
        pool, each = gpus(spec["template"]["spec"])
        return pool, each * spec.get("parallelism", 1)
    roles = next(v for k, v in spec.items() if k.endswith("ReplicaSpecs"))
    total, pool = 0, None
    for role in roles.values():
        role_pool, each = gpus(role["template"]["spec"])
        total, pool = total + each * role.get("replicas", 1), pool or role_pool
    return pool, total


def run_gpus(templates: list[dict], tasks: list[dict]) -> tuple[str | None, int]:
    """One run of the example's pipelines: their steps wait for each other in a chain, so a run
    holds the GPUs of its heaviest step (a job step: the whole job)."""
    assert all(len(t.get("dependencies", [])) <= 1 for t in tasks)             # a chain, as the example's are
    assert sum(1 for t in tasks if not t.get("dependencies")) <= 1
    best: tuple[str | None, int] = (None, 0)
    by_name = {t["name"]: t for t in templates}
    for task in tasks:
        template = by_name.get(task.get("template", ""))
        if template is None:
            continue                                                            # a platform template
        if "resource" in template:
            found = job_gpus(yaml.safe_load(template["resource"]["manifest"]))
        else:
            found = gpus({"containers": [template["container"]], "nodeSelector": template.get("nodeSelector")})
        found = (found[0], found[1] * len(task.get("withItems", [None])))
        best = max(best, found, key=lambda f: f[1])
    return best


def recount(out: Path) -> dict:
    """env → pool → {steady_min, steady, peak, quota} from the YAML in out/."""
    totals: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    for path in sorted(out.glob("*/*/*/manifests.yaml")):
        env = path.parts[-4]
        objects = [o for o in yaml.safe_load_all(path.read_text()) if o]
        scheduled = {o["spec"]["workflowSpec"].get("workflowTemplateRef", {}).get("name")
                     for o in objects if o["kind"] == "CronWorkflow"}
        templates = {o["metadata"]["name"]: o for o in objects if o["kind"] == "WorkflowTemplate"}
        for obj in objects:
            kind, spec = obj["kind"], obj.get("spec", {})
            if kind == "InferenceService":
                pool, each = gpus({"containers": [spec["predictor"]["model"]],
                                   "nodeSelector": spec["predictor"].get("nodeSelector")})
                low, high = spec["predictor"]["minReplicas"] * each, spec["predictor"]["maxReplicas"] * each
                steady = True
            elif kind == "Notebook":
                (pool, high), steady = gpus(spec["template"]["spec"]), True
                low = high
            elif kind in ("PyTorchJob", "TFJob", "XGBoostJob", "Job"):
                (pool, high), steady = job_gpus(obj), False
            elif kind == "CronWorkflow":
                assert spec["concurrencyPolicy"] == "Forbid" or spec["suspend"]   # one run at a time
                ref = spec["workflowSpec"].get("workflowTemplateRef")
                source = templates[ref["name"]]["spec"] if ref else spec["workflowSpec"]
                entry = next(t for t in source["templates"] if t["name"] == source["entrypoint"])
                tasks = entry["dag"]["tasks"] if "dag" in entry else [{"name": "run", "template": entry["name"]}]
                (pool, high), steady = run_gpus(source["templates"], tasks), False
            elif kind == "WorkflowTemplate" and obj["metadata"]["name"] not in scheduled:
                entry = next(t for t in spec["templates"] if t["name"] == spec["entrypoint"])
                (pool, high), steady = run_gpus(spec["templates"], entry["dag"]["tasks"]), False
            else:
                continue
            if not high:
                continue
            if steady:
                totals[env][pool]["steady_min"] += low
                totals[env][pool]["steady"] += high
            totals[env][pool]["peak"] += high
    for path in sorted(out.glob("*/*/project.yaml")):
        for obj in yaml.safe_load_all(path.read_text()):
            if obj and obj["kind"] == "ResourceQuota":
                totals[path.parts[-3]]["(every pool)"]["quota"] += int(obj["spec"]["hard"].get("requests.nvidia.com/gpu", 0))
    return totals


def test_capacity_totals_match_an_independent_count_of_out(example, reported):
    expected = recount(example / "out")
    assert sorted(reported["environments"]) == sorted(expected) == ["dev", "prod-bj", "prod-sh", "staging"]
    for env, pools in expected.items():
        figures = reported["environments"][env]["pools"]
        for pool, counted in pools.items():
            if pool == "(every pool)":     # a ResourceQuota sums the pools sharing nvidia.com/gpu
                assert sum(row["quota"] for row in figures.values()) == counted["quota"], env
                continue
            got = {key: figures[pool][key] for key in ("steady_min", "steady", "peak")}
            assert got == {key: counted[key] for key in ("steady_min", "steady", "peak")}, (env, pool)
    # what the example is about, spelled out once
    h800 = reported["environments"]["prod-sh"]["pools"]["h800"]
    assert (h800["peak"], h800["steady"], h800["quota"]) == (40, 0, 40)
    assert reported["environments"]["dev"]["pools"]["t4"]["peak"] == 7


def test_capacity_headroom_and_cost(reported):
    a100 = reported["environments"]["prod-sh"]["pools"]["a100"]
    assert a100["capacity"] == {"ack-sh-prod-canary": 32, "ack-sh-prod": 32} and a100["gpusPerNode"] == 8
    assert a100["quota_headroom"] == {"ack-sh-prod-canary": 16, "ack-sh-prod": 16}   # 32 × 1.0 − 16
    assert a100["peak_headroom"] == {"ack-sh-prod-canary": 24, "ack-sh-prod": 24}    # 32 − 8: each cluster runs it all
    h800 = reported["environments"]["prod-sh"]["pools"]["h800"]
    assert h800["capacity"] == {"ack-sh-prod-canary": 56, "ack-sh-prod": 64}         # per cluster, by name
    assert h800["quota_headroom"] == {"ack-sh-prod-canary": 16, "ack-sh-prod": 24}
    assert a100["cost_per_month"] == {"steady": 22192.0, "peak": 22192.0}   # 1.90 × 8 × 730 × 2 clusters
    t4 = reported["environments"]["dev"]["pools"]["t4"]
    assert t4["oversubscription"] == 1.5 and t4["quota_headroom"] == {"ack-hz-dev": 16}   # 16 × 1.5 − 8
    assert reported["environments"]["prod-sh"]["hours_per_month"] == 730


def test_manifest_holds_the_same_figures_and_each_target_s_gpus(example, reported):
    manifest = json.loads((example / "out/manifest.json").read_text())
    for env, block in manifest["capacity"].items():
        expected = dict(reported["environments"][env])
        del expected["workloads"]
        assert block == expected
    train = next(t for t in manifest["targets"] if t["folder"] == "prod-sh/cv-shoe-identify/job-train-vit-ddp")
    assert train["gpus"] == [{"kind": "PyTorchJob", "name": "train-vit-ddp", "pool": "h800", "min": 32, "max": 32,
                              "steady": False, "detail": "Master 1 × 8 GPU + Worker 3 × 8 GPU"}]
    dataset = next(t for t in manifest["targets"] if t["kind"] == "Dataset")
    assert "gpus" not in dataset


def test_partial_compile_keeps_the_manifest_figures_whole(example, tmp_path):
    repo = tmp_path / "config"
    shutil.copytree(example, repo)
    whole = (repo / "out/manifest.json").read_bytes()
    assert run(repo, "compile", "--env", "prod-sh", "--project", "cv-shoe-identify").exit_code == 0
    assert (repo / "out/manifest.json").read_bytes() == whole


def test_capacity_text_and_env_filter(example):
    result = run(example, "capacity", "--env", "prod-sh")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Environment prod-sh (clusters ack-sh-prod-canary, ack-sh-prod)" in out and "Environment dev" not in out
    assert [" ".join(line.split()) for line in out.splitlines() if line.strip().startswith(("a100", "h800"))] == [
        "a100 ack-sh-prod-canary 32, ack-sh-prod 32 8 16 ack-sh-prod-canary 16, ack-sh-prod 16 2–8 8 "
        "ack-sh-prod-canary 24, ack-sh-prod 24 1.90 22,192.00 22,192.00",   # × 2 clusters
        "h800 ack-sh-prod-canary 56, ack-sh-prod 64 8 40 ack-sh-prod-canary 16, ack-sh-prod 24 0 40 "
        "ack-sh-prod-canary 16, ack-sh-prod 24 3.20 0.00 186,880.00"]
    assert "cv-shoe-identify/job.train-vit-ddp" in out and "Master 1 × 8 GPU + Worker 3 × 8 GPU" in out


def test_capacity_markdown(example):
    result = run(example, "capacity", "--format", "markdown", "--env", "dev")
    assert result.exit_code == 0, result.output
    assert "| t4 | 16 | 4 | 8 | 16 (×1.5) | 2–3 | 7 | 9 | 0.35 | 766.50 | 1,788.50 |" in result.output
    assert result.output.count("<details>") == result.output.count("</details>") == 1


def test_capacity_of_an_unknown_environment_is_an_error(example):
    result = run(example, "capacity", "--env", "prod")
    assert result.exit_code == 1 and "--env prod: no such environment" in result.output
