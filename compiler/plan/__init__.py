"""`strata plan`: what a change does to the compiled objects, environment by environment.

    from compiler.plan import plan, render
    result = plan(Path("."), "origin/main")
    print(render(result, "text"))

The base revision is read from git into a temporary folder (the working tree and
the index are never touched) and compiled with the same strata as the head, so
a plan shows what the *config* change does. A change confined to project folders
compiles only those projects, on both sides; and only targets whose inputs changed
are rendered on the base side (see `compiler.plan.scope`).
"""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, Iterable, Optional

from compiler.errors import Problem, StrataError
from compiler.plan import causes, gitbase
from compiler.plan.compare import compare
from compiler.plan.formats import FORMATS, format_for, render
from compiler.plan.model import Plan, summary_line
from compiler.plan.scope import BaseScope, touched_projects

__all__ = ["FORMATS", "Plan", "format_for", "plan", "render", "summary_line"]

Compile = Callable[..., Any]   # compiler.pipeline.compile_repo's signature


def plan(repo: Path, base: str, *, envs: tuple[str, ...] = (), projects: tuple[str, ...] = (),
         compile_fn: Optional[Compile] = None) -> Plan:
    """Compile `base` and the working tree of `repo` and diff their objects."""
    compile_fn = compile_fn or _compile_repo()
    repo = Path(repo).resolve()
    gitbase.require_worktree(repo)
    base_sha = gitbase.resolve(repo, base)
    head_rev = gitbase.head(repo)
    changed = gitbase.changed_files(repo, base_sha)
    touched = touched_projects(changed)
    head = _compile(compile_fn, repo, envs, _selection(repo, projects, touched))
    scope = BaseScope.build(changed, head.targets)
    with gitbase.checkout(repo, base_sha) as root:
        old = _compile_base(compile_fn, root, f"{base} ({base_sha[:12]})", scope, envs,
                            _selection(root, projects, touched))
    old_emitted = [*old.emitted, *_reused(head.emitted, scope.reused)]
    entries = compare(old_emitted, head.emitted)
    notes = causes.notes({e.target for e in entries}, causes.by_key(old.targets),
                         causes.by_key(head.targets), changed)
    return Plan(base_ref=base, base_sha=base_sha, head=head_rev, entries=entries, notes=notes,
                envs=_environments(old_emitted, head.emitted, old.targets, head.targets),
                rendered_on_base=len(scope.rendered), targets_total=len(old.targets))


def _selection(root: Path, asked: tuple[str, ...], touched: Optional[frozenset[str]]) -> Optional[tuple[str, ...]]:
    """The projects to compile on one side: the ones asked for (all if none) that a change can
    touch and that exist there; None when there is nothing to compile on that side."""
    if touched is None:
        return asked
    wanted = touched & set(asked) if asked else touched
    present = tuple(sorted(p for p in wanted if (root / "projects" / p).is_dir()))
    return present or None


def _compile(compile_fn: Compile, root: Path, envs: tuple[str, ...], projects: Optional[tuple[str, ...]],
             **options: Any) -> Any:
    if projects is None:
        return SimpleNamespace(emitted=[], targets=[])
    return compile_fn(root, envs=envs, projects=projects, **options)


def _compile_base(compile_fn: Compile, root: Path, label: str, scope: BaseScope,
                  envs: tuple[str, ...], projects: Optional[tuple[str, ...]]) -> Any:
    """The base build; its errors say they are the base revision's, not the working tree's."""
    try:
        return _compile(compile_fn, root, envs, projects, render_only=scope)
    except StrataError as error:
        raise StrataError([Problem(f"the base revision {label} does not compile:"), *error.problems]) from None


def _reused(emitted: Iterable[Any], keys: set[tuple[str, str, str]]) -> list[Any]:
    """The head's objects of targets the base side did not render: their inputs are the same."""
    return [e for e in emitted if (e.env, e.project, e.resource) in keys]


def _environments(*groups: Iterable[Any]) -> tuple[str, ...]:
    names = set()
    for group in groups:
        for item in group:
            names.add(item.env if isinstance(item.env, str) else item.env.name)
    return tuple(sorted(names))


def _compile_repo() -> Compile:
    from compiler.pipeline import compile_repo   # the lead's compile API; imported when used
    return compile_repo
