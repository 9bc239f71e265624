"""A fast reader for the plain block YAML that charts render, or None when the text is anything more.

A chart's output is hundreds of thousands of lines per compile, nearly all of them
`key: value`, `key:` and `- item` lines that repeat across releases (the same fields, labels
and values). PyYAML composes a node object per scalar and asks a Python resolver about each;
this reads each distinct line once (memoized) and builds the documents from the indentation.

It accepts only a strict subset of YAML whose meaning is unambiguous: ASCII text without tabs,
carriage returns or control characters; block mappings with simple plain keys; block sequences;
single-line plain, single-quoted and double-quoted (without escapes) scalars; `{}`, `[]` and
one-line flow lists of such scalars; literal blocks (`|`, `|-`); whole-line comments and `---`
separators. Anything else — anchors, aliases, tags, flow mappings, folded blocks, multi-line
scalars, inline comments, complex keys, odd indentation — returns None, and the caller reads
the text with PyYAML, which decides what it means or which error it is. Where it accepts, the
data is PyYAML's: plain scalars are typed by PyYAML's own resolver and constructor, and
tests/test_helm_output.py compares the two on the platform chart's output, on edge cases and on
random texts.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import yaml

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_RESOLVER = yaml.resolver.Resolver()
_STR = "tag:yaml.org,2002:str"
_TYPED = frozenset(f"tag:yaml.org,2002:{name}" for name in ("int", "float", "bool", "null", "timestamp"))

_REFUSED = re.compile(r"[^\n\x20-\x7e]")   # tabs, CR, control characters, anything not ASCII
_KEY_LINE = re.compile(r"([A-Za-z0-9_./][A-Za-z0-9_./-]*):(?: +(.*))?$")
_PLAIN_START = frozenset("?:,[]{}#&*!|>'\"%@`")

MAP, ITEM, SCALAR = 0, 1, 2   # a `key:` line; a `- ` line's dash; the scalar after a dash


class _Refused(Exception):
    """The text is outside the subset: PyYAML reads it."""


_EMPTY_MAP = object()            # `{}` in the line memo: a fresh dict per use
_CLIP, _STRIP = object(), object()   # a literal block's header, `|` or `|-`: its lines follow
_SEPARATOR: tuple[tuple, ...] = ((),)  # a `---` line


class _Items(tuple):
    """A flow list in the line memo: a fresh list per use."""


def read_documents(text: str) -> list[Any] | None:
    """The documents of `text` as PyYAML's safe loader gives them (empty ones left out), or None."""
    if _REFUSED.search(text):
        return None
    try:
        documents = []
        for lines in _split(text):
            if lines:
                node, end = _block(lines, 0, lines[0][0])
                if end != len(lines):
                    return None
                documents.append(node)
        return documents
    except _Refused:
        return None


def _split(text: str) -> list[list[tuple]]:
    """Each document's parsed lines (a `- key: v` line is two: its dash and the line after it)."""
    documents: list[list[tuple]] = [[]]
    raw = text.split("\n")
    at = 0
    while at < len(raw):
        parsed = _parsed(raw[at])
        at += 1
        if not parsed:                           # blank, or a comment
            continue
        if parsed is _SEPARATOR:
            documents.append([])
            continue
        last = parsed[-1]
        if last[3] is _CLIP or last[3] is _STRIP:
            owner = last[0] if last[1] == MAP else parsed[0][0]   # the block its text must be inside
            text, at = _literal(raw, at, owner + 1, last[3] is _STRIP)
            parsed = (*parsed[:-1], (last[0], last[1], last[2], text, True))
        documents[-1].extend(parsed)
    return documents


def _literal(raw: list[str], at: int, least: int, strip: bool) -> tuple[str, int]:
    """A literal block's text from `raw[at:]`: lines indented at least `least`, as deep as its first."""
    body: list[str] = []
    indent = None
    while at < len(raw):
        line = raw[at]
        content = line.lstrip(" ")
        if line and not content:
            raise _Refused                       # spaces alone: YAML may keep some of them
        column = len(line) - len(content)
        if content and column < (least if indent is None else indent):
            break
        if content and indent is None:
            indent = column
        body.append(line[indent:] if content else "")
        at += 1
    while body and not body[-1]:
        body.pop()                               # trailing empty lines are chomped, `|` and `|-` alike
    if indent is None:
        raise _Refused                           # an empty block
    return "\n".join(body) + ("" if strip else "\n"), at


