"""strata.yaml: repository settings (all optional)."""
from __future__ import annotations

from pydantic import StrictStr

from schemas.base import Spec


class RepoSettings(Spec):
    output: StrictStr = "out"
    charts: list[StrictStr] = ["charts"]
    crds: list[StrictStr] = []
