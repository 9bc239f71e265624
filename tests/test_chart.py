"""The platform chart model-service (compiler/charts/, shipped inside strata) and the in-process Helm engine wrapper (compiler/render/helm.py)."""
from __future__ import annotations

import copy
import shutil
from pathlib import Path

import helm_python
import pytest

from compiler.render.helm import (ChartError, chart_version, find_chart, is_test_hook, pointer_path, render_chart,
                           schema_problems, sort_objects)
from compiler.load.discover import BUILTIN_CHARTS_DIR

CHART = BUILTIN_CHARTS_DIR / "model-service"

VALUES = {
    "labels": {"app.kubernetes.io/managed-by": "strata", "strata.dev/project": "demo",
               "strata.dev/environment": "dev", "strata.dev/resource": "service.ranker"},
    "image": "reg/ranker:1.0",
    "model": {"name": "ctr", "version": "41", "uri": "s3://models/ctr/41/"},
    "replicas": 2,
    "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
    "probes": {"readiness": {"path": "/healthz", "port": "http", "initialDelaySeconds": 5,
                             "periodSeconds": 10, "failureThreshold": 3}},
}


def values(**changes):
    out = copy.deepcopy(VALUES)
    out.update(changes)
    return out


def render(vals=None, chart=CHART):
    return render_chart(chart, vals if vals is not None else values(), "ranker", "demo")


def kinds(objects):
    return [(o["kind"], o["metadata"]["name"]) for o in objects]


def copy_chart(tmp_path: Path) -> Path:
    target = tmp_path / "charts" / "model-service"
    shutil.copytree(CHART, target)
    return target


# --- the chart ------------------------------------------------------------------------------------

def test_lint_passes_with_defaults_and_with_strata_values():
    for vals in (None, values(autoscaling={"enabled": True, "minReplicas": 2, "maxReplicas": 5, "metric": "rps",
                                           "target": 300})):
        report = helm_python.lint(CHART, vals, strict=True)
        assert report["errors"] == [] and report["messages"] == [], report


def test_chart_is_a_helm_v2_api_chart_with_a_values_schema():
    with helm_python.Chart.load(CHART) as chart:
        assert chart.metadata["apiVersion"] == "v2"
        assert chart.schema is not None and chart.schema["additionalProperties"] is False


def test_fixed_replicas_render_deployment_service_and_pdb_in_install_order():
    objects = render()
    assert kinds(objects) == [("PodDisruptionBudget", "ranker"), ("Service", "ranker"), ("Deployment", "ranker")]
    deployment = objects[-1]
    assert deployment["spec"]["replicas"] == 2
    assert all(o["metadata"]["namespace"] == "demo" for o in objects)
    assert all(o["metadata"]["labels"]["strata.dev/resource"] == "service.ranker" for o in objects)


