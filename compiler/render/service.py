"""Service → Helm values for its chart → the chart rendered by the real Helm engine.

The effective spec, the resolved model version(s), the environment's GPU pool,
its object-store settings for the models' URIs (`storage:`, compiler/render/storage.py),
its Gateway (`gateway:`: an HTTPRoute, which splits a canary's traffic by weight) and
the SPEC §4 labels become the chart's values (written as the target's values.yaml);
`runtime: kserve` goes to compiler/render/kserve.py instead.
Every values path remembers the spec path it came from, so a values.schema.json
violation or a failing template points at the spec line that caused it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compiler.render.common import target_labels
from compiler.render.helm import ChartError, chart_version, find_chart, render_chart
from compiler.render.model_registry import ResolvedModel, resolve_service_models
from compiler.render.pod import PodParts, container_resources, env_vars, pod_parts
from compiler.render.storage import chart_values as storage_values
from compiler.render.storage import model_storage, storage_problem
from compiler.targets import Target
from schemas.service import Autoscaling, Probe, ServiceSpec, canary_replicas

# Set by the chart itself; a spec env var of the same name would silently fight it.
RESERVED_ENV = ("MODEL_PATH", "MODEL_NAME", "MODEL_VERSION", "MODEL_URI")
PROBES = ("readiness", "liveness", "startup")


@dataclass
class ChartValues:
    """The values dict plus, per values path, the (target, spec path) that produced it."""

    target: Target
    data: dict[str, Any] = field(default_factory=dict)
    sources: dict[tuple, tuple[Target, tuple]] = field(default_factory=dict)

    def put(self, key: str, value: Any, spec_path: tuple | None = None) -> None:
        self.data[key] = value
        if spec_path is not None:
            self.source((key,), spec_path)

    def source(self, values_path: tuple, spec_path: tuple, target: Target | None = None) -> None:
        self.sources[values_path] = (target or self.target, spec_path)

    def locate(self, values_path: tuple) -> tuple[Target, tuple]:
        """The spec location of a values path: its longest known prefix, plus the rest."""
        for cut in range(len(values_path), 0, -1):
            found = self.sources.get(values_path[:cut])
            if found is not None:
                return found[0], found[1] + values_path[cut:]
        return self.target, ()


class ServiceRenderer:
    def render(self, target: Target, ctx: Any) -> list[dict[str, Any]]:
        if target.spec.runtime == "kserve":
            from compiler.render.kserve import render_inference_service
            return render_inference_service(target, ctx)
        return render_chart_service(target, ctx)


def render_chart_service(target: Target, ctx: Any) -> list[dict[str, Any]]:
    main, canary = resolve_service_models(target, ctx)
    chart_dir = locate_chart(target, ctx)
    if main is None or chart_dir is None or (target.spec.canary is not None and canary is None):
        return []
    if not check_traffic(target, ctx) or not check_storage(target, ctx, [main, canary]):
        return []
    values = chart_values(target, ctx, main, canary)
    ctx.values = values.data   # values.yaml holds the chart's values, not the effective spec
    ctx.record("chart", {"name": chart_dir.name, "version": chart_version(chart_dir, ctx.cache) or "",
                         "path": _relative(chart_dir, ctx.repo)})
    try:
        objects = render_chart(chart_dir, values.data, target.name, target.project.namespace, cache=ctx.cache)
    except ChartError as err:
        report_chart_problems(target, ctx, values, err)
        return []
    return [with_strata_labels(obj, target) for obj in objects]


def locate_chart(target: Target, ctx: Any) -> Path | None:
    """The chart folder the spec names; its Chart.yaml must match a pinned `version`."""
    ref = target.spec.chart
    dirs = tuple(Path(ctx.repo) / d for d in ctx.chart_dirs)
    chart_dir = find_chart(dirs, ref.name)
    if chart_dir is None:
        searched = ", ".join(_relative(d, ctx.repo) for d in dirs) or "no chart folders"
        ctx.error(target, ("chart", "name"), f"unknown chart {ref.name!r}: no {ref.name}/Chart.yaml in {searched}")
        return None
    found = chart_version(chart_dir, ctx.cache)
    if ref.version is not None and found != ref.version:
        ctx.error(target, ("chart", "version"), f"chart {ref.name} is version {found} "
                  f"({_relative(chart_dir, ctx.repo)}/Chart.yaml), but the spec pins version {ref.version}")
        return None
    return chart_dir


def chart_values(target: Target, ctx: Any, main: ResolvedModel, canary: ResolvedModel | None) -> ChartValues:
    spec = target.spec
    parts = pod_parts(target, spec.resources, spec.datasets, ctx, spec.pod)
    values = ChartValues(target)
    values.put("labels", target_labels(target))
    values.put("podLabels", dict(sorted(parts.labels.items())), ("datasets",))
    values.put("image", spec.image, ("image",))
    put_model(values, ("model",), main, ("model",))
    put_replicas(values, spec)
    values.put("ports", [{"name": p.name, "port": p.port, "protocol": p.protocol} for p in spec.ports], ("ports",))
    values.put("probes", probe_values(target, ctx), ("probes",))
    values.put("resources", container_resources(target, spec.resources), ("resources",))
    values.put("env", env_vars(checked_env(target, ctx)), ("env",))
    values.put("nodeSelector", dict(sorted(parts.node_selector.items())), ("resources", "gpuType"))
    values.put("tolerations", parts.tolerations, ("resources", "gpuType"))
    values.put("volumes", parts.volumes, ("datasets",))
    values.put("volumeMounts", parts.mounts, ("datasets",))
    values.put("modelStorage", {storage.scheme: storage_values(storage) for storage in
                                [model_storage(target.env, m.uri) for m in (main, canary) if m is not None]
                                if storage is not None}, ("model",))
    values.put("route", route_values(target))
    put_pod(values, spec, parts)
    if spec.canary is not None and canary is not None:
        put_canary(values, spec, canary)
    return values


def route_values(target: Target) -> dict[str, Any]:
    """An HTTPRoute on the environment's Gateway, at `<service>.<namespace>.<domain>`."""
    gateway = target.env.settings.gateway
    if gateway is None:
        return {"enabled": False}
    parent = {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": gateway.name,
              "namespace": gateway.namespace}
    if gateway.sectionName:
        parent["sectionName"] = gateway.sectionName
    return {"enabled": True, "parentRefs": [parent],
            "hostnames": [f"{target.name}.{target.project.namespace}.{gateway.domain}"]}


