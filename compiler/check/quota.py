"""The compile-time quota check (SPEC §3 Project).

Every Job (all replicas, scheduled or not), Service (max replicas plus canary
replicas) and Notebook of a project in one environment must fit the project's
quota: cpu, memory (including `shm`, which is memory-backed) and GPUs per
gpuType. GPU types that share a resource name also share the namespace's
ResourceQuota line, so their sum — plus any GPUs asked for without a gpuType —
is checked against it too. Pipeline steps are not counted.

Kubernetes quantities are summed exactly (Decimal), never as floats.
"""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from compiler.errors import Problems
from compiler.kinds import kind_of
from compiler.provenance import lookup
from compiler.suggest import did_you_mean
from compiler.targets import Project, Target
from schemas.common import Resources

_BINARY = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_QUANTITY = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?$")


# --- quantities ---------------------------------------------------------------------------------

def parse_quantity(text: Any) -> Decimal:
    """A Kubernetes quantity ("500m", "16Gi", "1.5", "2e3") as an exact Decimal."""
    match = _QUANTITY.match(str(text).strip())
    if not match:
        raise ValueError(f"{text!r} is not a Kubernetes quantity")
    number, exponent, suffix = match.groups()
    value = Decimal(number)
    if exponent:
        return value.scaleb(int(exponent[1:]))
    if suffix in _BINARY:
        return value * (Decimal(1024) ** _BINARY[suffix])
    return value.scaleb(_DECIMAL[suffix or ""])


def format_quantity(value: Decimal, binary: bool = False) -> str:
    """The shortest exact spelling: Ki..Ei (then k..E) for memory, cores or millicores for cpu."""
    if binary and value:
        spellings = [f"{_plain(value / unit)}{suffix}" for suffix, unit in _MEMORY_UNITS if value % unit == 0]
        return min(spellings + [_plain(value)], key=len)
    if value != value.to_integral_value() and (value * 1000) == (value * 1000).to_integral_value():
        return f"{_plain(value * 1000)}m"
    return _plain(value)


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


_MEMORY_UNITS = (
    *((s, Decimal(1024) ** p) for s, p in sorted(_BINARY.items(), key=lambda item: -item[1])),
    *((s, Decimal(10) ** p) for s, p in sorted(_DECIMAL.items(), key=lambda item: -item[1]) if p >= 3),
)


# --- usage --------------------------------------------------------------------------------------

@dataclass
class Usage:
    """What one workload (or a whole project) requests: cpu, memory, GPUs per gpuType."""

    cpu: Decimal = Decimal(0)
    memory: Decimal = Decimal(0)
    gpu: dict[str | None, int] = field(default_factory=dict)   # None: no gpuType given

    def add(self, other: Usage) -> None:
        self.cpu += other.cpu
        self.memory += other.memory
        for gpu_type, count in other.gpu.items():
            self.gpu[gpu_type] = self.gpu.get(gpu_type, 0) + count


def pod_usage(resources: Resources) -> Usage:
    """One pod's requests; memory includes the memory-backed /dev/shm."""
    memory = sum((parse_quantity(q) for q in (resources.memory, resources.shm) if q), Decimal(0))
    gpu = {resources.gpuType: resources.gpu} if resources.gpu else {}
    return Usage(cpu=parse_quantity(resources.cpu) if resources.cpu else Decimal(0), memory=memory, gpu=gpu)


def workload_usage(target: Target) -> Usage:
    """Every pod a workload may run at once (all replicas), each with its containers' requests."""
    usage = Usage()
    for container in target.spec.containers():
        pods, one = container.pods, pod_usage(container.resources)
        usage.add(Usage(cpu=one.cpu * pods, memory=one.memory * pods,
                        gpu={gpu_type: count * pods for gpu_type, count in one.gpu.items()}))
    return usage


def workloads(targets: Iterable[Target]) -> list[Target]:
    """The targets the quota counts (their kind is a workload: compiler/kinds.py), in a stable order."""
    return sorted((t for t in targets if kind_of(t.kind).workload), key=lambda t: (t.kind, t.name))


# --- limits -------------------------------------------------------------------------------------

def gpu_resource_name(project: Project, gpu_type: str | None) -> str:
    """The extended resource a gpuType is requested as in this environment (as pod.py does)."""
    return project.env.gpu_resource(gpu_type)


