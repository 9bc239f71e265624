"""`strata diff` as text (two aligned rows per differing value, with provenance) or json."""
from __future__ import annotations

import json
from typing import Any

from compiler import __version__ as TOOL_VERSION
from compiler.plan.jsonout import field_json
from compiler.plan.lines import field_lines, object_line, show
from compiler.plan.model import ABSENT
from compiler.promote.envdiff import EnvDiff, FieldDiff, ResourceDiff, SideValue

FORMAT_VERSION = "1.0"
FORMATS = ("text", "json")
WIDEST = 60        # a value column is padded up to this many characters


def render(result: EnvDiff, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(document(result), indent=2, ensure_ascii=False) + "\n"
    return text(result)


def text(result: EnvDiff) -> str:
    differ = len(result.resources)
    lines = [f"strata diff: {result.left} ↔ {result.right}", "",
             f"{differ} resource{' differs' if differ == 1 else 's differ'}, {len(result.same)} the same. [promote] marks "
             f"what `strata promote --from {result.left} --to {result.right}` would copy; [promotable] a promotable "
             "field that differs only by interpolation.", ""]
    for resource in result.resources:
        lines += _resource(resource, result.left, result.right) + [""]
    return "\n".join(lines).rstrip("\n") + "\n"


def _resource(resource: ResourceDiff, left: str, right: str) -> list[str]:
    if resource.only_in:
        return [f"{resource.identity}: only in {resource.only_in}"]
    lines = [resource.identity]
    width = max(len(left), len(right))
    for item in resource.fields:
        lines.append(f"  {item.path}{_mark(item)}")
        shown = [_value(item.left), _value(item.right)]
        pad = min(max(map(len, shown)), WIDEST)
        for env, side, value in ((left, item.left, shown[0]), (right, item.right, shown[1])):
            where = f"{side.where} ({side.layer})" if side.where else (
                "default (no layer sets it)" if side.value is not ABSENT else "")
            lines.append(f"      {env.ljust(width)}  {value.ljust(pad)}  {where}".rstrip())
    if resource.objects:
        lines.append("  objects:")
        for entry in resource.objects:
            lines.append("    " + object_line(entry))
            lines += ["        " + line for change in entry.changes for line in field_lines(change)]
    return lines


def _mark(item: FieldDiff) -> str:
    if item.promotes:
        return "  [promote]"
    return "  [promotable]" if item.promotable else ""


def _value(side: SideValue) -> str:
    if side.value is ABSENT:
        return "(unset)"
    return show(side.value) + (f" from {show(side.source)}" if side.source is not ABSENT else "")


def document(result: EnvDiff) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "tool_version": TOOL_VERSION,
        "environments": [result.left, result.right],
        "resources": [_resource_json(r, result.left, result.right) for r in result.resources],
        "same": list(result.same),
    }


def _resource_json(resource: ResourceDiff, left: str, right: str) -> dict[str, Any]:
    if resource.only_in:
        return {"resource": resource.identity, "only_in": resource.only_in}
    return {
        "resource": resource.identity,
        "fields": [{"path": f.path, "promotable": f.promotable, "promote": f.promotes,
                    "sides": {left: _side_json(f.left), right: _side_json(f.right)}} for f in resource.fields],
        "objects": [{"change": e.change, "apiVersion": e.key.api_version, "kind": e.key.kind, "name": e.key.name,
                     "changes": [field_json(c) for c in e.changes]} for e in resource.objects],
    }


def _side_json(side: SideValue) -> dict[str, Any]:
    found: dict[str, Any] = {"where": side.where or None, "layer": side.layer or None}
    if side.value is not ABSENT:
        found["value"] = side.value
    if side.source is not ABSENT:
        found["source"] = side.source
    return found