def test_model_is_downloaded_by_an_init_container_into_a_read_only_volume():
    pod = render()[-1]["spec"]["template"]["spec"]
    [init] = pod["initContainers"]
    [server] = pod["containers"]
    assert {"name": "MODEL_URI", "value": "s3://models/ctr/41/"} in init["env"]
    assert init["image"] == "rclone/rclone:1.68.2"
    assert {"name": "model", "mountPath": "/mnt/models"} in init["volumeMounts"]
    assert {"name": "model", "mountPath": "/mnt/models", "readOnly": True} in server["volumeMounts"]
    assert {"name": "MODEL_PATH", "value": "/mnt/models"} in server["env"]
    assert {"name": "model", "emptyDir": {}} in pod["volumes"]
    assert server["readinessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}


def test_pvc_model_is_copied_from_the_claim_sub_path():
    pod = render(values(model={"name": "ctr", "version": "41", "uri": "pvc://models-nas/ctr/41"}))[-1]
    spec = pod["spec"]["template"]["spec"]
    assert {"name": "model-source", "persistentVolumeClaim": {"claimName": "models-nas", "readOnly": True}} \
        in spec["volumes"]
    assert {"name": "model-source", "mountPath": "/mnt/model-source", "readOnly": True, "subPath": "ctr/41"} \
        in spec["initContainers"][0]["volumeMounts"]


def test_autoscaling_renders_an_hpa_and_leaves_replicas_to_it():
    objects = render(values(autoscaling={"enabled": True, "minReplicas": 2, "maxReplicas": 5,
                                         "metric": "cpu", "target": 70}))
    hpa = next(o for o in objects if o["kind"] == "HorizontalPodAutoscaler")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 5)
    assert hpa["spec"]["metrics"] == [{"type": "Resource", "resource": {
        "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}]
    assert "replicas" not in next(o for o in objects if o["kind"] == "Deployment")["spec"]


def test_large_integers_stay_integers():
    """Helm hands values to templates as float64; every int in a template goes through `int`."""
    objects = render(values(replicas=12_000_000))
    assert next(o for o in objects if o["kind"] == "Deployment")["spec"]["replicas"] == 12_000_000


ROUTE = {"enabled": True, "hostnames": ["ranker.demo.example.com"],
         "parentRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "gw", "namespace": "gateways"}]}


def test_a_canary_has_its_own_service_and_budget_and_the_route_splits_by_weight():
    objects = render(values(canary={"enabled": True, "image": "reg/ranker:1.1", "replicas": 1, "weight": 10,
                                    "model": {"name": "ctr", "version": "42", "uri": "s3://models/ctr/42/"}},
                            route=ROUTE))
    services = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Service"}
    budgets = {o["metadata"]["name"]: o for o in objects if o["kind"] == "PodDisruptionBudget"}
    main, canary = (o for o in objects if o["kind"] == "Deployment")
    assert canary["metadata"]["name"] == "ranker-canary"
    for deployment, track, name in ((main, "stable", "ranker"), (canary, "canary", "ranker-canary")):
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert deployment["spec"]["selector"]["matchLabels"]["strata.dev/track"] == track
        assert services[name]["spec"]["selector"].items() <= labels.items()
        assert services[name]["spec"]["selector"]["strata.dev/track"] == track
        assert budgets[name]["spec"]["selector"]["matchLabels"]["strata.dev/track"] == track
    (route,) = (o for o in objects if o["kind"] == "HTTPRoute")
    assert route["spec"]["rules"] == [{"backendRefs": [{"name": "ranker", "port": 8080, "weight": 90},
                                                       {"name": "ranker-canary", "port": 8080, "weight": 10}]}]
    assert route["spec"]["parentRefs"] == ROUTE["parentRefs"] and route["spec"]["hostnames"] == ROUTE["hostnames"]


def test_without_a_canary_the_route_sends_everything_to_the_service():
    objects = render(values(route=ROUTE))
    (route,) = (o for o in objects if o["kind"] == "HTTPRoute")
    assert route["spec"]["rules"] == [{"backendRefs": [{"name": "ranker", "port": 8080, "weight": 100}]}]
    assert [o["metadata"]["name"] for o in objects if o["kind"] in ("Service", "PodDisruptionBudget")] == [
        "ranker", "ranker"]
    assert not [o for o in render() if o["kind"] == "HTTPRoute"]


def test_the_downloader_gets_endpoint_and_keys_by_reference():
    storage = {"s3": {"provider": "Other", "endpoint": "https://minio.local:9000", "region": "us-east-1",
                      "secretName": "model-reader"}}
    objects = render(values(modelStorage=storage))
    pod = next(o for o in objects if o["kind"] == "Deployment")["spec"]["template"]["spec"]
    env = {e["name"]: e for e in pod["initContainers"][0]["env"]}
    assert env["RCLONE_S3_ENDPOINT"]["value"] == "https://minio.local:9000"
    assert env["RCLONE_S3_PROVIDER"]["value"] == "Other" and env["RCLONE_S3_REGION"]["value"] == "us-east-1"
    assert env["AWS_ACCESS_KEY_ID"]["valueFrom"] == {"secretKeyRef": {"name": "model-reader", "key": "AWS_ACCESS_KEY_ID"}}
    assert env["AWS_SECRET_ACCESS_KEY"]["valueFrom"]["secretKeyRef"]["name"] == "model-reader"
    assert "serviceAccountName" not in pod
    identity = render(values(modelStorage={"s3": {"provider": "AWS", "serviceAccountName": "model-puller"}}))
    pod = next(o for o in identity if o["kind"] == "Deployment")["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "model-puller"
    assert not [e for e in pod["initContainers"][0]["env"] if e["name"].startswith("AWS_")]


def test_notes_and_test_hooks_are_left_out():
    objects = render()
    assert not any(o["kind"] == "Pod" for o in objects)
    with helm_python.Chart.load(CHART) as chart:
        raw = chart.render(values=values(), name="ranker", namespace="demo")
    assert any(name.endswith("NOTES.txt") for name in raw) and any("tests/" in name for name in raw)


def test_rendering_is_deterministic():
    assert render() == render()


# --- chart errors ---------------------------------------------------------------------------------

def test_schema_violation_names_the_values_path():
    with pytest.raises(ChartError) as caught:
        render(values(model={"name": "ctr", "version": "41", "uri": "gs://models/ctr/41/"}))
    [problem] = caught.value.chart_problems
    assert problem.values_path == ("model", "uri")
    assert "values.schema.json: at /model/uri" in problem.message


def test_several_schema_violations_are_reported_sorted():
    with pytest.raises(ChartError) as caught:
        render(values(replicas=-1, ports=[{"name": "http", "port": 70000}]))
    assert [p.values_path for p in caught.value.chart_problems] == [("ports", 0, "port"), ("replicas",)]


def test_missing_dependency_fails_clearly(tmp_path):
    chart = copy_chart(tmp_path)
    with (chart / "Chart.yaml").open("a") as handle:
        handle.write("dependencies:\n  - name: redis\n    version: 18.1.0\n"
                     "    repository: https://charts.example.com\n")
    with pytest.raises(ChartError) as caught:
        render(chart=chart)
    message = str(caught.value)
    assert "dependency redis 18.1.0 is missing in model-service/charts/" in message
    assert "helm dependency build" in message


def test_vendored_dependency_folder_is_accepted(tmp_path):
    chart = copy_chart(tmp_path)
    sub = chart / "charts" / "extras"
    (sub / "templates").mkdir(parents=True)
    (sub / "Chart.yaml").write_text("apiVersion: v2\nname: extras\nversion: 1.0.0\n")
    with (chart / "Chart.yaml").open("a") as handle:
        handle.write("dependencies:\n  - name: extras\n    version: 1.0.0\n")
    (chart / "values.schema.json").unlink()  # a subchart's values key would need a schema entry
    assert kinds(render(chart=chart))[-1] == ("Deployment", "ranker")


def test_template_error_names_the_values_path(tmp_path):
    chart = copy_chart(tmp_path)
    (chart / "templates" / "broken.yaml").write_text("x: {{ .Values.model.extra.field }}\n")
    with pytest.raises(ChartError) as caught:
        render(chart=chart)
    [problem] = caught.value.chart_problems
    assert problem.values_path == ("model", "extra", "field")
    assert problem.message.startswith("template error: ") and "\n" not in problem.message


def test_objects_without_namespace_get_the_release_namespace(tmp_path):
    chart = copy_chart(tmp_path)
    (chart / "templates" / "extra.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n---\n"
        "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata:\n  name: serving\nvalue: 10\n")
    objects = render(chart=chart)
    assert kinds(objects)[:2] == [("PriorityClass", "serving"), ("PodDisruptionBudget", "ranker")]
    config = next(o for o in objects if o["kind"] == "ConfigMap")
    assert list(config["metadata"]) == ["name", "namespace"] and config["metadata"]["namespace"] == "demo"
    assert "namespace" not in objects[0]["metadata"]


# --- helpers --------------------------------------------------------------------------------------

def test_schema_problem_lines_are_parsed():
    text = ("values don't meet the specifications of the schema(s) in the following chart(s):\nx:\n"
            "- at '/replicas': got string, want integer\n- at '/a/b~1c/0': minimum: got 0, want 1\n")
    assert [p.values_path for p in schema_problems(text)] == [("a", "b/c", 0), ("replicas",)]
    assert schema_problems("something else")[0].values_path == ()


def test_pointer_paths_and_hooks_and_sorting():
    assert pointer_path("/ports/0/port") == ("ports", 0, "port")
    assert is_test_hook({"metadata": {"annotations": {"helm.sh/hook": "pre-install, test"}}})
    assert not is_test_hook({"metadata": {"annotations": {"helm.sh/hook": "pre-install"}}})
    objects = [{"kind": "Zeta", "metadata": {"name": "a"}}, {"kind": "Deployment", "metadata": {"name": "b"}},
               {"kind": "Alpha", "metadata": {"name": "c"}}, {"kind": "Deployment", "metadata": {"name": "a"}}]
    assert [(o["kind"], o["metadata"]["name"]) for o in sort_objects(objects)] == [
        ("Deployment", "a"), ("Deployment", "b"), ("Alpha", "c"), ("Zeta", "a")]


def test_chart_lookup_and_version(tmp_path):
    assert chart_version(CHART) == "0.1.0"
    assert find_chart((tmp_path, CHART.parent), "model-service") == CHART
    assert find_chart((tmp_path,), "model-service") is None
    assert chart_version(tmp_path) is None
