"""Job: one-off or scheduled training / batch work, single or distributed."""
from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictBool, StrictStr, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from schemas.base import Duration, Duration32, Int32, Name, Spec, StringMap, inherits, merge_key, preset, promotable
from schemas.common import Container, DatasetMount, EnvVar, Resources, RestartPolicy, Retry, Schedule
from schemas.patch import Patch
from schemas.pod import ObjectMeta, Pod

Framework = Literal["pytorch", "tensorflow", "xgboost", "mpi", "none"]

# Replica roles per framework, in the order the operator documents them.
ROLES: dict[str, tuple[str, ...]] = {
    "pytorch": ("master", "worker"),
    "tensorflow": ("chief", "ps", "worker", "evaluator"),
    "xgboost": ("master", "worker"),
    "mpi": ("launcher", "worker"),
    "none": (),
}
# The Job fields a role takes unless it sets its own (`roles.<role>`).
ROLE_FIELDS = ("image", "command", "args", "env", "resources", "pod", "network")
# `network: none` in a role: that role without the job's network profile.
NO_NETWORK = "none"


class Scheduling(Spec):
    queue: StrictStr | None = None
    priority: StrictStr | None = None
    gang: StrictBool = False


class JobRole(Spec):
    """One role's pods: a partial Job spec laid over the Job's own fields (ROLE_FIELDS).

    After the merge stage every role written under `roles:` is complete (its unset fields
    come from the Job), so this model holds effective values."""

    image: StrictStr | None = promotable(default=None)
    command: list[StrictStr] | None = None
    args: list[StrictStr] | None = None
    env: list[EnvVar] = merge_key("name", default=[])
    resources: Resources = preset(Resources)
    restartPolicy: RestartPolicy | None = None
    pod: Pod | None = None
    network: Name | None = None


class Cleanup(Spec):
    """What the operator deletes when the job ends (runPolicy.cleanPodPolicy): `None` keeps
    every pod for its logs, `Running` deletes the ones still running, `All` deletes all."""

    pods: Literal["None", "Running", "All"]


class Rendezvous(Spec):
    backend: Literal["c10d", "etcd", "etcd-v2"] = "c10d"
    host: StrictStr | None = None
    port: Int32 | None = Field(None, ge=1, le=65535)
    id: StrictStr | None = None
    conf: StringMap = {}


class ElasticAutoscale(Spec):
    """An HPA on the workers (elasticPolicy.metrics): average cpu utilization in percent."""

    cpuUtilization: Int32 = Field(ge=1, le=100)


class Elastic(Spec):
    """Elastic PyTorch (torchrun): the operator sets PET_NNODES=min:max and the rendezvous env."""

    minReplicas: Int32 = Field(ge=1)
    maxReplicas: Int32 = Field(ge=1)
    maxRestarts: Int32 | None = Field(None, ge=0)
    nprocPerNode: Literal["auto", "cpu", "gpu"] | Int32 | None = None
    rendezvous: Rendezvous = preset(Rendezvous)
    autoscale: ElasticAutoscale | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Elastic:
        if self.minReplicas > self.maxReplicas:
            raise ValueError(f"elastic.minReplicas ({self.minReplicas}) is greater than maxReplicas "
                             f"({self.maxReplicas})")
        if self.rendezvous.backend != "c10d" and (self.rendezvous.host is None or self.rendezvous.port is None):
            raise ValueError(f"rendezvous backend {self.rendezvous.backend} needs `host` and `port` "
                             "(the etcd service the workers meet at)")
        return self


class JobSpec(Spec):
    framework: Framework = "none"
    image: StrictStr = promotable()
    command: list[StrictStr] = []
    args: list[StrictStr] = []
    env: list[EnvVar] = merge_key("name", default=[])
    replicas: dict[StrictStr, Int32] = {}
    roles: dict[StrictStr, JobRole] | None = inherits(*ROLE_FIELDS, default=None)
    resources: Resources = preset(Resources)
    datasets: list[DatasetMount] = merge_key("name", default=[])
    pod: Pod | None = None
    network: Name | None = None     # an environment's networkProfiles entry (roles may say `none`)
    metadata: ObjectMeta | None = None
    patches: list[Patch] = merge_key("name", default=[])
    scheduling: Scheduling = preset(Scheduling)
    retry: Retry = preset(Retry)
    cleanup: Cleanup | None = None
    elastic: Elastic | None = None
    parallelism: Int32 | None = Field(None, ge=1)
    completions: Int32 | None = Field(None, ge=1)
    completionMode: Literal["NonIndexed", "Indexed"] | None = None
    activeDeadline: Duration | None = None
    ttlAfterFinished: Duration32 | None = None    # ttlSecondsAfterFinished is an int32
    schedule: Schedule | None = None

    @field_validator("replicas")
    @classmethod
    def _roles_match_framework(cls, replicas: dict[str, int], info: ValidationInfo) -> dict[str, int]:
        """Each role must be one of the framework's; the error names (and points at) the first bad one."""
        if "framework" not in info.data:      # an invalid framework is reported on its own
            return replicas
        for role, count in replicas.items():
            _check_role(info.data["framework"], role)
            if count < 0:
                raise PydanticCustomError("negative_replicas", "a replica count must be >= 0", {"key": role})
        return replicas

    @field_validator("roles")
    @classmethod
    def _known_roles(cls, roles: dict[str, JobRole] | None, info: ValidationInfo) -> dict[str, JobRole] | None:
        if "framework" in info.data:
            for role in roles or {}:
                _check_role(info.data["framework"], role)
        return roles

    def role_counts(self) -> dict[str, int]:
        """Replicas per role with framework defaults (one master/chief/launcher, else one pod)."""
        if self.framework == "none":
            return {"main": 1}
        head = ROLES[self.framework][0]
        counts = {head: 1} if head != "ps" else {}
        counts.update(self.replicas)
        return {role: counts[role] for role in ROLES[self.framework] if counts.get(role)}

    def pod_counts(self) -> dict[str, int]:
        """Pods per role at most at once: elastic workers may grow to maxReplicas, a batch Job
        runs `parallelism` pods."""
        counts = self.role_counts()
        if self.elastic is not None and "worker" in counts:
            counts["worker"] = max(counts["worker"], self.elastic.maxReplicas)
        if self.framework == "none" and self.parallelism is not None:
            counts["main"] = self.parallelism
        return counts

    @property
    def total_replicas(self) -> int:
        return sum(self.role_counts().values())

    def role(self, role: str) -> JobRole:
        """The effective spec of one role's pods: its `roles:` entry, else the Job's own fields."""
        found = (self.roles or {}).get(role)
        if found is not None:
            return found
        return JobRole.model_construct(image=self.image, command=self.command, args=self.args, env=self.env,
                                        resources=self.resources, restartPolicy=None, pod=self.pod,
                                        network=self.network)

    def containers(self) -> tuple[Container, ...]:
        """One container per role (one for all replicas when no role has its own settings)."""
        counts = self.pod_counts()
        if not self.roles:
            return (Container((), self.image, self.resources, sum(counts.values())),)
        own = self.roles
        return tuple(Container(("roles", role) if role in own else (), self.role(role).image or self.image,
                               self.role(role).resources, count, f"role {role}: ")
                     for role, count in counts.items())


def _check_role(framework: str, role: str) -> None:
    allowed = ROLES[framework]
    if role not in allowed:
        hint = f"allowed: {', '.join(allowed)}" if allowed else "it has none: framework none runs one pod"
        raise PydanticCustomError("unknown_role", "not a role of framework {framework} ({hint})",
                                  {"key": role, "framework": framework, "hint": hint})
