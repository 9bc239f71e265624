"""Pipeline → an Argo WorkflowTemplate (a DAG), plus a CronWorkflow running it on a schedule.

Each step becomes one DAG task (named after the step):
- `container` → a local container template `step-<name>` (pod parts from pod.py);
- `template: <preset>` → `templateRef` to the platform's ClusterWorkflowTemplate
  `<preset>`. Convention: a preset's ClusterWorkflowTemplate is named after the preset
  and its entry template carries the same name, so `template: data-validation`
  calls `data-validation/data-validation`; `with:` becomes its input parameters;
- `job: <Job>` → a local resource template `step-<name>` (job.py's `resource_template`)
  that creates the object the Job renders on its own for this environment — under a
  generated name per run, so a rerun never meets the previous run's job — and waits
  on the success/failure conditions job.py generates from the job's replica status.

The DAG entry template is `main`; local templates carry the `step-` prefix so no step
name can collide with it. `forEach` fans a task out with `withItems` (`{{item}}`),
`after` becomes `dependencies`, `params` become workflow arguments
(`{{workflow.parameters.<name>}}`).
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from compiler.render import RenderContext, WorkflowAccess, dag
from compiler.render.common import k8s_object, metadata, target_labels
from compiler.render.cron import check_schedule, cron_spec
from compiler.render.job import job_api_kind, resource_template
from compiler.render.pod import PodParts, container, container_resources, placement, pod_block, pod_metadata, pod_parts
from compiler.suggest import closest
from compiler.targets import Target
from schemas.pipeline import ContainerStep, PipelineSpec, RunWorkspace, Step, StepInputs, StepRetry

ARGO = "argoproj.io/v1alpha1"
ENTRYPOINT = "main"
EXIT_TEMPLATE = "on-exit"          # the `onExit` container's template (steps' are all `step-<name>`)
AGGREGATES = ("result", "parameters")   # `<step>.result`, `<step>.parameters`: no declared output needed
WORKSPACE = "workspace"            # the per-run volume claim of `workspace:`
WORKFLOW_PARAM = re.compile(r"\{\{\s*workflow\.parameters\.([^\s}]+)\s*\}\}")
ITEM = re.compile(r"\{\{\s*item(\.[^\s}]*)?\s*\}\}")


class PipelineRenderer:
    def render(self, target: Target, ctx: RenderContext) -> list[dict[str, Any]]:
        check_pipeline(target, ctx)
        if target.spec.schedule is None:
            return [workflow_template(target, ctx)]
        check_schedule(target, ctx, target.spec.schedule)
        return [workflow_template(target, ctx), cron_workflow(target, ctx)]

    def workflow_access(self, target: Target, find: Any) -> WorkflowAccess:
        """Its runs' ServiceAccount, and the job kinds its `job:` steps create."""
        jobs = [find("Job", step.job) for step in target.spec.steps if step.job is not None]
        return WorkflowAccess(service_account(target), tuple(job_api_kind(job) for job in jobs if job is not None))


def service_account(target: Target) -> str:
    """`serviceAccount` of the pipeline, else the project's (else the environment's) workflow account."""
    return target.spec.serviceAccount or target.project.workflow_service_account


# --- objects -------------------------------------------------------------------------------

def workflow_template(target: Target, ctx: RenderContext) -> dict[str, Any]:
    return k8s_object(ARGO, "WorkflowTemplate", metadata(target), spec=workflow_spec(target, ctx))


def cron_workflow(target: Target, ctx: RenderContext) -> dict[str, Any]:
    """Runs the WorkflowTemplate by reference, so the DAG is defined once."""
    spec = {**cron_spec(target.spec.schedule),
            "workflowSpec": {"workflowTemplateRef": {"name": target.name},
                             "serviceAccountName": service_account(target)}}
    return k8s_object(ARGO, "CronWorkflow", metadata(target), spec=spec)


