"""The envelope of a resource document: identity, app type, targets and per-env overrides.

`spec` and `overrides.*` are partial specs of the kind; they are validated
after merging (SPEC §2), against the kind's model (compiler/kinds.py, which
also decides which kinds exist: the loader checks `kind` against it).
"""
from __future__ import annotations

from typing import Any

from pydantic import Field, StrictStr

from schemas.base import Name, Spec


class ResourceDoc(Spec):
    kind: StrictStr
    name: Name
    appType: Name | None = None
    deployTo: list[Name] | None = Field(None, min_length=1)
    overrides: dict[str, dict[str, Any]] = {}
    spec: dict[str, Any] = {}
