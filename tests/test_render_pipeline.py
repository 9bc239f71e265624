"""Pipeline → Argo WorkflowTemplate (+ CronWorkflow): step kinds, DAG, fan-out, checks."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from compiler.provenance import Origin
from compiler.render import dag
from compiler.render.cron import cron_spec
from compiler.render.job import job_conditions, job_object
from compiler.render.pipeline import PipelineRenderer
from factories import make_ctx, make_env, make_project, make_target, yaml_tree
from schemas import AppTypeDoc, PipelineSpec

ROOT = Path(__file__).resolve().parent.parent
LAYER = ROOT / "layers" / "pipeline-default.yaml"
PIPELINE_FILE = "projects/demo/pipeline-retrain.yaml"

TRAIN_JOB = {
    "framework": "pytorch", "image": "reg/cv/train:1.4.2", "command": ["python", "train.py"],
    "replicas": {"master": 1, "worker": 2},
    "resources": {"cpu": "8", "memory": "32Gi", "gpu": 1, "gpuType": "a100", "shm": "8Gi"},
}
DATASET = {"sources": [{"name": "images", "uri": "oss://bucket/images"}],
           "cache": {"engine": "alluxio", "tiers": [{"medium": "MEM", "quota": "10Gi"}]},
           "placement": "required"}


# --- helpers -------------------------------------------------------------------------------

def pipeline(spec_yaml: str, *others: Any, env_settings: dict | None = None) -> tuple[Any, Any]:
    """A Pipeline target (with provenance) plus a context holding it and `others` (kind, name, spec)."""
    if env_settings is None:
        env_settings = {"presets": ["data-validation", "register-model"]}
    project = make_project(env=make_env(**env_settings))
    target = replace(make_target("Pipeline", "retrain", yaml.safe_load(spec_yaml), project),
                     tree=yaml_tree(spec_yaml, PIPELINE_FILE), origin=Origin(PIPELINE_FILE, 1, 1, "resource"))
    extra = [make_target(kind, name, spec, project) for kind, name, spec in others]
    return target, make_ctx(target, *extra)


def render(spec_yaml: str, *others: Any, **kw: Any) -> tuple[list[dict], Any, Any]:
    target, ctx = pipeline(spec_yaml, *others, **kw)
    return PipelineRenderer().render(target, ctx), target, ctx


def templates(workflow: dict) -> dict[str, dict]:
    return {t["name"]: t for t in workflow["spec"]["templates"]}


def tasks(workflow: dict) -> dict[str, dict]:
    return {t["name"]: t for t in templates(workflow)["main"]["dag"]["tasks"]}


def errors(ctx: Any) -> list[str]:
    return [p.render() for p in ctx.problems.items]


def assert_valid(objects: list[dict], crds: Any) -> None:
    for obj in objects:
        assert crds.knows(obj["apiVersion"], obj["kind"]), obj["kind"]
        assert crds.errors(obj) == [], (obj["kind"], crds.errors(obj))


RETRAIN = """\
params:
  - {name: date, default: "today"}
  - {name: threshold, default: "0.9"}
steps:
  - name: prepare
    container:
      image: reg/cv/prep:2.0.1
      command: [python, prep.py]
      args: ["--date", "{{workflow.parameters.date}}"]
      env:
        - {name: LOG_LEVEL, value: info}
        - {name: OSS_KEY, secretRef: {name: oss-creds, key: access-key}}
      resources: {cpu: "2", memory: 4Gi, gpu: 1, gpuType: a100, shm: 1Gi}
      datasets:
        - {name: images, mountPath: /data}
  - name: train
    job: train
    after: [prepare]
  - name: evaluate
    template: data-validation
    with: {threshold: "{{workflow.parameters.threshold}}", dataset: images}
    after: [train]
  - name: register
    template: register-model
    after: [evaluate]
