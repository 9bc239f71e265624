"""Which shard owns what: a deterministic, cost-balanced split of the target graph's nodes.

The unit is a *cell*, one (environment, project) pair: its targets reference only each other
(references never leave a project and environment), its project objects and quota check read
exactly them, so a cell renders alone. Each environment's `_platform` target is a unit of its
own. Cells are listed from the loaded documents before the merge — which resources a project
deploys to which environments, as `build_targets` expands them — so a shard merges and
validates only its own targets.

Cost is an estimate per target by kind (a chart Service runs Helm: several times a Job's
merge, render and write), summed per cell; units go, dearest first (ties by folder), to the
shard with the least cost so far (ties to the lowest index): greedy longest-processing-time,
the same split for the same inputs on every machine.
"""
from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from compiler.kinds import PLATFORM, platform_folder
from compiler.load.documents import Doc, Documents
from compiler.merge.world import World

TARGET_COST = 1.0                     # merge, validate, render and write one target
KIND_COST = {"Model": 0.5,            # merged and validated, never rendered
             "Pipeline": 2.0}         # embeds its Jobs' objects
CHART_SERVICE_COST = 7.0              # Helm renders the chart (measured: ~6x a Job at 3,600 targets)
CELL_COST = 0.5                       # the project's objects and quota check
PLATFORM_COST = 0.5                   # the environment's shared objects


@dataclass(frozen=True)
class Unit:
    folder: str                       # `<env>/<project>` (a cell) or `<env>/_platform`
    cost: float


@dataclass(frozen=True)
class Assignment:
    count: int
    shard_of: Mapping[str, int]       # unit folder → shard index (from 1)
    loads: tuple[float, ...]          # estimated cost per shard

    def folders(self, index: int) -> tuple[str, ...]:
        return tuple(sorted(f for f, shard in self.shard_of.items() if shard == index))

    def cells(self, index: int) -> frozenset[tuple[str, str]]:
        """The (environment, project) pairs shard `index` builds and renders."""
        return frozenset(_pair(f) for f in self.folders(index) if _pair(f)[1] != PLATFORM)

    def platforms(self, index: int) -> frozenset[str]:
        """The environments whose `_platform` target (and delivery record) shard `index` owns."""
        return frozenset(_pair(f)[0] for f in self.folders(index) if _pair(f)[1] == PLATFORM)


def _pair(folder: str) -> tuple[str, str]:
    env, name = folder.split("/", 1)
    return env, name


def assign(units: Iterable[Unit], count: int) -> Assignment:
    """Longest processing time first over a stable order."""
    shards = [(0.0, index) for index in range(1, count + 1)]
    loads = dict.fromkeys(range(1, count + 1), 0.0)
    shard_of: dict[str, int] = {}
    for unit in sorted(units, key=lambda u: (-u.cost, u.folder)):
        load, index = heapq.heappop(shards)
        shard_of[unit.folder] = index
        loads[index] = load + unit.cost
        heapq.heappush(shards, (loads[index], index))
    return Assignment(count, shard_of, tuple(loads[i] for i in range(1, count + 1)))


def units_of(world: World, docs: Documents) -> list[Unit]:
    """Every cell with its estimated cost, and every environment's platform target."""
    costs: dict[str, float] = {}
    for name in sorted(world.projects):
        _doc, model = world.projects[name]
        project_envs = [env for env in world.expand(model.environments) if env in world.envs]
        for env in project_envs:
            costs[f"{env}/{name}"] = CELL_COST
        for doc in docs.resources.get(world.project_dirs[name], []):
            cost = target_cost(world, doc)
            for env in _deployed_to(world, project_envs, doc):
                costs[f"{env}/{name}"] += cost
    units = [Unit(folder, cost) for folder, cost in sorted(costs.items())]
    return units + [Unit(platform_folder(env), PLATFORM_COST) for env in sorted(world.envs)]


def target_cost(world: World, doc: Doc) -> float:
    """The estimate for one target of this resource: by kind, and for a Service by its runtime as
    the resource or its app type writes it (a chart unless `runtime: kserve`)."""
    if doc.kind == "Service":
        return TARGET_COST if _runtime(world, doc) == "kserve" else CHART_SERVICE_COST
    return KIND_COST.get(str(doc.kind), TARGET_COST)


def _runtime(world: World, doc: Doc) -> object:
    found = _spec_field(doc, "runtime")
    app_type = world.app_types.get(str(_plain(doc.get("appType"))))
    for layer in reversed(app_type.chain if app_type is not None and found is None else []):
        found = _spec_field(layer, "runtime")
        if found is not None:
            break
    return found


def _spec_field(doc: Doc, key: str) -> object:
    spec = doc.get("spec")
    return _plain(spec.data.get(key)) if spec is not None and spec.is_map else None


def _plain(value) -> object:
    return value.data if value is not None else None


def _deployed_to(world: World, project_envs: list[str], doc: Doc) -> list[str]:
    """The project's environments, narrowed by `deployTo:` (its errors are the load's to report)."""
    deploy = doc.get("deployTo")
    if deploy is None or not deploy.is_list:
        return project_envs
    wanted = {env for item in deploy.data for env in world.expand([str(item.data)])}
    return [env for env in project_envs if env in wanted]
