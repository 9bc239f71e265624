"""`patches:` (issue 16): the layered escape hatch — layering, null, lock, explain and plan
provenance, and the errors (matches nothing, computed path, forbidden path)."""
from __future__ import annotations

import pytest
import yaml
from repo_fixture import compile_errors, compile_targets, compiled_objects, run, write_repo

from compiler.plan import causes

GROUP = """
    kind: EnvironmentGroup
    name: test
    vars: {registry: reg.test.local}
    gpuPools: {t4: {resourceName: nvidia.com/gpu, nodeSelector: {pool: t4}}}
    defaults:
      Job:
        patches:
          - name: grace
            pods: {}
            merge: {spec: {terminationGracePeriodSeconds: 15, enableServiceLinks: false}}
    policy: {forbidPatchPaths: ["*/securityContext/privileged", "*/hostNetwork"]}
    """

TRAIN = """
    kind: Job
    name: train
    spec:
      framework: mpi
      image: reg/bench:1.0
      replicas: {worker: 2}
      resources: {cpu: "4", memory: 8Gi, gpu: 1, gpuType: t4}
      roles:
        launcher: {command: [mpirun, bench], resources: {cpu: "1", memory: 2Gi, gpu: 0}}
      patches:
        - name: wait-etcd
          pods: {roles: [launcher]}
          merge:
            spec:
              initContainers: [{name: wait, image: "busybox:1.36", command: [sh, -c, "until nc -z etcd 2379; do sleep 1; done"]}]
              containers: [{name: mpi, stdin: true}]
        - name: istio
          object: {kind: MPIJob}
          json:
            - {op: add, path: /metadata/annotations, value: {sidecar.istio.io/inject: "false"}}
            - {op: add, path: /spec/runPolicy/cleanPodPolicy, value: All}
    """
JOB = "projects/demo/train.yaml"


def repo(tmp_path, train: str = TRAIN, **extra):
    return write_repo(tmp_path, {"environments/groups/test.yaml": GROUP, JOB: train, **extra})


objects, errors = compiled_objects, compile_errors


def test_layered_patches_apply_to_every_pod_template_and_the_object(tmp_path):
    mpi = objects(repo(tmp_path))["MPIJob/train"]
    launcher = mpi["spec"]["mpiReplicaSpecs"]["Launcher"]["template"]["spec"]
    worker = mpi["spec"]["mpiReplicaSpecs"]["Worker"]["template"]["spec"]
    for pod in (launcher, worker):   # the group's patch: every pod template
        assert pod["terminationGracePeriodSeconds"] == 15 and pod["enableServiceLinks"] is False
    assert launcher["initContainers"][0]["name"] == "wait" and "initContainers" not in worker
    # containers merge by name inside the CRD: the main container keeps its command, gains stdin
    [main] = launcher["containers"]
    assert main["command"] == ["mpirun", "bench"] and main["stdin"] is True
    assert mpi["metadata"]["annotations"] == {"sidecar.istio.io/inject": "false"}
    assert mpi["spec"]["runPolicy"]["cleanPodPolicy"] == "All"


def test_an_override_switches_a_patch_off_nulls_its_body_or_drops_them_all(tmp_path):
    off = TRAIN + """
    overrides:
      dev:
        patches: [{name: grace, enabled: false}, {name: istio, json: null, merge: {spec: {slotsPerWorker: 3}}}]
    """
    assert "changes /spec/slotsPerWorker, which strata computes: set the worker role's resources.gpu" in \
        errors(repo(tmp_path / "a", off))
    off = off.replace("merge: {spec: {slotsPerWorker: 3}}", "merge: {metadata: {labels: {team: x}}}")
    mpi = objects(repo(tmp_path / "b", off))["MPIJob/train"]
    assert "terminationGracePeriodSeconds" not in mpi["spec"]["mpiReplicaSpecs"]["Worker"]["template"]["spec"]
    assert mpi["metadata"]["labels"]["team"] == "x" and "annotations" not in mpi["metadata"]
    none = TRAIN + "\n    overrides:\n      dev:\n        patches: null\n"
    mpi = objects(repo(tmp_path / "c", none))["MPIJob/train"]
    assert "initContainers" not in mpi["spec"]["mpiReplicaSpecs"]["Launcher"]["template"]["spec"]
    assert "terminationGracePeriodSeconds" not in mpi["spec"]["mpiReplicaSpecs"]["Worker"]["template"]["spec"]


