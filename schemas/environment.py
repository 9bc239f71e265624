"""EnvironmentGroup and Environment: the same settings; an Environment's override its group's."""
from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, StrictBool, StrictStr, field_validator, model_validator
from pydantic_core import PydanticCustomError

from schemas.base import DNS1123_LABEL, Amounts, Int32, Int64, Name, Spec, StringMap, merge_key, preset

NonNegative = Annotated[Int64, Field(ge=0)]
# Kubernetes reserves higher values (and the `system-` prefix) for its own PriorityClasses.
MAX_PRIORITY = 1_000_000_000


class Cluster(Spec):
    """A cluster an environment runs on: the kube context identity `apply` must see, and where
    Argo CD sends the environment's Applications (`server`, else Argo CD's cluster `name`)."""

    name: StrictStr
    server: StrictStr | None = None
    labels: StringMap = {}                    # copied onto the cluster's Argo CD Applications
    ring: Int32 = Field(0, ge=0)              # rollout order inside the environment: ring 0 first


class Toleration(Spec):
    key: StrictStr | None = None
    operator: Literal["Exists", "Equal"] = "Exists"
    value: StrictStr | None = None
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = None


class NetworkProfile(Spec):
    """Pod settings for a network fabric (InfiniBand / RDMA) that only the platform may declare and a
    workload selects by name (`network:` on a Job or one of its roles), checked against the
    environment's policy (allowHostNetwork, allowPrivileged, allowedCapabilities)."""

    hostNetwork: StrictBool = False            # also dnsPolicy ClusterFirstWithHostNet
    hostIPC: StrictBool = False
    privileged: StrictBool = False
    capabilities: list[StrictStr] = []         # added to the main container (IPC_LOCK to pin memory)
    hostDevices: list[StrictStr] = []          # hostPath volumes mounted at the same path (/dev/infiniband)
    resources: dict[StrictStr, Int64] = {}     # extended resources per pod (rdma/hca_shared_devices_a: 1)
    env: StringMap = {}                        # NCCL_IB_HCA, NCCL_IB_GID_INDEX, ...
    annotations: StringMap = {}                # k8s.v1.cni.cncf.io/networks (Multus)


class GpuPool(Spec):
    """How a `gpuType` becomes pod scheduling in one environment, and what the pool holds.

    `capacity` is the number of GPUs in the pool: one number for the environment's cluster
    (every cluster, when it lists several), or a map cluster name → GPUs. `price` is per
    GPU-hour, in whatever currency the platform budgets in (docs/capacity.md).
    """

    resourceName: StrictStr = "nvidia.com/gpu"
    nodeSelector: StringMap = {}
    tolerations: list[Toleration] = []
    capacity: NonNegative | dict[StrictStr, NonNegative] | None = None
    gpusPerNode: Int32 | None = Field(None, ge=1)
    price: float | None = Field(None, ge=0)

    def capacity_by_cluster(self, clusters: list[str]) -> dict[str, int]:
        """GPUs in each of `clusters` (an environment's; "" when it names none); {} when undeclared.
        A map may name other environments' clusters too (a group's map): those are left out."""
        if self.capacity is None:
            return {}
        if isinstance(self.capacity, dict):
            return {name: self.capacity[name] for name in clusters if name in self.capacity}
        return {name: self.capacity for name in clusters or [""]}


class CapacityPolicy(Spec):
    """How the capacity checks report (docs/capacity.md#checks)."""

    # The project quotas of a pool may add up to capacity × this (1.0: no overcommitment).
    oversubscription: float = Field(1.0, gt=0)
    # Quotas adding up to more than that.
    onExceed: Literal["error", "warn"] = "warn"
    # What can never start: a pod larger than a node, a gang larger than its queue's quota,
    # GPUs asked for in a pool the environment does not have.
    onUnschedulable: Literal["error", "warn"] = "error"


class Policy(Spec):
    requirePinnedImages: StrictBool = False
    requirePinnedModels: StrictBool = False
    requireResourceLimits: StrictBool = False
    maxGpuPerWorkload: Int64 | None = Field(None, ge=0)
    allowedGpuTypes: list[StrictStr] | None = None
    forbidHostPath: StrictBool = False
    capacity: CapacityPolicy = preset(CapacityPolicy)
    forbidPlainSecrets: StrictBool = False   # env vars named like secrets need a secretRef (compiler/secrets.py)
    # JSON-pointer globs no `patches:` entry may change ("*/securityContext/privileged", "*/hostNetwork").
    forbidPatchPaths: list[StrictStr] = []
    # What a network profile may use here (a profile's workloads are refused otherwise).
    allowHostNetwork: StrictBool = False
    allowPrivileged: StrictBool = False
    allowedCapabilities: list[StrictStr] = []


class Runs(Spec):
    """How `strata run` may start runs here."""

    allowDirty: StrictBool = False    # start runs from uncommitted changes (a dev cluster), without --allow-dirty


class ArgoServer(Spec):
    """The Argo Server that `strata run` submits pipelines through (else it creates Workflow objects itself)."""

    url: StrictStr                    # https://argo.example.com (the API is under /api/v1)


class Promotion(Spec):
    from_: Name = Field(alias="from")


