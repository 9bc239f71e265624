"""`patches:` — the escape hatch for the long tail of Kubernetes fields strata has no typed field for.

A patch is a spec field like any other: a list merge-keyed by `name`, so app types, groups,
environments, projects, the resource and overrides can add one, change one (`merge: null`
then `json: [...]` swaps its body), switch one off (`enabled: false`), drop them all
(`patches: null` or `!replace`), or lock them (`locked: [Job.patches]`); `strata explain` and
plan's "because" show each with its file:line. compiler/render/patch.py applies them after
rendering and before the policy, capacity and CRD checks, so a patch cannot get past those.
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, StrictBool, StrictStr, model_validator

from schemas.base import Name, Spec


class PodsTarget(Spec):
    """Every pod template the resource renders (a Job's roles, a Notebook's, a chart's
    Deployment); `roles` narrows a Job's to some roles."""

    roles: list[StrictStr] = []


class ObjectTarget(Spec):
    """One object the resource renders, by kind (and name: default the resource's)."""

    kind: StrictStr
    name: StrictStr | None = None


class JsonOp(Spec):
    """One RFC 6902 operation; `move` and `copy` are left out (they hide what changes)."""

    op: Literal["add", "remove", "replace", "test"]
    path: StrictStr = Field(pattern=r"^/")
    value: Any = None

    @model_validator(mode="after")
    def _value_when_needed(self) -> JsonOp:
        if self.op != "remove" and "value" not in self.model_fields_set:
            raise ValueError(f"json op {self.op} {self.path} needs a value")
        return self


class Patch(Spec):
    name: Name
    enabled: StrictBool = True
    pods: PodsTarget | None = None
    object: ObjectTarget | None = None
    merge: dict[StrictStr, Any] | None = None      # maps merge deep, keyed lists by name, other lists replace
    json_: list[JsonOp] | None = Field(None, alias="json")

    @model_validator(mode="after")
    def _one_target_one_body(self) -> Patch:
        if not self.enabled:
            return self
        targets = [t for t in ("pods", "object") if getattr(self, t) is not None]
        if len(targets) != 1:
            raise ValueError(f"patch {self.name!r} needs exactly one target, pods or object"
                             + (f" (has {', '.join(targets)})" if targets else ""))
        bodies = [b for b, v in (("merge", self.merge), ("json", self.json_)) if v is not None]
        if len(bodies) != 1:
            raise ValueError(f"patch {self.name!r} needs exactly one body, merge or json"
                             + (f" (has {', '.join(bodies)})" if bodies else ""))
        return self


__all__ = ["JsonOp", "ObjectTarget", "Patch", "PodsTarget"]
