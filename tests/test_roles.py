"""Per-role settings (issue 16): `roles:` laid over the Job's fields by the one merge rule, and
what strata computes per role — quota, maxGpuPerWorkload, gang minAvailable, MPI slots, GPU
pools — plus the job lifecycle fields (restartPolicy, cleanup, elastic, parallelism) and limits."""
from __future__ import annotations

from repo_fixture import compile_errors, compiled_objects, run, write_repo

GROUP = """
    kind: EnvironmentGroup
    name: test
    vars: {registry: reg.test.local}
    scheduler: volcano
    gpuPools:
      a100:
        nodeSelector: {gpu.pool: a100}
        tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]
    policy: {maxGpuPerWorkload: 4}
    """

PROJECT = """
    kind: Project
    name: demo
    owner: team-demo
    environments: [test]
    queue: {name: demo}
    quota:
      default: {cpu: "64", memory: 256Gi, gpu: {a100: 4}}
    """

PS_JOB = """
    kind: Job
    name: train
    spec:
      framework: tensorflow
      image: ${env.vars.registry}/tf-bench:2.15-gpu
      args: [--variable_update=parameter_server]
      replicas: {chief: 0, ps: 2, worker: 4}
      resources: {cpu: "8", memory: 32Gi, gpu: 1, gpuType: a100}
      scheduling: {gang: true}
      roles:
        ps:
          image: ${env.vars.registry}/tf-bench:2.15-cpu
          args: !append [--device=cpu]
          resources: {cpu: "4", memory: 16Gi, gpu: 0}
          restartPolicy: Always
        worker:
          args: !append [--device=gpu]
    """

MPI_JOB = """
    kind: Job
    name: bench
    spec:
      framework: mpi
      image: mpioperator/tensorflow-benchmarks:0.1
      replicas: {worker: 2}
      resources: {cpu: "4", memory: 16Gi, gpu: 2, gpuType: a100}
      cleanup: {pods: Running}
      roles:
        launcher:
          command: [mpirun, -np, "4", python, bench.py]
          resources: {cpu: "1", memory: 2Gi, gpu: 0}
    """


def repo_with(tmp_path, files: dict):
    return write_repo(tmp_path, {"environments/groups/test.yaml": GROUP, "projects/demo/project.yaml": PROJECT,
                                 "projects/demo/train.yaml": None, **files})


objects, errors = compiled_objects, compile_errors


def container(replica: dict) -> dict:
    return replica["template"]["spec"]["containers"][0]


