"""JSON Schema per kind, generated from the spec models (never maintained by hand).

Resource documents are layered, so a file may hold a partial spec: `required`
is dropped from spec schemas (the compiler checks required fields after
merging). Unknown fields stay errors (`additionalProperties: false`).
"""
from __future__ import annotations

from typing import Any

from schemas import RESOURCE_SPECS, SETTINGS_DOCS
from schemas.resource import ResourceDoc

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def all_schemas() -> dict[str, dict[str, Any]]:
    found = {kind: _settings_schema(kind, model) for kind, model in SETTINGS_DOCS.items()}
    found.update({kind: _resource_schema(kind, model) for kind, model in RESOURCE_SPECS.items()})
    return found


def _settings_schema(kind: str, model) -> dict[str, Any]:
    schema = model.model_json_schema(by_alias=True)
    return {"$schema": DIALECT, "title": f"strata {kind}", **schema}


def _resource_schema(kind: str, model) -> dict[str, Any]:
    spec = _partial(model.model_json_schema(by_alias=True))
    defs = spec.pop("$defs", {})
    envelope = ResourceDoc.model_json_schema(by_alias=True)
    props = envelope["properties"]
    props["kind"] = {"const": kind}
    props["spec"] = spec
    props["overrides"] = {"type": "object", "additionalProperties": spec,
                          "description": "Partial specs per environment group or environment name."}
    return {"$schema": DIALECT, "title": f"strata {kind}", "type": "object", "properties": props,
            "required": ["kind", "name"], "additionalProperties": False, "$defs": defs}


def _partial(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {k: _partial(v) for k, v in schema.items() if k != "required"}
    if isinstance(schema, list):
        return [_partial(v) for v in schema]
    return schema
