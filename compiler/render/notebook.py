"""Notebook → its workspace PVC (`<name>-workspace`) + a Kubeflow `kubeflow.org/v1` Notebook.

The Notebook CRD's pod template has no metadata, so pod labels (Fluid's
required-placement label, `pod.labels`) and `pod.annotations` go on the Notebook itself:
the notebook controller copies the Notebook's labels, and its annotations whose key
contains neither `notebook` nor `kubectl`, onto its pod (kubeflow/kubeflow
components/notebook-controller, `generateStatefulSet`).

`idleTimeout` has no effect and is warned about: Kubeflow's notebook controller culls
idle notebooks by controller-wide settings only (ENABLE_CULLING, CULL_IDLE_TIME) and reads
no per-notebook timeout (docs/cluster-requirements.md).
"""
from __future__ import annotations

from typing import Any

from compiler.render import RenderContext
from compiler.render.common import k8s_object, main_metadata, metadata
from compiler.render.pod import container, container_resources, pod_parts, pod_spec
from compiler.targets import Target
from schemas.notebook import NotebookSpec

KUBEFLOW = "kubeflow.org/v1"
WORKSPACE_VOLUME = "workspace"
NOTEBOOK_PORT = 8888  # the port Kubeflow's notebook controller routes to


class NotebookRenderer:
    def render(self, target: Target, ctx: RenderContext) -> list[dict[str, Any]]:
        if target.spec.workspace.claim is not None:   # an existing claim: nothing to create
            return [notebook(target, ctx)]
        return [workspace_claim(target), notebook(target, ctx)]


def workspace_name(target: Target) -> str:
    return target.spec.workspace.claim or f"{target.name}-workspace"


def workspace_claim(target: Target) -> dict[str, Any]:
    workspace = target.spec.workspace
    spec: dict[str, Any] = {"accessModes": ["ReadWriteOnce"]}
    if workspace.storageClass:
        spec["storageClassName"] = workspace.storageClass
    spec["resources"] = {"requests": {"storage": workspace.size}}
    return k8s_object("v1", "PersistentVolumeClaim", metadata(target, workspace_name(target)), spec=spec)


def notebook(target: Target, ctx: RenderContext) -> dict[str, Any]:
    spec: NotebookSpec = target.spec
    parts = pod_parts(target, spec.resources, spec.datasets, ctx, spec.pod)
    parts.volumes.insert(0, {"name": WORKSPACE_VOLUME,
                             "persistentVolumeClaim": {"claimName": workspace_name(target)}})
    mounts = [{"name": WORKSPACE_VOLUME, "mountPath": spec.workspace.mountPath}, *parts.mounts]
    main = container(target.name, spec.image, env=spec.env, mounts=mounts,
                     resources=container_resources(target, spec.resources),
                     ports=[{"name": "notebook-port", "containerPort": NOTEBOOK_PORT, "protocol": "TCP"}], parts=parts)
    if spec.idleTimeout is not None:
        ctx.warn(target, ("idleTimeout",), "idleTimeout has no effect: Kubeflow culls idle notebooks by the "
                                           "notebook controller's CULL_IDLE_TIME for every notebook at once; "
                                           "remove it (docs/cluster-requirements.md)")
    # The controller copies the Notebook's labels and annotations onto its pod (see the docstring).
    meta = main_metadata(target, labels=parts.labels, annotations=dict(parts.annotations))
    return k8s_object(KUBEFLOW, "Notebook", meta, spec={"template": {"spec": pod_spec([main], parts)}})
