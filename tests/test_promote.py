"""`strata promote` on copies of the example config repo, through the real CLI.

Each test copies the example repo into a temp folder, edits staging the way a team would
(by text, so the starting bytes are known), promotes, and checks the files byte by byte,
the exit codes, and what prod-sh then compiles to.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from compiler.merge.targets_of import Selection
from compiler.pipeline import load_stage, render_stage
from compiler.promote import ResourceFilter, promote
from conftest import ROOT
from repo_fixture import run

EXAMPLE = ("strata.yaml", "layers", "environments", "projects")   # Services use the chart inside strata
SEARCH = "projects/cv-shoe-identify/serving/shoe-search.yaml"
RANKING = "projects/search-rec/serving/ranking-online.yaml"
FORECASTS = "projects/metric-forecast/jobs/headline-forecasts.jsonnet"
PROD_GROUP = "environments/groups/prod.yaml"

STAGING_IMAGE = """\
  staging:
    image: ${env.vars.registry}/cv/triton-shoe:2.4.0   # the build staging signed off
"""


@pytest.fixture
def repo(tmp_path) -> Path:
    copy = tmp_path / "config"
    copy.mkdir()
    for name in EXAMPLE:
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, copy / name)
    return copy


def insert_after(repo: Path, rel: str, anchor: str, text: str) -> None:
    path = repo / rel
    content = path.read_text()
    assert content.count(anchor) == 1, anchor
    path.write_text(content.replace(anchor, anchor + text))


def snapshot(repo: Path) -> dict[str, str]:
    return {p.relative_to(repo).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(repo.rglob("*")) if p.is_file()}


def new_staging_image(repo: Path) -> None:
    """Staging runs image 2.4.0 (model version 4 it already has; prod serves 3)."""
    insert_after(repo, SEARCH, "    replicas: {min: 1, max: 2}\n", STAGING_IMAGE)


def objects(repo: Path, env: str, resource: str) -> list[dict]:
    build = render_stage(load_stage(repo, Selection((env,))))
    return [e.obj for e in build.emitted if e.resource == resource]


def test_promotes_image_and_model_changing_only_the_new_lines(repo):
    new_staging_image(repo)
    before, files_before = (repo / SEARCH).read_text(), snapshot(repo)

    result = run(repo, "promote", "--to", "prod-sh", "--name", "shoe-search")

    assert result.exit_code == 0, result.output
    after = (repo / SEARCH).read_text()
    added = ("  prod-sh:\n"
             "    image: ${env.vars.registry}/cv/triton-shoe:2.4.0\n"
             "    model: {version: 4}\n")
    assert after == before + added                 # every other byte, comments included, is the same
    assert "# the build staging signed off" in after and after.startswith("# Service `shoe-search`")
    changed = {rel for rel, digest in snapshot(repo).items() if files_before.get(rel) != digest}
    assert changed == {SEARCH}
    assert "~ image: \"${env.vars.registry}/cv/triton-shoe:2.3.1\" → \"${env.vars.registry}/cv/triton-shoe:2.4.0\"" \
        in result.output
    assert "~ model.version: 3 → 4  (now: projects/cv-shoe-identify/serving/shoe-search.yaml:26:22, overrides.prod)" \
        in result.output
    assert "Plan of the promotion: prod-sh's objects now → with staging's values" in result.output
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in result.output


def test_prod_sh_then_compiles_to_staging_tag_and_model_with_its_own_registry(repo):
    new_staging_image(repo)
    assert run(repo, "promote", "--to", "prod-sh", "--name", "shoe-search").exit_code == 0

    service = next(o for o in objects(repo, "prod-sh", "service.shoe-search") if o["kind"] == "InferenceService")
    model = service["spec"]["predictor"]["model"]
    assert model["image"] == "registry.sh.example.com/cv/triton-shoe:2.4.0"
    assert model["storageUri"] == "s3://ml-models-prod/cv/shoe-embedder/4/"   # oss:// through the S3 API
    # prod-bj was not promoted: it still runs the old tag and version
    bj = next(o for o in objects(repo, "prod-bj", "service.shoe-search") if o["kind"] == "InferenceService")
    assert bj["spec"]["predictor"]["model"]["image"] == "registry.bj.example.com/cv/triton-shoe:2.3.1"
    assert bj["spec"]["predictor"]["model"]["storageUri"].endswith("/3/")


def test_references_are_copied_before_interpolation(repo):
    new_staging_image(repo)
    result = promote(repo, "prod-sh", only=ResourceFilter(names=("shoe-search",)))
    (found,) = result.resources
    assert found.patch == {"image": "${env.vars.registry}/cv/triton-shoe:2.4.0", "model": {"version": 4}}
    assert "registry.staging.example.com" not in result.files[SEARCH][1]


def test_a_literal_source_registry_is_warned_about(repo):
    insert_after(repo, SEARCH, "    replicas: {min: 1, max: 2}\n",
                 "  staging:\n    image: registry.staging.example.com/cv/triton-shoe:2.4.0\n")
    (found,) = promote(repo, "prod-sh", only=ResourceFilter(names=("shoe-search",))).resources
    assert any("names staging's env.vars.registry (registry.staging.example.com) literally" in n for n in found.notes)


def test_alias_is_pinned_where_the_target_requires_pinned_models(repo):
    """staging's canary follows the `candidate` alias; prod-bj requires versions: it gets 42."""
    before = (repo / RANKING).read_text()
    result = run(repo, "promote", "--to", "prod-bj", "--name", "ranking-online")
    assert result.exit_code == 0, result.output
    assert (repo / RANKING).read_text() == before + ("  prod-bj:\n"
                                                     "    canary:\n"
                                                     "      model: {name: ctr-ranker, version: 42}\n"
                                                     "      weight: 10\n")
    assert "canary.model: alias candidate of model ctr-ranker pinned to version 42 (as staging resolves it)" \
        in result.output
    assert "+ apps/v1 Deployment search-rec/ranking-online-canary" in result.output


