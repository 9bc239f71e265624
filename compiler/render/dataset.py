"""Dataset → Fluid Dataset + the cache engine's Runtime (+ DataLoad), or plain NFS / PVC access.

With a cache engine, Fluid binds the Dataset and the Runtime of the same name and
provides a claim named after the dataset, which consumers mount (pod.py). Credentials
are `encryptOptions` that reference keys of the Secret named by `secretRef`; the keys
carry the option names the engine reads (Fluid's convention, e.g. `fs.oss.accessKeyId`),
so no secret value ever passes through strata.

Every cache component (master, worker, fuse; Alluxio's job master and job worker) and the
DataLoad get explicit resources from `cache.resources`: the project's quota refuses pods
without requests, and Fluid gives its pods nothing the runtime spec does not say. An
Alluxio worker's memory is `cache.resources.worker.memory` plus its MEM tiers' quota (Fluid
fails a runtime whose worker memory limit is below the memory tier).

`engine: none`: `nfs://<server>/<path>` → a static PV + a PVC named after the dataset;
`pvc://<claim>/<subpath>` → no object (consumers mount `<claim>` with `subPath`);
object-store schemes need a cache engine.
"""
from __future__ import annotations

from typing import Any

from compiler.check.quota import format_quantity, parse_quantity
from compiler.render import RenderContext
from compiler.render.common import k8s_object, metadata
from compiler.targets import Target
from schemas.base import Amounts
from schemas.dataset import DatasetSpec, Source, Tier

FLUID = "data.fluid.io/v1alpha1"
RUNTIME_KINDS = {"alluxio": "AlluxioRuntime", "jindo": "JindoRuntime", "juicefs": "JuiceFSRuntime"}
ENGINE_SCHEMES = {
    "alluxio": ("oss", "s3", "hdfs", "https", "pvc"),
    "jindo": ("oss", "s3", "hdfs", "pvc"),
    "juicefs": ("oss", "s3", "hdfs"),
}
# Option names of the credentials each engine reads, per source scheme.
CREDENTIALS: dict[tuple[str, str], tuple[str, ...]] = {
    ("alluxio", "oss"): ("fs.oss.accessKeyId", "fs.oss.accessKeySecret"),
    ("alluxio", "s3"): ("aws.accessKeyId", "aws.secretKey"),
    ("jindo", "oss"): ("fs.oss.accessKeyId", "fs.oss.accessKeySecret"),
    ("jindo", "s3"): ("fs.s3.accessKeyId", "fs.s3.accessKeySecret"),
}
JUICEFS_CREDENTIALS = ("metaurl", "access-key", "secret-key")
# The runtime spec's components with a `resources` field, per engine (Fluid CRDs).
COMPONENTS = {
    "alluxio": ("master", "jobMaster", "worker", "jobWorker", "fuse"),
    "jindo": ("master", "worker", "fuse"),
    "juicefs": ("master", "worker", "fuse"),
}
DEFAULT_TIER_PATHS = {"MEM": "/dev/shm"}
# NFS does not enforce capacity; the PV and PVC need one that matches to bind.
NFS_NOMINAL_SIZE = "1Gi"


class DatasetRenderer:
    def render(self, target: Target, ctx: RenderContext) -> list[dict[str, Any]]:
        spec: DatasetSpec = target.spec
        if spec.cache.engine == "none":
            return uncached_objects(target, ctx)
        check_cached(target, ctx)
        objects = [fluid_dataset(target), runtime(target, ctx)]
        if spec.cache.warmup:
            objects.append(data_load(target))
        return objects


# --- cached: Fluid ----------------------------------------------------------------------------

def fluid_claim(obj: dict[str, Any]) -> str | None:
    """The claim Fluid creates for an emitted object: a Fluid Dataset's own name (consumers mount
    it, so it is not a prerequisite); None for any other object."""
    if obj.get("kind") == "Dataset" and str(obj.get("apiVersion", "")).startswith("data.fluid.io/"):
        return (obj.get("metadata") or {}).get("name")
    return None


def fluid_dataset(target: Target) -> dict[str, Any]:
    spec: DatasetSpec = target.spec
    mounts = [fluid_mount(source, spec.cache.engine) for source in spec.sources]
    return k8s_object(FLUID, "Dataset", metadata(target), spec={"mounts": mounts})


