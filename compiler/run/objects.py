"""The object a run creates, made from the committed (compiled) object.

- A Job: the compiled training job or batch Job itself, with `generateName: <name>-` for
  its name and the run labels added: nothing else differs from the committed object.
- A Pipeline: a Workflow from its WorkflowTemplate. When the cluster's WorkflowTemplate is
  the compiled one (`cluster.py`), the Workflow references it (`workflowTemplateRef`) with
  the compiled `arguments`, as `argo submit --from workflowtemplate/<name>` does (label
  `workflows.argoproj.io/workflow-template`); otherwise — not applied yet, changed in the
  cluster, or a `--set` of more than params — it carries the compiled spec inline, so the
  run is always what the config says.
- A scheduled Job: a Workflow from its CronWorkflow's `workflowSpec` (Argo's "submit from
  cron": label `workflows.argoproj.io/cron-workflow`, the cron's `workflowMetadata`, the
  scheduled-time annotation, owned by the CronWorkflow) when the cluster's cron is the
  compiled one; else the compiled `workflowSpec` inline, without the cron's ownership.
"""
from __future__ import annotations

import copy
from typing import Any

from compiler.run.model import VIA_ARGO, VIA_KUBERNETES, Start

ARGO = "argoproj.io/v1alpha1"
TEMPLATE_LABEL = "workflows.argoproj.io/workflow-template"
CRON_LABEL = "workflows.argoproj.io/cron-workflow"
SCHEDULED_TIME = "workflows.argoproj.io/scheduled-time"


def job_start(committed: dict[str, Any], labels: dict[str, str]) -> Start:
    obj = copy.deepcopy(committed)
    obj["metadata"] = _run_metadata(obj["metadata"], labels)
    return Start(obj, VIA_KUBERNETES)


def template_start(template: dict[str, Any], labels: dict[str, str], live: dict | None, same: str, via: str) -> Start:
    """`live`: the cluster's WorkflowTemplate; `same`: "" when it is the compiled one, else why not."""
    meta = template["metadata"]
    arguments = (template.get("spec") or {}).get("arguments")
    if live is not None and not same:
        spec: dict[str, Any] = {"workflowTemplateRef": {"name": meta["name"]}}
        if arguments:
            spec["arguments"] = copy.deepcopy(arguments)
        obj = _workflow(_run_metadata(meta, {TEMPLATE_LABEL: meta["name"], **labels}), spec)
        return Start(obj, via, ("WorkflowTemplate", meta["name"]) if via == VIA_ARGO else None, _parameters(arguments),
                     f"references WorkflowTemplate {meta['name']} (the cluster's is the compiled one)")
    obj = _workflow(_run_metadata(meta, labels), copy.deepcopy(template["spec"]))
    return Start(obj, via, note=f"carries the compiled spec inline: {same}")


def cron_start(cron: dict[str, Any], labels: dict[str, str], live: dict | None, same: str, via: str,
               now: str) -> Start:
    meta, spec = cron["metadata"], cron.get("spec") or {}
    workflow_meta = spec.get("workflowMetadata") or {}
    if live is not None and not same:
        run_meta = _run_metadata(meta, {CRON_LABEL: meta["name"], **(workflow_meta.get("labels") or {}), **labels})
        run_meta["annotations"] = {SCHEDULED_TIME: now, **(workflow_meta.get("annotations") or {})}
        run_meta["ownerReferences"] = [{"apiVersion": ARGO, "kind": "CronWorkflow", "name": meta["name"],
                                        "uid": live["metadata"].get("uid"), "controller": True,
                                        "blockOwnerDeletion": True}]
        obj = _workflow(run_meta, copy.deepcopy(spec.get("workflowSpec") or {}))
        return Start(obj, via, ("CronWorkflow", meta["name"]) if via == VIA_ARGO else None,
                     note=f"runs CronWorkflow {meta['name']} once (the cluster's is the compiled one)")
    run_meta = _run_metadata(meta, {**(workflow_meta.get("labels") or {}), **labels})
    obj = _workflow(run_meta, copy.deepcopy(spec.get("workflowSpec") or {}))
    return Start(obj, via, note=f"carries the compiled workflowSpec inline: {same}")


def _run_metadata(meta: dict[str, Any], labels: dict[str, str]) -> dict[str, Any]:
    """The committed metadata with `generateName` for `name` and the run's labels added, key order kept."""
    out: dict[str, Any] = {}
    for key, value in meta.items():
        if key == "name":
            out["generateName"] = f"{value}-"
        elif key == "labels":
            out["labels"] = {**value, **labels}
        else:
            out[key] = copy.deepcopy(value)
    out.setdefault("labels", dict(labels))
    return out


def _workflow(meta: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": ARGO, "kind": "Workflow", "metadata": meta, "spec": spec}


def _parameters(arguments: dict | None) -> tuple[tuple[str, str], ...]:
    return tuple((str(p["name"]), str(p["value"])) for p in (arguments or {}).get("parameters") or [] if "value" in p)
