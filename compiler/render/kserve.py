"""Service with `runtime: kserve` → one KServe `serving.kserve.io/v1beta1` InferenceService.

`storageUri` is the resolved model version's URI: KServe's storage initializer
pulls it into /mnt/models when a pod starts, so the model is never in the image.

A canary is KServe's canary rollout: the predictor describes the canary (its
model and/or image) and `canaryTrafficPercent` sends `weight`% of the traffic
to it, the rest staying on the last fully rolled-out revision (the main model).
Only Knative mode honours `canaryTrafficPercent`; Standard mode ignored it before
v0.20 (kserve#5335), so a canary there is an error rather than a surprise. The
deployment mode is always written, with KServe's current names (Knative, Standard),
so the cluster's default never decides.

KServe admits only storage URIs it can download (s3://, gs://, https://, pvc://, hf://,
...): an `oss://` model is pulled as `s3://` through OSS's S3 API, which needs the
environment's `storage.oss`. With `storage.<scheme>.secret` the predictor runs as a
ServiceAccount `<service>-models` listing that Secret, where KServe's credential builder
finds the keys (and, in the Secret's `serving.kserve.io/s3-*` annotations, the endpoint);
with `storage.<scheme>.serviceAccount` it runs as that account (workload identity).

Knative admits one container port named `h2c`, `http1` or nothing, off the queue-proxy's
ports: a gRPC-looking port name (`grpc*`, `h2c`) becomes `h2c`, any other `http1`.
"""
from __future__ import annotations

from typing import Any

from compiler.render.common import k8s_object, main_metadata, metadata
from compiler.render.model_registry import ResolvedModel, resolve_service_models
from compiler.render.pod import PodParts, container, container_resources, env_vars, placement, pod_parts
from compiler.render.storage import model_storage, s3_uri, storage_problem
from compiler.targets import Target
from schemas.service import Autoscaling, KServeOptions, ServiceSpec

API_VERSION = "serving.kserve.io/v1beta1"
MODE_ANNOTATION = "serving.kserve.io/deploymentMode"
PROBE_FIELDS = (("readiness", "readinessProbe"), ("liveness", "livenessProbe"), ("startup", "startupProbe"))
CURRENT_MODES = {"Serverless": "Knative", "RawDeployment": "Standard"}   # KServe's renames (v0.16)
KNATIVE_RESERVED_PORTS = (8012, 8013, 8022, 9090, 9091)                   # the queue-proxy's


def render_inference_service(target: Target, ctx: Any) -> list[dict[str, Any]]:
    spec: ServiceSpec = target.spec
    main, canary = resolve_service_models(target, ctx)
    if main is None or (spec.canary is not None and canary is None):
        return []
    # values.yaml is the effective spec; a `chart` there would claim a chart that is not used
    ctx.values = {key: value for key, value in target.values.items() if key != "chart"}
    mode = deployment_mode(target, ctx)
    if spec.canary is not None and mode == "Standard":
        ctx.error(target, ("canary",), "KServe Standard mode (RawDeployment) ignores canaryTrafficPercent "
                                       "(kserve#5335), so this canary would get no traffic split: use "
                                       "kserve.deploymentMode: Knative, or runtime: chart")
        return []
    served = canary if spec.canary is not None else main
    if served is None or not _has_format(target, served, ctx):
        return []
    account = storage_account(target, ctx, served)
    if account is None:
        return []
    annotations = {MODE_ANNOTATION: mode, "strata.dev/model": f"{served.name}@{served.version}"}
    if spec.canary is not None:
        annotations["strata.dev/stable-model"] = f"{main.name}@{main.version}"
    meta = main_metadata(target, annotations=annotations)
    objects = []
    storage = model_storage(target.env, served.uri)
    if account and storage is not None and storage.settings is not None and storage.settings.secret:
        objects.append(k8s_object("v1", "ServiceAccount", metadata(target, account),
                                  secrets=[{"name": storage.settings.secret}]))
    body = {"predictor": predictor(target, ctx, served, mode, account or None)}
    if spec.transformer is not None:
        body["transformer"] = transformer(target, spec)
    return [*objects, k8s_object(API_VERSION, "InferenceService", meta, spec=body)]


def transformer(target: Target, spec: ServiceSpec) -> dict[str, Any]:
    """A custom container in front of the predictor, scaled like it (KServe names it kserve-container)."""
    own = spec.transformer
    assert own is not None
    main = container("kserve-container", own.image, command=own.command, args=own.args, env=own.env,
                     resources=container_resources(target, own.resources))
    return {**replica_fields(spec), "containers": [main]}


def deployment_mode(target: Target, ctx: Any) -> str:
    """Knative or Standard (an old name is accepted, written as the new one, with a warning)."""
    mode = (target.spec.kserve or KServeOptions()).deploymentMode
    if mode in CURRENT_MODES:
        ctx.warn(target, ("kserve", "deploymentMode"), f"deploymentMode {mode} is KServe's old name of "
                                                       f"{CURRENT_MODES[mode]}; write {CURRENT_MODES[mode]}")
    return CURRENT_MODES.get(mode, mode)


def storage_account(target: Target, ctx: Any, served: ResolvedModel) -> str | None:
    """The predictor's ServiceAccount for pulling `served` ("" for none needed); None after an error."""
    problem = storage_problem(target.env, served.name, served.version, served.uri)
    if problem is not None:
        ctx.error(target, ("model",) if target.spec.canary is None else ("canary",), problem)
        return None
    storage = model_storage(target.env, served.uri)
    if storage is None or storage.settings is None:
        return ""
    if storage.settings.serviceAccount:
        return storage.settings.serviceAccount
    return f"{target.name}-models" if storage.settings.secret else ""


def predictor(target: Target, ctx: Any, served: ResolvedModel, mode: str,
              account: str | None = None) -> dict[str, Any]:
    spec: ServiceSpec = target.spec
    parts = pod_parts(target, spec.resources, spec.datasets, ctx, spec.pod)
    out: dict[str, Any] = {**replica_fields(spec)}
    if account:
        out["serviceAccountName"] = account
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
                           "storageUri": s3_uri(served.uri)}
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
    """Knative routes exactly one port: the first, under a name Knative admits; the others are
    dropped with a warning."""
    ports = [{"name": p.name, "containerPort": p.port, "protocol": p.protocol} for p in target.spec.ports]
    if mode != "Knative" or not ports:
        return ports
    if len(ports) > 1:
        dropped = ", ".join(p["name"] for p in ports[1:])
        ctx.warn(target, ("ports", 1), f"KServe Knative mode serves one port: only {ports[0]['name']!r} "
                                       f"is exposed, not {dropped}")
    first = ports[0]
    if first["containerPort"] in KNATIVE_RESERVED_PORTS:
        ctx.error(target, ("ports", 0, "port"), f"port {first['containerPort']} is taken by Knative's queue-proxy "
                                                f"({', '.join(map(str, KNATIVE_RESERVED_PORTS))}); use another")
    return [{**first, "name": knative_port_name(first["name"])}]


def knative_port_name(name: str) -> str:
    """Knative admits `h2c` (HTTP/2, gRPC), `http1` or no name: the spec's name says which."""
    return "h2c" if name.startswith("grpc") or name == "h2c" else "http1"


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
