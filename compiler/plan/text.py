"""Terraform-style text for a terminal or a CI log."""
from __future__ import annotations

import click

from compiler.plan.lines import causes_shown, field_lines, object_line, other_inputs, short_revision, target_title
from compiler.plan.model import ADD, CHANGE, DESTROY, Plan, TargetNote, summary_line

COLOURS = {"+": "green", "~": "yellow", "-": "red"}


def render_text(plan: Plan, *, color: bool = False) -> str:
    heading = plan.heading or f"strata plan: base {plan.base_ref} ({plan.base_sha[:12]}) → head {short_revision(plan.head)}"
    lines = [heading, ""]
    if not plan.has_changes:   # a change to capacity declarations alone still shows its figures
        section = capacity_lines(plan) if plan.capacity is not None and plan.capacity.environments else []
        return "\n".join(lines + [f"No changes. {plan.no_changes}", "", *section])
    for env in plan.changed_envs():
        lines += _environment(plan, env, color)
    lines += capacity_lines(plan)
    bold = (lambda s: click.style(s, bold=True)) if color else str
    return "\n".join(lines + [bold(summary_line(plan.counts())), ""])


def capacity_lines(plan: Plan) -> list[str]:
    """The GPU capacity section: per environment and pool, then per project (docs/plan.md#capacity)."""
    if plan.capacity is None:
        return []
    if not plan.capacity.environments:
        return ["GPU capacity: no change in GPU demand or quotas.", ""]
    # Imported here: a plan without changes prints without loading what figures need.
    from compiler.capacity.formats import aligned
    from compiler.plan.capacity import LEGEND, POOL_HEADERS, PROJECT_HEADERS, pool_rows, project_rows

    lines = ["GPU capacity", "  " + LEGEND, ""]
    lines += ["  " + line for line in aligned(POOL_HEADERS, pool_rows(plan.capacity))]
    projects = project_rows(plan.capacity)
    if projects:
        lines += ["", *("  " + line for line in aligned(PROJECT_HEADERS, projects))]
    return lines + [""]


def _environment(plan: Plan, env: str, color: bool) -> list[str]:
    counts = plan.counts(env)
    heading = f"Environment {env}: {counts[ADD]} to add, {counts[CHANGE]} to change, {counts[DESTROY]} to destroy"
    lines = [click.style(heading, bold=True) if color else heading]
    for target in plan.targets(env):
        lines += _target(plan, target, color)
    return lines + [""]


def _target(plan: Plan, target: tuple[str, str, str], color: bool) -> list[str]:
    note = plan.notes.get(target, TargetNote())
    source = f"{note.source}, removed" if note.removed else note.source
    lines = [f"  {target_title(target)}" + (f"  ({source})" if source else "")]
    lines += ["      " + line for line in why(note)]
    for entry in plan.entries_of(target):
        lines.append("    " + _paint(object_line(entry), color))
        lines += ["        " + _paint(line, color) for c in entry.changes for line in field_lines(c)]
    return lines


def why(note: TargetNote) -> list[str]:
    """"because" lines: spec values with file:line, then changed input files no value points at."""
    shown, hidden = causes_shown(note.causes)
    lines = [f"because {line}" for line in shown]
    if hidden:
        lines.append(f"… and {hidden} more spec changes (see --format json)")
    others = other_inputs(note)
    if others:
        lines.append(("and these inputs changed: " if lines else "because these inputs changed: ") + ", ".join(others))
    return lines


def _paint(line: str, color: bool) -> str:
    """Coloured by its leading symbol (`+`, `~`, `-`, also in a text diff); other lines plain."""
    colour = COLOURS.get(line.lstrip()[:1])
    return click.style(line, fg=colour) if color and colour else line
