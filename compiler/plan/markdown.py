"""Markdown for one sticky pull-request comment.

A summary table (environment × add/change/destroy), then a `<details>` per
environment and per target with a fenced diff. Unchanged environments are left
out. Over `LIMIT` characters the comment falls back to one line per object, cut
only between list items, so no code block or `<details>` is ever split.
"""
from __future__ import annotations

import re
from itertools import groupby

from compiler.plan.lines import (
    MAX_CAUSES,
    first_difference,
    object_line,
    other_inputs,
    short_revision,
    show,
    target_title,
    text_diff,
)
from compiler.plan.model import ABSENT, ADD, CHANGE, DESTROY, Cause, FieldChange, Plan, TargetNote, summary_line

MARKER = "<!-- strata-plan -->"   # CI finds and updates the sticky comment by this line
LIMIT = 60_000                     # GitHub's limit is 65,536; leave room for a wrapper
RESERVE = 100                      # room for the "… and N more" line


def render_markdown(plan: Plan, *, limit: int = LIMIT) -> str:
    full = "\n".join(_header(plan) + _body(plan, _full_target)) + "\n"
    if len(full) <= limit:
        return full
    return _compact(plan, len(full), limit)


def _header(plan: Plan) -> list[str]:
    lines = [f"#### {plan.heading}", ""] if plan.heading else [
        MARKER, "### strata plan", "",
        f"Base `{plan.base_ref}` (`{plan.base_sha[:12]}`) → head `{short_revision(plan.head)}`", ""]
    if not plan.has_changes:   # a change to capacity declarations alone still shows its figures
        return lines + [f"**No changes.** {plan.no_changes}"] + (_capacity(plan) if _capacity_changed(plan) else [])
    lines += [f"**{summary_line(plan.counts())}**", "",
              "| Environment | Add | Change | Destroy |", "|---|---:|---:|---:|"]
    for env in plan.changed_envs():
        c = plan.counts(env)
        lines.append(f"| `{env}` | {c[ADD]} | {c[CHANGE]} | {c[DESTROY]} |")
    unchanged = sorted(set(plan.envs) - set(plan.changed_envs()))
    if unchanged:
        lines += ["", "Unchanged: " + ", ".join(f"`{e}`" for e in unchanged)]
    return lines + _capacity(plan)


def _capacity(plan: Plan) -> list[str]:
    """The GPU capacity table, per-project details collapsed (docs/plan.md#capacity)."""
    if plan.capacity is None:
        return []
    if not plan.capacity.environments:
        return ["", "GPU capacity: no change in GPU demand or quotas."]
    # Imported here: a plan without changes renders without loading what figures need.
    from compiler.capacity.formats import md_table
    from compiler.plan.capacity import LEGEND, POOL_HEADERS, PROJECT_HEADERS, pool_rows, project_rows

    lines = ["", "#### GPU capacity", "", *md_table(_titles(POOL_HEADERS), _coded(pool_rows(plan.capacity)))]
    projects = project_rows(plan.capacity)
    if projects:
        lines += ["", "<details><summary>Per project</summary>", "",
                  *md_table(_titles(PROJECT_HEADERS), _coded(projects)), "", "</details>"]
    return lines + ["", f"<sub>{LEGEND}</sub>"]


def _capacity_changed(plan: Plan) -> bool:
    return plan.capacity is not None and bool(plan.capacity.environments)


def _titles(headers: tuple[str, ...]) -> list[str]:
    return [h[:1].upper() + h[1:] for h in headers]


def _coded(rows: list[list[str]]) -> list[list[str]]:
    """The environment as code, like the summary table's."""
    return [[f"`{row[0]}`", *row[1:]] for row in rows]


def _body(plan: Plan, render_target) -> list[str]:
    lines: list[str] = []
    for env in plan.changed_envs():
        c = plan.counts(env)
        lines += ["", f"<details><summary><b>{env}</b>: {c[ADD]} to add, {c[CHANGE]} to change, "
                      f"{c[DESTROY]} to destroy</summary>", ""]
        for target in plan.targets(env):
            lines += render_target(plan, target)
        lines += ["</details>"]
    return lines


