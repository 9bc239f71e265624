"""Building blocks shared by every spec model.

Per-field behaviour is *declared* here, on the field, never guessed by the
compiler from content (SPEC §2): a list that merges item by item says so with
``merge_key("name")``; a field naming another resource of the same project and
environment says so with ``ref("Dataset")`` (the edges of the target graph); a
field `strata promote` copies says so with ``promotable()``; a map whose values are
partial specs laid over some of the enclosing spec's fields (a Job's `roles`) says so
with ``inherits("image", ...)``.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, cast

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, WithJsonSchema

if TYPE_CHECKING:
    from schemas.common import Container

MERGE_KEY = "x-strata-merge-key"
PROMOTABLE = "x-strata-promotable"
REFERENCE = "x-strata-ref"
INHERITS = "x-strata-inherits"

DNS1123_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
QUANTITY_PATTERN = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?$"
DURATION_PATTERN = r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$"
_QUANTITY = re.compile(QUANTITY_PATTERN)
_DURATION = re.compile(DURATION_PATTERN)


class Spec(BaseModel):
    """Strict base: unknown fields are errors, no silent type coercion.

    A model's validator is built when it first validates (`defer_build`), not when its module is
    imported: a start-up that validates a few kinds (a one-file compile, a plan) never pays for
    the models it does not use (strata's start-up, issue 10)."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True, defer_build=True)

    def containers(self) -> tuple[Container, ...]:
        """The containers this spec runs, for the policy and quota checks (none by default)."""
        return ()


SpecT = TypeVar("SpecT", bound=Spec)


def preset(model: type[SpecT], **values: Any) -> SpecT:
    """A field's default instance of `model`, made without validating: `Amounts(cpu="1")` at class
    level would build Amounts' validator at import, which `defer_build` exists to avoid. The values
    are literals that validate to themselves (tests/test_schema_defaults.py checks every one)."""
    return cast(SpecT, model.model_construct(**values))   # mypy reads model_construct as Spec's


def merge_key(key: str, **kwargs: Any) -> Any:
    """A list field whose items merge by ``key`` across layers."""
    return Field(json_schema_extra={MERGE_KEY: key}, **kwargs)


def promotable(**kwargs: Any) -> Any:
    """A field `strata promote` copies from one environment to the next (SPEC §4: `image`,
    `model`, `chart.version`, `canary`): what a release changes, not what an environment is."""
    return Field(json_schema_extra={PROMOTABLE: True}, **kwargs)


def ref(kind: str, **kwargs: Any) -> Any:
    """A field naming a ``kind`` resource of the same project and environment.

    The compiler's graph stage resolves it (an unknown name is an error at this
    field) and the referencing target's renderer sees what it resolved to.
    """
    return Field(json_schema_extra={REFERENCE: kind}, **kwargs)


def _quoted(value: str) -> str:
    """A value as an error message quotes it: at most 200 characters."""
    return repr(value) if len(value) <= 200 else f"{value[:200]!r}… ({len(value)} characters)"


def inherits(*fields: str, **kwargs: Any) -> Any:
    """A map whose every value is a partial spec merged over these `fields` of the spec that
    holds the map (by the one merge rule, after layering): a Job's `roles.ps.image` over its
    `image`. The merge stage writes the result back, so each value is complete and every
    inherited value keeps the file:line that set it."""
    return Field(json_schema_extra={INHERITS: list(fields)}, **kwargs)


def _quantity(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("a quantity is a number or a string like 500m or 16Gi, not a boolean")
    if isinstance(value, (int, float)):
        value = format(value, "g") if isinstance(value, float) else str(value)
    if isinstance(value, str) and not _QUANTITY.match(value):
        raise ValueError(f"{_quoted(value)} is not a Kubernetes quantity (e.g. 500m, 4, 16Gi)")
    return value


NO_LIMIT = "none"


def _limit(value: Any) -> Any:
    """A limit: a quantity, or `none` for no limit at all."""
    return value if value == NO_LIMIT else _quantity(value)


def _duration(value: Any) -> Any:
    """Integer seconds, or '90s', '30m', '12h', '1h30m' (emitted as seconds)."""
    if isinstance(value, bool):
        raise ValueError("a duration is integer seconds or a string like 30m")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        match = _DURATION.match(value) if len(value) <= 40 else None
        if value and match:
            hours, minutes, seconds = (int(g or 0) for g in match.groups())
            return hours * 3600 + minutes * 60 + seconds
        raise ValueError(f"{_quoted(value)} is not a duration (integer seconds, or like 90s, 30m, 12h, 1h30m)")
    return value


def _text(value: Any) -> Any:
    """Free string maps keep scalars as text (the loader hands raw text here)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return value


def _fits(bits: int) -> AfterValidator:
    """Kubernetes stores integers as int32 or int64: a bigger number is refused here, not by the API server."""
    low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1

    def check(value: int) -> int:
        if not low <= value <= high:
            text = str(value)
            shown = text if len(text) <= 24 else f"{text[:20]}… ({len(text)} digits)"
            raise ValueError(f"{shown} is out of range: Kubernetes stores this field as an int{bits} "
                             f"({low} to {high})")
        return value

    return AfterValidator(check)


# What the editor schema (`strata schema`) says about each type is declared beside its validator,
# so the two accept the same values.
Int32 = Annotated[StrictInt, _fits(32)]   # replicas, backoffLimit, ports, probe timings, weights
Int64 = Annotated[StrictInt, _fits(64)]   # deadlines in seconds, GPU counts
Quantity = Annotated[str, BeforeValidator(_quantity), WithJsonSchema({
    "anyOf": [{"type": "string", "pattern": QUANTITY_PATTERN}, {"type": "number"}],
    "description": "A Kubernetes quantity: 500m, 4, 16Gi."})]
Limit = Annotated[str, BeforeValidator(_limit), WithJsonSchema({
    "anyOf": [{"type": "string", "pattern": QUANTITY_PATTERN}, {"type": "number"}, {"const": NO_LIMIT}],
    "description": "A Kubernetes quantity (at least the request), or `none` for no limit."})]
_DURATION_SCHEMA = WithJsonSchema({
    "anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": DURATION_PATTERN, "minLength": 1}],
    "description": "Integer seconds, or 90s, 30m, 12h, 1h30m."})
Duration = Annotated[StrictInt, BeforeValidator(_duration), Field(ge=0), _fits(64), _DURATION_SCHEMA]    # int64 seconds
Duration32 = Annotated[StrictInt, BeforeValidator(_duration), Field(ge=0), _fits(32), _DURATION_SCHEMA]  # int32 seconds
Text = Annotated[str, BeforeValidator(_text), WithJsonSchema({
    "type": ["string", "number", "boolean"], "description": "Text; numbers and booleans are kept as written."})]
Name = Annotated[str, Field(pattern=DNS1123_LABEL, max_length=63)]
StringMap = dict[str, Text]


class Amounts(Spec):
    """cpu and memory of one container (a LimitRange default, a cache component)."""

    cpu: Quantity | None = None
    memory: Quantity | None = None
