"""Argo CD objects for one environment (docs/delivery.md), from its groups and settings.

out/_delivery/argocd/<env>/
  bootstrap.yaml     root AppProject + root Application (app of apps), applied once by hand
  argocd-cm.yaml     health checks for strata's custom kinds: a patch for the argocd-cm ConfigMap
  apps/<group>.yaml  per group: its AppProject, and one Application per cluster
  apps/applicationset.yaml, fleet/<group>.json
                     fleet mode instead of the Applications: one ApplicationSet (git files ×
                     clusters generators, RollingSync by ring) reading the fleet/ parameter files

Least privilege: a group's AppProject permits the rendered repository, exactly its
namespaces on the environment's clusters, exactly the namespaced kinds it emits and, by
name, exactly the cluster-scoped objects it emits.
"""
from __future__ import annotations

import json
from typing import Any

from compiler.delivery.annotate import SYNC_WAVE
from compiler.delivery.groups import Group
from compiler.delivery.health import argocd_checks
from compiler.delivery.settings import DeliverySettings, slug
from compiler.kinds import PLATFORM_RANK, PROJECT_RANK
from compiler.order import RUN_KINDS
from schemas.environment import Cluster

API = "argoproj.io/v1alpha1"
IN_CLUSTER = "https://kubernetes.default.svc"
RESOURCES_FINALIZER = "resources-finalizer.argocd.argoproj.io"
# Argo CD reads only these files of a group's folder: values.yaml holds an effective spec, not objects.
INCLUDE = "{*manifests.yaml,project.yaml}"
PROJECT_WAVE = -1          # AppProjects before the Applications that name them
KUEUE_SUSPEND = {"batch": "/spec/suspend", "kubeflow.org": "/spec/runPolicy/suspend"}
LABEL = "strata.dev"


def argocd_files(settings: DeliverySettings, groups: list[Group], scheduler: str) -> dict[str, Any]:
    """Relative path under out/_delivery/argocd/<env>/ → a list of objects, or a dict written as JSON."""
    files: dict[str, Any] = {
        "bootstrap.yaml": [root_project(settings), root_application(settings)],
        "argocd-cm.yaml": [health_patch(settings)],
    }
    for group in groups:
        apps = [] if settings.fleet else [application(settings, group, c, scheduler) for c in settings.clusters]
        files[f"apps/{group.name}.yaml"] = [app_project(settings, group), *apps]
    if settings.fleet:
        files["apps/applicationset.yaml"] = [application_set(settings, groups, scheduler)]
        files.update({f"fleet/{group.name}.json": fleet_parameters(settings, group) for group in groups})
    return files


# --- names and labels ----------------------------------------------------------------------------

def project_name(settings: DeliverySettings, group: Group) -> str:
    return f"{settings.env}.{group.label}"


def application_name(settings: DeliverySettings, group: Group, cluster: Cluster) -> str:
    return f"{settings.env}.{group.label}.{slug(cluster.name)}"


def _labels(settings: DeliverySettings, group: Group | None = None, **more: str) -> dict[str, str]:
    labels = {f"{LABEL}/env": settings.env}
    if group is not None:
        labels[f"{LABEL}/project"] = group.label
    labels.update({f"{LABEL}/{k}": v for k, v in more.items()})
    return labels


