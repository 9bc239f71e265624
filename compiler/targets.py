"""What the later stages work on: environments, projects and targets, fully merged."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from compiler.kinds import kind_of
from compiler.provenance import Origin, Value, lookup
from schemas.base import Amounts
from schemas.environment import EnvironmentSettings, LimitDefaults
from schemas.project import ProjectDoc, Quota

DEFAULT_GPU_RESOURCE = "nvidia.com/gpu"

Key = tuple[str, str, str]   # (environment, project, "<kind>.<name>"): a target, as an Emitted names it


def target_key(target: Any) -> Key:
    """The key of a target (or of a stand-in with the same attributes)."""
    return (target.env.name, target.project.name, kind_of(target.kind).resource(target.name))


@dataclass(frozen=True)
class Env:
    """One environment with its group's settings merged beneath its own."""

    name: str
    group: str
    settings: EnvironmentSettings
    origin: Origin                    # where the Environment document starts
    files: tuple[str, ...] = ()       # the group file and the environment file
    # where each `${env.*}` / `${group.vars.*}` reference's value is written (explain, plan)
    ref_origins: dict[str, Origin] = field(default_factory=dict, compare=False, hash=False)
    tree: Value | None = field(default=None, compare=False, hash=False)   # the merged settings, with provenance

    def locate(self, *path: str, key: bool = False) -> Origin:
        """Where the setting at `path` is written (deepest known: group or environment file), else the
        document; `key`: where its key is (a map entry named wrongly)."""
        found = lookup(self.tree, tuple(path)) if self.tree is not None else None
        if found is None:
            return self.origin
        return (found.key_origin or found.origin) if key else found.origin

    @property
    def cluster(self) -> str:
        """The name of the environment's first cluster (`${env.cluster}`), "" when it declares none."""
        clusters = self.settings.all_clusters()
        return clusters[0].name if clusters else ""

    def gpu_resource(self, gpu_type: str | None) -> str:
        """The extended resource a gpuType is requested as here (its pool's, else nvidia.com/gpu)."""
        pool = self.settings.gpuPools.get(gpu_type or "")
        return pool.resourceName if pool else DEFAULT_GPU_RESOURCE


@dataclass(frozen=True)
class Project:
    """A project as seen from one environment."""

    name: str
    doc: ProjectDoc
    env: Env
    quota: Quota
    origin: Origin
    file: str
    quota_tree: Value | None = None   # the merged quota with provenance (where each limit is set)
    ref_origins: dict[str, Origin] = field(default_factory=dict, compare=False, hash=False)  # `${project.*}`

    def ref_origin(self, key: str) -> Origin | None:
        """Where the value of the reference `${key}` is written (project or environment), if known."""
        return self.ref_origins.get(key) or self.env.ref_origins.get(key)

    def locate_quota(self, *path: str) -> Origin:
        """Where the quota entry at `path` is set (deepest known), else the project document."""
        found = lookup(self.quota_tree, tuple(path)) if self.quota_tree is not None else None
        return found.origin if found is not None else self.origin

    @property
    def namespace(self) -> str:
        return (self.doc.namespace or self.name) + self.env.settings.namespaceSuffix

    @property
    def limits(self) -> LimitDefaults:
        """The LimitRange defaults here: the environment's `limits`, the project's merged over them."""
        base, own = self.env.settings.limits, self.doc.limits
        return LimitDefaults(defaultRequest=_over(base.defaultRequest, own.defaultRequest),
                             default=_over(base.default, own.default) if (base.default or own.default) else None)

    @property
    def workflow_service_account(self) -> str:
        """The ServiceAccount the project's workflows run as unless a Pipeline names its own."""
        return self.doc.workflowServiceAccount or self.env.settings.workflowServiceAccount


def _over(base: Amounts | None, own: Amounts | None) -> Amounts:
    """`own`'s amounts where set, else `base`'s."""
    base, own = base or Amounts(), own or Amounts()
    return Amounts(cpu=own.cpu if own.cpu is not None else base.cpu,
                   memory=own.memory if own.memory is not None else base.memory)


@dataclass(frozen=True)
class Target:
    """One resource deployed to one environment: its effective spec and where each value came from.

    Frozen and picklable: later stages read it (from other threads, later other
    processes) and keep what they derive in their own values (graph, `Rendered`).
    """

    kind: str                         # "Job", "Service", ...
    name: str
    project: Project
    spec: Any                         # the validated pydantic model of the kind's spec
    tree: Value | None = None      # the merged spec with provenance
    raw_tree: Value | None = None  # the same before interpolation (`${...}` kept): what promote copies (a compile drops it)
    origin: Origin | None = None   # the resource document
    files: tuple[str, ...] = ()       # the input files its layers came from (references: see the graph)
    app_type: str | None = None
    chain: tuple[str, ...] = ()       # the layers merged, lowest first

    @property
    def env(self) -> Env:
        return self.project.env

    @property
    def values(self) -> dict[str, Any]:
        """The effective spec as plain data (interpolated), made from `spec` on each call: 8 µs,
        where a copy kept per target was a seventh of a loaded compile's memory."""
        return self.spec.model_dump(mode="json", by_alias=True, exclude_none=True)

    @property
    def identity(self) -> str:
        return f"{self.project.name}/{self.kind}/{self.name}"

    @property
    def folder(self) -> str:
        """Output folder relative to out/ (compiler/kinds.py names it: <env>/<project>/<kind>-<name>)."""
        return kind_of(self.kind).folder(self.env.name, self.project.name, self.name)

    @property
    def resource(self) -> str:
        """The `strata.dev/resource` label: <kind>.<name>."""
        return kind_of(self.kind).resource(self.name)

    def locate(self, *path: Any) -> Origin | None:
        """The origin of the value at `path` inside spec (deepest known), else the document."""
        found = lookup(self.tree, tuple(path)) if self.tree is not None else None
        return found.origin if found is not None else self.origin


@dataclass(frozen=True)
class Emitted:
    """One Kubernetes object and where it goes."""

    env: str
    project: str             # the project, or `_platform` for the environment's shared objects
    resource: str            # "<kind>.<name>", "project.<name>" or "platform"
    folder: str              # output folder relative to out/
    obj: dict[str, Any]
    target: Target | None = None
    project_ref: Project | None = None   # set for project objects (target is None)
    env_ref: Env | None = None           # set for platform objects

    @property
    def owner(self) -> Target | Project | Env | None:
        if self.target is not None:
            return self.target
        return self.project_ref if self.project_ref is not None else self.env_ref
