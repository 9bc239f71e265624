"""Building blocks shared by every spec model.

Per-field merge behaviour is *declared* here, on the field, never guessed by the
merge engine from content (SPEC §2): a list that merges item by item says so
with ``merge_key("name")``.
"""
from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt

MERGE_KEY = "x-strata-merge-key"
PROMOTABLE = "x-strata-promotable"

DNS1123_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
_QUANTITY = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?$")
_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


class Spec(BaseModel):
    """Strict base: unknown fields are errors, no silent type coercion."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)


def merge_key(key: str, **kwargs: Any) -> Any:
    """A list field whose items merge by ``key`` across layers."""
    return Field(json_schema_extra={MERGE_KEY: key}, **kwargs)


def promotable(**kwargs: Any) -> Any:
    """A field `strata promote` copies from one environment to the next (SPEC §4: `image`,
    `model`, `chart.version`, `canary`): what a release changes, not what an environment is."""
    return Field(json_schema_extra={PROMOTABLE: True}, **kwargs)


def _quantity(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("a quantity is a number or a string like 500m or 16Gi, not a boolean")
    if isinstance(value, (int, float)):
        value = format(value, "g") if isinstance(value, float) else str(value)
    if isinstance(value, str) and not _QUANTITY.match(value):
        raise ValueError(f"{value!r} is not a Kubernetes quantity (e.g. 500m, 4, 16Gi)")
    return value


def _duration(value: Any) -> Any:
    """Integer seconds, or '90s', '30m', '12h', '1h30m' (emitted as seconds)."""
    if isinstance(value, bool):
        raise ValueError("a duration is integer seconds or a string like 30m")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        match = _DURATION.match(value)
        if value and match:
            hours, minutes, seconds = (int(g or 0) for g in match.groups())
            return hours * 3600 + minutes * 60 + seconds
        raise ValueError(f"{value!r} is not a duration (integer seconds, or like 90s, 30m, 12h, 1h30m)")
    return value


def _text(value: Any) -> Any:
    """Free string maps keep scalars as text (the loader hands raw text here)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return value


Quantity = Annotated[str, BeforeValidator(_quantity)]
Duration = Annotated[StrictInt, BeforeValidator(_duration), Field(ge=0)]
Text = Annotated[str, BeforeValidator(_text)]
Name = Annotated[str, Field(pattern=DNS1123_LABEL, max_length=63)]
StringMap = dict[str, Text]
