"""What apply refuses (exit 3, before any write) and what prune never deletes."""
from __future__ import annotations

import json

import pytest
from apply_fixture import apply, apply_json, cluster, strata, write

from compiler.apply.applyset import PART_OF, group_id

GUARD = 3


@pytest.fixture
def env(tmp_path):
    with cluster(tmp_path, applied=True) as found:
        yield found


# pruning -------------------------------------------------------------------------------------

def test_prune_deletes_a_removed_object_and_only_with_prune(env):
    repo, kube, config = env
    write(repo, "projects/demo/ddp.yaml", None)
    result = apply(repo, config)
    assert result.exit_code == 0
    assert "1 object(s) no longer compiled were left in place (--prune deletes them)." in result.output
    assert kube.object("PyTorchJob", "demo-dev", "ddp") is not None
    result = apply(repo, config, "--prune")
    assert result.exit_code == 0, result.output
    assert "- PyTorchJob.kubeflow.org demo-dev/ddp  pruned" in result.output
    assert result.output.splitlines()[-1] == "Apply: 0 created, 0 configured, 9 unchanged, 1 pruned, 0 failed."
    assert kube.object("PyTorchJob", "demo-dev", "ddp") is None
    parent = kube.objects("ConfigMap")[0]
    assert "PyTorchJob" not in parent["metadata"]["annotations"]["applyset.kubernetes.io/contains-group-kinds"]
    deletes = [q for m, p, q in kube.writes() if m == "DELETE"]
    assert len(deletes) == 1


def test_prune_never_deletes_an_object_without_our_membership(env):
    repo, kube, config = env
    stranger = {"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "notes", "namespace": "demo-dev",
                             "labels": {"strata.dev/environment": "dev", "app.kubernetes.io/managed-by": "strata"}}}
    kube.create(stranger)
    code, doc = apply_json(repo, config, "--prune")
    assert code == 0 and doc["summary"]["pruned"] == 0
    assert kube.object("ConfigMap", "demo-dev", "notes") is not None


