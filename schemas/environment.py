"""EnvironmentGroup and Environment: the same settings; an Environment's override its group's."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, StrictBool, StrictInt, StrictStr

from schemas.base import Name, Spec, StringMap


class Cluster(Spec):
    """The kube context / cluster identity that `apply` must see."""

    name: StrictStr
    server: StrictStr | None = None


class Toleration(Spec):
    key: StrictStr | None = None
    operator: Literal["Exists", "Equal"] = "Exists"
    value: StrictStr | None = None
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = None


class GpuPool(Spec):
    """How a `gpuType` becomes pod scheduling in one environment."""

    resourceName: StrictStr = "nvidia.com/gpu"
    nodeSelector: StringMap = {}
    tolerations: list[Toleration] = []


class Policy(Spec):
    requirePinnedImages: StrictBool = False
    requirePinnedModels: StrictBool = False
    requireResourceLimits: StrictBool = False
    maxGpuPerWorkload: StrictInt | None = Field(None, ge=0)
    allowedGpuTypes: list[StrictStr] | None = None
    forbidHostPath: StrictBool = False


class Runs(Spec):
    """How `strata run` may start runs here."""

    allowDirty: StrictBool = False    # start runs from uncommitted changes (a dev cluster), without --allow-dirty


class ArgoServer(Spec):
    """The Argo Server that `strata run` submits pipelines through (else it creates Workflow objects itself)."""

    url: StrictStr                    # https://argo.example.com (the API is under /api/v1)


class Promotion(Spec):
    from_: Name = Field(alias="from")


class EnvironmentSettings(Spec):
    """Settings shared by EnvironmentGroup and Environment (merged group → env)."""

    cluster: Cluster | None = None
    namespaceSuffix: StrictStr = ""
    vars: StringMap = {}
    scheduler: Literal["volcano", "kueue", "default"] = "default"
    gpuPools: dict[StrictStr, GpuPool] = {}
    defaults: dict[StrictStr, dict[str, Any]] = {}
    appTypes: dict[StrictStr, dict[str, Any]] = {}
    locked: list[StrictStr] = []
    policy: Policy = Policy()
    promotion: Promotion | None = None
    presets: list[StrictStr] = []
    runs: Runs = Runs()
    argoServer: ArgoServer | None = None


class EnvironmentGroupDoc(EnvironmentSettings):
    kind: Literal["EnvironmentGroup"]
    name: Name


class EnvironmentDoc(EnvironmentSettings):
    kind: Literal["Environment"]
    name: Name
    group: Name
