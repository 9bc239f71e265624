"""Job: one-off or scheduled training / batch work, single or distributed."""
from __future__ import annotations

from typing import Literal

from pydantic import StrictBool, StrictStr, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from schemas.base import Duration, Duration32, Int32, Spec, merge_key, promotable
from schemas.common import Container, DatasetMount, EnvVar, Resources, Retry, Schedule

Framework = Literal["pytorch", "tensorflow", "xgboost", "mpi", "none"]

# Replica roles per framework, in the order the operator documents them.
ROLES: dict[str, tuple[str, ...]] = {
    "pytorch": ("master", "worker"),
    "tensorflow": ("chief", "ps", "worker", "evaluator"),
    "xgboost": ("master", "worker"),
    "mpi": ("launcher", "worker"),
    "none": (),
}


class Scheduling(Spec):
    queue: StrictStr | None = None
    priority: StrictStr | None = None
    gang: StrictBool = False


class JobSpec(Spec):
    framework: Framework = "none"
    image: StrictStr = promotable()
    command: list[StrictStr] = []
    args: list[StrictStr] = []
    env: list[EnvVar] = merge_key("name", default=[])
    replicas: dict[StrictStr, Int32] = {}
    resources: Resources = Resources()
    datasets: list[DatasetMount] = merge_key("name", default=[])
    scheduling: Scheduling = Scheduling()
    retry: Retry = Retry()
    activeDeadline: Duration | None = None
    ttlAfterFinished: Duration32 | None = None    # ttlSecondsAfterFinished is an int32
    schedule: Schedule | None = None

    @field_validator("replicas")
    @classmethod
    def _roles_match_framework(cls, replicas: dict[str, int], info: ValidationInfo) -> dict[str, int]:
        """Each role must be one of the framework's; the error names (and points at) the first bad one."""
        if "framework" not in info.data:      # an invalid framework is reported on its own
            return replicas
        framework = info.data["framework"]
        allowed = ROLES[framework]
        for role, count in replicas.items():
            if role not in allowed:
                hint = f"allowed: {', '.join(allowed)}" if allowed else "it has none: framework none runs one pod"
                raise PydanticCustomError("unknown_role", "not a role of framework {framework} ({hint})",
                                          {"key": role, "framework": framework, "hint": hint})
            if count < 0:
                raise PydanticCustomError("negative_replicas", "a replica count must be >= 0", {"key": role})
        return replicas

    def role_counts(self) -> dict[str, int]:
        """Replicas per role with framework defaults (one master/chief/launcher, else one pod)."""
        if self.framework == "none":
            return {"main": 1}
        head = ROLES[self.framework][0]
        counts = {head: 1} if head != "ps" else {}
        counts.update(self.replicas)
        return {role: counts[role] for role in ROLES[self.framework] if counts.get(role)}

    @property
    def total_replicas(self) -> int:
        return sum(self.role_counts().values())

    def containers(self) -> tuple[Container, ...]:
        """One container, run by every replica of every role."""
        return (Container((), self.image, self.resources, self.total_replicas),)
