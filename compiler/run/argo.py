"""The Argo Server's workflow API, through the `argo-workflows` SDK (the Argo Server's Python client).

Submit (`WorkflowService.SubmitWorkflow`: a Workflow from a WorkflowTemplate or CronWorkflow,
as `argo submit --from` does), create, get and list. Bodies are sent as the SDK's request
models; answers are read as plain JSON (`_preload_content=False`), which sidesteps the
generated models' strict type checks on objects they do not fully describe
(argo-workflows#7293, the SDK README's advice). The token is the kubeconfig user's bearer
token, or $ARGO_TOKEN (read by the command), as the Argo Server's client auth mode expects.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from compiler import __version__
from compiler.errors import StrataError

TIMEOUT = (10, 60)


@dataclass
class ArgoServer:
    url: str
    api: Any             # argo_workflows.api.workflow_service_api.WorkflowServiceApi

    def submit(self, namespace: str, kind: str, name: str, *, generate_name: str, labels: dict[str, str],
               parameters: tuple[tuple[str, str], ...], dry_run: bool) -> dict:
        from argo_workflows.model.io_argoproj_workflow_v1alpha1_submit_opts import IoArgoprojWorkflowV1alpha1SubmitOpts
        from argo_workflows.model.io_argoproj_workflow_v1alpha1_workflow_submit_request import (
            IoArgoprojWorkflowV1alpha1WorkflowSubmitRequest,
        )

        options = IoArgoprojWorkflowV1alpha1SubmitOpts(
            generate_name=generate_name, labels=",".join(f"{k}={v}" for k, v in labels.items()),
            parameters=[f"{k}={v}" for k, v in parameters], server_dry_run=dry_run)
        request = IoArgoprojWorkflowV1alpha1WorkflowSubmitRequest(
            namespace=namespace, resource_kind=kind, resource_name=name, submit_options=options)
        return self._call("submit", self.api.submit_workflow, namespace, request)

    def create(self, namespace: str, workflow: dict, *, dry_run: bool) -> dict:
        from argo_workflows.model.io_argoproj_workflow_v1alpha1_workflow_create_request import (
            IoArgoprojWorkflowV1alpha1WorkflowCreateRequest,
        )

        request = IoArgoprojWorkflowV1alpha1WorkflowCreateRequest(namespace=namespace, workflow=workflow,
                                                                 server_dry_run=dry_run, _check_type=False)
        return self._call("create", self.api.create_workflow, namespace, request)

    def get(self, namespace: str, name: str) -> dict:
        return self._call("get", self.api.get_workflow, namespace, name)

    def list(self, namespace: str, selector: str) -> list[dict]:
        found = self._call("list", self.api.list_workflows, namespace, list_options_label_selector=selector)
        return [{"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", **item} for item in found.get("items") or []]

    def _call(self, what: str, method: Any, *args: Any, **kwargs: Any) -> dict:
        import urllib3
        from argo_workflows.exceptions import ApiException

        try:
            response = method(*args, **kwargs, _preload_content=False, _request_timeout=TIMEOUT)
            return json.loads(response.data or b"{}")
        except ApiException as error:
            raise StrataError(f"Argo Server {self.url}: {what} failed: {_message(error)}") from None
        except (urllib3.exceptions.HTTPError, ValueError) as error:
            raise StrataError(f"cannot reach the Argo Server at {self.url}: {error}") from None


def connect_argo(url: str, token: str | None) -> ArgoServer:
    import argo_workflows
    from argo_workflows.api.workflow_service_api import WorkflowServiceApi

    configuration = argo_workflows.Configuration(host=url.rstrip("/"))
    if token:
        configuration.api_key["BearerToken"] = token.removeprefix("Bearer ").strip()
        configuration.api_key_prefix["BearerToken"] = "Bearer"
    client = argo_workflows.ApiClient(configuration)
    client.user_agent = f"strata/{__version__}"
    return ArgoServer(url, WorkflowServiceApi(client))


def _message(error: Any) -> str:
    try:
        body = json.loads(error.body or b"{}")
    except ValueError:
        body = {}
    return str(body.get("message") or error.reason or f"HTTP {error.status}") + f" (HTTP {error.status})"
