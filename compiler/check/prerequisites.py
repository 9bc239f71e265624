"""What the output names but strata does not emit: objects the cluster must already have.

`strata validate` reads every emitted object (and the job manifests Argo resource templates
embed) for references to Secrets (`secretKeyRef`, `secretRef`, a ServiceAccount's
`secrets`), PersistentVolumeClaims, ServiceAccounts, ClusterWorkflowTemplates
(`templateRef.clusterScope`) and Gateways (HTTPRoute `parentRefs`). A reference to
something no object of the output provides (a Fluid Dataset provides the claim of its
name) and that the environment does not list under `prerequisites:` is a warning, once per
kind and name, naming the namespaces and environments that need it.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from compiler.errors import Problem
from compiler.provenance import Origin
from compiler.render.dataset import fluid_claim
from compiler.render.storage import kserve_secret_annotations
from compiler.targets import Emitted, Env

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
KINDS = ("Secret", "PersistentVolumeClaim", "ServiceAccount", "ClusterWorkflowTemplate", "Gateway")


@dataclass(frozen=True)
class Reference:
    kind: str
    name: str
    namespace: str     # where it must exist ("" for cluster-scoped kinds)

    @property
    def listed_as(self) -> str:
        """How `prerequisites:` names it: a Gateway as `<namespace>/<name>`, others by name."""
        return f"{self.namespace}/{self.name}" if self.kind == "Gateway" else self.name


def references(obj: dict[str, Any]) -> Iterator[Reference]:
    """Every reference to an object of KINDS in `obj`, embedded job manifests included."""
    namespace = (obj.get("metadata") or {}).get("namespace", "")
    if obj.get("kind") == "ServiceAccount":
        for secret in obj.get("secrets") or []:
            yield Reference("Secret", secret["name"], namespace)
    if obj.get("kind") == "HTTPRoute":
        for parent in (obj.get("spec") or {}).get("parentRefs") or []:
            if parent.get("kind", "Gateway") == "Gateway":
                yield Reference("Gateway", parent["name"], parent.get("namespace", namespace))
    yield from _walk(obj, namespace)


def _walk(node: Any, namespace: str) -> Iterator[Reference]:
    if isinstance(node, list):
        for item in node:
            yield from _walk(item, namespace)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key in ("secretKeyRef", "secretRef") and isinstance(value, dict) and value.get("name"):
            yield Reference("Secret", value["name"], namespace)
        elif key == "persistentVolumeClaim" and isinstance(value, dict) and value.get("claimName"):
            yield Reference("PersistentVolumeClaim", value["claimName"], namespace)
        elif key == "serviceAccountName" and isinstance(value, str) and value:
            yield Reference("ServiceAccount", value, namespace)
        elif key == "templateRef" and isinstance(value, dict) and value.get("clusterScope"):
            yield Reference("ClusterWorkflowTemplate", value["name"], "")
        elif key == "manifest" and isinstance(value, str):   # an Argo resource template's object
            embedded = yaml.load(value, Loader=_Loader)
            if isinstance(embedded, dict):
                yield from _walk(embedded, namespace)
        else:
            yield from _walk(value, namespace)


def provided(obj: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(kind, namespace, name) of what an emitted object makes exist: itself, and for a Fluid
    Dataset the claim of its name that Fluid creates."""
    meta = obj.get("metadata") or {}
    namespace, name = meta.get("namespace", ""), meta.get("name", "")
    yield obj.get("kind", ""), namespace, name
    claim = fluid_claim(obj)
    if claim:
        yield "PersistentVolumeClaim", namespace, claim


def check_prerequisites(emitted: Iterable[Emitted], envs: dict[str, Env]) -> list[Problem]:
    """One warning per (kind, name) that the output needs and neither emits nor lists."""
    items = list(emitted)
    made = {(item.env, *found) for item in items for found in provided(item.obj)}
    missing: dict[tuple[str, str], list[tuple[str, str, Origin | None]]] = defaultdict(list)
    for item in items:
        env = envs.get(item.env)
        listed = {str(kind): names for kind, names in env.settings.prerequisites.items()} if env is not None else {}
        for ref in references(item.obj):
            if (item.env, ref.kind, ref.namespace, ref.name) in made or ref.listed_as in listed.get(ref.kind, []):
                continue
            origin = getattr(item.owner, "origin", None)
            missing[(ref.kind, ref.listed_as)].append((item.env, "" if ref.kind == "Gateway" else ref.namespace,
                                                       origin))
    return [_warning(kind, name, places, envs) for (kind, name), places in sorted(missing.items())]


def _warning(kind: str, name: str, places: list[tuple[str, str, Origin | None]], envs: dict[str, Env]) -> Problem:
    env_names = tuple(sorted({env for env, _, _ in places}))
    namespaces = sorted({ns for _, ns, _ in places if ns})
    where = f" in namespace{'s' if len(namespaces) > 1 else ''} {', '.join(namespaces)}" if namespaces else ""
    origin = min((o for _, _, o in places if o is not None), key=lambda o: o.sort_key(), default=None)
    message = (f"{kind} {name!r} is named by the output but not emitted by strata: it must exist{where} "
               f"(list it under `prerequisites.{kind}` in the environment or its group once it does; "
               f"docs/cluster-requirements.md){_secret_hint(kind, name, env_names, envs)}")
    return Problem(message, origin, envs=env_names, warning=True)


def _secret_hint(kind: str, name: str, env_names: tuple[str, ...], envs: dict[str, Env]) -> str:
    """For a storage Secret: the keys pullers read, and the annotations KServe takes its endpoint from."""
    schemes = sorted({scheme for env_name in env_names if (env := envs.get(env_name)) is not None
                      for scheme, settings in env.settings.storage.items() if settings.secret == name})
    if kind != "Secret" or not schemes:
        return ""
    annotations = sorted({key for env_name in env_names if (env := envs.get(env_name)) is not None
                          for scheme in schemes if (settings := env.settings.storage.get(scheme)) is not None
                          for key in kserve_secret_annotations(scheme, settings)})
    return (f"; it holds AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, and KServe reads the endpoint of each "
            f"environment's storage.{'/'.join(schemes)} from its annotations {', '.join(annotations)}")