def workflow_spec(target: Target, ctx: RenderContext) -> dict[str, Any]:
    spec: PipelineSpec = target.spec
    out: dict[str, Any] = {"entrypoint": ENTRYPOINT}
    if spec.params:
        out["arguments"] = {"parameters": [_param(p.name, p.default) for p in spec.params]}
    out.update(_run_settings(target))
    shared = pipeline_pod(target, ctx)
    out.update(workflow_pod_fields(target, shared))
    if spec.workspace is not None:
        out["volumeClaimTemplates"] = [workspace_claim(spec.workspace)]
        shared.mounts.append({"name": WORKSPACE, "mountPath": spec.workspace.mountPath})
    if spec.onExit is not None:
        out["onExit"] = EXIT_TEMPLATE
    # Runs (manual or scheduled) carry the pipeline's labels, so `kubectl get wf -l` finds them.
    out["workflowMetadata"] = {"labels": target_labels(target)}
    out["templates"] = [dag_template(spec.steps), *step_templates(target, ctx, shared)]
    if spec.onExit is not None:
        exit_step = Step.model_construct(name=EXIT_TEMPLATE, container=spec.onExit, retry=None, inputs=None,
                                         outputs=None)
        handler = container_template(target, exit_step, spec.onExit, ctx, shared=shared, where=("onExit",))
        out["templates"].append({**handler, "name": EXIT_TEMPLATE})
    return out


def workspace_claim(workspace: RunWorkspace) -> dict[str, Any]:
    """A claim per run (Argo creates it with the run and deletes it after): steps share files."""
    spec: dict[str, Any] = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": workspace.size}}}
    if workspace.storageClass:
        spec["storageClassName"] = workspace.storageClass
    return {"metadata": {"name": WORKSPACE}, "spec": spec}


def _run_settings(target: Target) -> dict[str, Any]:
    """The settings layers provide (app type `pipeline-default`), in Argo's field names; every
    run has a ServiceAccount (the project's RBAC grants it what the steps need)."""
    spec: PipelineSpec = target.spec
    settings: dict[str, Any] = {"serviceAccountName": service_account(target)}
    if spec.parallelism is not None:
        settings["parallelism"] = spec.parallelism
    if spec.podGC is not None:
        settings["podGC"] = spec.podGC.model_dump(exclude_none=True)
    ttl = spec.ttl.model_dump(exclude_none=True) if spec.ttl is not None else {}
    if ttl:
        settings["ttlStrategy"] = ttl
    if spec.archiveLogs is not None:
        settings["archiveLogs"] = spec.archiveLogs
    return settings


def _param(name: str, value: Any) -> dict[str, Any]:
    return {"name": name} if value is None else {"name": name, "value": value}


# --- the DAG -------------------------------------------------------------------------------

def dag_template(steps: list[Step]) -> dict[str, Any]:
    return {"name": ENTRYPOINT, "dag": {"tasks": [dag_task(step) for step in steps]}}


def dag_task(step: Step) -> dict[str, Any]:
    task: dict[str, Any] = {"name": step.name}
    if step.template is not None:
        task["templateRef"] = {"name": step.template, "template": step.template, "clusterScope": True}
    else:
        task["template"] = template_name(step)
    if step.after:
        task["dependencies"] = list(step.after)
    if step.with_:
        # Sorted: parameters are matched by name, and the order must not depend on layering.
        task["arguments"] = {"parameters": [_param(k, v) for k, v in sorted(step.with_.items())]}
    if step.forEach is not None:
        task["withItems"] = list(step.forEach)
    if step.forEachFrom is not None:
        task["withParam"] = output_expression(step.forEachFrom, "parameters")
    if step.when is not None:
        task["when"] = step.when
    if step.inputs is not None:
        task.setdefault("arguments", {}).update(input_arguments(step.inputs))
    return task


