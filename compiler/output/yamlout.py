"""A small, fast block-style YAML emitter for plain data (dict, list, str, int, float, bool, None).

PyYAML's representer is pure Python even with the C emitter, and writing the
output dominated compile time on large repos (bench/README.md). Our output is
plain JSON-like data, so a direct emitter is enough. It quotes every string
that YAML 1.1 or 1.2 could read as anything but that string (`on`, `010`,
`1.10`, `null`, ...), so kubectl, Helm and Argo all read back exactly what was
written (tests/test_yamlout.py round-trips it through PyYAML).
"""
from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from typing import Any

import yaml

from compiler.load.yaml_files import resolve_plain

_PLAIN = re.compile(r"^[A-Za-z0-9_./$-][A-Za-z0-9_./$@%+=:()^~ -]*$")
# What a double-quoted scalar must escape that JSON leaves as it is: characters outside YAML's
# printable set (as PyYAML's reader checks it) and the line breaks YAML 1.1 adds to \n (NEL, LS, PS),
# which a reader would fold; a literal block can hold neither, nor any control character but tab.
# Listed as the ranges outside the set rather than as "not in the set": a negated class over all
# of Unicode takes ~5 ms each to compile, paid at every start (tests/test_yamlout.py checks both
# against every code point).
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")
_TRAILING_BLANK = re.compile(r"[ \t](?:\n|\Z)")         # a line ending in a space or tab
_RESOLVER = yaml.resolver.Resolver()
_STR_TAG = "tag:yaml.org,2002:str"


@lru_cache(maxsize=65536)
def scalar_text(value: str) -> str:
    """`value` as a YAML scalar: plain when unambiguous, else double-quoted (JSON escapes are YAML's)."""
    if _is_plain(value):
        return value
    return _UNSAFE.sub(_escaped, json.dumps(value, ensure_ascii=False))


def _escaped(match: re.Match) -> str:
    """A character JSON leaves as it is but YAML must not read raw (DEL, C1 controls, NEL...): \\uXXXX."""
    return f"\\u{ord(match.group()):04x}"


def _is_plain(value: str) -> bool:
    if not value or not _PLAIN.match(value) or value != value.strip():
        return False
    if ": " in value or " #" in value or value.endswith(":") or value.startswith(("- ", "? ", ": ", "---")) or value == "-":
        return False
    if not isinstance(resolve_plain(value), str):
        return False
    return _RESOLVER.resolve(yaml.ScalarNode, value, (True, False)) == _STR_TAG


def _number(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value)
    return text.replace("e", ".0e", 1) if "e" in text and "." not in text else text


def _block(value: str, indent: int) -> list[str] | None:
    """A multi-line string as a literal block, when that round-trips exactly."""
    if value[0] in " \n" or "\r" in value or value.endswith("\n\n") or _TRAILING_BLANK.search(value):
        return None
    if _CONTROL.search(value):
        return None
    header = "|" if value.endswith("\n") else "|-"
    pad = " " * indent
    body = value[:-1] if value.endswith("\n") else value
    return [header] + [pad + line if line else "" for line in body.split("\n")]


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return scalar_text(value)
    if isinstance(value, (bool, int, float)):
        return _number(value)
    raise TypeError(f"cannot write {type(value).__name__} as YAML")


# One pass over the data appending finished text (each piece ends in a newline), joined once.
# A container's lines are indented by `pad`, except its first line, which starts with `first`:
# the same as `pad`, or a list item's dash ("- ") in its parent's indentation.

def _mapping(value: dict, pad: str, first: str, out: list[str]) -> None:
    lead = first
    inner = pad + "  "
    for key, child in value.items():
        name = scalar_text(key if type(key) is str else str(key))
        kind = type(child)
        if kind is str and "\n" not in child:
            out.append(f"{lead}{name}: {scalar_text(child)}\n")
        elif kind is int:
            out.append(f"{lead}{name}: {child}\n")
        elif isinstance(child, dict) and child:
            out.append(f"{lead}{name}:\n")
            _mapping(child, inner, inner, out)
        elif isinstance(child, list) and child:
            out.append(f"{lead}{name}:\n")
            _sequence(child, pad, pad, out)
        else:
            _inline(f"{lead}{name}:", child, inner, out)
        lead = pad


def _sequence(value: list, pad: str, first: str, out: list[str]) -> None:
    dash = first + "- "
    inner = pad + "  "
    for item in value:
        kind = type(item)
        if kind is str and "\n" not in item:
            out.append(f"{dash}{scalar_text(item)}\n")
        elif kind is dict and item:
            _mapping(item, inner, dash, out)
        elif isinstance(item, list) and item:
            _sequence(item, inner, dash, out)
        elif isinstance(item, dict) and item:
            _mapping(item, inner, dash, out)
        else:
            _inline(dash[:-1], item, inner, out)
        dash = pad + "- "


def _inline(head: str, value: Any, pad: str, out: list[str]) -> None:
    """`head` and a value on one line (a literal block's lines follow, indented by `pad`)."""
    if isinstance(value, dict):
        out.append(head + " {}\n")
    elif isinstance(value, list):
        out.append(head + " []\n")
    elif isinstance(value, str) and "\n" in value and (block := _block(value, len(pad))) is not None:
        out.append(f"{head} {block[0]}\n")
        out.extend(line + "\n" for line in block[1:])
    else:
        out.append(f"{head} {_scalar(value)}\n")


def dump(data: Any) -> str:
    """Block-style YAML text of `data`, ending in a newline."""
    out: list[str] = []
    if isinstance(data, dict) and data:
        _mapping(data, "", "", out)
    elif isinstance(data, list) and data:
        _sequence(data, "", "", out)
    else:
        _inline("", data, "  ", out)
        out[0] = out[0].lstrip()
    return "".join(out)
