"""One rendered object of each kind with known replicas and GPUs → its GPU demand (compiler.capacity.demand).

Objects are written here as the cluster sees them; a few come from strata's own renderers, to
check that what strata emits is counted the same way.
"""
from __future__ import annotations

import textwrap

import pytest
import yaml

from compiler.capacity.demand import Context, target_workloads, workload_of
from compiler.capacity.gpus import pod_gpus, pool_of, pools_of
from compiler.capacity.workflow import heaviest_antichain
from compiler.render.cron import fire_gap_seconds
from schemas.environment import GpuPool

POOLS = pools_of({
    "a100": GpuPool.model_validate({"resourceName": "nvidia.com/gpu", "nodeSelector": {"gpu": "a100"}}),
    "h800": GpuPool.model_validate({"resourceName": "nvidia.com/gpu", "nodeSelector": {"gpu": "h800"}}),
    "mi300": GpuPool.model_validate({"resourceName": "amd.com/gpu"}),
})


def pod(gpus: int, pool: str = "a100", **extra) -> dict:
    spec = {"containers": [{"name": "main", "image": "x:1",
                            "resources": {"requests": {"cpu": "1", "nvidia.com/gpu": str(gpus)},
                                          "limits": {"cpu": "1", "nvidia.com/gpu": str(gpus)}}}],
            "nodeSelector": {"gpu": pool}}
    spec.update(extra)
    return spec


def obj(api: str, kind: str, spec: dict, name: str = "w", **meta) -> dict:
    return {"apiVersion": api, "kind": kind, "metadata": {"name": name, "namespace": "ns", **meta}, "spec": spec}


def one(*objects: dict):
    """The demand of the first object, with every object as its target's siblings."""
    found = target_workloads(objects, POOLS)
    assert len(found) == 1, found
    return found[0]


# --- pods and pools ---------------------------------------------------------------------------

def test_a_pod_lands_in_the_pool_its_resource_and_node_selector_name():
    assert pool_of("nvidia.com/gpu", {"gpu": "h800", "zone": "b"}, POOLS) == "h800"
    assert pool_of("amd.com/gpu", {}, POOLS) == "mi300"                 # a pool without a selector
    assert pool_of("nvidia.com/gpu", {}, POOLS) is None                 # no selector: no pool
    assert pool_of("nvidia.com/gpu", {"gpu": "t4"}, POOLS) is None


def test_the_most_specific_pool_wins():
    pools = pools_of({"any": GpuPool.model_validate({}),
                      "fast": GpuPool.model_validate({"nodeSelector": {"gpu": "h800"}})})
    assert pool_of("nvidia.com/gpu", {"gpu": "h800"}, pools) == "fast"
    assert pool_of("nvidia.com/gpu", {"gpu": "t4"}, pools) == "any"


def test_pod_gpus_follow_kubernetes_effective_requests():
    spec = pod(2, initContainers=[
        {"name": "warm", "resources": {"limits": {"nvidia.com/gpu": 4}}},                          # runs first, alone
        {"name": "proxy", "restartPolicy": "Always", "resources": {"requests": {"nvidia.com/gpu": "1"}}}])  # sidecar
    assert pod_gpus(spec, POOLS) == {"nvidia.com/gpu": 4}    # max(4, 2 + 1)
    assert pod_gpus({"containers": [{"resources": {"limits": {"nvidia.com/mig-1g.10gb": 2}}}]}, ()) == \
        {"nvidia.com/mig-1g.10gb": 2}


# --- one rule per kind -------------------------------------------------------------------------

def test_deployment_replicas():
    work = one(obj("apps/v1", "Deployment", {"replicas": 3, "template": {"spec": pod(2)}}))
    assert (work.steady, work.totals) == (True, (("a100", 6, 6),))


def test_deployment_without_replicas_is_one_pod():
    assert one(obj("apps/v1", "StatefulSet", {"template": {"spec": pod(1)}})).totals == (("a100", 1, 1),)


def test_deployment_scaled_by_its_hpa_min_and_max():
    deployment = obj("apps/v1", "Deployment", {"template": {"spec": pod(1)}}, name="web")
    hpa = obj("autoscaling/v2", "HorizontalPodAutoscaler", {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
        "minReplicas": 2, "maxReplicas": 5})
    other = obj("autoscaling/v2", "HorizontalPodAutoscaler", {
        "scaleTargetRef": {"kind": "Deployment", "name": "someone-else"}, "minReplicas": 9, "maxReplicas": 9})
    work = one(deployment, other, hpa)
    assert work.totals == (("a100", 2, 5),) and "HPA" in work.detail