def _meta(name: str, settings: DeliverySettings, labels: dict[str, str], **annotations: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": settings.namespace, "labels": labels}
    if annotations:
        meta["annotations"] = annotations
    return meta


def _destination(cluster: Cluster, namespace: str) -> dict[str, str]:
    """By server URL when the environment names one (a name is Argo CD's own label for a cluster)."""
    found = {"server": cluster.server} if cluster.server else {"name": cluster.name}
    if namespace:
        found["namespace"] = namespace
    return found


def _wave(group: Group) -> str:
    return str(PLATFORM_RANK if group.is_platform else PROJECT_RANK)


# --- AppProjects -----------------------------------------------------------------------------------

def app_project(settings: DeliverySettings, group: Group) -> dict[str, Any]:
    namespaces = group.namespaces() or [""]
    spec: dict[str, Any] = {
        "description": f"strata: {_what(group)} in {settings.env} (generated from the config repository)",
        "sourceRepos": [settings.repo_url],
        "destinations": [_destination(c, ns) for c in settings.clusters for ns in namespaces],
    }
    cluster_objects = group.cluster_objects()
    if cluster_objects:
        spec["clusterResourceWhitelist"] = [{"group": g, "kind": k, "name": n} for g, k, n in cluster_objects]
    namespaced = group.namespaced_kinds()
    if namespaced:
        spec["namespaceResourceWhitelist"] = [{"group": g, "kind": k} for g, k in namespaced]
    else:   # an empty whitelist would mean "any": deny every namespaced kind instead
        spec["namespaceResourceBlacklist"] = [{"group": "*", "kind": "*"}]
    return {"apiVersion": API, "kind": "AppProject",
            "metadata": _meta(project_name(settings, group), settings, _labels(settings, group),
                              **{SYNC_WAVE: str(PROJECT_WAVE)}),
            "spec": spec}


def _what(group: Group) -> str:
    return "the environment's shared objects" if group.is_platform else f"project {group.name}"


# --- Applications ----------------------------------------------------------------------------------

def _app_metadata(settings: DeliverySettings, name: str, labels: dict[str, str], wave: str) -> dict[str, Any]:
    meta = _meta(name, settings, labels, **{
        # refresh only when this folder changes on the branch (Argo CD's monorepo scaling)
        "argocd.argoproj.io/manifest-generate-paths": ".",
        # compare what strata sets, as the API server would apply it: no drift from defaulted fields
        "argocd.argoproj.io/compare-options": "ServerSideDiff=true",
        SYNC_WAVE: wave})
    if not settings.production:
        meta["finalizers"] = [RESOURCES_FINALIZER]    # deleting the Application deletes what it deployed
    return meta


def _source(settings: DeliverySettings, path: str) -> dict[str, Any]:
    return {"repoURL": settings.repo_url, "targetRevision": settings.revision, "path": path,
            "directory": {"recurse": True, "include": INCLUDE}}


def _sync_policy(settings: DeliverySettings, respect_ignored: bool, automated: bool | None = None) -> dict[str, Any]:
    options = ["ServerSideApply=true",
               # only objects that differ are synced: an unchanged job is never replaced (it would run again)
               "ApplyOutOfSyncOnly=true",
               "FailOnSharedResource=true"]
    if respect_ignored:
        options.append("RespectIgnoreDifferences=true")
    policy: dict[str, Any] = {}
    if settings.automated if automated is None else automated:
        policy["automated"] = {"prune": settings.prune, "selfHeal": settings.self_heal}
    policy["syncOptions"] = options
    policy["retry"] = {"limit": 5, "backoff": {"duration": "30s", "factor": 2, "maxDuration": "10m"}}
    return policy


def ignore_differences(group: Group, scheduler: str) -> list[dict[str, Any]]:
    """Kueue admits a job by setting `suspend: false` on it: never put it back."""
    if scheduler != "kueue":
        return []
    kinds = sorted({(g, k) for g, k in group.namespaced_kinds() if (g, k) in RUN_KINDS})
    return [{"group": g, "kind": k, "jsonPointers": [KUEUE_SUSPEND[g]]} for g, k in kinds]


def application(settings: DeliverySettings, group: Group, cluster: Cluster, scheduler: str) -> dict[str, Any]:
    labels = {**cluster.labels, **_labels(settings, group, cluster=slug(cluster.name), ring=str(cluster.ring))}
    ignored = ignore_differences(group, scheduler)
    spec: dict[str, Any] = {
        "project": project_name(settings, group),
        "source": _source(settings, group.folder),
        "destination": _destination(cluster, group.namespace),
        "syncPolicy": _sync_policy(settings, bool(ignored)),
    }
    if ignored:
        spec["ignoreDifferences"] = ignored
    return {"apiVersion": API, "kind": "Application",
            "metadata": _app_metadata(settings, application_name(settings, group, cluster), labels, _wave(group)),
            "spec": spec}


# --- the root: app of apps -------------------------------------------------------------------------

def _apps_path(settings: DeliverySettings) -> str:
    return f"_delivery/argocd/{settings.env}/apps"


def root_project(settings: DeliverySettings) -> dict[str, Any]:
    kinds = ["AppProject", "Application"] + (["ApplicationSet"] if settings.fleet else [])
    return {"apiVersion": API, "kind": "AppProject",
            "metadata": _meta(settings.env, settings, _labels(settings)),
            "spec": {"description": f"strata: the Argo CD objects of {settings.env} (generated)",
                     "sourceRepos": [settings.repo_url],
                     "destinations": [{"server": IN_CLUSTER, "namespace": settings.namespace}],
                     "namespaceResourceWhitelist": [{"group": "argoproj.io", "kind": k} for k in kinds]}}


def root_application(settings: DeliverySettings) -> dict[str, Any]:
    """Never the resources finalizer: deleting the root must not cascade to every workload."""
    return {"apiVersion": API, "kind": "Application",
            "metadata": _meta(settings.env, settings, _labels(settings)),
            "spec": {"project": settings.env,
                     "source": {"repoURL": settings.repo_url, "targetRevision": settings.revision,
                                "path": _apps_path(settings)},
                     "destination": {"server": IN_CLUSTER, "namespace": settings.namespace},
                     "syncPolicy": _sync_policy(settings, False)}}


# --- health checks ---------------------------------------------------------------------------------

def health_patch(settings: DeliverySettings) -> dict[str, Any]:
    """A strategic-merge patch of argocd-cm (apply it with the Argo CD installation, not with an
    Application: an Application owning argocd-cm could prune it)."""
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "argocd-cm", "namespace": settings.namespace,
                         "labels": {"app.kubernetes.io/name": "argocd-cm", "app.kubernetes.io/part-of": "argocd"}},
            "data": {check.argocd_key: check.script() for check in argocd_checks()}}


