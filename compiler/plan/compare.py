"""Match the objects of two builds and classify each difference as add, change or destroy."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from compiler.plan.diff import diff
from compiler.plan.mask import mask_changes, mask_object
from compiler.plan.model import ADD, CHANGE, DESTROY, Entry, ObjectKey


class EmittedLike(Protocol):
    env: str
    project: str
    resource: str
    obj: dict[str, Any]


def object_key(item: EmittedLike) -> ObjectKey:
    meta = item.obj.get("metadata") or {}
    return ObjectKey(item.env, item.obj.get("apiVersion", ""), item.obj.get("kind", ""),
                     meta.get("namespace") or "", meta.get("name") or "")


def index(emitted: Iterable[EmittedLike]) -> dict[ObjectKey, EmittedLike]:
    """Objects by identity; the first of a duplicate wins (the compiler reports duplicates)."""
    found: dict[ObjectKey, EmittedLike] = {}
    for item in emitted:
        found.setdefault(object_key(item), item)
    return found


def compare(base: Iterable[EmittedLike], head: Iterable[EmittedLike]) -> list[Entry]:
    """Every object that differs, ordered by environment, target and object identity."""
    old, new = index(base), index(head)
    entries = [_entry(key, old.get(key), new.get(key)) for key in old.keys() | new.keys()]
    return sorted((e for e in entries if e is not None), key=_order)


def _entry(key: ObjectKey, old: EmittedLike | None, new: EmittedLike | None) -> Entry | None:
    if old is None:
        assert new is not None   # the key came from one side at least
        return Entry(key, new.project, new.resource, ADD, after=mask_object(new.obj))
    if new is None:
        return Entry(key, old.project, old.resource, DESTROY, before=mask_object(old.obj))
    if old.obj == new.obj:
        return None
    changes = mask_changes(new.obj, diff(old.obj, new.obj), old=old.obj)
    return Entry(key, new.project, new.resource, CHANGE, before=mask_object(old.obj),
                 after=mask_object(new.obj), changes=tuple(changes))


def _order(entry: Entry) -> tuple:
    k = entry.key
    return (k.env, entry.project, entry.resource, k.kind, k.namespace, k.name, k.api_version)
