"""A loopback test double of the Argo Server's workflow API, for tests that have no Argo.

    with KubeDouble() as kube, ArgoDouble(kube, token="t") as argo:   # http://127.0.0.1:<port>
        ...drive argo.url with the real `argo-workflows` SDK (strata run --argo-server URL)...

It serves the endpoints `strata run` and `strata runs` use, as the Argo Server's REST API
(grpc-gateway over `pkg/apiclient/workflow/workflow.proto`) answers them, and stores what it
creates in the Kubernetes double — the Argo Server is itself a client of the Kubernetes API,
so a Workflow submitted here is one the Kubernetes side can GET, LIST and WATCH:

- POST /api/v1/workflows/{ns}/submit (`WorkflowService.SubmitWorkflow`,
  server/workflow/workflow_server.go): a Workflow from a WorkflowTemplate or a CronWorkflow
  (`convert.py`), the submit options applied; `submitOptions.serverDryRun` creates it with
  dryRun=All (stores nothing) and returns what the server would store;
- POST /api/v1/workflows/{ns} (`CreateWorkflow`): the request's `workflow`, created in `ns`
  (`serverDryRun` as above);
- GET /api/v1/workflows/{ns}/{name} (`GetWorkflow`): the Workflow, or 404 (gRPC NotFound, 5);
- GET /api/v1/workflows/{ns} (`ListWorkflows`): `listOptions.labelSelector`; `items` is null
  when nothing matches (an empty repeated field is left out of the JSON).

Errors are grpc-gateway bodies `{"code": <gRPC code>, "message": ...}` with the matching HTTP
status. With `token`, every request needs `Authorization: Bearer <token>` (401, code 16,
otherwise), as with `--auth-mode=client`. Not modelled: SSO, the creator labels, workflow
validation (`validate.ValidateWorkflow`), archived workflows, watch, event and log streams (strata
reads pods and their logs through the Kubernetes API).
"""
from __future__ import annotations

from typing import Any

from loopback import LoopbackServer

from argo_double.server import Handler


class ArgoDouble(LoopbackServer):
    def __init__(self, kube: Any, *, token: str | None = None):
        self.kube = kube                      # the KubeDouble whose store holds the objects
        self.token = token
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.clock = "2026-01-01T00:00:00Z"  # what `scheduled-time` says on a submit from a cron
        self._listen(Handler)

    def record(self, method: str, path: str, query: dict[str, str]) -> None:
        self.requests.append((method, path, query))