def output_expression(ref: str, kind: str) -> str:
    """`train.model` → `{{tasks.train.outputs.<kind>.model}}`; `<step>.result` → its stdout;
    `<step>.parameters` → the output parameters of every item of a fanned-out step, as a list."""
    task, _, name = ref.partition(".")
    if name in AGGREGATES and kind == "parameters":
        return f"{{{{tasks.{task}.outputs.{name}}}}}"
    return f"{{{{tasks.{task}.outputs.{kind}.{name}}}}}"


def input_arguments(inputs: StepInputs) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if inputs.parameters:
        found["parameters"] = [{"name": p.name, "value": output_expression(p.from_, "parameters")}
                               for p in inputs.parameters]
    if inputs.artifacts:
        found["artifacts"] = [{"name": a.name, "from": output_expression(a.from_, "artifacts")}
                              for a in inputs.artifacts]
    return found


def template_name(step: Step) -> str:
    return f"step-{step.name}"


# --- step templates ------------------------------------------------------------------------

def pipeline_pod(target: Target, ctx: RenderContext) -> PodParts:
    """The pipeline's own `pod:` block: workflow-wide pod settings (see `workflow_pod_fields`)."""
    parts = PodParts()
    if target.spec.pod is not None:
        if target.spec.pod.serviceAccount:
            ctx.error(target, ("pod", "serviceAccount"), "a pipeline's pods run as its `serviceAccount`; "
                                                         "set that (a step may set its own pod.serviceAccount)")
        pod_block(target, target.spec.pod, parts, ctx)
    return parts


def workflow_pod_fields(target: Target, shared: PodParts) -> dict[str, Any]:
    """Argo's workflow-level pod settings, which every step pod takes unless its template sets its
    own: podMetadata, nodeSelector, tolerations, securityContext, volumes; and imagePullSecrets,
    which Argo has only per workflow (a step's own are added here too)."""
    out: dict[str, Any] = {}
    meta = pod_metadata(shared)
    if meta:
        out["podMetadata"] = meta
    secrets = list(shared.pod_fields.get("imagePullSecrets", []))
    for step in target.spec.steps:
        pod = step.container.pod if step.container is not None else None
        secrets += [{"name": s.name} for s in (pod.imagePullSecrets if pod is not None else [])]
    if secrets:
        out["imagePullSecrets"] = list({s["name"]: s for s in secrets}.values())
    if "securityContext" in shared.pod_fields:
        out["securityContext"] = shared.pod_fields["securityContext"]
    out.update({k: v for k, v in placement(PodParts(node_selector=shared.node_selector,
                                                     tolerations=shared.tolerations,
                                                     volumes=shared.volumes)).items()})
    return out


def step_templates(target: Target, ctx: RenderContext, shared: PodParts | None = None) -> list[dict[str, Any]]:
    """The local templates (container and job steps), in step order; presets have none."""
    templates = []
    for index, step in enumerate(target.spec.steps):
        if step.container is not None:
            templates.append(container_template(target, step, step.container, ctx, index, shared))
        elif step.job is not None:
            job = ctx.find("Job", step.job)
            if job is not None:  # an unknown job is reported by the graph stage
                templates.append(job_template(step, job, ctx))
    return templates