def test_chart_canary_deployment_counts_beside_the_stable_one(tmp_path):
    """A chart Service with a canary, through strata's own renderer: max replicas + the canary's share."""
    from factories import make_ctx, make_env, make_project, make_target
    from compiler.render.service import ServiceRenderer

    env = make_env("prod", gpuPools={"a100": {"nodeSelector": {"gpu": "a100"}}},   # canary weights need a gateway
                   gateway={"name": "ml-gateway", "namespace": "gateways", "domain": "prod.example.com"})
    project = make_project("web", env)
    model = make_target("Model", "m", {"versions": [{"version": 1, "uri": "s3://b/m/1"},
                                                    {"version": 2, "uri": "s3://b/m/2"}]}, project)
    service = make_target("Service", "web", {
        "runtime": "chart", "chart": {"name": "model-service"}, "image": "srv:1",
        "model": {"name": "m", "version": 1}, "replicas": {"min": 2, "max": 4},
        "canary": {"weight": 30, "model": {"name": "m", "version": 2}},
        "resources": {"cpu": "1", "memory": "1Gi", "gpu": 2, "gpuType": "a100"}}, project)
    objects = ServiceRenderer().render(service, make_ctx(model, service))
    found = target_workloads(objects, pools_of(env.settings.gpuPools))
    assert [(w.kind, w.name, w.totals) for w in found] == [
        ("Deployment", "web", (("a100", 4, 8),)),            # 2–4 pods (HPA) × 2 GPUs
        ("Deployment", "web-canary", (("a100", 4, 4),))]     # ceil(4 × 30%) = 2 pods × 2 GPUs


def test_inference_service_min_and_max_replicas():
    isvc = obj("serving.kserve.io/v1beta1", "InferenceService", {
        "predictor": {"minReplicas": 2, "maxReplicas": 6, "nodeSelector": {"gpu": "a100"},
                      "model": {"modelFormat": {"name": "onnx"},
                                "resources": {"limits": {"nvidia.com/gpu": "1"}, "requests": {"nvidia.com/gpu": "1"}}}}})
    work = one(isvc)
    assert (work.steady, work.totals) == (True, (("a100", 2, 6),))


def test_inference_service_canary_keeps_two_revisions():
    isvc = obj("serving.kserve.io/v1beta1", "InferenceService", {
        "predictor": {"minReplicas": 2, "maxReplicas": 6, "canaryTrafficPercent": 25, "nodeSelector": {"gpu": "a100"},
                      "model": {"resources": {"limits": {"nvidia.com/gpu": "1"}}}},
        "transformer": {"minReplicas": 1, "containers": [{"name": "t", "resources": {}}]}})   # no GPU
    # both revisions keep minReplicas (2 + 2); at most 6 + max(2, ceil(6 × 25%) = 2)
    assert one(isvc).totals == (("a100", 4, 8),)


def test_pytorchjob_every_role():
    job = obj("kubeflow.org/v1", "PyTorchJob", {"pytorchReplicaSpecs": {
        "Master": {"replicas": 1, "template": {"spec": pod(8, "h800")}},
        "Worker": {"replicas": 3, "template": {"spec": pod(8, "h800")}}}})
    work = one(job)
    assert (work.steady, work.totals) == (False, (("h800", 32, 32),))
    assert work.detail == "Master 1 × 8 GPU + Worker 3 × 8 GPU"
    assert work.gangs == ()          # no batch scheduler on the object


def test_tfjob_parameter_servers_and_chief_count():
    job = obj("kubeflow.org/v1", "TFJob", {"tfReplicaSpecs": {
        "Chief": {"template": {"spec": pod(1)}},                             # replicas default 1
        "PS": {"replicas": 2, "template": {"spec": pod(1)}},
        "Worker": {"replicas": 4, "template": {"spec": pod(2)}},
        "Evaluator": {"replicas": 1, "template": {"spec": {"containers": [{"name": "cpu-only"}]}}}}})
    assert one(job).totals == (("a100", 11, 11),)                           # 1 + 2 + 8


def test_mpijob_launcher_counts():
    """strata renders the launcher with the job's resources (per-role settings have not landed)."""
    job = obj("kubeflow.org/v1", "MPIJob", {"slotsPerWorker": 8, "mpiReplicaSpecs": {
        "Launcher": {"replicas": 1, "template": {"spec": pod(8)}},
        "Worker": {"replicas": 2, "template": {"spec": pod(8)}}}})
    assert one(job).totals == (("a100", 24, 24),)


