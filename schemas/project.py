"""Project: owner, namespace, target environments, queue and quota."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, StrictInt, StrictStr

from schemas.base import Name, Quantity, Spec, StringMap


class Queue(Spec):
    name: Name
    weight: StrictInt = Field(1, ge=1)


class Quota(Spec):
    cpu: Quantity | None = None
    memory: Quantity | None = None
    gpu: dict[StrictStr, StrictInt] = {}


class QuotaSettings(Spec):
    """`default` applies everywhere; `overrides.<env or group>` merge over it."""

    default: Quota = Quota()
    overrides: dict[StrictStr, dict[str, Any]] = {}


class ProjectDoc(Spec):
    kind: Literal["Project"]
    name: Name
    owner: StrictStr
    namespace: Name | None = None
    environments: list[Name] = Field(min_length=1)
    vars: StringMap = {}
    defaults: dict[StrictStr, dict[str, Any]] = {}
    queue: Queue | None = None
    quota: QuotaSettings = QuotaSettings()
