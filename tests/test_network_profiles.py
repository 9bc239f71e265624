"""`networkProfiles` (issue 16): the environment declares the fabric (host network, privileged,
capabilities, host devices, RDMA resources, NCCL env); a Job or one role selects it by name; the
environment's policy decides whether it may be used; a lock pins the choice."""
from __future__ import annotations

import pytest

from repo_fixture import compile_errors, compiled_objects, write_repo

GROUP = """
    kind: EnvironmentGroup
    name: test
    gpuPools: {h100: {resourceName: nvidia.com/gpu, nodeSelector: {node.kubernetes.io/instance-type: BM.GPU.H100.8}}}
    networkProfiles:
      infiniband-host:
        hostNetwork: true
        privileged: true
        capabilities: [IPC_LOCK]
        hostDevices: [/dev/infiniband]
        env: {NCCL_IB_HCA: "=mlx5_0,mlx5_1", NCCL_IB_GID_INDEX: "3"}
      rdma-sriov:
        capabilities: [IPC_LOCK]
        resources: {nvidia.com/rdma-vf: 16}
        annotations: {k8s.v1.cni.cncf.io/networks: "rdma-vf,rdma-vf"}
    policy: {allowHostNetwork: true, allowPrivileged: true, allowedCapabilities: [IPC_LOCK], forbidHostPath: true}
    """

NCCL = """
    kind: Job
    name: nccl
    spec:
      framework: mpi
      image: reg/nccl-tests:1.0
      replicas: {worker: 2}
      resources: {cpu: "32", memory: 128Gi, gpu: 8, gpuType: h100}
      network: infiniband-host
      roles:
        launcher: {command: [mpirun, all_reduce_perf], resources: {cpu: "1", memory: 2Gi, gpu: 0}, network: none}
    """


def repo(tmp_path, job: str = NCCL, group: str = GROUP):
    return write_repo(tmp_path, {"environments/groups/test.yaml": group, "projects/demo/train.yaml": job})


def test_a_profile_lays_the_fabric_on_the_roles_that_select_it(tmp_path):
    mpi = compiled_objects(repo(tmp_path))["MPIJob/nccl"]["spec"]["mpiReplicaSpecs"]
    worker, launcher = mpi["Worker"]["template"]["spec"], mpi["Launcher"]["template"]["spec"]
    assert worker["hostNetwork"] is True and worker["dnsPolicy"] == "ClusterFirstWithHostNet"
    main = worker["containers"][0]
    assert main["securityContext"] == {"privileged": True, "capabilities": {"add": ["IPC_LOCK"]}}
    assert {"name": "profile-0", "hostPath": {"path": "/dev/infiniband"}} in worker["volumes"]
    assert {"name": "profile-0", "mountPath": "/dev/infiniband"} in main["volumeMounts"]
    assert {"name": "NCCL_IB_HCA", "value": "=mlx5_0,mlx5_1"} in main["env"]
    # forbidHostPath does not apply to the platform's profile devices; the launcher opted out
    assert "hostNetwork" not in launcher and "securityContext" not in launcher["containers"][0]


def test_device_resources_and_network_annotations(tmp_path):
    job = NCCL.replace("network: infiniband-host", "network: rdma-sriov")
    worker = compiled_objects(repo(tmp_path, job))["MPIJob/nccl"]["spec"]["mpiReplicaSpecs"]["Worker"]["template"]
    resources = worker["spec"]["containers"][0]["resources"]
    assert resources["limits"]["nvidia.com/rdma-vf"] == resources["requests"]["nvidia.com/rdma-vf"] == "16"
    assert worker["metadata"]["annotations"]["k8s.v1.cni.cncf.io/networks"] == "rdma-vf,rdma-vf"


@pytest.mark.parametrize("policy, message", [
    ("allowHostNetwork: false", "network 'infiniband-host': uses the host network, which policy allowHostNetwork"),
    ("allowPrivileged: false", "network 'infiniband-host': runs privileged, which policy allowPrivileged"),
    ("allowedCapabilities: []", "adds capabilities IPC_LOCK, not in policy allowedCapabilities (none)"),
])
def test_the_environment_policy_guards_its_profiles(tmp_path, policy, message):
    key = policy.split(":")[0]
    group = GROUP.replace("policy: {", "policy: {" + policy + ", ").replace(f"{key}: true, ", "", 1) \
        .replace(f"{key}: [IPC_LOCK], ", "", 1)
    text = compile_errors(repo(tmp_path, group=group))
    assert message in text and "projects/demo/train.yaml:" in text


def test_an_unknown_profile_and_a_lock(tmp_path):
    assert "network 'infiniband' is not a networkProfiles entry of environment dev; did you mean " \
           "'infiniband-host'?" in compile_errors(repo(tmp_path / "a", NCCL.replace("infiniband-host", "infiniband")))
    locked = GROUP.rstrip() + "\n    defaults: {Job: {network: rdma-sriov}}\n    locked: [Job.network]\n"
    assert "network is locked by environments/groups/test.yaml" in compile_errors(repo(tmp_path / "b", group=locked))


def test_a_user_volume_may_not_pose_as_a_profile_device(tmp_path):
    job = NCCL.rstrip() + "\n      pod: {volumes: [{name: profile-0, mountPath: /x, hostPath: /dev/infiniband}]}\n"
    assert "volume name 'profile-0' is strata's" in compile_errors(repo(tmp_path, job))