def test_elastic_pytorchjob_counts_workers_up_to_max_replicas():
    job = obj("kubeflow.org/v1", "PyTorchJob", {"elasticPolicy": {"minReplicas": 2, "maxReplicas": 6},
                                                "pytorchReplicaSpecs": {"Worker": {"replicas": 2,
                                                                                   "template": {"spec": pod(4)}}}})
    assert one(job).totals == (("a100", 24, 24),)


def test_volcano_gang_is_min_available_of_the_smallest_pods():
    job = obj("kubeflow.org/v1", "PyTorchJob", {
        "runPolicy": {"schedulingPolicy": {"minAvailable": 3, "queue": "research"}},
        "pytorchReplicaSpecs": {"Master": {"template": {"spec": pod(2)}},
                                "Worker": {"replicas": 4, "template": {"spec": pod(8)}}}})
    gang = one(job).gangs[0]
    assert (gang.scheduler, gang.queue, gang.pods, gang.gpus) == ("volcano", "research", 3,
                                                                  (("nvidia.com/gpu", "a100", 18),))   # 2 + 8 + 8


def test_kueue_gang_is_the_whole_job():
    job = obj("kubeflow.org/v1", "PyTorchJob", {"runPolicy": {"suspend": True}, "pytorchReplicaSpecs": {
        "Master": {"template": {"spec": pod(4)}}, "Worker": {"replicas": 1, "template": {"spec": pod(4)}}}},
        labels={"kueue.x-k8s.io/queue-name": "team"})
    gang = one(job).gangs[0]
    assert (gang.scheduler, gang.queue, gang.namespace, gang.pods, gang.gpus) == \
        ("kueue", "team", "ns", 2, (("nvidia.com/gpu", "a100", 8),))


def test_batch_job_parallelism():
    assert one(obj("batch/v1", "Job", {"parallelism": 4, "template": {"spec": pod(1)}})).totals == (("a100", 4, 4),)
    assert one(obj("batch/v1", "Job", {"parallelism": 4, "completions": 2,
                                       "template": {"spec": pod(1)}})).totals == (("a100", 2, 2),)
    assert one(obj("batch/v1", "Job", {"template": {"spec": pod(3)}})).totals == (("a100", 3, 3),)


def test_batch_job_under_volcano_is_a_gang_of_one_pod():
    job = obj("batch/v1", "Job", {"parallelism": 2, "template": {
        "metadata": {"annotations": {"scheduling.volcano.sh/queue-name": "q"}},
        "spec": pod(2, schedulerName="volcano")}})
    gang = one(job).gangs[0]
    assert (gang.scheduler, gang.queue, gang.pods, gang.gpus) == ("volcano", "q", 1, (("nvidia.com/gpu", "a100", 2),))


def test_volcano_job_tasks():
    job = obj("batch.volcano.sh/v1alpha1", "Job", {"minAvailable": 3, "queue": "train", "tasks": [
        {"name": "ps", "replicas": 1, "template": {"spec": {"containers": [{"name": "ps"}]}}},
        {"name": "worker", "replicas": 4, "template": {"spec": pod(2)}}]})
    work = one(job)
    assert work.totals == (("a100", 8, 8),)
    assert work.gangs[0].gpus == (("nvidia.com/gpu", "a100", 4),)     # ps (0) + two workers (2 + 2)


def test_notebook_is_one_steady_pod():
    work = one(obj("kubeflow.org/v1", "Notebook", {"template": {"spec": pod(1)}}))
    assert (work.steady, work.totals) == (True, (("a100", 1, 1),))


def test_objects_without_gpus_are_left_out():
    assert target_workloads([obj("apps/v1", "Deployment", {"replicas": 3, "template": {"spec": {
        "containers": [{"name": "web", "resources": {"requests": {"cpu": "1"}}}]}}}),
        obj("v1", "ConfigMap", {})], POOLS) == []


def test_gpus_matching_no_pool_are_counted_under_none():
    work = one(obj("apps/v1", "Deployment", {"replicas": 2, "template": {"spec": pod(1, "t4")}}))
    assert work.totals == ((None, 2, 2),)


# --- Argo ---------------------------------------------------------------------------------------

def job_manifest(replicas: int, gpus: int, deadline: int | None = None) -> str:
    job = obj("kubeflow.org/v1", "PyTorchJob", {
        "runPolicy": {"activeDeadlineSeconds": deadline} if deadline else {},
        "pytorchReplicaSpecs": {"Master": {"replicas": 1, "template": {"spec": pod(gpus)}},
                                "Worker": {"replicas": replicas - 1, "template": {"spec": pod(gpus)}}}})
    job["metadata"] = {"generateName": "train-", "namespace": "ns"}
    return yaml.safe_dump(job)


