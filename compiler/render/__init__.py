"""Renderers: one module per output family behind one interface.

A renderer turns one validated `Target` into plain Kubernetes objects (dicts).
It reports user errors through `ctx.error(...)` (file:line from provenance) and
never writes files; the `write` stage does that.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from compiler.errors import Problems
from compiler.provenance import Origin
from compiler.targets import Target

Object = dict[str, Any]


class Renderer(Protocol):
    @property
    def kinds(self) -> tuple[str, ...]: ...

    def render(self, target: Target, ctx: RenderContext) -> list[Object]:
        """Every Kubernetes object of the target, in a stable order."""


@dataclass
class RenderContext:
    """What a renderer may consult besides its own target (no global state)."""

    repo: Path
    chart_dirs: tuple[Path, ...] = ()
    targets: dict[tuple[str, str, str, str], Target] = field(default_factory=dict)
    problems: Problems = field(default_factory=Problems)
    warnings: Problems = field(default_factory=Problems)
    cache: dict[Any, Any] = field(default_factory=dict)   # per-run memo for renderers (loaded charts)

    def find(self, target: Target, kind: str, name: str) -> Target | None:
        """The `kind`/`name` resource of the same project in the same environment."""
        return self.targets.get((target.env.name, target.project.name, kind, name))

    def names(self, target: Target, kind: str) -> list[str]:
        """The names of every `kind` resource of the same project in the same environment."""
        here = (target.env.name, target.project.name, kind)
        return sorted(name for (env, project, k, name) in self.targets if (env, project, k) == here)

    def error(self, target: Target, path: tuple, message: str) -> None:
        origin: Origin | None = target.locate(*path)
        self.problems.add(message, origin, target.chain, target=target.identity, env=target.env.name)

    def warn(self, target: Target, path: tuple, message: str) -> None:
        """Printed as `file:LINE:COL: warning: ...`; does not fail the run."""
        self.warnings.add(message, target.locate(*path), target=target.identity, env=target.env.name, warning=True)
