"""What an environment's delivery engine needs written on each object (docs/delivery.md).

Argo CD:
- `argocd.argoproj.io/sync-wave`: the object's stage in apply order (compiler/order.py),
  so Argo CD applies and waits in the order `strata apply` uses;
- run-to-completion objects (training jobs, Jobs): `Force=true,Replace=true`, so a changed job
  is deleted and created again (its pod template is immutable, an operator ignores edits); the
  Applications sync only out-of-sync objects, so an unchanged job is never touched;
- objects that hold data (Namespaces, claims, volumes, Fluid Datasets): `Prune=confirm,Delete=confirm`,
  the counterpart of apply's --allow-delete-data;
- in fleet mode, objects of the last stage do not count towards the Application's health, so
  a queued job or a stopped notebook cannot hold a RollingSync step forever.

Flux:
- run-to-completion objects: `kustomize.toolkit.fluxcd.io/ssa: IfNotPresent` (created once, never
  re-applied: no fight with Kueue over `suspend`, no silent edit of a running job);
- objects that hold data: `kustomize.toolkit.fluxcd.io/prune: Disabled`.

Objects are copied, never changed in place.
"""
from __future__ import annotations

from typing import Any

from compiler.order import holds_data, last_stage, runs_to_completion, stage_of
from compiler.targets import Env

SYNC_WAVE = "argocd.argoproj.io/sync-wave"
SYNC_OPTIONS = "argocd.argoproj.io/sync-options"
IGNORE_HEALTH = "argocd.argoproj.io/ignore-healthcheck"
FLUX_SSA = "kustomize.toolkit.fluxcd.io/ssa"
FLUX_PRUNE = "kustomize.toolkit.fluxcd.io/prune"

RUN_SYNC_OPTIONS = "Force=true,Replace=true"
DATA_SYNC_OPTIONS = "Prune=confirm,Delete=confirm"


def sync_wave(obj: dict[str, Any]) -> int:
    return stage_of(obj.get("apiVersion", ""), obj.get("kind", ""))


def engine_annotations(obj: dict[str, Any], engine: str, fleet: bool = False) -> dict[str, str]:
    """The annotations `engine` needs on `obj` (none for `ci`)."""
    api_version, kind = obj.get("apiVersion", ""), obj.get("kind", "")
    found: dict[str, str] = {}
    if engine == "argocd":
        found[SYNC_WAVE] = str(sync_wave(obj))
        if runs_to_completion(obj):
            found[SYNC_OPTIONS] = RUN_SYNC_OPTIONS
        elif holds_data(api_version, kind):
            found[SYNC_OPTIONS] = DATA_SYNC_OPTIONS
        if fleet and last_stage(api_version, kind):
            found[IGNORE_HEALTH] = "true"
    elif engine == "flux":
        if runs_to_completion(obj):
            found[FLUX_SSA] = "IfNotPresent"
        elif holds_data(api_version, kind):
            found[FLUX_PRUNE] = "Disabled"
    return found


def for_delivery(env: Env, objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`objects` with the annotations the environment's delivery engine needs."""
    delivery = env.settings.delivery
    if delivery.engine == "ci":
        return objects
    fleet = delivery.fleet == "applicationset"
    return [_annotated(obj, engine_annotations(obj, delivery.engine, fleet)) for obj in objects]


def _annotated(obj: dict[str, Any], extra: dict[str, str]) -> dict[str, Any]:
    if not extra:
        return obj
    meta = dict(obj.get("metadata") or {})
    meta["annotations"] = {**(meta.get("annotations") or {}), **extra}
    return {**obj, "metadata": meta}
