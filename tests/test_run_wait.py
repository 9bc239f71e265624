"""`strata run --wait` and `strata runs`: following a run to its end (the tests play the controllers:
the training operator, the Job controller, Argo's workflow controller and the kubelet's logs)."""
from __future__ import annotations

import json

import pytest
from run_fixture import cluster, play

from compiler.apply import connect
from compiler.apply.discovery import Discovery
from compiler.run.follow import follow, kube_snapshots


@pytest.fixture
def env(tmp_path):
    with cluster(tmp_path) as found:
        yield found


def status(double, kind: str, value: dict):
    return lambda obj: double.set_status(kind, obj["metadata"]["namespace"], obj["metadata"]["name"], value)


def condition(kind: str, **extra) -> dict:
    return {"type": kind, "status": "True", **extra}


def test_wait_follows_a_training_job_to_success(env):
    kube = env.kube
    controller = play(kube, "PyTorchJob", "demo-dev", [
        status(kube, "PyTorchJob", {"conditions": [condition("Created")]}),
        status(kube, "PyTorchJob", {"conditions": [condition("Created"), condition("Running")],
                                    "replicaStatuses": {"Master": {"active": 1}}, "startTime": "2026-01-01T00:00:00Z"}),
        status(kube, "PyTorchJob", {"conditions": [condition("Created"), condition("Succeeded")],
                                    "replicaStatuses": {"Master": {"succeeded": 1, "active": None}},
                                    "completionTime": "2026-01-01T00:03:20Z"}),
    ])
    result = env.run("demo/Job/train", "--wait")
    controller.join()
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    name = lines[0].split("demo-dev/")[1].split()[0]
    assert lines[-4:] == ["  Pending", "  Running · pods 1 running", "  Succeeded", f"Run {name} succeeded."]


def test_wait_reports_a_failed_job_its_pod_and_its_last_log_lines(env):
    kube = env.kube

    def failing_pod(job):
        name = job["metadata"]["name"]
        kube.add_pod("demo-dev", f"{name}-x1", labels={"batch.kubernetes.io/job-name": name}, phase="Failed",
                     exit_code=1, logs={"prep": "".join(f"line {n}\n" for n in range(30)) + "KeyError: 'label'\n"})

    controller = play(kube, "Job", "demo-dev", [
        status(kube, "Job", {"active": 1, "startTime": "2026-01-01T00:00:00Z"}),
        failing_pod,
        status(kube, "Job", {"active": None, "failed": 2, "conditions": [condition(
            "Failed", reason="BackoffLimitExceeded", message="Job has reached the specified backoff limit",
            lastTransitionTime="2026-01-01T00:01:00Z")]}),
    ])
    result = env.run("demo/Job/prep", "--wait")
    controller.join()
    assert result.exit_code == 1, result.output
    [job] = kube.objects("Job")
    name = job["metadata"]["name"]
    assert f"Run {name} failed: BackoffLimitExceeded: Job has reached the specified backoff limit" in result.output
    assert f"  pod {name}-x1 (pod {name}-x1): container prep exited with 1 (Error)\n    last 20 log lines:\n" in result.output
    assert result.output.rstrip().endswith("      line 29\n      KeyError: 'label'")
    assert "line 10\n" not in result.output


def test_wait_reports_the_failed_step_of_a_pipeline(env):
    kube = env.kube

    def failed(workflow):
        name = workflow["metadata"]["name"]
        kube.add_pod("demo-dev", f"{name}-step-train-1234", labels={"workflows.argoproj.io/workflow": name},
                     annotations={"workflows.argoproj.io/node-id": f"{name}-2"}, phase="Failed",
                     logs={"main": "creating job\nfailure condition matched\n", "wait": "w\n"})
        kube.set_status("Workflow", "demo-dev", name, {"phase": "Failed", "message": "child failed", "nodes": {
            f"{name}-1": {"id": f"{name}-1", "displayName": "fetch", "type": "Pod", "phase": "Succeeded",
                          "startedAt": "2026-01-01T00:00:00Z"},
            f"{name}-2": {"id": f"{name}-2", "displayName": "train", "type": "Pod", "phase": "Failed",
                          "message": "failure condition matched", "startedAt": "2026-01-01T00:01:00Z"}}})

    def running(workflow):
        name = workflow["metadata"]["name"]
        kube.set_status("Workflow", "demo-dev", name, {"phase": "Running", "nodes": {
            f"{name}-1": {"id": f"{name}-1", "displayName": "fetch", "type": "Pod", "phase": "Running"}}})

    controller = play(kube, "Workflow", "demo-dev", [running, failed])
    result = env.run("demo/Pipeline/flow", "--wait")
    controller.join()
    assert result.exit_code == 1, result.output
    [workflow] = kube.objects("Workflow")
    name = workflow["metadata"]["name"]
    assert "  Running · pods 1 running · steps: fetch …" in result.output
    assert "  Failed · steps: fetch ✓, train ✗ · child failed" in result.output
    assert (f"  step train (pod {name}-step-train-1234): failure condition matched\n    last 2 log lines:\n"
            "      creating job\n      failure condition matched\n") in result.output