def _full_target(plan: Plan, target: tuple[str, str, str]) -> list[str]:
    entries = plan.entries_of(target)
    symbols = "".join(sorted({e.symbol for e in entries}, key="+~-".index))
    body = [line for e in entries for line in (object_line(e), *(d for c in e.changes for d in diff_lines(c)))]
    note = plan.notes.get(target, TargetNote())
    return [f"<details><summary><code>{symbols} {target_title(target)}</code> — {_objects(len(entries))}</summary>",
            "", *_why(note), *fenced("diff", "\n".join(body)), "", "</details>", ""]


def diff_lines(change: FieldChange) -> list[str]:
    """A field change as `diff` lines GitHub colours: `+`/`-` in the first column, a change as both."""
    if isinstance(change.old, str) and isinstance(change.new, str) and "\n" in change.old + change.new:
        return [f"~ {change.path}: (text, changed lines)", *text_diff(change.old, change.new)]
    if change.old is ABSENT:
        return [f"+ {change.path}: {show(change.new)}"]
    if change.new is ABSENT:
        return [f"- {change.path}: {show(change.old)}"]
    start = first_difference(change.old, change.new)
    return [f"- {change.path}: {show(change.old, start)}", f"+ {change.path}: {show(change.new, start)}"]


def _why(note: TargetNote) -> list[str]:
    """The target's source, the spec values that changed, and other changed inputs, as a list."""
    lines = [_cause(c) for c in note.causes[:MAX_CAUSES]]
    if len(note.causes) > MAX_CAUSES:
        lines.append(f"- … and {len(note.causes) - MAX_CAUSES} more spec changes (see the JSON plan)")
    others = other_inputs(note)
    if others:
        lines.append("- changed inputs: " + ", ".join(_code(f) for f in others))
    verb = "Was defined in" if note.removed else "Defined in"
    source = [f"{verb} {_code(note.source)}."] if note.source else []
    return source + ([""] if source and lines else []) + lines + ([""] if source or lines else [])


def _cause(cause: Cause) -> str:
    if cause.new is ABSENT:
        change = f"removed (was {_code(show(cause.old))})"
    elif cause.old is ABSENT:
        change = _code(show(cause.new))
    else:
        change = f"{_code(show(cause.old))} → {_code(show(cause.new))}"
    via = f" via {_code(cause.via)}" if cause.via else ""
    return f"- {cause.because(_code)}: {change}" + (f" at {_code(cause.where)}" if cause.where else "") + via


def _code(text: str) -> str:
    """An inline code span that survives backticks inside `text`."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    return f"{ticks} {text} {ticks}" if longest else f"{ticks}{text}{ticks}"


def fenced(language: str, text: str) -> list[str]:
    """A code block whose fence is longer than any backtick run inside it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + language, text, fence]


def _compact(plan: Plan, full_size: int, limit: int) -> str:
    note = ["", f"> The full plan is {full_size:,} characters, over this comment's {limit:,}-character "
                "limit, so only the objects are listed. Run `strata plan` locally, or read the plan "
                "artifact of this CI run, for the field-level changes."]
    head = _header(plan) + note
    items = [(e.env, f"- `{object_line(e)}` ({target_title(e.target)})") for e in plan.entries]
    return _fit(head, items, limit)


def _fit(head: list[str], items: list[tuple[str, str]], limit: int) -> str:
    """The object list by environment, as many items as fit; the rest are counted, not cut."""
    lines, budget, left = list(head), limit - _size(head) - RESERVE, len(items)
    for env, group in groupby(items, key=lambda pair: pair[0]):
        wanted = [item for _, item in group]
        block, kept = _block(env, wanted, budget)
        lines, budget, left = lines + block, budget - _size(block), left - kept
        if kept < len(wanted):
            break
    if left:
        lines += ["", f"… and {left} more objects not listed."]
    return "\n".join(lines) + "\n"


def _block(env: str, items: list[str], budget: int) -> tuple[list[str], int]:
    """One environment's `<details>` with the items that fit in `budget`, and how many fit."""
    opening, closing = ["", f"<details><summary><b>{env}</b></summary>", ""], ["", "</details>"]
    room, kept = budget - _size(opening + closing), []
    for item in items:
        room -= len(item) + 1
        if room < 0:
            break
        kept.append(item)
    return (opening + kept + closing if kept else []), len(kept)


def _size(lines: list[str]) -> int:
    return sum(len(line) + 1 for line in lines)


def _objects(n: int) -> str:
    return f"{n} object" + ("" if n == 1 else "s")