def test_alias_is_kept_where_the_target_allows_aliases(repo):
    """dev follows `candidate`; staging does not require pinned models, so it follows the alias too."""
    result = promote(repo, "staging", only=ResourceFilter(names=("shoe-search",)))
    (found,) = result.resources
    assert found.patch == {"model": {"alias": "candidate", "version": None}}
    assert result.files[SEARCH][1].endswith("  staging:\n    model: {alias: candidate, version: null}\n")


def test_a_lock_in_the_target_stops_the_promotion_at_the_lock(repo):
    """The platform team pins and locks the chart version in production; staging tries a newer chart."""
    insert_after(repo, PROD_GROUP, "    retry: {backoffLimit: 3}\n", '  Service:\n    chart: {version: "0.1.0"}\n')
    insert_after(repo, PROD_GROUP, "  - Job.ttlAfterFinished\n", "  - Service.chart.version\n")
    insert_after(repo, RANKING, "  staging:\n", '    chart: {version: "0.2.0"}\n')
    files_before = snapshot(repo)

    result = run(repo, "promote", "--to", "prod-bj", "--name", "ranking-online")

    assert result.exit_code == 1
    line = next(i for i, text in enumerate((repo / PROD_GROUP).read_text().splitlines(), 1)
                if "- Service.chart.version" in text)
    assert result.output.startswith(
        f"{PROD_GROUP}:{line}:5: search-rec/Service/ranking-online: promoting chart.version, canary to prod-bj "
        "would change chart.version ('0.1.0' → '0.2.0'), which Service.chart.version locks here\n")
    assert "nothing was written" in result.output
    assert snapshot(repo) == files_before


def test_no_op_when_already_promoted(repo):
    new_staging_image(repo)
    assert run(repo, "promote", "--to", "prod-sh").exit_code == 0
    files_before = snapshot(repo)

    again = run(repo, "promote", "--to", "prod-sh")

    assert again.exit_code == 0, again.output
    assert "prod-sh is up to date with staging (9 resources checked)." in again.output
    assert "Nothing written." in again.output
    assert snapshot(repo) == files_before


def test_check_exit_codes_and_it_never_writes(repo):
    new_staging_image(repo)
    files_before = snapshot(repo)
    pending = run(repo, "promote", "--to", "prod-sh", "--check")
    assert pending.exit_code == 2, pending.output
    assert "1 resource to promote; 8 up to date." in pending.output
    assert snapshot(repo) == files_before

    assert run(repo, "promote", "--to", "prod-sh").exit_code == 0
    current = run(repo, "promote", "--to", "prod-sh", "--check")
    assert current.exit_code == 0, current.output


