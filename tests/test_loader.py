"""Loading: YAML 1.2 scalars, positions, tags, guards, and Jsonnet generation."""
from __future__ import annotations

import pytest

from compiler.load.yaml_files import LeadingZero, LoadError, load_yaml, resolve_plain
from compiler.provenance import plain
from repo_fixture import compile_targets, target, write_repo


@pytest.mark.parametrize("text, expected", [
    ("on", "on"), ("yes", "yes"), ("No", "No"), ("true", True), ("FALSE", False), ("~", None), ("", None),
    ("12", 12), ("-3", -3), ("0", 0), ("0o17", 15), ("0x1f", 31), ("1.5", 1.5), ("1e3", 1000.0),
    ("2024-01-01", "2024-01-01"), ("1:30", "1:30"), ("null", None), ("Null", None),
])
def test_plain_scalars_follow_yaml_1_2_core_schema(text, expected):
    assert resolve_plain(text) == expected


def test_leading_zero_integer_is_flagged_not_guessed():
    assert resolve_plain("010") == LeadingZero("010")


def test_positions_are_one_based_line_and_column():
    doc = load_yaml("a:\n  b: [1, {c: x}]\n", "f.yaml")[0]
    c = doc.data["a"].data["b"].data[1].data["c"]
    assert (c.origin.line, c.origin.col) == (2, 14) and c.key_origin.col == 11


def test_multi_document_files_and_tags():
    docs = load_yaml("a: !replace {x: 1}\n---\nb: !append [1]\n---\n", "f.yaml")
    assert len(docs) == 2 and docs[0].data["a"].tag == "!replace" and docs[1].data["b"].tag == "!append"


def test_quoted_scalars_stay_strings():
    assert plain(load_yaml("a: '010'\nb: \"true\"\nc: '1.10'\n", "f")[0]) == {"a": "010", "b": "true", "c": "1.10"}


def test_free_string_maps_keep_scalars_as_written(tmp_path):
    build, problems = compile_targets(write_repo(tmp_path, {
        "environments/dev.yaml": "kind: Environment\nname: dev\ngroup: test\nvars: {version: 1.10, zip: 010, on: yes}\n",
        "projects/demo/train.yaml": "kind: Job\nname: train\ndeployTo: [dev]\nspec:\n  image: x\n  env: [{name: V, value: 1.10}]\n"
                                    "  args: ['${env.vars.version}', '${env.vars.zip}']\n"}))
    assert not problems, [p.render() for p in problems.items]
    t = target(build, "demo/Job/train", "dev")
    assert t.values["args"] == ["1.10", "010"] and t.values["env"][0]["value"] == "1.10"
    assert t.env.settings.vars["on"] == "yes"


def test_explicit_core_tags_are_checked():
    assert plain(load_yaml("a: !!int 5\n", "f")[0]) == {"a": 5}
    with pytest.raises(LoadError, match="not a valid int"):
        load_yaml("a: !!int five\n", "f")


def test_jsonnet_file_generates_several_resources_with_confined_imports(tmp_path):
    repo = write_repo(tmp_path, {
        "projects/demo/lib/indicators.libsonnet": "['gmv', 'dau']",
        "projects/demo/forecast.jsonnet": """
            local indicators = import 'lib/indicators.libsonnet';
            [{kind: 'Job', name: 'forecast-' + i, spec: {image: 'reg/f:1', args: ['--metric', i]}}
             for i in indicators]
            """})
    build, problems = compile_targets(repo)
    assert not problems, [p.render() for p in problems.items]
    names = sorted({t.name for t in build.targets})
    assert names == ["forecast-dau", "forecast-gmv", "train"]
    t = target(build, "demo/Job/forecast-gmv", "dev")
    assert t.values["args"] == ["--metric", "gmv"] and t.origin.file == "projects/demo/forecast.jsonnet"
