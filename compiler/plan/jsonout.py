"""The versioned machine-readable plan (`format_version` major = breaking, minor = additive)."""
from __future__ import annotations

import hashlib
import json
from typing import Any

from compiler import __version__ as TOOL_VERSION
from compiler.plan.model import ABSENT, Cause, Entry, FieldChange, Plan

FORMAT_VERSION = "1.3"   # 1.1: causes' `via`, `embedded`; 1.2: `live`, entries' `note`; 1.3: `capacity`


def render_json(plan: Plan) -> str:
    return json.dumps(document(plan), indent=2, ensure_ascii=False) + "\n"


def document(plan: Plan) -> dict[str, Any]:
    entries = [entry_json(e, plan) for e in plan.entries]
    return {
        "format_version": FORMAT_VERSION,
        "tool_version": TOOL_VERSION,
        "base": None if plan.live is not None else {"ref": plan.base_ref, "sha": plan.base_sha},
        "head": plan.head,
        "digest": digest(entries),
        "summary": {**plan.counts(), "changes": plan.has_changes},
        "environments": {env: plan.counts(env) for env in plan.changed_envs()},
        "unchanged_environments": sorted(set(plan.envs) - set(plan.changed_envs())),
        "stats": {"targets": plan.targets_total, "rendered": plan.rendered},
        **({"live": plan.live} if plan.live is not None else {}),
        **_capacity(plan),
        "entries": entries,
    }


def _capacity(plan: Plan) -> dict[str, Any]:
    """`capacity`, when the plan has the section (imported here: a plan without needs none of it)."""
    if plan.capacity is None:
        return {}
    from compiler.plan.capacity import capacity_json

    return {"capacity": capacity_json(plan.capacity)}


def digest(entries: list[dict[str, Any]]) -> str:
    """sha256 of the canonical entries (sorted keys, no spaces): equal plans, equal digests.

    Computed over the masked entries, so it never depends on a secret's value.
    """
    canonical = json.dumps(entries, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def entry_json(entry: Entry, plan: Plan) -> dict[str, Any]:
    k = entry.key
    found: dict[str, Any] = {
        "change": entry.change, "environment": k.env, "project": entry.project,
        "resource": entry.resource, "apiVersion": k.api_version, "kind": k.kind,
        "namespace": k.namespace or None, "name": k.name,
        "changes": [field_json(c) for c in entry.changes],
    }
    if entry.note:
        found["note"] = entry.note
    note = plan.notes.get(entry.target)
    if note is not None:
        found["caused_by"] = {"source": note.source, "files": list(note.files),
                              "spec": [cause_json(c) for c in note.causes]}
    found["before"], found["after"] = entry.before, entry.after
    return found


def field_json(change: FieldChange) -> dict[str, Any]:
    """`old`/`new` are left out (not null) when the field is absent on that side."""
    return _sides({"path": change.path}, change.old, change.new)


def cause_json(cause: Cause) -> dict[str, Any]:
    found: dict[str, Any] = {"path": cause.path, "where": cause.where}
    if cause.via:
        found["via"] = cause.via
    if cause.embedded:
        found["embedded"] = cause.embedded
    return _sides(found, cause.old, cause.new)


def _sides(found: dict[str, Any], old: Any, new: Any) -> dict[str, Any]:
    if old is not ABSENT:
        found["old"] = old
    if new is not ABSENT:
        found["new"] = new
    return found