def test_ps_on_cpu_beside_gpu_workers(tmp_path):
    tfjob = objects(repo_with(tmp_path, {"projects/demo/train.yaml": PS_JOB}))["TFJob/train"]
    ps, worker = tfjob["spec"]["tfReplicaSpecs"]["PS"], tfjob["spec"]["tfReplicaSpecs"]["Worker"]
    assert container(ps)["image"] == "reg.dev.local/tf-bench:2.15-cpu"
    assert container(ps)["args"] == ["--variable_update=parameter_server", "--device=cpu"]
    assert container(ps)["resources"] == {"requests": {"cpu": "4", "memory": "16Gi"},
                                          "limits": {"cpu": "4", "memory": "16Gi"}}
    assert "nodeSelector" not in ps["template"]["spec"] and "tolerations" not in ps["template"]["spec"]
    assert ps["restartPolicy"] == "Always"
    assert container(worker)["image"] == "reg.dev.local/tf-bench:2.15-gpu"
    assert container(worker)["args"] == ["--variable_update=parameter_server", "--device=gpu"]
    assert container(worker)["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert worker["template"]["spec"]["nodeSelector"] == {"gpu.pool": "a100"}
    assert worker["restartPolicy"] == "OnFailure"
    # gang: every replica of every role (2 PS + 4 workers); no chief
    assert tfjob["spec"]["runPolicy"]["schedulingPolicy"]["minAvailable"] == 6
    assert "Chief" not in tfjob["spec"]["tfReplicaSpecs"]


def test_ps_job_quota_and_max_gpu_count_only_the_gpu_role(tmp_path):
    """4 GPU workers fit quota a100: 4 and maxGpuPerWorkload 4; with the job-level GPU on the PS too
    they would not (6 GPUs)."""
    objects(repo_with(tmp_path, {"projects/demo/train.yaml": PS_JOB}))
    shared = PS_JOB.replace("resources: {cpu: \"4\", memory: 16Gi, gpu: 0}", "resources: {cpu: \"4\", memory: 16Gi}")
    text = errors(repo_with(tmp_path, {"projects/demo/train.yaml": shared}))
    assert "6 GPUs (role ps 1 x 2 + role worker 1 x 4) exceed policy maxGpuPerWorkload 4" in text
    assert "over quota: gpu a100 requested 6 > quota 4" in text


def test_mpi_launcher_without_gpu(tmp_path):
    mpi = objects(repo_with(tmp_path, {"projects/demo/train.yaml": MPI_JOB}))["MPIJob/bench"]
    launcher, worker = mpi["spec"]["mpiReplicaSpecs"]["Launcher"], mpi["spec"]["mpiReplicaSpecs"]["Worker"]
    assert container(launcher)["command"] == ["mpirun", "-np", "4", "python", "bench.py"]
    assert "nvidia.com/gpu" not in container(launcher)["resources"]["limits"]
    assert "nodeSelector" not in launcher["template"]["spec"]
    assert "command" not in container(worker)           # the operator runs `sleep` in workers: mpirun reaches them
    assert container(worker)["resources"]["limits"]["nvidia.com/gpu"] == "2"
    assert mpi["spec"]["slotsPerWorker"] == 2           # the worker's GPUs, not the launcher's
    assert mpi["spec"]["runPolicy"]["cleanPodPolicy"] == "Running"
    assert mpi["spec"]["runPolicy"]["schedulingPolicy"]["minAvailable"] == 1   # no gang asked


def test_mpi_launcher_with_job_gpus_is_counted(tmp_path):
    """The same job without the launcher override asks for 6 GPUs (launcher 2 + workers 2 x 2)."""
    job = MPI_JOB.replace("resources: {cpu: \"1\", memory: 2Gi, gpu: 0}", "resources: {cpu: \"1\", memory: 2Gi}")
    text = errors(repo_with(tmp_path, {"projects/demo/train.yaml": job}))
    assert "6 GPUs (role launcher 2 x 1 + role worker 2 x 2) exceed policy maxGpuPerWorkload 4" in text


def test_roles_set_by_an_app_type_and_explained_with_their_file_and_line(tmp_path):
    layer = """
        kind: AppType
        name: training-mpi
        for: Job
        spec:
          framework: mpi
          roles:
            launcher:
              resources: {cpu: "1", memory: 2Gi, gpu: 0}
        """
    job = """
        kind: Job
        name: bench
        appType: training-mpi
        spec:
          image: bench:1.0
          replicas: {worker: 2}
          resources: {cpu: "4", memory: 16Gi, gpu: 1, gpuType: a100}
          env: [{name: NCCL_DEBUG, value: INFO}, {name: OMP_NUM_THREADS, value: "4"}]
          roles:
            launcher:
              command: [mpirun, python, bench.py]
              env: [{name: NCCL_DEBUG, value: WARN}]
        """
    repo = repo_with(tmp_path, {"layers/training-mpi.yaml": layer, "projects/demo/bench.yaml": job})
    mpi = objects(repo)["MPIJob/bench"]
    launcher = container(mpi["spec"]["mpiReplicaSpecs"]["Launcher"])
    assert launcher["env"] == [{"name": "NCCL_DEBUG", "value": "WARN"}, {"name": "OMP_NUM_THREADS", "value": "4"}]
    assert launcher["resources"]["requests"] == {"cpu": "1", "memory": "2Gi"}
    result = run(repo, "explain", "demo/Job/bench", "--env", "dev", "--path", "roles.launcher.resources")
    assert result.exit_code == 0, result.output
    assert "roles.launcher.resources.gpu = 0" in result.output
    assert "layers/training-mpi.yaml:8" in result.output           # the role's own value: the app type's line
    assert "roles.launcher.resources.gpuType = a100" in result.output
    assert "projects/demo/bench.yaml:7:56" in result.output           # inherited from the Job: the Job's line
    env = run(repo, "explain", "demo/Job/bench", "--env", "dev", "--path", "roles.launcher.env")
    assert "roles.launcher.env[OMP_NUM_THREADS].value = '4'" in env.output or \
        "roles.launcher.env[OMP_NUM_THREADS].value = \"4\"" in env.output


def test_a_role_null_falls_back_to_the_job_value(tmp_path):
    job = MPI_JOB + """
    overrides:
      dev:
        roles:
          launcher:
            resources: null
    """
    text = errors(repo_with(tmp_path, {"projects/demo/train.yaml": job}))    # the launcher takes the Job's GPUs again
    assert "6 GPUs (role launcher 2 x 1 + role worker 2 x 2)" in text


def test_unknown_role_is_an_error_at_its_key(tmp_path):
    job = MPI_JOB.replace("launcher:\n", "lancher:\n")
    text = errors(repo_with(tmp_path, {"projects/demo/train.yaml": job}))
    assert "projects/demo/train.yaml:10:5" in text and "not a role of framework mpi (allowed: launcher, worker)" in text


def test_retry_restart_policy_and_role_override(tmp_path):
    job = """
        kind: Job
        name: xgb
        spec:
          framework: xgboost
          image: xgb:1.0
          replicas: {master: 1, worker: 2}
          retry: {restartPolicy: Never}
          roles:
            worker: {restartPolicy: ExitCode}
        """
    xgb = objects(repo_with(tmp_path, {"projects/demo/train.yaml": job}))["XGBoostJob/xgb"]
    assert xgb["spec"]["xgbReplicaSpecs"]["Master"]["restartPolicy"] == "Never"
    assert xgb["spec"]["xgbReplicaSpecs"]["Worker"]["restartPolicy"] == "ExitCode"


def test_batch_job_parallelism_counts_in_quota_and_conditions(tmp_path):
    job = """
        kind: Job
        name: sample
        spec:
          image: busybox:1.36
          parallelism: 3
          completions: 3
          completionMode: Indexed
          retry: {restartPolicy: OnFailure}
          resources: {cpu: "30", memory: 200Mi, limits: {cpu: none, memory: none}}
        """
    text = errors(repo_with(tmp_path, {"projects/demo/train.yaml": job}))
    assert "over quota: cpu requested 90 > quota 64" in text
    fitting = job.replace('cpu: "30"', 'cpu: "1"')
    batch = objects(repo_with(tmp_path, {"projects/demo/train.yaml": fitting}))["Job/sample"]
    assert (batch["spec"]["parallelism"], batch["spec"]["completions"], batch["spec"]["completionMode"]) == \
        (3, 3, "Indexed")
    pod = batch["spec"]["template"]["spec"]
    assert pod["restartPolicy"] == "OnFailure"
    assert pod["containers"][0]["resources"] == {"requests": {"cpu": "1", "memory": "200Mi"}}


def test_lifecycle_fields_in_the_wrong_job_are_errors(tmp_path):
    job = """
        kind: Job
        name: train
        spec:
          framework: pytorch
          image: torch:2.3
          parallelism: 3
          retry: {restartPolicy: Sometimes}
        """
    text = errors(repo_with(tmp_path, {"projects/demo/train.yaml": job}))
    assert "'Sometimes' is not allowed" in text
    batch = """
        kind: Job
        name: train
        spec:
          image: busybox:1.36
          cleanup: {pods: All}
          retry: {restartPolicy: ExitCode}
        """
    text = errors(repo_with(tmp_path, {"projects/demo/train.yaml": batch}))
    assert "cleanup is for Kubeflow jobs" in text
    assert "a batch Job's pods restart Never or OnFailure, not ExitCode" in text
    pytorch = job.replace("retry: {restartPolicy: Sometimes}", "")
    assert "parallelism is for a batch Job" in errors(repo_with(tmp_path, {"projects/demo/train.yaml": pytorch}))


def test_elastic_pytorch(tmp_path):
    job = """
        kind: Job
        name: imagenet
        spec:
          framework: pytorch
          image: torch-elastic:1.0
          replicas: {master: 0, worker: 2}
          resources: {cpu: "4", memory: 8Gi}
          scheduling: {gang: true}
          elastic:
            minReplicas: 1
            maxReplicas: 3
            maxRestarts: 100
            nprocPerNode: 1
            rendezvous: {backend: c10d}
            autoscale: {cpuUtilization: 80}
        """
    repo = repo_with(tmp_path, {"projects/demo/train.yaml": job})
    torch = objects(repo)["PyTorchJob/imagenet"]
    assert torch["spec"]["elasticPolicy"] == {
        "minReplicas": 1, "maxReplicas": 3, "maxRestarts": 100, "rdzvBackend": "c10d",
        "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization",
                                                                                "averageUtilization": 80}}}]}
    assert torch["spec"]["nprocPerNode"] == "1"
    assert list(torch["spec"]["pytorchReplicaSpecs"]) == ["Worker"]
    assert torch["spec"]["runPolicy"]["schedulingPolicy"]["minAvailable"] == 1   # gang of minReplicas
    # quota counts maxReplicas: 3 x 4 cpu = 12 > 10
    small = PROJECT.replace('cpu: "64"', 'cpu: "10"')
    text = errors(repo_with(tmp_path, {"projects/demo/project.yaml": small, "projects/demo/train.yaml": job}))
    assert "over quota: cpu requested 12 > quota 10" in text
    etcd = job.replace("rendezvous: {backend: c10d}", "rendezvous: {backend: etcd-v2}")
    assert "rendezvous backend etcd-v2 needs `host` and `port`" in \
        errors(repo_with(tmp_path, {"projects/demo/project.yaml": PROJECT, "projects/demo/train.yaml": etcd}))
    outside = job.replace("worker: 2}", "worker: 5}")
    assert "replicas.worker (5) must lie within elastic minReplicas..maxReplicas (1..3)" in \
        errors(repo_with(tmp_path, {"projects/demo/train.yaml": outside}))