serviceAccount: pipeline-runner
podGC: {strategy: OnPodSuccess}
ttl: {secondsAfterSuccess: 12h, secondsAfterFailure: 72h}
archiveLogs: true
parallelism: 4
"""
RETRAIN_OTHERS = (("Job", "train", TRAIN_JOB), ("Dataset", "images", DATASET))


@pytest.fixture
def retrain():
    objects, target, ctx = render(RETRAIN, *RETRAIN_OTHERS)
    assert errors(ctx) == []
    return objects, target, ctx


# --- objects -------------------------------------------------------------------------------

def test_unscheduled_pipeline_is_one_workflow_template_in_the_project_namespace(retrain):
    objects, target, _ = retrain
    assert [o["kind"] for o in objects] == ["WorkflowTemplate"]
    workflow = objects[0]
    assert workflow["apiVersion"] == "argoproj.io/v1alpha1"
    assert workflow["metadata"]["name"] == "retrain"
    assert workflow["metadata"]["namespace"] == target.project.namespace
    assert workflow["metadata"]["labels"]["strata.dev/resource"] == "pipeline.retrain"
    assert workflow["spec"]["entrypoint"] == "main"
    assert list(tasks(workflow)) == ["prepare", "train", "evaluate", "register"]


def test_params_become_workflow_arguments_with_defaults():
    objects, _, ctx = render("params: [{name: date, default: today}, {name: region}]\n"
                             "steps: [{name: a, container: {image: 'r/a:1', args: ['{{workflow.parameters.region}}']}}]")
    assert errors(ctx) == []
    assert objects[0]["spec"]["arguments"] == {"parameters": [{"name": "date", "value": "today"},
                                                              {"name": "region"}]}


def test_run_settings_come_from_the_spec(retrain):
    spec = retrain[0][0]["spec"]
    assert spec["serviceAccountName"] == "pipeline-runner"
    assert spec["podGC"] == {"strategy": "OnPodSuccess"}
    assert spec["ttlStrategy"] == {"secondsAfterSuccess": 43200, "secondsAfterFailure": 259200}
    assert spec["archiveLogs"] is True
    assert spec["parallelism"] == 4


def test_container_step_is_a_container_template_with_pod_parts(retrain):
    objects, _, _ = retrain
    template = templates(objects[0])["step-prepare"]
    assert tasks(objects[0])["prepare"] == {"name": "prepare", "template": "step-prepare"}
    main = template["container"]
    assert main["name"] == "main" and main["image"] == "reg/cv/prep:2.0.1"
    assert main["command"] == ["python", "prep.py"]
    assert main["args"] == ["--date", "{{workflow.parameters.date}}"]
    assert main["env"] == [
        {"name": "LOG_LEVEL", "value": "info"},
        {"name": "OSS_KEY", "valueFrom": {"secretKeyRef": {"name": "oss-creds", "key": "access-key"}}},
    ]
    amounts = {"cpu": "2", "memory": "4Gi", "nvidia.com/gpu": "1"}
    assert main["resources"] == {"requests": amounts, "limits": amounts}
    assert template["nodeSelector"] == {"gpu.pool": "a100"}
    assert template["tolerations"] == [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    assert template["metadata"] == {"labels": {"fluid.io/dataset.images.sched": "required",
                                               "fuse.serverful.fluid.io/inject": "true"}}
    assert {v["name"]: v for v in template["volumes"]} == {
        "data-images": {"name": "data-images", "persistentVolumeClaim": {"claimName": "images", "readOnly": True}},
        "dshm": {"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": "1Gi"}},
    }
    assert {m["mountPath"] for m in main["volumeMounts"]} == {"/data", "/dev/shm"}


def test_preset_step_references_the_cluster_workflow_template(retrain):
    task = tasks(retrain[0][0])["evaluate"]
    assert task["templateRef"] == {"name": "data-validation", "template": "data-validation",
                                   "clusterScope": True}
    assert "template" not in task
    assert task["arguments"] == {"parameters": [
        {"name": "dataset", "value": "images"},
        {"name": "threshold", "value": "{{workflow.parameters.threshold}}"},
    ]}
    assert "arguments" not in tasks(retrain[0][0])["register"]
    assert not any(name.startswith("step-evaluate") for name in templates(retrain[0][0]))


def test_job_step_creates_exactly_the_jobs_own_object(retrain):
    objects, target, ctx = retrain
    job = ctx.find("Job", "train")
    resource = templates(objects[0])["step-train"]["resource"]
    assert resource["action"] == "create"
    assert resource["setOwnerReference"] is True
    manifest = yaml.safe_load(resource["manifest"])
    assert manifest == job_object(job, ctx, generate_name=True)
    # The same object the Job renders on its own, only named afresh per run.
    own = job_object(job, ctx)
    assert manifest["metadata"].pop("generateName") == own["metadata"].pop("name") + "-"
    assert manifest == own
    assert (resource["successCondition"], resource["failureCondition"]) == job_conditions(job)
    assert tasks(objects[0])["train"]["template"] == "step-train"


def test_job_step_uses_the_job_of_the_same_environment():
    """Two environments render the same Job differently; each pipeline creates its own env's."""
    def job_in(env_name: str, resource_name: str) -> Any:
        env = make_env(env_name, gpuPools={"a100": {"resourceName": resource_name}})
        project = make_project(env=env)
        pipeline = make_target("Pipeline", "retrain", {"steps": [{"name": "t", "job": "train"}]}, project)
        return pipeline, make_target("Job", "train", TRAIN_JOB, project)

    dev_pipeline, dev_job = job_in("dev", "nvidia.com/gpu")
    prod_pipeline, prod_job = job_in("prod", "example.com/a100")
    ctx = make_ctx(dev_pipeline, dev_job, prod_pipeline, prod_job, rendering=prod_pipeline)
    manifest = templates(PipelineRenderer().render(prod_pipeline, ctx)[0])["step-t"]["resource"]["manifest"]
    assert yaml.safe_load(manifest) == job_object(prod_job, ctx, generate_name=True)
    assert "example.com/a100" in manifest and "strata.dev/environment: prod" in manifest
    assert errors(ctx) == []