def check_traffic(target: Target, ctx: Any) -> bool:
    """A canary's weight is a traffic share only through a route: without the environment's
    Gateway, the share would follow the ratio of ready pods instead."""
    canary = target.spec.canary
    if canary is None or canary.weight == 0 or target.env.settings.gateway is not None:
        return True
    ctx.error(target, ("canary", "weight"), f"canary weight {canary.weight} needs a Gateway API route to split "
                                            f"traffic: environment {target.env.name} names no `gateway:` "
                                            f"(docs/cluster-requirements.md)")
    return False


def check_storage(target: Target, ctx: Any, models: list[ResolvedModel | None]) -> bool:
    """oss:// models are pulled through OSS's S3 API, whose endpoint the environment must give."""
    for model, path in zip(models, (("model",), ("canary", "model")), strict=True):
        problem = storage_problem(target.env, model.name, model.version, model.uri) if model is not None else None
        if problem is not None:
            ctx.error(target, path, problem)
            return False
    return True
def put_pod(values: ChartValues, spec: ServiceSpec, parts: PodParts) -> None:
    """The server's command/args and the `pod:` block's values the chart has no other source for
    (only those set, so a Service without them keeps its values.yaml)."""
    if parts.annotations:
        values.put("podAnnotations", dict(sorted(parts.annotations.items())), ("pod", "annotations"))
    for key, spec_key in (("serviceAccountName", "serviceAccount"), ("imagePullSecrets", "imagePullSecrets"),
                          ("securityContext", "securityContext")):
        if key in parts.pod_fields:
            values.put(key, parts.pod_fields[key], ("pod", spec_key))
    for key in ("command", "args"):
        if getattr(spec, key):
            values.put(key, list(getattr(spec, key)), (key,))
    for key in ("imagePullPolicy", "workingDir"):
        if key in parts.container_fields:
            values.put(key, parts.container_fields[key], ("pod", key))


