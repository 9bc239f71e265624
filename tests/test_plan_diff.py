"""Field-level diffs and object matching."""
from __future__ import annotations

from compiler.plan.compare import compare
from compiler.plan.diff import diff, pointer
from compiler.plan.model import ABSENT, ADD, CHANGE, DESTROY
from test_plan_support import emitted


def test_pointer_escapes_slash_and_tilde():
    assert pointer(("metadata", "labels", "app.kubernetes.io/name")) == "/metadata/labels/app.kubernetes.io~1name"
    assert pointer(("a~b", 0)) == "/a~0b/0"


def test_scalar_change_addition_and_removal():
    changes = diff({"a": 1, "b": 2, "gone": True}, {"a": 1, "b": 3, "new": None})
    assert [(c.path, c.old, c.new) for c in changes] == [
        ("/b", 2, 3), ("/new", ABSENT, None), ("/gone", True, ABSENT)]
    assert [c.symbol for c in changes] == ["~", "+", "-"]


def test_type_change_is_reported():
    assert [(c.path, c.old, c.new) for c in diff({"a": 1}, {"a": "1"})] == [("/a", 1, "1")]
    assert [(c.path, c.old, c.new) for c in diff({"a": {"x": 1}}, {"a": [1]})] == [("/a", {"x": 1}, [1])]


def test_named_list_items_match_by_name():
    old = {"env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}
    new = {"env": [{"name": "A", "value": "1"}, {"name": "NEW", "value": "x"}, {"name": "B", "value": "3"}]}
    changes = diff(old, new)
    assert [(c.path, c.old, c.new) for c in changes] == [
        ("/env/1", ABSENT, {"name": "NEW", "value": "x"}),
        ("/env/2/value", "2", "3")]


def test_removed_named_item_uses_base_index():
    old = {"ports": [{"name": "http", "port": 80}, {"name": "grpc", "port": 90}]}
    new = {"ports": [{"name": "grpc", "port": 90}]}
    assert [(c.path, c.new) for c in diff(old, new)] == [("/ports/0", ABSENT)]


def test_reordered_named_list_is_compared_by_index():
    old = {"l": [{"name": "a"}, {"name": "b"}]}
    new = {"l": [{"name": "b"}, {"name": "a"}]}
    assert [c.path for c in diff(old, new)] == ["/l/0/name", "/l/1/name"]


def test_plain_lists_by_index_with_tail():
    assert [(c.path, c.old, c.new) for c in diff({"args": ["a", "b"]}, {"args": ["a", "c", "d"]})] == [
        ("/args/1", "b", "c"), ("/args/2", ABSENT, "d")]


def test_compare_classifies_and_orders():
    base = [emitted("dev", "p", "job.a", "ConfigMap", "a", data={"x": "1"}),
            emitted("dev", "p", "job.gone", "ConfigMap", "gone"),
            emitted("prod", "p", "job.a", "ConfigMap", "a", data={"x": "1"})]
    head = [emitted("prod", "p", "job.a", "ConfigMap", "a", data={"x": "1"}),
            emitted("dev", "p", "job.b", "ConfigMap", "b"),
            emitted("dev", "p", "job.a", "ConfigMap", "a", data={"x": "2"})]
    entries = compare(base, head)
    assert [(e.env, e.resource, e.change) for e in entries] == [
        ("dev", "job.a", CHANGE), ("dev", "job.b", ADD), ("dev", "job.gone", DESTROY)]
    assert [(c.path, c.old, c.new) for c in entries[0].changes] == [("/data/x", "1", "2")]


def test_identity_includes_api_version_and_namespace():
    base = [emitted("dev", "p", "job.a", "Job", "a", api="batch/v1", namespace="one")]
    head = [emitted("dev", "p", "job.a", "Job", "a", api="kubeflow.org/v1", namespace="one"),
            emitted("dev", "p", "job.a", "Queue", "q", namespace="")]
    changes = sorted((e.change, e.key.api_version, e.key.kind) for e in compare(base, head))
    assert changes == [("add", "kubeflow.org/v1", "Job"), ("add", "v1", "Queue"), ("destroy", "batch/v1", "Job")]
