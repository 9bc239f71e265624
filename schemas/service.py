"""Service: an inference service that pulls its pinned model version at start."""
from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictStr, field_validator, model_validator

from schemas.apptype import ChartRef
from schemas.base import Int32, Name, Spec, merge_key, preset, promotable, ref
from schemas.common import Container, DatasetMount, EnvVar, Resources
from schemas.model import Version
from schemas.patch import Patch
from schemas.pod import ObjectMeta, Pod


class ModelRef(Spec):
    name: StrictStr | None = ref("Model", default=None)   # a canary's defaults to the main model
    version: Version | None = None
    alias: StrictStr | None = None

    @model_validator(mode="after")
    def _version_or_alias(self) -> ModelRef:
        if (self.version is None) == (self.alias is None):
            raise ValueError("a model reference needs exactly one of version or alias")
        return self


class ReplicaRange(Spec):
    min: Int32 = Field(ge=0)
    max: Int32 = Field(ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> ReplicaRange:
        if self.min > self.max:
            raise ValueError(f"replicas.min ({self.min}) is greater than replicas.max ({self.max})")
        return self


class Autoscaling(Spec):
    metric: Literal["cpu", "memory", "concurrency", "rps"] = "cpu"
    target: Int32 = Field(70, ge=1)


class Canary(Spec):
    """A second Deployment with its own model version and/or image, sized by weight."""

    model: ModelRef | None = None
    image: StrictStr | None = None
    weight: Int32 = Field(ge=0, le=100)


class Port(Spec):
    name: StrictStr
    port: Int32 = Field(ge=1, le=65535)
    protocol: Literal["TCP", "UDP"] = "TCP"


class Probe(Spec):
    path: StrictStr = "/healthz"
    port: StrictStr | None = None
    initialDelaySeconds: Int32 = Field(0, ge=0)
    periodSeconds: Int32 = Field(10, ge=1)
    failureThreshold: Int32 = Field(3, ge=1)


class Probes(Spec):
    readiness: Probe | None = None
    liveness: Probe | None = None
    startup: Probe | None = None


class KServeOptions(Spec):
    """`runtime: kserve` only. The mode is always written on the InferenceService, so the
    cluster's default mode never decides whether canary traffic splitting works. KServe's
    names since v0.16 are Knative and Standard; the older Serverless and RawDeployment are
    accepted and written as the new ones."""

    deploymentMode: Literal["Knative", "Standard", "Serverless", "RawDeployment"] = "Knative"
    # Which ServingRuntime serves the model (default: KServe picks one by modelFormat and
    # protocolVersion) and the inference protocol it speaks.
    runtime: Name | None = None
    runtimeVersion: StrictStr | None = None
    protocolVersion: Literal["v1", "v2", "grpc-v1", "grpc-v2"] | None = None


class Transformer(Spec):
    """KServe's transformer: pre/post-processing in front of the predictor (e.g. tokenizing for a
    Triton model), scaled like the predictor; its resources count in quota and capacity."""

    image: StrictStr
    command: list[StrictStr] = []
    args: list[StrictStr] = []
    env: list[EnvVar] = merge_key("name", default=[])
    resources: Resources = preset(Resources)


class ServiceSpec(Spec):
    runtime: Literal["chart", "kserve"] = "chart"
    chart: ChartRef = preset(ChartRef)
    # Optional on KServe only: without it the ServingRuntime's own image serves the model.
    image: StrictStr | None = promotable(default=None)
    command: list[StrictStr] = []
    args: list[StrictStr] = []
    model: ModelRef = promotable()
    replicas: Int32 | ReplicaRange = 1
    autoscaling: Autoscaling | None = None
    canary: Canary | None = promotable(default=None)
    resources: Resources = preset(Resources)
    ports: list[Port] = merge_key("name", default=[preset(Port, name="http", port=8080)])
    probes: Probes = preset(Probes)
    env: list[EnvVar] = merge_key("name", default=[])
    datasets: list[DatasetMount] = merge_key("name", default=[])
    pod: Pod | None = None
    metadata: ObjectMeta | None = None
    patches: list[Patch] = merge_key("name", default=[])
    kserve: KServeOptions | None = None
    transformer: Transformer | None = None

    @field_validator("pod")
    @classmethod
    def _ports_are_the_services(cls, pod: Pod | None) -> Pod | None:
        if pod is not None and pod.ports:
            raise ValueError("a Service's ports are its `ports` (they also name the probes' ports), not pod.ports")
        return pod

    @model_validator(mode="after")
    def _chart_needs_an_image(self) -> ServiceSpec:
        if self.transformer is not None and self.runtime != "kserve":
            raise ValueError("transformer is a KServe component: it needs runtime: kserve")
        if self.image is None and self.runtime == "chart":
            raise ValueError("image is required with runtime: chart (only KServe can leave the image to its "
                             "ServingRuntime)")
        return self

    @property
    def max_replicas(self) -> int:
        return self.replicas if isinstance(self.replicas, int) else self.replicas.max

    def containers(self) -> tuple[Container, ...]:
        """The model server: every replica at the maximum, plus the canary's; and the transformer's."""
        server = Container((), self.image or "", self.resources, self.max_replicas + canary_replicas(self))
        if self.transformer is None:
            return (server,)
        return (server, Container(("transformer",), self.transformer.image, self.transformer.resources,
                                  self.max_replicas, "transformer: "))


def canary_replicas(spec: ServiceSpec) -> int:
    """Replicas of a Service's canary: ceil(max replicas × weight / 100), at least 1 when weight > 0.

    The one definition the Service renderer and the quota check both use.
    """
    canary = spec.canary
    if canary is None or canary.weight <= 0:
        return 0
    return canary_share(spec.max_replicas, canary.weight)


def canary_share(max_replicas: int, percent: int) -> int:
    """A canary's traffic share of `max_replicas` pods: ceil(max × percent / 100), at least 1
    (also what capacity counts for a KServe canary revision)."""
    return max(1, -(-max_replicas * percent // 100))
