"""Desired versus live, seen through the fields strata manages (server-side apply's managedFields).

A field counts when strata's desired object sets it, or when strata's last apply set it
(`managedFields` entry of manager `strata`, operation `Apply`): the first would be written,
the second removed by the next apply. Everything else on the live object — server defaults,
status, fields other controllers own — is not strata's and is ignored. A changed field that
another manager owns now is attributed to it (someone edited it: drift, and an apply conflict).

managedFields use the FieldsV1 trie (sigs.k8s.io/structured-merge-diff): `f:<field>`,
`k:<json of the item's key fields>` for items of associative lists, `v:<json>` for set
items, `.` for the node itself; a node without children is a leaf owned whole (an atomic
list, a scalar).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from compiler.apply.applyset import FIELD_MANAGER
from compiler.paths import json_pointer
from compiler.plan.model import ABSENT, FieldChange

Node = dict[str, Any] | None
QUANTITY_KEYS = {"limits", "requests", "hard", "nominalQuota", "capacity", "sizeLimit", "default",
                 "defaultRequest", "max", "min", "borrowingLimit", "lendingLimit"}


@dataclass
class Comparison:
    changes: list[FieldChange] = field(default_factory=list)
    unowned: int = 0                                             # equal fields strata does not manage (yet)
    owners: dict[str, tuple[str, ...]] = field(default_factory=dict)   # changed path → other managers now

    @property
    def same(self) -> bool:
        return not self.changes and not self.unowned

    def other_managers(self) -> list[str]:
        return sorted({m for managers in self.owners.values() for m in managers})


def managed_by(live: dict, manager: str = FIELD_MANAGER) -> Node:
    """The fields `manager` owns through apply (the union of its Apply entries on the main resource)."""
    return _union([e.get("fieldsV1") or {} for e in _entries(live)
                   if e.get("manager") == manager and e.get("operation") == "Apply" and not e.get("subresource")])


def other_managers(live: dict) -> dict[str, Node]:
    """Every other manager's fields, by a readable name (`kubectl-edit`, `kube-controller-manager (Update)`)."""
    found: dict[str, list] = {}
    for e in _entries(live):
        if e.get("manager") == FIELD_MANAGER and e.get("operation") == "Apply" and not e.get("subresource"):
            continue
        if e.get("subresource"):
            continue   # status writers own status, which strata never sets
        found.setdefault(str(e.get("manager", "")), []).append(e.get("fieldsV1") or {})
    return {name: _union(tries) for name, tries in found.items()}


def compare(desired: dict, live: dict) -> Comparison:
    result = Comparison()
    want = {k: v for k, v in desired.items() if k not in ("apiVersion", "kind")}
    want["metadata"] = {k: v for k, v in (desired.get("metadata") or {}).items() if k not in ("name", "namespace")}
    _walk((), want, live, managed_by(live), other_managers(live), result)
    return result


def _walk(path: tuple, want: Any, have: Any, mine: Node, others: dict[str, Node], out: Comparison) -> None:
    if isinstance(want, dict) and isinstance(have, dict):
        if not want and mine is None:
            out.unowned += 1
        for key, value in want.items():
            step = "f:" + key
            _walk(path + (key,), value, have.get(key, ABSENT), _child(mine, step), _children(others, step), out)
        for key in _owned_keys(mine) - want.keys():
            if key in have:   # set by strata's last apply, no longer desired: the next apply removes it
                _change(out, path + (key,), have[key], ABSENT, _children(others, "f:" + key))
    elif isinstance(want, list) and isinstance(have, list) and (_keyed(mine) or any(map(_keyed, others.values()))):
        _walk_keyed(path, want, have, mine, others, out)
    else:
        if mine is None:
            out.unowned += 1
        if not equal(want, have, path):
            _change(out, path, have, want, others)


