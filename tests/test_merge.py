"""SPEC §2 merge rules, one small case each, on the pure merge function."""
from __future__ import annotations

import textwrap

from compiler.load.yaml_files import load_yaml
from compiler.merge.rule import merge
from compiler.provenance import plain, relayer
from compiler.merge.field_rules import ANY, rule_for_model
from schemas import JobSpec, ModelSpec, ServiceSpec

JOB = rule_for_model(JobSpec)


def val(text: str, layer: str = "lower", file: str = "lower.yaml"):
    return relayer(load_yaml(textwrap.dedent(text), file)[0], layer)


def fold(lower: str, higher: str, rule=JOB):
    problems = []
    merged = merge(val(lower), val(higher, "higher", "higher.yaml"), rule, problems.append)
    return merged, problems


def test_mapping_over_mapping_deep_merges():
    merged, problems = fold("resources: {cpu: 2, memory: 4Gi}", "resources: {cpu: 8}")
    assert plain(merged) == {"resources": {"cpu": 8, "memory": "4Gi"}}
    assert not problems


def test_scalar_and_list_replace():
    merged, _ = fold("image: a:1\ncommand: [python, a.py]", "image: b:2\ncommand: [python, b.py, --x]")
    assert plain(merged) == {"image": "b:2", "command": ["python", "b.py", "--x"]}


def test_null_deletes_key_so_schema_default_applies_again():
    merged, _ = fold("retry: {backoffLimit: 7}\nimage: a", "retry: {backoffLimit: null}")
    assert plain(merged) == {"retry": {}, "image": "a"}
    assert JobSpec.model_validate(plain(merged)).retry.backoffLimit == 3


def test_mapping_over_scalar_is_an_error_naming_both_places():
    _, problems = fold("scheduling: {queue: q}", "scheduling: gold")
    assert len(problems) == 1
    text = problems[0].render()
    assert text.startswith("higher.yaml:1:13: a scalar cannot replace a mapping set at lower.yaml:1:13 (lower)")
    assert "!replace" in text


def test_field_accepting_both_forms_replaces_without_error():
    merged, problems = fold("replicas: 3", "replicas: {min: 2, max: 6}", rule_for_model(ServiceSpec))
    assert plain(merged) == {"replicas": {"min": 2, "max": 6}} and not problems
    merged, problems = fold("replicas: {min: 2, max: 6}", "replicas: 4", rule_for_model(ServiceSpec))
    assert plain(merged) == {"replicas": 4} and not problems


def test_replace_tag_replaces_instead_of_merging():
    merged, problems = fold("resources: {cpu: 2, memory: 4Gi}", "resources: !replace {cpu: 1}")
    assert plain(merged) == {"resources": {"cpu": 1}} and not problems
    merged, problems = fold("scheduling: {queue: q}", "scheduling: !replace [a]", ANY)
    assert plain(merged) == {"scheduling": ["a"]} and not problems


def test_append_tag_appends_to_lower_list():
    merged, _ = fold("args: [--a, --b]", "args: !append [--c]")
    assert plain(merged) == {"args": ["--a", "--b", "--c"]}


def test_merge_key_merges_items_keeping_lower_order_and_appending_new():
    merged, problems = fold(
        "env: [{name: A, value: '1'}, {name: B, value: '2'}]",
        "env: [{name: C, value: '3'}, {name: A, value: '9'}]")
    assert plain(merged)["env"] == [{"name": "A", "value": "9"}, {"name": "B", "value": "2"},
                                   {"name": "C", "value": "3"}]
    assert not problems


def test_merge_key_item_fields_deep_merge():
    merged, _ = fold("env: [{name: A, secretRef: {name: s, key: k}}]", "env: [{name: A, secretRef: {key: k2}}]")
    assert plain(merged)["env"] == [{"name": "A", "secretRef": {"name": "s", "key": "k2"}}]