def container_template(target: Target, step: Step, spec: ContainerStep, ctx: RenderContext, index: int = 0,
                       shared: PodParts | None = None, where: tuple | None = None) -> dict[str, Any]:
    where = where if where is not None else ("steps", index, "container")
    parts = pod_parts(target, spec.resources, spec.datasets, ctx, spec.pod, (*where, "pod"))
    shared = shared or PodParts()
    # The pipeline's volumes are the workflow's: each container mounts them; its container
    # fields (workingDir, pull policy, ports) apply unless the step sets its own.
    parts.container_fields = {**shared.container_fields, **parts.container_fields}
    # Argo names a container template's container `main` whatever is written; say so.
    main = container("main", spec.image, command=spec.command, args=spec.args, env=spec.env,
                     resources=container_resources(target, spec.resources), mounts=[*parts.mounts, *shared.mounts],
                     parts=parts)
    template: dict[str, Any] = {"name": template_name(step)}
    meta = pod_metadata(parts)
    if meta:
        template["metadata"] = {k: dict(sorted(v.items())) for k, v in meta.items()}
    template["container"] = main
    for key in ("serviceAccountName", "securityContext"):
        if key in parts.pod_fields:
            template[key] = parts.pod_fields[key]
    if parts.volumes:
        template["volumes"] = parts.volumes
    if parts.node_selector:
        template["nodeSelector"] = dict(sorted(parts.node_selector.items()))
    if parts.tolerations:
        template["tolerations"] = parts.tolerations
    if step.retry is not None:
        template["retryStrategy"] = retry_strategy(step.retry)
    template.update(template_io(step))
    return template


def template_io(step: Step) -> dict[str, Any]:
    """The template's inputs (what the task's arguments pass in) and outputs."""
    found: dict[str, Any] = {}
    if step.inputs is not None and (step.inputs.parameters or step.inputs.artifacts):
        inputs: dict[str, Any] = {}
        if step.inputs.parameters:
            inputs["parameters"] = [{"name": p.name} for p in step.inputs.parameters]
        if step.inputs.artifacts:
            inputs["artifacts"] = [{"name": a.name, "path": a.path} for a in step.inputs.artifacts]
        found["inputs"] = inputs
    if step.outputs is not None and (step.outputs.parameters or step.outputs.artifacts):
        outputs: dict[str, Any] = {}
        if step.outputs.parameters:
            outputs["parameters"] = [{"name": p.name, "valueFrom": {"path": p.path}} for p in step.outputs.parameters]
        if step.outputs.artifacts:
            outputs["artifacts"] = [{"name": a.name, "path": a.path} for a in step.outputs.artifacts]
        found["outputs"] = outputs
    return found


def retry_strategy(retry: StepRetry) -> dict[str, Any]:
    """Argo's retryStrategy; its limit and backoff values are int-or-strings, written as strings."""
    out: dict[str, Any] = {"limit": str(retry.limit), "retryPolicy": retry.policy}
    if retry.backoff is not None:
        out["backoff"] = {k: str(v) for k, v in retry.backoff.model_dump(exclude_none=True).items()}
    return out


def job_template(step: Step, job: Target, ctx: RenderContext) -> dict[str, Any]:
    """job.py's own resource template: it creates the Job's rendered object under a fresh
    generated name per run (so runs never collide) and waits on its generated conditions."""
    return resource_template(job, ctx, template_name(step))


# --- checks --------------------------------------------------------------------------------

def check_pipeline(target: Target, ctx: RenderContext) -> None:
    """Every problem of the pipeline's steps and params, each at its file:line."""
    steps: list[Step] = target.spec.steps
    _check_graph(target, ctx, [(s.name, s.after) for s in steps])
    declared = {p.name for p in target.spec.params}
    for index, step in enumerate(steps):
        _check_step_kind(target, ctx, index, step)
        _check_references(target, ctx, index, step, declared)
        _check_outputs_used(target, ctx, index, step)
    if target.spec.schedule is not None:
        _check_scheduled_params(target, ctx)


def _check_graph(target: Target, ctx: RenderContext, steps: dag.Steps) -> None:
    for index in dag.duplicates(steps):
        ctx.error(target, ("steps", index, "name"), f"duplicate step name {steps[index][0]!r}")
    for edge in dag.unknown_after(steps):
        ctx.error(target, ("steps", edge.step, "after", edge.position),
                  f"step {steps[edge.step][0]!r}: `after` names unknown step {edge.target!r}"
                  f"{_known(name for name, _ in steps)}")
    for cycle in dag.cycles(steps):
        ctx.error(target, ("steps", cycle.closing.step, "after", cycle.closing.position),
                  f"steps form a cycle through `after`: {cycle.describe()}")


