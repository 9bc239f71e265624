"""The single exception root and the problem list every stage reports into.

A user error prints as ``path:LINE:COL: message`` (plus the layer chain when
layers are involved); the top-level handler in ``cli`` turns it into exit 1.

One root cause is reported once: a typo in a resource deployed to four
environments is found four times (once per target) but printed as one block
naming the environments it affects (`group`).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from compiler.provenance import Origin

MAX_REPORTED = 200
MAX_NAMED_TARGETS = 3     # a problem shared by more targets names these and counts the rest
MAX_QUOTED = 200          # characters of a value a message quotes
MAX_MESSAGE = 600         # a longer message (one quoting a huge value) keeps its start and its end


def clip(text: str, limit: int = MAX_QUOTED) -> str:
    """At most `limit` characters of a value for an error message (a 50 MB line helps nobody)."""
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"


def _bounded(message: str) -> str:
    if len(message) <= MAX_MESSAGE:
        return message
    left_out = len(message) - MAX_MESSAGE + 100
    return f"{message[:MAX_MESSAGE - 200]}… ({left_out} characters left out) …{message[-100:]}"


@dataclass(frozen=True)
class Problem:
    message: str
    origin: Origin | None = None
    chain: tuple[str, ...] = ()
    code: str = ""        # machine-readable kind of problem, for callers that react to one
    subject: str = ""     # what the problem is about (e.g. the unknown --env name)
    targets: tuple[str, ...] = ()   # what it was found in: `<project>/<Kind>/<name>` or `project <name>`
    envs: tuple[str, ...] = ()      # the environments it was found in
    warning: bool = False

    def render(self) -> str:
        where = self.origin.where() if self.origin else "strata"
        level = "warning: " if self.warning else ""
        text = f"{where}: {level}{self.scope()}{_bounded(self.message)}"
        if self.chain:
            label = f"layers ({self.envs[0]})" if len(self.envs) > 1 else "layers"
            text += f"\n    {label}: " + " <- ".join(self.chain)
        return text

    def scope(self) -> str:
        """`demo/Job/train in dev, staging: `: which targets and environments share this problem."""
        if not self.targets and not self.envs:
            return ""
        named = ", ".join(self.targets[:MAX_NAMED_TARGETS])
        if len(self.targets) > MAX_NAMED_TARGETS:
            named += f" and {len(self.targets) - MAX_NAMED_TARGETS} more"
        envs = f"in {', '.join(self.envs)}" if self.envs else ""
        return " ".join(part for part in (named, envs) if part) + ": "


class StrataError(Exception):
    """Root of every error strata reports to a user (exit code 1 unless `exit_code` says)."""

    exit_code = 1

    def __init__(self, problems: Iterable[Problem] | str):
        if isinstance(problems, str):
            problems = [Problem(problems)]
        self.problems = group(problems)
        self.unchanged: str | None = None   # set by a command that writes: what it left as it was
        super().__init__("\n".join(p.render() for p in self.problems))


class GuardError(StrataError):
    """Refused by a guard (wrong cluster, deletion budget, stale plan): exit 3."""

    exit_code = 3


def group(problems: Iterable[Problem]) -> list[Problem]:
    """Each root cause once, in a stable order (by file:line).

    The same message at the same place, found through several targets or
    environments, becomes one problem listing them all (its chain is the first
    environment's).
    """
    merged: dict[tuple, Problem] = {}
    for p in problems:
        key = (p.origin.sort_key() if p.origin else ("", 0, 0), p.message, p.warning)
        first = merged.get(key)
        if first is None:
            merged[key] = p
        else:
            chain = p.chain if p.envs and first.envs and min(p.envs) < min(first.envs) else first.chain
            merged[key] = replace(first, chain=chain, targets=_union(first.targets, p.targets),
                                  envs=_union(first.envs, p.envs))
    return [replace(p, targets=tuple(sorted(p.targets)), envs=tuple(sorted(p.envs)))
            for _, p in sorted(merged.items(), key=lambda item: item[0][:2])]


def _union(first: tuple[str, ...], more: tuple[str, ...]) -> tuple[str, ...]:
    return first + tuple(x for x in more if x not in first)


@dataclass
class Problems:
    """Collects problems across a whole run so all are reported together."""

    items: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)   # printed, but do not fail the run

    def add(self, message: str, origin: Origin | None = None, chain: tuple[str, ...] = (), *,
            code: str = "", subject: str = "", target: str = "", env: str = "", warning: bool = False) -> None:
        self.items.append(Problem(message, origin, chain, code, subject,
                                  (target,) if target else (), (env,) if env else (), warning))

    def warn(self, message: str, origin: Origin | None = None) -> None:
        self.warnings.append(Problem(message, origin, warning=True))

    def extend(self, problems: Iterable[Problem]) -> None:
        self.items.extend(problems)

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise StrataError(self.items)
