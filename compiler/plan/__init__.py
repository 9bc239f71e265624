"""`strata plan`: what a change does to the compiled objects, environment by environment.

    from compiler.plan import plan, render
    result = plan(Path("."), "origin/main")
    print(render(result, "text"))

The base revision is read from git into a temporary folder (the working tree and
the index are never touched) and compiled with the same strata as the head, so a
plan shows what the *config* change does. Both sides load only the projects a
change can reach and render only the targets whose inputs changed
(`compiler.plan.scope`): unchanged targets have the same objects on both sides.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

# What compiles or compares (kinds, schemas, the stages) is imported where it is used: a plan
# whose change reaches no input (a README) answers "No changes." without loading any of it.
from compiler import collector
from compiler.errors import Problem, StrataError
from compiler.plan import gitbase
from compiler.plan.build import Compiler, Side, StrataCompiler, load_side
from compiler.plan.formats import FORMATS, format_for, render
from compiler.plan.model import Plan, summary_line
from compiler.plan.scope import Scope, is_input, touched_projects

__all__ = ["FORMATS", "Plan", "compare_sides", "format_for", "plan", "render", "summary_line"]


def plan(repo: Path, base: str, *, envs: tuple[str, ...] = (), projects: tuple[str, ...] = (),
         compiler: Compiler | None = None) -> Plan:
    """Compile `base` and the working tree of `repo` and diff their objects."""
    compiler = compiler or StrataCompiler()
    tree, base_sha = gitbase.locate(Path(repo).resolve(), base)
    repo = tree.repo
    status, changed = gitbase.changed_files(tree, base_sha, is_input)
    head_rev = status.revision
    _check_projects(tree, base_sha, projects)
    touched = touched_projects(changed)
    if touched is not None and not _wanted(projects, touched):   # no input (of the asked projects) changed
        return Plan(base_ref=base, base_sha=base_sha, head=head_rev)
    with collector.paused():   # both sides live until compared (compiler/collector.py): ~40 ms of scans
        return _compiled_and_compared(compiler, tree, base, base_sha, head_rev, changed, envs, projects)


def _compiled_and_compared(compiler: Compiler, tree: gitbase.Worktree, base: str, base_sha: str, head_rev: str,
                           changed: frozenset[str], envs: tuple[str, ...], projects: tuple[str, ...]) -> Plan:
    """Load both sides, choose the targets to render from both, render them on both, compare them:
    all while the base revision's copy exists (the capacity section may read its project files)."""
    touched = touched_projects(changed)
    label = f"{base} ({base_sha[:12]})"
    head = load_side(compiler, tree.repo, envs, _selection(tree.repo, projects, touched))
    wanted = None if touched is None else _wanted(projects, touched)
    with gitbase.checkout(tree, base_sha, wanted) as root:
        with _as_base(label):
            old = load_side(compiler, root, envs, _selection(root, projects, touched))
        _check_selection(head.unknown & old.unknown)
        scope = Scope.build(changed, head.graph, old.graph)
        with _as_base(label):
            old.emitted = _render(compiler, old, scope, touched)
        head.emitted = _render(compiler, head, scope, touched)
        return compare_sides(base, base_sha, head_rev, old, head, scope, changed)


def compare_sides(base: str, base_sha: str, head_rev: str, old: Side, head: Side, scope: Scope,
                  changed: frozenset[str]) -> Plan:
    """The plan of two rendered sides: objects compared, each changed target's causes found."""
    from compiler.plan import causes
    from compiler.plan.capacity import capacity_change
    from compiler.plan.compare import compare
    from compiler.targets import target_key

    entries = compare(old.emitted, head.emitted)
    notes = causes.notes({e.target for e in entries}, old.graph, head.graph, changed)
    every = {target_key(t) for t in (*old.targets, *head.targets)}
    return Plan(base_ref=base, base_sha=base_sha, head=head_rev, entries=entries, notes=notes,
                envs=_environments(old.emitted, head.emitted, old.targets, head.targets),
                rendered=len(every & scope.keys), targets_total=len(every),
                capacity=capacity_change(old, head, scope, changed))


def _selection(root: Path, asked: tuple[str, ...], touched: frozenset[str] | None) -> tuple[str, ...] | None:
    """The projects to load on one side: the ones asked for (all if none) that a change can
    reach and that exist there; None when there is nothing to load on that side."""
    if touched is None:
        return asked
    present = tuple(sorted(p for p in _wanted(asked, touched) if (root / "projects" / p).is_dir()))
    return present or None


def _wanted(asked: tuple[str, ...], touched: frozenset[str]) -> frozenset[str]:
    return touched & set(asked) if asked else touched


def _check_selection(unknown: frozenset[str]) -> None:
    if unknown:
        raise StrataError(f"--env/--project {', '.join(sorted(unknown))}: not found at the base revision "
                          "nor in the working tree")


def _check_projects(tree: gitbase.Worktree, base_sha: str, asked: tuple[str, ...]) -> None:
    """A --project that names no folder on either side is a typo, not "No changes."."""
    if not asked:
        return
    folder = tree.repo / "projects"
    here = {p.name for p in folder.iterdir() if p.is_dir()} if folder.is_dir() else set()
    known = gitbase.project_folders(tree, base_sha) | here
    unknown = sorted(set(asked) - known)
    if unknown:
        raise StrataError(f"--project {', '.join(unknown)}: no such project at the base revision "
                          "nor in the working tree")


def _render(compiler: Compiler, side: Side, scope: Scope, touched: frozenset[str] | None) -> list:
    """A side's objects. When only project folders changed, a side may load no project at all
    (one being added or removed), so its environments' `_platform` objects, whose only inputs
    are environment files and which cannot have changed, are left out on both sides."""
    from compiler.kinds import PLATFORM

    if side.build is None:
        return []
    emitted = compiler.render(side.build, scope)
    return emitted if touched is None else [e for e in emitted if e.project != PLATFORM]


@contextmanager
def _as_base(label: str) -> Iterator[None]:
    """Errors of the base side say they are the base revision's, not the working tree's."""
    try:
        yield
    except StrataError as error:
        raise StrataError([Problem(f"the base revision {label} does not compile:"), *error.problems]) from None


def _environments(*groups: Iterable) -> tuple[str, ...]:
    names = set()
    for group in groups:
        for item in group:
            names.add(item.env if isinstance(item.env, str) else item.env.name)
    return tuple(sorted(names))
