"""The whole precedence of SPEC §2 on small repos: layers, locks, interpolation, targets, explain."""
from __future__ import annotations

from repo_fixture import compile_targets, run, target, write_repo

LAYERED = {
    "layers/base-train.yaml": """
        kind: AppType
        name: base-train
        for: Job
        spec:
          resources: {cpu: 1, memory: 1Gi}
          args: [--from-base]
          retry: {backoffLimit: 1}
        """,
    "layers/train.yaml": """
        kind: AppType
        name: train
        for: Job
        extends: base-train
        spec:
          resources: {cpu: 2}
          args: [--from-apptype]
        """,
    "environments/groups/test.yaml": """
        kind: EnvironmentGroup
        name: test
        vars: {registry: reg.test.local}
        defaults:
          Job: {resources: {memory: 2Gi}, activeDeadline: 1h}
        appTypes:
          train: {resources: {cpu: 3}}
        """,
    "environments/dev.yaml": """
        kind: Environment
        name: dev
        group: test
        cluster: {name: dev-cluster}
        defaults:
          Job: {activeDeadline: 2h}
        appTypes:
          train: {resources: {cpu: 4}}
        """,
    "projects/demo/project.yaml": """
        kind: Project
        name: demo
        owner: team-demo
        environments: [test]
        defaults:
          Job: {ttlAfterFinished: 30m}
        """,
    "projects/demo/train.yaml": """
        kind: Job
        name: train
        appType: train
        spec:
          image: reg/train:1
          ttlAfterFinished: 1h
        overrides:
          test: {resources: {memory: 8Gi}}
          dev:
            resources: {cpu: 16}
        """,
}


def spec_of(tmp_path, files, identity="demo/Job/train", env="dev"):
    build, problems = compile_targets(write_repo(tmp_path, files))
    assert not problems, [p.render() for p in problems.items]
    return target(build, identity, env)


def test_every_layer_in_order(tmp_path):
    t = spec_of(tmp_path, LAYERED)
    assert t.values["resources"]["cpu"] == "16"            # overrides.dev beats everything
    assert t.values["resources"]["memory"] == "8Gi"        # overrides.test beats the group default
    assert t.values["args"] == ["--from-apptype"]          # app type beats its base
    assert t.values["retry"] == {"backoffLimit": 1}        # base app type beats schema default
    assert t.values["activeDeadline"] == 7200              # env defaults beat group defaults
    assert t.values["ttlAfterFinished"] == 3600            # resource spec beats project defaults
    assert t.chain == ("app-type base-train", "app-type train", "group test defaults.Job",
                       "group test appTypes.train", "environment dev defaults.Job",
                       "environment dev appTypes.train", "project demo defaults.Job",
                       "resource projects/demo/train.yaml", "overrides.test", "overrides.dev")


def test_env_without_its_own_override_gets_group_override(tmp_path):
    t = spec_of(tmp_path, LAYERED, env="staging")
    assert t.values["resources"] == {"cpu": "3", "memory": "8Gi", "gpu": 0}
    assert t.values["activeDeadline"] == 3600


def test_schema_defaults_are_the_lowest_layer(tmp_path):
    t = spec_of(tmp_path, {})
    assert t.values["framework"] == "none" and t.values["retry"] == {"backoffLimit": 3}


def test_lock_rejects_a_higher_layer_that_changes_the_value(tmp_path):
    files = dict(LAYERED)
    files["environments/groups/test.yaml"] += "locked: [Job.resources.cpu, '*.retry.backoffLimit']\n"
    build, problems = compile_targets(write_repo(tmp_path, files))
    messages = [p.render() for p in problems.items]
    assert any("resources.cpu is locked by environments/groups/test.yaml:8:10 (group test)" in m
               and m.startswith("environments/dev.yaml:8:28:") for m in messages), messages
    assert not any("backoffLimit" in m for m in messages)


