"""Sub-models that several kinds share: resources, env vars, dataset mounts, schedules."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from pydantic import Field, StrictBool, StrictStr, field_validator, model_validator

from schemas.base import Duration, Int32, Int64, Limit, Name, Quantity, Spec, Text, ref

FIELD_PATHS = re.compile(r"^(metadata\.(name|namespace|uid)|metadata\.(labels|annotations)\['[^']+'\]|"
                         r"spec\.(nodeName|serviceAccountName)|status\.(podIP|hostIP|podIPs))$")


def check_field_path(path: str) -> str:
    """A pod field the downward API exposes as an env var."""
    if not FIELD_PATHS.match(path):
        raise ValueError(f"fieldRef {path!r} is not a pod field the downward API exposes as env (e.g. "
                         "metadata.name, metadata.namespace, metadata.labels['x'], status.podIP, spec.nodeName)")
    return path


class SecretKeyRef(Spec):
    name: Name
    key: StrictStr


class EnvVar(Spec):
    """`value`, `secretRef` (a reference: secret values never live in specs) or `fieldRef` (a pod
    field through the downward API: metadata.name, status.podIP, ...)."""

    name: StrictStr
    value: Text | None = None
    secretRef: SecretKeyRef | None = None
    fieldRef: StrictStr | None = None

    @field_validator("fieldRef")
    @classmethod
    def _exposed(cls, path: str | None) -> str | None:
        return None if path is None else check_field_path(path)

    @model_validator(mode="after")
    def _one_source(self) -> EnvVar:
        if sum(source is not None for source in (self.value, self.secretRef, self.fieldRef)) != 1:
            raise ValueError(f"env var {self.name!r} needs exactly one of value, secretRef or fieldRef")
        return self


class Limits(Spec):
    """Limits that differ from the requests: a quantity (at least the request) or `none`."""

    cpu: Limit | None = None
    memory: Limit | None = None
    ephemeralStorage: Limit | None = None


class Resources(Spec):
    """`cpu`, `memory` and `ephemeralStorage` are requests, and also the limits unless `limits`
    says otherwise; `gpu` is always both (extended resources cannot be overcommitted)."""

    cpu: Quantity | None = None
    memory: Quantity | None = None
    gpu: Int64 = Field(0, ge=0)
    gpuType: StrictStr | None = None
    shm: Quantity | None = None
    ephemeralStorage: Quantity | None = None
    limits: Limits | None = None

    def limit(self, name: str) -> str | None:
        """The limit of `cpu`, `memory` or `ephemeralStorage`: its own, else the request (`none`: None)."""
        own = getattr(self.limits, name) if self.limits is not None else None
        if own == "none":
            return None
        return own if own is not None else getattr(self, name)


class DatasetMount(Spec):
    name: Name = ref("Dataset")
    mountPath: StrictStr
    readOnly: StrictBool = True


class HistoryLimit(Spec):
    successful: Int32 = Field(3, ge=0)
    failed: Int32 = Field(3, ge=0)


class Schedule(Spec):
    """A cron schedule (Argo CronWorkflow semantics)."""

    cron: StrictStr | list[StrictStr]
    timezone: StrictStr | None = None
    concurrency: Literal["Allow", "Forbid", "Replace"] = "Forbid"
    startingDeadlineSeconds: Int64 | None = Field(None, ge=0)
    historyLimit: Int32 | HistoryLimit = 3
    suspend: StrictBool = False

    @property
    def crons(self) -> list[str]:
        return [self.cron] if isinstance(self.cron, str) else list(self.cron)


@dataclass(frozen=True)
class Container:
    """One container a spec runs, as the spec describes it: where it sits, its image and resources."""

    path: tuple            # spec path of the part holding `image` and `resources`
    image: str
    resources: Resources
    pods: int = 1          # how many pods run it at once (all replicas)
    label: str = ""        # "step <name>: " for a pipeline step, so messages say which
    workload: str = ""     # containers with the same workload count together (maxGpuPerWorkload)


RestartPolicy = Literal["OnFailure", "Never", "ExitCode", "Always"]


class Retry(Spec):
    """A Job's retries: `backoffLimit` failed pods in all; `restartPolicy` of every role's pods
    (default: OnFailure for Kubeflow jobs, Never for a batch Job; a role may set its own)."""

    backoffLimit: Int32 = Field(3, ge=0)
    restartPolicy: RestartPolicy | None = None


__all__ = [
    "Container", "DatasetMount", "Duration", "EnvVar", "HistoryLimit", "Int32", "Int64", "Limits", "Resources",
    "RestartPolicy", "Retry", "Schedule", "SecretKeyRef",
]
