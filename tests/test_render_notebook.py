"""Notebook rendering: the Kubeflow Notebook and its workspace PVC."""
from __future__ import annotations

from typing import Any

import yaml

from compiler.render.notebook import NotebookRenderer
from factories import make_ctx, make_env, make_project, make_target
from test_render_job import assert_labelled, assert_valid, messages

IMAGENET = {"sources": [{"name": "train", "uri": "oss://ml-data/imagenet"}], "cache": {"engine": "alluxio"},
            "placement": "required"}


def render(spec: dict[str, Any], datasets: tuple = ()):
    project = make_project(env=make_env())
    target = make_target("Notebook", "alice-lab", {"image": "registry.example.com/jupyter:4.1", **spec}, project)
    others = [make_target("Dataset", name, s, project) for name, s in datasets]
    ctx = make_ctx(target, *others)
    return NotebookRenderer().render(target, ctx), target, ctx


def test_workspace_pvc_and_notebook(crd_schemas):
    spec = {"resources": {"cpu": "4", "memory": "16Gi", "gpu": 1, "gpuType": "a100", "shm": "4Gi"},
            "workspace": {"size": "50Gi", "storageClass": "fast-ssd"},
            "env": [{"name": "HF_TOKEN", "secretRef": {"name": "hf", "key": "token"}}],
            "datasets": [{"name": "imagenet", "mountPath": "/data/imagenet"}]}
    objects, _, ctx = render(spec, datasets=(("imagenet", IMAGENET),))
    pvc, notebook = objects
    assert (pvc["kind"], pvc["metadata"]["name"]) == ("PersistentVolumeClaim", "alice-lab-workspace")
    assert pvc["spec"] == {"accessModes": ["ReadWriteOnce"], "storageClassName": "fast-ssd",
                           "resources": {"requests": {"storage": "50Gi"}}}
    assert (notebook["apiVersion"], notebook["kind"]) == ("kubeflow.org/v1", "Notebook")
    pod = notebook["spec"]["template"]["spec"]
    (main,) = pod["containers"]
    assert main["name"] == "alice-lab" and main["image"] == "registry.example.com/jupyter:4.1"
    assert main["resources"]["limits"] == {"cpu": "4", "memory": "16Gi", "nvidia.com/gpu": "1"}
    assert main["env"] == [{"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": "hf", "key": "token"}}}]
    assert [v["name"] for v in pod["volumes"]] == ["workspace", "data-imagenet", "dshm"]
    assert pod["volumes"][0]["persistentVolumeClaim"] == {"claimName": "alice-lab-workspace"}
    assert [(m["name"], m["mountPath"]) for m in main["volumeMounts"]] == [
        ("workspace", "/home/jovyan"), ("data-imagenet", "/data/imagenet"), ("dshm", "/dev/shm")]
    assert pod["nodeSelector"] == {"gpu.pool": "a100"}
    assert pod["tolerations"][0]["key"] == "nvidia.com/gpu"
    # no pod metadata in the Notebook CRD: the controller copies the Notebook's labels to its pod
    assert notebook["metadata"]["labels"]["fluid.io/dataset.imagenet.sched"] == "required"
    assert messages(ctx.problems) == []
    assert_valid(objects, crd_schemas)
    assert_labelled(objects)


def test_defaults_without_storage_class_or_idle_timeout(crd_schemas):
    objects, _, _ = render({})
    pvc, notebook = objects
    assert "storageClassName" not in pvc["spec"]
    assert pvc["spec"]["resources"]["requests"]["storage"] == "10Gi"
    assert "annotations" not in notebook["metadata"]
    assert notebook["spec"]["template"]["spec"]["containers"][0]["ports"] == [
        {"name": "notebook-port", "containerPort": 8888, "protocol": "TCP"}]
    assert_valid(objects, crd_schemas)


def test_idle_timeout_has_no_effect_and_is_warned_about(crd_schemas):
    """Kubeflow culls notebooks by the controller's CULL_IDLE_TIME only: no annotation a culler ignores."""
    objects, _, ctx = render({"idleTimeout": "2h"})
    assert "annotations" not in objects[1]["metadata"]
    assert any("idleTimeout has no effect" in w.message for w in ctx.warnings.items)
    assert_valid(objects, crd_schemas)


def test_custom_workspace_mount_path():
    objects, _, _ = render({"workspace": {"mountPath": "/workspace"}})
    mounts = objects[1]["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
    assert mounts == [{"name": "workspace", "mountPath": "/workspace"}]


def test_rendering_is_deterministic():
    spec = {"resources": {"cpu": "2", "memory": "8Gi", "shm": "1Gi"}, "idleTimeout": 3600,
            "datasets": [{"name": "imagenet", "mountPath": "/data"}]}
    first = yaml.safe_dump_all(render(spec, (("imagenet", IMAGENET),))[0], sort_keys=False)
    assert first == yaml.safe_dump_all(render(spec, (("imagenet", IMAGENET),))[0], sort_keys=False)