def test_a_locked_patch_list_cannot_be_changed_below(tmp_path):
    group = GROUP.rstrip() + "\n    locked: [Job.patches]\n"
    text = errors(repo(tmp_path, **{"environments/groups/test.yaml": group}))
    assert "patches is locked by environments/groups/test.yaml" in text


@pytest.mark.parametrize("patch, message", [
    ("{name: p, object: {kind: TFJob}, merge: {spec: {}}}",
     "patch 'p': matches nothing: no TFJob/train among the objects Job train renders (MPIJob/train)"),
    ("{name: p, pods: {roles: [ps]}, merge: {spec: {}}}",
     "patch 'p': matches nothing: no pod template of role ps (roles here: launcher, worker)"),
    ("{name: p, object: {kind: MPIJob}, json: [{op: remove, path: /spec/nope}]}",
     "patch 'p': matches nothing: remove /spec/nope: there is no 'nope'"),
    ("{name: p, pods: {}, merge: {spec: {containers: [{name: sidecar}]}}}",
     "patch 'p': matches nothing: no container 'sidecar' in containers (mpi); a new one needs an image"),
    ("{name: p, pods: {}, merge: {spec: {containers: [{name: mpi, resources: {limits: {nvidia.com/gpu: 8}}}]}}}",
     "changes /spec/mpiReplicaSpecs/Launcher/template/spec/containers/0/resources/limits/nvidia.com~1gpu, which "
     "strata computes: set resources (roles.<role>.resources for one role)"),
    ("{name: p, object: {kind: MPIJob}, json: [{op: replace, path: /spec/mpiReplicaSpecs/Worker/replicas, value: 9}]}",
     "changes /spec/mpiReplicaSpecs/Worker/replicas, which strata computes: set replicas"),
    ("{name: p, pods: {roles: [worker]}, merge: {spec: {nodeSelector: {pool: a100}}}}",
     "changes /spec/mpiReplicaSpecs/Worker/template/spec/nodeSelector/pool, which strata computes: "
     "set resources.gpuType (its gpuPool)"),
    ("{name: p, pods: {}, merge: {metadata: {labels: {kueue.x-k8s.io/queue-name: other}}}}",
     "which strata computes: set scheduling.queue"),
    ("{name: p, pods: {}, merge: {spec: {containers: [{name: mpi, securityContext: {privileged: true}}]}}}",
     "changes /spec/mpiReplicaSpecs/Launcher/template/spec/containers/0/securityContext/privileged: "
     "policy forbidPatchPaths forbids '*/securityContext/privileged'"),
])
def test_patch_errors_are_located_at_the_patch(tmp_path, patch, message):
    train = TRAIN.split("      patches:")[0] + f"      patches: [{patch}]\n"
    text = errors(repo(tmp_path, train))
    assert message in text
    assert f"{JOB}:" in text.split(message)[0].splitlines()[-1]   # file:line of the patch


def test_a_hostpath_volume_added_by_a_patch_meets_forbid_host_path(tmp_path):
    group = GROUP.replace("policy: {", "policy: {forbidHostPath: true, ")
    train = TRAIN.split("      patches:")[0] + """      patches:
        - name: ib
          pods: {}
          merge: {spec: {volumes: [{name: ib, hostPath: {path: /dev/infiniband}}]}}
    """
    assert "mounts hostPath '/dev/infiniband': policy forbidHostPath" in \
        errors(repo(tmp_path, train, **{"environments/groups/test.yaml": group}))


