"""AppType: defaults for one kind, optionally extending another app type."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, StrictStr

from schemas.base import Name, Spec, promotable

KindName = Literal["Dataset", "Job", "Model", "Service", "Pipeline", "Notebook"]


class ChartRef(Spec):
    name: Name = "model-service"
    version: StrictStr | None = promotable(default=None)


class AppTypeDoc(Spec):
    kind: Literal["AppType"]
    name: Name
    for_: KindName = Field(alias="for")
    extends: Name | None = None
    spec: dict[str, Any] = {}
    chart: ChartRef | None = None
