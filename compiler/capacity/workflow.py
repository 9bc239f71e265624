"""Argo Workflows: the most GPUs one run holds at once, and how many runs of a schedule overlap.

A run's GPUs at once, per pool (docs/capacity.md#pipelines):
- a container/script template is one pod; a resource template creating a job counts the job
  as its own rule does (every replica at once); `templateRef`s to templates strata does not
  emit (the platform's presets) count nothing;
- a task fanned out with `withItems`/`withSequence` counts once per item (`withParam`: once);
- a DAG's tasks may run together unless one waits for the other (directly or not), so a DAG
  holds at most its heaviest set of tasks none of which waits for another — a maximum-weight
  antichain of the dependency order, computed exactly (weighted Dilworth, by max flow);
- `steps` run group after group: the heaviest group;
- `parallelism` (workflow or template) caps that at the sum of the heaviest that many task
  instances (an upper bound: Argo caps pods).

A WorkflowTemplate is one run (someone submits it) unless a CronWorkflow of the same target
runs it; then the CronWorkflow counts instead, at least one run. A CronWorkflow's runs at
once: one for `Forbid` and `Replace` (and when suspended, a run by hand); for `Allow`,
ceil(longest run / shortest gap between starts) when a run's length is bounded
(`activeDeadlineSeconds` of the workflow, or of the only job a job's schedule creates), else
two (runs may pile up: said in the detail).
"""
from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import yaml

from compiler.capacity.demand import Context, Object, Pods, Workload, name_of, shaped, workload_of
from compiler.render.cron import fire_gap_seconds

UNBOUNDED_RUNS = 2     # Allow without a known run length: at least the late run and the next one


@dataclass
class Part:
    """What one template holds while it runs once."""

    peak: dict[str | None, int] = field(default_factory=dict)   # pool → most GPUs at once
    pods: list[Pods] = field(default_factory=list)              # every GPU pod shape in it
    parts: list[Workload] = field(default_factory=list)         # the jobs it creates
    deadline: int | None = None                                 # seconds it can last, when bounded
    notes: list[str] = field(default_factory=list)
    instances: list[dict[str | None, int]] = field(default_factory=list)   # its task instances' peaks

    def __post_init__(self) -> None:
        if not self.instances and self.peak:
            self.instances = [self.peak]


# --- the rules -----------------------------------------------------------------------------

def workflow_template(obj: Object, ctx: Context) -> Workload | None:
    """One run, unless a CronWorkflow of the same target runs it (then that counts)."""
    if any(_runs_template(other, obj) for other in ctx.siblings):
        return None
    return _run_workload(obj, obj.get("spec") or {}, ctx, 1, "one run when submitted")


def workflow(obj: Object, ctx: Context) -> Workload | None:
    return _run_workload(obj, obj.get("spec") or {}, ctx, 1, "one run")


def cron_workflow(obj: Object, ctx: Context) -> Workload | None:
    spec = obj.get("spec") or {}
    run_spec = _run_spec(obj, spec.get("workflowSpec") or {}, ctx.siblings)
    if run_spec is None:
        return None       # runs a template strata does not emit: nothing known
    entry = Evaluator(run_spec, ctx).entry()
    runs, why = runs_at_once(spec, run_spec, entry)
    return _run_workload(obj, run_spec, ctx, runs, why, entry)


def _runs_template(cron: Object, template: Object) -> bool:
    ref = ((cron.get("spec") or {}).get("workflowSpec") or {}).get("workflowTemplateRef") or {}
    return cron.get("kind") == "CronWorkflow" and not ref.get("clusterScope") and ref.get("name") == name_of(template)


def _run_spec(cron: Object, run_spec: Mapping[str, Any], siblings: Iterable[Object]) -> Mapping[str, Any] | None:
    """The workflow spec a CronWorkflow runs: its own, or the referenced template's under its own fields."""
    ref = run_spec.get("workflowTemplateRef")
    if not ref:
        return run_spec
    for other in siblings:
        if other.get("kind") == "WorkflowTemplate" and name_of(other) == ref.get("name") and not ref.get("clusterScope"):
            own = {k: v for k, v in run_spec.items() if k != "workflowTemplateRef"}
            return {**(other.get("spec") or {}), **own}
    return None


