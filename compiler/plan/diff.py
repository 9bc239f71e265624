"""Field-level differences between two plain JSON-like values, as JSON-pointer paths.

Lists of mappings that all carry a distinct `name` (containers, env vars, ports,
volumes, DAG tasks) are compared item by item on that name, so inserting one env
var reports one addition instead of shifting every later index. Paths of matched
items use the head's index; a removed item uses its base index.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from compiler.paths import json_pointer as pointer
from compiler.plan.model import ABSENT, FieldChange

MATCH_KEYS = ("name", "version")


def diff(old: Any, new: Any) -> list[FieldChange]:
    """Every leaf difference, depth first, in the head's key order then removed keys."""
    return [FieldChange(pointer(path), o, n) for path, o, n in differences(old, new)]


def differences(old: Any, new: Any) -> Iterator[tuple[tuple, Any, Any]]:
    """(path steps, old, new) of every leaf difference; ABSENT marks a missing side."""
    return _walk((), old, new)


def _walk(path: tuple, old: Any, new: Any) -> Iterator[tuple[tuple, Any, Any]]:
    if old == new and type(old) is type(new):
        return
    if isinstance(old, dict) and isinstance(new, dict):
        yield from _dicts(path, old, new)
    elif isinstance(old, list) and isinstance(new, list):
        yield from _lists(path, old, new)
    else:
        yield path, old, new


def _dicts(path: tuple, old: dict, new: dict) -> Iterator[tuple[tuple, Any, Any]]:
    for key, value in new.items():
        yield from _walk(path + (key,), old.get(key, ABSENT), value)
    for key, value in old.items():
        if key not in new:
            yield path + (key,), value, ABSENT


def _lists(path: tuple, old: list, new: list) -> Iterator[tuple[tuple, Any, Any]]:
    key = _match_key(old, new)
    if key is None:
        yield from _by_index(path, old, new)
    else:
        yield from _by_key(path, key, old, new)


def _by_index(path: tuple, old: list, new: list) -> Iterator[tuple[tuple, Any, Any]]:
    for i in range(max(len(old), len(new))):
        yield from _walk(path + (i,), old[i] if i < len(old) else ABSENT, new[i] if i < len(new) else ABSENT)


def _by_key(path: tuple, key: str, old: list, new: list) -> Iterator[tuple[tuple, Any, Any]]:
    old_index = {item[key]: i for i, item in enumerate(old)}
    new_names = {item[key] for item in new}
    for i, item in enumerate(new):
        j = old_index.get(item[key])
        yield from _walk(path + (i,), old[j] if j is not None else ABSENT, item)
    for j, item in enumerate(old):
        if item[key] not in new_names:
            yield path + (j,), item, ABSENT


def _match_key(old: list, new: list) -> str | None:
    """The key to match items on, if both lists are keyed alike and keep common items in order."""
    for key in MATCH_KEYS:
        if _keyed(old, key) and _keyed(new, key) and _same_order(old, new, key):
            return key
    return None


def _keyed(items: list, key: str) -> bool:
    names = [item.get(key) for item in items if isinstance(item, dict)]
    return len(names) == len(items) and None not in names and len(set(map(str, names))) == len(names)


def _same_order(old: list, new: list, key: str) -> bool:
    """A reorder is reported index by index: matching on names would hide it."""
    new_names = {item[key] for item in new}
    old_names = {item[key] for item in old}
    return [i[key] for i in old if i[key] in new_names] == [i[key] for i in new if i[key] in old_names]
