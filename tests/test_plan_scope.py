"""The rule that decides which targets a plan renders (on both sides alike)."""
from __future__ import annotations

from types import SimpleNamespace

from compiler.graph.build import Graph, Node
from compiler.graph.references import Reference
from compiler.plan.scope import Scope, is_input, touched_projects
from compiler.targets import target_key


def target(env: str, project: str, name: str, *files: str, kind: str = "Job",
           refs: tuple[tuple[str, str], ...] = ()) -> SimpleNamespace:
    """A stand-in target; `refs` are the (kind, name) it references in its project and environment."""
    own = f"projects/{project}/{name}.yaml"
    return SimpleNamespace(kind=kind, name=name, env=SimpleNamespace(name=env), refs=refs,
                           project=SimpleNamespace(name=project, file=f"projects/{project}/project.yaml"),
                           files=(own, f"environments/{env}.yaml", f"projects/{project}/project.yaml", *files))


def graph(targets) -> Graph:
    """The stand-ins' graph: each reference resolved in its project and environment, when there."""
    keys = {target_key(t) for t in targets}
    nodes = []
    for t in targets:
        named = [(k, n, (t.env.name, t.project.name, f"{k.lower()}.{n}")) for k, n in t.refs]
        nodes.append(Node(t, t.files, tuple(Reference(k, n, key if key in keys else None) for k, n, key in named)))
    return Graph.of(nodes)


HEAD = [target("dev", "a", "train", "layers/training.yaml"), target("prod", "a", "train", "layers/training.yaml"),
        target("dev", "b", "serve", kind="Service"), target("prod", "b", "serve", kind="Service")]


def build(changed: list[str], head=HEAD, base=HEAD) -> Scope:
    return Scope.build(changed, graph(head), graph(base))


def rendered(changed: list[str], head=HEAD, base=HEAD) -> set:
    scope = build(changed, head, base)
    return {(env, project) for env, project, _ in scope.keys}


def test_nothing_changed_renders_nothing():
    assert rendered([]) == set()


def test_resource_file_renders_its_targets_in_every_env():
    assert rendered(["projects/a/train.yaml"]) == {("dev", "a"), ("prod", "a")}


def test_env_file_renders_that_env_only():
    assert rendered(["environments/prod.yaml"]) == {("prod", "a"), ("prod", "b")}


def test_layer_renders_the_targets_that_use_it():
    assert rendered(["layers/training.yaml"]) == {("dev", "a"), ("prod", "a")}


def test_an_unlisted_file_in_a_project_folder_renders_that_project():
    assert rendered(["projects/b/lib/common.libsonnet"]) == {("dev", "b"), ("prod", "b")}


def test_unlisted_input_outside_projects_renders_everything():
    assert rendered(["strata.yaml"]) == {("dev", "a"), ("prod", "a"), ("dev", "b"), ("prod", "b")}
    assert len(rendered(["lib/shared.libsonnet"])) == 4


def test_docs_ci_and_output_do_not_count():
    assert rendered(["README.md", ".github/workflows/plan.yaml", "out/dev/a/project.yaml", "docs/x.txt"]) == set()
    assert not is_input(".gitignore") and is_input("layers/x.jsonnet")


def test_one_sided_targets_are_rendered():
    gone = target("dev", "c", "old")
    assert rendered([], base=HEAD + [gone]) == {("dev", "c")}
    assert rendered([], head=HEAD + [gone]) == {("dev", "c")}


def test_base_side_files_count_too():
    # the base target used a layer the head no longer lists
    old = HEAD[:2] + [target("dev", "b", "serve", "layers/old.yaml", kind="Service")] + HEAD[3:]
    scope = build(["layers/old.yaml"], HEAD, old)
    assert scope.keys == {("dev", "b", "service.serve")}
    assert scope(HEAD[2]) is True and scope(HEAD[3]) is False


def test_a_changed_job_renders_what_references_it_in_that_env():
    pipeline = [target("dev", "a", "retrain", kind="Pipeline", refs=(("Job", "train"),)),
                target("prod", "a", "retrain", kind="Pipeline", refs=(("Job", "train"),)),
                target("dev", "a", "api", kind="Service")]
    both = HEAD + pipeline
    assert [build(["environments/dev.yaml"], both, both)(t) for t in pipeline] == [True, False, True]
    # the Job's layer, not the Pipeline's: the Pipeline embeds the Job; a Service does not
    assert [build(["layers/training.yaml"], both, both)(t) for t in pipeline] == [True, True, False]


def test_a_changed_service_does_not_widen_to_its_project():
    mounting = [target("dev", "b", "serve", kind="Service", refs=(("Dataset", "data"),)), HEAD[3]]
    others = [target("dev", "b", "lab", kind="Notebook", refs=(("Dataset", "data"),)),
              target("dev", "b", "data", kind="Dataset")]
    both = HEAD[:2] + mounting + others
    scope = build(["projects/b/serve.yaml"], both, both)
    assert [scope(t) for t in others] == [False, False]
    scope = build(["projects/b/data.yaml"], both, both)   # a Dataset: its mounts change
    assert [scope(t) for t in others] == [True, True] and scope(HEAD[2]) is True and scope(HEAD[3]) is False


def test_touched_projects():
    assert touched_projects(["projects/a/x.yaml", "projects/b/sub/y.yaml", "README.md", "out/manifest.json"]) == {"a", "b"}
    assert touched_projects(["projects/a/x.yaml", "layers/l.yaml"]) is None
    assert touched_projects([".github/workflows/ci.yaml", ".strata/cache.json"]) == frozenset()
    # a chart may read its README.md, a Jsonnet spec may importstr a text file: any project may change
    assert touched_projects(["charts/model-service/README.md"]) is None
