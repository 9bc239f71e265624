"""Saved plans: what `strata plan --live --out plan.json` records, and the stale-plan guard.

The `live` section of a plan (format 1.1) records what apply needs to execute exactly what
was reviewed: the environment and projects, the cluster, the digest of the compiled
objects, and for every object it planned against its resourceVersion and a digest of the
action planned for it. `apply --plan` recomputes all of it, before any write:

- a different compile (digest) → stale;
- an object whose resourceVersion moved *and* whose planned action changed → stale
  (a controller updating `status` moves the resourceVersion but changes nothing apply does);
- an object that appeared or disappeared among those planned → stale.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from compiler.apply.actions import ApplyPlan
from compiler.apply.desired import DesiredSet
from compiler.apply.kube import Context
from compiler.apply.model import Step
from compiler.errors import GuardError, Problem, StrataError
from compiler.plan.model import ABSENT

MAX_LISTED = 10


def live_section(desired: DesiredSet, plan: ApplyPlan, context: Context) -> dict[str, Any]:
    return {
        "environment": desired.env.name,
        "projects": list(desired.projects),
        "cluster": {"context": context.name, "name": context.cluster, "server": context.server},
        "desired_digest": desired.digest,
        "objects": [_record(step) for step in [*plan.steps, *plan.prunes]],
        "kept": [{"object": k.ref.token(), "reason": k.reason} for k in plan.kept],
        "orphans": list(plan.orphans),
    }


def read_saved(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise StrataError(f"--plan {path}: {error.strerror or error}") from None
    except ValueError as error:
        raise StrataError(f"--plan {path}: not a JSON plan ({error})") from None
    if not isinstance(document, dict) or not str(document.get("format_version", "")).startswith("1."):
        raise StrataError(f"--plan {path}: not a strata plan of format 1.x")
    if not isinstance(document.get("live"), dict):
        raise StrataError(f"--plan {path}: a plan from `strata plan --base` compares two revisions and records no "
                          "cluster state; apply a plan made by `strata plan --live --env E --out plan.json`")
    return document


def check_saved(document: dict[str, Any], desired: DesiredSet, plan: ApplyPlan, context: Context) -> None:
    saved = document["live"]
    scope = (saved.get("environment"), sorted(saved.get("projects") or []))
    if scope != (desired.env.name, sorted(desired.projects)):
        raise GuardError(f"the saved plan is for environment {scope[0]} projects {scope[1] or 'all'}, not "
                         f"{desired.env.name} projects {sorted(desired.projects) or 'all'}")
    server = (saved.get("cluster") or {}).get("server")
    if server != context.server:
        raise GuardError(f"the saved plan was made against {server}, not {context.server} (context {context.name})")
    problems = []
    if saved.get("desired_digest") != desired.digest:
        problems.append("what is compiled now differs from what was planned (the config or strata changed)")
    problems += _live_changes(saved.get("objects") or [], [*plan.steps, *plan.prunes])
    if problems:
        shown = problems[:MAX_LISTED] + ([f"… and {len(problems) - MAX_LISTED} more"] if len(problems) > MAX_LISTED else [])
        raise GuardError([Problem(f"stale plan (make a new one with `strata plan --live` and review it): {p}")
                          for p in shown])


def _live_changes(saved: list[dict], steps: list[Step]) -> list[str]:
    before: dict[str, dict] = {str(r.get("object")): r for r in saved if isinstance(r, dict)}
    now = {s.ref.token(): s for s in steps}
    found = []
    for token in sorted(before.keys() | now.keys()):
        old, step = before.get(token) or {}, now.get(token)
        if step is None:
            found.append(f"{_name(token)} was planned ({old.get('action')}) but is no longer part of the apply")
        elif token not in before:
            found.append(f"{step.ref.describe()} was not in the plan (now: {step.action})")
        elif old.get("resourceVersion") != step.resource_version and old.get("state") != _state(step):
            found.append(f"{step.ref.describe()} changed in the cluster since the plan (resourceVersion "
                         f"{old.get('resourceVersion')} → {step.resource_version}; planned {old.get('action')}, "
                         f"now {step.action})")
    return found


def _record(step: Step) -> dict[str, Any]:
    return {"object": step.ref.token(), "action": step.action, "resourceVersion": step.resource_version,
            "state": _state(step)}


def _state(step: Step) -> str:
    """A digest of what apply would do to the object: action, field changes, blocks."""
    changes = [[c.path, _value(c.old), _value(c.new)] for c in step.changes]
    data = {"action": step.action, "changes": changes, "blocked": step.blocked, "running": step.running,
            "protected": step.protected}
    return "sha256:" + hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _value(value: Any) -> Any:
    return {"absent": True} if value is ABSENT else value


def _name(token: str) -> str:
    group, kind, namespace, name = (token.split("/") + ["", "", "", ""])[:4]
    kind = f"{kind}.{group}" if group else kind
    return f"{kind} {namespace}/{name}" if namespace else f"{kind} {name}"
