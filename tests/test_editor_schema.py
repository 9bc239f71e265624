"""The editor schema (`strata schema`) agrees with the compiler (issue 14, finding 8).

- every YAML spec file of the example repo, and of every repo the test suite compiled without
  errors, validates against the combined schema;
- every bad input the compiler rejects for a type reason is rejected by the schema too;
- it is valid draft 7 and uses JSON Schema keywords only (no pydantic `ge`).
"""
from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from compiler.load.yaml_files import LeadingZero, load_yaml
from compiler.provenance import plain
from compiler.schema_export import all_schemas, combined
from conftest import ROOT, RUN_LAST
from repo_fixture import BASE, COMPILED, SPEC_GLOBS, run, write_repo
from test_bad_inputs import CASES, TYPE_CASES

KEYWORDS = {
    "$schema", "$ref", "title", "description", "default", "examples", "type", "enum", "const", "properties",
    "additionalProperties", "required", "items", "minItems", "maxItems", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "pattern", "anyOf", "oneOf", "allOf",
    "if", "then", "else", "definitions", "uniqueItems", "propertyNames",
}


@pytest.fixture(scope="module")
def validator():
    schema = combined()
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def as_json(data: Any) -> Any:
    """What yaml-language-server sees (YAML 1.2): our loader's values, `010` as the integer it reads."""
    if isinstance(data, dict):
        return {k: as_json(v) for k, v in data.items()}
    if isinstance(data, list):
        return [as_json(v) for v in data]
    return int(data.text) if isinstance(data, LeadingZero) else data


def violations(validator, files: dict[str, str]) -> list[str]:
    found = []
    for rel, text in sorted(files.items()):
        if rel.endswith((".yaml", ".yml")) and rel.split("/")[0] in ("layers", "environments", "projects"):
            for doc in load_yaml(textwrap.dedent(text), rel):
                found += [f"{rel}: /{'/'.join(map(str, e.absolute_path))}: {e.message}"
                          for e in validator.iter_errors(as_json(plain(doc)))]
    return found


def spec_files(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text() for pattern in SPEC_GLOBS for p in root.glob(pattern)}


def test_the_schema_is_draft_7_with_json_schema_keywords_only():
    for name, schema in all_schemas().items():
        jsonschema.Draft7Validator.check_schema(schema)
        unknown = {key for key in _keywords(schema) if key not in KEYWORDS and not key.startswith("x-")}
        assert not unknown, f"{name}: not JSON Schema keywords: {sorted(unknown)}"


def _keywords(schema: Any) -> set[str]:
    """The keywords used anywhere in a schema (property and definition names are not keywords)."""
    if isinstance(schema, list):
        return set().union(*map(_keywords, schema)) if schema else set()
    if not isinstance(schema, dict):
        return set()
    found = set(schema)
    for key, value in schema.items():
        if key in ("properties", "definitions"):
            found |= set().union(*map(_keywords, value.values())) if value else set()
        elif key not in ("default", "examples", "enum", "const"):
            found |= _keywords(value)
    return found


def test_every_example_file_validates(validator):
    files = spec_files(ROOT)
    assert len(files) > 30
    assert violations(validator, files) == []


def test_durations_quantities_free_text_and_deletions_are_what_the_compiler_accepts(validator, tmp_path):
    job = """
        kind: Job
        name: train
        spec:
          image: a:1
          activeDeadline: 2h
          ttlAfterFinished: 3600
          resources: {cpu: 4, memory: 16Gi}
          env: [{name: N, value: 2}, {name: F, value: 1.10}, {name: B, value: true}]
          retry: null
        overrides:
          dev: {scheduling: null}
        """
    model = "kind: Model\nname: m\nspec: {versions: [{version: 3, uri: 's3://b/m'}], aliases: {prod: 3}}\n"
    files = {"projects/demo/train.yaml": job, "projects/demo/model.yaml": model}
    repo = write_repo(tmp_path / "repo", files)
    assert run(repo, "compile").exit_code == 0
    assert violations(validator, spec_files(repo)) == []


@pytest.mark.parametrize("name", TYPE_CASES)
def test_a_bad_input_rejected_for_a_type_reason_is_rejected_by_the_schema(validator, name):
    files, _expected = CASES[name]
    assert violations(validator, {**BASE, **files}), f"the schema accepts {name}, which the compiler rejects"


def test_strata_schema_prints_the_combined_schema_and_writes_one_file_per_kind(tmp_path):
    printed = run(write_repo(tmp_path / "repo"), "schema")
    assert printed.exit_code == 0
    assert json.loads(printed.output)["title"] == "strata spec file"
    assert run(tmp_path, "schema", "--out", str(tmp_path / "schemas")).exit_code == 0
    job = json.loads((tmp_path / "schemas/job.schema.json").read_text())
    assert job["properties"]["kind"] == {"const": "Job"}
    assert job["definitions"]["partial.JobSpec"]["additionalProperties"] is False
    assert "required" not in job["definitions"]["partial.JobSpec"]


def test_every_repo_the_suite_compiled_validates_against_the_editor_schema(validator):
    """Runs last (conftest): COMPILED holds the spec files of every repo another test compiled."""
    assert RUN_LAST == test_every_repo_the_suite_compiled_validates_against_the_editor_schema.__name__
    found = [f"repo {i}: {v}" for i, files in enumerate(COMPILED) for v in violations(validator, files)]
    assert found == []
    print(f"{len(COMPILED)} compiled repos, {sum(map(len, COMPILED))} spec files checked")
