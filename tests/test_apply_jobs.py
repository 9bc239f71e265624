"""Run-to-completion objects: created if absent, never edited in place, replaced only on request."""
from __future__ import annotations

import pytest
from apply_fixture import apply, apply_json, cluster, statuses, write

SUCCEEDED = {"conditions": [{"type": "Created", "status": "True"}, {"type": "Succeeded", "status": "True"}]}
RUNNING = {"conditions": [{"type": "Created", "status": "True"}, {"type": "Running", "status": "True"}]}


@pytest.fixture
def env(tmp_path):
    with cluster(tmp_path, applied=True) as found:
        yield found


def _new_image(repo):
    text = (repo / "projects/demo/ddp.yaml").read_text()
    write(repo, "projects/demo/ddp.yaml", text.replace("ddp:1.0", "ddp:1.1"))


def _uid(kube):
    return kube.object("PyTorchJob", "demo-dev", "ddp")["metadata"]["uid"]


def test_a_changed_job_is_reported_as_replace_needed_and_left_alone(env):
    repo, kube, config = env
    uid = _uid(kube)
    _new_image(repo)
    kube.reset_requests()
    result = apply(repo, config)
    assert result.exit_code == 0, result.output
    assert ("? PyTorchJob.kubeflow.org demo-dev/ddp  replace needed: a run-to-completion object with a changed spec: "
            "replaced only with --recreate-jobs") in result.output
    assert "1 run-to-completion object(s) need replacing (--recreate-jobs)." in result.output
    assert _uid(kube) == uid and kube.writes() == []


def test_a_running_job_is_not_replaced_unless_forced(env):
    repo, kube, config = env
    kube.set_status("PyTorchJob", "demo-dev", "ddp", RUNNING, manager="training-operator")
    uid = _uid(kube)
    _new_image(repo)
    code, doc = apply_json(repo, config, "--recreate-jobs")
    assert code == 0 and statuses(doc)["PyTorchJob demo-dev/ddp"] == "replace needed"
    assert "still running" in next(o["detail"] for o in doc["objects"] if o["name"] == "ddp")
    assert _uid(kube) == uid
    code, doc = apply_json(repo, config, "--recreate-jobs", "--force-conflicts")
    assert code == 0 and statuses(doc)["PyTorchJob demo-dev/ddp"] == "replaced"
    assert _uid(kube) != uid


def test_a_finished_job_is_replaced_with_recreate_jobs(env):
    repo, kube, config = env
    kube.set_status("PyTorchJob", "demo-dev", "ddp", SUCCEEDED, manager="training-operator")
    uid = _uid(kube)
    _new_image(repo)
    kube.store.terminating_reads = 2          # foreground deletion takes a moment
    result = apply(repo, config, "--recreate-jobs")
    assert result.exit_code == 0, result.output
    assert "± PyTorchJob.kubeflow.org demo-dev/ddp  replaced: deleted and created again" in result.output
    job = kube.object("PyTorchJob", "demo-dev", "ddp")
    assert job["metadata"]["uid"] != uid and "ddp:1.1" in str(job["spec"])
    assert "status" not in job


def test_a_finished_job_is_not_started_again(env):
    repo, kube, config = env
    kube.set_status("PyTorchJob", "demo-dev", "ddp", SUCCEEDED, manager="training-operator")
    kube.reset_requests()
    code, doc = apply_json(repo, config, "--recreate-jobs")
    assert code == 0 and statuses(doc)["PyTorchJob demo-dev/ddp"] == "unchanged"
    assert kube.writes() == []


def test_a_job_its_ttl_removed_is_not_started_again_but_a_changed_one_is(env):
    repo, kube, config = env
    kube.set_status("PyTorchJob", "demo-dev", "ddp", SUCCEEDED, manager="training-operator")
    kube.store._forget(("kubeflow.org", "pytorchjobs", "demo-dev", "ddp"))     # ttlSecondsAfterFinished ran out
    code, doc = apply_json(repo, config)
    assert code == 0 and statuses(doc)["PyTorchJob demo-dev/ddp"] == "unchanged"
    assert "ran to completion and was removed; not started again" in str(doc["objects"])
    assert kube.object("PyTorchJob", "demo-dev", "ddp") is None
    _new_image(repo)
    code, doc = apply_json(repo, config)
    assert code == 0 and statuses(doc)["PyTorchJob demo-dev/ddp"] == "created"


def test_labels_of_a_job_change_in_place(env):
    repo, kube, config = env
    uid = _uid(kube)
    kube.edit("PyTorchJob", "demo-dev", "ddp", {"metadata": {"labels": {"strata.dev/resource": None}}})
    code, doc = apply_json(repo, config)
    assert code == 0 and statuses(doc)["PyTorchJob demo-dev/ddp"] == "configured"
    assert _uid(kube) == uid
