"""strata.yaml: repository settings (all optional)."""
from __future__ import annotations

from pydantic import Field, StrictInt, StrictStr

from schemas.base import Spec, preset


class JsonnetLimits(Spec):
    """Bounds on evaluating one Jsonnet file; exceeding one is an error located at the file."""

    timeoutSeconds: float = Field(10, gt=0)           # wall clock
    memoryMiB: StrictInt = Field(512, ge=64, le=65536)
    maxOutputMiB: StrictInt = Field(8, ge=1, le=1024)  # the JSON it evaluates to, like the 8 MiB cap on any file


class RepoSettings(Spec):
    output: StrictStr = "out"
    charts: list[StrictStr] = ["charts"]
    crds: list[StrictStr] = []
    jsonnet: JsonnetLimits = preset(JsonnetLimits)
    lockTimeoutSeconds: float = Field(60, ge=0)        # how long a compile waits for another one writing out/
