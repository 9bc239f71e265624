"""Service with `runtime: kserve` → one KServe `serving.kserve.io/v1beta1` InferenceService.

`storageUri` is the resolved model version's URI: KServe's storage initializer
pulls it into /mnt/models when a pod starts, so the model is never in the image.

A canary is KServe's canary rollout: the predictor describes the canary (its
model and/or image) and `canaryTrafficPercent` sends `weight`% of the traffic
to it, the rest staying on the last fully rolled-out revision (the main model).
Only Serverless honours `canaryTrafficPercent`; RawDeployment silently ignores
it (kserve#5335), so a canary there is an error rather than a surprise. The
deployment mode is always written, so the cluster's default never decides.

KServe's storage initializer reads s3://, gs://, https://, pvc:// and hf:// by
itself; other schemes (oss://) need a ClusterStorageContainer on the cluster
whose `supportedUriFormats` names them.
"""
from __future__ import annotations

from typing import Any

from compiler.render.common import k8s_object, main_metadata
from compiler.render.model_registry import ResolvedModel, resolve_service_models
from compiler.render.pod import PodParts, container, container_resources, env_vars, placement, pod_parts
from compiler.targets import Target
from schemas.service import Autoscaling, KServeOptions, ServiceSpec

API_VERSION = "serving.kserve.io/v1beta1"
MODE_ANNOTATION = "serving.kserve.io/deploymentMode"
PROBE_FIELDS = (("readiness", "readinessProbe"), ("liveness", "livenessProbe"), ("startup", "startupProbe"))


def render_inference_service(target: Target, ctx: Any) -> list[dict[str, Any]]:
    spec: ServiceSpec = target.spec
    main, canary = resolve_service_models(target, ctx)
    if main is None or (spec.canary is not None and canary is None):
        return []
    mode = (spec.kserve or KServeOptions()).deploymentMode
    if spec.canary is not None and mode == "RawDeployment":
        ctx.error(target, ("canary",), "KServe RawDeployment ignores canaryTrafficPercent (kserve#5335), so this "
                                       "canary would get no traffic split: use kserve.deploymentMode: Serverless, "
                                       "or runtime: chart")
        return []
    served = canary if spec.canary is not None else main
    if served is None or not _has_format(target, served, ctx):
        return []
    annotations = {MODE_ANNOTATION: mode, "strata.dev/model": f"{served.name}@{served.version}"}
    if spec.canary is not None:
        annotations["strata.dev/stable-model"] = f"{main.name}@{main.version}"
    meta = main_metadata(target, annotations=annotations)
    body = {"predictor": predictor(target, ctx, served, mode)}
    if spec.transformer is not None:
        body["transformer"] = transformer(target, spec)
    return [k8s_object(API_VERSION, "InferenceService", meta, spec=body)]


def transformer(target: Target, spec: ServiceSpec) -> dict[str, Any]:
    """A custom container in front of the predictor, scaled like it (KServe names it kserve-container)."""
    own = spec.transformer
    assert own is not None
    main = container("kserve-container", own.image, command=own.command, args=own.args, env=own.env,
                     resources=container_resources(target, own.resources))
    return {**replica_fields(spec), "containers": [main]}


def predictor(target: Target, ctx: Any, served: ResolvedModel, mode: str) -> dict[str, Any]:
    spec: ServiceSpec = target.spec
    parts = pod_parts(target, spec.resources, spec.datasets, ctx, spec.pod)
    out: dict[str, Any] = {**replica_fields(spec)}
    if spec.canary is not None:
        out["canaryTrafficPercent"] = spec.canary.weight
    if parts.labels:
        out["labels"] = dict(sorted(parts.labels.items()))
    if parts.annotations:
        out["annotations"] = dict(sorted(parts.annotations.items()))
    out["model"] = model_container(target, ctx, served, parts, mode)
    out.update(placement(parts))
    return out


