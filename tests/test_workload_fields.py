"""Serving and notebook fields of issue 16: command/args on both runtimes, an image left to KServe's
ServingRuntime, runtime/protocol selection, and a transformer (KServe only)."""
from __future__ import annotations

from repo_fixture import compile_errors, compiled_objects, write_repo

MODEL = """
    kind: Model
    name: m
    spec: {format: sklearn, versions: [{version: 1, uri: "s3://models/m/1"}]}
    """


def service(body: str) -> dict:
    return {"projects/demo/m.yaml": MODEL,
            "projects/demo/web.yaml": "kind: Service\nname: web\nspec:\n  model: {name: m, version: 1}\n" + body}


def test_kserve_without_an_image_takes_the_runtime_and_its_protocol(tmp_path):
    body = ("  runtime: kserve\n  args: [--workers=2]\n  kserve: {runtime: kserve-sklearnserver, protocolVersion: v2}\n"
            "  transformer: {image: 'reg/tx:1', args: [--protocol, v2], resources: {cpu: '1', memory: 1Gi}}\n")
    isvc = compiled_objects(write_repo(tmp_path, service(body)))["InferenceService/web"]["spec"]
    model = isvc["predictor"]["model"]
    assert "image" not in model and model["args"] == ["--workers=2"]
    assert (model["runtime"], model["protocolVersion"]) == ("kserve-sklearnserver", "v2")
    [tx] = isvc["transformer"]["containers"]
    assert tx["name"] == "kserve-container" and tx["args"] == ["--protocol", "v2"]
    assert isvc["transformer"]["minReplicas"] == isvc["predictor"]["minReplicas"]


def test_the_chart_needs_an_image_and_has_no_transformer(tmp_path):
    assert "image is required with runtime: chart" in compile_errors(write_repo(tmp_path / "a", service("")))
    body = "  image: 'reg/s:1'\n  transformer: {image: 'reg/tx:1'}\n"
    assert "transformer is a KServe component: it needs runtime: kserve" in \
        compile_errors(write_repo(tmp_path / "b", service(body)))


def test_the_chart_takes_command_and_args(tmp_path):
    body = "  image: 'reg/s:1'\n  command: [python, -m, serve]\n  args: [--port, '8080']\n"
    deployment = compiled_objects(write_repo(tmp_path, service(body)))["Deployment/web"]
    server = next(c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == "server")
    assert server["command"] == ["python", "-m", "serve"] and server["args"] == ["--port", "8080"]


def test_a_notebook_on_an_existing_claim_creates_none(tmp_path):
    notebook = ("kind: Notebook\nname: nb\nspec:\n  image: 'jupyter:1'\n"
                "  workspace: {claim: old-home, mountPath: /home/kubeflow}\n")
    found = compiled_objects(write_repo(tmp_path, {"projects/demo/nb.yaml": notebook}))
    assert "PersistentVolumeClaim/nb-workspace" not in found
    pod = found["Notebook/nb"]["spec"]["template"]["spec"]
    assert pod["volumes"][0] == {"name": "workspace", "persistentVolumeClaim": {"claimName": "old-home"}}
