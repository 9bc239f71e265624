"""Service (runtime: chart) → values.yaml → the model-service chart rendered by the real Helm engine."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Optional

import yaml
from deepdiff import DeepDiff

from compiler.kinds import kind_of
from compiler.load.discover import BUILTIN_CHARTS_DIR
from compiler.render.service import ServiceRenderer
from compiler.targets import Project, Target
from conftest import ROOT
from factories import make_ctx, make_env, make_project, make_target
from test_models import CTR_MODEL, located_target, problems_of

SPEC_LABELS = ("app.kubernetes.io/managed-by", "strata.dev/project", "strata.dev/environment", "strata.dev/resource")

BASE = """\
spec:
  image: reg/ranker:3.2.0
  model: {name: ctr, version: 41}
  replicas: {min: 2, max: 10}
  autoscaling: {metric: rps, target: 300}
  resources: {cpu: "4", memory: 8Gi, gpu: 1, gpuType: a100, shm: 1Gi}
  probes:
    readiness: {path: /healthz}
  env:
    - {name: WORKERS, value: "2"}
    - name: TOKEN
      secretRef: {name: feature-store, key: token}
"""


GATEWAY = {"name": "ml-gateway", "namespace": "gateways", "domain": "dev.example.com"}


def routed() -> Project:
    """A project in an environment with a Gateway: a canary's weight splits the route's traffic."""
    return make_project(env=make_env(gateway=GATEWAY))


def build(text: str = BASE, project: Optional[Project] = None, repo: Path = ROOT,
          extra_targets: tuple = ()) -> tuple[Target, Any]:
    project = project or make_project()
    svc = located_target("Service", "ranker", text, project)
    ctx = make_ctx(located_target("Model", "ctr", CTR_MODEL, project), svc, *extra_targets, repo=repo)
    return svc, ctx


def render(text: str = BASE, **kwargs: Any) -> tuple[list[dict], Target, Any]:
    svc, ctx = build(text, **kwargs)
    return ServiceRenderer().render(svc, ctx), svc, ctx


def by_kind(objects: list[dict], kind: str) -> list[dict]:
    return [o for o in objects if o["kind"] == kind]


def deployment(objects: list[dict], name: str = "ranker") -> dict:
    return next(o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == name)


def all_strings(value: Any) -> str:
    return yaml.safe_dump(value)


def test_registered_for_services():
    assert isinstance(kind_of("Service").renderer, ServiceRenderer)


def test_service_renders_every_chart_object_sorted_labelled_and_namespaced():
    objects, svc, ctx = render()
    assert not ctx.problems
    assert [o["kind"] for o in objects] == ["PodDisruptionBudget", "Service", "Deployment", "HorizontalPodAutoscaler"]
    for obj in objects:
        assert obj["metadata"]["namespace"] == "demo"
        assert obj["metadata"]["labels"]["strata.dev/resource"] == "service.ranker"
        assert all(label in obj["metadata"]["labels"] for label in SPEC_LABELS)


def test_values_yaml_holds_the_chart_values_with_the_resolved_model():
    _, svc, ctx = render()
    values = ctx.values
    assert list(values)[:4] == ["labels", "podLabels", "image", "model"]
    assert values["model"] == {"name": "ctr", "version": "41", "uri": "oss://models/ctr/41/", "digest": "sha256:aaa"}
    assert values["autoscaling"] == {"enabled": True, "minReplicas": 2, "maxReplicas": 10, "metric": "rps",
                                     "target": 300}
    assert values["env"][1] == {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "feature-store", "key": "token"}}}
    assert ctx.records["model"]["version"] == "41"
    assert ctx.records["chart"] == {"name": "model-service", "version": "0.1.0", "path": "@strata/model-service"}


def test_gpu_pool_scheduling_and_shm_reach_the_pods():
    objects, _, _ = render()
    pod = deployment(objects)["spec"]["template"]["spec"]
    server = pod["containers"][0]
    assert server["resources"]["limits"] == {"cpu": "4", "memory": "8Gi", "nvidia.com/gpu": "1"}
    assert pod["nodeSelector"] == {"gpu.pool": "a100"}
    assert pod["tolerations"] == [{"effect": "NoSchedule", "key": "nvidia.com/gpu", "operator": "Exists"}]
    assert {"mountPath": "/dev/shm", "name": "dshm"} in server["volumeMounts"]


def test_secrets_stay_references():
    objects, _, _ = render()
    text = all_strings(objects)
    assert "secretKeyRef" in text and "feature-store" in text


def test_hpa_scales_on_the_spec_metric():
    objects, _, _ = render()
    [hpa] = by_kind(objects, "HorizontalPodAutoscaler")
    assert hpa["spec"]["metrics"][0]["pods"]["target"] == {"type": "AverageValue", "averageValue": "300"}
    assert "replicas" not in deployment(objects)["spec"]


def test_fixed_replicas_have_no_hpa():
    objects, _, _ = render(BASE.replace("replicas: {min: 2, max: 10}", "replicas: 3"))
    assert not by_kind(objects, "HorizontalPodAutoscaler")
    assert deployment(objects)["spec"]["replicas"] == 3


def test_canary_carries_its_own_version_uri_and_the_main_deployment_does_not():
    objects, svc, ctx = render(BASE + "  canary: {model: {alias: candidate}, weight: 10}\n", project=routed())
    assert not ctx.problems
    main, canary = deployment(objects), deployment(objects, "ranker-canary")
    assert "oss://models/ctr/42/" in all_strings(canary) and "oss://models/ctr/41/" not in all_strings(canary)
    assert "oss://models/ctr/41/" in all_strings(main) and "oss://models/ctr/42/" not in all_strings(main)
    assert canary["spec"]["replicas"] == 1        # ceil(10 max replicas × 10 %)
    assert canary["spec"]["template"]["spec"]["containers"][0]["image"] == "reg/ranker:3.2.0"
    assert ctx.records["canaryModel"]["version"] == "42"
    stable, canary_service = by_kind(objects, "Service")
    assert stable["spec"]["selector"].items() <= main["spec"]["template"]["metadata"]["labels"].items()
    assert canary_service["spec"]["selector"].items() <= canary["spec"]["template"]["metadata"]["labels"].items()
    (route,) = by_kind(objects, "HTTPRoute")
    assert [(b["name"], b["weight"]) for b in route["spec"]["rules"][0]["backendRefs"]] == [
        ("ranker", 90), ("ranker-canary", 10)]
    assert route["spec"]["hostnames"] == ["ranker.demo.dev.example.com"]


def test_a_canary_weight_without_a_gateway_is_an_error_at_the_weight():
    objects, _, ctx = render(BASE + "  canary: {model: {alias: candidate}, weight: 10}\n")
    assert objects == []
    [problem] = problems_of(ctx)
    assert "canary weight 10 needs a Gateway API route" in problem and "names no `gateway:`" in problem


def test_an_oss_model_without_the_environments_storage_is_an_error():
    objects, _, ctx = render(project=make_project(env=make_env(storage={})))
    assert objects == []
    [problem] = problems_of(ctx)
    assert "is on oss://" in problem and "needs `storage.oss`" in problem


def test_the_model_puller_reads_the_environments_storage_by_reference():
    objects, _, ctx = render()
    env = {e["name"]: e for e in deployment(objects)["spec"]["template"]["spec"]["initContainers"][0]["env"]}
    assert env["RCLONE_S3_ENDPOINT"] == {"name": "RCLONE_S3_ENDPOINT",
                                         "value": "https://s3.oss-cn-shanghai-internal.aliyuncs.com"}
    assert env["RCLONE_S3_PROVIDER"]["value"] == "Alibaba" and env["RCLONE_S3_REGION"]["value"] == "cn-shanghai"
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        assert env[key]["valueFrom"] == {"secretKeyRef": {"name": "oss-model-reader", "key": key}}
    assert ctx.values["modelStorage"] == {"oss": {"provider": "Alibaba", "region": "cn-shanghai",
                                                  "endpoint": "https://s3.oss-cn-shanghai-internal.aliyuncs.com",
                                                  "secretName": "oss-model-reader"}}


def test_canary_image_only_keeps_the_main_model():
    objects, _, _ = render(BASE + "  canary: {image: reg/ranker:3.3.0, weight: 50}\n", project=routed())
    canary = deployment(objects, "ranker-canary")
    assert canary["spec"]["replicas"] == 5
    assert canary["spec"]["template"]["spec"]["containers"][0]["image"] == "reg/ranker:3.3.0"
    assert "oss://models/ctr/41/" in all_strings(canary)


def test_changing_only_the_model_version_changes_only_the_pod_template():
    before, _, _ = render()
    after, _, _ = render(BASE.replace("version: 41", "version: 42"))
    assert [o["kind"] for o in before] == [o["kind"] for o in after]
    for old, new in zip(before, after):
        diff = DeepDiff(old, new)
        if old["kind"] != "Deployment":
            assert not diff, diff
            continue
        changed = [path for paths in diff.values() for path in paths]
        assert changed and all(p.startswith("root['spec']['template']") for p in changed), changed
        assert "root['spec']['template']['metadata']['annotations']['checksum/model']" in changed


def test_rendering_is_deterministic():
    first, _, _ = render()
    second, _, _ = render()
    assert yaml.safe_dump_all(first, sort_keys=False) == yaml.safe_dump_all(second, sort_keys=False)


def test_every_object_validates_against_kubernetes(kubernetes_schemas):
    project = routed()
    objects, _, _ = render(BASE + "  canary: {model: {version: 42}, image: reg/ranker:3.3.0, weight: 10}\n"
                           "  datasets: [{name: features, mountPath: /data}]\n", project=project,
                           extra_targets=(make_target("Dataset", "features", {
                               "sources": [{"name": "nas", "uri": "pvc://nas-claim/features"}],
                               "cache": {"engine": "none"}}, project),))
    assert sorted(o["kind"] for o in objects) == ["Deployment", "Deployment", "HTTPRoute", "HorizontalPodAutoscaler",
                                                  "PodDisruptionBudget", "PodDisruptionBudget", "Service", "Service"]
    for obj in objects:
        if obj["kind"] != "HTTPRoute":   # a Gateway API CRD (checked against it in the example's test)
            assert kubernetes_schemas.errors(obj) == [], obj["kind"]


def test_fixed_replica_objects_validate(kubernetes_schemas):
    objects, _, _ = render(BASE.replace("replicas: {min: 2, max: 10}", "replicas: 1"))
    for obj in objects:
        assert kubernetes_schemas.errors(obj) == [], obj["kind"]


# --- errors ---------------------------------------------------------------------------------------

def test_chart_schema_violation_reports_the_spec_location():
    objects, _, ctx = render(BASE.replace("replicas: {min: 2, max: 10}", "replicas:\n    min: 0\n    max: 3"))
    assert objects == []
    [problem] = problems_of(ctx)
    assert problem.startswith("projects/demo/service-ranker.yaml:5:10:")
    assert "chart model-service: values.schema.json: at /autoscaling/minReplicas" in problem


def test_model_uri_the_chart_cannot_download_points_at_the_model_file():
    model = CTR_MODEL.replace("oss://models/ctr/41/", "hdfs://nn/models/ctr/41/")
    project = make_project()
    svc = located_target("Service", "ranker", BASE, project)
    ctx = make_ctx(located_target("Model", "ctr", model, project), svc, repo=ROOT)
    assert ServiceRenderer().render(svc, ctx) == []
    [problem] = problems_of(ctx)
    assert problem.startswith("projects/demo/model-ctr.yaml:5:12:")
    assert "(rendering Service ranker) chart model-service" in problem and "/model/uri" in problem


def test_unknown_model_version_renders_nothing():
    objects, _, ctx = render(BASE.replace("version: 41", "version: 40"))
    assert objects == [] and "no version '40'" in problems_of(ctx)[0]


def test_reserved_env_names_and_unknown_probe_ports_are_errors():
    text = BASE.replace("readiness: {path: /healthz}", "readiness: {path: /healthz, port: metrics}") \
        + "    - {name: MODEL_PATH, value: /models}\n"
    _, _, ctx = render(text)
    found = problems_of(ctx)
    assert any(p.startswith("projects/demo/service-ranker.yaml:8:") and "'metrics' is not one of" in p for p in found)
    assert any(p.startswith("projects/demo/service-ranker.yaml:13:") and "MODEL_PATH is set by" in p for p in found)


def test_unknown_chart_is_an_error_at_chart_name():
    _, _, ctx = render(BASE + "  chart:\n    name: triton-service\n")
    [problem] = problems_of(ctx)
    assert problem.startswith("projects/demo/service-ranker.yaml:14:11:")
    assert "unknown chart 'triton-service': no triton-service/Chart.yaml in charts, @strata" in problem


def test_pinned_chart_version_must_match_chart_yaml():
    _, _, ctx = render(BASE + "  chart: {name: model-service, version: 0.2.0}\n")
    [problem] = problems_of(ctx)
    assert problem.startswith("projects/demo/service-ranker.yaml:13:41:")
    assert "chart model-service is version 0.1.0 (@strata/model-service/Chart.yaml), but the spec pins version 0.2.0" \
        in problem
    objects, _, ctx = render(BASE + "  chart: {name: model-service, version: 0.1.0}\n")
    assert objects and not ctx.problems


def test_another_chart_from_the_repo_chart_dirs(tmp_path):
    chart = tmp_path / "charts" / "python-service"
    shutil.copytree(BUILTIN_CHARTS_DIR / "model-service", chart)
    text = (chart / "Chart.yaml").read_text().replace("name: model-service", "name: python-service")
    (chart / "Chart.yaml").write_text(text.replace("version: 0.1.0", "version: 1.2.0"))
    objects, svc, ctx = render(BASE + "  chart: {name: python-service, version: 1.2.0}\n", repo=tmp_path)
    assert not ctx.problems
    assert objects[0]["metadata"]["labels"]["helm.sh/chart"] == "python-service-1.2.0"
    assert ctx.records["chart"]["path"] == "charts/python-service"


def test_chart_with_missing_dependency_fails_clearly(tmp_path):
    chart = tmp_path / "charts" / "model-service"
    shutil.copytree(BUILTIN_CHARTS_DIR / "model-service", chart)
    with (chart / "Chart.yaml").open("a") as handle:
        handle.write("dependencies:\n  - name: redis\n    version: 18.1.0\n    repository: https://charts.example.com\n")
    objects, _, ctx = render(repo=tmp_path)
    assert objects == []
    [problem] = problems_of(ctx)
    assert problem.startswith("projects/demo/service-ranker.yaml:2:3:")  # the spec: no `chart:` written
    assert "dependency redis 18.1.0 is missing in model-service/charts/" in problem


def test_template_error_is_located_at_the_values_source(tmp_path):
    chart = tmp_path / "charts" / "model-service"
    shutil.copytree(BUILTIN_CHARTS_DIR / "model-service", chart)
    (chart / "templates" / "broken.yaml").write_text("x: {{ .Values.image.registry.host }}\n")
    _, _, ctx = render(repo=tmp_path)
    [problem] = problems_of(ctx)
    assert problem.startswith("projects/demo/service-ranker.yaml:2:10:") and "template error" in problem


def test_prod_and_staging_render_their_own_versions():
    uris = {}
    for env, version in (("prod", 41), ("staging", 42)):
        project = make_project(env=make_env(env, env))
        objects, _, ctx = render(BASE.replace("version: 41", f"version: {version}"), project=project)
        assert not ctx.problems
        uris[env] = next(e["value"] for e in deployment(objects)["spec"]["template"]["spec"]["initContainers"][0]["env"]
                         if e["name"] == "MODEL_URI")
    assert uris == {"prod": "oss://models/ctr/41/", "staging": "oss://models/ctr/42/"}
