"""`strata explain` (issue 14, finding 6): written vs resolved values, locks, unknown paths,
case-insensitive kinds, projects, environments and quotas, list items by merge key."""
from __future__ import annotations

from repo_fixture import run, write_repo

LOCKED_GROUP = """
    kind: EnvironmentGroup
    name: test
    vars: {registry: reg.test.local}
    gpuPools: {t4: {}}
    defaults:
      Job:
        retry: {backoffLimit: 2}
    locked: [Job.retry.backoffLimit]
    """

PROJECT = """
    kind: Project
    name: demo
    owner: team-demo
    environments: [test]
    quota:
      default: {cpu: "8", gpu: {t4: 2}}
      overrides:
        staging: {cpu: "4"}
    """

TRAIN = """
    kind: Job
    name: train
    spec:
      image: ${env.vars.registry}/demo/train:1.0
      env: [{name: NCCL_DEBUG, value: INFO}]
    """


def explain(tmp_path, *args: str):
    repo = write_repo(tmp_path, {"environments/groups/test.yaml": LOCKED_GROUP, "projects/demo/project.yaml": PROJECT,
                                 "projects/demo/train.yaml": TRAIN})
    return run(repo, "explain", *args)


def test_a_value_shows_what_was_written_and_where_its_references_are_set(tmp_path):
    result = explain(tmp_path, "demo/Job/train", "--env", "staging", "--path", "image")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[2:] == [
        "image = reg.test.local/demo/train:1.0",
        "  written  ${env.vars.registry}/demo/train:1.0",
        "           ${env.vars.registry} is set at environments/groups/test.yaml:3:18 (group test)",
        "  set by   projects/demo/train.yaml:4:10 (resource)"]


def test_a_locked_value_says_which_lock_pins_it(tmp_path):
    result = explain(tmp_path, "demo/Job/train", "--env", "dev", "--path", "retry.backoffLimit")
    assert result.exit_code == 0, result.output
    assert ("  locked   by environments/groups/test.yaml:8:10 (Job.retry.backoffLimit, group test): "
            "a higher layer may not change it") in result.output


def test_a_path_that_names_no_field_is_an_error_with_a_suggestion(tmp_path):
    result = explain(tmp_path, "demo/Job/train", "--env", "dev", "--path", "retyr.backoffLimit")
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "strata: --path retyr.backoffLimit: spec has no field 'retyr'; did you mean 'retry'?", "strata: 1 problem"]


def test_an_unknown_list_item_is_an_error(tmp_path):
    result = explain(tmp_path, "demo/Job/train", "--env", "dev", "--path", "env[NCCL_DEBG].value")
    assert result.exit_code == 1
    assert "env has no item [NCCL_DEBG]; did you mean 'NCCL_DEBUG'?" in result.output


def test_a_schema_field_no_layer_sets_shows_its_default(tmp_path):
    result = explain(tmp_path, "demo/Job/train", "--env", "dev", "--path", "scheduling.gang")
    assert result.exit_code == 0, result.output
    assert "scheduling.gang = false  (schema default: no layer sets it)" in result.output


def test_kinds_are_matched_in_any_case_and_unknown_resources_get_a_suggestion(tmp_path):
    assert explain(tmp_path, "demo/job/train", "--env", "dev", "--path", "image").exit_code == 0
    result = explain(tmp_path, "demo/Job/trian", "--env", "dev")
    assert result.exit_code == 1
    assert "demo/Job/trian: no such resource deployed to environment dev; did you mean 'demo/Job/train'?" in result.output


def test_list_items_are_labelled_by_their_merge_key(tmp_path):
    result = explain(tmp_path, "demo/Job/train", "--env", "dev")
    assert "env[NCCL_DEBUG].value = INFO" in result.output
    assert "env[0]" not in result.output


def test_a_project_and_its_quota_in_one_environment(tmp_path):
    result = explain(tmp_path, "demo", "--env", "staging", "--path", "quota")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "project demo in staging (namespace demo)",
        "layers, lowest first: project demo < quota.default < quota.overrides.test < quota.overrides.staging",
        'quota.cpu = "4"',
        "  set by   projects/demo/project.yaml:8:20 (project demo)",
        "  overrode projects/demo/project.yaml:6:18 (project demo)",
        "quota.gpu.t4 = 2",
        "  set by   projects/demo/project.yaml:6:33 (project demo)"]
    assert explain(tmp_path, "projects/demo/project.yaml", "--env", "dev").exit_code == 0


def test_an_environment_is_its_group_merged_with_its_own_settings(tmp_path):
    result = explain(tmp_path, "dev", "--path", "vars.registry")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "environment dev", "layers, lowest first: group test < environment dev",
        "vars.registry = reg.dev.local",
        "  set by   environments/dev.yaml:6:18 (environment dev)",
        "  overrode environments/groups/test.yaml:3:18 (group test)"]
    assert explain(tmp_path, "environments/staging.yaml", "--path", "vars.registry").exit_code == 0


def test_a_resource_needs_env(tmp_path):
    result = explain(tmp_path, "demo/Job/train")
    assert result.exit_code == 1 and "--env is required" in result.output
