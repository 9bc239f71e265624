"""What happened to each object, and the options that decide it."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from compiler.apply.model import Ref
from compiler.plan.model import FieldChange

CREATED, CONFIGURED, UNCHANGED, PRUNED, FAILED = "created", "configured", "unchanged", "pruned", "failed"
SKIPPED, REPLACE_NEEDED, REPLACED, NOT_PRUNED = "skipped", "replace needed", "replaced", "not pruned"


@dataclass(frozen=True)
class ApplyOptions:
    env: str
    projects: tuple[str, ...] = ()
    plan_file: Path | None = None
    dry_run: bool = False
    prune: bool = False
    max_deletions: int = 10
    allow_delete_data: bool = False
    force_conflicts: bool = False
    recreate_jobs: bool = False


@dataclass(frozen=True)
class Outcome:
    ref: Ref
    group: str
    status: str                                  # one of the names above
    detail: str = ""
    changes: tuple[FieldChange, ...] = ()

    @property
    def failed(self) -> bool:
        return self.status in (FAILED, SKIPPED)