def test_after_becomes_dag_dependencies(retrain):
    by_name = tasks(retrain[0][0])
    assert "dependencies" not in by_name["prepare"]
    assert by_name["train"]["dependencies"] == ["prepare"]
    assert by_name["register"]["dependencies"] == ["evaluate"]


def test_for_each_fans_out_with_items():
    spec = """\
steps:
  - name: forecast
    forEach: [gmv, orders, {metric: dau, window: 7}]
    container:
      image: reg/forecast:1.0.0
      args: ["--metric", "{{item}}"]
      env: [{name: WINDOW, value: "{{item.window}}"}]
  - name: report
    after: [forecast]
    container: {image: reg/report:1.0.0}
"""
    objects, _, ctx = render(spec)
    assert errors(ctx) == []
    task = tasks(objects[0])["forecast"]
    assert task["withItems"] == ["gmv", "orders", {"metric": "dau", "window": 7}]
    assert templates(objects[0])["step-forecast"]["container"]["args"] == ["--metric", "{{item}}"]
    assert tasks(objects[0])["report"]["dependencies"] == ["forecast"]


def test_schedule_adds_a_cron_workflow_running_the_template():
    spec = RETRAIN + "schedule: {cron: '0 3 * * *', timezone: UTC, concurrency: Forbid, startingDeadlineSeconds: 600}\n"
    objects, target, ctx = render(spec, *RETRAIN_OTHERS)
    assert errors(ctx) == []
    assert [o["kind"] for o in objects] == ["WorkflowTemplate", "CronWorkflow"]
    cron = objects[1]
    assert cron["metadata"]["name"] == "retrain"
    assert cron["metadata"]["namespace"] == target.project.namespace
    assert cron["spec"]["workflowSpec"] == {"workflowTemplateRef": {"name": objects[0]["metadata"]["name"]},
                                            "serviceAccountName": "pipeline-runner"}
    for key, value in cron_spec(target.spec.schedule).items():
        assert cron["spec"][key] == value
    assert cron["spec"]["schedules"] == ["0 3 * * *"]