@lru_cache(maxsize=1 << 16)
def _parsed(raw: str) -> tuple[tuple, ...]:
    """One line as (indent, kind, key, value, has_value) tuples, () for a blank line or a comment,
    _SEPARATOR for `---`; raises _Refused outside the subset."""
    line = raw.rstrip(" ")
    body = line.lstrip(" ")
    indent = len(line) - len(body)
    if not body or body.startswith("#"):
        return ()
    if line == "---":
        return _SEPARATOR
    if body.startswith(("---", "...", "%")):
        raise _Refused
    if body.startswith("- "):
        rest = body[2:].lstrip(" ")
        column = len(line) - len(rest)
        if rest.startswith("-") and (rest == "-" or rest.startswith("- ")):
            raise _Refused                       # a sequence in a sequence, written compactly
        inner = _entry(rest, column) if _KEY_LINE.match(rest) else (column, SCALAR, None, _scalar(rest), True)
        return ((indent, ITEM, None, None, False), inner)
    return (_entry(body, indent),)


def _entry(body: str, indent: int) -> tuple:
    match = _KEY_LINE.match(body)
    if match is None:
        raise _Refused
    key, value = match.groups()
    if _tag(key) != _STR:
        raise _Refused                           # `on:`, `1:`, `null:`: keys PyYAML would type
    return (indent, MAP, key, None, False) if not value else (indent, MAP, key, _scalar(value), True)


def _scalar(text: str) -> Any:
    """A one-line value: PyYAML's data for it, or _Refused."""
    if text == "{}":
        return _EMPTY_MAP
    if text in ("|", "|-"):
        return _CLIP if text == "|" else _STRIP
    if text[0] == "[" and text[-1] == "]":
        return _flow_list(text[1:-1])
    first = text[0]
    if first == '"':
        inner = text[1:-1]
        if len(text) < 2 or text[-1] != '"' or '"' in inner or "\\" in inner:
            raise _Refused
        return inner
    if first == "'":
        inner = text[1:-1]
        if len(text) < 2 or text[-1] != "'" or "'" in inner.replace("''", ""):
            raise _Refused
        return inner.replace("''", "'")
    if first in _PLAIN_START or (first == "-" and (len(text) == 1 or text[1] == " ")):
        raise _Refused
    if ": " in text or " #" in text or text.endswith(":"):
        raise _Refused
    tag = _tag(text)
    if tag == _STR:
        return text
    if tag not in _TYPED:
        raise _Refused
    return _typed(text)


def _flow_list(inner: str) -> _Items:
    """`[a, "b", 'c']` on one line: scalars without flow indicators, quotes or `:` in them."""
    if not inner.strip(" "):
        return _Items()
    items = []
    for part in inner.split(","):
        item = part.strip(" ")
        if not item or any(c in item for c in "[]{}:|>") or item.count('"') + item.count("'") not in (0, 2):
            raise _Refused
        items.append(_scalar(item))
    return _Items(items)


@lru_cache(maxsize=1 << 16)
def _tag(text: str) -> str:
    return _RESOLVER.resolve(yaml.ScalarNode, text, (True, False))


@lru_cache(maxsize=1 << 12)
def _typed(text: str) -> Any:
    """An int, float, bool, null or timestamp, constructed by PyYAML (all immutable, so shared)."""
    return yaml.load(text, Loader=_Loader)


def _value(value: Any) -> Any:
    """A fresh container for `{}` and `[]` (callers may change what they are given)."""
    if value is _EMPTY_MAP:
        return {}
    if type(value) is _Items:
        return list(value)
    return value


def _block(lines: list[tuple], start: int, indent: int) -> tuple[Any, int]:
    kind = lines[start][1]
    if kind == MAP:
        return _mapping(lines, start, indent)
    if kind == ITEM:
        return _sequence(lines, start, indent)
    raise _Refused


def _mapping(lines: list[tuple], at: int, indent: int) -> tuple[dict, int]:
    mapping: dict[str, Any] = {}
    count = len(lines)
    while at < count:
        column, kind, key, value, has_value = lines[at]
        if column < indent:
            break
        if column > indent or kind != MAP:
            raise _Refused
        at += 1
        if has_value:
            mapping[key] = _value(value)
            continue
        below = lines[at] if at < count else None
        if below is not None and below[0] > indent:
            mapping[key], at = _block(lines, at, below[0])
        elif below is not None and below[0] == indent and below[1] == ITEM:
            mapping[key], at = _sequence(lines, at, indent)
        else:
            mapping[key] = None
    return mapping, at


def _sequence(lines: list[tuple], at: int, indent: int) -> tuple[list, int]:
    items: list[Any] = []
    count = len(lines)
    while at < count:
        column, kind = lines[at][0], lines[at][1]
        if column < indent or (kind == MAP and column == indent):
            break
        if column > indent or kind != ITEM:
            raise _Refused
        inner = lines[at + 1]
        if inner[1] == SCALAR:
            items.append(_value(inner[3]))
            at += 2
        else:
            item, at = _mapping(lines, at + 1, inner[0])
            items.append(item)
    return items, at
