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


# The fast reader (compiler/render/block_yaml.py): PyYAML's data wherever it accepts a text.

EDGES = [
    "a: 1\nb:\n  c: d\n  e: [x, \"y\", 'z', 1, on, ~]\nf:\n- g\n- h: i\n  j: k\n-   l: m\n    n: o\n",
    "list:\n  - a\n  - b\nempty:\nnext: {}\nnone: []\nq: 'it''s'\ndq: \"plain \\\" no\"\n",
    "s: |\n  one\n\n  two\n\n\nt: |-\n    deep\n  shallow\nu: x\n", "s: |\n\n  one\n\n  two\n\n\nt: |-\n  x\n\nu: y\n",
    "s: |\n  one\n   indented\n  # not a comment\n  ---\nt: 1\n",
    "- |\n  in a list\n- |-\n  stripped\n- key: |\n    in a map\n  other: 1\n",
    "k: |+\n  keep\n\nl: 1\n", "k: |2\n   explicit\n", "k: >\n  folded\n", "k: |\n      \n  spaces\n",
    "k: |\n", "k: |\nl: 1\n", "k: | # c\n  x\n",
    "on: 1\n", "1: x\n", "null: x\n", "<<: {}\n", "'quoted': key\n", "k: &a x\n", "k: *a\n", "k: !!str 1\n",
    "k: v # comment\n", "k: a: b\n", "k: v:\n", "k: - x\n", "k: -\n", "- - x\n", "-\n  x: 1\n", "k:\n  plain\n  more\n",
    "a:\n    b: 1\n  c: 2\n", "a:\n  - x\n  b: 1\n", "a: 1\n  b: 2\n", "- a\nb: 1\n", "a: 1\n- b\n", "  a: 1\nb: 2\n",
    "k: 'unterminated\n", "k: \"esc\\n\"\n", "k: [a, [b]]\n", "k: [a, b: c]\n", "k: [\"a,b\"]\n", "k: [a,]\n",
    "k: {a: b}\n", "k: ?x\n", "k: :x\n", "k: -1\n", "k: --flag\n", "k: 1e3\n", "k: 1.5e3\n", "k: 0o17\n", "k: 0x1F\n",
    "k: 1_000\n", "k: 190:20:30\n", "k: 2001-12-14t21:59:43.10-05:00\n", "k: .NaN\n", "k: =\n", "k: Yes\n",
    "---\n---\na: 1\n...\n", "--- a: 1\n", "%YAML 1.1\n---\na: 1\n", "a: 1\n---\n# only a comment\n---\nb: 2\n",
    "a:\tb\n", "a: b\r\n", "a: caf\u00e9\n", "a: b  \n  \nc: d\n", "a:\n\n  b: c\n",
    "a: x\na: y\n", "k: \"\"\n", "k: ''\n", "k: '\"'\n", "k: \"'\"\n", "k: [\"\", '']\n",
]


@pytest.mark.parametrize("text", EDGES)
def test_fast_reader_gives_pyyaml_data_or_steps_aside(text):
    _same_or_refused(text)


def test_fast_reader_on_random_texts():
    import random

    pieces = ["a:", "b: 1", "c: x", "- d", "- e: f", "-  g: h", "- |", "k: |-", "text line", "# note", "", "---",
              "i: [1, j]", "l: {}", "m: 'n'", "o: \"p\"", "q: on", "r: 2024-01-01", "s: a b", "- [x]", "t: ~"]
    chance = random.Random(10)
    for _ in range(3000):
        lines = [" " * chance.choice((0, 0, 2, 2, 4, 6)) + chance.choice(pieces) for _ in range(chance.randint(1, 9))]
        _same_or_refused("\n".join(lines) + "\n")


def test_fast_reader_on_the_platform_chart_output():
    import helm_python

    from compiler.load.discover import BUILTIN_CHARTS_DIR

    chart = helm_python.Chart.load(BUILTIN_CHARTS_DIR / "model-service")
    values = [{}, {"replicas": {"min": 2, "max": 5}}, {"canary": {"weight": 10, "replicas": 1}}]
    read = 0
    for extra in values:
        try:
            rendered = chart.render(values=chart.merge_values(extra), name="svc", namespace="ns", is_install=True)
        except helm_python.HelmError:
            continue
        for name, text in rendered.items():
            read += _same_or_refused(text) and not name.endswith("NOTES.txt")
    assert read >= 5   # the chart's templates are read by the fast reader, not only checked


def _same_or_refused(text: str) -> bool:
    from compiler.render.block_yaml import read_documents

    fast = read_documents(text)
    if fast is None:
        return False
    expected = [doc for doc in yaml.load_all(text, Loader=yaml.CSafeLoader) if doc is not None]
    assert fast == expected, text
    assert _types(fast) == _types(expected), text
    return True
