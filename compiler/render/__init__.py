"""Renderers: one module per output family behind one interface.

A renderer turns one validated `Target` into plain Kubernetes objects (dicts).
What it may read besides its target are the targets its references resolved to
(`ctx.find`, from the target graph); it reports user errors through
`ctx.error(...)` (file:line from provenance) and never writes files. The render
stage gives each target a fresh `RenderContext` and keeps what the render
produced as a frozen `Rendered`, so rendering a target is a function of the
target and its resolved references.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from compiler.errors import Problem, Problems
from compiler.provenance import Origin
from compiler.targets import Target

Object = dict[str, Any]


class Renderer(Protocol):
    def render(self, target: Target, ctx: RenderContext) -> list[Object]:
        """Every Kubernetes object of the target, in a stable order."""


@dataclass(frozen=True)
class Rendered:
    """What rendering one target produced."""

    objects: tuple[Object, ...] = ()
    values: Any = None                          # values.yaml data; None: the effective spec
    records: tuple[tuple[str, Any], ...] = ()   # for manifest.json (the resolved model versions)
    problems: tuple[Problem, ...] = ()
    warnings: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class WorkflowAccess:
    """What an Argo workflow a target renders runs as and creates: the project's RBAC for it
    (compiler/render/project.py) grants exactly that. A renderer whose targets may render
    workflows has `workflow_access(target, find) -> WorkflowAccess | None`."""

    service_account: str
    creates: tuple[tuple[str, str], ...] = ()   # (apiVersion, kind) its resource templates create


class UndeclaredReference(LookupError):
    """A renderer read a target its spec does not reference: declare the field with `ref(...)`."""


@dataclass
class RenderContext:
    """One target's render: its resolved references, the run's chart folders, what it reports."""

    repo: Path
    chart_dirs: tuple[Path, ...] = ()
    references: Mapping[tuple[str, str], Target | None] = field(default_factory=dict)
    cache: dict[Any, Any] = field(default_factory=dict)   # per-run memo shared by renders (loaded charts)
    problems: Problems = field(default_factory=Problems)
    warnings: Problems = field(default_factory=Problems)
    records: dict[str, Any] = field(default_factory=dict)
    values: Any = None

    def find(self, kind: str, name: str) -> Target | None:
        """The `kind`/`name` target the spec references; None when it names none (already reported)."""
        if (kind, name) not in self.references:
            raise UndeclaredReference(f"{kind} {name!r} is read while rendering but no spec field references it")
        return self.references[(kind, name)]

    def error(self, target: Target, path: tuple, message: str) -> None:
        origin: Origin | None = target.locate(*path)
        self.problems.add(message, origin, target.chain, target=target.identity, env=target.env.name)

    def warn(self, target: Target, path: tuple, message: str) -> None:
        """Printed as `file:LINE:COL: warning: ...`; does not fail the run."""
        self.warnings.add(message, target.locate(*path), target=target.identity, env=target.env.name, warning=True)

    def record(self, key: str, value: Any) -> None:
        """Kept in the target's manifest.json entry (e.g. the model version a Service resolved)."""
        self.records[key] = value

    def rendered(self, objects: list[Object]) -> Rendered:
        return Rendered(tuple(objects), self.values, tuple(sorted(self.records.items())),
                        tuple(self.problems.items), tuple(self.warnings.items))
