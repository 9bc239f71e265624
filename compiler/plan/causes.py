"""Why a target's objects changed: the spec values that differ, located through provenance."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from compiler.plan.diff import MATCH_KEYS, differences
from compiler.plan.model import ABSENT, Cause, TargetNote
from compiler.plan.scope import target_key

Key = tuple[str, str, str]


def notes(keys: Iterable[Key], base: dict[Key, Any], head: dict[Key, Any],
          changed: frozenset[str]) -> dict[Key, TargetNote]:
    """A note for every changed target that has a Target on either side (project objects have none)."""
    found = {}
    for key in keys:
        old, new = base.get(key), head.get(key)
        if old is not None or new is not None:
            found[key] = note(old, new, changed)
    return found


def by_key(targets: Iterable[Any]) -> dict[Key, Any]:
    return {target_key(t): t for t in targets}


def note(old: Any | None, new: Any | None, changed: frozenset[str]) -> TargetNote:
    either = new if new is not None else old
    assert either is not None   # a note is made for a target on at least one side
    files = set(old.files if old is not None else ()) | set(new.files if new is not None else ())
    causes = spec_causes(old, new) if old is not None and new is not None else ()
    source = either.origin.where() if either.origin is not None else ""
    return TargetNote(tuple(causes), tuple(sorted(files & changed)), source, removed=new is None)


def spec_causes(old: Any, new: Any) -> list[Cause]:
    """Each differing spec leaf with the file:line that sets it now (or set it, if removed)."""
    return [_cause(old, new, path, a, b) for path, a, b in differences(old.values, new.values)]


def _cause(old: Any, new: Any, path: tuple, before: Any, after: Any) -> Cause:
    side, values = (old, old.values) if after is ABSENT else (new, new.values)
    origin = side.locate(*path)
    where = origin.where() if origin is not None else ""
    return Cause(dotted(values, path), before, after, where)


def dotted(values: Any, path: tuple) -> str:
    """`replicas.max`, `env[NCCL_DEBUG].value`: the `strata explain --path` spelling."""
    text, node = "", values
    for step in path:
        if isinstance(step, int):
            item = node[step] if isinstance(node, list) and step < len(node) else None
            text += f"[{_item_label(item, step)}]"
            node = item
        else:
            text += ("." if text else "") + str(step)
            node = node.get(step) if isinstance(node, dict) else None
    return text


def _item_label(item: Any, index: int) -> str:
    if isinstance(item, dict):
        for key in MATCH_KEYS:
            if item.get(key) is not None:
                return str(item[key])
    return str(index)
