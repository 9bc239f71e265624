"""Offline validation of custom resources against the CRDs a user points at.

`strata validate --crds DIR` reads every CustomResourceDefinition in DIR
(recursively; multi-document files and `kind: List`, as `kubectl get crd -o
yaml` writes) and checks each emitted custom resource against the served
version's `openAPIV3Schema`. Fields a schema does not declare are reported,
unless the schema preserves unknown fields (the API server would silently
prune them, which hides typos).
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class CrdSchemas:
    """apiVersion/kind → a ready validator."""

    schemas: dict[str, dict[str, Any]] = field(default_factory=dict)
    _validators: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, *dirs: Path) -> CrdSchemas:
        found = cls()
        for directory in dirs:
            for path in sorted(Path(directory).rglob("*")):
                if path.suffix in (".yaml", ".yml", ".json") and path.is_file():
                    for crd in _crds_in(path):
                        found._add(crd)
        return found

    def _add(self, crd: dict[str, Any]) -> None:
        spec = crd.get("spec") or {}
        group, kind = spec.get("group"), (spec.get("names") or {}).get("kind")
        for version in spec.get("versions") or []:
            schema = (version.get("schema") or {}).get("openAPIV3Schema")
            if schema and version.get("served", True):
                self.schemas[f"{group}/{version['name']}/{kind}"] = schema

    def knows(self, api_version: str, kind: str) -> bool:
        return f"{api_version}/{kind}" in self.schemas

    def errors(self, obj: dict[str, Any]) -> list[tuple[str, str]]:
        """(JSON pointer, message) for every schema violation of `obj`."""
        key = f"{obj.get('apiVersion')}/{obj.get('kind')}"
        validator = self._validators.get(key)
        if validator is None:
            validator = jsonschema.Draft7Validator(_strict(self.schemas[key]))
            self._validators[key] = validator
        found = []
        for error in validator.iter_errors(obj):
            pointer = "/" + "/".join(str(p) for p in error.absolute_path)
            found.append((pointer, error.message))
        return sorted(found)


def _crds_in(path: Path) -> Iterator[dict[str, Any]]:
    with path.open("rb") as handle:
        for doc in yaml.load_all(handle, Loader=_Loader):
            if not isinstance(doc, dict):
                continue
            if doc.get("kind") == "List":
                yield from (d for d in doc.get("items") or [] if d.get("kind") == "CustomResourceDefinition")
            elif doc.get("kind") == "CustomResourceDefinition":
                yield doc


def _strict(schema: Any) -> Any:
    """Copy of a structural schema where undeclared fields are errors and nulls are typed."""
    if isinstance(schema, list):
        return [_strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _strict(v) for k, v in schema.items() if k not in ("properties",)}
    if "properties" in schema:
        out["properties"] = {k: _strict(v) for k, v in schema["properties"].items()}
        if not schema.get("x-kubernetes-preserve-unknown-fields") and "additionalProperties" not in schema:
            out["additionalProperties"] = False
    if schema.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if schema.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"] if isinstance(out["type"], str) else out["type"] + ["null"]
    return out
