"""The HTTP side: Kubernetes REST paths → the store, JSON in and out, Status objects for errors.

Paths (https://kubernetes.io/docs/reference/using-api/api-concepts/):
`/api/v1[/namespaces/{ns}]/{plural}[/{name}[/status]]`, `/apis/{group}/{version}[/namespaces/{ns}]/{plural}[...]`.
Verbs: GET (one object, or a LIST with `labelSelector`, `limit`/`continue` chunking; list items carry no
apiVersion/kind), POST (create), PUT (update), PATCH (`application/apply-patch+yaml` server-side apply with
`fieldManager` and `force`; `application/merge-patch+json` and `strategic-merge-patch+json`, both as JSON
merge patch), DELETE (DeleteOptions body), each write with `dryRun=All`; GET with `watch=true` streams changes
(`watch.py`); GET `pods/{name}/log` answers a container's log as text (`pods.py`).
"""
from __future__ import annotations

import base64
import json
from typing import Any

import loopback
import yaml

from kube_double import watch
from kube_double.resources import Kind
from kube_double.ssa import Conflict
from kube_double.store import ApiError


class Handler(loopback.Handler):
    def _handle(self, method: str) -> None:
        path, query, raw = self._request(method)
        try:
            if method == "GET" and watch.wanted(query):
                kind, namespace, _, _ = self._resource(path)
                watch.stream(self, self.double.store, kind, namespace, query)
                return
            code, body = self._route(method, path, query, raw)
        except Conflict as conflict:
            code, body = 409, conflict.status()
        except ApiError as error:
            code, body = error.code, error.status()
        self._answer(code, body)

    def _route(self, method: str, path: str, query: dict[str, str], raw: bytes) -> tuple[int, Any]:
        discovery = self.double.discovery(path)
        if discovery is not None:
            if method != "GET":
                raise ApiError(405, "MethodNotAllowed", "discovery is read-only")
            return 200, discovery
        kind, namespace, name, subresource = self._resource(path)
        store, dry_run = self.double.store, query.get("dryRun") == "All"
        manager = query.get("fieldManager") or self.headers.get("User-Agent", "unknown").split("/")[0]
        if method == "GET" and not name:
            return 200, self._list(kind, namespace, query)
        if method == "GET" and subresource == "log" and kind.kind == "Pod":
            return 200, self.double.logs.read(store.get(kind, namespace, name), query)
        if method == "GET":
            return 200, store.get(kind, namespace, name)
        body = _body(raw, self.headers.get("Content-Type", ""))
        if method == "POST" and not name:
            return 201, store.create(kind, namespace, body, manager, dry_run)
        if method == "PUT":
            return 200, store.update(kind, namespace, name, body, manager, dry_run, subresource)
        if method == "PATCH":
            content_type = self.headers.get("Content-Type", "").split(";")[0].strip()
            if content_type == "application/apply-patch+yaml":
                if not query.get("fieldManager"):
                    raise ApiError(422, "Invalid", "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required "
                                                   "value: is required for apply patch")
                return store.apply(kind, namespace, name, body, query["fieldManager"], query.get("force") == "true",
                                   dry_run)
            if content_type in ("application/merge-patch+json", "application/strategic-merge-patch+json"):
                return 200, store.update(kind, namespace, name, body, manager, dry_run, subresource, merge=True)
            raise ApiError(415, "UnsupportedMediaType", f"the body of the request was in an unknown format: {content_type}")
        if method == "DELETE" and name:
            return store.delete(kind, namespace, name, body or {}, dry_run)
        raise ApiError(405, "MethodNotAllowed", f"{method} is not supported on {path}")

    def _resource(self, path: str) -> tuple[Kind, str, str, str]:
        parts = [p for p in path.split("/") if p]
        if parts[:2] == ["api", "v1"]:
            group, version, rest = "", "v1", parts[2:]
        elif parts[:1] == ["apis"] and len(parts) >= 3:
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            raise ApiError(404, "NotFound", f"the server could not find the requested resource ({path})")
        namespace = ""
        if len(rest) >= 3 and rest[0] == "namespaces":
            namespace, rest = rest[1], rest[2:]
        kind = self.double.served(group, version, rest[0] if rest else "")
        if kind is None:
            raise ApiError(404, "NotFound", f"the server could not find the requested resource ({path})")
        name = rest[1] if len(rest) > 1 else ""
        subresource = rest[2] if len(rest) > 2 else ""
        return kind, namespace, name, subresource

    def _list(self, kind: Kind, namespace: str, query: dict[str, str]) -> dict:
        items = self.double.store.list(kind, namespace, query.get("labelSelector", ""))
        start = int(base64.urlsafe_b64decode(query["continue"]).decode()) if query.get("continue") else 0
        limit = int(query.get("limit") or 0) or len(items) or 1
        page, rest = items[start:start + limit], items[start + limit:]
        meta: dict[str, Any] = {"resourceVersion": str(self.double.store.revision)}
        if rest:
            meta["continue"] = base64.urlsafe_b64encode(str(start + limit).encode()).decode()
        for item in page:     # list items carry no apiVersion/kind
            item.pop("apiVersion", None)
            item.pop("kind", None)
        return {"kind": f"{kind.kind}List", "apiVersion": kind.api_version, "metadata": meta, "items": page}


def _body(raw: bytes, content_type: str) -> Any:
    if not raw:
        return None
    try:
        return yaml.safe_load(raw) if "yaml" in content_type else json.loads(raw)
    except (ValueError, yaml.YAMLError) as error:
        raise ApiError(400, "BadRequest", f"cannot decode the body: {error}") from None
