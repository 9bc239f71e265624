"""Plan's "because" (issue 14, finding 7): the changed input's own file:line, from two compiled repos."""
from __future__ import annotations

from compiler.plan import causes
from repo_fixture import compile_targets, write_repo

TRAIN = "projects/demo/train.yaml"


def notes(tmp_path, base: dict, head: dict, changed: tuple[str, ...]):
    old, _ = compile_targets(write_repo(tmp_path / "base", base))
    new, _ = compile_targets(write_repo(tmp_path / "head", head))
    return causes.notes(set(old.graph.nodes) | set(new.graph.nodes), old.graph, new.graph, frozenset(changed))


def test_a_value_that_falls_back_to_its_schema_default_cites_the_line_that_set_it(tmp_path):
    found = notes(tmp_path, {TRAIN: "kind: Job\nname: train\nspec:\n  image: a\n  retry: {backoffLimit: 7}\n"},
                  {TRAIN: "kind: Job\nname: train\nspec:\n  image: a\n"}, (TRAIN,))
    [cause] = found[("dev", "demo", "job.train")].causes
    assert (cause.path, cause.old, cause.new, cause.where) == ("retry.backoffLimit", 7, 3, f"was set at {TRAIN}:5:25")


def test_a_project_variable_is_cited_where_it_is_set(tmp_path):
    project = "kind: Project\nname: demo\nowner: o\nenvironments: [test]\nvars: {tag: 'TAG'}\n"
    job = "kind: Job\nname: train\nspec: {image: 'x:${project.vars.tag}'}\n"
    found = notes(tmp_path, {"projects/demo/project.yaml": project.replace("TAG", "1"), TRAIN: job},
                  {"projects/demo/project.yaml": project.replace("TAG", "2"), TRAIN: job}, ("projects/demo/project.yaml",))
    [cause] = found[("staging", "demo", "job.train")].causes
    assert (cause.path, cause.where, cause.via) == ("image", "projects/demo/project.yaml:5:13", "${project.vars.tag}")


def test_a_service_names_the_model_version_it_serves(tmp_path):
    model = "kind: Model\nname: m\nspec: {versions: [{version: 1, uri: 's3://b/URI'}]}\n"
    service = "kind: Service\nname: web\nspec: {image: 'a:1', model: {name: m, version: 1}}\n"
    found = notes(tmp_path, {"projects/demo/m.yaml": model.replace("URI", "one"), "projects/demo/web.yaml": service},
                  {"projects/demo/m.yaml": model.replace("URI", "two"), "projects/demo/web.yaml": service},
                  ("projects/demo/m.yaml",))
    [cause] = found[("dev", "demo", "service.web")].causes
    assert cause.because() == "it serves Model m, whose versions[1].uri changed"
    assert (cause.old, cause.new, cause.where) == ("s3://b/one", "s3://b/two", "projects/demo/m.yaml:3:37")
