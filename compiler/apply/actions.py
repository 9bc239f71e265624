"""Decide what apply does with every object — before any request that writes.

A pure function of the desired set and the live state: `apply` executes it, `plan --live`
shows it, a saved plan records it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from compiler.apply.applyset import FIELD_MANAGER, PARENT_ID, PART_OF, TOOL, TOOLING_KEY, group_id, parent_name, tool_of
from compiler.apply.compare import compare, managed_by
from compiler.apply.desired import DesiredSet
from compiler.apply.jobs import finished, read_runs, run_digest, runs_to_completion, spec_only_metadata
from compiler.apply.live import LiveState
from compiler.apply.model import CONFIGURE, CREATE, PRUNE, REPLACE, UNCHANGED, Desired, GroupState, Kept, Ref, Step
from compiler.apply.order import apply_rank, holds_data


@dataclass
class ApplyPlan:
    env: str
    groups: dict[str, GroupState]                        # every target group in scope
    steps: list[Step] = field(default_factory=list)      # desired objects, in apply order
    prunes: list[Step] = field(default_factory=list)     # members no longer desired, in delete order
    kept: list[Kept] = field(default_factory=list)       # member-looking objects prune leaves alone
    orphans: list[str] = field(default_factory=list)     # groups in the cluster with nothing desired
    live: LiveState = field(default_factory=LiveState)

    def counts(self) -> dict[str, int]:
        found = dict.fromkeys((CREATE, CONFIGURE, UNCHANGED, REPLACE, PRUNE), 0)
        for step in [*self.steps, *self.prunes]:
            found[step.action] += 1
        return found


def build_plan(desired: DesiredSet, live: LiveState) -> ApplyPlan:
    env = desired.env.name
    in_cluster = live.groups_in_cluster(env)
    names = set(desired.groups) | (set(in_cluster) & set(desired.projects) if desired.projects else set(in_cluster))
    groups = {g: GroupState(env, g, group_id(env, g), live.parents.get(parent_name(env, g)), desired.of_group(g))
              for g in sorted(names)}
    ours = _strata_sets(live)
    plan = ApplyPlan(env, groups, live=live)
    plan.steps = [_step(d, live.objects.get(d.ref), read_runs(groups[d.group].parent), ours) for d in desired.objects]
    plan.orphans = sorted(g for g, state in groups.items() if not state.desired)
    wanted = {d.ref for d in desired.objects}
    members = {state.set_id: g for g, state in groups.items()}
    for ref, obj in sorted(live.objects.items()):
        label = ((obj.get("metadata") or {}).get("labels") or {}).get(PART_OF)
        if ref not in wanted and label in members:
            _prune_or_keep(plan, ref, obj, members[label])
    plan.prunes.sort(key=lambda s: (apply_rank((s.live or {}).get("apiVersion", ""), s.ref.kind), s.ref), reverse=True)
    return plan


def _step(desired: Desired, live: dict | None, runs: dict[str, str], ours: set[str]) -> Step:
    if live is None:
        if runs_to_completion(desired.obj) and runs.get(desired.ref.token()) == run_digest(desired.obj):
            return Step(desired.ref, UNCHANGED, desired.group, desired,
                        note="ran to completion and was removed; not started again")
        return Step(desired.ref, CREATE, desired.group, desired)
    other_set = ((live.get("metadata") or {}).get("labels") or {}).get(PART_OF)
    blocked = f"belongs to another tool's ApplySet {other_set}" if other_set and other_set not in ours else ""
    found = compare(desired.obj, live)
    note = _managers_note(found.other_managers())
    if found.same:
        return Step(desired.ref, UNCHANGED, desired.group, desired, live)
    if runs_to_completion(desired.obj) and not spec_only_metadata(found.changes):
        return Step(desired.ref, REPLACE, desired.group, desired, live, tuple(found.changes), note,
                    running=not finished(live), blocked=blocked)
    return Step(desired.ref, CONFIGURE, desired.group, desired, live, tuple(found.changes), note, blocked=blocked)


def _prune_or_keep(plan: ApplyPlan, ref: Ref, obj: dict, group: str) -> None:
    """Only strata's own members: labelled with the group's id, applied by strata, owned by nothing else."""
    meta = obj.get("metadata") or {}
    owners = meta.get("ownerReferences") or []
    if owners:
        names = ", ".join(f"{o.get('kind')}/{o.get('name')}" for o in owners)
        plan.kept.append(Kept(ref, f"has an ownerReference ({names}): it belongs to its owner, not to the ApplySet"))
    elif managed_by(obj) is None:
        managers = sorted({str(e.get("manager")) for e in meta.get("managedFields") or []}) or ["none"]
        plan.kept.append(Kept(ref, f"carries {group}'s ApplySet label but strata never applied it "
                                   f"(managers: {', '.join(managers)})"))
    else:
        plan.prunes.append(Step(ref, PRUNE, group, None, obj, protected=holds_data(obj["apiVersion"], ref.kind)))


def _strata_sets(live: LiveState) -> set[str]:
    """ApplySet ids whose parent strata manages (any environment): an object may move between them."""
    return {(p["metadata"].get("labels") or {}).get(PARENT_ID, "") for p in live.parents.values()
            if tool_of((p["metadata"].get("annotations") or {}).get(TOOLING_KEY, "")) == TOOL}


def _managers_note(managers: list[str]) -> str:
    others = [m for m in managers if m != FIELD_MANAGER]
    return f"changed fields are managed by {', '.join(others)}" if others else ""