def test_prune_never_deletes_a_member_strata_never_applied(env):
    repo, kube, config = env
    # an operator copied the label onto an object it made (kubernetes-sigs/kro#1153)
    copied = {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
              "metadata": {"name": "copied-label", "namespace": "demo-dev",
                           "labels": {"strata.dev/environment": "dev", PART_OF: group_id("dev", "demo")}},
              "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}
    kube.create(copied, manager="some-operator")
    code, doc = apply_json(repo, config, "--prune")
    assert code == 0 and doc["summary"]["pruned"] == 0
    assert doc["kept"] == [{"object": "PersistentVolumeClaim demo-dev/copied-label",
                            "reason": "carries demo's ApplySet label but strata never applied it (managers: some-operator)"}]
    assert kube.object("PersistentVolumeClaim", "demo-dev", "copied-label") is not None


def test_prune_never_deletes_an_object_with_an_owner_reference(env):
    repo, kube, config = env
    owner = {"apiVersion": "kubeflow.org/v1", "kind": "Notebook", "name": "lab", "uid": "1234", "controller": True}
    kube.edit("PyTorchJob", "demo-dev", "ddp", {"metadata": {"ownerReferences": [owner]}})
    write(repo, "projects/demo/ddp.yaml", None)
    result = apply(repo, config, "--prune")
    assert result.exit_code == 0, result.output
    assert ("kept PyTorchJob.kubeflow.org demo-dev/ddp: has an ownerReference (Notebook/lab): it belongs to its owner, "
            "not to the ApplySet") in result.output
    assert kube.object("PyTorchJob", "demo-dev", "ddp") is not None


def test_the_deletion_budget_refuses_before_any_write(env):
    repo, kube, config = env
    write(repo, "projects/demo/ddp.yaml", None)
    (repo / "projects/demo/train.yaml").unlink()
    write(repo, "projects/demo/lab.yaml", (repo / "projects/demo/lab.yaml").read_text().replace("1.0", "2.0"))
    result = apply(repo, config, "--prune", "--max-deletions", "1")
    assert result.exit_code == GUARD
    assert "prune would delete 2 objects, more than --max-deletions 1; nothing was deleted" in result.output
    assert kube.writes() == []
    assert apply(repo, config, "--prune", "--max-deletions", "2").exit_code == 0
    assert kube.object("Job", "demo-dev", "train") is None


def test_data_is_pruned_only_with_allow_delete_data(env):
    repo, kube, config = env
    write(repo, "projects/demo/lab.yaml", None)      # the notebook and its workspace PVC
    result = apply(repo, config, "--prune")
    assert result.exit_code == GUARD
    assert ("prune would delete data (PersistentVolumeClaim demo-dev/lab-workspace): pass --allow-delete-data"
            in result.output)
    assert kube.writes() == [] and kube.object("Notebook", "demo-dev", "lab") is not None
    result = apply(repo, config, "--prune", "--allow-delete-data")
    assert result.exit_code == 0, result.output
    assert kube.object("PersistentVolumeClaim", "demo-dev", "lab-workspace") is None
    assert kube.object("Notebook", "demo-dev", "lab") is None
    pruned = [line.split()[1] for line in result.output.splitlines() if line.endswith("pruned")]
    assert pruned == ["Notebook.kubeflow.org", "PersistentVolumeClaim"]    # reverse apply order


def test_a_namespace_is_pruned_only_with_allow_delete_data(env):
    repo, kube, config = env
    text = (repo / "projects/demo/project.yaml").read_text().replace("owner: team-demo", "owner: team-demo\nnamespace: ml")
    write(repo, "projects/demo/project.yaml", text)
    result = apply(repo, config, "--prune")
    assert result.exit_code == GUARD
    assert "Namespace demo-dev" in result.output and "--allow-delete-data" in result.output
    assert kube.writes() == []


def test_an_empty_desired_set_for_a_project_in_the_cluster_is_refused(env):
    repo, kube, config = env
    import shutil

    shutil.rmtree(repo / "projects/demo")
    write(repo, "projects/other/project.yaml", """
        kind: Project
        name: other
        owner: team-other
        environments: [dev]
        """)
    result = apply(repo, config, "--prune", "--max-deletions", "100", "--allow-delete-data")
    assert result.exit_code == GUARD
    assert "demo exists in the cluster for dev (ApplySet parent ConfigMap strata-system/dev.demo) but compiles to " \
           "nothing: refusing to prune a whole target group" in result.output
    assert kube.writes() == []
    assert kube.object("Namespace", "", "demo-dev") is not None


# the cluster ------------------------------------------------------------------------------------

def test_the_wrong_cluster_is_refused_before_any_request(env, tmp_path):
    repo, kube, _ = env
    other = kube.kubeconfig(tmp_path, cluster="prod-cluster", context="prod")
    result = apply(repo, other)
    assert result.exit_code == GUARD
    assert ("wrong cluster: environment dev is applied to dev-cluster, but kube context 'prod' points at cluster "
            f"'prod-cluster' ({kube.url})") in result.output
    assert kube.requests == []


def test_a_server_url_in_the_environment_is_what_counts(env, tmp_path):
    repo, kube, _ = env
    dev = (repo / "environments/dev.yaml").read_text()
    write(repo, "environments/dev.yaml", dev.replace("cluster: {name: dev-cluster}",
                                                     f"cluster: {{name: dev-cluster, server: '{kube.url}/'}}"))
    renamed = kube.kubeconfig(tmp_path, cluster="arn-aws-eks-dev", context="eks")
    assert apply(repo, renamed).exit_code == 0
    elsewhere = kube.kubeconfig(tmp_path, cluster="dev-cluster", context="lookalike", server="https://10.0.0.9:6443")
    result = apply(repo, elsewhere)
    assert result.exit_code == GUARD and "wrong cluster" in result.output


def test_an_applyset_of_another_tool_is_not_touched(env):
    repo, kube, config = env
    kube.edit("ConfigMap", "strata-system", "dev.demo",
              {"metadata": {"annotations": {"applyset.kubernetes.io/tooling": "kubectl/v1.31"}}})
    write(repo, "projects/demo/lab.yaml", (repo / "projects/demo/lab.yaml").read_text().replace("1.0", "2.0"))
    result = apply(repo, config)
    assert result.exit_code == GUARD
    assert "is managed by kubectl/v1.31, not strata: refusing to change it" in result.output
    assert kube.writes() == []


# saved plans ------------------------------------------------------------------------------------

def _save_plan(repo, config, path):
    result = strata(repo, "plan", "--live", "--env", "dev", "--kubeconfig", str(config), "--out", str(path))
    assert result.exit_code == 0, result.output
    return json.loads(path.read_text())


def test_a_saved_plan_applies_when_nothing_moved(env, tmp_path):
    repo, kube, config = env
    write(repo, "projects/demo/lab.yaml", (repo / "projects/demo/lab.yaml").read_text().replace("1.0", "2.0"))
    saved = _save_plan(repo, config, tmp_path / "plan.json")
    assert saved["format_version"] == "1.3" and saved["live"]["environment"] == "dev"
    assert [o["action"] for o in saved["live"]["objects"]].count("configure") == 1
    kube.set_status("PyTorchJob", "demo-dev", "ddp", {"conditions": [{"type": "Running", "status": "True"}]})
    result = apply(repo, config, "--plan", str(tmp_path / "plan.json"))    # a status update is not a change
    assert result.exit_code == 0, result.output
    assert "1 configured" in result.output.splitlines()[-1]


def test_a_saved_plan_is_stale_when_the_compile_changed(env, tmp_path):
    repo, kube, config = env
    _save_plan(repo, config, tmp_path / "plan.json")
    write(repo, "projects/demo/lab.yaml", (repo / "projects/demo/lab.yaml").read_text().replace("1.0", "2.0"))
    result = apply(repo, config, "--plan", str(tmp_path / "plan.json"))
    assert result.exit_code == GUARD
    assert ("stale plan (make a new one with `strata plan --live` and review it): what is compiled now differs from "
            "what was planned") in result.output
    assert kube.writes() == []


def test_a_saved_plan_is_stale_when_the_cluster_changed(env, tmp_path):
    repo, kube, config = env
    _save_plan(repo, config, tmp_path / "plan.json")
    kube.edit("PersistentVolumeClaim", "demo-dev", "lab-workspace",
              {"metadata": {"labels": {"strata.dev/resource": "edited"}}})
    writes = len(kube.writes())
    result = apply(repo, config, "--plan", str(tmp_path / "plan.json"))
    assert result.exit_code == GUARD
    assert "PersistentVolumeClaim demo-dev/lab-workspace changed in the cluster since the plan (resourceVersion" \
        in result.output
    assert "planned unchanged, now configure" in result.output
    assert len(kube.writes()) == writes


def test_a_plan_from_plan_base_is_not_an_apply_plan(env, tmp_path):
    repo, _, config = env
    base_plan = {"format_version": "1.1", "base": {"ref": "main"}, "entries": []}
    (tmp_path / "base.json").write_text(json.dumps(base_plan))
    result = apply(repo, config, "--plan", str(tmp_path / "base.json"))
    assert result.exit_code == 1
    assert "a plan from `strata plan --base` compares two revisions and records no cluster state" in result.output


def test_a_saved_plan_for_another_selection_is_refused(env, tmp_path):
    repo, _kube, config = env
    _save_plan(repo, config, tmp_path / "plan.json")
    result = apply(repo, config, "--plan", str(tmp_path / "plan.json"), "--project", "demo")
    assert result.exit_code == GUARD
    assert "the saved plan is for environment dev projects all, not dev projects ['demo']" in result.output
