"""`strata apply` against the Kubernetes API double: create, idempotence, one change, dry run,
conflicts, missing CRDs, dependants of a failure. No real API server was available."""
from __future__ import annotations

import pytest
from apply_fixture import apply, apply_json, cluster, make_repo, statuses, write
from kube_double import KubeDouble

from compiler.apply.applyset import PART_OF, TOOLING, applyset_id, group_id, parent_name


@pytest.fixture
def env(tmp_path):
    with cluster(tmp_path) as found:
        yield found


def test_first_apply_creates_everything_as_members_of_the_project_applyset(env):
    repo, kube, config = env
    result = apply(repo, config)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "Apply: 10 created, 0 configured, 0 unchanged, 0 pruned, 0 failed."
    assert "+ PyTorchJob.kubeflow.org demo-dev/ddp  created" in result.output
    job = kube.object("PyTorchJob", "demo-dev", "ddp")
    assert job["metadata"]["labels"][PART_OF] == group_id("dev", "demo")
    assert [e["manager"] for e in job["metadata"]["managedFields"]] == ["strata"]
    parent = kube.object("ConfigMap", "strata-system", parent_name("dev", "demo"))
    assert parent["metadata"]["labels"]["applyset.kubernetes.io/id"] == group_id("dev", "demo")
    notes = parent["metadata"]["annotations"]
    assert notes["applyset.kubernetes.io/tooling"] == TOOLING
    assert notes["applyset.kubernetes.io/contains-group-kinds"] == (
        "Job.batch,LimitRange,Namespace,Notebook.kubeflow.org,PersistentVolume,PersistentVolumeClaim,"
        "PyTorchJob.kubeflow.org,ResourceQuota,RoleBinding.rbac.authorization.k8s.io")
    assert notes["applyset.kubernetes.io/additional-namespaces"] == "demo-dev"


def test_objects_are_applied_in_dependency_order(env):
    repo, kube, config = env
    apply(repo, config)
    patched = [path.split("/")[-2] for method, path, _ in kube.writes() if method == "PATCH"]
    order = [p for p in patched if p in ("namespaces", "resourcequotas", "persistentvolumeclaims", "pytorchjobs",
                                         "notebooks")]
    assert order == ["namespaces", "namespaces", "resourcequotas", "persistentvolumeclaims",
                     "persistentvolumeclaims", "pytorchjobs", "notebooks"]   # strata-system, then the project's


def test_second_apply_changes_nothing_and_writes_nothing(env):
    repo, kube, config = env
    apply(repo, config)
    kube.reset_requests()
    code, doc = apply_json(repo, config)
    assert code == 0
    assert set(statuses(doc).values()) == {"unchanged"}
    assert kube.writes() == []
    assert kube.counts() == {"GET": kube.counts()["GET"]}      # reads only: discovery and one LIST per kind
    assert doc["requests"] == {"GET": kube.counts()["GET"]}


