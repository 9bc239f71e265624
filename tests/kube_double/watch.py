"""WATCH: a LIST path with `watch=true` streams the changes of the objects it selects.

Follows https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes
and #watch-bookmarks / #semantics-for-watch:
- the response is chunked, one JSON `{"type": ADDED|MODIFIED|DELETED|ERROR, "object": ...}` per line;
- `resourceVersion` unset or "0": first a synthetic ADDED for every object that matches now
  ("get state and start at most recent"), then the changes after it;
- `resourceVersion=N`: every change after N; a version older than the kept history is answered
  with one ERROR event holding a Status 410 Expired ("too old resource version"), after which a
  client lists again;
- `fieldSelector` `metadata.name=` / `metadata.namespace=` and `labelSelector` filter the events;
- `timeoutSeconds` ends the stream (the server always ends watches after a while: clients
  re-watch from the last resourceVersion they saw).
Not modelled: bookmarks, `sendInitialEvents`, `resourceVersionMatch`.
"""
from __future__ import annotations

import copy
import json
import time
from typing import Any

from kube_double import selectors
from kube_double.resources import Kind
from kube_double.store import Event, Store

DEFAULT_TIMEOUT = 30.0


def wanted(query: dict[str, str]) -> bool:
    return query.get("watch") in ("true", "1")


def stream(handler: Any, store: Store, kind: Kind, namespace: str, query: dict[str, str]) -> None:
    """Write the watch response to `handler` (a BaseHTTPRequestHandler) until the timeout."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    match = _matcher(kind, namespace, query)
    deadline = time.monotonic() + float(query.get("timeoutSeconds") or DEFAULT_TIMEOUT)
    start = query.get("resourceVersion") or "0"
    try:
        if start == "0":
            with store.lock:
                revision = store.revision
                current = [copy.deepcopy(o) for k, o in sorted(store.objects.items()) if match(k, o)]
            for obj in current:
                _send(handler, {"type": "ADDED", "object": obj})
        else:
            revision = int(start)
        while True:
            events = store.events_after(revision)
            if events is None:
                _send(handler, {"type": "ERROR", "object": _gone(revision)})
                break
            for event in events:
                revision = event.revision
                if match(event.key, event.obj):
                    _send(handler, {"type": event.type, "object": event.obj})
            remaining = deadline - time.monotonic()
            if remaining <= 0 or store.closed:
                break
            with store.lock:
                if store.revision == revision and not store.closed:
                    store.changed.wait(min(remaining, 1.0))
        _chunk(handler, b"")
    except (BrokenPipeError, ConnectionResetError):
        pass


def _matcher(kind: Kind, namespace: str, query: dict[str, str]):
    labels = selectors.parse(query.get("labelSelector", ""))
    fields = dict(part.split("=", 1) for part in (query.get("fieldSelector") or "").split(",") if "=" in part)
    name = fields.get("metadata.name")
    namespace = fields.get("metadata.namespace", namespace)

    def match(key, obj: dict) -> bool:
        group, plural, ns, object_name = key
        return ((group, plural) == (kind.group, kind.plural) and (not namespace or ns == namespace)
                and (name is None or object_name == name) and labels(obj["metadata"].get("labels") or {}))
    return match


def _gone(revision: int) -> dict:
    return {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Expired", "code": 410,
            "message": f"too old resource version: {revision}"}


def _send(handler: Any, event: dict) -> None:
    _chunk(handler, json.dumps(event).encode() + b"\n")


def _chunk(handler: Any, data: bytes) -> None:
    handler.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
    handler.wfile.flush()


__all__ = ["Event", "stream", "wanted"]
