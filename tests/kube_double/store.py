"""The double's objects: storage, resourceVersion, uid, generation, namespaces, deletion.

- resourceVersion: one counter for the whole store, bumped by every write that changes an
  object; a no-op write changes nothing (https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions);
- generation: 1 on create, +1 when anything but metadata and status changes;
- a namespaced object needs its Namespace (else 404 `namespaces "x" not found`);
- dryRun=All runs everything and stores nothing
  (https://kubernetes.io/docs/reference/using-api/api-concepts/#dry-run);
- DELETE honours `preconditions` (uid, resourceVersion → 409), deletes a Namespace's contents
  and (background garbage collection) objects whose ownerReferences name the deleted uid
  (https://kubernetes.io/docs/concepts/architecture/garbage-collection/); with
  `terminating_reads = N` a deleted object stays visible, with a deletionTimestamp, for N reads
  (foreground deletion waits for dependants).
- built-in kinds get the server's canonical quantities (`0.5` → `500m`, `1024Mi` → `1Gi`,
  numbers → strings) and `protocol: TCP` on ports; custom resources are stored as sent.
- create (POST) with `metadata.generateName` and no name: the server appends a 5-character
  suffix, also on a dry run; neither given is 422 Invalid
  (https://kubernetes.io/docs/reference/using-api/api-concepts/#generated-values);
- every stored change is kept as a watch event (ADDED, MODIFIED, DELETED) with the
  resourceVersion it produced, for `watch.py`; only the last `event_window` events are kept,
  as etcd compacts its history.
"""
from __future__ import annotations

import copy
import threading
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from kube_double import selectors, ssa
from kube_double.resources import Kind

Key = tuple[str, str, str, str]     # group, plural, namespace, name
NAME_SUFFIX = "bcdfghjklmnpqrstvwxz2456789"   # apimachinery's rand.String alphabet (no vowels: no words)


@dataclass(frozen=True)
class Event:
    """One change, as a watch streams it."""

    revision: int
    type: str              # ADDED | MODIFIED | DELETED
    key: Key
    obj: dict