def test_limits_below_requests_and_required_limits(tmp_path):
    job = """
        kind: Job
        name: train
        spec:
          image: busybox:1.36
          resources: {cpu: "4", memory: 8Gi, limits: {cpu: "2", memory: 16Gi}}
        """
    text = errors(repo_with(tmp_path, {"projects/demo/train.yaml": job}))
    assert "limits.cpu 2 is below the request 4" in text
    strict = GROUP.replace("policy: {maxGpuPerWorkload: 4}", "policy: {requireResourceLimits: true}")
    unlimited = job.replace('limits: {cpu: "2", memory: 16Gi}', "limits: {memory: none}")
    text = errors(repo_with(tmp_path, {"environments/groups/test.yaml": strict, "projects/demo/train.yaml": unlimited}))
    assert "limits.memory is none: policy requireResourceLimits needs a cpu and memory limit" in text


def test_forbid_plain_secrets_reads_each_role_env(tmp_path):
    group = GROUP.replace("policy: {maxGpuPerWorkload: 4}", "policy: {maxGpuPerWorkload: 4, forbidPlainSecrets: true}")
    job = PS_JOB.replace("          restartPolicy: Always", "          restartPolicy: Always\n"
                         "          env: [{name: API_TOKEN, value: plain}]")
    text = errors(write_repo(tmp_path, {"environments/groups/test.yaml": group, "projects/demo/project.yaml": PROJECT,
                                        "projects/demo/train.yaml": job}))
    assert "role ps: env var API_TOKEN holds a plain value" in text
