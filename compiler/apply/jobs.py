"""Run-to-completion objects (Kubeflow training jobs, batch Jobs): created, never edited in place.

A training job is one run: changing its spec in place is refused by the API (a batch Job's
pod template is immutable) or ignored by the operator, so a changed job needs a *replace*
(delete, then create), which apply does only with --recreate-jobs and never to a job that
is still running unless forced. A finished job whose spec did not change stays as it is;
one that its TTL controller already removed is not started again (the ApplySet parent
records the digest of every run strata created).
"""
from __future__ import annotations

import hashlib
import json

from compiler.order import RUN_KINDS, runs_to_completion

__all__ = ["RUN_KINDS", "runs_to_completion"]
FINISHED = {"Complete", "Succeeded", "Failed"}   # batch/v1 Job; Kubeflow JobConditionType


def finished(live: dict) -> bool:
    """A condition Complete/Succeeded/Failed with status True (batch/v1 and kubeflow.org/v1 alike)."""
    conditions = (live.get("status") or {}).get("conditions") or []
    return any(c.get("type") in FINISHED and str(c.get("status")) == "True" for c in conditions if isinstance(c, dict))


def spec_only_metadata(changes) -> bool:
    """Changes limited to labels/annotations can be applied in place, even to a job."""
    return all(c.path.startswith("/metadata/") for c in changes)


def run_digest(obj: dict) -> str:
    return "sha256:" + hashlib.sha256(json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def read_runs(parent: dict | None) -> dict[str, str]:
    """The parent's record of runs strata created: ref token → digest of the object applied."""
    text = ((parent or {}).get("data") or {}).get("runs") or "{}"
    try:
        runs = json.loads(text)
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in runs.items()} if isinstance(runs, dict) else {}


def write_runs(runs: dict[str, str]) -> str:
    return json.dumps(dict(sorted(runs.items())), separators=(",", ":"))