def test_jsonnet_resources_are_reported_with_the_file_to_change(repo):
    insert_after(repo, FORECASTS, "  appType: 'batch-forecast',  // single pod, hourly schedule, Asia/Shanghai\n",
                 "  overrides: { staging: { image: '${env.vars.registry}/forecast/prophet-runner:2.2.0' } },\n")
    files_before = snapshot(repo)

    check = run(repo, "promote", "--to", "prod-sh", "--project", "metric-forecast", "--check")
    assert check.exit_code == 2, check.output
    done = run(repo, "promote", "--to", "prod-sh", "--project", "metric-forecast")

    assert done.exit_code == 0, done.output
    assert snapshot(repo) == files_before          # a Jsonnet file is a program: never rewritten
    assert f"{FORECASTS}  (Jsonnet: change it by hand)" in done.output
    for name in ("forecast-dau", "forecast-gmv", "forecast-orders", "forecast-refund-rate"):
        assert f"metric-forecast/Job/{name} → overrides.prod-sh" in done.output
    assert ('add to this resource\'s document: overrides: {"prod-sh": {"image": '
            '"${env.vars.registry}/forecast/prophet-runner:2.2.0"}}') in done.output
    assert "4 resources to promote, 4 of them by hand; 1 up to date." in done.output


def test_writes_nothing_when_the_promoted_target_would_not_compile(repo):
    """Two files to edit; one of them makes prod-sh fail (a variable only staging has): neither is written."""
    new_staging_image(repo)
    insert_after(repo, "environments/staging.yaml", "  nas_server: nas-staging.hz.example.com\n",
                 "  mirror: mirror.staging.example.com\n")
    insert_after(repo, "projects/cv-shoe-identify/training/train-resnet.yaml", "overrides:\n",
                 "  staging:\n    image: ${env.vars.mirror}/cv/train:1.5.0\n")
    files_before = snapshot(repo)

    result = run(repo, "promote", "--to", "prod-sh")

    assert result.exit_code == 1
    assert result.output.startswith("strata: after the promotion, prod-sh would not compile:\n")
    assert "unknown reference ${env.vars.mirror}" in result.output
    assert snapshot(repo) == files_before


def test_never_touches_files_outside_the_selection(repo):
    new_staging_image(repo)
    insert_after(repo, "projects/cv-shoe-identify/training/train-resnet.yaml", "overrides:\n",
                 "  staging:\n    image: ${env.vars.registry}/cv/train:1.5.0\n")
    files_before = snapshot(repo)

    assert run(repo, "promote", "--to", "prod-sh", "--kind", "Job").exit_code == 0

    changed = {rel for rel, digest in snapshot(repo).items() if files_before.get(rel) != digest}
    assert changed == {"projects/cv-shoe-identify/training/train-resnet.yaml"}


def test_unknown_promotion_source_is_an_error_at_its_line(repo):
    path = repo / "environments/prod-sh.yaml"
    path.write_text(path.read_text().replace("promotion: {from: staging}", "promotion: {from: stagin}"))
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "stagin}" in text)

    result = run(repo, "promote", "--to", "prod-sh")

    assert result.exit_code == 1
    assert f"environments/prod-sh.yaml:{line}:19: promotion.from: environment prod-sh names 'stagin', which is " \
           "not an environment" in result.output


def test_from_option_and_its_errors(repo):
    assert run(repo, "promote", "--to", "nope").output.startswith("strata: --to nope: no such environment")
    assert run(repo, "promote", "--to", "prod-sh", "--from", "nope").output.startswith(
        "strata: --from nope: no such environment")
    assert "cannot be promoted from itself" in run(repo, "promote", "--to", "prod-sh", "--from", "prod-sh").output
    result = run(repo, "promote", "--to", "staging", "--from", "prod-sh", "--name", "shoe-search", "--check")
    assert result.exit_code == 2 and "strata promote: prod-sh → staging" in result.output
    assert "has no `promotion: {from: <env>}`" in run(repo, "promote", "--to", "dev").output
    assert "no resource with promotable fields in prod-sh matches --name nothing" in \
        run(repo, "promote", "--to", "prod-sh", "--name", "nothing").output


def test_markdown_is_a_pull_request_body(repo):
    new_staging_image(repo)
    body = run(repo, "promote", "--to", "prod-sh", "--check", "--format", "markdown").output
    assert body.startswith("<!-- strata-promote -->\n### strata promote: `staging` → `prod-sh`\n")
    assert ("| `projects/cv-shoe-identify/serving/shoe-search.yaml` | `cv-shoe-identify/Service/shoe-search` | "
            "`model.version` | `3` | `4` |") in body
    assert "+    model: {version: 4}" in body
    assert "#### Plan of the promotion: prod-sh's objects now → with staging's values" in body
    assert "<!-- strata-plan -->" not in body


