"""A promotion in three renderings: text (terminal, CI log), markdown (the pull request's body),
json (machines). Each lists per file what changed, then the plan of the promotion in the plan's
own format.
"""
from __future__ import annotations

import json
from typing import Any

from compiler import __version__ as TOOL_VERSION
from compiler.plan.jsonout import document as plan_document
from compiler.plan.lines import show
from compiler.plan.markdown import LIMIT, fenced, render_markdown
from compiler.plan.model import ABSENT
from compiler.plan.text import render_text
from compiler.promote import Promotion
from compiler.promote.resource import FieldChange, ResourcePromotion
from compiler.promote.yamledit import file_diff

FORMAT_VERSION = "1.0"
MARKER = "<!-- strata-promote -->"   # a bot finds and updates its promotion PR body by this line
FORMATS = ("text", "markdown", "json")


def render(promotion: Promotion, fmt: str, *, color: bool = False) -> str:
    if fmt == "json":
        return json.dumps(document(promotion), indent=2, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        return _markdown(promotion)
    return _text(promotion, color)


def summary(promotion: Promotion) -> str:
    pending, current = len(promotion.resources), len(promotion.up_to_date)
    if not pending:
        return f"{promotion.target} is up to date with {promotion.source} ({_count(current, 'resource')} checked)."
    by_hand = f", {len(promotion.by_hand)} of them by hand" if promotion.by_hand else ""
    return f"{_count(pending, 'resource')} to promote{by_hand}; {current} up to date."


def change_line(change: FieldChange) -> str:
    if change.old is ABSENT:
        return f"+ {change.path}: {show(change.new)}"
    if change.new is ABSENT:
        return f"- {change.path}: {show(change.old)} (written as null)"
    return f"~ {change.path}: {show(change.old)} → {show(change.new)}"


# --- text ------------------------------------------------------------------------------------------

def _text(promotion: Promotion, color: bool) -> str:
    lines = [f"strata promote: {promotion.source} → {promotion.target}", "", summary(promotion), ""]
    for rel, found in _by_file(promotion.resources).items():
        lines.append(rel if found[0].editable else f"{rel}  (Jsonnet: change it by hand)")
        for resource in found:
            lines += ["  " + line for line in _resource_lines(resource, promotion.target)]
        if rel in promotion.files:
            lines += ["    " + line for line in file_diff(*promotion.files[rel], rel)]
        lines.append("")
    lines += [f"skipped {identity}: {why}" for identity, why in promotion.skipped]
    if promotion.skipped:
        lines.append("")
    if promotion.plan is not None:
        lines.append(render_text(promotion.plan, color=color))
    return "\n".join(lines).rstrip("\n") + "\n"


def _resource_lines(resource: ResourcePromotion, target: str) -> list[str]:
    lines = [f"{resource.identity} → overrides.{target}"]
    for change in resource.changes:
        now = f"  (now: {change.where}, {change.layer})" if change.where else ""
        lines.append("  " + change_line(change) + now)
    lines += ["  " + note for note in resource.notes]
    if not resource.editable:
        lines.append(f"  add to this resource's document: overrides: {_json({target: resource.patch})}")
    return lines


# --- markdown --------------------------------------------------------------------------------------

def _markdown(promotion: Promotion) -> str:
    lines: list[str | None] = [MARKER, f"### strata promote: `{promotion.source}` → `{promotion.target}`", "", summary(promotion), ""]
    if promotion.resources:
        lines += [f"| File | Resource | Field | `{promotion.target}` now | after |", "|---|---|---|---|---|"]
        for resource in promotion.resources:
            for change in resource.changes:
                lines.append(f"| `{resource.file}` | `{resource.identity}` | `{change.path}` | "
                             f"{_cell(change.old)} | {_cell(change.new)} |")
        lines.append("")
    notes = [(r, n) for r in promotion.resources for n in r.notes]
    lines += [f"- `{r.identity}`: {n}" for r, n in notes] + ([""] if notes else [])
    if promotion.by_hand:
        lines += ["**Change by hand** (Jsonnet files are programs: strata does not rewrite them):", ""]
        lines += [f"- `{r.file}`, `{r.identity}`: add `overrides: {_json({promotion.target: r.patch})}`"
                  for r in promotion.by_hand] + [""]
    lines += [f"- skipped `{identity}`: {why}" for identity, why in promotion.skipped]
    if promotion.files:
        diff = "\n".join(line for rel, (old, new) in promotion.files.items() for line in file_diff(old, new, rel))
        lines += ["" if lines[-1] else None, "<details><summary>Edited files</summary>", "", *fenced("diff", diff), "",
                  "</details>", ""]
    head = "\n".join(line for line in lines if line is not None).rstrip("\n") + "\n"
    if promotion.plan is None:
        return head
    return head + "\n" + render_markdown(promotion.plan, limit=max(LIMIT - len(head), 10_000))


def _cell(value: Any) -> str:
    if value is ABSENT:
        return "(unset)"
    text = show(value).replace("|", "\\|")
    return f"`{text}`"


# --- json ------------------------------------------------------------------------------------------

def document(promotion: Promotion) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "tool_version": TOOL_VERSION,
        "source": promotion.source,
        "target": promotion.target,
        "pending": promotion.pending,
        "resources": [_resource_json(r) for r in promotion.resources],
        "up_to_date": list(promotion.up_to_date),
        "skipped": [{"resource": identity, "reason": why} for identity, why in promotion.skipped],
        "files": [{"path": rel, "diff": file_diff(old, new, rel)} for rel, (old, new) in promotion.files.items()],
        "plan": plan_document(promotion.plan) if promotion.plan is not None else None,
    }


def _resource_json(resource: ResourcePromotion) -> dict[str, Any]:
    changes = []
    for change in resource.changes:
        found: dict[str, Any] = {"path": change.path}
        if change.old is not ABSENT:
            found["old"] = change.old
        if change.new is not ABSENT:
            found["new"] = change.new
        if change.where:
            found["where"], found["layer"] = change.where, change.layer
        changes.append(found)
    return {"resource": resource.identity, "file": resource.file, "source": resource.source,
            "edited": resource.editable, "override": resource.patch, "changes": changes, "notes": list(resource.notes)}


def _by_file(resources: list[ResourcePromotion]) -> dict[str, list[ResourcePromotion]]:
    found: dict[str, list[ResourcePromotion]] = {}
    for resource in sorted(resources, key=lambda r: (r.file, r.identity)):
        found.setdefault(resource.file, []).append(resource)
    return found


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")
