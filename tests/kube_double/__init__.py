"""A loopback test double of the Kubernetes API server, for tests that have no cluster.

    with KubeDouble() as kube:                       # http://127.0.0.1:<port>, a thread
        config = kube.kubeconfig(tmp_path, cluster="dev-cluster")
        ...drive it with the real `kubernetes` client (strata apply --kubeconfig config)...
        kube.object("PyTorchJob", "demo-dev", "train")

It models what `strata apply` and `strata run` use — discovery, GET/LIST with label selectors,
server-side apply with field managers, managedFields and conflicts, updates by other managers,
create with generateName, dryRun=All, DELETE with preconditions and garbage collection,
resourceVersion and generation, WATCH (`watch.py`), pod logs (`pods.py`) — each module naming
the upstream document it follows (docs/delivery.md and docs/runs.md have the tables). It is not
an API server: no admission, no schema validation, no controllers (tests play the controller
through `set_status` and `add_pod`).
"""
from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from loopback import LoopbackServer

from kube_double.pods import Logs, pod
from kube_double.resources import BUILTIN, CRDS, Kind
from kube_double.server import Handler
from kube_double.store import Store

__all__ = ["BUILTIN", "CRDS", "Kind", "KubeDouble"]


class KubeDouble(LoopbackServer):
    def __init__(self, kinds: list[Kind] | None = None, *, without: tuple[str, ...] = ()):
        """`without`: kinds (`PyTorchJob`) or group versions (`kubeflow.org/v1`) that are not installed."""
        chosen = [k for k in (kinds or BUILTIN + CRDS) if k.kind not in without and k.api_version not in without]
        self.kinds = chosen
        self.store = Store(chosen)
        self.logs = Logs()
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self._lock = threading.Lock()
        self._listen(Handler)

    def __exit__(self, *exc) -> None:
        self.store.close()         # ends open watches
        super().__exit__(*exc)

    # what tests use ----------------------------------------------------------------------

    def kubeconfig(self, folder: Path, *, cluster: str = "dev-cluster", context: str = "ci",
                   server: str | None = None) -> Path:
        """A kubeconfig whose (current) context `context` points at this double as cluster `cluster`."""
        path = folder / f"kubeconfig-{context}"
        path.write_text(yaml.safe_dump({
            "apiVersion": "v1", "kind": "Config", "current-context": context,
            "clusters": [{"name": cluster, "cluster": {"server": server or self.url}}],
            "contexts": [{"name": context, "context": {"cluster": cluster, "user": "ci"}}],
            "users": [{"name": "ci", "user": {"token": "test-token"}}],
        }))
        return path

    def record(self, method: str, path: str, query: dict[str, str]) -> None:
        with self._lock:
            self.requests.append((method, path, query))

    def counts(self, *, dry_run: bool | None = None) -> Counter:
        with self._lock:
            return Counter(m for m, _, q in self.requests if dry_run is None or (q.get("dryRun") == "All") == dry_run)

    def writes(self) -> list[tuple[str, str, dict[str, str]]]:
        """Requests that change something (dry runs excluded)."""
        with self._lock:
            return [r for r in self.requests if r[0] in ("POST", "PUT", "PATCH", "DELETE") and r[2].get("dryRun") != "All"]

    def reset_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    def kind(self, kind: str, group: str | None = None) -> Kind:
        return next(k for k in self.kinds if k.kind == kind and (group is None or k.group == group))

    def object(self, kind: str, namespace: str, name: str, group: str | None = None) -> dict | None:
        k = self.kind(kind, group)
        return self.store.objects.get((k.group, k.plural, namespace if k.namespaced else "", name))

    def objects(self, kind: str, group: str | None = None) -> list[dict]:
        k = self.kind(kind, group)
        return [o for (g, p, _, _), o in sorted(self.store.objects.items()) if (g, p) == (k.group, k.plural)]

    def create(self, obj: dict, manager: str = "kubectl-create") -> dict:
        """An object made by someone else (operation Update, as `kubectl create` does)."""
        k = self.kind(obj["kind"], obj["apiVersion"].rsplit("/", 1)[0] if "/" in obj["apiVersion"] else "")
        return self.store.create(k, obj["metadata"].get("namespace", ""), obj, manager, False)

    def apply_as(self, obj: dict, manager: str, force: bool = False) -> dict:
        k = self.kind(obj["kind"], obj["apiVersion"].rsplit("/", 1)[0] if "/" in obj["apiVersion"] else "")
        meta = obj["metadata"]
        return self.store.apply(k, meta.get("namespace", ""), meta["name"], obj, manager, force, False)[1]

    def edit(self, kind: str, namespace: str, name: str, patch: dict, manager: str = "kubectl-edit") -> dict:
        """A merge patch by another manager (drift: `kubectl edit`, `kubectl patch`)."""
        return self.store.update(self.kind(kind), namespace, name, patch, manager, False, merge=True)

    def set_status(self, kind: str, namespace: str, name: str, status: dict, manager: str = "controller") -> dict:
        """A controller writing the status subresource (moves resourceVersion, not generation)."""
        return self.store.update(self.kind(kind), namespace, name, {"status": status}, manager, False, "status",
                                 merge=True)

    def add_pod(self, namespace: str, name: str, *, logs: dict[str, str] | None = None, **details) -> dict:
        """A pod as its controller made it and the kubelet reports it (`pods.pod`), with what each
        container printed (`logs`: container → text)."""
        for container, text in (logs or {}).items():
            self.logs.text[(namespace, name, container)] = text
        if logs and "containers" not in details:
            details["containers"] = tuple(logs)
        return self.store.create(self.kind("Pod"), namespace, pod(namespace, name, **details), "kubelet", False)

    # discovery -----------------------------------------------------------------------------

    def served(self, group: str, version: str, plural: str) -> Kind | None:
        return next((k for k in self.kinds if (k.group, k.version, k.plural) == (group, version, plural)), None)

    def discovery(self, path: str) -> dict[str, Any] | None:
        parts = [p for p in path.split("/") if p]
        if parts == ["api"]:
            return {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}
        if parts == ["apis"]:
            return {"kind": "APIGroupList", "apiVersion": "v1", "groups": self._groups()}
        if parts == ["api", "v1"]:
            return self._resource_list("", "v1")
        if len(parts) == 3 and parts[0] == "apis":
            found = self._resource_list(parts[1], parts[2])
            if not found["resources"]:
                from kube_double.store import ApiError
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            return found
        return None

    def _groups(self) -> list[dict]:
        groups: dict[str, list[str]] = {}
        for k in self.kinds:
            if k.group and k.version not in groups.setdefault(k.group, []):
                groups[k.group].append(k.version)
        return [{"name": g, "versions": [{"groupVersion": f"{g}/{v}", "version": v} for v in versions],
                 "preferredVersion": {"groupVersion": f"{g}/{versions[0]}", "version": versions[0]}}
                for g, versions in sorted(groups.items())]

    def _resource_list(self, group: str, version: str) -> dict:
        resources = []
        for k in self.kinds:
            if (k.group, k.version) != (group, version):
                continue
            verbs = ["create", "delete", "get", "list", "patch", "update", "watch"]
            resources.append({"name": k.plural, "singularName": k.kind.lower(), "namespaced": k.namespaced,
                              "kind": k.kind, "verbs": verbs})
            if k.kind == "Pod":
                resources.append({"name": "pods/log", "singularName": "", "namespaced": True, "kind": "Pod",
                                  "verbs": ["get"]})
            if k.status:
                resources.append({"name": f"{k.plural}/status", "singularName": "", "namespaced": k.namespaced,
                                  "kind": k.kind, "verbs": ["get", "patch", "update"]})
        return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": f"{group}/{version}" if group else version,
                "resources": resources}
