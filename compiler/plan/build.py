"""Compile one side of a plan in two steps, so the targets to render can be chosen in between.

Loading (discover, merge, validate) gives every target and its input files; the
plan picks the affected ones (`scope.Scope`) from both sides, then each side renders
only those. Nothing is written: a plan needs the objects, not the output files.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Protocol

from compiler.errors import Problems

Predicate = Callable[[Any], bool]


class Compiler(Protocol):
    def load(self, root: Path, envs: tuple[str, ...], projects: tuple[str, ...]) -> Any:
        """A loaded build: `.targets` with their `.files`; raises StrataError on bad input."""

    def render(self, build: Any, render_only: Optional[Predicate]) -> list[Any]:
        """The Emitted objects of the chosen targets (and of every project); raises StrataError."""


@dataclass
class Side:
    """One side of the plan: nothing loaded (no project there could change) or a loaded build."""

    build: Any = None
    emitted: list = field(default_factory=list)

    @property
    def targets(self) -> list:
        return list(self.build.targets) if self.build is not None else []


class StrataCompiler:
    """strata's own stages: `compiler.pipeline.load_stage`, then `compiler.render.stage.render_all`."""

    def load(self, root: Path, envs: tuple[str, ...], projects: tuple[str, ...]) -> Any:
        from compiler.expand import Selection
        from compiler.pipeline import load_stage

        problems = Problems()
        build = load_stage(root, Selection(tuple(envs), tuple(projects)), problems)
        problems.raise_if_any()
        return build

    def render(self, build: Any, render_only: Optional[Predicate]) -> list[Any]:
        from compiler.render import RenderContext
        from compiler.render.stage import render_all

        problems = Problems()
        ctx = RenderContext(repo=build.root, chart_dirs=build.config.chart_dirs, problems=problems)
        emitted = render_all(build, ctx, render_only=render_only)
        problems.raise_if_any()
        return emitted
