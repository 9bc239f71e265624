from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from compiler.check.policy import check_objects, check_policies, is_pinned
from compiler.render import RenderContext
from compiler.targets import Project
from factories import located_target, make_env, make_project, make_target


def policy_project(**policy: Any) -> Project:
    return make_project("demo", make_env("prod", policy=policy))


def errors(*targets, objects=None):
    ctx = RenderContext(repo=Path("."))   # the policy checks only report through it
    for target in targets:
        check_policies(target, ctx)
        if objects is not None:
            check_objects(target, objects, ctx)
    return [p.render() for p in ctx.problems.items]


@pytest.mark.parametrize("image, pinned", [
    ("registry.local/team/train:1.4.2", True), ("train@sha256:" + "a" * 64, True),
    ("train:latest@sha256:" + "b" * 64, True), ("train", False), ("train:latest", False),
    ("registry.local:5000/team/train", False), ("registry.local:5000/team/train:v2", True),
])
def test_is_pinned(image, pinned):
    assert is_pinned(image) is pinned


def test_unpinned_images_point_at_their_lines():
    project = policy_project(requirePinnedImages=True)
    job = located_target("Job", "train", """\
        kind: Job
        name: train
        spec:
          image: registry.local/train:latest
        """, project)
    svc = located_target("Service", "web", """\
        kind: Service
        name: web
        spec:
          image: registry.local/web:1.0
          model: {name: m, version: 3}
          canary:
            weight: 10
            image: registry.local/web
        """, project)
    pipe = located_target("Pipeline", "etl", """\
        kind: Pipeline
        name: etl
        spec:
          steps:
            - name: fetch
              container: {image: "busybox:1.36"}
            - name: clean
              container:
                image: python
            - name: report
              template: send-report
        """, project)
    assert errors(job, svc, pipe) == [
        "projects/demo/job-train.yaml:4:10: demo/Job/train in prod: image 'registry.local/train:latest' is not "
        "pinned: policy requirePinnedImages needs a tag other than `latest`, or a digest",
        "projects/demo/service-web.yaml:8:12: demo/Service/web in prod: image 'registry.local/web' is not "
        "pinned: policy requirePinnedImages needs a tag other than `latest`, or a digest",
        "projects/demo/pipeline-etl.yaml:9:16: demo/Pipeline/etl in prod: image 'python' is not pinned: "
        "policy requirePinnedImages needs a tag other than `latest`, or a digest",
    ]


def test_policies_off_by_default():
    job = make_target("Job", "train", {"image": "x", "resources": {"gpu": 64}})
    assert errors(job, objects=[{"kind": "Pod", "spec": {"volumes": [{"name": "h", "hostPath": {"path": "/"}}]}}]) == []


def test_resource_limits_required_on_every_workload_container():
    project = policy_project(requireResourceLimits=True)
    notebook = located_target("Notebook", "lab", """\
        kind: Notebook
        name: lab
        spec:
          image: jupyter:1
          resources:
            cpu: "2"
        """, project)
    pipe = located_target("Pipeline", "etl", """\
        kind: Pipeline
        name: etl
        spec:
          steps:
            - name: fetch
              container: {image: "busybox:1.36", resources: {cpu: 1, memory: 1Gi}}
            - name: clean
              container: {image: "python:3.12"}
        """, project)
    done = make_target("Job", "ok", {"image": "x:1", "resources": {"cpu": "1", "memory": "1Gi"}}, project)
    assert errors(notebook, pipe, done) == [
        "projects/demo/notebook-lab.yaml:6:5: demo/Notebook/lab in prod: resources memory not set: "
        "policy requireResourceLimits needs cpu and memory on every workload container",
        "projects/demo/pipeline-etl.yaml:8:18: demo/Pipeline/etl in prod: step clean: resources cpu and memory "
        "not set: policy requireResourceLimits needs cpu and memory on every workload container",
    ]


def test_max_gpu_per_workload_counts_every_replica():
    project = policy_project(maxGpuPerWorkload=8)
    job = located_target("Job", "train", """\
        kind: Job
        name: train
        spec:
          framework: pytorch
          image: pt:2
          replicas: {worker: 3}
          resources:
            gpu: 4
            gpuType: a100
        """, project)
    svc = located_target("Service", "web", """\
        kind: Service
        name: web
        spec:
          image: srv:1
          model: {name: m, version: 1}
          replicas: {min: 1, max: 4}
          canary: {weight: 50}
          resources: {gpu: 2}
        """, project)
    small = make_target("Notebook", "lab", {"image": "j:1", "resources": {"gpu": 8}}, project)
    assert errors(job, svc, small) == [
        "projects/demo/job-train.yaml:8:10: demo/Job/train in prod: 16 GPUs (4 per pod x 4 pods) "
        "exceed policy maxGpuPerWorkload 8",
        "projects/demo/service-web.yaml:8:20: demo/Service/web in prod: 12 GPUs (2 per pod x 6 pods) "
        "exceed policy maxGpuPerWorkload 8",
    ]


def test_allowed_gpu_types():
    project = policy_project(allowedGpuTypes=["a100", "t4"])
    job = located_target("Job", "train", """\
        kind: Job
        name: train
        spec:
          image: pt:2
          resources:
            gpu: 1
            gpuType: h100
        """, project)
    untyped = located_target("Notebook", "lab", """\
        kind: Notebook
        name: lab
        spec:
          image: j:1
          resources: {gpu: 1}
        """, project)
    cpu_only = make_target("Job", "cpu", {"image": "x:1", "resources": {"gpuType": "h100"}}, project)
    fine = make_target("Job", "fine", {"image": "x:1", "resources": {"gpu": 2, "gpuType": "t4"}}, project)
    assert errors(job, untyped, cpu_only, fine) == [
        "projects/demo/job-train.yaml:7:14: demo/Job/train in prod: gpuType 'h100' not allowed: "
        "policy allowedGpuTypes is a100, t4",
        "projects/demo/notebook-lab.yaml:5:20: demo/Notebook/lab in prod: GPUs without a gpuType not allowed: "
        "policy allowedGpuTypes is a100, t4",
    ]


def test_forbid_host_path_checks_emitted_workload_pods_not_fluid_runtimes():
    project = policy_project(forbidHostPath=True)
    svc = located_target("Service", "web", """\
        kind: Service
        name: web
        spec:
          image: srv:1
          model: {name: m, version: 1}
        """, project)
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": {"template": {
        "spec": {"containers": [], "volumes": [{"name": "model", "emptyDir": {}},
                                               {"name": "cache", "hostPath": {"path": "/var/cache"}}]}}}}
    runtime = {"apiVersion": "data.fluid.io/v1alpha1", "kind": "AlluxioRuntime", "metadata": {"name": "d"},
               "spec": {"volumes": [{"name": "tier", "hostPath": {"path": "/mnt/ssd"}}]}}
    assert errors(svc, objects=[deployment, runtime]) == [
        "projects/demo/service-web.yaml:4:3: demo/Service/web in prod: Deployment/web volume 'cache' at "
        "/spec/template/spec/volumes/1 mounts hostPath '/var/cache': policy forbidHostPath"]
