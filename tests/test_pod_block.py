"""The `pod:` block (schemas/pod.py, issue 16): one meaning on a Job (and each role), a Service,
a Notebook and a pipeline container step; `metadata:` on the object itself; reserved keys refused."""
from __future__ import annotations

import pytest
from repo_fixture import compile_errors, compiled_objects, write_repo

POD = """
      pod:
        serviceAccount: trainer
        imagePullPolicy: Always
        imagePullSecrets: [{name: regcred}]
        annotations: {sidecar.istio.io/inject: "false"}
        labels: {team: search}
        workingDir: /opt/work
        ports: [{name: c10d, containerPort: 29400}]
        nodeSelector: {zone: a}
        tolerations: [{key: dedicated, operator: Equal, value: ml, effect: NoSchedule}]
        securityContext: {runAsUser: 1000, fsGroup: 1000}
        volumes:
          - {name: creds, mountPath: /etc/secrets, readOnly: true, secret: user-gcp-sa}
          - {name: scratch, mountPath: /scratch, emptyDir: {medium: Memory, sizeLimit: 8Gi}}
"""


objects, errors = compiled_objects, compile_errors


def job(extra: str) -> str:
    return ("""
    kind: Job
    name: train
    spec:
      framework: pytorch
      image: reg/train:1.0
      command: [torchrun, train.py]
      replicas: {master: 1, worker: 2}
      env: [{name: POD_NAME, fieldRef: metadata.name}]
      metadata: {annotations: {kueue.x-k8s.io/job-min-parallelism: "1"}}
""" + extra)


def test_pod_block_on_every_role_of_a_job(tmp_path):
    obj = objects(write_repo(tmp_path, {"projects/demo/train.yaml": job(POD)}))["PyTorchJob/train"]
    assert obj["metadata"]["annotations"]["kueue.x-k8s.io/job-min-parallelism"] == "1"
    for role in ("Master", "Worker"):
        template = obj["spec"]["pytorchReplicaSpecs"][role]["template"]
        pod, main = template["spec"], template["spec"]["containers"][0]
        assert template["metadata"]["annotations"] == {"sidecar.istio.io/inject": "false"}
        assert template["metadata"]["labels"]["team"] == "search"
        assert pod["serviceAccountName"] == "trainer"
        assert pod["imagePullSecrets"] == [{"name": "regcred"}]
        assert pod["securityContext"] == {"runAsUser": 1000, "fsGroup": 1000}
        assert pod["nodeSelector"] == {"zone": "a"}
        assert pod["tolerations"] == [{"key": "dedicated", "operator": "Equal", "value": "ml", "effect": "NoSchedule"}]
        assert {"name": "creds", "secret": {"secretName": "user-gcp-sa"}} in pod["volumes"]
        assert {"name": "scratch", "emptyDir": {"medium": "Memory", "sizeLimit": "8Gi"}} in pod["volumes"]
        assert {"name": "creds", "mountPath": "/etc/secrets", "readOnly": True} in main["volumeMounts"]
        assert main["workingDir"] == "/opt/work" and main["imagePullPolicy"] == "Always"
        assert main["ports"] == [{"name": "c10d", "containerPort": 29400, "protocol": "TCP"}]
        assert main["env"] == [{"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]


def test_role_pod_is_merged_over_the_job_pod(tmp_path):
    spec = job(POD + """
      roles:
        master:
          pod: {workingDir: /opt/master, annotations: {role: master}}
""")
    obj = objects(write_repo(tmp_path, {"projects/demo/train.yaml": spec}))["PyTorchJob/train"]
    master = obj["spec"]["pytorchReplicaSpecs"]["Master"]["template"]
    worker = obj["spec"]["pytorchReplicaSpecs"]["Worker"]["template"]
    assert master["spec"]["containers"][0]["workingDir"] == "/opt/master"
    assert master["metadata"]["annotations"] == {"sidecar.istio.io/inject": "false", "role": "master"}
    assert master["spec"]["serviceAccountName"] == "trainer"
    assert worker["spec"]["containers"][0]["workingDir"] == "/opt/work"


def test_notebook_pod_and_metadata(tmp_path):
    notebook = """
    kind: Notebook
    name: nb
    spec:
      image: kubeflownotebookswg/jupyter-scipy:v1.8.0
      metadata: {annotations: {notebooks.kubeflow.org/server-type: jupyter}}
      pod: {serviceAccount: default-editor, annotations: {sidecar.istio.io/inject: "false"}}
    """
    obj = objects(write_repo(tmp_path, {"projects/demo/nb.yaml": notebook}))["Notebook/nb"]
    assert obj["metadata"]["annotations"]["notebooks.kubeflow.org/server-type"] == "jupyter"
    assert obj["metadata"]["annotations"]["sidecar.istio.io/inject"] == "false"
    assert obj["spec"]["template"]["spec"]["serviceAccountName"] == "default-editor"


@pytest.mark.parametrize("bad, message", [
    ("pod: {labels: {kueue.x-k8s.io/queue-name: x}}", "kueue.x-k8s.io/queue-name is reserved: set scheduling.queue"),
    ("pod: {annotations: {strata.dev/x: y}}", "strata.dev/x is reserved"),
    ("pod: {volumes: [{name: dshm, mountPath: /x, emptyDir: {}}]}", "volume name 'dshm' is strata's"),
    ("pod: {volumes: [{name: v, mountPath: /x}]}", "needs exactly one of configMap, secret"),
    ("env: [{name: X, fieldRef: spec.containers}]", "is not a pod field the downward API exposes"),
])
def test_reserved_and_invalid_pod_settings_are_refused(tmp_path, bad, message):
    spec = f"""
    kind: Job
    name: train
    spec:
      image: reg/train:1.0
      {bad}
    """
    assert message in errors(write_repo(tmp_path, {"projects/demo/train.yaml": spec}))