def test_wait_through_the_argo_server_polls_the_workflow(tmp_path):
    with cluster(tmp_path, argo=True) as env:
        kube = env.kube
        controller = play(kube, "Workflow", "demo-dev", [status(kube, "Workflow", {"phase": "Running"}),
                                                         status(kube, "Workflow", {"phase": "Succeeded"})])
        result = env.run("demo/Pipeline/flow", "--argo-server", env.argo.url, "--wait")
        controller.join()
        assert result.exit_code == 0, result.output
        assert result.output.splitlines()[-1].endswith("succeeded.")
        gets = [r for r in env.argo.requests if r[0] == "GET" and r[1].startswith("/api/v1/workflows/demo-dev/flow-")]
        assert gets


def test_a_watch_past_the_kept_history_reads_the_object_again(env, tmp_path):
    kube = connect(str(env.config), None)
    resource = Discovery(kube).require({("batch/v1", "Job")})[("batch/v1", "Job")]
    first = kube.create(resource.path("demo-dev"), {"apiVersion": "batch/v1", "kind": "Job",
                                                    "metadata": {"generateName": "j-"}, "spec": {}}).body
    env.kube.store.event_window = 1
    name = first["metadata"]["name"]
    for n in range(3):
        env.kube.set_status("Job", "demo-dev", name, {"active": n})
    env.kube.set_status("Job", "demo-dev", name, {"conditions": [condition("Complete")]})
    seen = []
    final = follow(kube_snapshots(kube, resource, first), seen.append)
    assert final["status"]["conditions"][0]["type"] == "Complete"
    assert len(seen) == 2          # the object as created, then as read again after 410 Gone


# --- strata runs -----------------------------------------------------------------------------------

def test_runs_lists_what_strata_started_newest_first(env):
    kube = env.kube
    assert env.run("demo/Job/prep", "--user", "alice@example.com").exit_code == 0
    assert env.run("demo/Job/train", "--user", "bob@example.com").exit_code == 0
    [job] = kube.objects("Job")
    kube.set_status("Job", "demo-dev", job["metadata"]["name"], {
        "startTime": "2026-01-01T10:00:00Z", "completionTime": "2026-01-01T10:03:20Z",
        "conditions": [condition("Complete")]})
    [training] = kube.objects("PyTorchJob")
    kube.set_status("PyTorchJob", "demo-dev", training["metadata"]["name"], {
        "startTime": "2026-01-01T11:00:00Z", "conditions": [condition("Running")]})
    kube.create({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "by-hand", "namespace": "demo-dev",
                 "labels": {"strata.dev/environment": "dev"}}, "spec": {}})          # not a run: no strata.dev/run
    result = env.runs("--env", "dev")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["RUN", "RESOURCE", "PHASE", "STARTED", "DURATION", "COMMIT", "USER"]
    assert [line.split()[:4] for line in lines[1:]] == [
        [f"demo-dev/{training['metadata']['name']}", "demo/job.train", "Running", "2026-01-01T11:00:00Z"],
        [f"demo-dev/{job['metadata']['name']}", "demo/job.prep", "Succeeded", "2026-01-01T10:00:00Z"]]
    assert lines[2].split()[4:] == ["3m20s", job["metadata"]["labels"]["strata.dev/source-commit"][:12],
                                    "alice_example.com"]
    found = env.runs("--format", "json", "--project", "demo")      # no --env: the context's environments
    runs = json.loads(found.stdout)["runs"]
    assert [(r["kind"], r["phase"], r["user"]) for r in runs] == [("PyTorchJob", "Running", "bob_example.com"),
                                                                   ("Job", "Succeeded", "alice_example.com")]


def test_runs_lists_workflows_through_the_argo_server(tmp_path):
    with cluster(tmp_path, argo=True) as env:
        assert env.run("demo/Pipeline/flow", "--argo-server", env.argo.url).exit_code == 0
        result = env.runs("--env", "dev", "--argo-server", env.argo.url)
        assert result.exit_code == 0, result.output
        assert "demo/pipeline.flow" in result.output and "Pending" in result.output
        assert any(r[1] == "/api/v1/workflows/demo-dev" and r[0] == "GET" for r in env.argo.requests)


def test_runs_guards_the_cluster(tmp_path):
    with cluster(tmp_path, cluster_name="prod-cluster") as env:
        assert env.runs("--env", "dev").exit_code == 3
        result = env.runs()
        assert result.exit_code == 1 and "points at no environment's cluster; pass --env" in result.output
