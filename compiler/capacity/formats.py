"""`strata capacity` as text (a terminal), markdown (a platform review) or JSON (machines)."""
from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from compiler import __version__ as TOOL_VERSION
from compiler.capacity.report import HOURS_PER_MONTH, Demand, EnvCapacity, PoolRow, number, to_json

NUMERIC = re.compile(r"^(—|[+−-]?[\d.,]+(–[\d.,]+)?( \(×[\d.]+\))?)$")
FORMAT_VERSION = "1.0"
LEGEND = ("GPUs. steady: services and notebooks at their most replicas (fewest–most); peak: steady plus "
          "every job and pipeline run at once; quota headroom: capacity × allowed oversubscription − "
          f"the projects' quotas; cost: price per GPU-hour × {HOURS_PER_MONTH} hours a month × the environment's "
          "clusters (each runs every object).")
POOL_HEADERS = ("pool", "capacity", "per node", "quota", "quota headroom", "steady", "peak", "peak headroom",
                "price/GPU-h", "steady/month", "peak/month")
PROJECT_HEADERS = ("project", "pool", "quota", "steady", "peak")


def render(reports: Sequence[EnvCapacity], fmt: str) -> str:
    if fmt == "json":
        return render_json(reports)
    if fmt == "markdown":
        return render_markdown(reports)
    return render_text(reports)


def render_json(reports: Sequence[EnvCapacity]) -> str:
    doc = {"format_version": FORMAT_VERSION, "tool_version": TOOL_VERSION,
           "environments": {r.env: to_json(r) for r in reports}}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


# --- cells ---------------------------------------------------------------------------------

def per_cluster(values: Mapping[str, float], clusters: int) -> str:
    """One number, or `c1 64, c2 32` when the environment has several clusters."""
    if not values:
        return "—"
    if clusters <= 1 and len(values) == 1:
        return _num(next(iter(values.values())))
    return ", ".join(f"{c} {_num(v)}" for c, v in values.items())


def steady(demand: Demand) -> str:
    return _range(demand.steady_min, demand.steady)


def money(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


def _num(value: float) -> str:
    return str(number(value))


def pool_cells(row: PoolRow, clusters: int) -> list[str]:
    return [row.pool, per_cluster(row.capacity, clusters), _opt(row.per_node), str(row.quota),
            per_cluster(row.quota_headroom(), clusters) + ("" if not row.capacity or row.oversubscription == 1
                                                             else f" (×{row.oversubscription:g})"),
            steady(row.demand), str(row.demand.peak), per_cluster(row.peak_headroom(), clusters),
            price(row.price), money(row.cost(row.demand.steady)), money(row.cost(row.demand.peak))]


def price(value: float | None) -> str:
    """Cents when the price has no smaller unit (1.90), else as written (0.125)."""
    if value is None:
        return "—"
    return f"{value:.2f}" if round(value, 2) == value else f"{value:g}"


def _opt(value: object) -> str:
    return "—" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def heading(report: EnvCapacity) -> str:
    clusters = ", ".join(report.clusters)
    where = f" (cluster{'s' if len(report.clusters) > 1 else ''} {clusters})" if clusters else ""
    partial = "; demand of the selected projects only" if not report.complete else ""
    return f"{report.env}{where}{partial}"


def project_cells(report: EnvCapacity) -> list[list[str]]:
    return [[row.project, row.pool, _opt(row.quota), steady(row.demand), str(row.demand.peak)]
            for row in report.projects]


def workload_cells(report: EnvCapacity) -> list[list[str]]:
    return [[f"{line.project}/{line.resource}", f"{line.kind} {line.name}", line.pool,
             ("steady " if line.steady else "peak ") + _range(line.low, line.high), line.detail]
            for line in report.lines]


def _range(low: int, high: int) -> str:
    return str(high) if low == high else f"{low}–{high}"


# --- text ----------------------------------------------------------------------------------

def render_text(reports: Sequence[EnvCapacity]) -> str:
    lines = ["strata capacity", "", LEGEND]
    for report in reports:
        lines += ["", f"Environment {heading(report)}"]
        if not report.pools:
            lines.append("  no GPU pools, quotas or GPU workloads")
            continue
        clusters = len(report.clusters)
        lines += ["  " + line for line in aligned(POOL_HEADERS, [pool_cells(r, clusters) for r in report.pools])]
        if report.projects:
            lines += ["", *("  " + line for line in aligned(PROJECT_HEADERS, project_cells(report)))]
        if report.lines:
            lines += ["", "  workloads:", *("    " + line for line in aligned(None, workload_cells(report)))]
    return "\n".join(lines) + "\n"


def aligned(headers: Sequence[str] | None, rows: Iterable[Sequence[str]]) -> list[str]:
    """Columns padded to their widest cell; numbers (and dashes) right-aligned."""
    table = ([list(headers)] if headers else []) + [list(r) for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    out = []
    for row in table:
        cells = [cell.rjust(w) if _numeric(cell) and i else cell.ljust(w)
                 for i, (cell, w) in enumerate(zip(row, widths, strict=True))]
        out.append("  ".join(cells).rstrip())
    return out


def _numeric(cell: str) -> bool:
    """Right-aligned: counts, ranges, money, a dash for nothing."""
    return NUMERIC.match(cell) is not None


# --- markdown ------------------------------------------------------------------------------

def render_markdown(reports: Sequence[EnvCapacity]) -> str:
    lines = ["### strata capacity", "", LEGEND]
    for report in reports:
        lines += ["", f"#### {heading(report)}", ""]
        if not report.pools:
            lines.append("No GPU pools, quotas or GPU workloads.")
            continue
        clusters = len(report.clusters)
        lines += md_table(POOL_HEADERS, [pool_cells(r, clusters) for r in report.pools])
        if report.projects:
            lines += ["", *md_table(PROJECT_HEADERS, project_cells(report))]
        if report.lines:
            lines += ["", "<details><summary>Workloads</summary>", "",
                      *md_table(("target", "object", "pool", "GPUs", "how"), workload_cells(report)),
                      "", "</details>"]
    return "\n".join(lines) + "\n"


def md_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    rows = [list(r) for r in rows]
    right = [all(_numeric(r[i]) for r in rows) and i > 0 for i in range(len(headers))]
    return ["| " + " | ".join(headers) + " |", "|" + "|".join("---:" if r else "---" for r in right) + "|",
            *("| " + " | ".join(_cell(c) for c in row) + " |" for row in rows)]


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
