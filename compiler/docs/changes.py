"""`--plan plan.json`: which targets a pull request changes, read from `strata plan --format json`."""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from compiler.errors import StrataError
from compiler.plan.capacity import CapacityChange, capacity_from_json
from compiler.targets import Key

SUPPORTED_MAJOR = "1"
CHANGES = ("add", "change", "destroy")


@dataclass(frozen=True)
class PlanChanges:
    targets: Mapping[Key, str] = field(default_factory=dict)   # (env, project, `<kind>.<name>`) → add | change | destroy
    title: str = ""                                              # `main (1a2b3c4) → working tree`
    capacity: CapacityChange | None = None                       # the plan's capacity section (format 1.3)

    def of(self, key: Key) -> str:
        return self.targets.get(key, "")


def read_plan(path: Path) -> PlanChanges:
    """The changed targets of a saved plan; anything that is not a strata plan is an error naming the file."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise StrataError(f"--plan {path}: cannot read it: {getattr(exc, 'strerror', None) or exc}") from None
    except ValueError as exc:
        raise StrataError(f"--plan {path}: not JSON ({exc}); write it with `strata plan --format json`") from None
    version = str(doc.get("format_version", "")) if isinstance(doc, dict) else ""
    if version.split(".")[0] != SUPPORTED_MAJOR or not isinstance(doc.get("entries"), list):
        raise StrataError(f"--plan {path}: not a strata plan (format_version {SUPPORTED_MAJOR}.x with `entries`); "
                          "write it with `strata plan --format json`")
    seen: dict[Key, set[str]] = {}
    for entry in doc["entries"]:
        if isinstance(entry, dict) and entry.get("change") in CHANGES:
            key = (str(entry.get("environment")), str(entry.get("project")), str(entry.get("resource")))
            seen.setdefault(key, set()).add(entry["change"])
    # every object added: the target is new; every object destroyed: it is gone; anything else: changed
    found = {key: changes.pop() if len(changes) == 1 else "change" for key, changes in seen.items()}
    return PlanChanges(found, _title(doc), _capacity(path, doc.get("capacity")))


def _capacity(path: Path, section: object) -> CapacityChange | None:
    if section is None:
        return None
    try:
        if not isinstance(section, dict):
            raise TypeError("not an object")
        return capacity_from_json(section)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise StrataError(f"--plan {path}: its `capacity` section is not one strata plan writes ({exc!r}); "
                          "write it with `strata plan --format json`") from None


def _title(doc: dict) -> str:
    base = doc.get("base") or {}
    sha = str(base.get("sha") or "")[:7]
    head = doc.get("head")
    head_text = head if isinstance(head, str) else (head or {}).get("ref", "") if isinstance(head, dict) else ""
    return f"{base.get('ref') or 'live'}{f' ({sha})' if sha else ''} → {head_text or 'head'}"
