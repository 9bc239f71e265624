"""How the Argo Server turns a submit request into a Workflow (argoproj/argo-workflows).

- `from_template`: `common.NewWorkflowFromWorkflowTemplate` — generateName `<template>-`, label
  `workflows.argoproj.io/workflow-template: <template>`, `spec.workflowTemplateRef: {name}`;
- `from_cron`: `common.ConvertCronWorkflowToWorkflow` — generateName `<cron>-`, the annotation
  `workflows.argoproj.io/scheduled-time`, `spec` = the cron's `workflowSpec`, label
  `workflows.argoproj.io/cron-workflow: <cron>`, the cron's `workflowMetadata` labels and
  annotations, and a controller ownerReference to the CronWorkflow;
- `apply_submit_options`: `util.ApplySubmitOpts` — `labels` ("k=v,k2=v2") added to the labels,
  `parameters` (["name=value"]) put first in `spec.arguments.parameters`, replacing same-named
  ones, `generateName`/`name`/`entryPoint`/`serviceAccount` overriding.
(workflow/common/convert.go, workflow/util/util.go of argo-workflows v3.5–v4.)
"""
from __future__ import annotations

import copy

TEMPLATE_LABEL = "workflows.argoproj.io/workflow-template"
CRON_LABEL = "workflows.argoproj.io/cron-workflow"
SCHEDULED_TIME = "workflows.argoproj.io/scheduled-time"
API = "argoproj.io/v1alpha1"


class BadRequest(ValueError):
    pass


def from_template(name: str) -> dict:
    return {"apiVersion": API, "kind": "Workflow",
            "metadata": {"generateName": f"{name}-", "labels": {TEMPLATE_LABEL: name}, "annotations": {}},
            "spec": {"workflowTemplateRef": {"name": name}}}


def from_cron(cron: dict, now: str) -> dict:
    meta = cron["metadata"]
    spec = cron.get("spec") or {}
    workflow_meta = spec.get("workflowMetadata") or {}
    labels = {CRON_LABEL: meta["name"], **(workflow_meta.get("labels") or {})}
    annotations = {SCHEDULED_TIME: now, **(workflow_meta.get("annotations") or {})}
    owner = {"apiVersion": API, "kind": "CronWorkflow", "name": meta["name"], "uid": meta.get("uid"),
             "controller": True, "blockOwnerDeletion": True}
    return {"apiVersion": API, "kind": "Workflow",
            "metadata": {"generateName": f"{meta['name']}-", "labels": labels, "annotations": annotations,
                         "ownerReferences": [owner]},
            "spec": copy.deepcopy(spec.get("workflowSpec") or {})}


def apply_submit_options(workflow: dict, options: dict) -> dict:
    workflow = copy.deepcopy(workflow)
    meta, spec = workflow["metadata"], workflow["spec"]
    if options.get("entryPoint"):
        spec["entrypoint"] = options["entryPoint"]
    if options.get("serviceAccount"):
        spec["serviceAccountName"] = options["serviceAccount"]
    meta["labels"] = {**(meta.get("labels") or {}), **_pairs(options.get("labels") or "", "labels")}
    parameters = options.get("parameters") or []
    if parameters:
        passed = []
        for text in parameters:
            name, equals, value = text.partition("=")
            if not equals:
                raise BadRequest(f"expected parameter of the form: NAME=VALUE. Received: {text}")
            passed.append({"name": name, "value": value})
        names = {p["name"] for p in passed}
        arguments = spec.setdefault("arguments", {})
        arguments["parameters"] = passed + [p for p in arguments.get("parameters") or [] if p["name"] not in names]
    if options.get("generateName"):
        meta["generateName"] = options["generateName"]
    if options.get("name"):
        meta["name"] = options["name"]
    return workflow


def _pairs(text: str, what: str) -> dict[str, str]:
    found = {}
    for part in filter(None, text.split(",")):
        key, equals, value = part.partition("=")
        if not equals:
            raise BadRequest(f"expected {what} of the form: NAME1=VALUE2,NAME2=VALUE2. Received: {text}")
        found[key] = value
    return found
