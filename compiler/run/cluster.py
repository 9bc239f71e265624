"""Is the cluster's WorkflowTemplate (or CronWorkflow) the compiled one?

A run that references the cluster's object runs whatever the cluster holds, so it may only
when that is what the config compiles to now. The comparison is apply's
(`compiler.apply.compare`): through managedFields, only the fields strata sets or set, so
server defaults and other controllers' fields do not count. Labels and annotations do not
change what runs; a WorkflowTemplate's `spec.arguments` do not either, as the run passes its
own (a Workflow's arguments override the template's); of a CronWorkflow only what its runs
are made of counts (`workflowSpec`, `workflowMetadata`), not its schedule or `suspend`.
"""
from __future__ import annotations

from typing import Any

from compiler.apply.compare import compare

ARGUMENTS = "/spec/arguments"
CRON_RUN_FIELDS = ("/spec/workflowSpec", "/spec/workflowMetadata")


def difference(compiled: dict[str, Any], live: dict[str, Any] | None) -> str:
    """"" when `live` runs what `compiled` says; otherwise a short reason."""
    kind, name = compiled["kind"], compiled["metadata"]["name"]
    if live is None:
        return f"{kind} {name} is not in the cluster (not applied yet)"
    changes = [c for c in compare(compiled, live).changes if _counts(kind, c.path)]
    if not changes:
        return ""
    fields = ", ".join(c.path for c in changes[:3]) + (f" and {len(changes) - 3} more" if len(changes) > 3 else "")
    return f"the cluster's {kind} {name} differs from the compiled one ({fields})"


def _counts(kind: str, path: str) -> bool:
    if path.startswith("/metadata/"):
        return False
    if kind == "CronWorkflow":
        return path.startswith(CRON_RUN_FIELDS)
    return not (kind == "WorkflowTemplate" and path.startswith(ARGUMENTS))