# --- fleet mode ------------------------------------------------------------------------------------

def fleet_parameters(settings: DeliverySettings, group: Group) -> dict[str, str]:
    """One git-files-generator element: strings only (ApplicationSet templates substitute strings)."""
    return {"project": group.label, "appProject": project_name(settings, group), "sourcePath": group.folder,
            "namespace": group.namespace, "wave": _wave(group)}


def application_set(settings: DeliverySettings, groups: list[Group], scheduler: str) -> dict[str, Any]:
    rings = sorted({c.ring for c in settings.clusters})
    ignored = sorted({json.dumps(item, sort_keys=True) for g in groups for item in ignore_differences(g, scheduler)})
    labels = {f"{LABEL}/env": settings.env, f"{LABEL}/project": "{{.project}}",
              f"{LABEL}/cluster": "{{.nameNormalized}}",
              f"{LABEL}/ring": '{{index .metadata.labels "strata.dev/ring"}}'}
    template_meta = _app_metadata(settings, f"{settings.env}.{{{{.project}}}}.{{{{.nameNormalized}}}}", labels,
                                  "{{.wave}}")
    del template_meta["namespace"]
    template_spec: dict[str, Any] = {
        "project": "{{.appProject}}",
        "source": _source(settings, "{{.sourcePath}}"),
        "destination": {"server": "{{.server}}", "namespace": "{{.namespace}}"},
        # RollingSync syncs step by step and turns automated sync off on the Applications it manages
        "syncPolicy": _sync_policy(settings, bool(ignored), automated=False),
    }
    if ignored:
        template_spec["ignoreDifferences"] = [json.loads(item) for item in ignored]
    return {
        "apiVersion": API, "kind": "ApplicationSet",
        "metadata": _meta(settings.env, settings, _labels(settings), **{SYNC_WAVE: str(PLATFORM_RANK)}),
        "spec": {
            "goTemplate": True,
            "goTemplateOptions": ["missingkey=error"],
            "generators": [{"matrix": {"generators": [
                {"git": {"repoURL": settings.repo_url, "revision": settings.revision,
                         "files": [{"path": f"_delivery/argocd/{settings.env}/fleet/*.json"}]}},
                {"clusters": {"selector": {"matchLabels": {f"{LABEL}/env": settings.env}}}},
            ]}}],
            "strategy": {"type": "RollingSync", "rollingSync": {"steps": [
                {"matchExpressions": [{"key": f"{LABEL}/ring", "operator": "In", "values": [str(ring)]}]}
                for ring in rings]}},
            # a generator that stops matching deletes Applications, never what they deployed
            "syncPolicy": {"applicationsSync": "create-update", "preserveResourcesOnDeletion": True},
            "template": {"metadata": template_meta, "spec": template_spec},
        }}
