"""The `pod:` block: the same pod settings, with the same meaning, on a Job (and each of its
roles), a Service, a Notebook and a pipeline container step; and `metadata:`, the annotations
and labels of the object a resource renders.

What strata computes itself is not here (GPU pools, queues, resources, datasets, /dev/shm):
annotation and label keys strata or a scheduler owns, and volume names strata uses, are
refused with a message naming the field that sets them. Privileged mode, capabilities and
the host network are not here either: an environment declares them as `networkProfiles`.
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictBool, StrictStr, field_validator, model_validator
from pydantic_core import PydanticCustomError

from schemas.base import Int32, Int64, Name, Quantity, Spec, StringMap, merge_key
from schemas.environment import Toleration

# Keys strata writes (or a scheduler it drives reads), and where a spec sets what they mean.
RESERVED_KEYS = {
    "app.kubernetes.io/managed-by": "strata sets it",
    "kueue.x-k8s.io/queue-name": "set scheduling.queue",
    "kueue.x-k8s.io/priority-class": "set scheduling.priority",
    "scheduling.k8s.io/group-name": "set scheduling.gang",
    "serving.kserve.io/deploymentMode": "set kserve.deploymentMode",
}
RESERVED_PREFIXES = {
    "strata.dev/": "strata's own labels",
    "scheduling.volcano.sh/": "set scheduling.queue / scheduling.gang",
    "volcano.sh/": "set scheduling.queue / scheduling.gang",
    "fluid.io/": "set the dataset's placement",
    "fuse.serverful.fluid.io/": "strata sets it for pods that mount a cached dataset",
}
# Volume names strata gives volumes of its own: /dev/shm, a notebook's workspace, datasets,
# and the host devices of a network profile.
RESERVED_VOLUMES = ("dshm", "workspace")
RESERVED_VOLUME_PREFIXES = ("data-", "profile-")
VOLUME_SOURCES = ("configMap", "secret", "emptyDir", "claim", "hostPath")
PULL_POLICIES = Literal["Always", "IfNotPresent", "Never"]


def reserved_key(key: str) -> str | None:
    """Why `key` may not be set in annotations or labels (None: it may)."""
    if key in RESERVED_KEYS:
        return RESERVED_KEYS[key]
    return next((why for prefix, why in RESERVED_PREFIXES.items() if key.startswith(prefix)), None)


def _check_keys(found: dict[str, str]) -> dict[str, str]:
    for key in found:
        why = reserved_key(key)
        if why is not None:
            raise PydanticCustomError("reserved_key", "{name} is reserved: {why}", {"key": key, "name": key,
                                                                                      "why": why})
    return found


class ObjectMeta(Spec):
    """Annotations and labels of the object the resource renders (the Kubeflow job, the
    InferenceService, the Notebook, the WorkflowTemplate): Kueue's partial admission, KServe tag
    routing, a notebook's server type."""

    annotations: StringMap = {}
    labels: StringMap = {}

    _reserved = field_validator("annotations", "labels")(_check_keys)


class ContainerPort(Spec):
    name: StrictStr = Field(max_length=15)
    containerPort: Int32 = Field(ge=1, le=65535)
    protocol: Literal["TCP", "UDP", "SCTP"] = "TCP"


class EmptyDir(Spec):
    medium: Literal["", "Memory"] = ""
    sizeLimit: Quantity | None = None


class Volume(Spec):
    """One volume and where the main container mounts it: exactly one of `configMap`, `secret`
    (names of objects in the namespace), `emptyDir`, `claim` (an existing PVC) or `hostPath`
    (refused where policy forbidHostPath)."""

    name: Name
    mountPath: StrictStr
    readOnly: StrictBool = False
    subPath: StrictStr | None = None
    configMap: Name | None = None
    secret: Name | None = None
    emptyDir: EmptyDir | None = None
    claim: Name | None = None
    hostPath: StrictStr | None = None

    @field_validator("name")
    @classmethod
    def _not_reserved(cls, name: str) -> str:
        if name in RESERVED_VOLUMES or name.startswith(RESERVED_VOLUME_PREFIXES):
            raise ValueError(f"volume name {name!r} is strata's (dshm, workspace, data-<dataset>, "
                             "profile-<profile> are taken)")
        return name

    @model_validator(mode="after")
    def _one_source(self) -> Volume:
        given = [s for s in VOLUME_SOURCES if getattr(self, s) is not None]
        if len(given) != 1:
            raise ValueError(f"volume {self.name!r} needs exactly one of {', '.join(VOLUME_SOURCES)}"
                             + (f" (has {', '.join(given)})" if given else ""))
        return self


class PullSecret(Spec):
    name: Name


class PodSecurity(Spec):
    """The safe part of a pod's securityContext (privileged mode and capabilities come only from an
    environment's networkProfiles)."""

    runAsUser: Int64 | None = Field(None, ge=0)
    runAsGroup: Int64 | None = Field(None, ge=0)
    fsGroup: Int64 | None = Field(None, ge=0)
    runAsNonRoot: StrictBool | None = None


class Pod(Spec):
    serviceAccount: StrictStr | None = None
    imagePullPolicy: PULL_POLICIES | None = None
    imagePullSecrets: list[PullSecret] = merge_key("name", default=[])
    annotations: StringMap = {}
    labels: StringMap = {}
    workingDir: StrictStr | None = None
    ports: list[ContainerPort] = merge_key("name", default=[])
    nodeSelector: StringMap = {}
    tolerations: list[Toleration] = []
    volumes: list[Volume] = merge_key("name", default=[])
    securityContext: PodSecurity | None = None

    _reserved = field_validator("annotations", "labels")(_check_keys)


__all__ = ["ContainerPort", "EmptyDir", "ObjectMeta", "Pod", "PodSecurity", "PullSecret", "Volume",
           "reserved_key"]