def test_lock_allows_the_same_value_and_unset_locks(tmp_path):
    files = dict(LAYERED)
    files["environments/dev.yaml"] += "locked: [Job.scheduling.queue]\n"
    files["projects/demo/train.yaml"] = files["projects/demo/train.yaml"].replace(
        "ttlAfterFinished: 1h", "ttlAfterFinished: 1h\n          scheduling: {queue: mine}")
    build, problems = compile_targets(write_repo(tmp_path, files))
    assert [p.message for p in problems.items] == [
        "scheduling.queue is locked by environments/dev.yaml:9:10 (environment dev) "
        "(Job.scheduling.queue) to unset; this layer may not change it"]


def test_interpolation_resolves_every_known_reference(tmp_path):
    refs = ("${env.name} ${env.group} ${env.cluster} ${env.namespace} ${env.vars.registry} ${group.vars.registry} "
            "${project.name} ${project.namespace} ${project.vars.team} ${resource.name} ${resource.kind} $${literal}")
    t = spec_of(tmp_path, {"projects/demo/train.yaml": f"""
        kind: Job
        name: train
        spec: {{image: x, args: ["{refs}"]}}
        """})
    assert t.values["args"] == ["dev test dev-cluster demo-dev reg.dev.local reg.test.local demo demo-dev "
                                "vision train Job ${literal}"]


def test_unknown_references_are_all_reported_with_file_line(tmp_path):
    build, problems = compile_targets(write_repo(tmp_path, {"projects/demo/train.yaml": """
        kind: Job
        name: train
        spec:
          image: ${env.vars.nope}
          args: ["${project.bogus}", "${resource.name}"]
        """}))
    lines = sorted({p.render().splitlines()[0] for p in problems.items})
    assert lines[0].startswith("projects/demo/train.yaml:4:10: unknown reference ${env.vars.nope}")
    assert lines[1].startswith("projects/demo/train.yaml:5:10: unknown reference ${project.bogus}")


def test_project_environments_expand_groups_and_deploy_to_narrows(tmp_path):
    files = {"projects/demo/train.yaml": "kind: Job\nname: train\ndeployTo: [staging]\nspec: {image: x}\n"}
    build, problems = compile_targets(write_repo(tmp_path, files))
    assert not problems
    assert [(t.identity, t.env.name) for t in build.targets] == [("demo/Job/train", "staging")]


def test_deploy_to_outside_project_envs_is_an_error(tmp_path):
    files = {"projects/demo/project.yaml": BASE_PROJECT_DEV_ONLY,
             "projects/demo/train.yaml": "kind: Job\nname: train\ndeployTo: [staging]\nspec: {image: x}\n"}
    build, problems = compile_targets(write_repo(tmp_path, files))
    assert "projects/demo/train.yaml:3:12: deployTo: staging is not among the project's environments (dev)" in \
        [p.render() for p in problems.items]


BASE_PROJECT_DEV_ONLY = "kind: Project\nname: demo\nowner: o\nenvironments: [dev]\n"


def test_namespace_suffix_is_appended(tmp_path):
    t = spec_of(tmp_path, {})
    assert t.project.namespace == "demo-dev"


def test_explain_names_the_override_file_line_and_the_layer_it_overrode(tmp_path):
    repo = write_repo(tmp_path, LAYERED)
    result = run(repo, "explain", "demo/Job/train", "--env", "dev", "--path", "resources.cpu")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[2] == "resources.cpu = '16'" or lines[2] == "resources.cpu = 16"
    assert lines[3] == "  set by   projects/demo/train.yaml:10:22 (overrides.dev)"
    assert lines[4] == "  overrode environments/dev.yaml:8:28 (environment dev)"
    assert "layers/base-train.yaml" in result.output


def test_explain_accepts_a_resource_file_and_merge_key_paths(tmp_path):
    repo = write_repo(tmp_path, {"projects/demo/train.yaml": """
        kind: Job
        name: train
        spec:
          image: x
          env: [{name: NCCL_DEBUG, value: INFO}]
        """})
    result = run(repo, "explain", "projects/demo/train.yaml", "--env", "dev", "--path", "env[NCCL_DEBUG].value")
    assert result.exit_code == 0, result.output
    assert "env[NCCL_DEBUG].value = INFO" in result.output
    assert "set by   projects/demo/train.yaml:5:35 (resource)" in result.output
