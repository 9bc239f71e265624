"""A second config repo, built to exercise what a real GPU cluster needs of strata's output.

Unlike the example, its GPU pools have upper-case keys (`A100`, `H100_80GB`: ResourceFlavor
names must be derived), one environment runs Kueue and one Volcano, datasets are cached by
Fluid (Alluxio with a memory tier and warm-up, Jindo), models are on s3:// and oss://, a
Service runs on KServe and one on the platform chart with a canary, a pipeline runs job
steps of two kinds, a Job runs on a schedule and a notebook mounts a cached dataset.
"""
from __future__ import annotations

from pathlib import Path

from repo_fixture import write_repo

POOLS = """
gpuPools:
  A100:
    resourceName: nvidia.com/gpu
    nodeSelector: {gpu.example.com/model: A100}
    tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]
  H100_80GB:
    resourceName: nvidia.com/gpu
    nodeSelector: {gpu.example.com/model: H100-80GB}
"""

CLUSTER_REPO = {
    "strata.yaml": "output: out\n",
    "environments/groups/gpu.yaml": """
        kind: EnvironmentGroup
        name: gpu
        vars: {registry: reg.gpu.local}
        priorityClasses: {train-high: 100000, batch-low: 100}
        limits:
          defaultRequest: {cpu: 50m, memory: 64Mi}
          default: {cpu: "2", memory: 2Gi}
        presets: [evaluate-model]
        prerequisites:
          Secret: [s3-models, oss-models, oss-data]
          ClusterWorkflowTemplate: [evaluate-model]
          Gateway: [edge/public]
        """,
    "environments/kq.yaml": """
        kind: Environment
        name: kq
        group: gpu
        cluster: {name: kq-cluster}
        namespaceSuffix: -kq
        scheduler: kueue
        """ + POOLS.replace("\n", "\n        ") + """
        storage:
          s3: {endpoint: "minio.storage.svc:9000", useHttps: false, region: us-east-1, secret: s3-models}
          oss: {endpoint: s3.oss-cn-beijing-internal.aliyuncs.com, region: cn-beijing, secret: oss-models}
        gateway: {name: public, namespace: edge, domain: kq.example.com}
        """,
    "environments/vc.yaml": """
        kind: Environment
        name: vc
        group: gpu
        cluster: {name: vc-cluster}
        scheduler: volcano
        workflowServiceAccount: workflows
        """ + POOLS.replace("\n", "\n        ") + """
        storage:
          s3: {serviceAccount: model-puller}
          oss: {endpoint: s3.oss-cn-shanghai-internal.aliyuncs.com, region: cn-shanghai, secret: oss-models}
        gateway: {name: public, namespace: edge, domain: vc.example.com, sectionName: https}
        """,
    "projects/vision/project.yaml": """
        kind: Project
        name: vision
        owner: team-vision
        environments: [gpu]
        queue: {name: vision, weight: 2}
        quota:
          default: {cpu: "400", memory: 4Ti, gpu: {A100: 16, H100_80GB: 32}}
        limits:
          defaultRequest: {cpu: 100m}
        """,
    "projects/vision/data/images.yaml": """
        kind: Dataset
        name: images
        spec:
          sources:
            - {name: raw, uri: "oss://vision-data/images/", secretRef: oss-data,
               options: {fs.oss.endpoint: oss-cn-beijing-internal.aliyuncs.com}}
          cache:
            engine: alluxio
            replicas: 2
            tiers:
              - {medium: MEM, quota: 4Gi}
              - {medium: SSD, path: /mnt/ssd, quota: 100Gi}
            warmup: true
            resources:
              worker: {cpu: "2", memory: 3Gi}
          placement: required
        """,
    "projects/vision/data/features.yaml": """
        kind: Dataset
        name: features
        spec:
          sources:
            - {name: hdfs, uri: "hdfs://namenode:9000/features/"}
          cache: {engine: jindo, tiers: [{medium: SSD, path: /mnt/ssd/jindo, quota: 50Gi}]}
        """,
    "projects/vision/training/train.yaml": """
        kind: Job
        name: train
        spec:
          framework: pytorch
          image: ${env.vars.registry}/vision/train:2.0
          command: [torchrun, train.py]
          replicas: {master: 1, worker: 3}
          resources: {cpu: "16", memory: 128Gi, gpu: 8, gpuType: H100_80GB, shm: 16Gi}
          datasets: [{name: images, mountPath: /data}]
          scheduling: {priority: train-high, gang: true}
        """,
    "projects/vision/training/rerank.yaml": """
        kind: Job
        name: rerank
        spec:
          framework: xgboost
          image: ${env.vars.registry}/vision/rerank:1.0
          replicas: {master: 1, worker: 2}
          resources: {cpu: "4", memory: 16Gi}
          datasets: [{name: features, mountPath: /features}]
          scheduling: {priority: batch-low}
        """,
    "projects/vision/training/nightly.yaml": """
        kind: Job
        name: nightly
        spec:
          image: ${env.vars.registry}/vision/eval:1.0
          resources: {cpu: "2", memory: 8Gi, gpu: 1, gpuType: A100}
          scheduling: {priority: batch-low}
          schedule: {cron: "0 2 * * *", timezone: UTC}
        """,
    "projects/vision/models/embedder.yaml": """
        kind: Model
        name: embedder
        spec:
          format: onnx
          versions:
            - {version: 1, uri: "s3://vision-models/embedder/1/"}
            - {version: 2, uri: "oss://vision-models/embedder/2/"}
        """,
    "projects/vision/serving/search.yaml": """
        kind: Service
        name: search
        spec:
          runtime: kserve
          image: ${env.vars.registry}/vision/triton:24.01
          model: {name: embedder, version: 1}
          replicas: {min: 1, max: 4}
          resources: {cpu: "4", memory: 16Gi, gpu: 1, gpuType: A100}
          ports: [{name: grpc, port: 8001}]
          datasets: [{name: images, mountPath: /images}]
        """,
    "projects/vision/serving/ranker.yaml": """
        kind: Service
        name: ranker
        spec:
          image: ${env.vars.registry}/vision/ranker:3.0
          model: {name: embedder, version: 1}
          replicas: {min: 2, max: 10}
          resources: {cpu: "2", memory: 4Gi}
          canary: {model: {version: 2}, weight: 20}
        """,
    "projects/vision/pipelines/retrain.yaml": """
        kind: Pipeline
        name: retrain
        spec:
          schedule: {cron: "0 4 * * 1", timezone: UTC}
          steps:
            - name: prepare
              container:
                image: ${env.vars.registry}/vision/prep:1.0
                resources: {cpu: "2", memory: 8Gi}
                datasets: [{name: images, mountPath: /data, readOnly: false}]
            - {name: train, after: [prepare], job: train}
            - {name: rerank, after: [prepare], job: rerank}
            - {name: evaluate, after: [train, rerank], template: evaluate-model, with: {threshold: "0.9"}}
        """,
    "projects/vision/notebooks/lab.yaml": """
        kind: Notebook
        name: lab
        spec:
          image: ${env.vars.registry}/vision/jupyter:1.0
          resources: {cpu: "4", memory: 16Gi}
          datasets: [{name: images, mountPath: /data}]
        """,
}


def write_cluster_repo(root: Path, files: dict | None = None) -> Path:
    return write_repo(root, {**CLUSTER_REPO, **(files or {})}, base=False)