def _run_workload(obj: Object, spec: Mapping[str, Any], ctx: Context, runs: int, why: str,
                  entry: Part | None = None) -> Workload:
    entry = entry or Evaluator(spec, ctx).entry()
    totals = tuple((pool, runs * gpus, runs * gpus)
                   for pool, gpus in sorted(entry.peak.items(), key=lambda i: (i[0] is None, i[0] or "")) if gpus)
    per_run = ", ".join(f"{gpus // runs} {pool or 'no pool'}" for pool, _, gpus in totals)
    detail = "; ".join([why, f"{'each run' if runs > 1 else 'a run'} holds at most {per_run} GPUs at once",
                        *entry.notes])
    gangs = tuple(g for part in entry.parts for g in part.gangs)
    return Workload(str(obj.get("kind", "")), name_of(obj), False, tuple(entry.pods), totals, gangs,
                    detail, tuple(entry.parts))


# --- one run -------------------------------------------------------------------------------

class Evaluator:
    """A workflow spec's templates, each evaluated once (a template used twice is the same)."""

    def __init__(self, spec: Mapping[str, Any], ctx: Context):
        self.spec = spec
        self.ctx = ctx
        self.templates = {t.get("name"): t for t in spec.get("templates") or [] if isinstance(t, Mapping)}
        self.memo: dict[str, Part] = {}
        self.open: set[str] = set()

    def entry(self) -> Part:
        part = self.template(str(self.spec.get("entrypoint", "")))
        deadline = self.spec.get("activeDeadlineSeconds")
        if isinstance(deadline, int):
            part = Part(part.peak, part.pods, part.parts, deadline, part.notes, part.instances)
        return capped(part, self.spec.get("parallelism"))

    def template(self, name: str) -> Part:
        if name in self.memo:
            return self.memo[name]
        template = self.templates.get(name)
        if template is None or name in self.open:
            return Part()
        self.open.add(name)
        part = self.evaluate(name, template)
        self.open.discard(name)
        self.memo[name] = part
        return part

    def evaluate(self, name: str, template: Mapping[str, Any]) -> Part:
        if any(key in template for key in ("container", "script", "containerSet")):
            return self.pod(name, template)
        if isinstance(template.get("resource"), Mapping):
            return self.resource(name, template)
        if isinstance(template.get("dag"), Mapping):
            return self.dag(template)
        if isinstance(template.get("steps"), list):
            return self.steps(template)
        return Part()

    def pod(self, name: str, template: Mapping[str, Any]) -> Part:
        containers = [template[key] for key in ("container", "script") if isinstance(template.get(key), Mapping)]
        containers += list((template.get("containerSet") or {}).get("containers") or [])
        containers += list(template.get("sidecars") or [])
        selector = {**(self.spec.get("nodeSelector") or {}), **(template.get("nodeSelector") or {})}
        pod = {"containers": containers, "initContainers": template.get("initContainers") or [],
               "nodeSelector": selector}
        pods = shaped(name, pod, self.ctx, 1, 1)
        peak: dict[str | None, int] = {}
        for p in pods:
            peak[p.shape.pool] = peak.get(p.shape.pool, 0) + p.shape.gpus
        return Part(peak, pods, deadline=_seconds(template.get("activeDeadlineSeconds")))

    def resource(self, name: str, template: Mapping[str, Any]) -> Part:
        """The object a resource template creates, counted by its own kind's rule."""
        resource = template["resource"]
        if resource.get("action") not in ("create", "apply", None):
            return Part()
        try:
            created = yaml.safe_load(str(resource.get("manifest") or ""))
        except yaml.YAMLError:
            return Part(notes=[f"{name}: manifest is not YAML"])
        if not isinstance(created, Mapping):
            return Part()
        made = workload_of(created, Context(self.ctx.pools, (created,)))
        if made is None:
            return Part()
        peak = {pool: high for pool, _, high in made.totals}
        deadline = _seconds(template.get("activeDeadlineSeconds")) or job_deadline(created)
        # Its pods and gangs say which step created them (checks point at that step).
        pods = [Pods(replace(p.shape, role=f"{name}/{p.shape.role}" if p.shape.role else name), p.low, p.high)
                for p in made.pods]
        made = replace(made, gangs=tuple(replace(g, role=name) for g in made.gangs))
        return Part(peak, pods, [made], deadline)

    def dag(self, template: Mapping[str, Any]) -> Part:
        tasks = [t for t in template["dag"].get("tasks") or [] if isinstance(t, Mapping)]
        names = [str(t.get("name")) for t in tasks]
        parts, fans, notes = self._tasks(tasks)
        waits = {name: set(_dependencies(task, names)) for name, task in zip(names, tasks, strict=True)}
        before = _closure(names, waits)
        peak = {}
        for pool in _pools(parts):
            weights = {n: fans[n] * parts[n].peak.get(pool, 0) for n in names}
            peak[pool] = heaviest_antichain(names, before, weights)
        return capped(_combined(peak, parts, fans, notes), template.get("parallelism"))

    def steps(self, template: Mapping[str, Any]) -> Part:
        groups = [g if isinstance(g, list) else [g] for g in template["steps"]]
        tasks = [t for g in groups for t in g if isinstance(t, Mapping)]
        parts, fans, notes = self._tasks(tasks)
        peak = {}
        for pool in _pools(parts):
            peak[pool] = max((sum(fans[str(t.get("name"))] * parts[str(t.get("name"))].peak.get(pool, 0)
                                  for t in g if isinstance(t, Mapping)) for g in groups), default=0)
        return capped(_combined(peak, parts, fans, notes), template.get("parallelism"))

    def _tasks(self, tasks: list[Mapping[str, Any]]) -> tuple[dict[str, Part], dict[str, int], list[str]]:
        parts: dict[str, Part] = {}
        fans: dict[str, int] = {}
        notes: list[str] = []
        outside: list[str] = []
        for task in tasks:
            name = str(task.get("name"))
            if task.get("templateRef"):
                outside.append(str(task["templateRef"].get("name")))
                parts[name], fans[name] = Part(), 1
                continue
            parts[name] = self.template(str(task.get("template", "")))
            fans[name], note = fan_out(task)
            if note:
                notes.append(f"{name}: {note}")
        if outside:
            notes.append(f"not counted: {', '.join(sorted(set(outside)))} (templates strata does not emit)")
        return parts, fans, notes


