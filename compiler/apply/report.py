"""What apply prints: one line per object, then one summary line (text), or one JSON document."""
from __future__ import annotations

import json
from typing import Any

from compiler import __version__
from compiler.apply.model import Kept
from compiler.apply.outcome import (
    CONFIGURED,
    CREATED,
    FAILED,
    NOT_PRUNED,
    PRUNED,
    REPLACE_NEEDED,
    REPLACED,
    SKIPPED,
    UNCHANGED,
    Outcome,
)
from compiler.plan.jsonout import field_json
from compiler.plan.lines import field_line
from compiler.plan.mask import mask_changes

SYMBOLS = {CREATED: "+", CONFIGURED: "~", REPLACED: "±", UNCHANGED: "=", PRUNED: "-", FAILED: "!", SKIPPED: "!",
           REPLACE_NEEDED: "?", NOT_PRUNED: "?"}
COLOURS = {"+": "green", "~": "yellow", "±": "yellow", "-": "red", "!": "red", "?": "magenta"}
DRY = {CREATED: "would be created", CONFIGURED: "would be configured", REPLACED: "would be replaced",
       PRUNED: "would be pruned"}
MAX_FIELDS = 8       # field changes printed under an object; JSON has them all


def line(outcome: Outcome, *, dry_run: bool, details: bool = True) -> list[str]:
    status = DRY.get(outcome.status, outcome.status) if dry_run else outcome.status
    text = f"{SYMBOLS.get(outcome.status, ' ')} {outcome.ref.describe()}  {status}"
    lines = [text + (f": {outcome.detail}" if outcome.detail else "")]
    if details and outcome.status in (CONFIGURED, REPLACED, REPLACE_NEEDED):
        lines += ["    " + field_line(c) for c in masked(outcome)[:MAX_FIELDS]]
        if len(outcome.changes) > MAX_FIELDS:
            lines.append(f"    … and {len(outcome.changes) - MAX_FIELDS} more fields (--format json)")
    return lines


def masked(outcome: Outcome) -> list:
    """Secret values never reach the output (compiler.plan.mask)."""
    kind = {"apiVersion": "v1" if not outcome.ref.group else outcome.ref.group + "/v", "kind": outcome.ref.kind}
    return mask_changes(kind, list(outcome.changes))


def counts(outcomes: list[Outcome]) -> dict[str, int]:
    found = dict.fromkeys((CREATED, CONFIGURED, UNCHANGED, PRUNED, FAILED, SKIPPED, REPLACED, REPLACE_NEEDED,
                           NOT_PRUNED), 0)
    for outcome in outcomes:
        found[outcome.status] += 1
    return found


def summary(outcomes: list[Outcome], *, dry_run: bool, pending_prunes: int = 0) -> str:
    c = counts(outcomes)
    head = "Dry run" if dry_run else "Apply"
    text = (f"{head}: {c[CREATED]} created, {c[CONFIGURED] + c[REPLACED]} configured, {c[UNCHANGED]} unchanged, "
            f"{c[PRUNED]} pruned, {c[FAILED]} failed.")
    extra = []
    if c[SKIPPED]:
        extra.append(f"{c[SKIPPED]} skipped because an object they need failed.")
    if c[REPLACE_NEEDED]:
        extra.append(f"{c[REPLACE_NEEDED]} run-to-completion object(s) need replacing (--recreate-jobs).")
    if c[NOT_PRUNED]:
        extra.append(f"{c[NOT_PRUNED]} not pruned because their target group failed.")
    if pending_prunes:
        extra.append(f"{pending_prunes} object(s) no longer compiled were left in place (--prune deletes them).")
    if dry_run:
        extra.append("Nothing was changed.")
    return " ".join([text, *extra])


def kept_lines(kept: list[Kept]) -> list[str]:
    return [f"  kept {k.ref.describe()}: {k.reason}" for k in kept]


def document(outcomes: list[Outcome], *, env: str, context: Any, dry_run: bool, kept: list[Kept],
             orphans: list[str], requests: dict[str, int]) -> str:
    data = {
        "format_version": "1.0",
        "tool_version": __version__,
        "environment": env,
        "cluster": {"context": context.name, "name": context.cluster, "server": context.server},
        "dry_run": dry_run,
        "summary": counts(outcomes),
        "objects": [{"group": o.ref.group, "kind": o.ref.kind, "namespace": o.ref.namespace or None, "name": o.ref.name,
                     "target_group": o.group, "status": o.status, "detail": o.detail,
                     "changes": [field_json(c) for c in masked(o)]} for o in outcomes],
        "kept": [{"object": k.ref.describe(), "reason": k.reason} for k in kept],
        "orphans": orphans,
        "requests": dict(sorted(requests.items())),
    }
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"
