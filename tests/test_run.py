"""`strata run` against the Kubernetes API double and the Argo Server double, driven through the real
`kubernetes` and `argo-workflows` clients. No real cluster or Argo Server was available."""
from __future__ import annotations

import copy
import json

import pytest
from run_fixture import cluster
from test_plan_support import git

from compiler.merge.targets_of import Selection
from compiler.pipeline import load_stage, render_stage
from compiler.run.model import COMMIT_LABEL, RUN_LABEL, USER_LABEL

RUN_LABELS = {RUN_LABEL, COMMIT_LABEL, USER_LABEL}


@pytest.fixture
def env(tmp_path):
    with cluster(tmp_path) as found:
        yield found


def compiled(repo, identity: str, kind: str, env: str = "dev") -> dict:
    build = render_stage(load_stage(repo, Selection((env,), ("demo",))))
    return next(e.obj for e in build.emitted if e.target is not None and e.target.identity == identity
                and e.obj["kind"] == kind)


def without_name_and_labels(obj: dict) -> dict:
    obj = copy.deepcopy(obj)
    meta = obj["metadata"]
    for key in ("name", "generateName", "labels"):
        meta.pop(key, None)
    return obj


# --- jobs ------------------------------------------------------------------------------------------

def test_a_job_run_is_the_compiled_job_apart_from_its_name_and_the_run_labels(env):
    code, doc = env.run_json("demo/Job/train")
    assert code == 0
    committed = compiled(env.repo, "demo/Job/train", "PyTorchJob")
    sent = doc["object"]
    assert json.dumps(without_name_and_labels(sent)) == json.dumps(without_name_and_labels(committed))   # byte for byte
    assert sent["metadata"]["generateName"] == "train-"
    labels = sent["metadata"]["labels"]
    assert set(labels) - set(committed["metadata"]["labels"]) == RUN_LABELS
    assert {k: labels[k] for k in committed["metadata"]["labels"]} == committed["metadata"]["labels"]
    head = git(env.repo, "rev-parse", "HEAD").strip()
    assert labels[COMMIT_LABEL] == head and labels[USER_LABEL] == "plan_test"       # plan@test, as a label value
    stored = env.kube.object("PyTorchJob", "demo-dev", doc["run"]["name"])
    assert stored["metadata"]["labels"] == labels and stored["spec"] == committed["spec"]
    assert "applyset.kubernetes.io/part-of" not in labels     # a run is no ApplySet member: apply never prunes it


def test_a_batch_job_run_and_the_text_output(env):
    result = env.run("demo/job/prep", "--user", "alice@example.com")
    assert result.exit_code == 0, result.output
    [job] = env.kube.objects("Job")
    assert job["metadata"]["name"].startswith("prep-")
    lines = result.output.splitlines()
    assert lines[0] == f"demo/Job/prep in dev: Job demo-dev/{job['metadata']['name']} created"
    assert lines[1].startswith("  run ") and lines[1].endswith(" · user alice@example.com")
    assert job["metadata"]["labels"][USER_LABEL] == "alice_example.com"


def test_a_scheduled_job_runs_its_cron_once(env):
    env.apply()
    code, doc = env.run_json("demo/Job/nightly")
    assert code == 0, doc
    workflow = env.kube.object("Workflow", "demo-dev", doc["run"]["name"])
    cron = env.kube.object("CronWorkflow", "demo-dev", "nightly")
    assert workflow["spec"] == cron["spec"]["workflowSpec"]
    assert workflow["metadata"]["labels"]["workflows.argoproj.io/cron-workflow"] == "nightly"
    assert workflow["metadata"]["ownerReferences"][0]["uid"] == cron["metadata"]["uid"]
    assert doc["run"]["note"] == "runs CronWorkflow nightly once (the cluster's is the compiled one)"


# --- pipelines -------------------------------------------------------------------------------------

def test_a_pipeline_run_through_the_kubernetes_api_references_the_applied_template(env):
    env.apply()
    code, doc = env.run_json("demo/Pipeline/flow", "--set", "params[epochs].default=5")
    assert code == 0, doc
    workflow = env.kube.object("Workflow", "demo-dev", doc["run"]["name"])
    assert workflow["spec"] == {"workflowTemplateRef": {"name": "flow"},
                                "arguments": {"parameters": [{"name": "epochs", "value": "5"}]}}
    assert workflow["metadata"]["labels"]["workflows.argoproj.io/workflow-template"] == "flow"
    assert doc["run"]["via"] == "kubernetes" and doc["settings"] == ["params[epochs].default=5"]


