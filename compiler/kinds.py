"""What each resource kind is, declared once.

Per kind: the pydantic model of its `spec:` (schemas/), its renderer
(compiler/render/), whether it is deployed (a Model is not: Services resolve it,
it has no output folder), whether the quota counts it as a workload, its output
folder and `strata.dev/resource` label. The order objects are applied in is per
Kubernetes kind, in one place: compiler/order.py (`strata apply`, Argo CD sync waves).
The references a kind makes are declared on its
schema's fields (`ref("Dataset")`) and read from there.

Adding a kind (e.g. RayJob) touches this file, one schema module and one
renderer module; nothing else names kinds.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from pydantic import BaseModel

from compiler.merge.field_rules import reference_fields
from compiler.order import NAMESPACES, PREREQUISITES
from schemas.dataset import DatasetSpec
from schemas.job import JobSpec
from schemas.model import ModelSpec
from schemas.notebook import NotebookSpec
from schemas.pipeline import PipelineSpec
from schemas.service import ServiceSpec

if TYPE_CHECKING:
    from compiler.render import Renderer

# The Argo CD root's order of Applications: the objects an environment shares between projects,
# then the projects' — the stages of compiler/order.py their first objects belong to.
PLATFORM_RANK = PREREQUISITES
PROJECT_RANK = NAMESPACES

# The environment-wide target: `out/<env>/_platform/manifests.yaml`, apply group `_platform`.
# No project can take the name (project names are DNS labels).
PLATFORM = "_platform"
PLATFORM_RESOURCE = "platform"      # its `strata.dev/resource` label


def platform_folder(env: str) -> str:
    return f"{env}/{PLATFORM}"


@dataclass(frozen=True)
class Kind:
    name: str                       # as written in `kind:`
    spec: type[BaseModel]           # the model of its `spec:`
    renderer: Renderer | None       # None: not deployed (no folder, no objects)
    workload: bool = False          # runs pods the project's quota counts
    unknown: str = "no {Kind} {name!r} in project {project} here"   # a reference to a missing one
    verb: str = "uses"              # "it embeds Job train": what a target referencing one does with it
    feeds: bool = True              # lineage: drawn from it to what references it (a Dataset feeds the Job
                                    # mounting it); False: from the referrer to it (a Pipeline runs its Jobs)

    def unknown_reference(self, name: str, project: str) -> str:
        return self.unknown.format(kind=self.slug, Kind=self.name, name=name, project=project)

    @property
    def deployed(self) -> bool:
        return self.renderer is not None

    @property
    def references(self) -> frozenset[str]:
        """The kinds its spec names (fields declared with `ref("Dataset")` in its schema)."""
        return frozenset(kind for _, kind in reference_fields(self.spec))

    @property
    def slug(self) -> str:
        """Lower case, as in output folders (`job-train`) and the resource label (`job.train`)."""
        return self.name.lower()

    def folder(self, env: str, project: str, name: str) -> str:
        """The target's output folder relative to out/: <env>/<project>/<kind>-<name>."""
        return f"{env}/{project}/{self.slug}-{name}"

    def resource(self, name: str) -> str:
        """The `strata.dev/resource` label value: <kind>.<name>."""
        return f"{self.slug}.{name}"


@cache
def _registry() -> dict[str, Kind]:
    # Renderer modules import compiler.targets, which names folders through this
    # registry: importing them on first use (not with this module) breaks the cycle.
    from compiler.render.dataset import DatasetRenderer
    from compiler.render.job import JobRenderer
    from compiler.render.notebook import NotebookRenderer
    from compiler.render.pipeline import PipelineRenderer
    from compiler.render.service import ServiceRenderer

    kinds = (
        Kind("Dataset", DatasetSpec, DatasetRenderer(), verb="mounts",
             unknown="{kind} {name!r} is not defined in project {project} here"),
        Kind("Job", JobSpec, JobRenderer(), workload=True, verb="embeds", feeds=False),
        Kind("Model", ModelSpec, None, verb="serves",
             unknown="unknown {kind} {name!r}: no {Kind} named so in project {project}"),
        Kind("Service", ServiceSpec, ServiceRenderer(), workload=True),
        Kind("Pipeline", PipelineSpec, PipelineRenderer()),
        Kind("Notebook", NotebookSpec, NotebookRenderer(), workload=True),
    )
    return {kind.name: kind for kind in kinds}


def kinds() -> tuple[Kind, ...]:
    """Every resource kind, in the order documents list them (SPEC §3)."""
    return tuple(_registry().values())


def kind_names() -> tuple[str, ...]:
    return tuple(_registry())


def kind_of(name: str) -> Kind:
    """The registry entry of a kind the loader accepted (KeyError for any other name)."""
    return _registry()[name]
