"""The plan of a promotion: the target environment's compiled objects before and after the edit.

The "after" side is compiled from in-memory overlays (`load_stage(overlay=…)`: the edited
text stands in for each edited file), not from a copy of the repository in a temporary
folder: nothing is copied or written, so `--check` and a promotion that fails leave no trace,
and a large repository costs no copy. Both sides are rendered with `plan`'s scope rule (only
the targets an edited file can affect) and compared by `plan`'s comparison.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from compiler.errors import Problem, StrataError
from compiler.merge.targets_of import Selection
from compiler.pipeline import Build, load_stage, render_stage
from compiler.plan import Plan, compare_sides
from compiler.plan.build import Side
from compiler.plan.scope import Scope


def preview(repo: Path, before: Build, selection: Selection, edited: dict[str, str], *,
            source: str, target: str) -> Plan:
    """Render `before` and the same selection with `edited` laid over the repo; compare them."""
    changed = frozenset(edited)
    with titled(f"after the promotion, {target} would not compile:"):
        after = load_stage(repo, selection, overlay=edited)
    scope = Scope.build(changed, after.graph, before.graph)
    with titled(f"{target} does not compile as it is:"):
        before = render_stage(before, render_only=scope)
    with titled(f"after the promotion, {target} would not compile:"):
        after = render_stage(after, render_only=scope)
    plan = compare_sides(target, "", "promoted", Side(before, list(before.emitted)), Side(after, list(after.emitted)),
                         scope, changed)
    plan.heading = f"Plan of the promotion: {target}'s objects now → with {source}'s values"
    return plan


@contextmanager
def titled(title: str) -> Iterator[None]:
    """Problems raised inside are reported under `title` (which side of the promotion they belong to)."""
    try:
        yield
    except StrataError as error:
        raise StrataError([Problem(title), *error.problems]) from None
