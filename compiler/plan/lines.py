"""The plain-text lines the text and markdown formats share (no colour, no markup)."""
from __future__ import annotations

import difflib
import json
from os.path import commonpath
from typing import Any

from compiler.plan.model import ABSENT, Cause, Entry, FieldChange, TargetNote

MAX_VALUE = 160      # characters of one value before it is shortened for humans
MAX_CAUSES = 8       # spec changes listed per target; JSON keeps them all
MAX_TEXT_LINES = 30  # lines of a multi-line text diff (an embedded manifest, a script)
CONTEXT = 40         # characters kept before the first difference of two long values


def show(value: Any, start: int = 0) -> str:
    """A value as compact JSON (strings quoted, so `"1"` and `1` differ), shortened if long."""
    text = _json(value)
    if start > 0 and len(text) > MAX_VALUE:
        text = "…" + text[start:]
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def transition(old: Any, new: Any) -> str:
    if old is ABSENT:
        return show(new)
    if new is ABSENT:
        return show(old)
    start = first_difference(old, new)
    return f"{show(old, start)} → {show(new, start)}"


def first_difference(old: Any, new: Any) -> int:
    """Where to start showing two long values so that their difference is in view."""
    return _first_difference(_json(old), _json(new))


def field_line(change: FieldChange) -> str:
    return f"{change.symbol} {change.path or '/'}: {transition(change.old, change.new)}"


def field_lines(change: FieldChange) -> list[str]:
    """One line per change; a change inside multi-line text shows as a line diff beneath it."""
    if not (isinstance(change.old, str) and isinstance(change.new, str) and "\n" in change.old + change.new):
        return [field_line(change)]
    return [f"{change.symbol} {change.path}: (text, changed lines)"] + ["    " + line for line in text_diff(change.old, change.new)]


def text_diff(old: str, new: str) -> list[str]:
    lines = list(difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=1))[2:]
    if len(lines) <= MAX_TEXT_LINES:
        return lines
    return lines[:MAX_TEXT_LINES] + [f"… {len(lines) - MAX_TEXT_LINES} more lines"]


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def _first_difference(old: str, new: str) -> int:
    """Where to start showing two long values so that their difference is in view."""
    if max(len(old), len(new)) <= MAX_VALUE:
        return 0
    return max(0, len(commonpath([old, new])) - CONTEXT)


def cause_line(cause: Cause) -> str:
    where = ", ".join(part for part in (cause.where, f"via {cause.via}" if cause.via else "") if part)
    verb = "removed " if cause.new is ABSENT else ""
    return f"{verb}{cause.because()}: {transition(cause.old, cause.new)}" + (f"  ({where})" if where else "")


def object_line(entry: Entry) -> str:
    return f"{entry.symbol} {entry.key.describe()}" + (f"  ({entry.note})" if entry.note else "")


def target_title(target: tuple[str, str, str]) -> str:
    _env, project, resource = target
    return f"{project}/{resource}"


def other_inputs(note: TargetNote) -> tuple[str, ...]:
    """Changed input files no listed cause points at, e.g. the env file whose `vars` an image interpolates."""
    cited = {c.where.rsplit(":", 2)[0] for c in note.causes if c.where}
    return tuple(f for f in note.files if f not in cited)


def causes_shown(causes: tuple[Cause, ...]) -> tuple[list[str], int]:
    """The first few cause lines, and how many were left out."""
    return [cause_line(c) for c in causes[:MAX_CAUSES]], max(0, len(causes) - MAX_CAUSES)


def short_revision(revision: str) -> str:
    """A commit sha shortened to 12 characters; "working tree" as it is."""
    return revision[:12] if len(revision) == 40 else revision