def gpu_quota_by_resource(project: Project) -> dict[str, int]:
    """Quota GPUs summed per resource name (GPU types sharing a name share the line), sorted."""
    totals: dict[str, int] = defaultdict(int)
    for gpu_type, count in project.quota.gpu.items():
        totals[gpu_resource_name(project, gpu_type)] += count
    return dict(sorted(totals.items()))


@dataclass(frozen=True)
class Overage:
    """One exceeded line: what it is, requested vs allowed, and who asks for it."""

    label: str
    requested: str
    allowed: str
    over: str
    consumers: tuple[str, ...]
    path: tuple[str, ...] = ()     # the quota entry that sets the limit (`cpu`, `gpu.a100`)

    def describe(self) -> str:
        return (f"{self.label} requested {self.requested} > quota {self.allowed} (over by {self.over}) "
                f"by {', '.join(self.consumers)}")


def _quantity_overage(label: str, used: dict[str, Decimal], limit: str | None, binary: bool) -> list[Overage]:
    """`label` is also the quota entry's key (`cpu`, `memory`)."""
    if limit is None:
        return []
    allowed, total = parse_quantity(limit), sum(used.values(), Decimal(0))
    if total <= allowed:
        return []
    consumers = tuple(f"{who} {format_quantity(amount, binary)}" for who, amount in used.items() if amount)
    return [Overage(label, format_quantity(total, binary), limit, format_quantity(total - allowed, binary), consumers,
                    (label,))]


def _count_overage(label: str, used: dict[str, int], allowed: int, path: tuple[str, ...]) -> list[Overage]:
    total = sum(used.values())
    if total <= allowed:
        return []
    consumers = tuple(f"{who} {amount}" for who, amount in used.items() if amount)
    return [Overage(label, str(total), str(allowed), str(total - allowed), consumers, path)]


def find_overages(project: Project, targets: Iterable[Target]) -> list[Overage]:
    """Every quota line the project's workloads exceed in its environment, in a fixed order."""
    usages = {f"{t.kind}/{t.name}": workload_usage(t) for t in workloads(targets)}
    quota = project.quota
    found = _quantity_overage("cpu", {w: u.cpu for w, u in usages.items()}, quota.cpu, binary=False)
    found += _quantity_overage("memory", {w: u.memory for w, u in usages.items()}, quota.memory, binary=True)
    for gpu_type, allowed in sorted(quota.gpu.items()):
        found += _count_overage(f"gpu {gpu_type}", {w: u.gpu.get(gpu_type, 0) for w, u in usages.items()}, allowed,
                                ("gpu", gpu_type))
    return found + _resource_overages(project, usages)


def _resource_overages(project: Project, usages: dict[str, Usage]) -> list[Overage]:
    """Per resource name, only where GPUs without their own gpuType quota line are involved
    (otherwise the per-type lines above already say everything)."""
    found = []
    for resource, allowed in gpu_quota_by_resource(project).items():
        used: dict[str, int] = {}
        uncovered = False
        for who, usage in usages.items():
            for gpu_type, count in sorted(usage.gpu.items(), key=lambda item: item[0] or ""):
                if gpu_resource_name(project, gpu_type) == resource:
                    used[who] = used.get(who, 0) + count
                    uncovered |= gpu_type not in project.quota.gpu
        if uncovered:
            found += _count_overage(f"{resource} (all GPU types)", used, allowed, ("gpu",))
    return found


def check_quota(project: Project, targets: Iterable[Target], problems: Problems) -> None:
    """One error per exceeded quota line, at the `quota:` entry that sets that limit here."""
    for overage in find_overages(project, targets):
        problems.add(f"over quota: {overage.describe()}", project.locate_quota(*overage.path),
                     target=f"project {project.name}", env=project.env.name)


def check_quota_gpu_types(project: Project, problems: Problems) -> None:
    """A quota line for a GPU type the environment has no pool for would be summed into the
    default resource name (nvidia.com/gpu) and silently grant GPUs of another type."""
    pools = project.env.settings.gpuPools
    for gpu_type in sorted(project.quota.gpu):
        if gpu_type not in pools:
            where = lookup(project.quota_tree, ("gpu", gpu_type)) if project.quota_tree is not None else None
            problems.add(f"quota: gpu type {gpu_type!r} has no gpuPool in this environment"
                         + did_you_mean(gpu_type, pools, known="its pools"),
                         (where.key_origin or where.origin) if where is not None else project.origin,
                         target=f"project {project.name}", env=project.env.name)
