"""Real workloads nobody here wrote, rewritten as strata specs (issue 16): the measure of what
strata can express.

Each `Example` cites its upstream manifest (repository, path; the manifests themselves are not
copied here) and lists the settings that matter for the workload to run as upstream meant it:
- `expect`: (object, JSON pointer, value, feature) — the rendered object must hold the value.
  `feature` is the issue-16 feature it needs ("" = strata could express it before issue 16);
- `missing`: (setting, feature, blocks) — what strata still cannot express; `blocks` = without
  it the workload does not run as upstream meant (fails, hangs, loses its point).
`tests/upstream_coverage.py` turns these lists into the coverage figure; the tests in
`tests/test_upstream_examples.py` compile each example, validate every object against the
upstream CRDs (../shared/crds) and check every `expect`.

Selection: the upstream examples (gathered in the issue's research) of the kinds strata emits;
the mpi-operator v2beta1 MPIJobs and Volcano Jobs are left out (strata emits the training-operator
v1 MPIJob and uses Volcano as a scheduler, so those are a kind question, not a settings one).
"""
from __future__ import annotations

from dataclasses import dataclass, field

TF, PT, XGB, MPI = "TFJob", "PyTorchJob", "XGBoostJob", "MPIJob"


@dataclass(frozen=True)
class Example:
    id: str
    source: str                                   # upstream repository and path
    files: dict[str, str]                         # repo files (projects/demo/...), beside the base repo
    expect: tuple[tuple[str, str, object, str], ...]
    missing: tuple[tuple[str, str, bool], ...] = ()
    env: str = "dev"                              # "kueue": the environment whose scheduler is Kueue
    extra: dict[str, str] = field(default_factory=dict)


def job(name: str, body: str) -> dict[str, str]:
    return {f"projects/demo/{name}.yaml": f"kind: Job\nname: {name}\nspec:\n{body}"}


def replica(kind_field: str, role: str, rest: str = "") -> str:
    return f"/spec/{kind_field}/{role}" + rest


C0 = "/template/spec/containers/0"