class Delivery(Spec):
    """How the environment's rendered output reaches its clusters (docs/delivery.md).

    `ci`: CI runs `strata apply`. `argocd` / `flux`: `strata publish` commits the output to
    `branch` of `repoURL` and the engine pulls it; compile emits the engine's objects
    (out/_delivery/<engine>/<env>/). Unset switches take their defaults from `production`:
    automated sync with prune outside production, no automatic prune in production.
    """

    engine: Literal["ci", "argocd", "flux"] = "ci"
    repoURL: StrictStr | None = None          # the repository of rendered branches the engine reads
    branch: StrictStr | None = None           # default env/<environment>
    automated: StrictBool | None = None       # Argo CD automated sync (default on)
    prune: StrictBool | None = None           # default: on, off when `production`
    selfHeal: StrictBool | None = None        # Argo CD self-heal (default on)
    fleet: Literal["applications", "applicationset"] = "applications"
    production: StrictBool = False            # no automatic prune, no cascading delete
    namespace: StrictStr | None = None        # where the engine's objects live (argocd / flux-system)
    secretRef: StrictStr | None = None        # Flux: the Secret with the repository's credentials
class LimitDefaults(Spec):
    """`limits:` the LimitRange of every namespace whose quota limits cpu or memory: what a
    container that states no requests (a sidecar, a controller's helper pod) is given.
    `default` (limits) is optional: a default limit below a third-party pod's own request
    would make that pod invalid."""

    defaultRequest: Amounts = preset(Amounts, cpu="100m", memory="128Mi")
    default: Amounts | None = None


class Storage(Spec):
    """`storage.<scheme>`: how model pulls (the chart's puller, KServe's storage initializer)
    reach an object store over its S3 API. Credentials are referenced, never written here:
    a Secret holding AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, or a ServiceAccount bound to a
    cloud identity (workload identity)."""

    endpoint: StrictStr | None = Field(None, pattern=r"^[^:/\s]+(:[0-9]+)?$")   # host[:port], no scheme
    region: StrictStr | None = None
    useHttps: StrictBool = True
    secret: Name | None = None
    serviceAccount: Name | None = None

    @model_validator(mode="after")
    def _one_identity(self) -> Storage:
        if self.secret is not None and self.serviceAccount is not None:
            raise ValueError("storage credentials are a `secret` or a `serviceAccount` (workload identity), "
                             "not both")
        return self


class GatewayRef(Spec):
    """`gateway:` the Gateway API Gateway chart Services attach their HTTPRoute to (canary
    weights need it). A Service's hostname is `<service>.<namespace>.<domain>`."""

    name: Name
    namespace: Name
    domain: StrictStr = Field(pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
    sectionName: Name | None = None


Prerequisites = dict[Literal["Secret", "PersistentVolumeClaim", "ServiceAccount", "ClusterWorkflowTemplate",
                             "Gateway"], list[StrictStr]]


class EnvironmentSettings(Spec):
    """Settings shared by EnvironmentGroup and Environment (merged group → env)."""

    cluster: Cluster | None = None            # one cluster: shorthand for a one-item `clusters`
    clusters: list[Cluster] = merge_key("name", default=[])
    delivery: Delivery = preset(Delivery)
    namespaceSuffix: StrictStr = ""
    vars: StringMap = {}
    scheduler: Literal["volcano", "kueue", "default"] = "default"
    gpuPools: dict[StrictStr, GpuPool] = {}
    networkProfiles: dict[StrictStr, NetworkProfile] = {}
    defaults: dict[StrictStr, dict[str, Any]] = {}
    appTypes: dict[StrictStr, dict[str, Any]] = {}
    locked: list[StrictStr] = []
    policy: Policy = preset(Policy)
    promotion: Promotion | None = None
    presets: list[StrictStr] = []
    runs: Runs = preset(Runs)
    argoServer: ArgoServer | None = None
    priorityClasses: dict[StrictStr, Int32] = {}
    storage: dict[Literal["oss", "s3"], Storage] = {}
    limits: LimitDefaults = preset(LimitDefaults)
    workflowServiceAccount: Name = "pipeline-runner"
    gateway: GatewayRef | None = None
    # Objects the output names but strata does not emit, which the platform provides here
    # (`strata validate` warns about the others): Secret names, claim names, `<ns>/<name>` Gateways.
    prerequisites: Prerequisites = {}

    @field_validator("priorityClasses")
    @classmethod
    def _priority_classes(cls, classes: dict[str, int]) -> dict[str, int]:
        """Names become PriorityClass and WorkloadPriorityClass names and a label value."""
        for name, value in classes.items():
            if len(name) > 63 or not re.match(DNS1123_LABEL, name):
                raise PydanticCustomError("priority_name", "a priority class name must be a DNS-1123 label "
                                          "(lower-case letters, digits and '-', at most 63 characters)",
                                          {"key": name})
            if name.startswith("system-"):
                raise PydanticCustomError("priority_name", "priority class names starting with `system-` are "
                                          "reserved for Kubernetes", {"key": name})
            if value > MAX_PRIORITY:
                raise PydanticCustomError("priority_value", "{value} is above 1000000000, the highest value a "
                                          "user PriorityClass may take", {"key": name, "value": value})
        return classes

    def cluster_names(self) -> list[str]:
        """The names of the clusters this environment deploys to (`cluster:` and `clusters:`)."""
        return [cluster.name for cluster in self.all_clusters()]

    def all_clusters(self) -> tuple[Cluster, ...]:
        """Every cluster of the environment: `cluster:` (the shorthand) and `clusters:`."""
        return ((self.cluster,) if self.cluster is not None else ()) + tuple(self.clusters)


class EnvironmentGroupDoc(EnvironmentSettings):
    kind: Literal["EnvironmentGroup"]
    name: Name


class EnvironmentDoc(EnvironmentSettings):
    kind: Literal["Environment"]
    name: Name
    group: Name
