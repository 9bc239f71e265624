"""The envelope of a resource document: identity, app type, targets and per-env overrides.

`spec` and `overrides.*` are partial specs of the kind; they are validated
after merging (SPEC §2), against the kind's model in `schemas.RESOURCE_SPECS`.
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from schemas.base import Name, Spec

ResourceKind = Literal["Dataset", "Job", "Model", "Service", "Pipeline", "Notebook"]


class ResourceDoc(Spec):
    kind: ResourceKind
    name: Name
    appType: Name | None = None
    deployTo: list[Name] | None = Field(None, min_length=1)
    overrides: dict[str, dict[str, Any]] = {}
    spec: dict[str, Any] = {}