def put_model(values: ChartValues, key: tuple, model: ResolvedModel, spec_path: tuple) -> dict[str, str]:
    """The resolved version; its `uri` is located in the Model's file, not the Service's."""
    record = model.record()
    if len(key) == 1:
        values.put(key[0], record, spec_path)
    else:
        values.source(key, spec_path)
    if model.model is not None:
        values.source(key + ("uri",), ("versions", model.index, "uri"), model.model)
        values.source(key + ("digest",), ("versions", model.index, "digest"), model.model)
    return record


def put_replicas(values: ChartValues, spec: Any) -> None:
    """int → fixed replicas; {min, max} → an HPA (the Deployment then leaves replicas to it)."""
    if isinstance(spec.replicas, int):
        values.put("replicas", spec.replicas, ("replicas",))
        values.put("autoscaling", {"enabled": False}, ("autoscaling",))
        return
    scaling = spec.autoscaling or Autoscaling()
    values.put("replicas", spec.replicas.min, ("replicas", "min"))
    values.put("autoscaling", {"enabled": True, "minReplicas": spec.replicas.min, "maxReplicas": spec.replicas.max,
                               "metric": scaling.metric, "target": scaling.target}, ("autoscaling",))
    values.source(("autoscaling", "minReplicas"), ("replicas", "min"))
    values.source(("autoscaling", "maxReplicas"), ("replicas", "max"))


def put_canary(values: ChartValues, spec: Any, canary: ResolvedModel) -> None:
    model_path = ("canary", "model") if spec.canary.model is not None else ("model",)
    record = put_model(values, ("canary", "model"), canary, model_path)
    values.put("canary", {"enabled": True, "image": spec.canary.image or spec.image, "model": record,
                          "replicas": canary_replicas(spec), "weight": spec.canary.weight}, ("canary",))
    values.source(("canary", "replicas"), ("canary", "weight"))
    values.source(("canary", "image"), ("canary", "image") if spec.canary.image else ("image",))


def probe_values(target: Target, ctx: Any) -> dict[str, dict[str, Any]]:
    """Each set probe, its port defaulting to the first port's name (and checked to exist)."""
    spec = target.spec
    names = [p.name for p in spec.ports]
    out = {}
    for kind in PROBES:
        probe: Probe | None = getattr(spec.probes, kind)
        if probe is None:
            continue
        port = probe.port or (names[0] if names else "")
        if port not in names:
            ctx.error(target, ("probes", kind, "port"), f"{kind} probe port {port!r} is not one of the "
                                                        f"Service's ports ({', '.join(names) or 'none'})")
        out[kind] = {"path": probe.path, "port": port, "initialDelaySeconds": probe.initialDelaySeconds,
                     "periodSeconds": probe.periodSeconds, "failureThreshold": probe.failureThreshold}
    return out


def checked_env(target: Target, ctx: Any) -> list[Any]:
    for index, var in enumerate(target.spec.env):
        if var.name in RESERVED_ENV:
            ctx.error(target, ("env", index, "name"), f"env var {var.name} is set by the model-service chart "
                                                      f"(the model is mounted at $MODEL_PATH); rename it")
    return list(target.spec.env)


def report_chart_problems(target: Target, ctx: Any, values: ChartValues, err: ChartError) -> None:
    for problem in err.chart_problems:
        where, path = values.locate(problem.values_path) if problem.values_path else (target, ("chart",))
        prefix = "" if where is target else f"(rendering Service {target.name}) "
        ctx.error(where, path, f"{prefix}chart {err.chart}: {problem.message}")


def with_strata_labels(obj: dict[str, Any], target: Target) -> dict[str, Any]:
    """SPEC §4 labels on every object, whatever the chart does with `labels`."""
    meta = obj.setdefault("metadata", {})
    meta["labels"] = {**(meta.get("labels") or {}), **target_labels(target)}
    return obj


def _relative(path: Path, repo: Path) -> str:
    from compiler.load.discover import shown_chart_folder
    return shown_chart_folder(path, repo)
