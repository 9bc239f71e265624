"""Secret values never reach a plan: keys stay visible, values become `(sensitive, N bytes)`.

strata emits references to Secrets, not Secrets; this is the guard for the day an
object does carry one (a chart, a future kind), and for env vars whose names look
secret but hold a plain value (compiler/secrets.py), applied to every output format.
"""
from __future__ import annotations

import base64
import binascii
from dataclasses import replace
from typing import Any, TypeGuard

from compiler import secrets
from compiler.plan.model import ABSENT, Cause, FieldChange

SECRET_FIELDS = ("data", "stringData")


def is_secret(obj: dict | None) -> TypeGuard[dict]:
    return obj is not None and obj.get("kind") == "Secret" and obj.get("apiVersion") == "v1"


def sensitive(value: Any, *, encoded: bool) -> str:
    return secrets.sensitive(_size(value, encoded))


def mask_object(obj: dict | None) -> dict | None:
    """`obj` with a Secret's values and secret-looking env var values masked (a copy only if needed)."""
    found = secrets.mask_env(obj)
    if not is_secret(found):
        return found
    masked = dict(found)
    for name in SECRET_FIELDS:
        if isinstance(found.get(name), dict):
            masked[name] = _mask_map(found[name], encoded=name == "data")
    return masked


def mask_changes(new: dict | None, changes: list[FieldChange], old: dict | None = None) -> list[FieldChange]:
    """Field changes of an object (`old` → `new`), secret values masked.

    A Secret's `data`/`stringData`, and the value of an env var whose name looks secret on
    either side (a keyed list diff may address the old item by the new one's index).
    """
    if is_secret(new):
        changes = [_mask_change(c) for c in changes]
    return [_mask_env_change(old, new, c) for c in changes]


def mask_cause(old: Any, new: Any, path: tuple, cause: Cause) -> Cause:
    """A spec change (plan's `caused by`) with a secret-looking env var's plain value masked."""
    if secrets.in_secret_env(old, path) or secrets.in_secret_env(new, path):
        return replace(cause, old=_keep_absent(cause.old, secrets.masked), new=_keep_absent(cause.new, secrets.masked))
    return replace(cause, old=secrets.mask_env(cause.old), new=secrets.mask_env(cause.new))


def _mask_env_change(old: dict | None, new: dict | None, change: FieldChange) -> FieldChange:
    steps = [step.replace("~1", "/").replace("~0", "~") for step in change.path.split("/")[1:]]
    if secrets.in_secret_env(old, steps) or secrets.in_secret_env(new, steps):
        return FieldChange(change.path, _keep_absent(change.old, secrets.masked), _keep_absent(change.new, secrets.masked))
    return FieldChange(change.path, secrets.mask_env(change.old), secrets.mask_env(change.new))


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
