"""The API double behaves as the upstream documents it follows say (see docs/delivery.md,
"What was tested against what"), driven through HTTP by the real `kubernetes` client."""
from __future__ import annotations

import json
import threading

import pytest
from kube_double import KubeDouble

from compiler.apply.kube import connect


@pytest.fixture
def api(tmp_path):
    with KubeDouble() as double:
        kube = connect(str(double.kubeconfig(tmp_path)), None)
        kube.apply("/api/v1/namespaces/a", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}})
        yield double, kube


CM = "/api/v1/namespaces/a/configmaps/c"


def cm(**data):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "a"}, "data": data}


def test_apply_creates_then_updates_and_a_no_op_keeps_the_resource_version(api):
    _double, kube = api
    first = kube.apply(CM, cm(x="1"))
    assert first.status == 201
    again = kube.apply(CM, cm(x="1"))
    assert again.status == 200 and again.body["metadata"]["resourceVersion"] == first.body["metadata"]["resourceVersion"]
    changed = kube.apply(CM, cm(x="2"))
    assert int(changed.body["metadata"]["resourceVersion"]) > int(first.body["metadata"]["resourceVersion"])


def test_a_conflict_is_409_with_one_cause_per_field_naming_the_manager(api):
    double, kube = api
    kube.apply(CM, cm(x="1"))
    double.edit("ConfigMap", "a", "c", {"data": {"x": "2"}}, manager="kubectl-edit")
    response = kube.apply(CM, cm(x="1"))
    assert response.status == 409 and response.body["reason"] == "Conflict"
    assert response.body["details"]["causes"] == [
        {"reason": "FieldManagerConflict", "message": 'conflict with "kubectl-edit" using v1', "field": ".data.x"}]
    assert response.body["message"] == 'Apply failed with 1 conflict: conflict with "kubectl-edit" using v1: .data.x'
    forced = kube.apply(CM, cm(x="1"), force=True)
    assert forced.ok and forced.body["data"] == {"x": "1"}
    assert [e["manager"] for e in forced.body["metadata"]["managedFields"]] == ["strata"]


def test_equal_values_are_shared_and_a_dropped_field_survives_while_another_manager_owns_it(api):
    double, kube = api
    kube.apply(CM, cm(x="1", y="1"))
    double.apply_as(cm(x="1"), manager="other")                  # same value: no conflict, shared
    after = kube.apply(CM, cm(y="1")).body                        # strata drops x; `other` still owns it
    assert after["data"] == {"x": "1", "y": "1"}
    after = kube.apply(CM, cm()).body                             # y was strata's alone: removed
    assert after["data"] == {"x": "1"}


def test_an_update_takes_the_fields_it_changes(api):
    double, kube = api
    kube.apply(CM, cm(x="1", y="1"))
    edited = double.edit("ConfigMap", "a", "c", {"data": {"y": "2"}}, manager="kubectl-edit")
    owners = {e["manager"]: json.dumps(e["fieldsV1"]) for e in edited["metadata"]["managedFields"]}
    assert '"f:y"' in owners["kubectl-edit"] and '"f:y"' not in owners["strata"] and '"f:x"' in owners["strata"]


def test_dry_run_stores_nothing(api):
    double, kube = api
    response = kube.apply(CM, cm(x="1"), dry_run=True)
    assert response.status == 201 and response.body["data"] == {"x": "1"}
    assert double.object("ConfigMap", "a", "c") is None
    kube.apply(CM, cm(x="1"))
    assert kube.delete(CM, dry_run=True).ok and double.object("ConfigMap", "a", "c") is not None


def test_a_namespaced_object_needs_its_namespace(api):
    _, kube = api
    response = kube.apply("/api/v1/namespaces/b/configmaps/c", {**cm(), "metadata": {"name": "c", "namespace": "b"}})
    assert response.status == 404 and response.body["message"] == 'namespaces "b" not found'


def test_list_selects_by_label_pages_and_leaves_out_kind(api):
    double, kube = api
    for i in range(5):
        body = {"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": f"c{i}", "namespace": "a", "labels": {"n": str(i), "team": "x"}}}
        kube.apply(f"/api/v1/namespaces/a/configmaps/c{i}", body)
    import compiler.apply.kube as transport

    page, transport.PAGE = transport.PAGE, 2
    try:
        items = list(kube.list("/api/v1/configmaps", "team=x,n notin (3,4)"))
    finally:
        transport.PAGE = page
    assert [i["metadata"]["name"] for i in items] == ["c0", "c1", "c2"]
    assert "kind" not in items[0] and "apiVersion" not in items[0]
    assert sum(1 for m, p, q in double.requests if p == "/api/v1/configmaps") == 2      # limit/continue


def test_delete_checks_preconditions_and_collects_garbage(api):
    double, kube = api
    owner = kube.apply(CM, cm()).body
    child = {"apiVersion": "v1", "kind": "ConfigMap",
             "metadata": {"name": "child", "namespace": "a",
                          "ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "c",
                                               "uid": owner["metadata"]["uid"]}]}}
    kube.apply("/api/v1/namespaces/a/configmaps/child", child)
    stale = kube.delete(CM, uid=owner["metadata"]["uid"], resource_version="1")
    assert stale.status == 409 and "Precondition failed" in stale.body["message"]
    assert kube.delete(CM, uid=owner["metadata"]["uid"]).ok
    assert double.object("ConfigMap", "a", "child") is None
    kube.apply(CM, cm())
    assert kube.delete("/api/v1/namespaces/a").ok
    assert double.object("ConfigMap", "a", "c") is None


