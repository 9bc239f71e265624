"""Input files a target depends on beyond its own layers.

A Job mounting a dataset depends on the Dataset's files; a Service on its
Model's files and its chart's files; a Pipeline on the Jobs its steps create.
`manifest.json` records them, and `plan` uses them to know which targets a
changed file can affect.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from compiler.load.discover import BUILTIN_CHARTS_DIR
from compiler.targets import Target


def add_dependencies(targets: list[Target], root: Path, chart_dirs: tuple[Path, ...]) -> None:
    index = {(t.env.name, t.project.name, t.kind, t.name): t for t in targets}
    own = {id(t): t.files for t in targets}
    for target in targets:
        files = set(own[id(target)])
        for kind, name in _references(target):
            other = index.get((target.env.name, target.project.name, kind, name))
            if other is not None:
                files.update(own[id(other)])
                if kind == "Job":
                    files.update(f for k, n in _references(other) for f in _files_of(index, target, k, n, own))
        if target.kind == "Service":
            files.update(_chart_files(root, chart_dirs, target.spec.chart.name))
        target.files = tuple(sorted(files))


def _files_of(index, target: Target, kind: str, name: str, own) -> tuple[str, ...]:
    other = index.get((target.env.name, target.project.name, kind, name))
    return own[id(other)] if other is not None else ()


def _references(target: Target) -> Iterator[tuple[str, str]]:
    spec = target.spec
    for mount in getattr(spec, "datasets", None) or []:
        yield "Dataset", mount.name
    if target.kind == "Service":
        yield "Model", spec.model.name
        if spec.canary is not None and spec.canary.model is not None:
            yield "Model", spec.canary.model.name or spec.model.name
    if target.kind == "Pipeline":
        for step in spec.steps:
            if step.job:
                yield "Job", step.job
            for mount in step.container.datasets if step.container else []:
                yield "Dataset", mount.name


def _chart_files(root: Path, chart_dirs: tuple[Path, ...], name: str) -> list[str]:
    """The repo files of the chart a Service uses; none for a chart that ships with strata (its
    files are part of strata's own fingerprint, like its code)."""
    for folder in chart_dirs:
        chart = folder / name
        if (chart / "Chart.yaml").is_file():
            if folder == BUILTIN_CHARTS_DIR:
                return []
            return sorted(p.relative_to(root).as_posix() for p in chart.rglob("*") if p.is_file())
    return []