def _check_step_kind(target: Target, ctx: RenderContext, index: int, step: Step) -> None:
    if step.template is not None and step.template not in target.env.settings.presets:
        allowed = ", ".join(target.env.settings.presets) or "none"
        guess = closest(step.template, target.env.settings.presets)
        ctx.error(target, ("steps", index, "template"),
                  f"step {step.name!r}: preset {step.template!r} is not allowed here "
                  f"(this environment's `presets:` allow: {allowed})"
                  + (f"; did you mean {guess!r}?" if guess else ""))
    if step.job is not None and step.forEach is not None:
        ctx.error(target, ("steps", index, "forEach"),
                  f"step {step.name!r}: a job step cannot fan out with forEach "
                  f"(the Job takes no {{{{item}}}}: every item would start an identical {step.job!r})")


def _check_references(target: Target, ctx: RenderContext, index: int, step: Step,
                      declared: set[str]) -> None:
    """`{{workflow.parameters.x}}` must be a declared param; `{{item}}` needs `forEach`."""
    for path, text in step_strings(step):
        where = ("steps", index, *path)
        for name in WORKFLOW_PARAM.findall(text):
            if name not in declared:
                ctx.error(target, where, f"step {step.name!r}: unknown pipeline param {name!r} "
                                         f"in {text!r}{_known(declared)}")
        if step.forEach is None and step.forEachFrom is None and ITEM.search(text):
            ctx.error(target, where, f"step {step.name!r}: {{{{item}}}} is only set in a step "
                                     f"with forEach")


def _check_outputs_used(target: Target, ctx: RenderContext, index: int, step: Step) -> None:
    """Each `from`/`forEachFrom` names an output of a step this one runs after."""
    steps = {s.name: s for s in target.spec.steps}
    refs: list[tuple[tuple, str, str]] = [(("forEachFrom",), step.forEachFrom, "parameters")] \
        if step.forEachFrom else []
    for kind in ("parameters", "artifacts"):
        for position, item in enumerate(getattr(step.inputs, kind) if step.inputs else []):
            refs.append((("inputs", kind, position, "from"), item.from_, kind))
    for path, ref, kind in refs:
        source, _, name = ref.partition(".")
        other = steps.get(source)
        declared = [o.name for o in getattr(other.outputs, kind)] if other is not None and other.outputs else []
        if source not in step.after:
            ctx.error(target, ("steps", index, *path), f"step {step.name!r}: {ref!r} is an output of "
                                                       f"{source!r}, which is not in its `after`")
        elif not (name in declared or (name in AGGREGATES and kind == "parameters")):
            ctx.error(target, ("steps", index, *path), f"step {step.name!r}: step {source!r} has no output "
                                                       f"{kind[:-1]} {name!r}{_known(declared)}")


def step_strings(step: Step) -> Iterator[tuple[tuple, str]]:
    """(path inside the step, text) of every string Argo substitutes in."""
    spec = step.container
    if spec is not None:
        for field in ("command", "args"):
            for position, text in enumerate(getattr(spec, field)):
                yield ("container", field, position), text
        for position, var in enumerate(spec.env):
            if var.value is not None:
                yield ("container", "env", position, "value"), var.value
    for key, text in sorted(step.with_.items()):
        yield ("with", key), text


def _check_scheduled_params(target: Target, ctx: RenderContext) -> None:
    """A CronWorkflow submits without arguments: every param needs a default."""
    for index, param in enumerate(target.spec.params):
        if param.default is None:
            ctx.error(target, ("params", index),
                      f"param {param.name!r} needs a default: the schedule starts runs without arguments")


def _known(names: Any) -> str:
    listed = ", ".join(sorted(set(names)))
    return f" (known: {listed})" if listed else ""
