"""What the cluster holds: strata's ApplySet parents and the objects of one environment.

Reads only (LIST): the parents in `strata-system`, then, for every kind the desired
objects or the parents' `contains-group-kinds` name, the objects labelled with the
environment — one request per kind (plus pages), whatever the number of objects.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from compiler.apply.applyset import ENV_LABEL, GROUP_KEY, GROUP_KINDS, PARENT_ID, PARENT_NAMESPACE
from compiler.apply.discovery import Discovery, Resource
from compiler.apply.kube import Kube
from compiler.apply.model import Ref


@dataclass
class LiveState:
    parents: dict[str, dict] = field(default_factory=dict)     # parent name → live parent ConfigMap (any env, any tool)
    objects: dict[Ref, dict] = field(default_factory=dict)     # the environment's live objects, by identity
    resources: dict[tuple[str, str], Resource] = field(default_factory=dict)   # (group, kind) → where it lives
    unserved: set[str] = field(default_factory=set)            # group-kinds a parent lists that are no longer served

    def groups_in_cluster(self, env: str) -> dict[str, dict]:
        """Target group → parent, for every parent of `env`."""
        return {(p["metadata"].get("annotations") or {}).get(GROUP_KEY, ""): p for p in self.parents.values()
                if (p["metadata"].get("labels") or {}).get(ENV_LABEL) == env}


def read_live(kube: Kube, discovery: Discovery, env: str, wanted: dict[tuple[str, str], Resource],
              desired: list[Ref]) -> LiveState:
    """`wanted`: (group, kind) → resource of every desired kind; the parents add the kinds they once held.
    A desired object the LISTs did not return (its labels were edited, or someone else made it) is read
    by name, unless its namespace does not exist yet."""
    state = LiveState(resources=dict(wanted))
    configmaps = discovery.find("v1", "ConfigMap")
    if configmaps is not None:
        for item in kube.list(configmaps.path(PARENT_NAMESPACE), PARENT_ID):
            state.parents[item["metadata"]["name"]] = _typed(item, configmaps)
    for parent in state.groups_in_cluster(env).values():
        for group_kind in filter(None, (parent["metadata"].get("annotations") or {}).get(GROUP_KINDS, "").split(",")):
            kind, _, group = group_kind.partition(".")
            if (group, kind) not in state.resources:
                resource = discovery.find_kind(group, kind)
                if resource is None:
                    state.unserved.add(group_kind)
                else:
                    state.resources[(group, kind)] = resource
    for resource in sorted(state.resources.values(), key=lambda r: (r.api_version, r.kind)):
        for item in kube.list(resource.path(), f"{ENV_LABEL}={env}"):
            typed = _typed(item, resource)
            state.objects[Ref.of(typed)] = typed
    missing = [ref for ref in desired if ref not in state.objects]
    for ref in sorted(missing, key=lambda r: r.kind != "Namespace"):   # namespaces first: they decide the rest
        namespace = Ref("", "Namespace", "", ref.namespace)
        if ref.namespace and namespace not in state.objects:
            continue    # its namespace does not exist yet, so neither does it
        found = kube.get(state.resources[(ref.group, ref.kind)].path(ref.namespace, ref.name))
        if found.ok:
            state.objects[ref] = found.body
    return state


def _typed(item: dict, resource: Resource) -> dict:
    """LIST items come without apiVersion/kind; put them back."""
    return {"apiVersion": resource.api_version, "kind": resource.kind, **item}
