"""HTTP to one Kubernetes API server, through the official client's ApiClient.

Only the generic transport of `kubernetes.client.ApiClient` is used (authentication,
TLS, proxies from the kubeconfig); bodies stay plain JSON, so any kind — built-in or
custom — goes through the same few calls (apply's GET/LIST/PATCH/DELETE, run's POST,
WATCH and pod logs). Requests are counted per method for the benchmark and the tests
("an unchanged object costs no write").
"""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from compiler import __version__
from compiler.apply.applyset import FIELD_MANAGER
from compiler.errors import StrataError

TIMEOUT = (10, 120)          # seconds: connect, read
PAGE = 500                   # LIST in chunks (limit/continue), as kubectl does
APPLY_PATCH = "application/apply-patch+yaml"   # JSON is YAML: the body is sent as JSON


@dataclass(frozen=True)
class Context:
    """The kubeconfig context apply talks through."""

    name: str
    cluster: str           # the context's cluster entry
    server: str


@dataclass(frozen=True)
class Response:
    status: int
    body: dict[str, Any]

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def message(self) -> str:
        return str(self.body.get("message") or self.body.get("reason") or f"HTTP {self.status}")


@dataclass
class Kube:
    client: Any                              # kubernetes.client.ApiClient
    context: Context
    requests: Counter = field(default_factory=Counter)

    def get(self, path: str, query: dict[str, str] | None = None) -> Response:
        return self._call("GET", path, query)

    def apply(self, path: str, obj: dict, *, force: bool = False, dry_run: bool = False) -> Response:
        """Server-side apply (PATCH application/apply-patch+yaml) as field manager `strata`."""
        query = {"fieldManager": FIELD_MANAGER, "fieldValidation": "Strict"}
        if force:
            query["force"] = "true"
        if dry_run:
            query["dryRun"] = "All"
        return self._call("PATCH", path, query, obj, APPLY_PATCH)

    def delete(self, path: str, *, uid: str | None = None, resource_version: str | None = None,
               dry_run: bool = False) -> Response:
        """Delete with foreground propagation; the preconditions make sure it is still the object we looked at."""
        options: dict[str, Any] = {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": "Foreground"}
        if uid or resource_version:
            options["preconditions"] = {k: v for k, v in (("uid", uid), ("resourceVersion", resource_version)) if v}
        return self._call("DELETE", path, {"dryRun": "All"} if dry_run else None, options, "application/json")

    def create(self, path: str, obj: dict, *, dry_run: bool = False) -> Response:
        """POST a new object (with `metadata.generateName` the server picks the name), as field manager `strata`."""
        query = {"fieldManager": FIELD_MANAGER, "fieldValidation": "Strict"}
        if dry_run:
            query["dryRun"] = "All"
        return self._call("POST", path, query, obj)

    def text(self, path: str, query: dict[str, str] | None = None) -> tuple[int, str]:
        """(status, body as text) of a GET whose answer is not JSON (pods/log)."""
        response = self._send("GET", path, query, None, "application/json", TIMEOUT)
        data = _read(response, self.context)
        return response.status, data.decode("utf-8", "replace")

    def watch(self, path: str, query: dict[str, str], timeout: int) -> Iterator[dict]:
        """The events of a WATCH of `path` (`{"type", "object"}`), until the server ends the stream
        after `timeout` seconds; the caller watches again from the last resourceVersion it saw."""
        import urllib3

        query = {**query, "watch": "true", "timeoutSeconds": str(timeout)}
        response = self._send("GET", path, query, None, "application/json", (TIMEOUT[0], timeout + 30))
        if response.status != 200:
            failed = Response(response.status, _json(_read(response, self.context)))
            raise StrataError(f"watching {path} on {self.context.server}: {failed.message}")
        pending = b""
        try:
            for chunk in response.response.stream(4096):
                pending += chunk
                while b"\n" in pending:
                    line, pending = pending.split(b"\n", 1)
                    if line.strip():
                        yield _json(line)
        except urllib3.exceptions.HTTPError as error:
            raise StrataError(f"lost the watch of {path} on {self.context.server}: {_reason(error)}") from None

    def list(self, path: str, selector: str) -> Iterator[dict]:
        """Every item of a LIST, page by page. Items of a LIST carry no apiVersion/kind: the caller knows them."""
        token = ""
        while True:
            query = {"labelSelector": selector, "limit": str(PAGE)}
            if token:
                query["continue"] = token
            response = self._call("GET", path, query)
            if not response.ok:
                raise StrataError(f"listing {path} on {self.context.server}: {response.message}")
            yield from response.body.get("items") or []
            token = (response.body.get("metadata") or {}).get("continue") or ""
            if not token:
                return

    def _call(self, method: str, path: str, query: dict[str, str] | None, body: Any = None,
              content_type: str = "application/json") -> Response:
        response = self._send(method, path, query, body, content_type, TIMEOUT)
        return Response(response.status, _json(_read(response, self.context)))

    def _send(self, method: str, path: str, query: dict[str, str] | None, body: Any, content_type: str,
              timeout: tuple[int, int]) -> Any:
        """The response, its body not read yet (the client never preloads it)."""
        import urllib3

        url = path + ("?" + urlencode(query) if query else "")
        headers = {"Accept": "application/json", "Content-Type": content_type}
        request = self.client.param_serialize(method, url, header_params=headers, body=body, auth_settings=["BearerToken"])
        self.requests[method] += 1
        try:
            return self.client.call_api(*request, _request_timeout=timeout)
        except urllib3.exceptions.HTTPError as error:
            raise StrataError(_unreachable(self.context, error)) from None


def connect(kubeconfig: str | None, context: str | None) -> Kube:
    """An API client for `context` (default: the kubeconfig's current context) of `kubeconfig`
    (a path, or several joined by `:` as in $KUBECONFIG)."""
    from kubernetes import config
    from kubernetes.client import ApiClient, Configuration
    from kubernetes.config.config_exception import ConfigException

    where = kubeconfig or "~/.kube/config"
    try:
        contexts, current = config.list_kube_config_contexts(config_file=kubeconfig or "~/.kube/config")
        chosen = _context(contexts, current, context, where)
        configuration = Configuration()
        config.load_kube_config(config_file=kubeconfig or "~/.kube/config", context=chosen["name"],
                                client_configuration=configuration, persist_config=False)
    except (ConfigException, OSError) as error:
        raise StrataError(f"kubeconfig {where}: {error}") from None
    client = ApiClient(configuration)
    client.user_agent = f"strata/{__version__}"
    return Kube(client, Context(chosen["name"], (chosen.get("context") or {}).get("cluster", ""), configuration.host))


def _context(contexts: list[dict], current: dict | None, wanted: str | None, where: str) -> dict:
    if wanted is None:
        if not current:
            raise StrataError(f"kubeconfig {where}: no current context; pass --context")
        return current
    for item in contexts:
        if item.get("name") == wanted:
            return item
    names = ", ".join(sorted(c.get("name", "") for c in contexts)) or "none"
    raise StrataError(f"kubeconfig {where}: no context {wanted!r} (contexts: {names})")


def _json(data: bytes | None) -> dict[str, Any]:
    if not data:
        return {}
    try:
        found = json.loads(data)
    except ValueError:
        return {"message": data[:200].decode("utf-8", "replace")}
    return found if isinstance(found, dict) else {"items": found}


def _read(response: Any, context: Context) -> bytes:
    import urllib3

    try:
        return response.read()
    except urllib3.exceptions.HTTPError as error:
        raise StrataError(_unreachable(context, error)) from None


def _unreachable(context: Context, error: Exception) -> str:
    return f"cannot reach the cluster at {context.server} (context {context.name}): {_reason(error)}"


def _reason(error: Exception) -> str:
    reason = getattr(error, "reason", None)
    return str(reason or error)
