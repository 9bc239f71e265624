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
_RESOLVER = yaml.resolver.Resolver()
_STR_TAG = "tag:yaml.org,2002:str"


@lru_cache(maxsize=65536)
def scalar_text(value: str) -> str:
    """`value` as a YAML scalar: plain when unambiguous, else double-quoted (JSON escapes are YAML's)."""
    if _is_plain(value):
        return value
    return json.dumps(value, ensure_ascii=False)


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
    if value[0] in " \n" or "\r" in value or value.endswith("\n\n") or any(line != line.rstrip(" \t") for line in value.split("\n")):
        return None
    if any(ord(c) < 32 and c not in "\n\t" for c in value):
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


def _lines(value: Any, indent: int, out: list[str]) -> None:
    pad = " " * indent
    if isinstance(value, dict):
        for key, child in value.items():
            _entry(f"{pad}{scalar_text(str(key))}:", child, indent, out)
    else:
        for item in value:
            _item(item, indent, out)


def _entry(prefix: str, child: Any, indent: int, out: list[str]) -> None:
    if isinstance(child, dict) and child:
        out.append(prefix)
        _lines(child, indent + 2, out)
    elif isinstance(child, list) and child:
        out.append(prefix)
        _lines(child, indent, out)
    else:
        _inline(prefix, child, indent + 2, out)


def _inline(prefix: str, child: Any, indent: int, out: list[str]) -> None:
    if isinstance(child, dict):
        out.append(prefix + " {}")
    elif isinstance(child, list):
        out.append(prefix + " []")
    elif isinstance(child, str) and "\n" in child and (block := _block(child, indent)) is not None:
        out.append(f"{prefix} {block[0]}")
        out.extend(block[1:])
    else:
        out.append(f"{prefix} {_scalar(child)}")


def _item(item: Any, indent: int, out: list[str]) -> None:
    pad = " " * indent
    if (isinstance(item, (dict, list))) and item:
        start = len(out)
        _lines(item, indent + 2, out)
        out[start] = pad + "- " + out[start][indent + 2:]
    else:
        _inline(pad + "-", item, indent + 2, out)


def dump(data: Any) -> str:
    """Block-style YAML text of `data`, ending in a newline."""
    if isinstance(data, (dict, list)) and data:
        out: list[str] = []
        _lines(data, 0, out)
        return "\n".join(out) + "\n"
    out = []
    _inline("", data, 2, out)
    return out[0].lstrip() + "\n" + "\n".join(out[1:]) + ("\n" if len(out) > 1 else "")
