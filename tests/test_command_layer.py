"""`--set PATH=VALUE` as one more merge layer (compiler/merge/command_layer.py): parsed with the
loader's YAML 1.2 rules, merged on merge keys, located at `--set PATH=VALUE`, checked like a file."""
from __future__ import annotations

import pytest
from repo_fixture import write_repo

from compiler.errors import StrataError
from compiler.explain import explain_lines, target_subject
from compiler.merge.command_layer import command_layer
from compiler.merge.targets_of import Selection
from compiler.pipeline import load_stage

LOCKED_DEV = """
    kind: Environment
    name: dev
    group: test
    cluster: {name: dev-cluster}
    namespaceSuffix: -dev
    vars: {registry: reg.dev.local}
    locked: [Job.retry.backoffLimit]
    """


def build(tmp_path, *settings: str, files: dict | None = None):
    repo = write_repo(tmp_path, {"environments/dev.yaml": LOCKED_DEV, **(files or {})})
    command = command_layer("demo", "Job", "train", "dev", settings)
    found = load_stage(repo, Selection(("dev",), ("demo",)), command=command)
    return found, next(t for t in found.targets if t.identity == "demo/Job/train")


def test_values_are_yaml_1_2_and_merge_on_merge_keys(tmp_path):
    _, target = build(tmp_path, "resources.cpu=3", "env[LR].value=3e-4", "args=[--epochs, '3']", "retry.backoffLimit=")
    assert target.values["resources"]["cpu"] == "3"
    assert target.values["env"] == [{"name": "LR", "value": "3e-4"}]      # env values keep their text
    assert target.values["args"] == ["--epochs", "3"]
    assert target.chain[-1] == "--set"


def test_explain_shows_the_setting_as_the_origin(tmp_path):
    files = {"projects/demo/train.yaml": """
        kind: Job
        name: train
        spec:
          image: reg/train:1.0
          resources: {cpu: "2"}
        """}
    found, target = build(tmp_path, "resources.cpu=4", files=files)
    lines = explain_lines(target_subject(found, target), "resources.cpu")
    assert lines[2:] == ['resources.cpu = 4', "  set by   --set resources.cpu=4",
                         "  overrode projects/demo/train.yaml:5:20 (resource)"]


def test_a_locked_value_is_refused_with_the_locks_file_and_line(tmp_path):
    with pytest.raises(StrataError) as error:
        build(tmp_path, "retry.backoffLimit=5")
    assert str(error.value) == ("--set retry.backoffLimit=5: retry.backoffLimit is locked by environments/dev.yaml:7:10 "
                                "(environment dev) (Job.retry.backoffLimit) to unset; this layer may not change it")


@pytest.mark.parametrize(("setting", "message"), [
    ("resources.gpuz=8", "--set resources.gpuz=8: spec.resources has no field 'gpuz'; did you mean 'gpu'?"),
    ("args[0]=x", "--set args[0]=x: spec.args is a list without a merge key; [0] addresses an item of a list"),
    ("env[LR]=3", "--set env[LR]=3: [LR] is a list item: set one of its fields"),
    ("resources", "strata: --set resources: expected PATH=VALUE"),
    ("resources.cpu=[a", "strata: --set resources.cpu=[a: VALUE is not valid YAML"),
    ("resources.gpu=010", "--set resources.gpu=010: 010: an integer with a leading zero is ambiguous"),
])
def test_bad_settings_are_located_errors(tmp_path, setting, message):
    with pytest.raises(StrataError) as error:
        build(tmp_path, setting)
    assert message in str(error.value)


def test_a_later_setting_wins_over_an_earlier_one(tmp_path):
    _, target = build(tmp_path, "resources.cpu=2", "resources.cpu=6")
    assert target.values["resources"]["cpu"] == "6"


def test_other_targets_and_environments_are_untouched(tmp_path):
    repo = write_repo(tmp_path, {"projects/demo/eval.yaml": """
        kind: Job
        name: eval
        spec: {image: reg/eval:1.0}
        """})
    command = command_layer("demo", "Job", "train", "dev", ["resources.cpu=7"])
    found = load_stage(repo, command=command)
    cpus = {(t.name, t.env.name): t.values["resources"].get("cpu") for t in found.targets}
    assert cpus[("train", "dev")] == "7"
    assert cpus[("train", "staging")] != "7" and cpus[("eval", "dev")] != "7"
