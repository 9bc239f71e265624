"""EnvironmentGroup and Environment: the same settings; an Environment's override its group's."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StrictBool, StrictStr

from schemas.base import Int32, Int64, Name, Spec, StringMap, merge_key

NonNegative = Annotated[Int64, Field(ge=0)]


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
    capacity: CapacityPolicy = CapacityPolicy()
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


class EnvironmentSettings(Spec):
    """Settings shared by EnvironmentGroup and Environment (merged group → env)."""

    cluster: Cluster | None = None            # one cluster: shorthand for a one-item `clusters`
    clusters: list[Cluster] = merge_key("name", default=[])
    delivery: Delivery = Delivery()
    namespaceSuffix: StrictStr = ""
    vars: StringMap = {}
    scheduler: Literal["volcano", "kueue", "default"] = "default"
    gpuPools: dict[StrictStr, GpuPool] = {}
    networkProfiles: dict[StrictStr, NetworkProfile] = {}
    defaults: dict[StrictStr, dict[str, Any]] = {}
    appTypes: dict[StrictStr, dict[str, Any]] = {}
    locked: list[StrictStr] = []
    policy: Policy = Policy()
    promotion: Promotion | None = None
    presets: list[StrictStr] = []
    runs: Runs = Runs()
    argoServer: ArgoServer | None = None

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