def test_a_schedule_in_a_dst_timezone_warns_at_its_line():
    spec = "schedule:\n  cron: '30 2 * * *'\n  timezone: Europe/Berlin\nsteps: [{name: a, container: {image: 'r/a:1'}}]\n"
    _, _, ctx = render(spec)
    assert errors(ctx) == []
    [warning] = [p.render() for p in ctx.warnings.items]
    assert warning.startswith(f"{PIPELINE_FILE}:3:13: warning: ") and "daylight saving" in warning
    _, _, ctx = render(spec.replace("Europe/Berlin", "Asia/Shanghai"))
    assert not ctx.warnings


def test_runs_carry_the_pipeline_labels(retrain):
    objects, target, _ = retrain
    assert objects[0]["spec"]["workflowMetadata"] == {"labels": objects[0]["metadata"]["labels"]}


def test_local_template_names_never_collide_with_the_entrypoint():
    objects, _, ctx = render("steps: [{name: main, container: {image: 'r/a:1'}}]")
    assert errors(ctx) == []
    assert list(templates(objects[0])) == ["main", "step-main"]
    assert tasks(objects[0])["main"]["template"] == "step-main"


def test_rendering_is_deterministic():
    first = render(RETRAIN, *RETRAIN_OTHERS)[0]
    second = render(RETRAIN, *reversed(RETRAIN_OTHERS))[0]
    assert yaml.safe_dump(first, sort_keys=False) == yaml.safe_dump(second, sort_keys=False)


def test_every_object_validates_against_the_argo_crds(crd_schemas):
    scheduled = RETRAIN + "schedule: {cron: ['0 3 * * *', '0 15 * * *'], timezone: Asia/Shanghai}\n"
    objects, _, ctx = render(scheduled, *RETRAIN_OTHERS)
    fan_out = render("steps: [{name: f, forEach: [a, {x: 1}], container: {image: 'r/f:1', args: ['{{item}}']}}]")[0]
    assert errors(ctx) == []
    assert_valid(objects + fan_out, crd_schemas)
    manifest = yaml.safe_load(templates(objects[0])["step-train"]["resource"]["manifest"])
    assert manifest["kind"] == "PyTorchJob"
    assert_valid([manifest], crd_schemas)


# --- checks --------------------------------------------------------------------------------

def test_unknown_after_is_reported_at_its_line():
    spec = """\
steps:
  - name: a
    container: {image: 'r/a:1'}
  - name: b
    after: [a, nope]
    container: {image: 'r/b:1'}
"""
    _, _, ctx = render(spec)
    assert errors(ctx) == [f"{PIPELINE_FILE}:5:16: demo/Pipeline/retrain in dev: step 'b': "
                           "`after` names unknown step 'nope' (known: a, b)"]


def test_unknown_job_is_reported_at_its_line():
    spec = "steps:\n  - name: train\n    job: missing\n"
    objects, _, ctx = render(spec, ("Job", "other", TRAIN_JOB))
    assert errors(ctx) == [f"{PIPELINE_FILE}:3:10: demo/Pipeline/retrain in dev: step 'train': "
                           "no Job 'missing' in project demo here (its jobs: other)"]
    assert list(templates(objects[0])) == ["main"]


def test_a_cycle_is_named_and_located():
    spec = """\
steps:
  - name: a
    after: [c]
    container: {image: 'r/a:1'}
  - name: b
    after: [a]
    container: {image: 'r/b:1'}
  - name: c
    after: [b]
    container: {image: 'r/c:1'}
  - name: d
    after: [d]
    container: {image: 'r/d:1'}
"""
    _, _, ctx = render(spec)
    assert errors(ctx) == [
        f"{PIPELINE_FILE}:6:13: demo/Pipeline/retrain in dev: steps form a cycle through `after`: a -> c -> b -> a",
        f"{PIPELINE_FILE}:12:13: demo/Pipeline/retrain in dev: steps form a cycle through `after`: d -> d",
    ]


