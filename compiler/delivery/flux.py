"""Flux objects for one environment (docs/delivery.md), from its groups and settings.

out/_delivery/flux/<env>/
  sync.yaml        the GitRepository of the environment branch and the root Kustomization that
                   applies this folder (itself included, as flux-system does): applied once by hand
  <group>.yaml     per group, a Kustomization of <env>/<group>/ with prune, wait, health checks
                   for strata's custom kinds, and dependsOn the shared objects' Kustomization

One GitRepository per environment serves every Kustomization of it: the branch is one
revision for all of them, so a source per project would clone the same commit once per
project and change nothing else.
"""
from __future__ import annotations

from typing import Any

from compiler.delivery.groups import Group
from compiler.delivery.health import flux_checks
from compiler.delivery.settings import DeliverySettings

KUSTOMIZE_API = "kustomize.toolkit.fluxcd.io/v1"
SOURCE_API = "source.toolkit.fluxcd.io/v1"
LABEL = "strata.dev"
# Flux applies every YAML file under a path: values.yaml holds an effective spec, not objects.
IGNORE = "# values.yaml files hold effective specs, not Kubernetes objects\n**/values.yaml\n"


def flux_files(settings: DeliverySettings, groups: list[Group]) -> dict[str, list[dict[str, Any]]]:
    """Relative path under out/_delivery/flux/<env>/ → its objects."""
    platform = next((g for g in groups if g.is_platform), None)
    files = {"sync.yaml": [git_repository(settings), root_kustomization(settings)]}
    for group in groups:
        depends = [] if group.is_platform or platform is None else [kustomization_name(settings, platform)]
        files[f"{group.name}.yaml"] = [kustomization(settings, group, depends)]
    return files


def kustomization_name(settings: DeliverySettings, group: Group) -> str:
    return f"{settings.env}.{group.label}"


def _meta(name: str, settings: DeliverySettings, group: Group | None = None) -> dict[str, Any]:
    labels = {f"{LABEL}/env": settings.env}
    if group is not None:
        labels[f"{LABEL}/project"] = group.label
    return {"name": name, "namespace": settings.namespace, "labels": labels}


def git_repository(settings: DeliverySettings) -> dict[str, Any]:
    spec: dict[str, Any] = {"interval": "1m", "url": settings.repo_url, "ref": {"branch": settings.branch},
                            "ignore": IGNORE}
    if settings.secret_ref:
        spec["secretRef"] = {"name": settings.secret_ref}
    return {"apiVersion": SOURCE_API, "kind": "GitRepository", "metadata": _meta(settings.env, settings), "spec": spec}


def root_kustomization(settings: DeliverySettings) -> dict[str, Any]:
    return {"apiVersion": KUSTOMIZE_API, "kind": "Kustomization", "metadata": _meta(settings.env, settings),
            "spec": {"interval": "10m", "sourceRef": {"kind": "GitRepository", "name": settings.env},
                     "path": f"./_delivery/flux/{settings.env}", "prune": settings.prune, "wait": False}}


def kustomization(settings: DeliverySettings, group: Group, depends_on: list[str]) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "interval": "10m", "retryInterval": "2m", "timeout": "10m",
        "sourceRef": {"kind": "GitRepository", "name": settings.env},
        "path": f"./{group.folder}",
        "prune": settings.prune,
        "wait": True,
    }
    if depends_on:
        spec["dependsOn"] = [{"name": name} for name in depends_on]
    checks = flux_checks(group.kinds())
    if checks:
        spec["healthCheckExprs"] = checks
    return {"apiVersion": KUSTOMIZE_API, "kind": "Kustomization",
            "metadata": _meta(kustomization_name(settings, group), settings, group), "spec": spec}
