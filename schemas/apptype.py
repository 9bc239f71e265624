"""AppType: defaults for one kind, optionally extending another app type."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, StrictStr

from schemas.base import Name, Spec, promotable


class ChartRef(Spec):
    name: Name = "model-service"
    version: StrictStr | None = promotable(default=None)


class AppTypeDoc(Spec):
    kind: Literal["AppType"]
    name: Name
    for_: StrictStr = Field(alias="for")   # a resource kind: checked against compiler/kinds.py
    extends: Name | None = None
    spec: dict[str, Any] = {}
    chart: ChartRef | None = None
