"""`--wait`: follow a run until it finishes.

Through the Kubernetes API the run is WATCHed by name from the resourceVersion its create
returned; a watch the server ends is resumed from the last version seen, and a `410 Gone`
(the version was compacted away) is answered by a GET and a new watch, as client-go's
reflector does. Through the Argo Server the Workflow is read with `get` at a growing
interval (0.2 s doubling to 2 s). Either way the caller sees each new state once.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from compiler.apply.discovery import Resource
from compiler.apply.kube import Kube
from compiler.errors import StrataError
from compiler.run.status import progress

WATCH_SECONDS = 300
FIRST_POLL, LONGEST_POLL = 0.2, 2.0


def follow(snapshots: Iterator[dict[str, Any]], on_change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """The run's last state, once it succeeded or failed; `on_change` sees every state on the way."""
    for obj in snapshots:
        on_change(obj)
        if progress(obj).done:
            return obj
    raise StrataError("the run's updates stopped before it finished")   # the generators below never end


def kube_snapshots(kube: Kube, resource: Resource, first: dict[str, Any]) -> Iterator[dict[str, Any]]:
    namespace, name = first["metadata"].get("namespace", ""), first["metadata"]["name"]
    version = first["metadata"].get("resourceVersion") or "0"
    yield first
    while True:
        query = {"fieldSelector": f"metadata.name={name}", "resourceVersion": version}
        for event in kube.watch(resource.path(namespace), query, WATCH_SECONDS):
            kind, obj = event.get("type"), event.get("object") or {}
            if kind == "ERROR" and obj.get("code") == 410:
                found = kube.get(resource.path(namespace, name))
                if not found.ok:
                    raise StrataError(f"{resource.kind} {namespace}/{name}: {found.message}")
                obj = found.body
            elif kind == "ERROR":
                raise StrataError(f"watching {resource.kind} {namespace}/{name}: {obj.get('message') or obj}")
            elif kind == "DELETED":
                raise StrataError(f"{resource.kind} {namespace}/{name} was deleted before it finished")
            version = obj["metadata"].get("resourceVersion") or version
            yield obj
            if kind == "ERROR":
                break       # watch again from the version just read


def argo_snapshots(argo: Any, first: dict[str, Any], sleep: Callable[[float], None]) -> Iterator[dict[str, Any]]:
    namespace, name = first["metadata"].get("namespace", ""), first["metadata"]["name"]
    delay = FIRST_POLL
    yield first
    while True:
        sleep(delay)
        delay = min(delay * 2, LONGEST_POLL)
        yield argo.get(namespace, name)