def test_a_scheduled_job_embeds_the_patched_job(tmp_path):
    train = TRAIN.replace("      roles:", "      schedule: {cron: '0 3 * * *'}\n      roles:")
    cron = objects(repo(tmp_path, train))["CronWorkflow/train"]
    manifest = yaml.safe_load(cron["spec"]["workflowSpec"]["templates"][0]["resource"]["manifest"])
    assert manifest["spec"]["runPolicy"]["cleanPodPolicy"] == "All"
    assert manifest["spec"]["mpiReplicaSpecs"]["Worker"]["template"]["spec"]["terminationGracePeriodSeconds"] == 15


def test_explain_shows_each_patch_with_its_file_and_line(tmp_path):
    result = run(repo(tmp_path), "explain", "demo/Job/train", "--env", "dev",
                 "--path", "patches[grace].merge.spec.terminationGracePeriodSeconds")
    assert result.exit_code == 0, result.output
    assert "patches[grace].merge.spec.terminationGracePeriodSeconds = 15" in result.output
    assert "set by   environments/groups/test.yaml:10:" in result.output


def test_plan_cites_the_patch_line_that_changed(tmp_path):
    old, _ = compile_targets(repo(tmp_path / "base"))
    new, _ = compile_targets(repo(tmp_path / "head", TRAIN.replace("value: All", "value: Running")))
    found = causes.notes(set(old.graph.nodes) | set(new.graph.nodes), old.graph, new.graph, frozenset({JOB}))
    [cause] = found[("dev", "demo", "job.train")].causes
    assert cause.path == "patches[istio].json[1].value"
    assert (cause.old, cause.new) == ("All", "Running")
    assert cause.where.startswith(f"{JOB}:21:")


def test_a_notebook_and_a_dataset_take_object_patches(tmp_path):
    notebook = """
    kind: Notebook
    name: nb
    spec:
      image: jupyter:1
      patches: [{name: shm, pods: {}, merge: {spec: {enableServiceLinks: false}}}]
    """
    dataset = """
    kind: Dataset
    name: imagenet
    spec:
      sources: [{name: s3, uri: "s3://bucket/imagenet"}]
      cache: {engine: alluxio, tiers: [{medium: MEM, path: /dev/shm, quota: 2Gi}]}
      patches:
        - name: tuning
          object: {kind: AlluxioRuntime}
          merge: {spec: {properties: {alluxio.user.direct.memory.io.enabled: "false"}}}
    """
    found = objects(repo(tmp_path, **{"projects/demo/nb.yaml": notebook, "projects/demo/data.yaml": dataset}))
    assert found["Notebook/nb"]["spec"]["template"]["spec"]["enableServiceLinks"] is False
    assert found["AlluxioRuntime/imagenet"]["spec"]["properties"] == {"alluxio.user.direct.memory.io.enabled": "false"}


def test_a_chart_service_and_a_pipeline_take_patches(tmp_path):
    model = "kind: Model\nname: m\nspec: {format: onnx, versions: [{version: 1, uri: 's3://models/m/1'}]}\n"
    service = """
    kind: Service
    name: web
    spec:
      image: reg/server:1.0
      model: {name: m, version: 1}
      patches: [{name: grace, pods: {}, merge: {spec: {terminationGracePeriodSeconds: 60}}}]
    """
    pipeline = """
    kind: Pipeline
    name: flow
    spec:
      steps: [{name: a, container: {image: "alpine:3.20"}}]
      patches:
        - name: deadline
          object: {kind: WorkflowTemplate}
          json: [{op: add, path: /spec/activeDeadlineSeconds, value: 3600}]
    """
    found = objects(repo(tmp_path, **{"projects/demo/m.yaml": model, "projects/demo/web.yaml": service,
                                      "projects/demo/flow.yaml": pipeline}))
    assert found["Deployment/web"]["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] == 60
    assert found["WorkflowTemplate/flow"]["spec"]["activeDeadlineSeconds"] == 3600
