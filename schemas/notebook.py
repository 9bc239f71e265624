"""Notebook: a Kubeflow Notebook with a workspace volume."""
from __future__ import annotations

from typing import Optional

from pydantic import StrictStr

from schemas.base import Duration, Quantity, Spec, merge_key
from schemas.common import DatasetMount, EnvVar, Resources


class Workspace(Spec):
    size: Quantity = "10Gi"
    storageClass: Optional[StrictStr] = None
    mountPath: StrictStr = "/home/jovyan"


class NotebookSpec(Spec):
    image: StrictStr
    resources: Resources = Resources()
    env: list[EnvVar] = merge_key("name", default=[])
    datasets: list[DatasetMount] = merge_key("name", default=[])
    workspace: Workspace = Workspace()
    idleTimeout: Optional[Duration] = None