def test_a_pipeline_whose_template_is_not_in_the_cluster_runs_the_compiled_spec_inline(env):
    code, doc = env.run_json("demo/Pipeline/flow")
    assert code == 0
    workflow = env.kube.object("Workflow", "demo-dev", doc["run"]["name"])
    template = compiled(env.repo, "demo/Pipeline/flow", "WorkflowTemplate")
    assert workflow["spec"] == template["spec"]
    assert doc["run"]["note"] == "carries the compiled spec inline: WorkflowTemplate flow is not in the cluster (not applied yet)"


def test_a_step_changed_by_set_is_not_run_from_the_clusters_template(env):
    env.apply()
    code, doc = env.run_json("demo/Pipeline/flow", "--set", "steps[fetch].container.image=reg.dev.local/demo/fetch:1.1")
    assert code == 0
    workflow = env.kube.object("Workflow", "demo-dev", doc["run"]["name"])
    assert "workflowTemplateRef" not in workflow["spec"]
    assert workflow["spec"]["templates"][1]["container"]["image"] == "reg.dev.local/demo/fetch:1.1"
    assert doc["run"]["note"] == ("carries the compiled spec inline: the cluster's WorkflowTemplate flow differs "
                                  "from the compiled one (/spec/templates)")     # a list without keys: compared whole


def test_a_pipeline_run_through_the_argo_server_sdk(tmp_path):
    with cluster(tmp_path, argo=True) as env:
        env.apply()
        code, doc = env.run_json("demo/Pipeline/flow", "--argo-server", env.argo.url, "--set", "params[epochs].default=7")
        assert code == 0, doc
        assert doc["run"]["via"] == "argo-server" and doc["run"]["submitFrom"] == ["WorkflowTemplate", "flow"]
        submits = [r for r in env.argo.requests if r[1] == "/api/v1/workflows/demo-dev/submit"]
        assert len(submits) == 1
        workflow = env.kube.object("Workflow", "demo-dev", doc["run"]["name"])
        assert workflow["spec"] == {"workflowTemplateRef": {"name": "flow"},
                                    "arguments": {"parameters": [{"name": "epochs", "value": "7"}]}}
        labels = workflow["metadata"]["labels"]
        assert labels["workflows.argoproj.io/workflow-template"] == "flow"
        assert set(RUN_LABELS) <= set(labels) and labels["strata.dev/resource"] == "pipeline.flow"
        assert [m for m, *_ in env.kube.writes() if m == "POST"] == []    # the Argo Server created it, not strata


def test_the_environments_argo_server_creates_an_inline_run_and_scheduled_jobs_submit_from_cron(tmp_path):
    with cluster(tmp_path, argo=True) as env:
        dev = (env.repo / "environments/dev.yaml")
        dev.write_text(dev.read_text() + f"argoServer: {{url: \"{env.argo.url}\"}}\n")
        git(env.repo, "commit", "-qam", "argo server")
        code, doc = env.run_json("demo/Pipeline/flow")             # not applied: inline, through CreateWorkflow
        assert code == 0, doc
        assert doc["run"]["submitFrom"] is None and doc["run"]["argoServer"] == env.argo.url
        assert ("POST", "/api/v1/workflows/demo-dev", {}) in env.argo.requests
        env.apply()
        code, doc = env.run_json("demo/Job/nightly")
        assert code == 0 and doc["run"]["submitFrom"] == ["CronWorkflow", "nightly"]
        workflow = env.kube.object("Workflow", "demo-dev", doc["run"]["name"])
        assert workflow["metadata"]["labels"]["workflows.argoproj.io/cron-workflow"] == "nightly"


def test_an_argo_server_that_is_not_the_environments_is_refused(tmp_path):
    with cluster(tmp_path, argo=True) as env:
        dev = (env.repo / "environments/dev.yaml")
        dev.write_text(dev.read_text() + "argoServer: {url: \"https://argo.dev.example.com\"}\n")
        result = env.run("demo/Pipeline/flow", "--argo-server", env.argo.url)
        assert result.exit_code == 3
        assert "is not environment dev's Argo Server (https://argo.dev.example.com)" in result.output


# --- --set ---------------------------------------------------------------------------------------

