"""What one apply covers: a --project selection, environment-wide target groups, objects someone
else made, and the edges of the command line (kubeconfig, an unreachable cluster)."""
from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from apply_fixture import apply, apply_json, cluster, make_repo, statuses, strata, write
from factories import make_env
from kube_double import KubeDouble

from compiler.apply.applyset import PART_OF, group_id, parent_name
from compiler.apply.desired import desired_set
from compiler.apply.guards import env_clusters
from compiler.targets import Emitted
from schemas.environment import Cluster, EnvironmentSettings

OTHER = """
    kind: Project
    name: other
    owner: team-other
    environments: [dev]
    """


@pytest.fixture
def env(tmp_path):
    with cluster(tmp_path, {"projects/other/project.yaml": OTHER}) as found:
        yield found


def test_a_project_selection_applies_and_prunes_only_that_project(env):
    repo, kube, config = env
    code, doc = apply_json(repo, config, "--project", "other")
    assert code == 0 and {o["target_group"] for o in doc["objects"]} == {"other"}
    assert kube.object("Namespace", "", "demo-dev") is None
    apply(repo, config)
    write(repo, "projects/demo/ddp.yaml", None)
    write(repo, "projects/other/project.yaml", OTHER.replace("team-other", "team-x"))
    code, doc = apply_json(repo, config, "--project", "other", "--prune")
    assert code == 0 and doc["summary"]["pruned"] == 0 and doc["summary"]["configured"] == 1
    assert kube.object("PyTorchJob", "demo-dev", "ddp") is not None


def test_every_project_has_its_own_applyset(env):
    repo, kube, config = env
    apply(repo, config)
    assert {c["metadata"]["name"] for c in kube.objects("ConfigMap")} == {"dev.demo", "dev.other"}
    assert kube.object("Namespace", "", "other-dev")["metadata"]["labels"][PART_OF] == group_id("dev", "other")


def test_an_environment_wide_group_is_just_another_applyset():
    env = make_env("dev")
    flavor = {"apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "ResourceFlavor", "metadata": {"name": "t4"}}
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo-dev"}}
    found = desired_set(env, (), [Emitted("dev", "demo", "project.demo", "dev/demo", namespace),
                                  Emitted("dev", "_platform", "platform", "dev/_platform", flavor)])
    assert [(d.group, d.ref.kind) for d in found.objects] == [("_platform", "ResourceFlavor"), ("demo", "Namespace")]
    labels = found.objects[0].obj["metadata"]["labels"]
    assert labels[PART_OF] == group_id("dev", "_platform") != group_id("dev", "demo")
    assert parent_name("dev", "_platform").startswith("dev.platform-")


def test_an_object_in_two_groups_is_an_error():
    env = make_env("dev")
    flavor = {"apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "ResourceFlavor", "metadata": {"name": "t4"}}
    from compiler.errors import StrataError

    with pytest.raises(StrataError, match="emitted by both a and b"):
        desired_set(env, (), [Emitted("dev", "a", "project.a", "dev/a", flavor),
                              Emitted("dev", "b", "project.b", "dev/b", flavor)])


def test_an_object_someone_else_made_is_adopted_through_apply(env):
    repo, kube, config = env
    apply(repo, config, "--project", "other")
    apply(repo, config, "--project", "demo")
    kube.store._forget(("kubeflow.org", "notebooks", "demo-dev", "lab"))
    handmade = {"apiVersion": "kubeflow.org/v1", "kind": "Notebook",
                "metadata": {"name": "lab", "namespace": "demo-dev"},
                "spec": {"template": {"spec": {"containers": [{"name": "lab", "image": "jupyter:old"}]}}}}
    kube.create(handmade, manager="kubectl-create")
    result = strata(repo, "plan", "--live", "--env", "dev", "--kubeconfig", str(config))
    assert "~ kubeflow.org/v1 Notebook demo-dev/lab  (changed fields are managed by kubectl-create)" in result.output
    code, doc = apply_json(repo, config)
    assert code == 1 and statuses(doc)["Notebook demo-dev/lab"] == "failed"
    assert "managed by kubectl-create" in json.dumps(doc)
    code, doc = apply_json(repo, config, "--force-conflicts")
    assert code == 0 and statuses(doc)["Notebook demo-dev/lab"] == "configured"


def test_an_environment_without_a_cluster_is_refused(env):
    repo, kube, config = env
    dev = (repo / "environments/dev.yaml").read_text().replace("cluster: {name: dev-cluster}\n", "")
    write(repo, "environments/dev.yaml", dev)
    result = apply(repo, config)
    assert result.exit_code == 3 and "environment dev declares no cluster" in result.output
    assert kube.requests == []


def test_every_listed_cluster_is_accepted():
    listed = EnvironmentSettings(clusters=[Cluster(name="a", server="https://a"), Cluster(name="b")])
    assert env_clusters(SimpleNamespace(settings=listed)) == [("a", "https://a"), ("b", "")]
    shorthand = EnvironmentSettings(cluster=Cluster(name="c", server="https://c"))
    assert env_clusters(SimpleNamespace(settings=shorthand)) == [("c", "https://c")]


def test_kubeconfig_problems_are_one_line(env, tmp_path):
    repo, _, config = env
    result = apply(repo, tmp_path / "missing")
    assert result.exit_code == 1 and "kubeconfig" in result.output and "Traceback" not in result.output
    result = strata(repo, "apply", "--env", "dev", "--kubeconfig", str(config), "--context", "nope")
    assert result.exit_code == 1 and "no context 'nope' (contexts: ci)" in result.output


def test_an_unreachable_cluster_is_one_line(tmp_path):
    repo = make_repo(tmp_path / "repo")
    with KubeDouble() as kube:
        config = kube.kubeconfig(tmp_path)
    result = apply(repo, config)          # the double is gone: connection refused
    assert result.exit_code == 1
    assert f"cannot reach the cluster at {kube.url} (context ci)" in result.output
    assert "Traceback" not in result.output
