"""`strata plan --live`: drift between the compiled objects and the cluster, in the plan formats."""
from __future__ import annotations

import json

import pytest
from apply_fixture import apply, cluster, strata, write

CHANGES = 2


@pytest.fixture
def env(tmp_path):
    with cluster(tmp_path) as found:
        yield found


def live(repo, config, *args):
    return strata(repo, "plan", "--live", "--env", "dev", "--kubeconfig", str(config), *args)


def test_an_empty_cluster_plans_every_object_as_an_add(env):
    repo, kube, config = env
    result = live(repo, config, "--detailed-exitcode")
    assert result.exit_code == CHANGES
    assert result.output.startswith(f"strata plan --live: environment dev on context ci ({kube.url})")
    assert "Plan: 10 to add, 0 to change, 0 to destroy." in result.output
    assert kube.writes() == []


def test_no_drift_after_an_apply(env):
    repo, _kube, config = env
    apply(repo, config)
    result = live(repo, config, "--detailed-exitcode")
    assert result.exit_code == 0, result.output
    assert "No changes. The cluster matches the compiled objects (the fields strata manages)." in result.output


def test_drift_is_reported_with_the_manager_that_made_it(env):
    repo, kube, config = env
    apply(repo, config)
    kube.edit("ResourceQuota", "demo-dev", "project-quota", {"spec": {"hard": {"requests.cpu": "128"}}})
    kube.edit("Notebook", "demo-dev", "lab", {"spec": {"template": {"spec": {"nodeName": "gpu-7"}}}})  # not strata's
    result = live(repo, config, "--detailed-exitcode")
    assert result.exit_code == CHANGES
    assert ("~ v1 ResourceQuota demo-dev/project-quota  (changed fields are managed by kubectl-edit)"
            in result.output)
    assert '~ /spec/hard/requests.cpu: "128" → "64"' in result.output
    assert "Notebook" not in result.output
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in result.output


def test_drift_in_markdown_and_json(env, tmp_path):
    repo, kube, config = env
    apply(repo, config)
    kube.edit("ResourceQuota", "demo-dev", "project-quota", {"spec": {"hard": {"requests.cpu": "128"}}})
    write(repo, "projects/demo/ddp.yaml", None)
    result = live(repo, config, "--format", "markdown", "--out", str(tmp_path / "drift.json"))
    assert result.output.startswith(f"#### strata plan --live: environment dev on context ci ({kube.url})")
    doc = json.loads((tmp_path / "drift.json").read_text())
    assert doc["base"] is None and doc["summary"] == {"add": 0, "change": 1, "destroy": 1, "changes": True}
    quota = next(e for e in doc["entries"] if e["kind"] == "ResourceQuota")
    assert quota["changes"] == [{"path": "/spec/hard/requests.cpu", "old": "128", "new": "64"}]
    assert quota["note"] == "changed fields are managed by kubectl-edit"
    assert quota["caused_by"]["source"] == "projects/demo/project.yaml:1:1"
    job = next(e for e in doc["entries"] if e["kind"] == "PyTorchJob")
    assert job["change"] == "destroy" and job["note"] == "deleted by apply --prune"
    assert "managedFields" not in json.dumps(job["before"])
    assert {o["action"] for o in doc["live"]["objects"]} == {"unchanged", "configure", "prune"}


def test_live_needs_one_environment(env):
    repo, _, config = env
    result = strata(repo, "plan", "--live", "--kubeconfig", str(config))
    assert result.exit_code == 1 and "give exactly one --env" in result.output
    result = strata(repo, "plan", "--live", "--base", "main", "--env", "dev")
    assert result.exit_code == 1 and "give exactly one of --base REF and --live" in result.output


def test_live_refuses_the_wrong_cluster(env, tmp_path):
    repo, kube, _ = env
    result = live(repo, kube.kubeconfig(tmp_path, cluster="prod", context="prod"))
    assert result.exit_code == 3 and "wrong cluster" in result.output