def test_set_of_an_allowed_field_changes_the_run_and_shows_where_it_came_from(env):
    result = env.run("demo/Job/train", "--set", "resources.gpu=2", "--set", "env[LR].value=3e-4")
    assert result.exit_code == 0, result.output
    [job] = env.kube.objects("PyTorchJob")
    container = job["spec"]["pytorchReplicaSpecs"]["Master"]["template"]["spec"]["containers"][0]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "2"
    assert {"name": "LR", "value": "3e-4"} in container["env"]
    assert ("  resources.gpu = 2\n    set by   --set resources.gpu=2\n    overrode projects/demo/train.yaml:8:44 (resource)\n"
            "  env[LR].value = 3e-4\n    set by   --set env[LR].value=3e-4\n") in result.output


@pytest.mark.parametrize(("setting", "message"), [
    ("activeDeadline=4h", "--set activeDeadline=4h: activeDeadline is locked by environments/dev.yaml:8:10 "
                          "(environment dev) (Job.activeDeadline) to '2h'; this layer may not change it"),
    ("image=reg.dev.local/demo/train:latest", "--set image=reg.dev.local/demo/train:latest: demo/Job/train in dev: "
                                              "image 'reg.dev.local/demo/train:latest' is not pinned"),
    ("resources.gpu=8", "projects/demo/project.yaml:6:49: project demo in dev: over quota: gpu t4 requested 8 > quota 4 "
                        "(over by 4) by Job/train 8"),
])
def test_set_refused_by_a_lock_a_policy_or_the_gpu_quota(env, setting, message):
    result = env.run("demo/Job/train", "--set", setting)
    assert result.exit_code == 1
    assert message in result.output
    assert f"nothing was written (no run was started in dev; compiled with --set {setting})" in result.output
    assert env.kube.objects("PyTorchJob") == [] and env.kube.writes() == []


def test_set_of_an_undeclared_pipeline_param_is_refused(env):
    result = env.run("demo/Pipeline/flow", "--set", "params[epoch].default=5")
    assert result.exit_code == 1
    assert "--set: pipeline flow declares no param 'epoch'; did you mean 'epochs'?" in result.output


# --- guards and dry run ----------------------------------------------------------------------------

def test_the_wrong_cluster_is_refused_before_anything_is_created(tmp_path):
    with cluster(tmp_path, cluster_name="prod-cluster") as env:
        result = env.run("demo/Job/train")
        assert result.exit_code == 3
        assert "wrong cluster: environment dev is applied to dev-cluster" in result.output
        assert env.kube.writes() == []


def test_a_dirty_tree_is_refused_where_the_environment_does_not_allow_it(tmp_path):
    with cluster(tmp_path, cluster_name="staging-cluster") as env:
        (env.repo / "projects/demo/prep.yaml").write_text((env.repo / "projects/demo/prep.yaml").read_text() + "\n# wip\n")
        refused = env.run("demo/Job/prep", env="staging")
        assert refused.exit_code == 3
        assert "the working tree has uncommitted changes; environment staging runs only committed config" in refused.output
        allowed = env.run("demo/Job/prep", "--allow-dirty", env="staging")
        assert allowed.exit_code == 0, allowed.output
        [job] = env.kube.objects("Job")
        assert job["metadata"]["labels"][COMMIT_LABEL].endswith("-dirty")


def test_dev_allows_a_dirty_tree(env):
    (env.repo / "projects/demo/prep.yaml").write_text((env.repo / "projects/demo/prep.yaml").read_text() + "\n# wip\n")
    assert env.run("demo/Job/prep").exit_code == 0


def test_dry_run_prints_the_object_and_the_servers_answer_and_creates_nothing(env):
    result = env.run("demo/Job/prep", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "generateName: prep-" in result.output
    assert "(server dry run: accepted, nothing stored)" in result.output
    assert env.kube.objects("Job") == []
    assert [q.get("dryRun") for m, _, q in env.kube.requests if m == "POST"] == ["All"]


def test_only_jobs_and_pipelines_run(env):
    result = env.run("demo/Dataset/x")
    assert result.exit_code == 1 and "strata run starts a Job or a Pipeline; a Dataset is delivered by apply" in result.output
    result = env.run("demo/Job/trian")
    assert "no such resource deployed to environment dev; did you mean 'demo/Job/train'?" in result.output


def test_dry_run_through_the_argo_server_stores_nothing(tmp_path):
    with cluster(tmp_path, argo=True) as env:
        env.apply()
        code, doc = env.run_json("demo/Pipeline/flow", "--argo-server", env.argo.url, "--dry-run")
        assert code == 0 and doc["dryRun"] is True
        assert doc["server"]["metadata"]["name"].startswith("flow-")
        assert doc["object"]["spec"]["workflowTemplateRef"] == {"name": "flow"}
        assert env.kube.objects("Workflow") == []
