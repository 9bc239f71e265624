"""The plain-text lines the text and markdown formats share (no colour, no markup)."""
from __future__ import annotations

import json
from typing import Any

from compiler.plan.model import ABSENT, Cause, Entry, FieldChange

MAX_VALUE = 160      # characters of one value before it is shortened for humans
MAX_CAUSES = 8       # spec changes listed per target; JSON keeps them all


def show(value: Any) -> str:
    """A value as compact JSON (strings quoted, so `"1"` and `1` differ), shortened if long."""
    text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def transition(old: Any, new: Any) -> str:
    if old is ABSENT:
        return show(new)
    return show(old) if new is ABSENT else f"{show(old)} → {show(new)}"


def field_line(change: FieldChange) -> str:
    return f"{change.symbol} {change.path or '/'}: {transition(change.old, change.new)}"


def cause_line(cause: Cause) -> str:
    where = f"  ({cause.where})" if cause.where else ""
    verb = "removed " if cause.new is ABSENT else ""
    return f"{verb}{cause.path}: {transition(cause.old, cause.new)}{where}"


def object_line(entry: Entry) -> str:
    return f"{entry.symbol} {entry.key.describe()}"


def target_title(target: tuple[str, str, str]) -> str:
    _env, project, resource = target
    return f"{project}/{resource}"


def causes_shown(causes: tuple[Cause, ...]) -> tuple[list[str], int]:
    """The first few cause lines, and how many were left out."""
    return [cause_line(c) for c in causes[:MAX_CAUSES]], max(0, len(causes) - MAX_CAUSES)


def short_revision(revision: str) -> str:
    """A commit sha shortened to 12 characters; "working tree" as it is."""
    return revision[:12] if len(revision) == 40 else revision
