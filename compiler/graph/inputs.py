"""A target's own input files: the files its layers came from, what their Jsonnet imports read, and
the chart files it renders with.

What it references adds the referenced targets' inputs (compiler/graph/build.py
follows the edges); `manifest.json` records the result, the target's digest covers
them, and `plan` uses them to know which targets a changed file can affect.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from compiler.errors import Problems
from compiler.load.discover import BUILTIN_CHARTS_DIR
from compiler.render.helm import ChartError, chart_files, find_chart
from compiler.targets import Target
from schemas.apptype import ChartRef


@dataclass
class ChartFiles:
    """Every file of a named chart, as read after resolving symlinks (compiler.render.helm.chart_files,
    which refuses one outside the repository); each chart listed once per run."""

    root: Path
    chart_dirs: tuple[Path, ...]
    found: dict[str, tuple[str, ...] | ChartError] = field(default_factory=dict)

    def __call__(self, name: str) -> tuple[str, ...] | ChartError:
        if name not in self.found:
            try:
                self.found[name] = _chart_files(self.root, self.chart_dirs, name)
            except ChartError as err:
                self.found[name] = err
        return self.found[name]


def own_files(target: Target, charts: ChartFiles, reads: Mapping[str, tuple[str, ...]],
              problems: Problems) -> tuple[str, ...]:
    """The target's layer files and what their Jsonnet imports read, plus its chart's files when
    its spec names a chart (a chart file outside the repository is a problem at the chart's name)."""
    files = {*target.files, *(read for f in target.files for read in reads.get(f, ()))}
    chart = getattr(target.spec, "chart", None)
    if isinstance(chart, ChartRef):
        found = charts(chart.name)
        if isinstance(found, ChartError):
            for problem in found.chart_problems:
                problems.add(f"chart {chart.name}: {problem.message}", target.locate("chart", "name"), target.chain,
                             target=target.identity, env=target.env.name)
        else:
            files.update(found)
    return tuple(sorted(files))


def _chart_files(root: Path, chart_dirs: tuple[Path, ...], name: str) -> tuple[str, ...]:
    """The repo files of the chart a Service uses; none for a chart that ships with strata (its
    files are part of strata's own fingerprint, like its code)."""
    folder = find_chart(chart_dirs, name)
    if folder is None or folder.resolve().is_relative_to(BUILTIN_CHARTS_DIR):
        return ()
    return chart_files(root, folder)