def test_json_is_versioned_and_complete(repo):
    new_staging_image(repo)
    document = json.loads(run(repo, "promote", "--to", "prod-sh", "--check", "--format", "json").output)
    assert document["format_version"] == "1.0" and document["pending"] is True
    (found,) = document["resources"]
    assert found["override"] == {"image": "${env.vars.registry}/cv/triton-shoe:2.4.0", "model": {"version": 4}}
    assert found["changes"][1] == {"path": "model.version", "old": 3, "new": 4,
                                   "where": "projects/cv-shoe-identify/serving/shoe-search.yaml:26:22",
                                   "layer": "overrides.prod"}
    assert document["files"][0]["path"] == SEARCH
    assert document["plan"]["summary"] == {"add": 0, "change": 1, "destroy": 0, "changes": True}


def test_a_pipeline_step_image_is_promoted_by_step_name(repo):
    rel = "projects/metric-forecast/pipelines/hourly-forecast.yaml"
    insert_after(repo, rel, "overrides:\n", "  staging:\n    steps:\n"
                 "      - {name: forecast, container: {image: '${env.vars.registry}/forecast/prophet-runner:2.2.0'}}\n")
    before = (repo / rel).read_text()

    result = run(repo, "promote", "--to", "prod-sh", "--name", "hourly-forecast")

    assert result.exit_code == 0, result.output
    assert (repo / rel).read_text() == before + (
        "  prod-sh:\n"
        "    steps:\n"
        "      - name: forecast\n"
        "        container: {image: '${env.vars.registry}/forecast/prophet-runner:2.2.0'}\n")
    assert "~ steps[forecast].container.image:" in result.output
    template = next(o for o in objects(repo, "prod-sh", "pipeline.hourly-forecast") if o["kind"] == "WorkflowTemplate")
    images = [t["container"]["image"] for t in template["spec"]["templates"] if "container" in t]
    assert images == ["registry.sh.example.com/forecast/prophet-runner:2.2.0",
                      "registry.sh.example.com/forecast/publisher:2.1.0"]


def test_promotable_fields_are_declared_on_the_schema():
    from compiler.merge.field_rules import ITEMS, promotable_fields, rule_for_model
    from compiler.kinds import kinds

    declared = {k.name: list(promotable_fields(rule_for_model(k.spec))) for k in kinds()}
    assert declared == {
        "Dataset": [], "Model": [], "Job": [("image",)], "Notebook": [("image",)],
        "Service": [("chart", "version"), ("image",), ("model",), ("canary",)],
        "Pipeline": [("steps", ITEMS, "container", "image"), ("onExit", "image")],   # onExit: a ContainerStep too
    }


def test_the_promotion_bot_workflow_calls_the_documented_commands():
    import yaml

    workflow = yaml.safe_load((ROOT / "examples/ci/promote-github-actions.yaml").read_text())
    assert set(workflow[True]) == {"schedule", "workflow_dispatch"}   # YAML 1.1 reads `on` as True
    steps = workflow["jobs"]["promote"]["steps"]
    runs = "\n".join(step.get("run", "") for step in steps)
    assert 'strata promote --to "${{ matrix.env }}" --check --format markdown > promotion.md' in runs
    assert "2) echo \"pending=true\"" in runs
    assert 'strata promote --to "${{ matrix.env }}" --format markdown > promotion.md' in runs
    pull_request = next(step for step in steps if "create-pull-request" in step.get("uses", ""))
    assert pull_request["with"]["body-path"] == "promotion.md" and pull_request["with"]["add-paths"] == "projects/**"


def test_a_group_promotion_source_naming_its_own_member_is_no_source_for_it(repo):
    group = repo / "environments/groups/test.yaml"
    group.write_text(group.read_text() + "promotion: {from: dev}\n")
    staging = repo / "environments/staging.yaml"
    staging.write_text(staging.read_text().replace("promotion: {from: dev}\n", ""))

    assert run(repo, "compile").exit_code == 0
    assert "strata promote: dev → staging" in run(repo, "promote", "--to", "staging", "--check").output
    assert "environment dev has no `promotion: {from: <env>}`" in run(repo, "promote", "--to", "dev").output
    own = repo / "environments/dev.yaml"
    own.write_text(own.read_text() + "promotion: {from: dev}\n")
    assert "environment dev cannot be promoted from itself" in run(repo, "compile").output


def test_a_written_file_keeps_its_permission_bits_and_no_temporary_file_is_left(repo):
    new_staging_image(repo)
    (repo / SEARCH).chmod(0o640)
    assert run(repo, "promote", "--to", "prod-sh").exit_code == 0
    assert (repo / SEARCH).stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in (repo / SEARCH).parent.iterdir()) == ["shoe-search.yaml"]
