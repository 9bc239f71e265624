"""Every kind validates its spec: a good example and a typical mistake, located by file:line."""
from __future__ import annotations

import pytest

from repo_fixture import compile_targets, write_repo

DATASET = "kind: Dataset\nname: imgs\nspec:\n  sources: [{name: main, uri: 'oss://b/imgs/'}]\n  cache: {engine: alluxio}\n"
MODEL = "kind: Model\nname: m\nspec:\n  format: onnx\n  versions: [{version: 1, uri: 's3://m/1/'}]\n  aliases: {prod: 1}\n"

GOOD = {
    "Dataset": DATASET,
    "Model": MODEL,
    "Notebook": "kind: Notebook\nname: lab\nspec: {image: 'jupyter:1', workspace: {size: 5Gi}, idleTimeout: 2h}\n",
    "Service": MODEL + "---\nkind: Service\nname: svc\nspec:\n  image: 'srv:1'\n  model: {name: m, alias: prod}\n"
                       "  replicas: {min: 1, max: 3}\n  autoscaling: {metric: cpu, target: 60}\n",
    "Pipeline": "kind: Pipeline\nname: p\nspec:\n  steps:\n  - {name: a, container: {image: 'x:1'}}\n"
                "  - {name: b, after: [a], job: train}\n",
    "Job": "kind: Job\nname: dist\nspec:\n  image: 'x:1'\n  framework: tensorflow\n  replicas: {chief: 1, ps: 2, worker: 4}\n"
           "  schedule: {cron: '0 * * * *', timezone: UTC}\n",
}

BAD = {
    "Dataset": ("kind: Dataset\nname: imgs\nspec:\n  sources: [{name: main, uri: 'ftp://x/'}]\n",
                "4:31: demo/Dataset/imgs in dev: spec.sources[0].uri: uri 'ftp://x/' must start with one of"),
    "Model": ("kind: Model\nname: m\nspec:\n  versions: [{version: 1}]\n",
              "4:14: demo/Model/m in dev: spec.versions[0]: required field `uri` is missing"),
    "Notebook": ("kind: Notebook\nname: lab\nspec: {image: 'j:1', workspace: {size: big}}\n",
                 "3:40: demo/Notebook/lab in dev: spec.workspace.size: Value error, 'big' is not a Kubernetes quantity"),
    "Service": ("kind: Service\nname: svc\nspec: {image: 'srv:1', model: {name: m, version: 1, alias: x}}\n",
                "3:31: demo/Service/svc in dev: spec.model: a model reference needs exactly one of version or alias"),
    "Pipeline": ("kind: Pipeline\nname: p\nspec:\n  steps:\n  - {name: a, template: t, job: train}\n",
                 "5:5: demo/Pipeline/p in dev: spec.steps[0]: step 'a' needs exactly one of container, template or job (has template, job)"),
    "Job": ("kind: Job\nname: j\nspec: {image: 'x:1', framework: jax}\n",
            "3:33: demo/Job/j in dev: spec.framework: 'jax' is not allowed"),
}


@pytest.mark.parametrize("kind", sorted(GOOD))
def test_good_spec_of_every_kind_validates(kind, tmp_path):
    build, problems = compile_targets(write_repo(tmp_path, {f"projects/demo/{kind.lower()}.yaml": GOOD[kind]}))
    assert not problems, [p.render() for p in problems.items]
    assert any(t.kind == kind for t in build.targets)


@pytest.mark.parametrize("kind", sorted(BAD))
def test_bad_spec_of_every_kind_is_located(kind, tmp_path):
    text, expected = BAD[kind]
    rel = f"projects/demo/{kind.lower()}.yaml"
    build, problems = compile_targets(write_repo(tmp_path, {rel: text}))
    rendered = [p.render().splitlines()[0] for p in problems.items]
    assert any(line.startswith(f"{rel}:{expected.split(': ', 1)[0]}") and expected.split(": ", 1)[1].replace(
        "Value error, ", "") in line for line in rendered), rendered


@pytest.mark.parametrize("doc, expected", [
    ("environments/dev.yaml", "kind: Environment\nname: dev\ngroup: test\nscheduler: slurm\n"),
    ("projects/demo/project.yaml", "kind: Project\nname: demo\nowner: o\nenvironments: []\n"),
    ("environments/groups/test.yaml", "kind: EnvironmentGroup\nname: test\npolicy: {requirePinnedImages: yes}\n"),
    ("layers/x.yaml", "kind: AppType\nname: x\nfor: Thing\n"),
])
def test_settings_kinds_validate(doc, expected, tmp_path):
    build, problems = compile_targets(write_repo(tmp_path, {doc: expected}))
    assert problems and all(p.origin and p.origin.file == doc for p in problems.items if p.origin), \
        [p.render() for p in problems.items]