EXAMPLES: tuple[Example, ...] = (
    Example("01", "kubeflow/training-operator examples/tensorflow/dist-mnist/tf_job_mnist.yaml", job("dist-mnist", """
  framework: tensorflow
  image: kubeflow/tf-dist-mnist-test:1.0
  replicas: {chief: 0, ps: 2, worker: 4}
  retry: {restartPolicy: Never}
"""), (
        (f"{TF}/dist-mnist", "/spec/tfReplicaSpecs/PS/replicas", 2, ""),
        (f"{TF}/dist-mnist", "/spec/tfReplicaSpecs/Worker/replicas", 4, ""),
        (f"{TF}/dist-mnist", "/spec/tfReplicaSpecs/PS/restartPolicy", "Never", "restart"),
        (f"{TF}/dist-mnist", "/spec/tfReplicaSpecs/Worker/restartPolicy", "Never", "restart"),
        (f"{TF}/dist-mnist", f"/spec/tfReplicaSpecs/Worker{C0}/image", "kubeflow/tf-dist-mnist-test:1.0", ""),
    )),
    Example("02", "kubeflow/training-operator examples/tensorflow/distribution_strategy/estimator-API/distributed_tfjob.yaml",
            job("distributed-training", """
  framework: tensorflow
  image: gcr.io/kubeflow-examples/distributed_worker:v20181031-513e107c
  replicas: {chief: 0, worker: 3}
  retry: {restartPolicy: Never}
  cleanup: {pods: None}
"""), (
        (f"{TF}/distributed-training", "/spec/runPolicy/cleanPodPolicy", "None", "cleanup"),
        (f"{TF}/distributed-training", "/spec/tfReplicaSpecs/Worker/replicas", 3, ""),
        (f"{TF}/distributed-training", "/spec/tfReplicaSpecs/Worker/restartPolicy", "Never", "restart"),
        # (its kube-batch group-name annotation is legacy gang scheduling: strata's scheduling.gang replaces it)
    )),
    Example("03", "kubeflow/website content/en/docs/components/training/user-guides/tensorflow.md (Using GPUs)",
            job("tf-smoke-gpu", """
  framework: tensorflow
  image: gcr.io/kubeflow/tf-benchmarks-gpu:v20171202-bdab599-dirty-284af3
  args: [python, tf_cnn_benchmarks.py, --batch_size=32, --model=resnet50, --variable_update=parameter_server,
         --flush_stdout=true, --num_gpus=1, --local_parameter_device=cpu, --device=gpu, --data_format=NHWC]
  replicas: {chief: 0, ps: 1, worker: 1}
  resources: {gpu: 1, gpuType: a100}
  pod: {workingDir: /opt/tf-benchmarks/scripts/tf_cnn_benchmarks}
  roles:
    ps:
      image: gcr.io/kubeflow/tf-benchmarks-cpu:v20171202-bdab599-dirty-284af3
      args: [python, tf_cnn_benchmarks.py, --batch_size=32, --model=resnet50, --variable_update=parameter_server,
             --flush_stdout=true, --num_gpus=1, --local_parameter_device=cpu, --device=cpu, --data_format=NHWC]
      resources: {cpu: "1", gpu: 0}
"""), (
        (f"{TF}/tf-smoke-gpu", f"/spec/tfReplicaSpecs/PS{C0}/image",
         "gcr.io/kubeflow/tf-benchmarks-cpu:v20171202-bdab599-dirty-284af3", "roles-image"),
        (f"{TF}/tf-smoke-gpu", f"/spec/tfReplicaSpecs/PS{C0}/args/8", "--device=cpu", "roles-command"),
        (f"{TF}/tf-smoke-gpu", f"/spec/tfReplicaSpecs/PS{C0}/resources/limits", {"cpu": "1"}, "roles-resources"),
        (f"{TF}/tf-smoke-gpu", f"/spec/tfReplicaSpecs/Worker{C0}/args/8", "--device=gpu", ""),
        (f"{TF}/tf-smoke-gpu", f"/spec/tfReplicaSpecs/Worker{C0}/resources/limits/nvidia.com~1gpu", "1", ""),
        (f"{TF}/tf-smoke-gpu", f"/spec/tfReplicaSpecs/PS{C0}/workingDir",
         "/opt/tf-benchmarks/scripts/tf_cnn_benchmarks", "workingdir"),
        (f"{TF}/tf-smoke-gpu", f"/spec/tfReplicaSpecs/Worker{C0}/workingDir",
         "/opt/tf-benchmarks/scripts/tf_cnn_benchmarks", "workingdir"),
        (f"{TF}/tf-smoke-gpu", "/spec/tfReplicaSpecs/PS/restartPolicy", "OnFailure", ""),
    )),
    Example("04", "kubeflow/website content/en/docs/components/training/user-guides/tensorflow.md (credentials)",
            job("tfjob", """
  framework: tensorflow
  image: gcr.io/your-project/your-image:1.0
  command: [python, -m, trainer.task, --batch_size=32, --training_steps=1000]
  env: [{name: GOOGLE_APPLICATION_CREDENTIALS, value: /etc/secrets/user-gcp-sa.json}]
  replicas: {chief: 0, ps: 1, worker: 1}
  pod:
    annotations: {sidecar.istio.io/inject: "false"}
    volumes: [{name: sa, mountPath: /etc/secrets, readOnly: true, secret: user-gcp-sa}]
"""), (
        (f"{TF}/tfjob", "/spec/tfReplicaSpecs/PS/template/metadata/annotations/sidecar.istio.io~1inject", "false",
         "pod-meta"),
        (f"{TF}/tfjob", "/spec/tfReplicaSpecs/Worker/template/metadata/annotations/sidecar.istio.io~1inject", "false",
         "pod-meta"),
        (f"{TF}/tfjob", "/spec/tfReplicaSpecs/Worker/template/spec/volumes/0",
         {"name": "sa", "secret": {"secretName": "user-gcp-sa"}}, "volumes"),
        (f"{TF}/tfjob", f"/spec/tfReplicaSpecs/Worker{C0}/volumeMounts/0",
         {"name": "sa", "mountPath": "/etc/secrets", "readOnly": True}, "volumes"),
        (f"{TF}/tfjob", f"/spec/tfReplicaSpecs/PS{C0}/env/0/value", "/etc/secrets/user-gcp-sa.json", ""),
        (f"{TF}/tfjob", f"/spec/tfReplicaSpecs/PS{C0}/command/2", "trainer.task", ""),
    )),
    Example("05", "kubeflow/training-operator examples/pytorch/elastic/imagenet/imagenet.yaml", job("elastic-imagenet", """
  framework: pytorch
  image: quay.io/johnugeorge/pytorch-elastic-example-imagenet:0.1
  command: [python, -m, torch.distributed.run, /workspace/examples/imagenet.py, --arch=resnet18, --epochs=1,
            --batch-size=32, --workers=0, /workspace/data/tiny-imagenet-200]
  env: [{name: LOGLEVEL, value: DEBUG}]
  replicas: {master: 0, worker: 2}
  resources: {cpu: "4", limits: {cpu: none}}
  elastic: {minReplicas: 1, maxReplicas: 3, maxRestarts: 100, rendezvous: {backend: c10d}, autoscale: {cpuUtilization: 80}}
"""), (
        (f"{PT}/elastic-imagenet", "/spec/elasticPolicy/rdzvBackend", "c10d", "elastic"),
        (f"{PT}/elastic-imagenet", "/spec/elasticPolicy/minReplicas", 1, "elastic"),
        (f"{PT}/elastic-imagenet", "/spec/elasticPolicy/maxReplicas", 3, "elastic"),
        (f"{PT}/elastic-imagenet", "/spec/elasticPolicy/maxRestarts", 100, "elastic"),
        (f"{PT}/elastic-imagenet", "/spec/elasticPolicy/metrics/0/resource/target/averageUtilization", 80, "elastic"),
        (f"{PT}/elastic-imagenet", "/spec/pytorchReplicaSpecs/Worker/replicas", 2, ""),
        (f"{PT}/elastic-imagenet", f"/spec/pytorchReplicaSpecs/Worker{C0}/resources", {"requests": {"cpu": "4"}},
         "requests-limits"),
        (f"{PT}/elastic-imagenet", f"/spec/pytorchReplicaSpecs/Worker{C0}/command/2", "torch.distributed.run", ""),
    )),
    Example("06", "kubeflow/training-operator examples/pytorch/elastic/echo/echo.yaml", job("elastic-echo", """
  framework: pytorch
  image: kubeflow/pytorch-elastic-example-echo:1.0.0
  command: [python, -m, torch.distributed.run, --rdzv_backend=c10d, ./echo.py]
  env: [{name: LOGLEVEL, value: DEBUG}]
  replicas: {master: 0, worker: 2}
  elastic: {minReplicas: 1, maxReplicas: 2, maxRestarts: 100}
"""), (
        (f"{PT}/elastic-echo", "/spec/elasticPolicy/rdzvBackend", "c10d", "elastic"),
        (f"{PT}/elastic-echo", "/spec/elasticPolicy/maxReplicas", 2, "elastic"),
        (f"{PT}/elastic-echo", "/spec/elasticPolicy/maxRestarts", 100, "elastic"),
        (f"{PT}/elastic-echo", "/spec/pytorchReplicaSpecs/Worker/replicas", 2, ""),
        (f"{PT}/elastic-echo", f"/spec/pytorchReplicaSpecs/Worker{C0}/command/3", "--rdzv_backend=c10d", ""),
    )),
    Example("07", "kubeflow/training-operator examples/pytorch/mnist/v1/pytorch_job_mnist_nccl.yaml", job("mnist-nccl", """
  framework: pytorch
  image: gcr.io/your-project/pytorch_dist_mnist:1.0
  args: [--backend, nccl]
  replicas: {master: 1, worker: 1}
  resources: {gpu: 1, gpuType: a100}
  pod: {annotations: {sidecar.istio.io/inject: "false"}}
"""), (
        (f"{PT}/mnist-nccl", "/spec/pytorchReplicaSpecs/Master/template/metadata/annotations/sidecar.istio.io~1inject",
         "false", "pod-meta"),
        (f"{PT}/mnist-nccl", f"/spec/pytorchReplicaSpecs/Worker{C0}/args", ["--backend", "nccl"], ""),
        (f"{PT}/mnist-nccl", f"/spec/pytorchReplicaSpecs/Worker{C0}/resources/limits/nvidia.com~1gpu", "1", ""),
        (f"{PT}/mnist-nccl", "/spec/pytorchReplicaSpecs/Master/restartPolicy", "OnFailure", ""),
    )),
    Example("08", "kubeflow/training-operator examples/pytorch/deepspeed-demo/pytorch_deepspeed_demo.yaml",
            job("deepspeed-demo", """
  framework: pytorch
  image: kubeflow/pytorch-deepspeed-demo:1.0
  command: [torchrun, /train_bert_ds.py, --checkpoint_dir, /root/deepspeed_data]
  replicas: {master: 1, worker: 1}
  resources: {gpu: 1, gpuType: a100}
"""), (
        (f"{PT}/deepspeed-demo", f"/spec/pytorchReplicaSpecs/Master{C0}/command/0", "torchrun", ""),
        (f"{PT}/deepspeed-demo", f"/spec/pytorchReplicaSpecs/Worker{C0}/resources/limits/nvidia.com~1gpu", "1", ""),
        (f"{PT}/deepspeed-demo", "/spec/pytorchReplicaSpecs/Worker/restartPolicy", "OnFailure", ""),
    )),
    Example("09", "oracle-quickstart/oci-hpc-oke docs/running-pytorch-jobs-on-oke-using-hostnetwork-with-rdma.md (etcd)",
            job("yolov5-training", """
  framework: pytorch
  image: ultralytics/yolov5:v7.0
  command: [/bin/bash]
  args: [-c, "torchrun --nproc_per_node=1 --local_addr=$POD_NAME train.py --batch-size=32 --epochs=100"]
  env:
    - {name: NCCL_IB_HCA, value: "=mlx5_1,mlx5_2"}
    - {name: NCCL_IB_GID_INDEX, value: "3"}
    - {name: POD_NAME, fieldRef: metadata.name}
  replicas: {master: 0, worker: 1}
  resources: {gpu: 1, gpuType: a100, shm: 1Gi}
  pod: {imagePullPolicy: Always}
  elastic: {minReplicas: 1, maxReplicas: 8, maxRestarts: 100,
            rendezvous: {backend: etcd-v2, host: etcd-server-headless, port: 2379}}
  patches:
    - name: rdma-host-network
      pods: {}
      merge:
        spec:
          hostNetwork: true
          hostIPC: true
          dnsPolicy: ClusterFirstWithHostNet
          containers: [{name: pytorch, securityContext: {privileged: true, capabilities: {add: [IPC_LOCK, CAP_SYS_ADMIN]}}}]
          volumes: [{name: infiniband, hostPath: {path: /dev/infiniband}}]
"""), (
        (f"{PT}/yolov5-training", "/spec/elasticPolicy/rdzvBackend", "etcd-v2", "elastic"),
        (f"{PT}/yolov5-training", "/spec/elasticPolicy/rdzvHost", "etcd-server-headless", "elastic"),
        (f"{PT}/yolov5-training", "/spec/elasticPolicy/rdzvPort", 2379, "elastic"),
        (f"{PT}/yolov5-training", "/spec/elasticPolicy/maxReplicas", 8, "elastic"),
        (f"{PT}/yolov5-training", "/spec/pytorchReplicaSpecs/Worker/template/spec/hostNetwork", True, "host-network"),
        (f"{PT}/yolov5-training", "/spec/pytorchReplicaSpecs/Worker/template/spec/dnsPolicy",
         "ClusterFirstWithHostNet", "host-network"),
        (f"{PT}/yolov5-training", f"/spec/pytorchReplicaSpecs/Worker{C0}/env/2",
         {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}, "fieldref"),
        (f"{PT}/yolov5-training", f"/spec/pytorchReplicaSpecs/Worker{C0}/securityContext/capabilities/add",
         ["IPC_LOCK", "CAP_SYS_ADMIN"], "security"),
        (f"{PT}/yolov5-training", "/spec/pytorchReplicaSpecs/Worker/template/spec/volumes/1",
         {"name": "infiniband", "hostPath": {"path": "/dev/infiniband"}}, "volumes"),
        (f"{PT}/yolov5-training", f"/spec/pytorchReplicaSpecs/Worker{C0}/imagePullPolicy", "Always", "pull-policy"),
        (f"{PT}/yolov5-training", f"/spec/pytorchReplicaSpecs/Worker{C0}/env/0/value", "=mlx5_1,mlx5_2", ""),
        (f"{PT}/yolov5-training", "/spec/pytorchReplicaSpecs/Worker/template/spec/volumes/0/emptyDir/medium",
         "Memory", ""),
    )),
    Example("10", "kubeflow/training-operator examples/xgboost/lightgbm-dist/xgboostjob_v1_lightgbm_dist_training.yaml",
            job("lightgbm-dist", """
  framework: xgboost
  image: kubeflow/lightgbm-dist-py-test:1.0
  args: [--job_type=Train, --boosting_type=gbdt, --objective=binary, --metric=binary_logloss,auc, --num_trees=100]
  replicas: {master: 1, worker: 2}
  retry: {restartPolicy: Never}
  roles:
    worker: {restartPolicy: ExitCode}
  pod:
    imagePullPolicy: Never
    ports: [{name: xgboostjob-port, containerPort: 9991}]
"""), (
        (f"{XGB}/lightgbm-dist", "/spec/xgbReplicaSpecs/Master/restartPolicy", "Never", "restart"),
        (f"{XGB}/lightgbm-dist", "/spec/xgbReplicaSpecs/Worker/restartPolicy", "ExitCode", "restart"),
        (f"{XGB}/lightgbm-dist", f"/spec/xgbReplicaSpecs/Worker{C0}/imagePullPolicy", "Never", "pull-policy"),
        (f"{XGB}/lightgbm-dist", f"/spec/xgbReplicaSpecs/Master{C0}/ports/0/containerPort", 9991, "ports"),
        (f"{XGB}/lightgbm-dist", "/spec/xgbReplicaSpecs/Worker/replicas", 2, ""),
        (f"{XGB}/lightgbm-dist", f"/spec/xgbReplicaSpecs/Worker{C0}/args/0", "--job_type=Train", ""),
    )),
    Example("11", "kubeflow/training-operator examples/xgboost/xgboost-dist/xgboostjob_v1_iris_train.yaml",
            job("xgboost-iris", """
  framework: xgboost
  image: docker.io/merlintang/xgboost-dist-iris:1.1
  args: [--job_type=Train, "--xgboost_parameter=objective:multi:softprob,num_class:3", --n_estimators=10,
         --learning_rate=0.1]
  replicas: {master: 1, worker: 2}
  retry: {restartPolicy: ExitCode}
  pod:
    imagePullPolicy: Always
    ports: [{name: xgboostjob-port, containerPort: 9991}]
  roles:
    master:
      args: !append [--model_path=/tmp/xgboost-model, --model_storage_type=local]
      restartPolicy: Never
"""), (
        (f"{XGB}/xgboost-iris", f"/spec/xgbReplicaSpecs/Master{C0}/args/4", "--model_path=/tmp/xgboost-model",
         "roles-command"),
        (f"{XGB}/xgboost-iris", f"/spec/xgbReplicaSpecs/Worker{C0}/args",
         ["--job_type=Train", "--xgboost_parameter=objective:multi:softprob,num_class:3", "--n_estimators=10",
          "--learning_rate=0.1"], ""),
        (f"{XGB}/xgboost-iris", "/spec/xgbReplicaSpecs/Master/restartPolicy", "Never", "restart"),
        (f"{XGB}/xgboost-iris", "/spec/xgbReplicaSpecs/Worker/restartPolicy", "ExitCode", "restart"),
        (f"{XGB}/xgboost-iris", f"/spec/xgbReplicaSpecs/Worker{C0}/ports/0/containerPort", 9991, "ports"),
    )),
    Example("15", "kubeflow/training-operator examples/mpi/tensorflow-mnist.yaml", job("tensorflow-mnist", """
  framework: mpi
  image: horovod/horovod:0.20.0-tf2.3.0-torch1.6.0-mxnet1.5.0-py3.7-cpu
  replicas: {worker: 2}
  resources: {cpu: "2", memory: 4Gi}
  cleanup: {pods: Running}
  roles:
    launcher:
      command: [mpirun]
      args: [-np, "2", --allow-run-as-root, -bind-to, none, -map-by, slot, -x, LD_LIBRARY_PATH, -x, PATH,
             -mca, pml, ob1, -mca, btl, ^openib, python, /examples/tensorflow2_mnist.py]
      resources: {cpu: "1", memory: 2Gi}
"""), (
        (f"{MPI}/tensorflow-mnist", f"/spec/mpiReplicaSpecs/Launcher{C0}/command", ["mpirun"], "roles-command"),
        (f"{MPI}/tensorflow-mnist", f"/spec/mpiReplicaSpecs/Launcher{C0}/args/1", "2", "roles-command"),
        (f"{MPI}/tensorflow-mnist", f"/spec/mpiReplicaSpecs/Launcher{C0}/resources/limits",
         {"cpu": "1", "memory": "2Gi"}, "roles-resources"),
        (f"{MPI}/tensorflow-mnist", f"/spec/mpiReplicaSpecs/Worker{C0}/resources/limits",
         {"cpu": "2", "memory": "4Gi"}, ""),
        (f"{MPI}/tensorflow-mnist", "/spec/runPolicy/cleanPodPolicy", "Running", "cleanup"),
        (f"{MPI}/tensorflow-mnist", "/spec/mpiReplicaSpecs/Worker/replicas", 2, ""),
    )),
    Example("18", "kubernetes-sigs/kueue site/static/examples/jobs/sample-job.yaml", job("sample-job", """
  image: registry.k8s.io/e2e-test-images/agnhost:2.53
  args: [entrypoint-tester, hello, world]
  resources: {cpu: "1", memory: 200Mi, limits: {cpu: none, memory: none}}
  scheduling: {queue: user-queue}
  parallelism: 3
  completions: 3
"""), (
        ("Job/sample-job", "/metadata/labels/kueue.x-k8s.io~1queue-name", "user-queue", ""),
        ("Job/sample-job", "/spec/parallelism", 3, "parallelism"),
        ("Job/sample-job", "/spec/completions", 3, "parallelism"),
        ("Job/sample-job", "/spec/suspend", True, ""),
        ("Job/sample-job", "/spec/template/spec/restartPolicy", "Never", ""),
        ("Job/sample-job", f"/spec{C0}/resources", {"requests": {"cpu": "1", "memory": "200Mi"}}, "requests-limits"),
    ), env="kueue"),
    Example("19", "kubernetes/website content/en/examples/application/job/indexed-job.yaml", job("indexed-job", """
  image: docker.io/library/busybox:1.36
  command: [rev, /input/data.txt]
  parallelism: 3
  completions: 5
  completionMode: Indexed
  pod: {volumes: [{name: input, mountPath: /input, emptyDir: {}}]}
  patches:
    - name: input
      pods: {}
      merge:
        spec:
          initContainers:
            - name: input
              image: docker.io/library/bash:5.2
              command: [bash, -c, "items=(foo bar baz qux xyz)\\necho ${items[$JOB_COMPLETION_INDEX]} > /input/data.txt\\n"]
              volumeMounts: [{mountPath: /input, name: input}]
"""), (
        ("Job/indexed-job", "/spec/completionMode", "Indexed", "parallelism"),
        ("Job/indexed-job", "/spec/parallelism", 3, "parallelism"),
        ("Job/indexed-job", "/spec/completions", 5, "parallelism"),
        ("Job/indexed-job", "/spec/template/spec/initContainers/0/command/2",
         "items=(foo bar baz qux xyz)\necho ${items[$JOB_COMPLETION_INDEX]} > /input/data.txt\n", "interp"),
        ("Job/indexed-job", "/spec/template/spec/initContainers/0/name", "input", "init-containers"),
        ("Job/indexed-job", "/spec/template/spec/volumes/0", {"name": "input", "emptyDir": {}}, "volumes"),
        ("Job/indexed-job", f"/spec{C0}/command", ["rev", "/input/data.txt"], ""),
    )),
    Example("23", "kubernetes-sigs/kueue site/static/examples/jobs/sample-pytorchjob.yaml", job("pytorch-simple", """
  framework: pytorch
  image: docker.io/kubeflowkatib/pytorch-mnist-cpu:v1beta1-21320b6
  command: [python3, /opt/pytorch-mnist/mnist.py, --epochs=1]
  replicas: {master: 1, worker: 1}
  resources: {cpu: "1", memory: 200Mi, limits: {cpu: none, memory: none}}
  scheduling: {queue: main}
"""), (
        (f"{PT}/pytorch-simple", "/metadata/labels/kueue.x-k8s.io~1queue-name", "main", ""),
        (f"{PT}/pytorch-simple", "/spec/pytorchReplicaSpecs/Worker/restartPolicy", "OnFailure", ""),
        (f"{PT}/pytorch-simple", f"/spec/pytorchReplicaSpecs/Master{C0}/resources",
         {"requests": {"cpu": "1", "memory": "200Mi"}}, "requests-limits"),
        (f"{PT}/pytorch-simple", f"/spec/pytorchReplicaSpecs/Master{C0}/command/1", "/opt/pytorch-mnist/mnist.py", ""),
    ), env="kueue"),
    Example("24", "kubernetes-sigs/kueue site/static/examples/jobs/sample-xgboostjob.yaml", job("xgboost-dist-iris", """
  framework: xgboost
  image: docker.io/kubeflow/xgboost-dist-iris:latest-v1
  args: [--job_type=Train, "--xgboost_parameter=objective:multi:softprob,num_class:3", --n_estimators=10,
         --learning_rate=0.1]
  replicas: {master: 1, worker: 2}
  resources: {cpu: 500m, memory: 256Mi, limits: {cpu: none, memory: none}}
  scheduling: {queue: user-queue}
  retry: {restartPolicy: ExitCode}
  pod: {ports: [{name: xgboostjob-port, containerPort: 9991}]}
  roles:
    master:
      args: !append [--model_path=autoAI/xgb-opt/2, --model_storage_type=oss]
      restartPolicy: Never
"""), (
        (f"{XGB}/xgboost-dist-iris", "/metadata/labels/kueue.x-k8s.io~1queue-name", "user-queue", ""),
        (f"{XGB}/xgboost-dist-iris", "/spec/xgbReplicaSpecs/Master/restartPolicy", "Never", "restart"),
        (f"{XGB}/xgboost-dist-iris", "/spec/xgbReplicaSpecs/Worker/restartPolicy", "ExitCode", "restart"),
        (f"{XGB}/xgboost-dist-iris", f"/spec/xgbReplicaSpecs/Master{C0}/args/5", "--model_storage_type=oss",
         "roles-command"),
        (f"{XGB}/xgboost-dist-iris", f"/spec/xgbReplicaSpecs/Worker{C0}/ports/0/containerPort", 9991, "ports"),
        (f"{XGB}/xgboost-dist-iris", f"/spec/xgbReplicaSpecs/Worker{C0}/resources",
         {"requests": {"cpu": "500m", "memory": "256Mi"}}, "requests-limits"),
    ), env="kueue"),
    Example("25", "kubernetes-sigs/kueue site/static/examples/provisioning/sample-job.yaml", job("provisioning-job", """
  image: registry.k8s.io/e2e-test-images/agnhost:2.53
  args: [pause]
  resources: {cpu: 100m, memory: 100Mi, gpu: 1, gpuType: a100, limits: {cpu: none, memory: none}}
  scheduling: {queue: user-queue}
  parallelism: 3
  completions: 3
  metadata: {annotations: {provreq.kueue.x-k8s.io/maxRunDurationSeconds: "600"}}
"""), (
        ("Job/provisioning-job", "/metadata/annotations/provreq.kueue.x-k8s.io~1maxRunDurationSeconds", "600",
         "obj-meta"),
        ("Job/provisioning-job", "/spec/parallelism", 3, "parallelism"),
        ("Job/provisioning-job", "/spec/completions", 3, "parallelism"),
        ("Job/provisioning-job", f"/spec{C0}/resources",
         {"requests": {"cpu": "100m", "memory": "100Mi", "nvidia.com/gpu": "1"}, "limits": {"nvidia.com/gpu": "1"}},
         "requests-limits"),
        ("Job/provisioning-job", "/spec/template/spec/tolerations/0",
         {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}, ""),
        ("Job/provisioning-job", "/metadata/labels/kueue.x-k8s.io~1queue-name", "user-queue", ""),
    ), env="kueue"),
    Example("26", "kubernetes-sigs/kueue site/static/examples/jobs/sample-job-partial-admission.yaml",
            job("partial-admission", """
  image: registry.k8s.io/e2e-test-images/agnhost:2.53
  args: [entrypoint-tester, hello, world]
  resources: {cpu: "1", memory: 200Mi, limits: {cpu: none, memory: none}}
  scheduling: {queue: user-queue}
  parallelism: 20
  completions: 20
  metadata: {annotations: {kueue.x-k8s.io/job-min-parallelism: "5"}}
"""), (
        ("Job/partial-admission", "/metadata/annotations/kueue.x-k8s.io~1job-min-parallelism", "5", "obj-meta"),
        ("Job/partial-admission", "/spec/parallelism", 20, "parallelism"),
        ("Job/partial-admission", "/spec/completions", 20, "parallelism"),
        ("Job/partial-admission", "/spec/suspend", True, ""),
    ), env="kueue"),
    Example("27", "fluid-cloudnative/fluid docs/en/samples/alluxio_s3_high_concurrency.md", {
        "projects/demo/s3-data.yaml": """kind: Dataset
name: s3-data
spec:
  sources:
    - name: s3
      uri: s3://fluid-test-bucket/data
      secretRef: mysecret
      options: {alluxio.underfs.s3.endpoint: s3.us-west-1.amazonaws.com, alluxio.underfs.s3.endpoint.region: us-west-1}
  cache:
    engine: alluxio
    replicas: 1
    tiers: [{medium: SSD, path: /home/work/fluid_test, quota: 100G, high: "0.95", low: "0.6"}]
  patches:
    - name: high-concurrency
      object: {kind: AlluxioRuntime}
      merge:
        spec:
          properties: {alluxio.fuse.jnifuse.enabled: "false", alluxio.user.direct.memory.io.enabled: "false"}
          fuse:
            args: [fuse, "--fuse-opts=kernel_cache,rw,allow_other"]
            jvmOptions: [-Xmx16G, -Xms16G]
"""}, (
        ("AlluxioRuntime/s3-data", "/spec/tieredstore/levels/0/high", "0.95", "fl-watermark"),
        ("AlluxioRuntime/s3-data", "/spec/tieredstore/levels/0/low", "0.6", "fl-watermark"),
        ("AlluxioRuntime/s3-data", "/spec/properties/alluxio.user.direct.memory.io.enabled", "false", "fl-tuning"),
        ("AlluxioRuntime/s3-data", "/spec/fuse/args/1", "--fuse-opts=kernel_cache,rw,allow_other", "fl-tuning"),
        ("AlluxioRuntime/s3-data", "/spec/replicas", 1, ""),
        ("Dataset/s3-data", "/spec/mounts/0/mountPoint", "s3://fluid-test-bucket/data", ""),
        ("Dataset/s3-data", "/spec/mounts/0/options/alluxio.underfs.s3.endpoint.region", "us-west-1", ""),
    )),
    Example("28", "fluid-cloudnative/fluid docs/en/samples/machinelearning.md", {
        "projects/demo/imagenet.yaml": """kind: Dataset
name: imagenet
spec:
  sources: [{name: imagenet, uri: "oss://fluid/imagenet/", secretRef: oss-keys,
             options: {fs.oss.endpoint: oss-cn-beijing-internal.aliyuncs.com}}]
  cache:
    engine: alluxio
    replicas: 4
    tiers: [{medium: SSD, path: /var/lib/docker/alluxio, quota: 50Gi, high: "0.99", low: "0.8"}]
  patches:
    - name: imagenet-profile
      object: {kind: AlluxioRuntime}
      merge:
        spec:
          data: {replicas: 1}
          properties: {alluxio.user.block.size.bytes.default: 256MB, alluxio.user.streaming.reader.chunk.size.bytes: 256MB}
          fuse: {env: {MAX_IDLE_THREADS: "32"}, args: [fuse, "--fuse-opts=kernel_cache,ro,max_read=131072"]}
"""}, (
        ("AlluxioRuntime/imagenet", "/spec/replicas", 4, ""),
        ("AlluxioRuntime/imagenet", "/spec/data/replicas", 1, "fl-data-replicas"),
        ("AlluxioRuntime/imagenet", "/spec/tieredstore/levels/0/high", "0.99", "fl-watermark"),
        ("AlluxioRuntime/imagenet", "/spec/properties/alluxio.user.block.size.bytes.default", "256MB", "fl-tuning"),
        ("AlluxioRuntime/imagenet", "/spec/fuse/env/MAX_IDLE_THREADS", "32", "fl-tuning"),
        ("Dataset/imagenet", "/spec/mounts/0/options/fs.oss.endpoint", "oss-cn-beijing-internal.aliyuncs.com", ""),
    )),
    Example("29", "fluid-cloudnative/fluid docs/en/samples/juicefs_runtime.md", {
        "projects/demo/jfsdemo.yaml": """kind: Dataset
name: jfsdemo
spec:
  sources: [{name: demo, uri: "s3://juicefs-bucket/demo", secretRef: jfs-secret,
             options: {bucket: "https://juicefs-bucket.s3.us-east-1.amazonaws.com"}}]
  cache:
    engine: juicefs
    tiers: [{medium: MEM, path: /dev/shm, quota: 40Gi, low: "0.1"}]
"""}, (
        ("JuiceFSRuntime/jfsdemo", "/spec/replicas", 1, ""),
        ("JuiceFSRuntime/jfsdemo", "/spec/tieredstore/levels/0/low", "0.1", "fl-watermark"),
        ("JuiceFSRuntime/jfsdemo", "/spec/tieredstore/levels/0/path", "/dev/shm", ""),
    ), missing=(("mounts[].encryptOptions name/storage/bucket as plain options (JuiceFS reads them from a Secret "
                 "only in strata)", "fl-secret-options", False),)),
    Example("30", "fluid-cloudnative/fluid docs/en/samples/data_warmup.md", {
        "projects/demo/spark.yaml": """kind: Dataset
name: spark
spec:
  sources: [{name: spark, uri: "https://mirrors.bit.edu.cn/apache/spark/"}]
  cache:
    engine: alluxio
    replicas: 2
    tiers: [{medium: MEM, path: /dev/shm, quota: 2Gi, high: "0.95", low: "0.7"}]
    warmup: true
"""}, (
        ("AlluxioRuntime/spark", "/spec/replicas", 2, ""),
        ("AlluxioRuntime/spark", "/spec/tieredstore/levels/0/high", "0.95", "fl-watermark"),
        ("DataLoad/spark-warmup", "/spec/dataset/name", "spark", ""),
    ), missing=(("DataLoad target paths with per-path replicas (strata warms the whole dataset)", "fl-dataload",
                 False),)),
    Example("31", "kserve/website docs/modelserving/v1beta1/llm/huggingface/text_generation/README.md", {
        "projects/demo/llama3.yaml": """kind: Model
name: llama3
spec:
  format: huggingface
  versions: [{version: 1, uri: "hf://meta-llama/meta-llama-3-8b-instruct"}]
""", "projects/demo/huggingface-llama3.yaml": """kind: Service
name: huggingface-llama3
spec:
  runtime: kserve
  model: {name: llama3, version: 1}
  args: [--model_name=llama3]
  env: [{name: HF_TOKEN, secretRef: {name: hf-secret, key: HF_TOKEN}}]
  resources: {cpu: "6", memory: 24Gi, gpu: 1, gpuType: a100}
"""}, (
        ("InferenceService/huggingface-llama3", "/spec/predictor/model/modelFormat/name", "huggingface", ""),
        ("InferenceService/huggingface-llama3", "/spec/predictor/model/args", ["--model_name=llama3"], "ksv-args"),
        ("InferenceService/huggingface-llama3", "/spec/predictor/model/storageUri",
         "hf://meta-llama/meta-llama-3-8b-instruct", ""),
        ("InferenceService/huggingface-llama3", "/spec/predictor/model/resources/limits/nvidia.com~1gpu", "1", ""),
        ("InferenceService/huggingface-llama3", "/spec/predictor/model/env/0/valueFrom/secretKeyRef/name", "hf-secret",
         ""),
    )),
    Example("32", "kserve/kserve docs/samples/fluid/fluid-isvc.yaml", {
        "projects/demo/llama-31.yaml": """kind: Model
name: llama-31-8b-instruct
spec:
  format: huggingface
  versions: [{version: 1, uri: "pvc://s3-data/llama-31-8b-instruct"}]
""", "projects/demo/llama-31-8b-instruct.yaml": """kind: Service
name: llama-31-8b-instruct
spec:
  runtime: kserve
  model: {name: llama-31-8b-instruct, version: 1}
  replicas: {min: 0, max: 1}
  kserve: {runtime: custom-kserve-huggingfaceserver}
  args: [--gpu-memory-utilization=0.95, --max-model-len=1024, --tensor-parallel-size=1, --enforce-eager,
         --disable-log-stats, --disable-log-requests]
  resources: {cpu: "24", memory: 48Gi, gpu: 1, gpuType: a10g}
"""}, (
        ("InferenceService/llama-31-8b-instruct", "/spec/predictor/minReplicas", 0, ""),
        ("InferenceService/llama-31-8b-instruct", "/spec/predictor/nodeSelector/node.kubernetes.io~1instance-type",
         "g5.8xlarge", ""),
        ("InferenceService/llama-31-8b-instruct", "/spec/predictor/model/runtime", "custom-kserve-huggingfaceserver",
         "ksv-runtime"),
        ("InferenceService/llama-31-8b-instruct", "/spec/predictor/model/args/1", "--max-model-len=1024", "ksv-args"),
        ("InferenceService/llama-31-8b-instruct", "/spec/predictor/model/storageUri",
         "pvc://s3-data/llama-31-8b-instruct", ""),
    )),
    Example("33", "kserve/website docs/modelserving/v1beta1/sklearn/v2/README.md (gRPC)", {
        "projects/demo/iris.yaml": """kind: Model
name: iris
spec:
  format: sklearn
  versions: [{version: 1, uri: "gs://kfserving-examples/models/sklearn/1.0/model"}]
""", "projects/demo/sklearn-v2-iris-grpc.yaml": """kind: Service
name: sklearn-v2-iris-grpc
spec:
  runtime: kserve
  model: {name: iris, version: 1}
  kserve: {runtime: kserve-sklearnserver, protocolVersion: v2}
  ports: [{name: h2c, port: 8081}]
  probes: {}
"""}, (
        ("InferenceService/sklearn-v2-iris-grpc", "/spec/predictor/model/protocolVersion", "v2", "ksv-protocol"),
        ("InferenceService/sklearn-v2-iris-grpc", "/spec/predictor/model/runtime", "kserve-sklearnserver", "ksv-runtime"),
        ("InferenceService/sklearn-v2-iris-grpc", "/spec/predictor/model/ports/0",
         {"name": "h2c", "containerPort": 8081, "protocol": "TCP"}, ""),
        ("InferenceService/sklearn-v2-iris-grpc", "/spec/predictor/model/storageUri",
         "gs://kfserving-examples/models/sklearn/1.0/model", ""),
    )),
    Example("34", "kserve/website docs/modelserving/v1beta1/rollout/canary-example.md (tag routing)", {
        "projects/demo/iris.yaml": """kind: Model
name: iris
spec:
  format: sklearn
  versions:
    - {version: 1, uri: "gs://kfserving-examples/models/sklearn/1.0/model"}
    - {version: 2, uri: "gs://kfserving-examples/models/sklearn/1.0/model-2"}
""", "projects/demo/sklearn-iris.yaml": """kind: Service
name: sklearn-iris
spec:
  runtime: kserve
  model: {name: iris, version: 1}
  canary: {weight: 10, model: {name: iris, version: 2}}
  metadata: {annotations: {serving.kserve.io/enable-tag-routing: "true"}}
"""}, (
        ("InferenceService/sklearn-iris", "/metadata/annotations/serving.kserve.io~1enable-tag-routing", "true",
         "obj-meta"),
        ("InferenceService/sklearn-iris", "/spec/predictor/canaryTrafficPercent", 10, ""),
        ("InferenceService/sklearn-iris", "/spec/predictor/model/storageUri",
         "gs://kfserving-examples/models/sklearn/1.0/model-2", ""),
    )),
    Example("35", "kserve/website docs/modelserving/v1beta1/llm/huggingface/README.md @00fc537 (Triton + transformer)", {
        "projects/demo/bert.yaml": """kind: Model
name: bert
spec:
  format: triton
  versions: [{version: 1, uri: "gs://kfserving-examples/models/triton/huggingface/model_repository"}]
""", "projects/demo/huggingface-triton.yaml": """kind: Service
name: huggingface-triton
spec:
  runtime: kserve
  model: {name: bert, version: 1}
  kserve: {protocolVersion: v2, runtimeVersion: 23.10-py3}
  args: [--log-verbose=1]
  resources: {cpu: "6", memory: 24Gi, gpu: 1, gpuType: a100}
  transformer:
    image: kserve/huggingfaceserver:v0.14.0
    args: [--model_name=llama2, --model_id=meta-llama/Llama-2-7b-chat-hf, --predictor_protocol=v2,
           --tensor_input_names=input_ids, --disable_vllm]
    resources: {cpu: 100m, memory: 2Gi, limits: {cpu: "1"}}
"""}, (
        ("InferenceService/huggingface-triton", "/spec/predictor/model/protocolVersion", "v2", "ksv-protocol"),
        ("InferenceService/huggingface-triton", "/spec/predictor/model/runtimeVersion", "23.10-py3", "ksv-runtime"),
        ("InferenceService/huggingface-triton", "/spec/predictor/model/args", ["--log-verbose=1"], "ksv-args"),
        ("InferenceService/huggingface-triton", "/spec/predictor/model/modelFormat/name", "triton", ""),
        ("InferenceService/huggingface-triton", "/spec/transformer/containers/0/args/3", "--tensor_input_names=input_ids",
         "ksv-transformer"),
        ("InferenceService/huggingface-triton", "/spec/transformer/containers/0/resources",
         {"requests": {"cpu": "100m", "memory": "2Gi"}, "limits": {"cpu": "1", "memory": "2Gi"}}, "requests-limits"),
    )),
    Example("36", "kserve/website docs/modelserving/v1beta1/transformer/torchserve_image_transformer/README.md (gRPC)", {
        "projects/demo/cifar10.yaml": """kind: Model
name: cifar10
spec:
  format: pytorch
  versions: [{version: 1, uri: "gs://kfserving-examples/models/torchscript"}]
""", "projects/demo/torch-grpc-transformer.yaml": """kind: Service
name: torch-grpc-transformer
spec:
  runtime: kserve
  model: {name: cifar10, version: 1}
  kserve: {runtime: kserve-tritonserver, runtimeVersion: 20.10-py3}
  ports: [{name: h2c, port: 9000}]
  transformer:
    image: kserve/image-transformer:v0.14.0
    command: [python, -m, model]
    args: [--model_name, cifar10, --protocol, grpc-v2]
"""}, (
        ("InferenceService/torch-grpc-transformer", "/spec/predictor/model/runtime", "kserve-tritonserver", "ksv-runtime"),
        ("InferenceService/torch-grpc-transformer", "/spec/predictor/model/runtimeVersion", "20.10-py3", "ksv-runtime"),
        ("InferenceService/torch-grpc-transformer", "/spec/predictor/model/ports/0/containerPort", 9000, ""),
        ("InferenceService/torch-grpc-transformer", "/spec/transformer/containers/0/command", ["python", "-m", "model"],
         "ksv-transformer"),
        ("InferenceService/torch-grpc-transformer", "/spec/transformer/containers/0/args/3", "grpc-v2",
         "ksv-transformer"),
        ("InferenceService/torch-grpc-transformer", "/spec/predictor/model/storageUri",
         "gs://kfserving-examples/models/torchscript", ""),
    )),
    Example("38", "argoproj/argo-workflows examples/dag-conditional-artifacts.yaml", {
        "projects/demo/dag-conditional.yaml": """kind: Pipeline
name: dag-conditional
spec:
  steps:
    - {name: flip-coin, container: {image: "python:3.12-alpine", command: [python, -c],
       args: ["import random; print('heads' if random.randint(0, 1) == 0 else 'tails')"]}}
    - {name: heads, after: [flip-coin], when: "{{tasks.flip-coin.outputs.result}} == heads",
       container: {image: "python:3.12-alpine", command: [python, -c], args: ["print('heads')"]}}
    - {name: tails, after: [flip-coin], when: "{{tasks.flip-coin.outputs.result}} == tails",
       container: {image: "python:3.12-alpine", command: [python, -c], args: ["print('tails')"]}}
"""}, (
        ("WorkflowTemplate/dag-conditional", "/spec/templates/0/dag/tasks/1/when",
         "{{tasks.flip-coin.outputs.result}} == heads", "pl-when"),
        ("WorkflowTemplate/dag-conditional", "/spec/templates/0/dag/tasks/2/dependencies", ["flip-coin"], ""),
    ), missing=(("outputs.artifacts[result].fromExpression of the chosen branch", "pl-io", True),
                ("script templates (source:)", "pl-script", False))),
    Example("39", "argoproj/argo-workflows examples/parameter-aggregation-dag.yaml", {
        "projects/demo/parameter-aggregation.yaml": """kind: Pipeline
name: parameter-aggregation
spec:
  steps:
    - name: odd-or-even
      forEach: [1, 2, 3, 4]
      outputs: {parameters: [{name: num, path: /tmp/num}, {name: evenness, path: /tmp/even}]}
      container:
        image: "alpine:3.6"
        command: [sh, -c]
        args: ["sleep 1 && echo {{item}} > /tmp/num && if [ $(({{item}}%2)) -eq 0 ]; then echo even > /tmp/even;
               else echo odd > /tmp/even; fi"]
    - name: divide-by-2
      after: [odd-or-even]
      forEachFrom: odd-or-even.parameters
      when: "{{item.evenness}} == even"
      container: {image: "alpine:3.6", command: [sh, -c], args: ["echo $(({{item.num}}/2))"]}
    - name: print
      after: [divide-by-2]
      forEachFrom: divide-by-2.result
      container: {image: "alpine:3.6", command: [echo], args: ["{{item}}"]}
"""}, (
        ("WorkflowTemplate/parameter-aggregation", "/spec/templates/1/outputs/parameters/1",
         {"name": "evenness", "valueFrom": {"path": "/tmp/even"}}, "pl-io"),
        ("WorkflowTemplate/parameter-aggregation", "/spec/templates/0/dag/tasks/1/withParam",
         "{{tasks.odd-or-even.outputs.parameters}}", "pl-dynamic"),
        ("WorkflowTemplate/parameter-aggregation", "/spec/templates/0/dag/tasks/1/when", "{{item.evenness}} == even",
         "pl-when"),
        ("WorkflowTemplate/parameter-aggregation", "/spec/templates/0/dag/tasks/2/withParam",
         "{{tasks.divide-by-2.outputs.result}}", "pl-dynamic"),
        ("WorkflowTemplate/parameter-aggregation", "/spec/templates/0/dag/tasks/0/withItems", [1, 2, 3, 4], ""),
    ), missing=(("print-nums / print-evenness: a step taking a fanned-out step's output list as one parameter",
                 "pl-io", False),)),
    Example("40", "argoproj/argo-workflows examples/exit-handlers.yaml", {
        "projects/demo/exit-handlers.yaml": """kind: Pipeline
name: exit-handlers
spec:
  steps:
    - {name: intentional-fail, container: {image: "alpine:3.20", command: [sh, -c], args: ["echo intentional failure; exit 1"]}}
  onExit:
    image: "alpine:3.20"
    command: [sh, -c]
    args: ["echo send e-mail: {{workflow.name}} {{workflow.status}}; if [ {{workflow.status}} = Succeeded ];
           then echo hooray!; else echo boohoo!; fi"]
"""}, (
        ("WorkflowTemplate/exit-handlers", "/spec/onExit", "on-exit", "pl-exit"),
        ("WorkflowTemplate/exit-handlers", "/spec/templates/2/name", "on-exit", "pl-exit"),
        ("WorkflowTemplate/exit-handlers", "/spec/templates/2/container/args/0",
         "echo send e-mail: {{workflow.name}} {{workflow.status}}; if [ {{workflow.status}} = Succeeded ]; then echo "
         "hooray!; else echo boohoo!; fi", "pl-exit"),
        ("WorkflowTemplate/exit-handlers", "/spec/templates/1/container/args/0", "echo intentional failure; exit 1", ""),
    ), missing=(("celebrate / cry as separate steps chosen by `when` inside the exit handler (one script here)",
                 "pl-when", False),)),
    Example("41", "argoproj/argo-workflows examples/retry-backoff.yaml", {
        "projects/demo/retry-backoff.yaml": """kind: Pipeline
name: retry-backoff
spec:
  steps:
    - name: flaky
      retry: {limit: 10, backoff: {duration: "1", factor: 2, maxDuration: 1m, cap: "5"}}
      container: {image: "python:3.12-alpine", command: [python, -c],
                  args: ["import random, sys; sys.exit(random.choice([0, 1, 1]))"]}
"""}, (
        ("WorkflowTemplate/retry-backoff", "/spec/templates/1/retryStrategy/limit", "10", "pl-retry"),
        ("WorkflowTemplate/retry-backoff", "/spec/templates/1/retryStrategy/backoff",
         {"duration": "1", "factor": "2", "maxDuration": "1m", "cap": "5"}, "pl-retry"),
        ("WorkflowTemplate/retry-backoff", "/spec/templates/1/container/args/0",
         "import random, sys; sys.exit(random.choice([0, 1, 1]))", ""),
    )),
    Example("42", "argoproj/argo-workflows examples/volumes-pvc.yaml", {
        "projects/demo/volumes-pvc.yaml": """kind: Pipeline
name: volumes-pvc
spec:
  workspace: {size: 1Gi, mountPath: /mnt/vol}
  steps:
    - {name: generate, container: {image: "busybox:1.36", command: [sh, -c],
       args: ["echo generating message in volume; echo hello world | tee /mnt/vol/hello_world.txt"]}}
    - {name: print, after: [generate], container: {image: "alpine:3.20", command: [sh, -c],
       args: ["echo getting message from volume; find /mnt/vol; cat /mnt/vol/hello_world.txt"]}}
"""}, (
        ("WorkflowTemplate/volumes-pvc", "/spec/volumeClaimTemplates/0",
         {"metadata": {"name": "workspace"},
          "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}, "pl-workspace"),
        ("WorkflowTemplate/volumes-pvc", "/spec/templates/2/container/volumeMounts/0",
         {"name": "workspace", "mountPath": "/mnt/vol"}, "pl-workspace"),
        ("WorkflowTemplate/volumes-pvc", "/spec/templates/0/dag/tasks/1/dependencies", ["generate"], ""),
    )),
    Example("43", "argoproj/argo-workflows examples/artifact-passing.yaml", {
        "projects/demo/artifact-passing.yaml": """kind: Pipeline
name: artifact-passing
spec:
  steps:
    - name: generate-artifact
      outputs: {artifacts: [{name: hello-art, path: /tmp/hello_world.txt}]}
      container: {image: "docker/whalesay:latest", command: [sh, -c], args: ["sleep 1; cowsay hello world | tee /tmp/hello_world.txt"]}
    - name: consume-artifact
      after: [generate-artifact]
      inputs: {artifacts: [{name: message, from: generate-artifact.hello-art, path: /tmp/message}]}
      container: {image: "alpine:3.20", command: [sh, -c], args: ["cat /tmp/message"]}
"""}, (
        ("WorkflowTemplate/artifact-passing", "/spec/templates/1/outputs/artifacts/0",
         {"name": "hello-art", "path": "/tmp/hello_world.txt"}, "pl-io"),
        ("WorkflowTemplate/artifact-passing", "/spec/templates/2/inputs/artifacts/0",
         {"name": "message", "path": "/tmp/message"}, "pl-io"),
        ("WorkflowTemplate/artifact-passing", "/spec/templates/0/dag/tasks/1/arguments/artifacts/0",
         {"name": "message", "from": "{{tasks.generate-artifact.outputs.artifacts.hello-art}}"}, "pl-io"),
        ("WorkflowTemplate/artifact-passing", "/spec/templates/2/container/args/0", "cat /tmp/message", ""),
    )),
    Example("44", "kubeflow/kubeflow components/notebook-controller/loadtest/jupyter_test.yaml", {
        "projects/demo/jupyter-test.yaml": """kind: Notebook
name: jupyter-test
spec:
  image: kubeflownotebookswg/jupyter-scipy:v1.8.0
  resources: {cpu: 500m, memory: 1Gi, shm: 1Gi, limits: {cpu: none, memory: none}}
  workspace: {claim: test-pvc, mountPath: /home/kubeflow}
  pod:
    serviceAccount: default-editor
"""}, (
        ("Notebook/jupyter-test", "/spec/template/spec/serviceAccountName", "default-editor", "service-account"),
        ("Notebook/jupyter-test", "/spec/template/spec/containers/0/resources/requests", {"cpu": "500m", "memory": "1Gi"},
         "requests-limits"),
        ("Notebook/jupyter-test", "/spec/template/spec/volumes/1/emptyDir/medium", "Memory", ""),
        ("Notebook/jupyter-test", "/spec/template/spec/volumes/0/persistentVolumeClaim/claimName", "test-pvc",
         "nb-workspace-claim"),
        ("Notebook/jupyter-test", "/spec/template/spec/containers/0/volumeMounts/0/mountPath", "/home/kubeflow",
         "nb-workspace-claim"),
    )),
    Example("45", "kubeflow/kubeflow components/crud-web-apps/jupyter/backend/apps/jupyter/yaml/notebook_template.yaml", {
        "projects/demo/jwa-notebook.yaml": """kind: Notebook
name: jwa-notebook
spec:
  image: kubeflownotebookswg/jupyter-scipy:v1.8.0
  resources: {cpu: 100m, memory: 100Mi, limits: {cpu: 200m, memory: 200Mi}}
  metadata: {annotations: {notebooks.kubeflow.org/server-type: jupyter}, labels: {app: jwa-notebook}}
  pod:
    serviceAccount: default-editor
    tolerations: [{key: dedicated, operator: Equal, value: notebooks, effect: NoSchedule}]
"""}, (
        ("Notebook/jwa-notebook", "/metadata/annotations/notebooks.kubeflow.org~1server-type", "jupyter", "obj-meta"),
        ("Notebook/jwa-notebook", "/metadata/labels/app", "jwa-notebook", "obj-meta"),
        ("Notebook/jwa-notebook", "/spec/template/spec/serviceAccountName", "default-editor", "service-account"),
        ("Notebook/jwa-notebook", "/spec/template/spec/containers/0/resources",
         {"requests": {"cpu": "100m", "memory": "100Mi"}, "limits": {"cpu": "200m", "memory": "200Mi"}},
         "requests-limits"),
        ("Notebook/jwa-notebook", "/spec/template/spec/tolerations/0/value", "notebooks", "placement"),
    )),
    Example("46", "kubeflow/kubeflow components/notebook-controller/config/samples/_v1_notebook.yaml", {
        "projects/demo/notebook-sample-v1.yaml": """kind: Notebook
name: notebook-sample-v1
spec:
  image: kubeflownotebookswg/jupyter:v1.8.0
"""}, (
        ("Notebook/notebook-sample-v1", "/spec/template/spec/containers/0/image", "kubeflownotebookswg/jupyter:v1.8.0",
         ""),
    )),
)
