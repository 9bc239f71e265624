"""Notebook: a Kubeflow Notebook with a workspace volume."""
from __future__ import annotations

from pydantic import StrictStr

from schemas.base import Duration, Name, Quantity, Spec, merge_key, preset, promotable
from schemas.common import Container, DatasetMount, EnvVar, Resources
from schemas.patch import Patch
from schemas.pod import ObjectMeta, Pod


class Workspace(Spec):
    size: Quantity = "10Gi"
    storageClass: StrictStr | None = None
    mountPath: StrictStr = "/home/jovyan"
    # An existing PVC of the namespace as the workspace (a notebook's home that outlives it); then
    # strata creates no `<name>-workspace` claim and `size`/`storageClass` are not used.
    claim: Name | None = None


class NotebookSpec(Spec):
    image: StrictStr = promotable()
    resources: Resources = preset(Resources)
    env: list[EnvVar] = merge_key("name", default=[])
    datasets: list[DatasetMount] = merge_key("name", default=[])
    workspace: Workspace = preset(Workspace)
    pod: Pod | None = None
    metadata: ObjectMeta | None = None
    patches: list[Patch] = merge_key("name", default=[])
    idleTimeout: Duration | None = None   # no effect (culling is controller-wide): warned about

    def containers(self) -> tuple[Container, ...]:
        return (Container((), self.image, self.resources),)
