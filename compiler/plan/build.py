"""Compile one side of a plan in two steps, so the targets to render can be chosen in between.

Loading (discover, merge, validate) gives every target and its input files; the
plan picks the affected ones (`scope.Scope`) from both sides, then each side renders
only those. Nothing is written: a plan needs the objects, not the output files.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from compiler.errors import StrataError

if TYPE_CHECKING:
    from compiler.graph.build import Graph

Predicate = Callable[[Any], bool]


class Compiler(Protocol):
    def load(self, root: Path, envs: tuple[str, ...], projects: tuple[str, ...]) -> Any:
        """A loaded build: `.targets` and their `.graph`; raises StrataError on bad input."""

    def render(self, build: Any, render_only: Predicate | None) -> list[Any]:
        """The Emitted objects of the chosen targets (and of every project); raises StrataError."""

    def every_project(self, build: Any) -> Any:
        """The world of `build`'s root with every project in it (for the quotas summed over all)."""


@dataclass
class Side:
    """One side of the plan: nothing loaded (no project there could change) or a loaded build."""

    build: Any = None
    emitted: list = field(default_factory=list)
    unknown: frozenset[str] = frozenset()   # asked-for environments/projects this side lacks
    everyone: Callable[[], Any] | None = None   # the world with every project, loaded when asked

    def every_project(self) -> Any:
        """The side's world with every project of its root: its build's has only those it loaded."""
        return self.everyone() if self.everyone is not None else self.build.world

    @property
    def targets(self) -> list:
        return list(self.build.targets) if self.build is not None else []

    @property
    def graph(self) -> Graph:
        from compiler.graph.build import Graph

        return self.build.graph if self.build is not None else Graph()


class StrataCompiler:
    """strata's own stages: `compiler.pipeline.load_stage`, then `compiler.render.stage.render_all`.

    A side loads only the projects a change can reach: no other project's file is read (~200 of
    the bench's 250 files), until a check sums every project's quota (a pool that gives its
    capacity, the plan's capacity section when a pool's figures change): `every_project`, once per
    side. Both sides share one YAML parse cache (compiler/incremental/parsed.py): a file unchanged
    since the base is parsed once.
    """

    parsed: Any = None   # a subclass that skips __init__ parses every file on both sides
    worlds: dict[Path, Any] | None = None   # root → its world with every project, once asked

    def __init__(self) -> None:
        from compiler.incremental.parsed import ParseCache

        self.parsed = ParseCache()

    def load(self, root: Path, envs: tuple[str, ...], projects: tuple[str, ...]) -> Any:
        from compiler.merge.targets_of import Selection
        from compiler.pipeline import load_stage

        some = frozenset(projects) if projects else None
        return load_stage(root, Selection(tuple(envs), tuple(projects)), parsed=self.parsed, resources_of=some,
                          projects_of=some)

    def render(self, build: Any, render_only: Predicate | None) -> list[Any]:
        from compiler.capacity.checks import declares_capacity
        from compiler.kinds import PLATFORM
        from compiler.pipeline import gang_peers, render_stage

        if any(declares_capacity(p.env) for p in build.projects):   # the capacity checks sum every quota there
            build = replace(build, world=self.every_project(build))
        emitted = render_stage(build, render_only=render_only, peers=lambda rendered: gang_peers(
            build.projects, rendered, lambda: self.every_project(build))).emitted
        # The queues of a gang's peers were rendered for the checks only: the plan shows the loaded projects'.
        loaded = {(p.env.name, p.name) for p in build.projects}
        return [e for e in emitted if e.project == PLATFORM or (e.env, e.project) in loaded]

    def every_project(self, build: Any) -> Any:
        from compiler.pipeline import every_project_world

        if not _others(build):
            return build.world
        self.worlds = self.worlds if self.worlds is not None else {}
        if build.root not in self.worlds:
            self.worlds[build.root] = every_project_world(build.root, self.parsed)
        return self.worlds[build.root]


def _others(build: Any) -> bool:
    """Whether `build`'s root holds projects it did not load (the base side's copy holds only those)."""
    folder = build.root / "projects"
    loaded = {Path(d).name for d in build.docs.projects}
    return bool(build.selection.projects) and folder.is_dir() and any(
        p.name not in loaded and p.is_dir() for p in folder.iterdir())


def load_side(compiler: Compiler, root: Path, envs: tuple[str, ...], projects: tuple[str, ...] | None) -> Side:
    """One side loaded; `projects` None means nothing to load there. An asked-for environment or
    project this side lacks (a pull request adds or removes it) is left out, not an error."""
    if projects is None:
        return Side()
    try:
        return _side(compiler, compiler.load(root, envs, projects))
    except StrataError as error:
        unknown = _unknown_selection(error)
        if unknown is None:
            raise
    envs_left, projects_left = _without(envs, unknown), _without(projects, unknown)
    if envs_left is None or projects_left is None:
        return Side(unknown=frozenset(unknown))
    return _side(compiler, compiler.load(root, envs_left, projects_left), frozenset(unknown))


def _side(compiler: Compiler, build: Any, unknown: frozenset[str] = frozenset()) -> Side:
    return Side(build, unknown=unknown, everyone=lambda: compiler.every_project(build))


def _unknown_selection(error: StrataError) -> set[str] | None:
    """The --env/--project names a side does not know, if that is all that went wrong."""
    from compiler.merge.targets_of import UNKNOWN_SELECTION

    if not error.problems or any(p.code != UNKNOWN_SELECTION for p in error.problems):
        return None
    return {p.subject for p in error.problems}


def _without(asked: tuple[str, ...], unknown: set[str]) -> tuple[str, ...] | None:
    """`asked` minus the unknown names; None when nothing asked for is left (() still means all)."""
    kept = tuple(a for a in asked if a not in unknown)
    return None if asked and not kept else kept
