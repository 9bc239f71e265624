"""Job: one-off or scheduled training / batch work, single or distributed."""
from __future__ import annotations

from typing import Literal

from pydantic import StrictBool, StrictInt, StrictStr, model_validator

from schemas.base import Duration, Spec, merge_key, promotable
from schemas.common import DatasetMount, EnvVar, Resources, Retry, Schedule

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
    replicas: dict[StrictStr, StrictInt] = {}
    resources: Resources = Resources()
    datasets: list[DatasetMount] = merge_key("name", default=[])
    scheduling: Scheduling = Scheduling()
    retry: Retry = Retry()
    activeDeadline: Duration | None = None
    ttlAfterFinished: Duration | None = None
    schedule: Schedule | None = None

    @model_validator(mode="after")
    def _roles_match_framework(self) -> JobSpec:
        allowed = ROLES[self.framework]
        unknown = sorted(set(self.replicas) - set(allowed))
        if unknown:
            hint = ", ".join(allowed) if allowed else "none (framework none runs one pod)"
            raise ValueError(f"replicas role(s) {', '.join(unknown)} not valid for framework "
                             f"{self.framework}; allowed: {hint}")
        if any(n < 0 for n in self.replicas.values()):
            raise ValueError("replica counts must be >= 0")
        return self

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
