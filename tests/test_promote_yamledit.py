"""The YAML edit behind `strata promote`: ruamel.yaml round-trip, spliced so that only changed lines differ."""
from __future__ import annotations

import textwrap

import pytest

from compiler.errors import StrataError
from compiler.merge.field_rules import rule_for_model
from compiler.promote.yamledit import DocEdit, edit_file
from conftest import ROOT
from compiler.kinds import kind_of


def edit(text: str, patch: dict, *, kind: str = "Service", name: str = "api", env: str = "prod-sh") -> str:
    return edit_file(text, "x.yaml", env, [DocEdit(kind, name, patch, rule_for_model(kind_of(kind).spec))])


def yaml(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


SERVICE = yaml("""
    kind: Service
    name: api
    spec:
      image: reg/api:1.0      # built by CI
      model: {name: m, version: 3}

    overrides:
      prod-sh:
        image: "reg/api:1.0"  # quoted on purpose
      prod:
        model: !replace {name: m, version: 2}
    """)


def test_a_replaced_value_keeps_its_quotes_and_comment():
    assert edit(SERVICE, {"image": "reg/api:2.0"}) == SERVICE.replace(
        '    image: "reg/api:1.0"  # quoted on purpose', '    image: "reg/api:2.0"  # quoted on purpose')


def test_new_keys_go_at_the_end_of_the_env_block_in_the_files_style():
    assert edit(SERVICE, {"model": {"version": 4}}) == SERVICE.replace(
        "  # quoted on purpose\n", "  # quoted on purpose\n    model: {version: 4}\n")


def test_a_tagged_mapping_is_edited_in_place_and_keeps_its_tag():
    assert edit(SERVICE, {"model": {"version": 4}}, env="prod") == SERVICE.replace(
        "model: !replace {name: m, version: 2}", "model: !replace {name: m, version: 4}")


def test_a_flow_mapping_gets_the_key_inside_it():
    text = SERVICE.replace('  prod-sh:\n    image: "reg/api:1.0"  # quoted on purpose\n', "  prod-sh: {image: a}\n")
    assert edit(text, {"model": {"version": 4}}) == text.replace("{image: a}", "{image: a, model: {version: 4}}")


def test_no_overrides_yet_and_no_final_newline():
    text = "kind: Service\nname: api\nspec:\n  image: reg/api:1.0  # last line"
    assert edit(text, {"image": "reg/api:2.0"}) == text + "\noverrides:\n  prod-sh:\n    image: reg/api:2.0\n"


def test_a_four_space_file_gets_four_space_lines():
    text = "kind: Service\nname: api\nspec:\n    image: a\noverrides:\n    prod:\n        image: b\n"
    assert edit(text, {"image": "c"}) == text + "    prod-sh:\n        image: c\n"


def test_only_the_named_document_of_a_stream_changes():
    first = "# two services\nkind: Service\nname: web\nspec: {image: w}\n"
    second = "kind: Service\nname: api\nspec: {image: a}\noverrides:\n  dev: {replicas: 1}\n"
    text = first + "---\n" + second
    assert edit(text, {"image": "b"}) == text + "  prod-sh:\n    image: b\n"


def test_null_is_written_as_null():
    assert edit(SERVICE, {"canary": None}).endswith('  # quoted on purpose\n    canary: null\n  prod:\n'
                                                    '    model: !replace {name: m, version: 2}\n')


def test_pipeline_steps_merge_by_name_beside_a_flow_list_written_over_two_lines():
    """ruamel joins `forEach: [...]` written over two lines; that line is not edited, so it is kept."""
    rel = "projects/metric-forecast/pipelines/hourly-forecast.yaml"
    text = (ROOT / rel).read_text()
    patch = {"steps": [{"name": "forecast", "container": {"image": "${env.vars.registry}/forecast/runner:2.2.0"}}]}
    result = edit(text, patch, kind="Pipeline", name="hourly-forecast")
    assert result == text + ("  prod-sh:\n"
                             "    steps:\n"
                             "      - name: forecast\n"
                             "        container: {image: '${env.vars.registry}/forecast/runner:2.2.0'}\n")


def test_an_edit_ruamel_would_reformat_around_is_refused_not_guessed():
    text = yaml("""
        kind: Service
        name: api
        spec: {image: a}
        overrides:
          prod-sh: {image: a,
                    model: {version: 3}}
        """)
    with pytest.raises(StrataError, match="cannot place the edit without rewriting lines around it"):
        edit(text, {"model": {"version": 4}})


def test_windows_line_ends_are_kept():
    text = SERVICE.replace("\n", "\r\n")
    assert edit(text, {"image": "reg/api:2.0"}) == text.replace('"reg/api:1.0"  #', '"reg/api:2.0"  #')
