"""`strata diff --env A --env B` on the example repo: effective specs side by side, with provenance."""
from __future__ import annotations

import json

from conftest import ROOT
from repo_fixture import run

SEARCH = "projects/cv-shoe-identify/serving/shoe-search.yaml"
RESNET = "projects/cv-shoe-identify/training/train-resnet.yaml"


def diff(*args: str):
    return run(ROOT, "diff", "--env", "staging", "--env", "prod-sh", *args)


def block(output: str, title: str) -> list[str]:
    """The lines of one resource's section."""
    lines = output.splitlines()
    start = lines.index(title)
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].startswith(" ")), len(lines))
    return lines[start:end]


def test_a_service_side_by_side_with_provenance_and_promotable_fields_marked():
    result = diff("--name", "shoe-search")
    assert result.exit_code == 0, result.output
    assert block(result.output, "cv-shoe-identify/Service/shoe-search") == [
        "cv-shoe-identify/Service/shoe-search",
        "  image  [promotable]",
        '      staging  "registry.staging.example.com/cv/triton-shoe:2.3.1" from "${env.vars.registry}/cv/triton-shoe:2.3.1"'
        f"  {SEARCH}:9:10 (resource)",
        '      prod-sh  "registry.sh.example.com/cv/triton-shoe:2.3.1" from "${env.vars.registry}/cv/triton-shoe:2.3.1"'
        f"  {SEARCH}:9:10 (resource)",
        "  model.version  [promote]",
        f'      staging  "4"  {SEARCH}:10:41 (resource)',
        f'      prod-sh  "3"  {SEARCH}:24:22 (overrides.prod)',
        "  replicas.min",
        f"      staging  1  {SEARCH}:17:21 (overrides.test)",
        f"      prod-sh  2  {SEARCH}:11:19 (resource)",
        "  replicas.max",
        f"      staging  2  {SEARCH}:17:29 (overrides.test)",
        f"      prod-sh  8  {SEARCH}:11:27 (resource)",
        "  resources.gpuType",
        '      staging  "a10"   environments/staging.yaml:51:26 (environment staging)',
        '      prod-sh  "a100"  environments/prod-sh.yaml:60:26 (environment prod-sh)',
    ]


def test_a_job_shows_what_differs_by_design():
    result = diff("--name", "train-resnet")
    lines = block(result.output, "cv-shoe-identify/Job/train-resnet")
    assert "  image  [promotable]" in lines          # same source, interpolated per environment
    assert "  resources.gpuType" in lines
    assert '      prod-sh  "h800"  environments/prod-sh.yaml:68:26 (environment prod-sh)' in lines
    assert "  activeDeadline" in lines
    assert "      staging  43200   environments/groups/test.yaml:25:21 (group test)" in lines   # 12h, in seconds
    assert "      prod-sh  (unset)" in lines            # args the test group adds
    assert not any("[promote]" in line for line in lines)


def test_objects_and_json():
    result = diff("--name", "shoe-search", "--objects")
    assert "    ~ serving.kserve.io/v1beta1 InferenceService cv-shoe-identify/shoe-search" in result.output
    assert ('        ~ /spec/predictor/model/storageUri: "s3://ml-models-prod/cv/shoe-embedder/4/" → '
            '"s3://ml-models-prod/cv/shoe-embedder/3/"') in result.output
    document = json.loads(diff("--name", "shoe-search", "--format", "json").output)
    (service,) = document["resources"]
    version = next(f for f in service["fields"] if f["path"] == "model.version")
    assert version == {"path": "model.version", "promotable": True, "promote": True, "sides": {
        "staging": {"where": f"{SEARCH}:10:41", "layer": "resource", "value": "4"},
        "prod-sh": {"where": f"{SEARCH}:24:22", "layer": "overrides.prod", "value": "3"}}}


def test_resources_deployed_to_one_side_only_and_usage_errors():
    result = run(ROOT, "diff", "--env", "dev", "--env", "prod-bj", "--project", "cv-shoe-identify")
    assert "cv-shoe-identify/Notebook/shoe-lab: only in dev" in result.output.splitlines()
    assert "cv-shoe-identify/Job/train-resnet: only in dev" in result.output.splitlines()
    assert "strata diff needs two different environments" in run(ROOT, "diff", "--env", "dev").output
    assert "--env nope: no such environment" in run(ROOT, "diff", "--env", "dev", "--env", "nope").output