def _combined(peak: dict[str | None, int], parts: Mapping[str, Part], fans: Mapping[str, int],
              notes: list[str]) -> Part:
    """A DAG's or steps' part: its peak, and its tasks' pods and jobs once per fanned-out instance."""
    pods = [Pods(p.shape, p.low * fans[n], p.high * fans[n]) for n, part in parts.items() for p in part.pods]
    made = [w for n, part in parts.items() for w in part.parts for _ in range(fans[n])]
    instances = [i for n, part in parts.items() for _ in range(fans[n]) for i in part.instances]
    return Part({p: g for p, g in peak.items() if g}, [p for p in pods if p.high], made, None,
                notes + [n for part in parts.values() for n in part.notes], instances)


def _pools(parts: Mapping[str, Part]) -> list[str | None]:
    return sorted({pool for part in parts.values() for pool in part.peak}, key=lambda p: (p is None, p or ""))


def fan_out(task: Mapping[str, Any]) -> tuple[int, str]:
    """How many instances of a task run (and a note when that is not known)."""
    items = task.get("withItems")
    if isinstance(items, list):
        return len(items), ""
    sequence = task.get("withSequence")
    if isinstance(sequence, Mapping):
        if "count" in sequence:
            return max(0, _int(sequence["count"], 1)), ""
        return max(0, _int(sequence.get("end"), 0) - _int(sequence.get("start"), 0) + 1), ""
    if task.get("withParam") is not None:
        return 1, "withParam fan-out unknown here, counted once"
    return 1, ""


def capped(part: Part, parallelism: Any) -> Part:
    """`parallelism: N` caps a pool's peak at the sum of its N heaviest task instances (pods, or
    whole sub-DAGs: an upper bound, as Argo counts pods)."""
    if not isinstance(parallelism, int) or parallelism < 1:
        return part
    peak = {pool: min(gpus, sum(sorted((i.get(pool, 0) for i in part.instances), reverse=True)[:parallelism]))
            for pool, gpus in part.peak.items()}
    return Part(peak, part.pods, part.parts, part.deadline, part.notes, part.instances)


def _dependencies(task: Mapping[str, Any], names: list[str]) -> list[str]:
    """`dependencies`, and the task names a `depends` expression mentions."""
    found = [str(d) for d in task.get("dependencies") or []]
    depends = task.get("depends")
    if isinstance(depends, str):
        found += [n for n in re.findall(r"[A-Za-z0-9][A-Za-z0-9_-]*", depends) if n in names]
    return [d for d in found if d in names]