def test_one_changed_field_costs_one_patch(env):
    repo, kube, config = env
    apply(repo, config)
    write(repo, "projects/demo/lab.yaml", """
        kind: Notebook
        name: lab
        spec:
          image: ${env.vars.registry}/jupyter:1.1
          resources: {cpu: "2", memory: 8Gi}
          workspace: {size: 20Gi}
        """)
    kube.reset_requests()
    result = apply(repo, config)
    assert result.exit_code == 0
    assert "~ Notebook.kubeflow.org demo-dev/lab  configured" in result.output
    assert '~ /spec/template/spec/containers/0/image: "reg.dev.local/jupyter:1.0" → "reg.dev.local/jupyter:1.1"' \
        in result.output
    assert result.output.splitlines()[-1] == "Apply: 0 created, 1 configured, 9 unchanged, 0 pruned, 0 failed."
    assert [(m, p.rsplit("/", 1)[-1]) for m, p, _ in kube.writes()] == [("PATCH", "lab")]
    image = kube.object("Notebook", "demo-dev", "lab")["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == "reg.dev.local/jupyter:1.1"


def test_dry_run_asks_the_server_and_changes_nothing(env):
    repo, kube, config = env
    result = apply(repo, config, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "+ Namespace demo-dev  would be created" in result.output
    assert "not checked by the server: its namespace is created by this apply" in result.output
    assert result.output.splitlines()[-1].endswith("Nothing was changed.")
    assert kube.store.objects == {} and kube.writes() == []
    apply(repo, config)
    write(repo, "projects/demo/lab.yaml", (repo / "projects/demo/lab.yaml").read_text().replace("1.0", "2.0"))
    kube.reset_requests()
    result = apply(repo, config, "--dry-run")
    assert "~ Notebook.kubeflow.org demo-dev/lab  would be configured" in result.output
    assert [(m, q.get("dryRun")) for m, _, q in kube.requests if m != "GET"] == [("PATCH", "All")]
    assert "1.0" in str(kube.object("Notebook", "demo-dev", "lab")["spec"])


def test_a_conflict_names_the_other_manager_and_force_takes_the_field(env):
    repo, kube, config = env
    apply(repo, config)
    kube.edit("ResourceQuota", "demo-dev", "project-quota", {"spec": {"hard": {"requests.cpu": "128"}}})
    result = apply(repo, config)
    assert result.exit_code == 1
    assert ("! ResourceQuota demo-dev/project-quota  failed: conflict: .spec.hard.requests.cpu managed by "
            "kubectl-edit (--force-conflicts takes them over)") in result.output
    assert result.output.splitlines()[-1] == "Apply: 0 created, 0 configured, 9 unchanged, 0 pruned, 1 failed."
    assert kube.object("ResourceQuota", "demo-dev", "project-quota")["spec"]["hard"]["requests.cpu"] == "128"
    result = apply(repo, config, "--force-conflicts")
    assert result.exit_code == 0, result.output
    quota = kube.object("ResourceQuota", "demo-dev", "project-quota")
    assert quota["spec"]["hard"]["requests.cpu"] == "64"
    assert [e["manager"] for e in quota["metadata"]["managedFields"]] == ["strata"]   # kubectl-edit lost its only field


def test_a_missing_crd_is_named_and_nothing_is_written(tmp_path):
    repo = make_repo(tmp_path / "repo")
    with KubeDouble(without=("kubeflow.org/v1",)) as kube:
        result = apply(repo, kube.kubeconfig(tmp_path))
        assert result.exit_code == 1
        assert "the cluster does not serve kubeflow.org/v1 (needed for Notebook): install the CRD " \
               "notebooks.kubeflow.org" in result.output
        assert "install the CRD pytorchjobs.kubeflow.org" in result.output
        assert kube.writes() == []


def test_a_served_group_without_the_kind_names_the_crd(tmp_path):
    repo = make_repo(tmp_path / "repo")
    with KubeDouble(without=("Notebook",)) as kube:
        result = apply(repo, kube.kubeconfig(tmp_path))
        assert result.exit_code == 1
        assert "serves kubeflow.org/v1 but not the kind Notebook: the CRD notebooks.kubeflow.org is missing" \
            in result.output
        assert kube.writes() == []


def test_objects_that_need_a_failed_object_are_skipped_and_reported(env):
    repo, kube, config = env
    apply(repo, config)
    kube.edit("Namespace", "", "demo-dev", {"metadata": {"labels": {"strata.dev/project": "someone-else"}}})
    write(repo, "projects/demo/lab.yaml", (repo / "projects/demo/lab.yaml").read_text().replace("1.0", "2.0"))
    code, doc = apply_json(repo, config)
    assert code == 1
    found = statuses(doc)
    assert found["Namespace demo-dev"] == "failed"
    assert found["Notebook demo-dev/lab"] == "skipped"
    assert found["PyTorchJob demo-dev/ddp"] == "unchanged"     # nothing to write: not held back
    lab = next(o for o in doc["objects"] if o["name"] == "lab" and o["kind"] == "Notebook")
    assert lab["detail"] == "needs Namespace demo-dev, which failed"
    result = apply(repo, kube.kubeconfig(repo.parent))
    assert "1 skipped because an object they need failed." in result.output


def test_applyset_ids_follow_kubectl():
    import base64
    import hashlib

    digest = hashlib.sha256(b"dev.demo.strata-system.ConfigMap.").digest()
    assert applyset_id("dev.demo") == "applyset-" + base64.urlsafe_b64encode(digest).decode().rstrip("=") + "-v1"
    assert parent_name("dev", "_platform").startswith("dev.platform-")
    assert parent_name("dev", "_platform") != parent_name("dev", "platform")
