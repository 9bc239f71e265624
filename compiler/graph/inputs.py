"""A target's own input files: the files its layers came from, and the chart files it renders with.

What it references adds the referenced targets' inputs (compiler/graph/build.py
follows the edges); `manifest.json` records the result, and `plan` uses it to know
which targets a changed file can affect.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from compiler.load.discover import BUILTIN_CHARTS_DIR
from compiler.targets import Target
from schemas.apptype import ChartRef


@dataclass
class ChartFiles:
    """Every file of a named chart, relative to the repo; each chart listed once per run."""

    root: Path
    chart_dirs: tuple[Path, ...]
    found: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def __call__(self, name: str) -> tuple[str, ...]:
        if name not in self.found:
            self.found[name] = tuple(_chart_files(self.root, self.chart_dirs, name))
        return self.found[name]


def own_files(target: Target, charts: ChartFiles) -> tuple[str, ...]:
    """The target's layer files, plus its chart's files when its spec names a chart."""
    chart = getattr(target.spec, "chart", None)
    if not isinstance(chart, ChartRef):
        return target.files
    return tuple(sorted({*target.files, *charts(chart.name)}))


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
