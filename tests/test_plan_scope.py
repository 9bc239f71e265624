"""The rule that decides which targets the base side renders."""
from __future__ import annotations

from types import SimpleNamespace

from compiler.plan.scope import BaseScope, is_input


def target(env: str, project: str, name: str, *files: str, kind: str = "Job") -> SimpleNamespace:
    own = f"projects/{project}/{name}.yaml"
    return SimpleNamespace(kind=kind, name=name, env=SimpleNamespace(name=env),
                           project=SimpleNamespace(name=project, file=f"projects/{project}/project.yaml"),
                           files=(own, f"environments/{env}.yaml", f"projects/{project}/project.yaml", *files))


HEAD = [target("dev", "a", "train", "layers/training.yaml"), target("prod", "a", "train", "layers/training.yaml"),
        target("dev", "b", "serve", kind="Service"), target("prod", "b", "serve", kind="Service")]


def rendered(changed: list[str], base=HEAD) -> set:
    scope = BaseScope.build(changed, HEAD)
    for t in base:
        scope(t)
    assert not scope.rendered & scope.reused
    return {(env, project) for env, project, _ in scope.rendered}


def test_nothing_changed_renders_nothing():
    assert rendered([]) == set()


def test_resource_file_renders_its_targets_in_every_env():
    assert rendered(["projects/a/train.yaml"]) == {("dev", "a"), ("prod", "a")}


def test_env_file_renders_that_env_only():
    assert rendered(["environments/prod.yaml"]) == {("prod", "a"), ("prod", "b")}


def test_layer_renders_the_targets_that_use_it():
    assert rendered(["layers/training.yaml"]) == {("dev", "a"), ("prod", "a")}


def test_a_file_in_a_project_folder_renders_that_project():
    # e.g. a Model the project's Services resolve; not in any target's files
    assert rendered(["projects/b/models/detector.yaml"]) == {("dev", "b"), ("prod", "b")}


def test_unclaimed_input_renders_everything():
    assert rendered(["charts/model-service/templates/deployment.yaml"]) == {
        ("dev", "a"), ("prod", "a"), ("dev", "b"), ("prod", "b")}
    assert len(rendered(["strata.yaml"])) == 4


def test_docs_ci_and_output_do_not_count():
    assert rendered(["README.md", ".github/workflows/plan.yaml", "out/dev/a/project.yaml", "docs/x.txt"]) == set()
    assert not is_input(".gitignore") and is_input("layers/x.jsonnet")


def test_a_target_the_head_lacks_is_rendered():
    gone = target("dev", "c", "old")
    assert rendered(["projects/c/old.yaml"], base=HEAD + [gone]) == {("dev", "c")}
    assert rendered([], base=HEAD + [gone]) == {("dev", "c")}


def test_base_side_files_count_too():
    # the base target used a layer the head no longer lists
    old = target("dev", "b", "serve", "layers/old.yaml")
    scope = BaseScope.build(["layers/old.yaml"], HEAD)
    assert scope(old) is True
    assert scope(HEAD[0]) is True   # layers/old.yaml is claimed by no head target: everything


def test_predicate_records_reused_targets():
    scope = BaseScope.build(["projects/a/train.yaml"], HEAD)
    assert [scope(t) for t in HEAD] == [True, True, False, False]
    assert scope.reused == {("dev", "b", "service.serve"), ("prod", "b", "service.serve")}


def test_a_changed_job_renders_what_references_it_in_that_env():
    pipeline = [target("dev", "a", "retrain", kind="Pipeline"), target("prod", "a", "retrain", kind="Pipeline")]
    scope = BaseScope.build(["environments/dev.yaml"], HEAD + pipeline)
    assert [scope(t) for t in pipeline] == [True, False]
    scope = BaseScope.build(["layers/training.yaml"], HEAD + pipeline)   # the Job's layer, not the Pipeline's
    assert [scope(t) for t in pipeline] == [True, True]
    assert [scope(t) for t in HEAD[2:]] == [False, False]                  # another project


def test_a_changed_service_does_not_widen_to_its_project():
    others = [target("dev", "b", "lab", kind="Notebook"), target("dev", "b", "data", kind="Dataset")]
    scope = BaseScope.build(["projects/b/serve.yaml"], HEAD + others)
    assert [scope(t) for t in others] == [False, False]
    scope = BaseScope.build(["projects/b/data.yaml"], HEAD + others)      # a Dataset: its mounts change
    assert [scope(t) for t in others] == [True, True] and scope(HEAD[2]) is True and scope(HEAD[3]) is False


def test_a_changed_job_does_not_render_services():
    extra = [target("dev", "a", "retrain", kind="Pipeline"), target("dev", "a", "api", kind="Service")]
    scope = BaseScope.build(["projects/a/train.yaml"], HEAD + extra)
    assert [scope(t) for t in extra] == [True, False]


def test_touched_projects():
    from compiler.plan.scope import touched_projects
    assert touched_projects(["projects/a/x.yaml", "projects/b/sub/y.yaml", "README.md"]) == {"a", "b"}
    assert touched_projects(["projects/a/x.yaml", "layers/l.yaml"]) is None
    assert touched_projects(["docs/plan.md", ".github/workflows/ci.yaml"]) == frozenset()
