"""Helm's rendered YAML is read by compiler.render.helm.load_all: the same data as PyYAML's safe loader."""
from __future__ import annotations

import datetime

import pytest
import yaml

from compiler.render.helm import load_all

DOCUMENTS = [
    "a: 1\nb: 1.5\nc: true\nd: on\ne: yes\nf: ~\ng: null\nh: ''\ni: '1'\nj: \"2\"\nk: 0x1f\nl: 010\nm: 1_000\n",
    "when: 2024-01-02\nstamp: 2024-01-02T03:04:05Z\nsexagesimal: 1:20\nfloat: 1e3\ninf: .inf\nnan: .nan\n",
    "base: &base {x: 1, y: [a, b]}\nuse: *base\nmerged:\n  <<: *base\n  z: 2\nlist: [*base, *base]\n",
    "---\nkind: A\n---\n---\nkind: B\nitems:\n- - nested\n  - list\n- {k: v}\n",
    "? a\n: explicit key\n",
    "text: |\n  line one\n  line two\nfolded: >\n  a\n  b\nplain: hello world\n",
    "binary: !!binary aGVsbG8=\nset: !!set {a, b}\nstr: !!str 12\nint: !!int '7'\n",
    "empty:\nnested:\n  deeper:\n    deepest: [1, 2, {three: 3}]\n",
]


@pytest.mark.parametrize("text", DOCUMENTS)
def test_same_data_and_types_as_pyyaml(text):
    expected = list(yaml.load_all(text, Loader=yaml.CSafeLoader))
    got = list(load_all(text))
    assert got == expected
    assert _types(got) == _types(expected)


def test_errors_are_pyyaml_errors():
    for text in ("a: [1, 2\n", "a: b: c\n", "{[1]: 2}: x\n", "*unknown\n", "? [complex, key]\n: value\n"):
        with pytest.raises(yaml.YAMLError):
            list(load_all(text))


def test_an_alias_is_the_same_object_as_pyyaml_gives_it():
    doc = next(load_all("a: &x {k: v}\nb: *x\n"))
    assert doc["a"] is doc["b"]
    assert isinstance(next(load_all("d: 2024-01-02\n"))["d"], datetime.date)


def _types(value):
    if isinstance(value, dict):
        return {k: _types(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_types(v) for v in value]
    return type(value).__name__
