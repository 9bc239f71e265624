"""Dataset: object-store/NFS/PVC sources, optionally cached by a Fluid runtime."""
from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, StrictBool, StrictStr, field_validator, model_validator

from schemas.base import Amounts, Int32, Name, Quantity, Spec, StringMap, merge_key, preset
from schemas.patch import Patch

URI_SCHEMES = ("oss", "s3", "hdfs", "pvc", "nfs", "https")
_URI = re.compile(r"^([a-z0-9]+)://(.+)$")


class Source(Spec):
    name: Name
    uri: StrictStr
    secretRef: Name | None = None
    options: StringMap = {}

    @field_validator("uri")
    @classmethod
    def _known_scheme(cls, uri: str) -> str:
        match = _URI.match(uri)
        if not match or match.group(1) not in URI_SCHEMES:
            raise ValueError(f"uri {uri!r} must start with one of " + ", ".join(f"{s}://" for s in URI_SCHEMES))
        return uri

    @property
    def scheme(self) -> str:
        return self.uri.split("://", 1)[0]


WATERMARK = r"^(0(\.\d+)?|1(\.0+)?)$"


class Tier(Spec):
    medium: Literal["MEM", "SSD", "HDD"]
    path: StrictStr | None = None
    quota: Quantity
    # Watermarks, as fractions of the quota: evict from `high` down to `low` (Fluid writes them as strings).
    high: StrictStr | None = Field(None, pattern=WATERMARK)
    low: StrictStr | None = Field(None, pattern=WATERMARK)

    @model_validator(mode="after")
    def _high_above_low(self) -> Tier:
        if self.high is not None and self.low is not None and float(self.low) >= float(self.high):
            raise ValueError(f"tier watermark low {self.low} must be below high {self.high}")
        return self


class CacheResources(Spec):
    """cpu and memory (each both request and limit) of the cache's pods. A quota'd namespace
    refuses pods without requests, and Fluid's pods have only what the runtime spec gives
    them. An Alluxio worker also gets its MEM tiers' quota added to its memory."""

    master: Amounts = preset(Amounts, cpu="500m", memory="2Gi")
    worker: Amounts = preset(Amounts, cpu="1", memory="2Gi")
    fuse: Amounts = preset(Amounts, cpu="500m", memory="1Gi")
    jobMaster: Amounts = preset(Amounts, cpu="250m", memory="512Mi")   # Alluxio only
    jobWorker: Amounts = preset(Amounts, cpu="250m", memory="512Mi")   # Alluxio only
    load: Amounts = preset(Amounts, cpu="500m", memory="1Gi")          # the DataLoad (warmup) job


class Cache(Spec):
    engine: Literal["alluxio", "jindo", "juicefs", "none"] = "none"
    replicas: Int32 = Field(1, ge=1)
    tiers: list[Tier] = []
    warmup: StrictBool = False
    resources: CacheResources = preset(CacheResources)


class DatasetSpec(Spec):
    sources: list[Source] = merge_key("name", min_length=1)
    cache: Cache = preset(Cache)
    placement: Literal["preferred", "required"] = "preferred"
    patches: list[Patch] = merge_key("name", default=[])   # e.g. Fluid runtime tuning (schemas/patch.py)
