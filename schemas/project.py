"""Project: owner, namespace, target environments, queue and quota."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, StrictStr

from schemas.base import Amounts, Int32, Int64, Name, Quantity, Spec, StringMap, preset


class Queue(Spec):
    name: Name
    weight: Int32 = Field(1, ge=1)


class Quota(Spec):
    cpu: Quantity | None = None
    memory: Quantity | None = None
    gpu: dict[StrictStr, Int64] = {}


class QuotaSettings(Spec):
    """`default` applies everywhere; `overrides.<env or group>` merge over it."""

    default: Quota = preset(Quota)
    overrides: dict[StrictStr, dict[str, Any]] = {}


class ProjectLimits(Spec):
    """`limits:` of a project: merged over its environment's, amount by amount."""

    defaultRequest: Amounts | None = None
    default: Amounts | None = None


class ProjectDoc(Spec):
    kind: Literal["Project"]
    name: Name
    owner: StrictStr
    namespace: Name | None = None
    environments: list[Name] = Field(min_length=1)
    vars: StringMap = {}
    defaults: dict[StrictStr, dict[str, Any]] = {}
    queue: Queue | None = None
    quota: QuotaSettings = preset(QuotaSettings)
    limits: ProjectLimits = preset(ProjectLimits)
    workflowServiceAccount: Name | None = None   # else the environment's (default pipeline-runner)
