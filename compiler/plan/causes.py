"""Why a target's objects changed: the spec values that differ, located through provenance."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from compiler.graph.build import Graph
from compiler.merge.interpolate import reference_value, references
from compiler.plan.diff import MATCH_KEYS, differences
from compiler.plan.mask import mask_cause
from compiler.plan.model import ABSENT, Cause, TargetNote
from compiler.targets import Key


def notes(keys: Iterable[Key], base: Graph, head: Graph, changed: frozenset[str]) -> dict[Key, TargetNote]:
    """A note for every changed target that has a Target on either side (project objects have none)."""
    found = {}
    for key in keys:
        old, new = base.nodes.get(key), head.nodes.get(key)
        if old is not None or new is not None:
            inputs = {*base.inputs.get(key, ()), *head.inputs.get(key, ())}
            causes = referenced_causes(key, base, head, changed) if old is not None and new is not None else []
            found[key] = note(old.target if old else None, new.target if new else None, changed,
                              inputs & changed, causes)
    return found


def note(old: Any | None, new: Any | None, changed: frozenset[str], changed_inputs: Iterable[str] = (),
         referenced: Iterable[Cause] = ()) -> TargetNote:
    """Why one target changed: its spec values that differ (then those of the targets it references)
    and its input files that changed."""
    either = new if new is not None else old
    causes: list[Cause] = []
    if old is not None and new is not None:
        causes = spec_causes(old, new, changed) + list(referenced)
    source = either.origin.where() if either is not None and either.origin is not None else ""
    return TargetNote(tuple(causes), tuple(sorted(changed_inputs)), source, removed=new is None)


def spec_causes(old: Any, new: Any, changed: frozenset[str] = frozenset()) -> list[Cause]:
    """Each differing spec leaf with the file:line of the input that changed it."""
    return [mask_cause(old.values, new.values, path, _cause(old, new, path, a, b, changed))
            for path, a, b in differences(old.values, new.values)]


def referenced_causes(key: Key, base: Graph, head: Graph, changed: frozenset[str]) -> list[Cause]:
    """The changes of the targets this one references (a Pipeline's Jobs, a Service's Model, the
    Datasets a workload mounts): they change this target's objects although its own spec did not."""
    found = []
    for other in sorted(set(head.references(key))):
        before, after = base.nodes.get(other), head.nodes.get(other)
        if before is not None and after is not None:
            label = f"{after.target.kind} {after.target.name}"
            found += [replace(c, embedded=label) for c in spec_causes(before.target, after.target, changed)]
    return found


def _cause(old: Any, new: Any, path: tuple, before: Any, after: Any, changed: frozenset[str]) -> Cause:
    """Where the change comes from: the value's own line; its reference's value, when the text as
    written is the same on both sides; the line that was removed, when a schema default took over."""
    side, values = (old, old.values) if after is ABSENT else (new, new.values)
    label = dotted(values, path)
    node = _exact(side.tree, path)
    if side.tree is not None and node is None and after is not ABSENT:   # a schema default now: where it was set
        was = _exact(old.tree, path)
        return Cause(label, before, after, f"was set at {was.origin.where()}" if was is not None else "")
    via = _references_changed(old, new, path, changed) if node is not None else []
    if via:
        where = new.project.ref_origin(via[0]) or side.locate(*path)
        return Cause(label, before, after, where.where() if where else "", ", ".join(f"${{{k}}}" for k in via))
    origin = node.origin if node is not None else side.locate(*path)
    return Cause(label, before, after, origin.where() if origin is not None else "")


def _references_changed(old: Any, new: Any, path: tuple, changed: frozenset[str]) -> list[str]:
    """The `${...}` references that changed a value whose text as written did not change."""
    written_old, written_new = _exact(old.raw_tree, path), _exact(new.raw_tree, path)   # the text as written
    if written_old is None or written_new is None or written_old.data != written_new.data \
            or not isinstance(written_new.data, str):
        return []
    found = []
    for key in references(written_new.data):
        before, after = reference_value(old.project, key), reference_value(new.project, key)
        if before is not None or after is not None:
            if before != after:
                found.append(key)
        elif (origin := new.project.ref_origin(key)) is not None and origin.file in changed:
            found.append(key)
    return found


def _exact(tree: Any, path: tuple) -> Any:
    """The Value exactly at `path` (keys and list indexes), else None."""
    node = tree
    for step in path:
        data = node.data if node is not None else None
        if (isinstance(data, dict) and step in data) or (isinstance(data, list) and isinstance(step, int) and 0 <= step < len(data)):
            node = data[step]
        else:
            return None
    return node


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
