"""Carry out an apply plan: parents first, then objects in order, then prune, then parents again.

One PATCH (server-side apply) per object that differs, none for an unchanged one; an
object whose prerequisite failed is skipped and reported; prune runs per target group
only when everything of that group applied, deleting in reverse order with a
precondition on the object's uid and resourceVersion (it is still the object we judged).
"""
from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from compiler.apply.actions import ApplyPlan
from compiler.apply.applyset import GROUP_KINDS, NAMESPACES, PARENT_NAMESPACE, group_kind, parent_namespace_object, parent_object
from compiler.apply.compare import compare
from compiler.apply.depends import needs
from compiler.apply.discovery import Resource
from compiler.apply.jobs import read_runs, run_digest, runs_to_completion, write_runs
from compiler.apply.kube import Kube, Response
from compiler.apply.model import CREATE, REPLACE, UNCHANGED, Ref, Step
from compiler.apply.outcome import (
    CONFIGURED,
    CREATED,
    FAILED,
    NOT_PRUNED,
    PRUNED,
    REPLACE_NEEDED,
    REPLACED,
    SKIPPED,
    ApplyOptions,
    Outcome,
)
from compiler.apply.outcome import UNCHANGED as SAME
from compiler.errors import StrataError

GONE_TIMEOUT = 120.0     # seconds to wait for a replaced job to be deleted (foreground deletion)
CONFLICT_MANAGER = re.compile(r'conflicts? with "([^"]+)"')


