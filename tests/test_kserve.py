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


def isvc_of(objects: list[dict]) -> dict:
    [isvc] = [o for o in objects if o["kind"] == "InferenceService"]
    return isvc


def predictor(objects: list[dict]) -> dict:
    return isvc_of(objects)["spec"]["predictor"]


def test_same_spec_becomes_one_inference_service_pulling_through_the_s3_api():
    objects, svc, ctx = render()
    assert not ctx.problems and not ctx.warnings
    account, isvc = objects
    assert (isvc["apiVersion"], isvc["kind"]) == ("serving.kserve.io/v1beta1", "InferenceService")
    assert isvc["metadata"]["namespace"] == "demo"
    assert all(label in isvc["metadata"]["labels"] for label in SPEC_LABELS)
    assert isvc["metadata"]["annotations"]["serving.kserve.io/deploymentMode"] == "Knative"
    pred = predictor(objects)
    assert (pred["minReplicas"], pred["maxReplicas"], pred["scaleMetric"], pred["scaleTarget"]) == (2, 10, "rps", 300)
    model = pred["model"]
    # KServe has no oss://: the same object through OSS's S3 API, credentials from the account's Secret
    assert model["storageUri"] == "s3://models/ctr/41/" and model["modelFormat"] == {"name": "onnx"}
    assert pred["serviceAccountName"] == "ranker-models"
    assert (account["kind"], account["metadata"]["name"], account["secrets"]) == (
        "ServiceAccount", "ranker-models", [{"name": "oss-model-reader"}])
    assert model["image"] == "reg/ranker:3.2.0"
    assert model["resources"]["limits"] == {"cpu": "4", "memory": "8Gi", "nvidia.com/gpu": "1"}
    assert model["readinessProbe"]["httpGet"] == {"path": "/healthz", "port": 8080}
    assert model["ports"] == [{"name": "http1", "containerPort": 8080, "protocol": "TCP"}]
    assert pred["nodeSelector"] == {"gpu.pool": "a100"}
    assert ctx.records["model"]["version"] == "41"
    assert "chart" not in ctx.values and ctx.values["runtime"] == "kserve"   # values.yaml claims no chart


def test_workload_identity_runs_as_that_account_and_emits_none():
    storage = {"oss": {"endpoint": "s3.oss-cn-shanghai.aliyuncs.com", "serviceAccount": "oss-reader"}}
    objects, _, ctx = render(project=make_project(env=make_env(storage=storage)))
    assert [o["kind"] for o in objects] == ["InferenceService"]
    assert predictor(objects)["serviceAccountName"] == "oss-reader"


def test_an_oss_model_without_storage_settings_is_an_error():
    objects, _, ctx = render(project=make_project(env=make_env(storage={})))
    assert objects == []
    assert "needs `storage.oss`" in problems_of(ctx)[0]


def test_validates_against_the_kserve_crd(crd_schemas):
    for text in (KSERVE, KSERVE + "  canary: {model: {version: 42}, weight: 10}\n",
                 KSERVE.replace("replicas: {min: 2, max: 10}", "replicas: 3")):
        objects, _, ctx = render(text)
        assert not ctx.problems
        assert crd_schemas.knows("serving.kserve.io/v1beta1", "InferenceService")
        assert crd_schemas.errors(isvc_of(objects)) == []


def test_fixed_replicas_pin_min_and_max():
    pred = predictor(render(KSERVE.replace("replicas: {min: 2, max: 10}", "replicas: 3"))[0])
    assert (pred["minReplicas"], pred["maxReplicas"]) == (3, 3) and "scaleMetric" not in pred


def test_canary_is_canary_traffic_percent_with_its_own_model():
    objects, svc, ctx = render(KSERVE + "  canary: {model: {alias: candidate}, image: reg/ranker:3.3.0, weight: 10}\n")
    assert not ctx.problems
    pred = predictor(objects)
    assert pred["canaryTrafficPercent"] == 10
    assert pred["model"]["storageUri"] == "s3://models/ctr/42/" and pred["model"]["image"] == "reg/ranker:3.3.0"
    annotations = isvc_of(objects)["metadata"]["annotations"]
    assert annotations["strata.dev/model"] == "ctr@42" and annotations["strata.dev/stable-model"] == "ctr@41"
    assert ctx.records["canaryModel"]["version"] == "42"


def test_standard_mode_would_ignore_the_canary_so_it_fails_loudly():
    text = KSERVE + "  kserve: {deploymentMode: Standard}\n  canary:\n    model: {version: 42}\n    weight: 10\n"
    objects, _, ctx = render(text)
    assert objects == []
    [problem] = problems_of(ctx)
    assert problem.startswith("projects/demo/service-ranker.yaml:16:5:")
    assert "Standard mode (RawDeployment) ignores canaryTrafficPercent (kserve#5335)" in problem


def test_standard_mode_without_canary_keeps_every_port_as_named():
    text = KSERVE + "  kserve: {deploymentMode: Standard}\n  ports:\n    - {name: http, port: 8000}\n" \
                    "    - {name: grpc, port: 8001}\n"
    objects, _, ctx = render(text)
    assert not ctx.problems and not ctx.warnings
    assert isvc_of(objects)["metadata"]["annotations"]["serving.kserve.io/deploymentMode"] == "Standard"
    assert [p["name"] for p in predictor(objects)["model"]["ports"]] == ["http", "grpc"]


def test_old_mode_names_are_written_as_the_current_ones_with_a_warning():
    for old, new in (("Serverless", "Knative"), ("RawDeployment", "Standard")):
        objects, _, ctx = render(KSERVE + f"  kserve: {{deploymentMode: {old}}}\n")
        assert isvc_of(objects)["metadata"]["annotations"]["serving.kserve.io/deploymentMode"] == new
        [warning] = [w.message for w in ctx.warnings.items]
        assert f"KServe's old name of {new}" in warning


def test_knative_exposes_one_port_under_a_name_it_admits_and_warns_about_the_rest():
    text = KSERVE + "  ports:\n    - {name: http, port: 8000}\n    - {name: grpc, port: 8001}\n"
    objects, _, ctx = render(text)
    assert [p["name"] for p in predictor(objects)["model"]["ports"]] == ["http1"]
    [warning] = [w.render() for w in ctx.warnings.items]
    assert warning.startswith("projects/demo/service-ranker.yaml:16:7: warning:") and "'http'" in warning
    grpc, _, _ = render(KSERVE + "  ports:\n    - {name: grpc-inference, port: 8001}\n")
    assert predictor(grpc)["model"]["ports"][0]["name"] == "h2c"


def test_a_queue_proxy_port_is_an_error_in_knative_mode():
    _, _, ctx = render(KSERVE + "  ports:\n    - {name: http, port: 8012}\n")
    assert "port 8012 is taken by Knative's queue-proxy" in problems_of(ctx)[0]


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