def _closure(names: list[str], waits: Mapping[str, set[str]]) -> dict[str, set[str]]:
    """For each task, every task it waits for, directly or not."""
    closed: dict[str, set[str]] = {}
    for name in names:
        seen: set[str] = set()
        todo = list(waits.get(name, ()))
        while todo:
            other = todo.pop()
            if other not in seen:
                seen.add(other)
                todo += waits.get(other, ())
        closed[name] = seen
    return closed


def heaviest_antichain(names: list[str], before: Mapping[str, set[str]], weight: Mapping[str, int]) -> int:
    """The heaviest set of tasks none of which waits for another (maximum-weight antichain).

    Weighted Dilworth: it equals the total weight minus a maximum flow from a source through
    `a_out → b_in` for every a before b, each node's out side fed and in side drained by its
    weight. Tasks weighing nothing only matter through the order, which `before` already holds.
    """
    heavy = [n for n in names if weight.get(n, 0) > 0]
    if len(heavy) <= 1:
        return sum(weight.get(n, 0) for n in heavy)
    size = 2 * len(heavy) + 2
    source, sink = size - 2, size - 1
    capacity: dict[tuple[int, int], int] = {}
    for i, a in enumerate(heavy):
        capacity[(source, i)] = weight[a]
        capacity[(len(heavy) + i, sink)] = weight[a]
        for j, b in enumerate(heavy):
            if a in before.get(b, set()):
                capacity[(i, len(heavy) + j)] = sum(weight.values()) + 1   # "infinite"
    return sum(weight[n] for n in heavy) - _max_flow(size, capacity, source, sink)


def _max_flow(size: int, capacity: dict[tuple[int, int], int], source: int, sink: int) -> int:
    """Edmonds–Karp on a small graph."""
    residual = dict(capacity)
    for (a, b) in capacity:
        residual.setdefault((b, a), 0)
    neighbours: dict[int, list[int]] = {n: [] for n in range(size)}
    for (a, b) in sorted(residual):
        neighbours[a].append(b)
    flow = 0
    while True:
        parent = {source: source}
        queue = deque([source])
        while queue and sink not in parent:
            node = queue.popleft()
            for nxt in neighbours[node]:
                if nxt not in parent and residual[(node, nxt)] > 0:
                    parent[nxt] = node
                    queue.append(nxt)
        if sink not in parent:
            return flow
        path, node = [], sink
        while node != source:
            path.append((parent[node], node))
            node = parent[node]
        pushed = min(residual[edge] for edge in path)
        for a, b in path:
            residual[(a, b)] -= pushed
            residual[(b, a)] += pushed
        flow += pushed


# --- schedules -----------------------------------------------------------------------------

def runs_at_once(cron_spec: Mapping[str, Any], run_spec: Mapping[str, Any], entry: Part) -> tuple[int, str]:
    """How many runs of a CronWorkflow can hold GPUs at the same time, and why."""
    policy = str(cron_spec.get("concurrencyPolicy") or "Allow")    # Argo's default
    if cron_spec.get("suspend") is True:
        return 1, "suspended: one run (by hand)"
    if policy in ("Forbid", "Replace"):
        return 1, f"one run at a time ({policy})"
    schedules = cron_spec.get("schedules") or ([cron_spec["schedule"]] if cron_spec.get("schedule") else [])
    gap = fire_gap_seconds([str(s) for s in schedules])
    if gap is None:
        return 1, "one run (Allow, but starts too rare to overlap)"
    if entry.deadline is None:
        return UNBOUNDED_RUNS, f"runs may pile up (Allow, no deadline): counted as {UNBOUNDED_RUNS}"
    runs = max(1, -(-entry.deadline // gap))
    return runs, (f"up to {runs} runs overlap (Allow: a run lasts at most {duration(entry.deadline)}, "
                  f"starts {duration(gap)} apart)")


def job_deadline(obj: Mapping[str, Any]) -> int | None:
    """How long a created job may run: `activeDeadlineSeconds` of a batch Job or a Kubeflow runPolicy."""
    spec = obj.get("spec") or {}
    return _seconds(spec.get("activeDeadlineSeconds")) or _seconds((spec.get("runPolicy") or {}).get("activeDeadlineSeconds"))


def duration(seconds: int) -> str:
    """`12h`, `1h30m`, `90s` → readable, exact."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = "".join(f"{n}{unit}" for n, unit in ((hours, "h"), (minutes, "m"), (secs, "s")) if n)
    return text or "0s"


def _seconds(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default

