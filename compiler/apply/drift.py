"""`strata plan --live`: the apply plan shown in the plan formats (text, markdown, JSON).

`+` an object to create, `~` one whose strata-managed fields differ from the compiled
ones (drift, or a change not applied yet; a note names the manager that changed a field),
`-` a member of strata's ApplySet that `apply --prune` would delete.
"""
from __future__ import annotations

from compiler.apply.actions import ApplyPlan
from compiler.apply.desired import DesiredSet
from compiler.apply.kube import Context
from compiler.apply.model import CONFIGURE, CREATE, PRUNE, REPLACE, UNCHANGED, Step
from compiler.apply.saved import live_section
from compiler.plan.lines import short_revision
from compiler.plan.mask import mask_changes, mask_object
from compiler.plan.model import ADD, CHANGE, DESTROY, Entry, ObjectKey, Plan, TargetNote

KINDS = {CREATE: ADD, CONFIGURE: CHANGE, REPLACE: CHANGE, PRUNE: DESTROY}


def drift_plan(desired: DesiredSet, plan: ApplyPlan, context: Context, head: str) -> Plan:
    env = desired.env.name
    entries, notes = [], {}
    for step in [*plan.steps, *plan.prunes]:
        if step.action == UNCHANGED and not step.blocked:
            continue
        entry = _entry(env, step)
        entries.append(entry)
        if step.desired is not None and step.desired.source:
            notes[entry.target] = TargetNote(source=step.desired.source)
    entries.sort(key=lambda e: (e.key.env, e.project, e.resource, e.key.kind, e.key.namespace, e.key.name))
    heading = (f"strata plan --live: environment {env} on context {context.name} ({context.server}) "
               f"→ head {short_revision(head)}")
    return Plan(base_ref="", base_sha="", head=head, entries=entries, notes=notes, envs=(env,),
                rendered=len(plan.steps), targets_total=len(plan.steps), heading=heading,
                live=live_section(desired, plan, context))


def _entry(env: str, step: Step) -> Entry:
    obj = step.desired.obj if step.desired is not None else step.live or {}
    ref = step.ref
    key = ObjectKey(env, obj.get("apiVersion", ""), ref.kind, ref.namespace, ref.name)
    resource = step.desired.resource if step.desired is not None else _resource(step.live or {})
    live = _without_noise(step.live)
    after = mask_object(step.desired.obj) if step.desired is not None else None
    change = KINDS.get(step.action, CHANGE)
    changes = tuple(mask_changes(obj, list(step.changes), old=live)) if change == CHANGE else ()
    return Entry(key, step.group, resource, change, before=mask_object(live) if live else None,
                 after=after if change != DESTROY else None, changes=changes, note=_note(step))


def _note(step: Step) -> str:
    notes = [step.blocked] if step.blocked else []
    if step.action == REPLACE:
        notes.append("replace needed: a run-to-completion object (apply --recreate-jobs)" +
                     ("; still running" if step.running else ""))
    if step.action == PRUNE:
        notes.append("deleted only by apply --prune --allow-delete-data: it holds data" if step.protected
                     else "deleted by apply --prune")
    if step.note:
        notes.append(step.note)
    return "; ".join(notes)


def _resource(live: dict) -> str:
    return ((live.get("metadata") or {}).get("labels") or {}).get("strata.dev/resource", "")


def _without_noise(live: dict | None) -> dict | None:
    """The live object without what the server keeps for itself (managedFields, status)."""
    if live is None:
        return None
    meta = {k: v for k, v in (live.get("metadata") or {}).items() if k != "managedFields"}
    return {**{k: v for k, v in live.items() if k != "status"}, "metadata": meta}
