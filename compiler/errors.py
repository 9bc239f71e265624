"""The single exception root and the problem list every stage reports into.

A user error prints as ``path:LINE:COL: message`` (plus the layer chain when
layers are involved); the top-level handler in ``cli`` turns it into exit 1.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from compiler.provenance import Origin

MAX_REPORTED = 200


@dataclass(frozen=True)
class Problem:
    message: str
    origin: Origin | None = None
    chain: tuple[str, ...] = ()
    code: str = ""        # machine-readable kind of problem, for callers that react to one
    subject: str = ""     # what the problem is about (e.g. the unknown --env name)

    def render(self) -> str:
        where = self.origin.where() if self.origin else "strata"
        text = f"{where}: {self.message}"
        if self.chain:
            text += "\n    layers: " + " <- ".join(self.chain)
        return text


class StrataError(Exception):
    """Root of every error strata reports to a user (exit code 1 unless `exit_code` says)."""

    exit_code = 1

    def __init__(self, problems: Iterable[Problem] | str):
        if isinstance(problems, str):
            problems = [Problem(problems)]
        self.problems = _unique(problems)
        super().__init__("\n".join(p.render() for p in self.problems))


class GuardError(StrataError):
    """Refused by a guard (wrong cluster, deletion budget, stale plan): exit 3."""

    exit_code = 3


def _unique(problems: Iterable[Problem]) -> list[Problem]:
    """The same problem found through many targets is reported once, in a stable order."""
    seen: dict[tuple, Problem] = {}
    for p in problems:
        seen.setdefault((p.origin.sort_key() if p.origin else ("", 0, 0), p.message), p)
    return [seen[k] for k in sorted(seen)]


@dataclass
class Problems:
    """Collects problems across a whole run so all are reported together."""

    items: list[Problem] = field(default_factory=list)

    def add(self, message: str, origin: Origin | None = None, chain: tuple[str, ...] = (), *,
            code: str = "", subject: str = "") -> None:
        self.items.append(Problem(message, origin, chain, code, subject))

    def extend(self, problems: Iterable[Problem]) -> None:
        self.items.extend(problems)

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise StrataError(self.items)
