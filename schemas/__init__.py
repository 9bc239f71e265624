"""strata's spec models (pydantic v2): one per kind of SPEC §3.

`RESOURCE_SPECS` maps each resource kind to the model of its `spec:`.
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

RESOURCE_SPECS: dict[str, type[BaseModel]] = {
    "Dataset": DatasetSpec,
    "Job": JobSpec,
    "Model": ModelSpec,
    "Service": ServiceSpec,
    "Pipeline": PipelineSpec,
    "Notebook": NotebookSpec,
}

SETTINGS_DOCS: dict[str, type[BaseModel]] = {
    "AppType": AppTypeDoc,
    "EnvironmentGroup": EnvironmentGroupDoc,
    "Environment": EnvironmentDoc,
    "Project": ProjectDoc,
}

ALL_KINDS = (*SETTINGS_DOCS, *RESOURCE_SPECS)

__all__ = [
    "ALL_KINDS",
    "RESOURCE_SPECS",
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
