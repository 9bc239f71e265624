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
    "malformed-yaml": ({JOB: "kind: Job\nname: train\nspec: {image: [x\n"}, JOB + ":4:1: malformed YAML"),
    "duplicate-key": ({JOB: job("image: a\nimage: b")}, JOB + ":5:3: duplicate key 'image'"),
    "unknown-field": ({JOB: job("image: a\nimagee: b")}, JOB + ":5:3: demo/Job/train in dev: spec.imagee: unknown field 'imagee'; did you mean 'image'?"),
    "wrong-type": ({JOB: job("image: a\nretry: {backoffLimit: three}")}, JOB + ":5:25: demo/Job/train in dev: spec.retry.backoffLimit: Input should be a valid integer"),
    "yaml11-boolean": ({JOB: job("image: a\nscheduling: {gang: on}")}, JOB + ":5:22: demo/Job/train in dev: spec.scheduling.gang: 'on' is not a boolean in YAML 1.2"),
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
                        JOB + ":5:21: demo/Job/train in dev: dataset 'imagenet' is not defined"),
    "unknown-gpu-type": ({JOB: job("image: a\nresources: {gpu: 1, gpuType: h100}")},
                         JOB + ":5:32: demo/Job/train in dev: gpuType 'h100' is not in environment dev's gpuPools (t4)"),
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
    "bad-duration": ({JOB: job("image: a\nactiveDeadline: 10x")}, JOB + ":5:19: demo/Job/train in dev: spec.activeDeadline: '10x' is not a duration"),
    "role-for-framework": ({JOB: job("image: a\nframework: pytorch\nreplicas: {chief: 1}")},
                           JOB + ":4:3: demo/Job/train in dev: spec: replicas role(s) chief not valid for framework pytorch"),
    "malformed-strata-yaml": ({"strata.yaml": "output: [\n"}, "strata.yaml:2:1: malformed YAML"),
    "charts-outside-repo": ({"strata.yaml": "charts: [../elsewhere]\n"},
                            "strata.yaml:1:9: chart folders must be inside the repository: ../elsewhere"),
    "missing-required": ({JOB: job("command: [a]")}, JOB + ":4:3: demo/Job/train in dev: spec: required field `image` is missing"),
}


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
                      "projects/demo/other.yaml": "kind: Job\nname: other\nspec: {image: '${nope}'}\n"}, base=False)
    result = run(repo, "compile")
    assert result.exit_code == 1
    assert "imagee" in result.output and "backoffLimit" in result.output and "${nope}" in result.output
    assert "strata: " in result.output and "problems; nothing was written" in result.output
