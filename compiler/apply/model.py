"""What apply works with: object identities, desired objects, and the action planned for each."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from compiler.apply.order import group_of
from compiler.plan.model import FieldChange

# What apply will do to one object (decided from the desired and the live object, no request).
CREATE, CONFIGURE, UNCHANGED, REPLACE, PRUNE = "create", "configure", "unchanged", "replace", "prune"


@dataclass(frozen=True, order=True)
class Ref:
    """An object's identity in a cluster: group, kind, namespace, name (the version does not matter)."""

    group: str
    kind: str
    namespace: str
    name: str

    @classmethod
    def of(cls, obj: dict) -> Ref:
        meta = obj.get("metadata") or {}
        return cls(group_of(obj.get("apiVersion", "")), obj.get("kind", ""), meta.get("namespace") or "", meta["name"])

    def describe(self) -> str:
        kind = f"{self.kind}.{self.group}" if self.group else self.kind
        return f"{kind} {self.namespace}/{self.name}" if self.namespace else f"{kind} {self.name}"

    def token(self) -> str:
        """A stable one-line key (saved plans, the parent's record of runs)."""
        return "/".join((self.group, self.kind, self.namespace, self.name))


@dataclass(frozen=True)
class Desired:
    """One compiled object, labelled as a member of its target group's ApplySet."""

    ref: Ref
    obj: dict[str, Any]
    env: str
    group: str                 # the target group (a project, or an environment-wide group like `_platform`)
    resource: str              # `<kind>.<name>` or `project.<name>`: the target that emits it
    source: str = ""           # where the target is defined, file:line:col

    @property
    def api_version(self) -> str:
        return self.obj["apiVersion"]


@dataclass(frozen=True)
class Step:
    """What apply will do with one object, and why."""

    ref: Ref
    action: str                           # create | configure | unchanged | replace | prune
    group: str                            # the target group whose ApplySet holds it
    desired: Desired | None = None        # None for prune
    live: dict | None = None
    changes: tuple[FieldChange, ...] = ()
    note: str = ""                         # e.g. who else manages a changed field
    running: bool = False                  # a run-to-completion object that has not finished
    protected: bool = False                # a prune that deletes data (Namespace, PVC, PV, Fluid Dataset)
    blocked: str = ""                      # why apply must not touch it (reported as failed, no request)

    @property
    def resource_version(self) -> str | None:
        return (self.live or {}).get("metadata", {}).get("resourceVersion")


@dataclass(frozen=True)
class Kept:
    """A member-looking object that prune leaves alone, and why."""

    ref: Ref
    reason: str


@dataclass
class GroupState:
    """One target group's ApplySet: its parent in the cluster (if any) and what it will hold."""

    env: str
    name: str
    set_id: str
    parent: dict | None = None             # the live parent ConfigMap
    desired: list[Desired] = field(default_factory=list)
