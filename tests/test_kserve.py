"""Service with runtime: kserve → a KServe v1beta1 InferenceService (storageUri = the pinned model URI)."""
from __future__ import annotations

from typing import Any

from compiler.render.service import ServiceRenderer
from conftest import ROOT
from factories import make_ctx, make_env, make_project
from test_models import CTR_MODEL, located_target, problems_of
from test_render_service import BASE, SPEC_LABELS, build

KSERVE = BASE + "  runtime: kserve\n"


def render(text: str = KSERVE, **kwargs: Any) -> tuple[list[dict], Any, Any]:
    svc, ctx = build(text, **kwargs)
    return ServiceRenderer().render(svc, ctx), svc, ctx


def predictor(objects: list[dict]) -> dict:
    [isvc] = objects
    return isvc["spec"]["predictor"]


def test_same_spec_becomes_one_inference_service():
    objects, svc, ctx = render()
    assert not ctx.problems and not ctx.warnings
    [isvc] = objects
    assert (isvc["apiVersion"], isvc["kind"]) == ("serving.kserve.io/v1beta1", "InferenceService")
    assert isvc["metadata"]["namespace"] == "demo"
    assert all(label in isvc["metadata"]["labels"] for label in SPEC_LABELS)
    assert isvc["metadata"]["annotations"]["serving.kserve.io/deploymentMode"] == "Serverless"
    pred = predictor(objects)
    assert (pred["minReplicas"], pred["maxReplicas"], pred["scaleMetric"], pred["scaleTarget"]) == (2, 10, "rps", 300)
    model = pred["model"]
    assert model["storageUri"] == "oss://models/ctr/41/" and model["modelFormat"] == {"name": "onnx"}
    assert model["image"] == "reg/ranker:3.2.0"
    assert model["resources"]["limits"] == {"cpu": "4", "memory": "8Gi", "nvidia.com/gpu": "1"}
    assert model["readinessProbe"]["httpGet"] == {"path": "/healthz", "port": 8080}
    assert pred["nodeSelector"] == {"gpu.pool": "a100"}
    assert ctx.values is None and ctx.records["model"]["version"] == "41"


def test_validates_against_the_kserve_crd(crd_schemas):
    for text in (KSERVE, KSERVE + "  canary: {model: {version: 42}, weight: 10}\n",
                 KSERVE.replace("replicas: {min: 2, max: 10}", "replicas: 3")):
        objects, _, ctx = render(text)
        assert not ctx.problems
        assert crd_schemas.knows("serving.kserve.io/v1beta1", "InferenceService")
        assert crd_schemas.errors(objects[0]) == []


def test_fixed_replicas_pin_min_and_max():
    pred = predictor(render(KSERVE.replace("replicas: {min: 2, max: 10}", "replicas: 3"))[0])
    assert (pred["minReplicas"], pred["maxReplicas"]) == (3, 3) and "scaleMetric" not in pred


def test_canary_is_canary_traffic_percent_with_its_own_model():
    objects, svc, ctx = render(KSERVE + "  canary: {model: {alias: candidate}, image: reg/ranker:3.3.0, weight: 10}\n")
    assert not ctx.problems
    pred = predictor(objects)
    assert pred["canaryTrafficPercent"] == 10
    assert pred["model"]["storageUri"] == "oss://models/ctr/42/" and pred["model"]["image"] == "reg/ranker:3.3.0"
    annotations = objects[0]["metadata"]["annotations"]
    assert annotations["strata.dev/model"] == "ctr@42" and annotations["strata.dev/stable-model"] == "ctr@41"
    assert ctx.records["canaryModel"]["version"] == "42"


def test_raw_deployment_would_ignore_the_canary_so_it_fails_loudly():
    text = KSERVE + "  kserve: {deploymentMode: RawDeployment}\n  canary:\n    model: {version: 42}\n    weight: 10\n"
    objects, _, ctx = render(text)
    assert objects == []
    [problem] = problems_of(ctx)
    assert problem.startswith("projects/demo/service-ranker.yaml:16:5:")
    assert "RawDeployment ignores canaryTrafficPercent (kserve#5335)" in problem


def test_raw_deployment_without_canary_keeps_every_port():
    text = KSERVE + "  kserve: {deploymentMode: RawDeployment}\n  ports:\n    - {name: http, port: 8000}\n" \
                    "    - {name: grpc, port: 8001}\n"
    objects, _, ctx = render(text)
    assert not ctx.problems and not ctx.warnings
    assert objects[0]["metadata"]["annotations"]["serving.kserve.io/deploymentMode"] == "RawDeployment"
    assert [p["name"] for p in predictor(objects)["model"]["ports"]] == ["http", "grpc"]


def test_serverless_exposes_one_port_and_warns_about_the_rest():
    text = KSERVE + "  ports:\n    - {name: http, port: 8000}\n    - {name: grpc, port: 8001}\n"
    objects, _, ctx = render(text)
    assert [p["name"] for p in predictor(objects)["model"]["ports"]] == ["http"]
    [warning] = [w.render() for w in ctx.warnings.items]
    assert warning.startswith("projects/demo/service-ranker.yaml:16:7: warning:") and "'http'" in warning


def test_a_model_without_format_is_an_error_in_the_model_file():
    project = make_project()
    svc = located_target("Service", "ranker", KSERVE, project)
    ctx = make_ctx(located_target("Model", "ctr", CTR_MODEL.replace("  format: onnx\n", ""), project), svc, repo=ROOT)
    assert ServiceRenderer().render(svc, ctx) == []
    [problem] = problems_of(ctx)
    assert problem.startswith("projects/demo/model-ctr.yaml:") and "set `format`" in problem


def test_pinned_models_policy_applies_to_kserve_too():
    project = make_project(env=make_env("prod", "prod", policy={"requirePinnedModels": True}))
    _, _, ctx = render(KSERVE.replace("{name: ctr, version: 41}", "{name: ctr, alias: stable}"), project=project)
    assert "requires pinned models" in problems_of(ctx)[0]
