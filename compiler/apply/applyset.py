"""ApplySet (KEP-3659) identity: one parent per environment × target group, and its members.

A target group is a project, or an environment-wide group such as `_platform`; nothing
here depends on which. The parent is a ConfigMap in `strata-system` (the KEP allows
ConfigMap, Secret or a labelled custom resource as parent kinds); members carry
`applyset.kubernetes.io/part-of: <id>`, the id being
`applyset-<base64url(sha256(<name>.<namespace>.<kind>.<group>))>-v1` as kubectl computes it.
"""
from __future__ import annotations

import base64
import hashlib
import re

from compiler import __version__

TOOL = "strata"
FIELD_MANAGER = "strata"
TOOLING = f"{TOOL}/{__version__}"

PART_OF = "applyset.kubernetes.io/part-of"
PARENT_ID = "applyset.kubernetes.io/id"
TOOLING_KEY = "applyset.kubernetes.io/tooling"
GROUP_KINDS = "applyset.kubernetes.io/contains-group-kinds"
NAMESPACES = "applyset.kubernetes.io/additional-namespaces"
GROUP_KEY = "strata.dev/target-group"       # annotation: label values cannot start with `_`
ENV_LABEL = "strata.dev/environment"
MANAGED_BY = "app.kubernetes.io/managed-by"

PARENT_NAMESPACE = "strata-system"
PARENT_KIND, PARENT_API = "ConfigMap", "v1"
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def parent_name(env: str, group: str) -> str:
    """`<env>.<group>`; a group name that is no DNS label (`_platform`) gets a short hash so that
    it can never collide with a project's name."""
    if DNS_LABEL.match(group):
        return f"{env}.{group}"
    cleaned = re.sub(r"[^a-z0-9-]", "", group.lower()).strip("-") or "group"
    return f"{env}.{cleaned}-{hashlib.sha256(group.encode()).hexdigest()[:8]}"


def applyset_id(name: str, namespace: str = PARENT_NAMESPACE, kind: str = PARENT_KIND, group: str = "") -> str:
    digest = hashlib.sha256(f"{name}.{namespace}.{kind}.{group}".encode()).digest()
    return f"applyset-{base64.urlsafe_b64encode(digest).decode().rstrip('=')}-v1"


def group_id(env: str, group: str) -> str:
    return applyset_id(parent_name(env, group))


def tool_of(tooling: str) -> str:
    """`strata/0.1.0` → `strata` (the KEP's `<toolname>/<semver>`)."""
    return tooling.rsplit("/", 1)[0] if "/" in tooling else tooling


def group_kind(api_version: str, kind: str) -> str:
    """`Deployment.apps`, `Namespace` (core): the KEP's `<kind>.<group>`."""
    group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
    return f"{kind}.{group}" if group else kind


def parent_object(env: str, group: str, group_kinds: set[str], namespaces: set[str], runs: str | None) -> dict:
    """The parent ConfigMap as strata applies it (lists sorted, as the KEP requires)."""
    meta = {
        "name": parent_name(env, group), "namespace": PARENT_NAMESPACE,
        "labels": {PARENT_ID: group_id(env, group), MANAGED_BY: TOOL, ENV_LABEL: env},
        "annotations": {TOOLING_KEY: TOOLING, GROUP_KINDS: ",".join(sorted(group_kinds)),
                        NAMESPACES: ",".join(sorted(namespaces - {PARENT_NAMESPACE})), GROUP_KEY: group},
    }
    parent: dict = {"apiVersion": PARENT_API, "kind": PARENT_KIND, "metadata": meta}
    if runs is not None:
        parent["data"] = {"runs": runs}
    return parent


def parent_namespace_object() -> dict:
    """`strata-system`, where the parents live; strata creates it and never prunes it."""
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": PARENT_NAMESPACE, "labels": {MANAGED_BY: TOOL}}}


def with_membership(obj: dict, set_id: str) -> dict:
    """A copy of `obj` labelled as a member of the ApplySet `set_id` (top-level metadata only:
    never on pod templates, whose labels controllers copy to the pods they create)."""
    meta = dict(obj.get("metadata") or {})
    meta["labels"] = {**(meta.get("labels") or {}), PART_OF: set_id}
    return {**obj, "metadata": meta}