@dataclass
class Executor:
    kube: Kube
    plan: ApplyPlan
    resources: dict[tuple[str, str], Resource]      # (group, kind) → where it lives
    options: ApplyOptions
    progress: Callable[[Outcome], None] = lambda outcome: None
    sleep: Callable[[float], None] = time.sleep
    outcomes: list[Outcome] = field(default_factory=list)
    _failed: set[Ref] = field(default_factory=set)
    _new_namespaces: set[str] = field(default_factory=set)

    def run(self) -> list[Outcome]:
        if not self.options.dry_run:
            self._write_parents(final=False)
        present = {s.ref for s in self.plan.steps}
        self._new_namespaces = {s.ref.name for s in self.plan.steps if s.ref.kind == "Namespace" and s.action == CREATE}
        for step in self.plan.steps:
            self._report(self._apply(step, needs(step.desired, present) if step.desired else set()))
        if self.options.prune:
            for step in self.plan.prunes:
                self._report(self._prune(step))
        if not self.options.dry_run:
            self._write_parents(final=True)
        return self.outcomes

    # objects ---------------------------------------------------------------------------------

    def _apply(self, step: Step, needed: set[Ref]) -> Outcome:
        if step.action == UNCHANGED and not step.blocked:
            return Outcome(step.ref, step.group, SAME, step.note)
        broken = sorted(needed & self._failed)
        if broken:
            return Outcome(step.ref, step.group, SKIPPED, "needs " + ", ".join(r.describe() for r in broken) + ", which failed")
        if step.blocked:
            return Outcome(step.ref, step.group, FAILED, step.blocked)
        if step.action == REPLACE:
            return self._replace(step)
        return self._patch(step)

    def _patch(self, step: Step) -> Outcome:
        assert step.desired is not None
        namespace = step.ref.namespace
        if self.options.dry_run and namespace in self._new_namespaces:
            status = CREATED if step.action == CREATE else CONFIGURED
            return Outcome(step.ref, step.group, status, "not checked by the server: its namespace is created by this apply",
                           step.changes)
        response = self.kube.apply(self._path(step.ref), step.desired.obj, force=self.options.force_conflicts,
                                   dry_run=self.options.dry_run)
        if not response.ok:
            return Outcome(step.ref, step.group, FAILED, _failure(response), step.changes)
        status = CREATED if response.status == 201 else CONFIGURED
        return Outcome(step.ref, step.group, status, step.note, step.changes)

    def _replace(self, step: Step) -> Outcome:
        if not self.options.recreate_jobs:
            return Outcome(step.ref, step.group, REPLACE_NEEDED,
                           "a run-to-completion object with a changed spec: replaced only with --recreate-jobs", step.changes)
        if step.running and not self.options.force_conflicts:
            return Outcome(step.ref, step.group, REPLACE_NEEDED,
                           "still running: not replaced (--recreate-jobs --force-conflicts replaces a running job)",
                           step.changes)
        if self.options.dry_run:
            return Outcome(step.ref, step.group, REPLACED, "would delete and create again", step.changes)
        live = step.live or {}
        meta = live.get("metadata") or {}
        response = self.kube.delete(self._path(step.ref), uid=meta.get("uid"), resource_version=meta.get("resourceVersion"))
        if not response.ok and response.status != 404:
            return Outcome(step.ref, step.group, FAILED, "delete before replace: " + _failure(response), step.changes)
        if not self._gone(step.ref):
            return Outcome(step.ref, step.group, FAILED, f"still terminating after {GONE_TIMEOUT:.0f}s; run apply again",
                           step.changes)
        created = self._patch(step)
        if created.status in (CREATED, CONFIGURED):
            return Outcome(step.ref, step.group, REPLACED, "deleted and created again", step.changes)
        return created

    def _gone(self, ref: Ref) -> bool:
        waited, pause = 0.0, 0.2
        while waited <= GONE_TIMEOUT:
            if self.kube.get(self._path(ref)).status == 404:
                return True
            self.sleep(pause)
            waited, pause = waited + pause, min(pause * 2, 5.0)
        return False

    def _prune(self, step: Step) -> Outcome:
        blocked_by = [o for o in self.outcomes if o.group == step.group and o.failed]
        if blocked_by:
            return Outcome(step.ref, step.group, NOT_PRUNED,
                           f"{len(blocked_by)} object(s) of {step.group} failed: its prune waits for a clean apply")
        meta = (step.live or {}).get("metadata") or {}
        response = self.kube.delete(self._path(step.ref), uid=meta.get("uid"), resource_version=meta.get("resourceVersion"),
                                    dry_run=self.options.dry_run)
        if response.ok or response.status == 404:
            return Outcome(step.ref, step.group, PRUNED)
        if response.status == 409:
            return Outcome(step.ref, step.group, FAILED, "changed since it was read (precondition failed); not deleted")
        return Outcome(step.ref, step.group, FAILED, _failure(response))

    # ApplySet parents ------------------------------------------------------------------------

    def _write_parents(self, *, final: bool) -> None:
        """Before: the union of old and new kinds and namespaces (so a crash leaves every member
        findable); after: exactly what the set holds now, and the runs strata created."""
        every_parent = all(state.parent is not None for state in self.plan.groups.values() if state.desired)
        if not final and not every_parent and self.kube.get("/api/v1/namespaces/" + PARENT_NAMESPACE).status == 404:
            response = self.kube.apply("/api/v1/namespaces/" + PARENT_NAMESPACE, parent_namespace_object())
            if not response.ok:
                raise_parent(PARENT_NAMESPACE, response)
        for group, state in self.plan.groups.items():
            if not state.desired:
                continue
            kinds, namespaces = self._members(group, final)
            runs = self._runs(group) if final else read_runs(state.parent) or None
            wanted = parent_object(self.plan.env, group, kinds, namespaces, write_runs(runs) if runs else None)
            if state.parent is not None and compare(wanted, state.parent).same:
                continue
            response = self.kube.apply(f"/api/v1/namespaces/{PARENT_NAMESPACE}/configmaps/{wanted['metadata']['name']}", wanted)
            if response.ok:
                state.parent = response.body
            elif not final:
                raise_parent(group, response)
            else:
                self.outcomes.append(Outcome(Ref("", "ConfigMap", PARENT_NAMESPACE, wanted["metadata"]["name"]), group,
                                             FAILED, "ApplySet parent: " + _failure(response)))

    def _members(self, group: str, final: bool) -> tuple[set[str], set[str]]:
        steps = [s for s in self.plan.steps if s.group == group]
        pruned = {o.ref for o in self.outcomes if o.status == PRUNED}
        remaining = [s for s in self.plan.prunes if s.group == group and not (final and s.ref in pruned)]
        kinds = {group_kind(s.desired.api_version, s.ref.kind) for s in steps if s.desired}
        kinds |= {group_kind(s.live["apiVersion"], s.ref.kind) for s in remaining if s.live}
        namespaces = {s.ref.namespace for s in [*steps, *remaining] if s.ref.namespace}
        state = self.plan.groups[group]
        if not final and state.parent is not None:   # never shrink before pruning (KEP "superset" step)
            notes = state.parent["metadata"].get("annotations") or {}
            kinds |= set(filter(None, notes.get(GROUP_KINDS, "").split(",")))
            namespaces |= set(filter(None, notes.get(NAMESPACES, "").split(",")))
        return kinds, namespaces

    def _runs(self, group: str) -> dict[str, str]:
        """Every run-to-completion object of the group that exists or ran, by the digest of its spec
        (runs no longer desired are forgotten)."""
        before = read_runs(self.plan.groups[group].parent)
        status = {o.ref: o.status for o in self.outcomes}
        runs: dict[str, str] = {}
        for step in self.plan.steps:
            if step.group != group or step.desired is None or not runs_to_completion(step.desired.obj):
                continue
            token = step.ref.token()
            exists_as_desired = status.get(step.ref) in (CREATED, CONFIGURED, REPLACED) or \
                (step.action == UNCHANGED and step.live is not None)
            if exists_as_desired:
                runs[token] = run_digest(step.desired.obj)
            elif token in before:
                runs[token] = before[token]
        return runs

    # helpers ---------------------------------------------------------------------------------

    def _path(self, ref: Ref) -> str:
        return self.resources[(ref.group, ref.kind)].path(ref.namespace, ref.name)

    def _report(self, outcome: Outcome) -> None:
        if outcome.failed:
            self._failed.add(outcome.ref)
        self.outcomes.append(outcome)
        self.progress(outcome)


def raise_parent(group: str, response: Response) -> None:
    raise StrataError(f"cannot write the ApplySet parent of {group} (nothing else was written): {_failure(response)}")


def _failure(response: Response) -> str:
    """One line: a conflict names the other field managers and the fields; anything else, the API's message."""
    causes = (response.body.get("details") or {}).get("causes") or []
    conflicts = [c for c in causes if c.get("reason") == "FieldManagerConflict"]
    if response.status == 409 and conflicts:
        managers = sorted({m for c in conflicts for m in CONFLICT_MANAGER.findall(c.get("message", ""))})
        fields = ", ".join(c.get("field", "?") for c in conflicts)
        return (f"conflict: {fields} managed by {', '.join(managers) or 'another manager'} "
                "(--force-conflicts takes them over)")
    return f"{response.status} {response.body.get('reason') or ''}: {response.message}".replace(" :", ":")