def test_duplicate_step_names_are_reported():
    spec = """\
steps:
  - name: a
    container: {image: 'r/a:1'}
  - name: a
    container: {image: 'r/a:2'}
"""
    _, _, ctx = render(spec)
    assert errors(ctx) == [f"{PIPELINE_FILE}:4:11: demo/Pipeline/retrain in dev: duplicate step name 'a'"]


def test_a_preset_outside_the_environment_allow_list_is_an_error():
    spec = "steps:\n  - name: v\n    template: data-validation\n  - name: x\n    template: shell-anything\n"
    _, _, ctx = render(spec, env_settings={"presets": ["data-validation"]})
    assert errors(ctx) == [f"{PIPELINE_FILE}:5:15: demo/Pipeline/retrain in dev: step 'x': preset "
                           "'shell-anything' is not allowed here (this environment's `presets:` allow: data-validation)"]
    _, _, ctx = render(spec, env_settings={})
    assert len(errors(ctx)) == 2 and "allow: none" in errors(ctx)[0]


def test_a_job_step_cannot_fan_out():
    spec = "steps:\n  - name: t\n    job: train\n    forEach: [a, b]\n"
    _, _, ctx = render(spec, ("Job", "train", TRAIN_JOB))
    assert errors(ctx) == [f"{PIPELINE_FILE}:4:14: demo/Pipeline/retrain in dev: step 't': a job step "
                           "cannot fan out with forEach (the Job takes no {{item}}: every item would start an identical 'train')"]


def test_unknown_param_and_item_without_for_each_are_errors():
    spec = """\
params: [{name: date, default: today}]
steps:
  - name: a
    container:
      image: 'r/a:1'
      args: ["{{workflow.parameters.day}}", "{{item}}"]
"""
    _, _, ctx = render(spec)
    assert errors(ctx) == [
        f"{PIPELINE_FILE}:6:14: demo/Pipeline/retrain in dev: step 'a': unknown pipeline param 'day' "
        "in '{{workflow.parameters.day}}' (known: date)",
        f"{PIPELINE_FILE}:6:45: demo/Pipeline/retrain in dev: step 'a': " "{{item}} is only set in a step with forEach",
    ]


def test_a_scheduled_pipeline_needs_param_defaults():
    spec = "params:\n  - {name: date}\nschedule: {cron: '0 3 * * *'}\nsteps: [{name: a, container: {image: 'r/a:1'}}]\n"
    _, _, ctx = render(spec)
    assert errors(ctx) == [f"{PIPELINE_FILE}:2:5: demo/Pipeline/retrain in dev: param 'date' needs a default: "
                           "the schedule starts runs without arguments"]


# --- the graph module ----------------------------------------------------------------------

def test_dag_checks_handle_long_chains_without_recursion():
    steps = [(f"s{i}", [f"s{i - 1}"] if i else []) for i in range(5000)]
    assert dag.cycles(steps) == [] and dag.unknown_after(steps) == [] and dag.duplicates(steps) == []
    steps[0] = ("s0", ["s4999"])
    [cycle] = dag.cycles(steps)
    assert cycle.names[0] == cycle.names[-1] and len(cycle.names) == 5001


def test_dag_diamond_is_not_a_cycle():
    steps = [("a", []), ("b", ["a"]), ("c", ["a"]), ("d", ["b", "c"])]
    assert dag.cycles(steps) == []


# --- the app-type layer --------------------------------------------------------------------

def test_the_pipeline_default_layer_is_a_valid_app_type():
    doc = AppTypeDoc.model_validate(yaml.safe_load(LAYER.read_text()))
    assert doc.name == "pipeline-default" and doc.for_ == "Pipeline"
    spec = PipelineSpec.model_validate({**doc.spec, "steps": [{"name": "a", "container": {"image": "r/a:1"}}]})
    assert spec.serviceAccount and spec.podGC and spec.ttl and spec.archiveLogs is not None
    assert "#" in LAYER.read_text()  # defaults are explained where teams read them