def _walk_keyed(path: tuple, want: list, have: list, mine: Node, others: dict[str, Node], out: Comparison) -> None:
    """An associative list (containers, env, ports…): items matched on their key fields, not positions
    (the keys come from whichever manager's entries the server wrote)."""
    entries = [(json.loads(k[2:]), child) for k, child in (mine or {}).items() if k.startswith("k:")]
    names = {name for node in [mine, *others.values()] for k in (node or {}) if k.startswith("k:")
             for name in json.loads(k[2:])}
    used: set[int] = set()
    for i, item in enumerate(want):
        index = next((n for n, (keys, _) in enumerate(entries) if n not in used and _matches(item, keys)), None)
        keys = entries[index][0] if index is not None else {k: item[k] for k in names if isinstance(item, dict) and k in item}
        live_item = next((x for x in have if keys and _matches(x, keys)), None)
        if index is not None:
            used.add(index)
        if live_item is None:
            _change(out, path + (i,), ABSENT, item, {})
            out.unowned += 1
            continue
        child = entries[index][1] if index is not None else None
        _walk(path + (i,), item, live_item, child, _item_children(others, live_item), out)
    for n, (keys, _) in enumerate(entries):
        if n not in used:
            j = next((j for j, x in enumerate(have) if _matches(x, keys)), None)
            if j is not None:
                _change(out, path + (j,), have[j], ABSENT, _item_children(others, have[j]))


def equal(want: Any, have: Any, path: tuple = ()) -> bool:
    """Equal as the API server stores them: quantities compare by value (`0.5` = `500m`, `1024Mi` = `1Gi`)."""
    if isinstance(want, dict) and isinstance(have, dict):
        return want.keys() == have.keys() and all(equal(v, have[k], path + (k,)) for k, v in want.items())
    if isinstance(want, list) and isinstance(have, list):
        return len(want) == len(have) and all(equal(a, b, path + (i,)) for i, (a, b) in enumerate(zip(want, have, strict=True)))
    if want == have and type(want) is type(have):
        return True
    if any(step in QUANTITY_KEYS for step in path if isinstance(step, str)):
        a, b = quantity(want), quantity(have)
        return a is not None and a == b
    return isinstance(want, (int, float)) and isinstance(have, (int, float)) and not isinstance(want, bool) \
        and not isinstance(have, bool) and want == have


SUFFIXES: dict[str, int | Decimal] = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
            "n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "": 1,
            "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18}


def quantity(value: Any) -> Decimal | None:
    """A Kubernetes quantity's value (`500m`, `1Gi`, `2`, `1e3`), None when it is not one."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    text = str(value).strip()
    for suffix in sorted(SUFFIXES, key=len, reverse=True):
        if suffix and text.endswith(suffix):
            number, scale = text[: -len(suffix)], SUFFIXES[suffix]
            break
    else:
        number, scale = text, 1
    try:
        return Decimal(number) * Decimal(scale)
    except InvalidOperation:
        return None


def _change(out: Comparison, path: tuple, old: Any, new: Any, others: dict[str, Node]) -> None:
    pointer = json_pointer(path)
    out.changes.append(FieldChange(pointer, old, new))
    managers = tuple(sorted(name for name, node in others.items() if node is not None))
    if managers:
        out.owners[pointer] = managers


def _entries(live: dict) -> list[dict]:
    return list((live.get("metadata") or {}).get("managedFields") or [])


def _union(tries: list[dict]) -> Node:
    if not tries:
        return None
    merged: dict[str, Any] = {}
    for trie in tries:
        for key, child in trie.items():
            merged[key] = _union([merged[key], child]) if key in merged else child
    return merged


def _child(node: Node, step: str) -> Node:
    return node.get(step) if node else None


def _children(others: dict[str, Node], step: str) -> dict[str, Node]:
    return {name: _child(node, step) for name, node in others.items()}


def _item_children(others: dict[str, Node], item: Any) -> dict[str, Node]:
    """Each other manager's node for a live list item (matched on its `k:` keys)."""
    found: dict[str, Node] = {}
    for name, node in others.items():
        found[name] = next((child for k, child in (node or {}).items()
                            if k.startswith("k:") and _matches(item, json.loads(k[2:]))), None)
    return found


def _owned_keys(node: Node) -> set[str]:
    return {k[2:] for k in (node or {}) if k.startswith("f:")}


def _keyed(node: Node) -> bool:
    return any(k.startswith("k:") for k in (node or {}))


def _matches(item: Any, keys: dict) -> bool:
    """An item matches a `k:` entry when every key field it carries is equal; a key field it
    leaves out was defaulted by the server (a port's `protocol: TCP`)."""
    if not isinstance(item, dict) or not any(k in item for k in keys):
        return False
    return all(item[k] == v for k, v in keys.items() if k in item)