def fluid_mount(source: Source, engine: str) -> dict[str, Any]:
    mount: dict[str, Any] = {"name": source.name, "mountPoint": mount_point(source, engine)}
    options = dict(source.options)
    if engine == "juicefs":
        options.setdefault("storage", source.scheme)
    if options:
        mount["options"] = dict(sorted(options.items()))
    if source.secretRef:
        mount["encryptOptions"] = [secret_option(key, source.secretRef)
                                   for key in credential_keys(engine, source.scheme)]
    return mount


def mount_point(source: Source, engine: str) -> str:
    """The URI as written; JuiceFS mounts a path of its own file system (`juicefs:///<path>`)."""
    if engine != "juicefs":
        return source.uri
    _, _, path = source.uri.split("://", 1)[1].partition("/")
    return f"juicefs:///{path}"


def credential_keys(engine: str, scheme: str) -> tuple[str, ...]:
    if engine == "juicefs":
        return JUICEFS_CREDENTIALS
    return CREDENTIALS.get((engine, scheme), ())


def secret_option(key: str, secret: str) -> dict[str, Any]:
    return {"name": key, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def runtime(target: Target, ctx: RenderContext) -> dict[str, Any]:
    """Same name as the Dataset: that is how Fluid binds the two."""
    cache = target.spec.cache
    spec: dict[str, Any] = {"replicas": cache.replicas}
    if cache.tiers:
        spec["tieredstore"] = {"levels": [tier_level(target, ctx, i, t) for i, t in enumerate(cache.tiers)]}
    for component in COMPONENTS[cache.engine]:
        amounts: Amounts = getattr(cache.resources, component)
        if component == "worker" and cache.engine == "alluxio":
            amounts = with_memory_tiers(amounts, cache.tiers)
        resources = pod_resources(amounts)
        if resources:
            spec[component] = {"resources": resources}
    return k8s_object(FLUID, RUNTIME_KINDS[cache.engine], metadata(target), spec=spec)


def pod_resources(amounts: Amounts) -> dict[str, Any]:
    """cpu and memory as both request and limit (the way strata sizes every container)."""
    found = {name: value for name, value in (("cpu", amounts.cpu), ("memory", amounts.memory)) if value is not None}
    return {"requests": dict(found), "limits": dict(found)} if found else {}


def with_memory_tiers(amounts: Amounts, tiers: list[Tier]) -> Amounts:
    """An Alluxio worker holds its MEM tiers in its own memory: add their quota to it."""
    in_memory = sum((parse_quantity(t.quota) for t in tiers if t.medium == "MEM"), parse_quantity(0))
    if not in_memory or amounts.memory is None:
        return amounts
    return Amounts(cpu=amounts.cpu, memory=format_quantity(parse_quantity(amounts.memory) + in_memory, binary=True))


def tier_level(target: Target, ctx: RenderContext, index: int, tier: Tier) -> dict[str, Any]:
    path = tier.path or DEFAULT_TIER_PATHS.get(tier.medium)
    if path is None:
        ctx.error(target, ("cache", "tiers", index),
                  f"cache tier {tier.medium} needs a `path` (the node directory that holds the cache)")
        path = ""
    level = {"mediumtype": tier.medium, "path": path, "quota": tier.quota}
    return {**level, **{k: v for k, v in (("high", tier.high), ("low", tier.low)) if v is not None}}


def data_load(target: Target) -> dict[str, Any]:
    """`warmup`: load the whole dataset into the cache once, after the runtime is ready."""
    spec: dict[str, Any] = {"dataset": {"name": target.name, "namespace": target.project.namespace},
                            "loadMetadata": True}
    resources = pod_resources(target.spec.cache.resources.load)
    if resources:
        spec["resources"] = resources
    return k8s_object(FLUID, "DataLoad", metadata(target, f"{target.name}-warmup"), spec=spec)


def check_cached(target: Target, ctx: RenderContext) -> None:
    engine = target.spec.cache.engine
    for index, source in enumerate(target.spec.sources):
        where = ("sources", index)
        if source.scheme not in ENGINE_SCHEMES[engine]:
            ctx.error(target, where + ("uri",),
                      f"source {source.name!r}: {source.scheme}:// is not supported by cache engine {engine} "
                      f"(supported: {', '.join(s + '://' for s in ENGINE_SCHEMES[engine])})")
        elif source.secretRef and not credential_keys(engine, source.scheme):
            ctx.error(target, where + ("secretRef",),
                      f"source {source.name!r}: cache engine {engine} takes no credentials for "
                      f"{source.scheme}:// sources")
        elif engine == "juicefs":
            check_juicefs(target, ctx, index, source)


def check_juicefs(target: Target, ctx: RenderContext, index: int, source: Source) -> None:
    """JuiceFS needs its metadata engine URL (a secret) and the object store's endpoint URL."""
    if not source.secretRef:
        ctx.error(target, ("sources", index),
                  f"source {source.name!r}: cache engine juicefs needs `secretRef`, a Secret with the keys "
                  f"{', '.join(JUICEFS_CREDENTIALS)}")
    if "bucket" not in source.options:
        ctx.error(target, ("sources", index),
                  f"source {source.name!r}: cache engine juicefs needs `options.bucket`, the object store "
                  f"endpoint URL (e.g. https://<bucket>.s3.<region>.amazonaws.com)")


# --- uncached: NFS or an existing PVC ----------------------------------------------------------

def uncached_objects(target: Target, ctx: RenderContext) -> list[dict[str, Any]]:
    spec: DatasetSpec = target.spec
    if not check_uncached(target, ctx):
        return []
    source = spec.sources[0]
    if spec.placement == "required":
        ctx.warn(target, ("placement",), "placement: required has no effect without a cache engine")
    if spec.cache.warmup:
        ctx.warn(target, ("cache", "warmup"), "cache.warmup has no effect without a cache engine")
    if source.scheme == "pvc":
        return []  # consumers mount the existing claim with subPath (pod.dataset_claim)
    return [nfs_volume(target, source), nfs_claim(target)]


def check_uncached(target: Target, ctx: RenderContext) -> bool:
    ok = True
    for index, source in enumerate(target.spec.sources):
        if source.scheme not in ("nfs", "pvc"):
            ctx.error(target, ("sources", index, "uri"),
                      f"source {source.name!r}: {source.scheme}:// needs a cache engine "
                      f"(cache.engine alluxio, jindo or juicefs); engine none serves only nfs:// and pvc://")
            ok = False
        elif not source.uri.split("://", 1)[1].split("/", 1)[0]:
            ctx.error(target, ("sources", index, "uri"), f"source {source.name!r}: {source.uri!r} names no "
                      f"{'server' if source.scheme == 'nfs' else 'claim'}")
            ok = False
    if len(target.spec.sources) > 1:
        ctx.error(target, ("sources", 1), "without a cache engine a dataset has exactly one source "
                                          "(consumers mount it as one claim)")
        ok = False
    return ok


def nfs_volume(target: Target, source: Source) -> dict[str, Any]:
    """Cluster-scoped, so named after namespace and dataset; pre-bound to the dataset's claim."""
    server, _, path = source.uri[len("nfs://"):].partition("/")
    namespace = target.project.namespace
    spec: dict[str, Any] = {
        "capacity": {"storage": NFS_NOMINAL_SIZE},
        "accessModes": ["ReadWriteMany"],
        "persistentVolumeReclaimPolicy": "Retain",
        "storageClassName": "",
        "claimRef": {"namespace": namespace, "name": target.name},
    }
    if source.options:
        spec["mountOptions"] = [f"{k}={v}" if v else k for k, v in sorted(source.options.items())]
    spec["nfs"] = {"server": server, "path": "/" + path.strip("/")}
    return k8s_object("v1", "PersistentVolume", metadata(target, pv_name(target), namespaced=False), spec=spec)


def nfs_claim(target: Target) -> dict[str, Any]:
    spec = {
        "accessModes": ["ReadWriteMany"],
        "storageClassName": "",
        "volumeName": pv_name(target),
        "resources": {"requests": {"storage": NFS_NOMINAL_SIZE}},
    }
    return k8s_object("v1", "PersistentVolumeClaim", metadata(target), spec=spec)


def pv_name(target: Target) -> str:
    return f"{target.project.namespace}-{target.name}"
