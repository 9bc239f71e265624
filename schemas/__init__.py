"""strata's spec models (pydantic v2): one per kind of SPEC §3.

`SETTINGS_DOCS` maps the settings documents (app types, environments, projects)
to their models; which model a resource kind's `spec:` has is declared in the
compiler's kind registry (compiler/kinds.py).
"""
from __future__ import annotations

from pydantic import BaseModel

from schemas.apptype import AppTypeDoc, ChartRef
from schemas.dataset import DatasetSpec
from schemas.environment import EnvironmentDoc, EnvironmentGroupDoc, EnvironmentSettings
from schemas.job import JobSpec
from schemas.model import ModelSpec
from schemas.notebook import NotebookSpec
from schemas.pipeline import PipelineSpec
from schemas.project import ProjectDoc
from schemas.service import ServiceSpec

SETTINGS_DOCS: dict[str, type[BaseModel]] = {
    "AppType": AppTypeDoc,
    "EnvironmentGroup": EnvironmentGroupDoc,
    "Environment": EnvironmentDoc,
    "Project": ProjectDoc,
}

__all__ = [
    "SETTINGS_DOCS",
    "AppTypeDoc",
    "ChartRef",
    "DatasetSpec",
    "EnvironmentDoc",
    "EnvironmentGroupDoc",
    "EnvironmentSettings",
    "JobSpec",
    "ModelSpec",
    "NotebookSpec",
    "PipelineSpec",
    "ProjectDoc",
    "ServiceSpec",
]
