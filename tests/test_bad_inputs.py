"""Bad input: one line per problem with file:line:col, exit 1, no traceback, out/ untouched."""
from __future__ import annotations

import os
import re

import pytest

from repo_fixture import run, write_repo

JOB = "projects/demo/train.yaml"


def job(spec: str, head: str = "") -> str:
    return f"kind: Job\nname: train\n{head}spec:\n" + "".join(f"  {line}\n" for line in spec.strip().splitlines())


CASES = {
    "malformed-yaml": ({JOB: "kind: Job\nname: train\nspec: {image: [x\n"},
                       JOB + ":3:15: malformed YAML: this '[' is never closed, or a ',' is missing between its items"),
    "duplicate-key": ({JOB: job("image: a\nimage: b")}, JOB + ":5:3: duplicate key 'image'"),
    "unknown-field": ({JOB: job("image: a\nimagee: b")}, JOB + ":5:3: demo/Job/train in dev, staging: spec.imagee: unknown field 'imagee'; did you mean 'image'?"),
    "wrong-type": ({JOB: job("image: a\nretry: {backoffLimit: three}")}, JOB + ":5:25: demo/Job/train in dev, staging: spec.retry.backoffLimit: expected an integer, got 'three'"),
    "yaml11-boolean": ({JOB: job("image: a\nscheduling: {gang: on}")}, JOB + ":5:22: demo/Job/train in dev, staging: spec.scheduling.gang: 'on' is not a boolean in YAML 1.2"),
    "leading-zero": ({JOB: job("image: a\nretry: {backoffLimit: 010}")}, JOB + ":5:25: 010: an integer with a leading zero is ambiguous"),
    "alias-bomb": ({JOB: "a: &a [x,x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(6))},
        JOB + ":1:24: document expands to more than"),
    "not-utf8": ({JOB: b"kind: Job\nname: train\nspec: {image: \xff}\n"}, JOB + ":3:15: not valid UTF-8"),
    "unknown-app-type": ({JOB: job("image: a", "appType: trian\n")}, JOB + ":3:10: unknown app type 'trian'"),
    "app-type-other-kind": ({"layers/svc.yaml": "kind: AppType\nname: svc\nfor: Service\nspec: {}\n",
                             JOB: job("image: a", "appType: svc\n")}, JOB + ":3:10: app type svc is for Service, not Job"),
    "app-type-cycle": ({"layers/a.yaml": "kind: AppType\nname: a\nfor: Job\nextends: b\n",
                        "layers/b.yaml": "kind: AppType\nname: b\nfor: Job\nextends: a\n"},
                       "layers/a.yaml:4:10: app types extend each other in a cycle: a -> b -> a"),
    "unknown-environment": ({"projects/demo/project.yaml": "kind: Project\nname: demo\nowner: o\nenvironments: [prod]\n"},
                            "projects/demo/project.yaml:4:16: unknown environment or group 'prod'"),
    "unknown-group": ({"environments/qa.yaml": "kind: Environment\nname: qa\ngroup: nope\n"},
                      "environments/qa.yaml:3:8: environment qa names group 'nope'"),
    "unknown-dataset": ({JOB: job("image: a\ndatasets: [{name: imagenet, mountPath: /data}]")},
                        JOB + ":5:21: demo/Job/train in dev, staging: dataset 'imagenet' is not defined in project demo here"),
    "unknown-gpu-type": ({JOB: job("image: a\nresources: {gpu: 1, gpuType: h100}")},
                         JOB + ":5:32: demo/Job/train in dev, staging: gpuType 'h100' is not in this environment's gpuPools (t4)"),
    "bad-name": ({JOB: "kind: Job\nname: Train_1\nspec: {image: a}\n"}, JOB + ":2:7: `name` must be a DNS-1123 label"),
    "duplicate-identity": ({"projects/demo/train2.yaml": "kind: Job\nname: train\nspec: {image: a}\n"},
                           "projects/demo/train2.yaml:2:7: duplicate resource 'demo/Job/train': also defined at projects/demo/train.yaml:1:1"),
    "unknown-reference": ({JOB: job("image: ${env.vars.nope}/x:1")}, JOB + ":4:10: unknown reference ${env.vars.nope}"),
    "lock-violation": ({"environments/groups/test.yaml": "kind: EnvironmentGroup\nname: test\nlocked: [Job.retry.backoffLimit]\n",
                        JOB: job("image: a\nretry: {backoffLimit: 9}")},
                       JOB + ":5:25: retry.backoffLimit is locked by environments/groups/test.yaml:3:10"),
    "type-clash": ({"projects/demo/project.yaml": "kind: Project\nname: demo\nowner: o\nenvironments: [test]\n"
                    "defaults: {Job: {scheduling: {queue: q}}}\n",
                    JOB: job("image: a\nscheduling: gold")}, JOB + ":5:15: a scalar cannot replace a mapping set at projects/demo/project.yaml:5:30"),
    "unknown-tag": ({JOB: job("image: !secret a")}, JOB + ":4:10: unsupported tag !secret"),
    "kind-in-wrong-folder": ({"layers/job.yaml": "kind: Job\nname: x\nspec: {}\n"},
                             "layers/job.yaml:1:7: kind 'Job' does not belong here; files in this folder hold AppType"),
    "not-a-mapping": ({JOB: "- kind: Job\n"}, JOB + ":1:1: a spec document must be a mapping"),
    "jsonnet-import-outside": ({"projects/demo/gen.jsonnet": "local x = import '/etc/passwd'; {kind: 'Job', name: 'g', spec: {image: x}}"},
                               "projects/demo/gen.jsonnet:1:11: jsonnet:"),
    "jsonnet-syntax": ({"projects/demo/gen.jsonnet": "{kind: 'Job',,}"}, "projects/demo/gen.jsonnet:1:14: jsonnet:"),
    "unknown-override-key": ({JOB: job("image: a", "overrides:\n  prod: {image: b}\n")},
                             JOB + ":4:3: overrides.prod: no environment or group is named 'prod'"),
    "bad-duration": ({JOB: job("image: a\nactiveDeadline: 10x")}, JOB + ":5:19: demo/Job/train in dev, staging: spec.activeDeadline: '10x' is not a duration"),
    "role-for-framework": ({JOB: job("image: a\nframework: pytorch\nreplicas: {chief: 1}")},
                           JOB + ":6:14: demo/Job/train in dev, staging: spec.replicas.chief: not a role of framework pytorch "
                           "(allowed: master, worker)"),
    "malformed-strata-yaml": ({"strata.yaml": "output: [\n"}, "strata.yaml:2:1: malformed YAML"),
    "charts-outside-repo": ({"strata.yaml": "charts: [../elsewhere]\n"},
                            "strata.yaml:1:9: chart folders must be inside the repository: ../elsewhere"),
    "missing-required": ({JOB: job("command: [a]")}, JOB + ":3:1: demo/Job/train in dev, staging: spec: required field `image` is missing (no layer sets it)"),
    # issue 9: each of these was an internal error or silently accepted
    "recursive-anchor": ({JOB: job("image: a\ncommand: &c [x, *c]")}, JOB + ":5:12: an alias refers to a mapping or list that contains it"),
    "self-aliasing-spec": ({JOB: "kind: Job\nname: train\nspec: &s {image: a, again: *s}\n"},
                           JOB + ":3:7: an alias refers to a mapping or list that contains it"),
    "deep-nesting": ({JOB: job("image: a\nargs:\n" + "".join("  " * i + "- \n" for i in range(1, 990)))},
                     JOB + ":105:203: nested more than 100 levels deep"),
    "integer-over-4300-digits": ({JOB: job("image: a\nretry: {backoffLimit: " + "9" * 5000 + "}")},
                                 JOB + ":5:25: an integer of 5000 characters is out of range"),
    "unknown-tag-on-list": ({JOB: job("image: a\ncommand: !whatever [a]")}, JOB + ":5:12: unsupported tag !whatever on a list"),
    "python-tag-on-list": ({JOB: job("image: a\ncommand: !!python/object/apply:os.system [echo hi]")},
                           JOB + ":5:12: unsupported tag !!python/object/apply:os.system on a list"),
    "integer-over-int32": ({JOB: job("image: a\nretry: {backoffLimit: 1" + "0" * 400 + "}")},
                           JOB + ":5:25: demo/Job/train in dev, staging: spec.retry.backoffLimit: 10000000000000000000… (401 digits) "
                                 "is out of range: Kubernetes stores this field as an int32 (-2147483648 to 2147483647)"),
    "duration-over-int32": ({JOB: job("image: a\nttlAfterFinished: 600000h")},
                            JOB + ":5:21: demo/Job/train in dev, staging: spec.ttlAfterFinished: 2160000000 is out of range: "
                                  "Kubernetes stores this field as an int32"),
    "python-tag-on-key": ({JOB: job("image: a\n!!python/name:os.system : x")}, JOB + ":5:3: mapping keys must be plain strings"),
}

GROUP = "environments/groups/test.yaml"
PROJECT = "projects/demo/project.yaml"
SERVICE = "projects/demo/serve.yaml"
PROD = {"environments/groups/prod.yaml": "kind: EnvironmentGroup\nname: prod\n",
        "environments/prod.yaml": "kind: Environment\nname: prod\ngroup: prod\n"}


def group_file(extra: str) -> str:
    return "kind: EnvironmentGroup\nname: test\nvars: {registry: r}\ngpuPools: {t4: {}}\n" + extra


def project_file(extra: str) -> str:
    return "kind: Project\nname: demo\nowner: o\nenvironments: [test]\n" + extra


def service(spec: str) -> str:
    return ("kind: Service\nname: serve\nspec:\n  image: a:1\n  model: {name: m, version: 1}\n"
            + "".join(f"  {line}\n" for line in spec.strip().splitlines()))


# Mistakes that used to pass silently (issue 14, finding 1).
CASES.update({
    "lock-path-typo": ({GROUP: group_file("locked: [Job.ttlAfterFinish]\n")},
                       GROUP + ":5:10: locked path 'Job.ttlAfterFinish': Job has no field 'ttlAfterFinish'; "
                               "did you mean 'ttlAfterFinished'?"),
    "lock-kind-typo": ({GROUP: group_file("locked: [Jobs.retry.backoffLimit]\n")},
                       GROUP + ":5:10: locked path 'Jobs.retry.backoffLimit': no kind is named 'Jobs'; "
                               "did you mean 'Job'?"),
    "cron-minute-range": ({JOB: job("image: a\nschedule: {cron: '61 * * * *'}")},
                          JOB + ":5:20: demo/Job/train in dev, staging: cron '61 * * * *': minute 61 is out of "
                                "range 0-59"),
    "cron-hour-range": ({JOB: job("image: a\nschedule: {cron: '0 25 * * *'}")},
                        JOB + ":5:20: demo/Job/train in dev, staging: cron '0 25 * * *': hour 25 is out of range 0-23"),
    "cron-day-and-month": ({JOB: job("image: a\nschedule: {cron: '0 3 32 13 *'}")},
                           "cron '0 3 32 13 *': day of month 32 is out of range 1-31"),
    "cron-zero-step": ({JOB: job("image: a\nschedule: {cron: '*/0 * * * *'}")},
                       "cron '*/0 * * * *': minute step '*/0' must be a positive number"),
    "cron-unknown-descriptor": ({JOB: job("image: a\nschedule: {cron: '@hourlyy'}")},
                                "cron '@hourlyy': unknown descriptor '@hourlyy'; did you mean '@hourly'?"),
    "quota-unknown-gpu-type": ({PROJECT: project_file("quota: {default: {gpu: {a1000: 8}}}\n")},
                               PROJECT + ":5:25: project demo in dev, staging: quota: gpu type 'a1000' has no "
                                         "gpuPool in this environment (its pools: t4)"),
    "override-for-undeployed-env": ({**PROD, JOB: job("image: a", "overrides:\n  prod: {image: b}\n")},
                                    JOB + ":4:3: overrides.prod: this resource is not deployed to prod (it goes to "
                                          "dev, staging), so these overrides never apply"),
    "promotion-from-unknown": ({"environments/staging.yaml": "kind: Environment\nname: staging\ngroup: test\n"
                                                             "promotion: {from: dve}\n"},
                               "environments/staging.yaml:4:19: promotion.from: environment staging names 'dve', which is "
                               "not an environment; did you mean 'dev'?"),
    "defaults-unknown-kind": ({PROJECT: project_file("defaults: {Jobs: {retry: {backoffLimit: 1}}}\n")},
                              PROJECT + ":5:12: defaults.Jobs: no resource kind is named 'Jobs'; did you mean 'Job'?"),
    "app-types-unknown": ({GROUP: group_file("appTypes: {trainig: {retry: {backoffLimit: 1}}}\n")},
                          GROUP + ":5:12: appTypes.trainig: no app type is named 'trainig'"),
})

# Messages that now say what is wrong and how to fix it (findings 2, 4 and 5).
CASES.update({
    "kind-typo": ({JOB: "kind: Jobs\nname: train\nspec: {image: a}\n"},
                  JOB + ":1:7: unknown kind 'Jobs'; did you mean 'Job'?"),
    "kind-lower-case": ({JOB: "kind: job\nname: train\nspec: {image: a}\n"},
                        JOB + ":1:7: unknown kind 'job'; did you mean 'Job'? (kinds are case-sensitive)"),
    "missing-name": ({JOB: "kind: Job\nspec: {image: a}\n"}, JOB + ":1:1: document has no `name`"),
    "quoted-number": ({JOB: job("image: a\nresources: {gpu: '4', gpuType: t4}")},
                      JOB + ":5:20: demo/Job/train in dev, staging: spec.resources.gpu: expected an integer, got '4' "
                            "(a string); write 4 without quotes"),
    "union-noise": ({SERVICE: service("replicas: {min: 2, max: ten}")},
                    SERVICE + ":6:27: demo/Service/serve in dev, staging: spec.replicas.max: expected an integer, "
                              "got 'ten'"),
    "yaml-indentation": ({JOB: "kind: Job\nname: train\nspec:\n  image: a\n command: [b]\n"},
                         JOB + ":5:2: malformed YAML: this line is indented by 1 space, which matches no mapping "
                               "above it (keys above are indented by 0 or 2 spaces)"),
    "yaml-missing-colon": ({JOB: "kind: Job\nname: train\nspec:\n  image a\n  command: [b]\n"},
                           JOB + ":4:3: malformed YAML: the key on this line has no ':' after it"),
    "yaml-tab": ({JOB: "kind: Job\nname: train\nspec:\n\timage: a\n"},
                 JOB + ":4:1: malformed YAML: a tab character; YAML is indented with spaces only"),
    "yaml-star": ({JOB: job("image: a\nschedule: {cron: * * * * *}")},
                  JOB + ":5:21: malformed YAML: a value starting with '*' is read as an alias; quote it"),
    "reference-typo": ({JOB: job("image: ${env.vars.registy}/x:1")},
                       JOB + ":4:10: unknown reference ${env.vars.registy}; did you mean ${env.vars.registry}?"),
    "unknown-model": ({SERVICE: service(""), "projects/demo/model.yaml":
                       "kind: Model\nname: mm\nspec: {versions: [{version: 1, uri: 's3://b/m'}]}\n"},
                      SERVICE + ":5:17: demo/Service/serve in dev, staging: unknown model 'm': no Model named so in "
                                "project demo; did you mean 'mm'?"),
    "unknown-preset": ({GROUP: group_file("presets: [evaluate-model]\n"), "projects/demo/flow.yaml":
                        "kind: Pipeline\nname: flow\nspec:\n  steps: [{name: s, template: evaluate-modl}]\n"},
                       "projects/demo/flow.yaml:4:31: demo/Pipeline/flow in dev, staging: step 's': preset "
                       "'evaluate-modl' is not allowed here (this environment's `presets:` allow: evaluate-model); "
                       "did you mean 'evaluate-model'?"),
    "quota-overflow-at-entry": ({PROJECT: project_file("quota:\n  default: {cpu: '1'}\n"),
                                 JOB: job("image: a\nresources: {cpu: 4}")},
                                PROJECT + ":6:18: project demo in dev, staging: over quota: cpu requested 4 > quota 1"),
    "literal-typo": ({JOB: job("image: a\nframework: pytorh")},
                     JOB + ":5:14: demo/Job/train in dev, staging: spec.framework: 'pytorh' is not allowed; input "
                           "should be 'pytorch', 'tensorflow', 'xgboost', 'mpi' or 'none'; did you mean 'pytorch'?"),
})

# Rejected for a type reason: the editor schema (`strata schema`) must reject these files too.
TYPE_CASES = ("unknown-field", "wrong-type", "yaml11-boolean", "bad-duration", "bad-name", "quoted-number",
              "union-noise", "literal-typo", "kind-typo", "missing-name")


@pytest.fixture
def compiled_repo(tmp_path):
    repo = write_repo(tmp_path / "repo")
    first = run(repo, "compile")
    assert first.exit_code == 0, first.output
    return repo, _snapshot(repo / "out")


def _snapshot(out):
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_is_reported_cleanly_and_out_is_untouched(name, compiled_repo):
    repo, before = compiled_repo
    files, expected = CASES[name]
    write_repo(repo, files, base=False)
    result = run(repo, "compile")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert expected in result.output, result.output
    assert re.search(r"^\S+:\d+:\d+: ", result.output, re.M)
    assert _snapshot(repo / "out") == before


def test_symlink_leaving_the_repo_is_refused(compiled_repo, tmp_path):
    repo, before = compiled_repo
    outside = tmp_path / "outside.yaml"
    outside.write_text("kind: Job\nname: leak\nspec: {image: a}\n")
    os.symlink(outside, repo / "projects/demo/leak.yaml")
    result = run(repo, "compile")
    assert result.exit_code == 1
    assert "projects/demo/leak.yaml:1:1: file resolves outside the repository" in result.output
    assert _snapshot(repo / "out") == before


def test_all_problems_of_a_run_are_reported_together(compiled_repo):
    repo, _ = compiled_repo
    write_repo(repo, {JOB: job("image: a\nimagee: b\nretry: {backoffLimit: x}"),
                      "projects/demo/other.yaml": "kind: Job\nname: other\nspec: {image: '${project.nope}'}\n"}, base=False)
    result = run(repo, "compile")
    assert result.exit_code == 1
    assert "imagee" in result.output and "backoffLimit" in result.output and "${project.nope}" in result.output
    assert "strata: " in result.output and "problems; nothing was written" in result.output


def _blocks(output: str) -> list[str]:
    """The problems printed: each starts at column 0 with `file:LINE:COL:` (continuation lines are indented)."""
    return [line for line in output.splitlines() if re.match(r"^\S+:\d+:\d+: ", line)]


def test_one_typo_in_a_resource_deployed_to_four_environments_is_one_error_block(tmp_path):
    envs = {f"environments/{name}.yaml": f"kind: Environment\nname: {name}\ngroup: test\n" for name in ("qa", "perf")}
    repo = write_repo(tmp_path / "repo", {**envs, JOB: job("imagee: a\ncommand: [python]")})
    result = run(repo, "compile")
    assert result.exit_code == 1
    assert _blocks(result.output) == [
        JOB + ":4:3: demo/Job/train in dev, perf, qa, staging: spec.imagee: unknown field 'imagee'; "
              "did you mean 'image'?"]
    assert "required field" not in result.output          # the follow-on "image is missing" is the same typo
    assert result.output.count("layers") == 1
    assert "strata: 1 problem;" in result.output


def test_an_environment_whose_file_has_errors_still_exists_for_references(tmp_path):
    """One unknown field in a group file: no "unknown environment" in the correct files that name it."""
    repo = write_repo(tmp_path / "repo", {
        "environments/groups/test.yaml": "kind: EnvironmentGroup\nname: test\nschedular: volcano\n",
        JOB: "kind: Job\nname: train\ndeployTo: [dev]\nspec: {image: a}\n"})
    result = run(repo, "compile")
    assert result.exit_code == 1
    assert _blocks(result.output) == [
        "environments/groups/test.yaml:3:1: schedular: unknown field 'schedular'; did you mean 'scheduler'?"]


def test_an_empty_spec_file_is_a_warning_naming_it(tmp_path):
    repo = write_repo(tmp_path / "repo", {"projects/demo/empty.yaml": "# nothing here yet\n"})
    result = run(repo, "compile")
    assert result.exit_code == 0, result.output
    assert "projects/demo/empty.yaml:1:1: warning: the file holds no document" in result.output


def test_nothing_was_written_is_said_only_by_a_command_that_writes(tmp_path):
    repo = write_repo(tmp_path / "repo", {JOB: job("imagee: a")})
    compiled, validated = run(repo, "compile"), run(repo, "validate")
    assert compiled.exit_code == validated.exit_code == 1
    assert "nothing was written" in compiled.output and "is unchanged" in compiled.output
    assert "nothing was written" not in validated.output
    assert validated.output.splitlines()[-1] == "strata: 1 problem"


def test_a_union_field_reports_only_the_member_the_value_was_meant_for(tmp_path):
    repo = write_repo(tmp_path / "repo", {SERVICE: service("replicas: {min: 2, max: ten}")})
    result = run(repo, "validate")
    assert "Input should be" not in result.output
    assert [b for b in _blocks(result.output) if "replicas" in b] == [
        SERVICE + ":6:27: demo/Service/serve in dev, staging: spec.replicas.max: expected an integer, got 'ten'"]
