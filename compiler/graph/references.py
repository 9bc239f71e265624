"""Cross-references between targets of one environment: datasets and GPU pools.

Models (Service → Model version) and jobs (Pipeline step → Job) are resolved
by their renderers, which report unknown names the same way.
"""
from __future__ import annotations

from collections.abc import Iterator

from compiler.errors import Problems
from compiler.kinds import kind_of
from compiler.suggest import closest, did_you_mean
from compiler.targets import Target
from schemas.common import DatasetMount, Resources


def check_references(targets: list[Target], problems: Problems) -> None:
    index = {(t.env.name, t.project.name, t.kind, t.name) for t in targets}
    for target in targets:
        for container in target.spec.containers():
            _check_gpu(target, container.path + ("resources",), container.resources, problems)
        for path, mount in _mounts(target):
            if (target.env.name, target.project.name, "Dataset", mount.name) not in index:
                datasets = {n for env, p, kind, n in index
                            if (env, p, kind) == (target.env.name, target.project.name, "Dataset")}
                problems.add(f"dataset {mount.name!r} is not defined in project {target.project.name} here"
                             + did_you_mean(mount.name, datasets, known="its datasets"),
                             target.locate(*path, "name"), target.chain, target=target.identity, env=target.env.name)


def _mounts(target: Target) -> Iterator[tuple[tuple, DatasetMount]]:
    spec = target.spec
    if kind_of(target.kind).workload:
        for i, mount in enumerate(spec.datasets):
            yield ("datasets", i), mount
    if target.kind == "Pipeline":
        for i, step in enumerate(spec.steps):
            for j, mount in enumerate(step.container.datasets if step.container else []):
                yield ("steps", i, "container", "datasets", j), mount


def _check_gpu(target: Target, path: tuple, resources: Resources, problems: Problems) -> None:
    pools = target.env.settings.gpuPools
    if resources.gpu and not resources.gpuType:
        problems.add(f"resources.gpu is {resources.gpu} but no gpuType is set "
                     f"(this environment's pools: {', '.join(sorted(pools)) or 'none'})",
                     target.locate(*path, "gpu"), target.chain,
                     target=target.identity, env=target.env.name)
    elif resources.gpuType and resources.gpuType not in pools:
        guess = closest(resources.gpuType, pools)
        problems.add(f"gpuType {resources.gpuType!r} is not in this environment's "
                     f"gpuPools ({', '.join(sorted(pools)) or 'none'})"
                     + (f"; did you mean {guess!r}?" if guess else ""),
                     target.locate(*path, "gpuType"), target.chain,
                     target=target.identity, env=target.env.name)
