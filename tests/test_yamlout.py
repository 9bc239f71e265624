"""The fast YAML emitter round-trips through PyYAML (YAML 1.1) and quotes what 1.1 or 1.2 would retype."""
from __future__ import annotations

import pytest
import yaml

from compiler.load.yaml_files import load_yaml
from compiler.provenance import plain
from compiler.output.yamlout import dump

TRICKY = ["on", "off", "yes", "No", "y", "n", "true", "False", "null", "~", "", " lead", "trail ", "010", "0o17",
          "0x1f", "1.10", "1e3", ".inf", "-.nan", "2024-01-01", "12:30:45", "1_000", "<<", "=", "a: b", "a #b",
          "- x", "? x", "x:", "http://h:80/p?q=1&r=2", "image:tag", "reg.io/a/b:1.0@sha256:ab", "ünïcode",
          "tab\there", "quote'single", 'quote"double', "[list]", "{map}", "*alias", "&anchor", "!tag", "|pipe",
          ">fold", "%pct", "@at", "`tick", "#hash", "a,b", "line1\nline2\n", "line1\nline2", "x\n\n", "\nlead",
          "  indented\nx", "trailing \nx", "multi\n  indented\nlines\n", "cr\r\nlf", "ctrl\x07", "$(shell)",
          "${env.vars.x}", "{{workflow.parameters.x}}", "status.succeeded > 0",
          "tab end\t\nx", "last space\nx ", "bell\x07\nx", "del\x7f\nx", "esc\x1b\nx", "del\x7f",
          "nel\x85x", "nel\x85\nx", "ls\u2028x", "ps\u2029\nx", "c1\x9b", "bom\ufeffx", "emoji \U0001f600\nx"]


@pytest.mark.parametrize("text", TRICKY)
def test_strings_round_trip_in_both_yaml_versions(text):
    data = {"k": text, "l": [text, {"in": text}], text or "empty-key": 1}
    emitted = dump(data)
    assert yaml.load(emitted, Loader=yaml.CSafeLoader) == data, emitted
    assert plain(load_yaml(emitted, "x.yaml")[0]) == data, emitted


def test_numbers_bools_nulls_and_empties():
    data = {"i": 3, "neg": -1, "f": 1.5, "big": 1e20, "t": True, "f2": False, "n": None, "d": {}, "l": [],
            "nested": [[1, 2], [], [{"a": []}]], "inf": float("inf")}
    assert yaml.load(dump(data), Loader=yaml.CSafeLoader) == data


def test_block_style_matches_kubernetes_conventions():
    text = dump({"metadata": {"name": "x", "labels": {"a": "b"}}, "spec": {"containers": [{"name": "c", "args": ["--x"]}]}})
    assert text == ("metadata:\n  name: x\n  labels:\n    a: b\nspec:\n  containers:\n  - name: c\n    args:\n"
                    "    - --x\n")


def test_multi_line_strings_are_literal_blocks():
    assert dump({"manifest": "a: 1\nb: 2\n"}) == "manifest: |\n  a: 1\n  b: 2\n"


def test_the_escape_classes_are_the_characters_outside_yaml_printable_set():
    """_UNSAFE and _CONTROL list the ranges outside the set (cheap to compile); the set as PyYAML's
    reader defines it, plus NEL, LS and PS, which YAML 1.1 folds; _CONTROL adds CR."""
    from compiler.output.yamlout import _CONTROL, _UNSAFE

    def printable(point: int) -> bool:
        return (point in (0x09, 0x0A, 0x0D) or 0x20 <= point <= 0x7E or 0xA0 <= point <= 0xD7FF
                or 0xE000 <= point <= 0xFFFD or 0x10000 <= point <= 0x10FFFF) and point not in (0x85, 0x2028, 0x2029)

    text = "".join(map(chr, range(0x110000)))
    unsafe = {ord(c) for c in _UNSAFE.findall(text)}
    assert unsafe == {p for p in range(0x110000) if not printable(p)}
    assert {ord(c) for c in _CONTROL.findall(text)} == unsafe | {0x0D}