def test_model_versions_merge_on_version_compared_as_text():
    merged, _ = fold("versions: [{version: 1, uri: a}, {version: '2', uri: b}]",
                     "versions: [{version: '1', digest: x}, {version: 3, uri: c}]", rule_for_model(ModelSpec))
    assert [v["version"] for v in plain(merged)["versions"]] == ["1", "2", 3]
    assert plain(merged)["versions"][0] == {"version": "1", "uri": "a", "digest": "x"}


def test_lists_without_merge_key_replace_whole():
    merged, _ = fold("replicas: {worker: 2}\nargs: [a, b]", "args: [c]")
    assert plain(merged)["args"] == ["c"]


def test_duplicate_merge_key_in_one_list_is_an_error():
    _, problems = fold("image: a", "env: [{name: A, value: '1'}, {name: A, value: '2'}]")
    assert "duplicate name 'A'" in problems[0].message and problems[0].origin.line == 1


def test_merge_key_missing_in_item_is_an_error():
    _, problems = fold("image: a", "env: [{value: '1'}]")
    assert "needs `name`" in problems[0].message


def test_inputs_are_not_mutated_and_unchanged_subtrees_are_shared():
    lower, higher = val("resources: {cpu: 2}\ncommand: [a]"), val("image: x", "higher")
    before = plain(lower)
    merged = merge(lower, higher, JOB, [].append)
    assert plain(lower) == before
    assert merged.data["resources"] is lower.data["resources"]


def test_provenance_records_setter_and_what_it_overrode():
    base = val("resources: {cpu: 2}", "app-type a", "layers/a.yaml")
    env = val("resources: {cpu: 4}", "environment dev", "environments/dev.yaml")
    top = val("\n\nresources:\n  cpu: 8", "overrides.dev", "projects/p/job.yaml")
    merged = merge(merge(base, env, JOB, [].append), top, JOB, [].append)
    cpu = merged.data["resources"].data["cpu"]
    assert cpu.origin.where() == "projects/p/job.yaml:4:8" and cpu.origin.layer == "overrides.dev"
    assert [o.describe() for o in cpu.overrode] == [
        "environments/dev.yaml:1:18 (environment dev)", "layers/a.yaml:1:18 (app-type a)"]


def test_value_untouched_by_higher_layers_keeps_its_origin():
    merged, _ = fold("resources: {cpu: 2, memory: 4Gi}", "resources: {cpu: 8}")
    memory = merged.data["resources"].data["memory"]
    assert memory.origin.file == "lower.yaml" and memory.overrode == ()


def test_a_layer_normalized_once_per_run_is_shared_and_its_problems_reported_each_time():
    layer = val("""
        resources: {cpu: 2}
        env: [{name: A, value: b}, {value: c}]
    """)
    memo: dict = {}
    first, second = [], []
    one = merge(None, layer, JOB, first.append, memo)
    two = merge(None, layer, JOB, second.append, memo)
    assert one is two and plain(one) == plain(merge(None, layer, JOB, [].append))
    assert first == second and [p.message for p in first] == ["each item of this list needs `name` (its merge key)"]


def test_interpolation_shares_what_holds_no_reference_and_reports_every_target():
    from compiler.errors import Problems
    from compiler.merge.interpolate import interpolate

    tree = val("""
        image: reg/${env.name}/x
        plain: {a: 1, b: [x, y]}
        escaped: $${kept}
        unknown: ${env.vars.nope}
    """)
    memo: dict = {}
    for env in ("dev", "prod"):
        problems = Problems()
        done = interpolate(tree, {"env.name": env}, problems, memo)
        assert plain(done) == {"image": f"reg/{env}/x", "plain": {"a": 1, "b": ["x", "y"]}, "escaped": "${kept}",
                               "unknown": "${env.vars.nope}"}
        assert done.data["plain"] is tree.data["plain"]
        assert [p.message.startswith("unknown reference ${env.vars.nope}") for p in problems.items] == [True]
