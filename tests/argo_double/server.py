"""The Argo double's HTTP side: REST paths of the workflow service → the Kubernetes double's store."""
from __future__ import annotations

import copy
import json
from typing import Any

import loopback
from kube_double.store import ApiError

from argo_double.convert import BadRequest, apply_submit_options, from_cron, from_template

GRPC = {400: 3, 401: 16, 404: 5, 409: 6, 422: 3}    # HTTP status → gRPC code, as grpc-gateway maps them
SUBMITTABLE = {"WorkflowTemplate": "WorkflowTemplate", "workflowtemplate": "WorkflowTemplate",
               "workflowtemplates": "WorkflowTemplate", "wftmpl": "WorkflowTemplate",
               "CronWorkflow": "CronWorkflow", "cronworkflow": "CronWorkflow", "cronworkflows": "CronWorkflow",
               "cronwf": "CronWorkflow", "cwf": "CronWorkflow"}


class Handler(loopback.Handler):
    def _handle(self, method: str) -> None:
        path, query, raw = self._request(method)
        try:
            self._authorize()
            code, body = self._route(method, [p for p in path.split("/") if p], query, raw)
        except ApiError as error:
            code, body = error.code, {"code": GRPC.get(error.code, 2), "message": error.message}
        except BadRequest as error:
            code, body = 400, {"code": 3, "message": str(error)}
        self._answer(code, body)

    def _authorize(self) -> None:
        if self.double.token and self.headers.get("Authorization") != f"Bearer {self.double.token}":
            raise ApiError(401, "Unauthorized", "token not valid. see https://argo-workflows.readthedocs.io/en/latest/faq/")

    def _route(self, method: str, parts: list[str], query: dict[str, str], raw: bytes) -> tuple[int, Any]:
        if parts[:3] != ["api", "v1", "workflows"] or len(parts) < 4:
            raise ApiError(404, "NotFound", "Not Found")
        namespace, rest = parts[3], parts[4:]
        body = json.loads(raw) if raw else {}
        if method == "POST" and rest == ["submit"]:
            return 200, self._submit(namespace, body)
        if method == "POST" and not rest:
            return 200, self._create(namespace, body.get("workflow") or {}, bool(body.get("serverDryRun")))
        if method == "GET" and not rest:
            return 200, self._list(namespace, query)
        if method == "GET" and len(rest) == 1:
            return 200, self._store.get(self._kind("Workflow"), namespace, rest[0])
        raise ApiError(404, "NotFound", "Not Found")

    @property
    def _store(self):
        return self.double.kube.store

    def _kind(self, kind: str):
        return self.double.kube.kind(kind)

    def _submit(self, namespace: str, request: dict) -> dict:
        kind = SUBMITTABLE.get(request.get("resourceKind") or "")
        if kind is None:
            raise BadRequest(f"Resource kind '{request.get('resourceKind')}' is not supported for submitting")
        source = self._store.get(self._kind(kind), namespace, request.get("resourceName") or "")
        workflow = from_template(source["metadata"]["name"]) if kind == "WorkflowTemplate" \
            else from_cron(source, self.double.clock)
        options = request.get("submitOptions") or {}
        return self._create(namespace, apply_submit_options(workflow, options), bool(options.get("serverDryRun")))

    def _create(self, namespace: str, workflow: dict, dry_run: bool) -> dict:
        workflow = {**copy.deepcopy(workflow), "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow"}
        return self._store.create(self._kind("Workflow"), namespace, workflow, "argo-server", dry_run)

    def _list(self, namespace: str, query: dict[str, str]) -> dict:
        items = self._store.list(self._kind("Workflow"), namespace, query.get("listOptions.labelSelector", ""))
        return {"metadata": {"resourceVersion": str(self._store.revision)}, "items": items or None}
