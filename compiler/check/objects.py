"""Offline validation of every emitted object (`strata validate`, SPEC §5).

Built-in kinds are checked against kubernetes-validate's strict JSON Schemas
(undeclared fields are errors); custom resources against the CRDs the user
points at (`compiler.check.crds.CrdSchemas`). `kubernetes_validate.validate()`
re-reads a 1.8 MB definitions file on every call, so `KubernetesSchemas` reads
it once and keeps one validator per kind.

An error names the environment, the target (or project), the object and the
JSON pointer, and is located at the spec value the object field came from
when that mapping is obvious (an image, a resource amount, an env var...),
else at the target's document.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
from referencing import Registry, Resource

from compiler.check.crds import CrdSchemas
from compiler.errors import Problems
from compiler.paths import json_pointer as pointer
from compiler.provenance import Origin
from compiler.targets import Env, Project, Target

Owner = Target | Project | Env | None   # None: known only by the object's own strata labels

_SCHEMA_ROOT = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"


def _newest_strict_dir() -> Path:
    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(n) for n in re.findall(r"\d+", path.name.split("-")[0]))
    dirs = [p for p in _SCHEMA_ROOT.iterdir() if p.name.endswith("-local-strict")]
    return max(dirs, key=version)


@dataclass
class KubernetesSchemas:
    """apiVersion/kind of built-in Kubernetes objects → a validator, each built once."""

    directory: Path = field(default_factory=_newest_strict_dir)
    _registry: Registry | None = None
    _validators: dict[str, Any | None] = field(default_factory=dict)

    @property
    def version(self) -> str:
        return self.directory.name.split("-")[0]

    def knows(self, api_version: str, kind: str) -> bool:
        return self._validator(api_version, kind) is not None

    def errors(self, obj: dict[str, Any]) -> list[tuple[str, str]]:
        """(JSON pointer, message) for every schema violation of `obj`."""
        validator = self._validator(obj.get("apiVersion", ""), obj.get("kind", ""))
        if validator is None:
            return []
        return sorted((pointer(e.absolute_path), e.message) for e in validator.iter_errors(obj))

    def _validator(self, api_version: str, kind: str) -> Any | None:
        key = f"{api_version}/{kind}"
        if key not in self._validators:
            path = self.directory / _schema_file(api_version, kind)
            self._validators[key] = self._build(path) if path.is_file() else None
        return self._validators[key]

    def _build(self, path: Path) -> Any:
        if self._registry is None:
            definitions = json.loads((self.directory / "_definitions.json").read_text())
            self._registry = Resource.from_contents(definitions) @ Registry()
        schema = json.loads(path.read_text())
        return jsonschema.Draft202012Validator(schema, registry=self._registry)


def _schema_file(api_version: str, kind: str) -> str:
    """kubernetes-validate's file name: rbac.authorization.k8s.io/v1 RoleBinding → rolebinding-rbac-v1.json."""
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    return f"{kind.lower()}-{group_version}.json"


# k8s.io groups that no Kubernetes release serves itself: installed as CRDs (Gateway API).
CRD_GROUPS = frozenset({"gateway.networking.k8s.io"})


def is_builtin(api_version: str) -> bool:
    """Kubernetes' own API groups: the core group, dotless groups and *.k8s.io (but not the
    *.x-k8s.io groups of SIG projects such as Kueue, nor Gateway API's, which are custom resources)."""
    group = api_version.rpartition("/")[0]
    if not group or "." not in group:
        return True
    return group.endswith(".k8s.io") and not group.endswith(".x-k8s.io") and group not in CRD_GROUPS


# --- where a field of an emitted object came from -----------------------------------------------------

_RESOURCE_FIELDS = {"cpu": "cpu", "memory": "memory", "ephemeral-storage": "ephemeralStorage"}


def spec_path(json_pointer: str) -> tuple | None:
    """The spec path an emitted field obviously comes from, else None (use the document)."""
    steps = [s.replace("~1", "/").replace("~0", "~") for s in json_pointer.split("/")[1:]]
    for index, step in enumerate(steps):
        rest = steps[index + 1:]
        if step == "containers" and len(rest) >= 2:
            return _container_path(rest[1:])
        if step == "volumes":
            return ("datasets",)
    return None


