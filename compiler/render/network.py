"""`network:` — a Job's (or role's) pods joined to an environment's network profile.

A profile (schemas/environment.py NetworkProfile) holds what a workload may not set itself:
host networking, privileged mode and capabilities, host devices, RDMA device resources, the
fabric's NCCL env. The platform declares it per environment; the environment's policy decides
whether its workloads may use it, and a workload only names it.
"""
from __future__ import annotations

from typing import Any

from compiler.render.pod import PodParts
from compiler.suggest import closest
from compiler.targets import Target
from schemas.common import EnvVar
from schemas.environment import NetworkProfile
from schemas.job import NO_NETWORK

PROFILE_VOLUME = "profile-"    # schemas/pod.py refuses this prefix in pod.volumes


def join_network(target: Target, ctx: Any, name: str | None, path: tuple, parts: PodParts,
                 resources: dict[str, Any]) -> list[EnvVar]:
    """The profile `name` laid onto a pod's parts and main container resources; its env to add."""
    if name is None or name == NO_NETWORK:
        return []
    profiles = target.env.settings.networkProfiles
    profile = profiles.get(name)
    if profile is None:
        guess = closest(name, profiles)
        hint = f"; did you mean {guess!r}?" if guess else f" (profiles here: {', '.join(sorted(profiles)) or 'none'})"
        ctx.error(target, path, f"network {name!r} is not a networkProfiles entry of environment "
                                f"{target.env.name}{hint}")
        return []
    for problem in policy_problems(target, profile):
        ctx.error(target, path, f"network {name!r}: {problem}")
    _lay(profile, parts, resources)
    return [EnvVar(name=k, value=v) for k, v in sorted(profile.env.items())]


def policy_problems(target: Target, profile: NetworkProfile) -> list[str]:
    policy = target.env.settings.policy
    found = []
    if (profile.hostNetwork or profile.hostIPC) and not policy.allowHostNetwork:
        found.append("uses the host network, which policy allowHostNetwork does not allow here")
    if profile.privileged and not policy.allowPrivileged:
        found.append("runs privileged, which policy allowPrivileged does not allow here")
    refused = [c for c in profile.capabilities if c not in policy.allowedCapabilities]
    if refused:
        found.append(f"adds capabilities {', '.join(refused)}, not in policy allowedCapabilities "
                     f"({', '.join(policy.allowedCapabilities) or 'none'})")
    return found


def _lay(profile: NetworkProfile, parts: PodParts, resources: dict[str, Any]) -> None:
    if profile.hostNetwork:
        parts.pod_fields.update(hostNetwork=True, dnsPolicy="ClusterFirstWithHostNet")
    if profile.hostIPC:
        parts.pod_fields["hostIPC"] = True
    security: dict[str, Any] = {}
    if profile.privileged:
        security["privileged"] = True
    if profile.capabilities:
        security["capabilities"] = {"add": list(profile.capabilities)}
    if security:
        parts.container_fields["securityContext"] = security
    for index, device in enumerate(profile.hostDevices):
        name = f"{PROFILE_VOLUME}{index}"
        parts.volumes.append({"name": name, "hostPath": {"path": device}})
        parts.mounts.append({"name": name, "mountPath": device})
    for resource, amount in sorted(profile.resources.items()):
        for kind in ("requests", "limits"):
            resources.setdefault(kind, {})[resource] = str(amount)
    parts.annotations.update(profile.annotations)


def profile_devices(target: Target) -> set[str]:
    """Every host device a network profile of the target's environment mounts (policy exempts them)."""
    return {d for p in target.env.settings.networkProfiles.values() for d in p.hostDevices}
