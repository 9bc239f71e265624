"""Issue 16's acceptance: real upstream workloads (tests/upstream_examples.py), each written as a
strata spec, compile, validate against the upstream CRDs, and hold every setting that matters."""
from __future__ import annotations

import pytest
from repo_fixture import write_repo
from upstream_coverage import coverage
from upstream_examples import EXAMPLES

from compiler.check.objects import validate_objects
from compiler.errors import Problems
from compiler.pipeline import compile_repo

BASE = {
    "environments/groups/test.yaml": """
        kind: EnvironmentGroup
        name: test
        vars: {registry: reg.test.local}
        gpuPools:
          a100:
            resourceName: nvidia.com/gpu
            tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]
          a10g:
            resourceName: nvidia.com/gpu
            nodeSelector: {node.kubernetes.io/instance-type: g5.8xlarge}
        """,
    "environments/dev.yaml": """
        kind: Environment
        name: dev
        group: test
        cluster: {name: dev-cluster}
        """,
    "environments/kueue.yaml": """
        kind: Environment
        name: kueue
        group: test
        cluster: {name: kueue-cluster}
        scheduler: kueue
        """,
    "projects/demo/project.yaml": """
        kind: Project
        name: demo
        owner: team-demo
        environments: [test]
        """,
}


def pointer_get(obj, pointer: str):
    node = obj
    for step in pointer.split("/")[1:]:
        step = step.replace("~1", "/").replace("~0", "~")
        node = node[int(step)] if isinstance(node, list) else node[step]
    return node


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"{e.id}" for e in EXAMPLES])
def test_upstream_example(tmp_path, example, crd_schemas, kubernetes_schemas):
    repo = write_repo(tmp_path, {**BASE, **example.files, **example.extra}, base=False)
    build = compile_repo(repo, envs=(example.env,))
    problems = Problems()
    validate_objects([(e.target or e.project, e.obj) for e in build.emitted], crd_schemas, problems,
                     kubernetes_schemas)
    assert not problems.items, "\n".join(p.render() for p in problems.items)
    found = {f"{e.obj['kind']}/{e.obj['metadata']['name']}": e.obj for e in build.emitted}
    for name, pointer, value, feature in example.expect:
        assert name in found, f"{example.id}: no {name} among {sorted(found)}"
        try:
            actual = pointer_get(found[name], pointer)
        except (KeyError, IndexError, TypeError):
            pytest.fail(f"{example.id} ({feature or 'before'}): {name} has nothing at {pointer}")
        assert actual == value, f"{example.id} ({feature or 'before'}): {name} {pointer}"


def test_the_selection_and_the_measured_coverage():
    """At least 30 examples; the figure README reports (python tests/upstream_coverage.py)."""
    found = coverage()
    assert found.examples >= 30
    assert len({e.id for e in EXAMPLES}) == len(EXAMPLES)
    assert all(e.source for e in EXAMPLES)
    assert found.now / found.settings >= 0.9 and found.before / found.settings <= 0.6
