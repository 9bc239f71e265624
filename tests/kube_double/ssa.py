"""Server-side apply and updates, with managedFields, as the API server tracks them.

Follows https://kubernetes.io/docs/reference/using-api/server-side-apply/:
- an apply claims exactly the fields of its configuration for its field manager; a field
  another manager owns with a *different* value is a conflict (409, one cause per field naming
  the manager) unless `force`, which moves the field to the applier; equal values are shared;
- a field the applier owned before and leaves out is removed, unless another manager owns it;
- an update (POST/PUT/merge PATCH) moves every field whose value it changes to its manager
  (operation Update); fields it removes leave every manager;
- associative lists merge item by item on their keys, other lists are replaced whole.
Simplified: no schema validation (fieldValidation is ignored), no version conversion,
managedFields `time` from the double's clock.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from kube_double.fields import MISSING, Path, build, flatten, remove_at, render_path, trie, value_at
from kube_double.resources import Kind, list_keys

IDENTITY = ("name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp", "managedFields",
            "deletionTimestamp", "selfLink")


@dataclass
class Conflict(Exception):
    causes: list[tuple[str, str, Path]]      # (manager, apiVersion, field path)

    def status(self) -> dict:
        causes = [{"reason": "FieldManagerConflict", "message": f'conflict with "{m}" using {v}',
                   "field": render_path(p)} for m, v, p in self.causes]
        n = len(causes)
        if n == 1:
            message = f"Apply failed with 1 conflict: {causes[0]['message']}: {causes[0]['field']}"
        else:
            message = f"Apply failed with {n} conflicts: " + "\n".join(f"{c['message']}: {c['field']}" for c in causes)
        return {"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message, "reason": "Conflict",
                "details": {"causes": causes}, "code": 409}


def content(obj: dict) -> dict:
    """What a manager can own: the object without identity, server-kept metadata and status."""
    body = {k: copy.deepcopy(v) for k, v in obj.items() if k not in ("apiVersion", "kind", "status")}
    meta = {k: v for k, v in (body.get("metadata") or {}).items() if k not in IDENTITY}
    if meta:
        body["metadata"] = meta
    else:
        body.pop("metadata", None)
    return body


def apply(live: dict | None, config: dict, manager: str, force: bool, kind: Kind, now: str) -> dict:
    """The object after `manager` applies `config` (a new dict; `live` is not modified)."""
    wanted = content(config)
    new = flatten(trie(wanted))
    entries = [dict(e) for e in ((live or {}).get("metadata") or {}).get("managedFields") or []]
    mine = next((e for e in entries if _is(e, manager, "Apply")), None)
    old_mine = flatten(mine.get("fieldsV1") or {}) if mine else set()
    current = content(live) if live else {}
    conflicts = []
    for entry in entries:
        if entry is mine or entry.get("subresource"):
            continue
        for path in sorted(new & flatten(entry.get("fieldsV1") or {})):
            if path[-1] != "." and value_at(current, path) != value_at(wanted, path):
                conflicts.append((entry["manager"], entry.get("apiVersion", kind.api_version), path))
    if conflicts and not force:
        raise Conflict(conflicts)
    for manager_name, _, path in conflicts:   # forced: the fields move to the applier
        for entry in entries:
            if entry.get("manager") == manager_name and entry is not mine:
                entry["fieldsV1"] = build(flatten(entry.get("fieldsV1") or {}) - {path})
    others = set().union(*(flatten(e.get("fieldsV1") or {}) for e in entries if e is not mine))
    merged = copy.deepcopy(live) if live else {"apiVersion": config["apiVersion"], "kind": config["kind"],
                                                    "metadata": {k: v for k, v in config["metadata"].items()
                                                                 if k in ("name", "namespace")}}
    for path in sorted(old_mine - new, key=len, reverse=True):
        if path not in others and not _owned_below(path, others):
            remove_at(merged, path)
    _merge(merged, wanted, None)
    changed_values = {p for p in new if value_at(current, p) != value_at(wanted, p)}
    for entry in entries:   # an Update manager loses fields whose value the (forced) apply changed
        if entry is not mine and entry.get("operation") == "Update":
            entry["fieldsV1"] = build(flatten(entry.get("fieldsV1") or {}) - changed_values)
    if mine is None:
        mine = {"manager": manager, "operation": "Apply"}
        entries.append(mine)
    if new != old_mine or "time" not in mine:
        mine["time"] = now
    mine.update({"apiVersion": config["apiVersion"], "fieldsType": "FieldsV1", "fieldsV1": build(new)})
    merged.setdefault("metadata", {})["managedFields"] = [e for e in entries if e.get("fieldsV1")]
    return merged


def update(live: dict | None, new_obj: dict, manager: str, now: str, subresource: str = "") -> dict:
    """The object after an update (POST, PUT, merge PATCH) by `manager`: changed fields move to it."""
    before = (content(live) if live else {}) if not subresource else {"status": (live or {}).get("status")}
    after = content(new_obj) if not subresource else {"status": new_obj.get("status")}
    old_paths, new_paths = flatten(trie(before)), flatten(trie(after))
    changed = {p for p in new_paths if value_at(before, p) != value_at(after, p)}
    removed = old_paths - new_paths
    entries = [dict(e) for e in ((live or {}).get("metadata") or {}).get("managedFields") or []]
    for entry in entries:
        if (entry.get("subresource") or "") == subresource:
            entry["fieldsV1"] = build(flatten(entry.get("fieldsV1") or {}) - changed - removed)
    mine = next((e for e in entries if _is(e, manager, "Update") and (e.get("subresource") or "") == subresource), None)
    if changed:
        if mine is None:
            mine = {"manager": manager, "operation": "Update", **({"subresource": subresource} if subresource else {})}
            entries.append(mine)
        mine.update({"apiVersion": new_obj.get("apiVersion"), "time": now, "fieldsType": "FieldsV1",
                     "fieldsV1": build(flatten(mine.get("fieldsV1") or {}) | changed)})
    result = copy.deepcopy(new_obj)
    result.setdefault("metadata", {})["managedFields"] = [e for e in entries if e.get("fieldsV1")]
    return result


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _merge(live: dict, config: dict, field: str | None) -> None:
    for key, value in config.items():
        have = live.get(key, MISSING)
        if isinstance(value, dict) and isinstance(have, dict):
            _merge(have, value, key)
        elif isinstance(value, list) and isinstance(have, list) and list_keys(key, value) is not None:
            live[key] = _merge_list(have, value, list_keys(key, value) or ())
        else:
            live[key] = copy.deepcopy(value)


def _merge_list(have: list, want: list, keys: tuple[str, ...]) -> list:
    result = [copy.deepcopy(i) for i in have]
    for item in want:
        match = next((i for i in result if isinstance(i, dict) and all(i.get(k) == item.get(k) for k in keys)), None)
        if match is None:
            result.append(copy.deepcopy(item))
        else:
            _merge(match, item, None)
    return result


def _owned_below(path: Path, owned: set[Path]) -> bool:
    """Someone else owns a field inside `path`: keep the container."""
    stem = path[:-1] if path[-1] == "." else path
    return any(p[: len(stem)] == stem and p != path for p in owned)


def _is(entry: dict, manager: str, operation: str) -> bool:
    return entry.get("manager") == manager and entry.get("operation") == operation and not entry.get("subresource")
