"""The plan as data: one entry per Kubernetes object that differs between base and head."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ADD, CHANGE, DESTROY = "add", "change", "destroy"
CHANGE_KINDS = (ADD, CHANGE, DESTROY)
SYMBOLS = {ADD: "+", CHANGE: "~", DESTROY: "-"}

ABSENT = object()  # a field missing on one side (distinct from an explicit null)


@dataclass(frozen=True)
class FieldChange:
    """One leaf-level difference inside an object, addressed by a JSON pointer."""

    path: str
    old: Any = ABSENT
    new: Any = ABSENT

    @property
    def symbol(self) -> str:
        if self.old is ABSENT:
            return SYMBOLS[ADD]
        return SYMBOLS[DESTROY] if self.new is ABSENT else SYMBOLS[CHANGE]


@dataclass(frozen=True)
class Cause:
    """A spec value that changed, and where it is set now (or was set, when removed)."""

    path: str                      # dotted spec path, e.g. `replicas.max` or `env[NCCL_DEBUG].value`
    old: Any = ABSENT
    new: Any = ABSENT
    where: str = ""                # file:line:col of the changed input, when known
    via: str = ""                  # the `${...}` reference the change came through (`where` is its value's line)
    embedded: str = ""             # `Job train`: the value is another target's, which this one embeds or uses

    def because(self, show: Callable[[str], str] = str) -> str:
        """`image`, or `it embeds Job train, whose resources.gpu changed` (the path passed through `show`)."""
        if not self.embedded:
            return show(self.path)
        from compiler.kinds import kind_names, kind_of

        kind = self.embedded.split(" ")[0]
        verb = kind_of(kind).verb if kind in kind_names() else "uses"
        return f"it {verb} {self.embedded}, whose {show(self.path)} changed"


@dataclass(frozen=True)
class ObjectKey:
    """How an object is matched across base and head (SPEC §5)."""

    env: str
    api_version: str
    kind: str
    namespace: str
    name: str

    def describe(self) -> str:
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.api_version} {self.kind} {where}"


@dataclass(frozen=True)
class Entry:
    """One object that is added, changed or destroyed, in the target that emits it."""

    key: ObjectKey
    project: str
    resource: str                  # `<kind>.<name>` or `project.<name>`
    change: str                    # add | change | destroy
    before: dict | None = None  # masked
    after: dict | None = None   # masked
    changes: tuple[FieldChange, ...] = ()
    note: str = ""                 # live plans: who else manages a field, replace needed, prune conditions

    @property
    def env(self) -> str:
        return self.key.env

    @property
    def target(self) -> tuple[str, str, str]:
        return (self.key.env, self.project, self.resource)

    @property
    def symbol(self) -> str:
        return SYMBOLS[self.change]


@dataclass(frozen=True)
class TargetNote:
    """Why a target's objects changed: spec values (with file:line) or the input files that changed."""

    causes: tuple[Cause, ...] = ()
    files: tuple[str, ...] = ()
    source: str = ""               # the resource document, file:line:col
    removed: bool = False          # the target no longer exists: `source` is the base's


@dataclass
class Plan:
    base_ref: str
    base_sha: str
    head: str                      # a commit sha, or "working tree" when it has uncommitted changes
    entries: list[Entry] = field(default_factory=list)
    notes: dict[tuple[str, str, str], TargetNote] = field(default_factory=dict)
    envs: tuple[str, ...] = ()     # every environment compiled on either side
    rendered: int = 0              # targets rendered (on both sides); the others cannot have changed
    targets_total: int = 0         # targets loaded on either side
    heading: str = ""              # replaces the "base → head" line when the sides are not git revisions (promote)
    live: dict | None = None       # `plan --live`: the cluster compared with, and what apply needs (compiler.apply.saved)
    capacity: Any = None           # compiler.plan.capacity.CapacityChange: GPU demand and quotas (not for live plans)

    @property
    def no_changes(self) -> str:
        if self.live is not None:
            return "The cluster matches the compiled objects (the fields strata manages)."
        return "The compiled objects are the same on both sides." if self.heading else \
            "The compiled objects match the base revision."

    @property
    def has_changes(self) -> bool:
        return bool(self.entries)

    def counts(self, env: str | None = None) -> dict[str, int]:
        counts = dict.fromkeys(CHANGE_KINDS, 0)
        for entry in self.entries:
            if env is None or entry.env == env:
                counts[entry.change] += 1
        return counts

    def changed_envs(self) -> list[str]:
        return sorted({e.env for e in self.entries})

    def targets(self, env: str) -> list[tuple[str, str, str]]:
        """The changed targets of one environment, in a stable order, each once."""
        return sorted({e.target for e in self.entries if e.env == env})

    def entries_of(self, target: tuple[str, str, str]) -> list[Entry]:
        return [e for e in self.entries if e.target == target]


def summary_line(counts: dict[str, int]) -> str:
    return f"Plan: {counts[ADD]} to add, {counts[CHANGE]} to change, {counts[DESTROY]} to destroy."