def test_built_in_quantities_are_canonical_custom_resources_are_kept(api):
    _double, kube = api
    quota = {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "q", "namespace": "a"},
             "spec": {"hard": {"requests.cpu": 0.5, "requests.memory": "1024Mi", "requests.nvidia.com/gpu": 8}}}
    stored = kube.apply("/api/v1/namespaces/a/resourcequotas/q", quota).body
    assert stored["spec"]["hard"] == {"requests.cpu": "500m", "requests.memory": "1Gi", "requests.nvidia.com/gpu": "8"}
    job = {"apiVersion": "kubeflow.org/v1", "kind": "PyTorchJob", "metadata": {"name": "j", "namespace": "a"},
           "spec": {"pytorchReplicaSpecs": {"Master": {"template": {"spec": {"containers": [
               {"name": "m", "resources": {"limits": {"cpu": 0.5}}, "ports": [{"containerPort": 23456}]}]}}}}}}
    stored = kube.apply("/apis/kubeflow.org/v1/namespaces/a/pytorchjobs/j", job).body
    container = stored["spec"]["pytorchReplicaSpecs"]["Master"]["template"]["spec"]["containers"][0]
    assert container["resources"]["limits"]["cpu"] == 0.5 and "protocol" not in container["ports"][0]


def test_discovery_lists_group_versions_and_resources(api):
    _double, kube = api
    groups = kube.get("/apis").body["groups"]
    assert {"name": "kubeflow.org", "versions": [{"groupVersion": "kubeflow.org/v1", "version": "v1"}],
            "preferredVersion": {"groupVersion": "kubeflow.org/v1", "version": "v1"}} in groups
    names = [r["name"] for r in kube.get("/apis/kubeflow.org/v1").body["resources"]]
    assert "pytorchjobs" in names and "pytorchjobs/status" in names
    assert kube.get("/apis/example.com/v1").status == 404


# --- create, watch and pod logs (what strata run uses) ----------------------------------------

JOBS = "/apis/batch/v1/namespaces/a/jobs"


def job(**meta):
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "spec": {"template": {}}}


def test_create_with_generate_name_picks_a_name_and_a_dry_run_stores_nothing(api):
    double, kube = api
    created = kube.create(JOBS, job(generateName="train-"))
    assert created.status == 201
    name = created.body["metadata"]["name"]
    assert name.startswith("train-") and len(name) == len("train-") + 5
    assert created.body["metadata"]["namespace"] == "a"
    assert kube.create(JOBS, job(generateName="train-")).body["metadata"]["name"] != name
    dry = kube.create(JOBS, job(generateName="train-"), dry_run=True)
    assert dry.status == 201 and dry.body["metadata"]["name"].startswith("train-")
    assert len(double.objects("Job")) == 2
    assert kube.create(JOBS, job()).status == 422
    assert kube.create(JOBS, job(name=name)).status == 409


def test_watch_sends_the_current_state_then_changes_and_ends_at_its_timeout(api):
    double, kube = api
    name = kube.create(JOBS, job(generateName="train-")).body["metadata"]["name"]
    kube.create(JOBS, job(name="other"))
    seen = []

    def controller():
        double.set_status("Job", "a", name, {"active": 1})
        double.set_status("Job", "a", "other", {"active": 1})
        double.set_status("Job", "a", name, {"active": None, "succeeded": 1})

    timer = threading.Timer(0.2, controller)
    timer.start()
    for event in kube.watch(JOBS, {"fieldSelector": f"metadata.name={name}"}, timeout=1):
        seen.append((event["type"], event["object"].get("status")))
    timer.join()
    assert seen == [("ADDED", None), ("MODIFIED", {"active": 1}), ("MODIFIED", {"succeeded": 1})]


def test_watch_from_a_resource_version_and_410_when_it_is_too_old(api):
    double, kube = api
    first = kube.create(JOBS, job(name="j")).body["metadata"]["resourceVersion"]
    double.set_status("Job", "a", "j", {"active": 1})
    events = list(kube.watch(JOBS, {"resourceVersion": first}, timeout=0))
    assert [(e["type"], e["object"]["status"]) for e in events] == [("MODIFIED", {"active": 1})]
    double.store.event_window = 1
    for n in range(3):
        double.set_status("Job", "a", "j", {"active": n + 2})
    gone = list(kube.watch(JOBS, {"resourceVersion": first}, timeout=0))
    assert [(e["type"], e["object"]["code"], e["object"]["reason"]) for e in gone] == [("ERROR", 410, "Expired")]


def test_pod_logs_are_text_with_tail_lines_and_a_container_must_be_named_when_there_are_several(api):
    double, kube = api
    double.add_pod("a", "p", phase="Failed", logs={"main": "one\ntwo\nthree\n", "sidecar": "s\n"})
    assert kube.text("/api/v1/namespaces/a/pods/p/log", {"container": "main", "tailLines": "2"}) == (200, "two\nthree\n")
    status, text = kube.text("/api/v1/namespaces/a/pods/p/log")
    assert status == 400 and "choose one of: [main sidecar]" in text
    assert kube.text("/api/v1/namespaces/a/pods/nope/log")[0] == 404