QUANTITY_PARENTS = {"limits", "requests", "hard"}
BINARY = [("Ei", 2**60), ("Pi", 2**50), ("Ti", 2**40), ("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10)]


@dataclass
class ApiError(Exception):
    code: int
    reason: str
    message: str
    details: dict = field(default_factory=dict)

    def status(self) -> dict:
        return {"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": self.message,
                "reason": self.reason, "details": self.details, "code": self.code}


@dataclass
class Store:
    kinds: list[Kind]
    objects: dict[Key, dict] = field(default_factory=dict)
    revision: int = 100
    terminating_reads: int = 0
    _lingering: dict[Key, int] = field(default_factory=dict)
    _tick: int = 0
    lock: threading.RLock = field(default_factory=threading.RLock)
    events: list[Event] = field(default_factory=list)
    event_window: int = 10_000
    closed: bool = False
    _names: int = 0
    changed: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self.changed = threading.Condition(self.lock)

    # reads ---------------------------------------------------------------------------------

    def get(self, kind: Kind, namespace: str, name: str) -> dict:
        with self.lock:
            key = self._key(kind, namespace, name)
            if key in self._lingering:
                self._lingering[key] -= 1
                if self._lingering[key] < 0:
                    self._forget(key)
            found = self.objects.get(key)
            if found is None:
                raise self._not_found(kind, name)
            return copy.deepcopy(found)

    def list(self, kind: Kind, namespace: str, selector: str) -> list[dict]:
        match = selectors.parse(selector)
        with self.lock:
            items = [o for (g, p, ns, _), o in sorted(self.objects.items())
                     if (g, p) == (kind.group, kind.plural) and (not namespace or ns == namespace)
                     and match(o["metadata"].get("labels") or {})]
            return copy.deepcopy(items)

    # writes --------------------------------------------------------------------------------

    def apply(self, kind: Kind, namespace: str, name: str, body: dict, manager: str, force: bool,
              dry_run: bool) -> tuple[int, dict]:
        with self.lock:
            self._check_body(kind, namespace, name, body)
            key = self._key(kind, namespace, name)
            live = self.objects.get(key)
            config = self._canonical(kind, body)
            merged = ssa.apply(live, config, manager, force, kind, self._now())
            return (201 if live is None else 200), self._store(kind, key, self._canonical(kind, merged), live, dry_run)

    def create(self, kind: Kind, namespace: str, body: dict, manager: str, dry_run: bool) -> dict:
        with self.lock:
            body = self._named(kind, body)
            if kind.namespaced:      # the URL's namespace, as the server fills it in
                body = {**body, "metadata": {**body["metadata"], "namespace": namespace}}
            name = (body.get("metadata") or {}).get("name", "")
            self._check_body(kind, namespace, name, body)
            key = self._key(kind, namespace, name)
            if key in self.objects:
                raise ApiError(409, "AlreadyExists", f'{kind.plural}.{kind.group or "core"} "{name}" already exists')
            obj = ssa.update(None, self._canonical(kind, body), manager, self._now())
            return self._store(kind, key, obj, None, dry_run)

    def update(self, kind: Kind, namespace: str, name: str, body: dict, manager: str, dry_run: bool,
               subresource: str = "", merge: bool = False) -> dict:
        """PUT (or, with `merge`, a JSON merge patch) by `manager`: operation Update."""
        with self.lock:
            key = self._key(kind, namespace, name)
            live = self.objects.get(key)
            if live is None:
                raise self._not_found(kind, name)
            new = ssa.merge_patch(live, body) if merge else body
            wanted_rv = (body.get("metadata") or {}).get("resourceVersion")
            if wanted_rv and wanted_rv != live["metadata"]["resourceVersion"]:
                raise ApiError(409, "Conflict", f'Operation cannot be fulfilled on {kind.plural} "{name}": the object has '
                                                "been modified; please apply your changes to the latest version and try again")
            if subresource == "status":
                new = {**copy.deepcopy(live), "status": new.get("status")}
            else:
                new = {**new, "status": live.get("status")} if "status" in live else dict(new)
            new = {**new, "apiVersion": kind.api_version, "kind": kind.kind}
            new["metadata"] = {**new.get("metadata", {}), "name": name, **({"namespace": namespace} if namespace else {})}
            obj = ssa.update(live, self._canonical(kind, new), manager, self._now(), subresource)
            return self._store(kind, key, obj, live, dry_run)

    def delete(self, kind: Kind, namespace: str, name: str, options: dict, dry_run: bool) -> tuple[int, dict]:
        with self.lock:
            key = self._key(kind, namespace, name)
            live = self.objects.get(key)
            if live is None:
                raise self._not_found(kind, name)
            meta = live["metadata"]
            for field_name, wanted in (options.get("preconditions") or {}).items():
                if wanted and meta.get(field_name) != wanted:
                    raise ApiError(409, "Conflict", f"Precondition failed: {field_name} in precondition: {wanted}, "
                                                    f"{field_name} in object meta: {meta.get(field_name)}")
            if dry_run:
                return 200, copy.deepcopy(live)
            if self.terminating_reads:
                live["metadata"]["deletionTimestamp"] = self._now()
                self._lingering[key] = self.terminating_reads
                return 202, copy.deepcopy(live)
            self._forget(key)
            return 200, {"kind": "Status", "apiVersion": "v1", "status": "Success",
                         "details": {"name": name, "kind": kind.plural, "uid": meta.get("uid")}}

    def close(self) -> None:
        """Ends every open watch (the double is shutting down)."""
        with self.lock:
            self.closed = True
            self.changed.notify_all()

    def events_after(self, revision: int) -> list[Event] | None:
        """Every event after `revision`; None when that revision was compacted away (410 Gone)."""
        with self.lock:
            if self.events and revision < self.events[0].revision - 1:
                return None
            return [e for e in self.events if e.revision > revision]

    # helpers -------------------------------------------------------------------------------

    def _named(self, kind: Kind, body: dict) -> dict:
        """A create with only `generateName` gets `<generateName><5 characters>`, as the API server does."""
        meta = body.get("metadata") or {}
        if meta.get("name"):
            return body
        prefix = meta.get("generateName")
        if not prefix:
            raise ApiError(422, "Invalid", f'{kind.kind} "" is invalid: metadata.name: Required value: name or '
                                           "generateName is required")
        self._names += 1
        number, suffix = self._names * 7919 + 104729, ""
        for _ in range(5):
            number, digit = divmod(number, len(NAME_SUFFIX))
            suffix += NAME_SUFFIX[digit]
        return {**body, "metadata": {**meta, "name": prefix + suffix}}

    def _record(self, kind_key: Key, type_: str, obj: dict) -> None:
        with self.lock:         # tests may delete through `_forget` directly
            self.events.append(Event(self.revision, type_, kind_key, copy.deepcopy(obj)))
            del self.events[:-self.event_window]
            self.changed.notify_all()

    def _store(self, kind: Kind, key: Key, obj: dict, live: dict | None, dry_run: bool) -> dict:
        obj = copy.deepcopy(obj)
        meta = obj.setdefault("metadata", {})
        if live is None:
            meta.update(uid=str(uuid.UUID(int=self.revision + 1)), creationTimestamp=self._now(), generation=1)
        else:
            for kept in ("uid", "creationTimestamp", "generation", "resourceVersion"):
                meta[kept] = live["metadata"].get(kept)
            if _spec(obj) != _spec(live):
                meta["generation"] = (live["metadata"].get("generation") or 0) + 1
        if live is not None and _comparable(obj) == _comparable(live):
            return copy.deepcopy(live)      # a no-op write: nothing stored, resourceVersion unchanged
        if dry_run:
            meta["resourceVersion"] = str(self.revision)
            return obj
        self.revision += 1
        meta["resourceVersion"] = str(self.revision)
        self.objects[key] = obj
        self._record(key, "ADDED" if live is None else "MODIFIED", obj)
        return copy.deepcopy(obj)

    def _forget(self, key: Key) -> None:
        gone = self.objects.pop(key, None)
        self._lingering.pop(key, None)
        if gone is None:
            return
        self.revision += 1
        self._record(key, "DELETED", {**gone, "metadata": {**gone["metadata"], "resourceVersion": str(self.revision)}})
        uid = gone["metadata"].get("uid")
        for other, obj in list(self.objects.items()):
            owners = obj["metadata"].get("ownerReferences") or []
            in_namespace = key[1] == "namespaces" and other[2] == key[3]
            if in_namespace or any(o.get("uid") == uid for o in owners):
                self._forget(other)

    def _check_body(self, kind: Kind, namespace: str, name: str, body: dict) -> None:
        meta = body.get("metadata") or {}
        if body.get("kind") != kind.kind or meta.get("name") != name:
            raise ApiError(400, "BadRequest", f"the body names {body.get('kind')} {meta.get('name')!r}, "
                                              f"the URL {kind.kind} {name!r}")
        if kind.namespaced and ("", "namespaces", "", namespace) not in self.objects:
            raise ApiError(404, "NotFound", f'namespaces "{namespace}" not found',
                           {"name": namespace, "kind": "namespaces"})

    def _key(self, kind: Kind, namespace: str, name: str) -> Key:
        return (kind.group, kind.plural, namespace if kind.namespaced else "", name)

    def _not_found(self, kind: Kind, name: str) -> ApiError:
        resource = f"{kind.plural}.{kind.group}" if kind.group else kind.plural
        return ApiError(404, "NotFound", f'{resource} "{name}" not found', {"name": name, "kind": kind.plural})

    def _now(self) -> str:
        self._tick += 1
        return f"2026-01-01T{self._tick // 3600 % 24:02d}:{self._tick // 60 % 60:02d}:{self._tick % 60:02d}Z"

    def _canonical(self, kind: Kind, obj: dict) -> dict:
        if not kind.builtin:
            return obj
        return _canonical(copy.deepcopy(obj), None)


def _canonical(value, key):
    if isinstance(value, dict):
        for k, v in value.items():
            value[k] = _quantity(v) if key in QUANTITY_PARENTS and not isinstance(v, (dict, list)) else _canonical(v, k)
        return value
    if isinstance(value, list):
        if key == "ports":
            for item in value:
                if isinstance(item, dict) and ("containerPort" in item or "port" in item):
                    item.setdefault("protocol", "TCP")
        return [_canonical(v, key) for v in value]
    return value


def _quantity(value):
    """The API server's canonical form, for the cases strata meets."""
    text = str(value)
    for suffix, scale in BINARY:
        if text.endswith(suffix):
            try:
                amount = Decimal(text[: -len(suffix)]) * scale
            except InvalidOperation:
                return text
            for bigger, factor in BINARY:
                if amount % factor == 0:
                    return f"{int(amount // factor)}{bigger}"
            return text
    try:
        amount = Decimal(text[:-1]) / 1000 if text.endswith("m") else Decimal(text)
    except InvalidOperation:
        return text
    if amount == amount.to_integral_value():
        return str(int(amount))
    milli = amount * 1000
    return f"{int(milli)}m" if milli == milli.to_integral_value() else text


def _spec(obj: dict) -> dict:
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}


def _comparable(obj: dict) -> dict:
    meta = dict(obj.get("metadata") or {})
    meta.pop("resourceVersion", None)
    meta["managedFields"] = [{k: v for k, v in e.items() if k != "time"} for e in meta.get("managedFields") or []]
    return {**obj, "metadata": meta}