def replica_fields(spec: ServiceSpec) -> dict[str, Any]:
    """int → min = max; {min, max} → KServe's autoscaler with the spec's metric and target."""
    if isinstance(spec.replicas, int):
        return {"minReplicas": spec.replicas, "maxReplicas": spec.replicas}
    scaling = spec.autoscaling or Autoscaling()
    return {"minReplicas": spec.replicas.min, "maxReplicas": spec.replicas.max,
            "scaleMetric": scaling.metric, "scaleTarget": scaling.target}


def model_container(target: Target, ctx: Any, served: ResolvedModel, parts: PodParts, mode: str) -> dict[str, Any]:
    spec: ServiceSpec = target.spec
    image = spec.canary.image if spec.canary is not None and spec.canary.image else spec.image
    out: dict[str, Any] = {"modelFormat": {"name": served.format}, **runtime_fields(spec),
                           "storageUri": served.uri}
    if image:   # none: the ServingRuntime's image serves the model
        out["image"] = image
    out.update(parts.container_fields)
    if spec.command:
        out["command"] = list(spec.command)
    if spec.args:
        out["args"] = list(spec.args)
    if spec.env:
        out["env"] = env_vars(list(spec.env))
    out["ports"] = container_ports(target, ctx, mode)
    resources = container_resources(target, spec.resources)
    if resources:
        out["resources"] = resources
    out.update(probes(target, ctx))
    if parts.mounts:
        out["volumeMounts"] = parts.mounts
    return out


def runtime_fields(spec: ServiceSpec) -> dict[str, str]:
    """The ServingRuntime and protocol the spec picks (none: KServe picks by modelFormat)."""
    options = spec.kserve
    if options is None:
        return {}
    found = {"runtime": options.runtime, "runtimeVersion": options.runtimeVersion,
             "protocolVersion": options.protocolVersion}
    return {k: v for k, v in found.items() if v is not None}


def container_ports(target: Target, ctx: Any, mode: str) -> list[dict[str, Any]]:
    """Knative (Serverless) routes exactly one port: the first; the others are dropped with a warning."""
    ports = [{"name": p.name, "containerPort": p.port, "protocol": p.protocol} for p in target.spec.ports]
    if mode == "Serverless" and len(ports) > 1:
        dropped = ", ".join(p["name"] for p in ports[1:])
        ctx.warn(target, ("ports", 1), f"KServe Serverless (Knative) serves one port: only {ports[0]['name']!r} "
                                       f"is exposed, not {dropped}")
        return ports[:1]
    return ports


def probes(target: Target, ctx: Any) -> dict[str, Any]:
    """HTTP probes on the port *number* (Knative rejects a probe port it cannot match by name)."""
    spec: ServiceSpec = target.spec
    numbers = {p.name: p.port for p in spec.ports}
    out = {}
    for kind, field_name in PROBE_FIELDS:
        probe = getattr(spec.probes, kind)
        if probe is None:
            continue
        port = probe.port or (spec.ports[0].name if spec.ports else None)
        if port not in numbers:
            ctx.error(target, ("probes", kind, "port"), f"{kind} probe port {port!r} is not one of the "
                                                        f"Service's ports ({', '.join(numbers) or 'none'})")
            continue
        out[field_name] = {"httpGet": {"path": probe.path, "port": numbers[port]},
                           "initialDelaySeconds": probe.initialDelaySeconds,
                           "periodSeconds": probe.periodSeconds, "failureThreshold": probe.failureThreshold}
    return out


def _has_format(target: Target, served: ResolvedModel, ctx: Any) -> bool:
    """KServe picks the serving runtime by the model's format; without one nothing would serve it."""
    if served.model is None or served.model.spec.format:
        return True
    ctx.error(served.model, ("format",), f"Service {target.name} runs on KServe, which picks its serving "
                                         f"runtime by the model's format: set `format` (e.g. onnx, sklearn)")
    return False