def _container_path(rest: list[str]) -> tuple:
    field_name = rest[0] if rest else ""
    if field_name in ("image", "command", "args"):
        return (field_name,)
    if field_name == "env":
        return ("env", int(rest[1])) if len(rest) > 1 and rest[1].isdigit() else ("env",)
    if field_name == "resources":
        amount = rest[2] if len(rest) > 2 else ""
        if amount in _RESOURCE_FIELDS:
            return ("resources", _RESOURCE_FIELDS[amount])
        return ("resources", "gpu") if amount.endswith("gpu") else ("resources",)
    if field_name == "volumeMounts":
        return ("datasets",)
    return ()


def _locate(owner: Owner, json_pointer: str) -> Origin | None:
    if owner is None or isinstance(owner, (Project, Env)):
        return owner.origin if owner is not None else None
    path = spec_path(json_pointer)
    return owner.locate(*path) if path else owner.origin


def _scope(owner: Owner, obj: dict[str, Any]) -> tuple[str, str]:
    """(what, environment) the object belongs to, for grouping one cause across environments."""
    if isinstance(owner, Target):
        return owner.identity, owner.env.name
    if isinstance(owner, Project):
        return f"project {owner.name}", owner.env.name
    if isinstance(owner, Env):
        return "platform", owner.name
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return f"project {labels.get('strata.dev/project', '?')}", labels.get("strata.dev/environment", "?")


# --- entry point --------------------------------------------------------------------------------------

def validate_objects(items: Iterable[tuple[Owner, dict[str, Any]]], crds: CrdSchemas | None, problems: Problems,
                     kubernetes: KubernetesSchemas | None = None, crd_dirs: Iterable[Any] = ()) -> None:
    """Check every (owner, object) pair; report each violation into `problems`.

    Without `crds` (no --crds at all) custom resources are left unchecked; with
    them, a custom resource kind they do not define is an error. Pass one
    `KubernetesSchemas` across calls to reuse its validators; `crd_dirs` only
    words the "no schema" error.
    """
    kubernetes = kubernetes or KubernetesSchemas()
    where = " ".join(str(d) for d in crd_dirs) or "(none given)"
    if crds is not None and not crds.schemas:
        problems.add(f"--crds {where}: no CustomResourceDefinition found there (searched recursively for "
                     "YAML or JSON files holding `kind: CustomResourceDefinition` or a `kind: List` of them)")
        crds = None
    unknown: dict[str, int] = {}
    for owner, obj in items:
        for json_pointer, message in _object_errors(obj, crds, kubernetes):
            if message == _NO_CRD:
                key = f"{obj.get('apiVersion')} {obj.get('kind')}"
                unknown[key] = unknown.get(key, 0) + 1
                continue
            name = (obj.get("metadata") or {}).get("name", "?")
            target, env = _scope(owner, obj)
            problems.add(f"{obj.get('kind')}/{name} at {json_pointer or '/'}: {message}",
                         _locate(owner, json_pointer), target=target, env=env)
    for key, count in sorted(unknown.items()):
        problems.add(f"no schema for {key} in --crds {where} ({count} object{'s' if count > 1 else ''} "
                     "left unchecked); add its CustomResourceDefinition there")


_NO_CRD = "no CRD"   # marker: a custom resource kind the given CRDs do not define (reported once per kind)


def _object_errors(obj: dict[str, Any], crds: CrdSchemas | None,
                   kubernetes: KubernetesSchemas) -> list[tuple[str, str]]:
    api_version, kind = str(obj.get("apiVersion", "")), str(obj.get("kind", ""))
    if is_builtin(api_version):
        if kubernetes.knows(api_version, kind):
            return kubernetes.errors(obj)
        return [("", f"{api_version} {kind} is not a Kubernetes {kubernetes.version} kind")]
    if crds is None:
        return []
    if crds.knows(api_version, kind):
        return crds.errors(obj)
    return [("", _NO_CRD)]