def template(name: str, gpus: int = 0) -> dict:
    resources = {"limits": {"nvidia.com/gpu": str(gpus)}} if gpus else {}
    return {"name": name, "container": {"name": "main", "image": "x:1", "resources": resources},
            "nodeSelector": {"gpu": "a100"}}


def pipeline(tasks: list[dict], templates: list[dict], **spec) -> dict:
    return obj("argoproj.io/v1alpha1", "WorkflowTemplate", {
        "entrypoint": "main", **spec,
        "templates": [{"name": "main", "dag": {"tasks": tasks}}, *templates]}, name="p")


def test_pipeline_steps_that_wait_for_each_other_do_not_add_up():
    """prepare (2) → train (a job: 2 pods × 4) → fan-out of 12 × 1: the heaviest step, not the sum."""
    wf = pipeline([{"name": "prepare", "template": "prep"},
                   {"name": "train", "template": "train", "dependencies": ["prepare"]},
                   {"name": "score", "template": "score", "dependencies": ["train"],
                    "withItems": [f"i{n}" for n in range(12)]}],
                  [template("prep", 2),
                   {"name": "train", "resource": {"action": "create", "manifest": job_manifest(2, 4)}},
                   template("score", 1)])
    work = one(wf)
    assert (work.steady, work.totals) == (False, (("a100", 12, 12),))
    assert [p.high for p in work.pods] == [1, 1, 1, 12]            # prep, the job's Master and Worker, 12 × score
    assert work.parts[0].kind == "PyTorchJob"


def test_pipeline_steps_that_may_run_together_add_up():
    wf = pipeline([{"name": "a", "template": "two"}, {"name": "b", "template": "three"},
                   {"name": "c", "template": "four", "depends": "a && b.Succeeded"}],
                  [template("two", 2), template("three", 3), template("four", 4)])
    assert one(wf).totals == (("a100", 5, 5),)                       # a + b, or c alone: 5


def test_pipeline_parallelism_caps_at_the_heaviest_instances():
    wf = pipeline([{"name": "fan", "template": "one", "withItems": list(range(10))},
                   {"name": "big", "template": "four"}],
                  [template("one", 1), template("four", 4)], parallelism=3)
    assert one(wf).totals == (("a100", 6, 6),)                       # 4 + 1 + 1, not 14


def test_pipeline_steps_template_takes_the_heaviest_group():
    wf = obj("argoproj.io/v1alpha1", "Workflow", {"entrypoint": "main", "templates": [
        {"name": "main", "steps": [[{"name": "a", "template": "two"}, {"name": "b", "template": "two"}],
                                   [{"name": "c", "template": "three", "withSequence": {"count": "2"}}]]},
        template("two", 2), template("three", 3)]})
    assert one(wf).totals == (("a100", 6, 6),)                       # max(2 + 2, 2 × 3)


def test_platform_templates_are_not_counted_and_said_so():
    wf = pipeline([{"name": "eval", "templateRef": {"name": "evaluate-model", "template": "evaluate-model",
                                                     "clusterScope": True}},
                   {"name": "train", "template": "two"}], [template("two", 2)])
    work = one(wf)
    assert work.totals == (("a100", 2, 2),) and "not counted: evaluate-model" in work.detail


def cron(policy: str, cron_line: str, workflow_spec: dict, **spec) -> dict:
    return obj("argoproj.io/v1alpha1", "CronWorkflow", {"schedules": [cron_line], "concurrencyPolicy": policy,
                                                        "workflowSpec": workflow_spec, **spec}, name="p")


def job_cron(policy: str, cron_line: str, deadline: int | None, **spec) -> dict:
    return cron(policy, cron_line, {"entrypoint": "create-job", "templates": [
        {"name": "create-job", "resource": {"action": "create", "manifest": job_manifest(2, 4, deadline)}}]}, **spec)


@pytest.mark.parametrize("policy, line, deadline, runs", [
    ("Forbid", "0 * * * *", None, 1),
    ("Replace", "*/5 * * * *", 3600, 1),
    ("Allow", "0 * * * *", 3 * 3600, 3),        # a run lasts at most 3h, one starts every hour
    ("Allow", "0 * * * *", 5400, 2),            # 1h30m: ceil(1.5) runs overlap
    ("Allow", "0 3 * * *", 3600, 1),            # daily, at most an hour: never overlaps
    ("Allow", "0 * * * *", None, 2),            # no deadline: runs may pile up, counted as 2
])
def test_cron_runs_at_once(policy, line, deadline, runs):
    work = one(job_cron(policy, line, deadline))
    assert work.totals == (("a100", 8 * runs, 8 * runs),), work.detail


