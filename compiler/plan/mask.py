"""Secret values never reach a plan: keys stay visible, values become `(sensitive, N bytes)`.

strata emits references to Secrets, not Secrets; this is the guard for the day an
object does carry one (a chart, a future kind), applied to every output format.
"""
from __future__ import annotations

import base64
import binascii
from typing import Any, TypeGuard

from compiler.plan.model import ABSENT, FieldChange

SECRET_FIELDS = ("data", "stringData")


def is_secret(obj: dict | None) -> TypeGuard[dict]:
    return obj is not None and obj.get("kind") == "Secret" and obj.get("apiVersion") == "v1"


def sensitive(value: Any, *, encoded: bool) -> str:
    return f"(sensitive, {_size(value, encoded)} bytes)"


def mask_object(obj: dict | None) -> dict | None:
    """A copy of `obj` whose Secret values are masked (other kinds are returned as they are)."""
    if not is_secret(obj):
        return obj
    masked = dict(obj)
    for name in SECRET_FIELDS:
        if isinstance(obj.get(name), dict):
            masked[name] = _mask_map(obj[name], encoded=name == "data")
    return masked


def mask_changes(obj: dict | None, changes: list[FieldChange]) -> list[FieldChange]:
    """Field changes of a Secret with every value under `data`/`stringData` masked."""
    if not is_secret(obj):
        return changes
    return [_mask_change(c) for c in changes]


def _mask_change(change: FieldChange) -> FieldChange:
    steps = change.path.split("/")[1:]
    if not steps:
        return FieldChange(change.path, _mask_whole(change.old), _mask_whole(change.new))
    if steps[0] not in SECRET_FIELDS:
        return change
    encoded = steps[0] == "data"
    mask = (lambda v: _mask_map(v, encoded=encoded)) if len(steps) == 1 else (lambda v: sensitive(v, encoded=encoded))
    return FieldChange(change.path, _keep_absent(change.old, mask), _keep_absent(change.new, mask))


def _mask_whole(value: Any) -> Any:
    return mask_object(value) if isinstance(value, dict) else value


def _keep_absent(value: Any, mask) -> Any:
    return value if value is ABSENT else mask(value)


def _mask_map(values: Any, *, encoded: bool) -> Any:
    if not isinstance(values, dict):
        return sensitive(values, encoded=encoded)
    return {key: sensitive(value, encoded=encoded) for key, value in values.items()}


def _size(value: Any, encoded: bool) -> int:
    """Bytes of the secret itself: `data` holds base64, `stringData` plain text."""
    raw = value if isinstance(value, str) else "" if value is None else str(value)
    if encoded:
        try:
            return len(base64.b64decode(raw, validate=True))
        except (binascii.Error, ValueError):
            pass
    return len(raw.encode())