def test_suspended_cron_still_counts_one_run():
    assert one(job_cron("Allow", "* * * * *", None, suspend=True)).totals == (("a100", 8, 8),)


def test_scheduled_pipeline_counts_once_through_its_cron():
    """A pipeline's WorkflowTemplate and the CronWorkflow running it: the cron's runs, not both."""
    wf = pipeline([{"name": "t", "template": "two"}], [template("two", 2)])
    schedule = cron("Allow", "0 * * * *", {"workflowTemplateRef": {"name": "p"}, "activeDeadlineSeconds": 7200})
    found = target_workloads([wf, schedule], POOLS)
    assert [(w.kind, w.totals) for w in found] == [("CronWorkflow", (("a100", 4, 4),))]   # 2 runs × 2
    assert "up to 2 runs overlap" in found[0].detail


def test_unscheduled_pipeline_is_one_run():
    wf = pipeline([{"name": "t", "template": "two"}], [template("two", 2)])
    assert one(wf).totals == (("a100", 2, 2),)


def test_pipeline_with_strata_renderer_embeds_the_job():
    """retrain-style pipeline through strata's renderers: the job step counts as the Job itself."""
    from factories import make_ctx, make_env, make_project, make_target
    from compiler.render.pipeline import PipelineRenderer

    env = make_env("prod", gpuPools={"a100": {"nodeSelector": {"gpu": "a100"}}})
    project = make_project("cv", env)
    job = make_target("Job", "train", {"framework": "pytorch", "image": "t:1", "replicas": {"worker": 3},
                                       "resources": {"gpu": 8, "gpuType": "a100"}}, project)
    pipe = make_target("Pipeline", "retrain", {"schedule": {"cron": "0 3 * * 1"}, "steps": [
        {"name": "prep", "container": {"image": "p:1", "resources": {"gpu": 1, "gpuType": "a100"}}},
        {"name": "train", "after": ["prep"], "job": "train"}]}, project)
    objects = PipelineRenderer().render(pipe, make_ctx(job, pipe, rendering=pipe))
    found = target_workloads(objects, pools_of(env.settings.gpuPools))
    assert [(w.kind, w.totals) for w in found] == [("CronWorkflow", (("a100", 32, 32),))]
    assert {p.shape.role for p in found[0].pods} == {"step-prep", "step-train/Master", "step-train/Worker"}


# --- helpers ------------------------------------------------------------------------------------

def test_heaviest_antichain():
    order = {"a": set(), "b": {"a"}, "c": {"a"}, "d": {"a", "b", "c"}}       # a diamond
    weights = {"a": 5, "b": 3, "c": 4, "d": 6}
    assert heaviest_antichain(list(order), order, weights) == 7              # b + c
    assert heaviest_antichain(list(order), order, {**weights, "d": 8}) == 8
    assert heaviest_antichain(["x", "y"], {"x": set(), "y": set()}, {"x": 2, "y": 3}) == 5


@pytest.mark.parametrize("lines, gap", [
    (["5 * * * *"], 3600), (["0 3 * * 1"], 7 * 86400), (["@hourly"], 3600), (["@every 90s"], 90),
    (["0,30 9-17 * * 1-5"], 1800), (["0 0 * * *", "30 23 * * *"], 1800), (["0 0 1 * 1"], 86400),
    (["0 0 1 * *"], 28 * 86400), (["0 0 29 2 *"], None), (["not a cron"], None),
])
def test_fire_gap(lines, gap):
    assert fire_gap_seconds(lines) == gap


def test_workload_of_unknown_kind_is_none():
    assert workload_of(obj("v1", "Service", {}), Context(POOLS)) is None


def test_example_pipeline_output_is_counted(tmp_path):
    """The hourly forecast pipeline of the example asks for no GPU: nothing is counted."""
    text = textwrap.dedent("""
        apiVersion: argoproj.io/v1alpha1
        kind: WorkflowTemplate
        metadata: {name: f, namespace: ns}
        spec:
          entrypoint: main
          templates:
            - name: main
              dag: {tasks: [{name: a, template: cpu}]}
            - name: cpu
              container: {image: x, resources: {requests: {cpu: "1"}}}
        """)
    assert target_workloads([yaml.safe_load(text)], POOLS) == []
