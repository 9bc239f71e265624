"""Values that remember where they came from.

Every loaded YAML/Jsonnet value is a `Value`: the plain Python data plus the
`Origin` (file, line, column, layer) that set it and the origins it overrode.
Mappings hold `dict[str, Value]`, lists hold `list[Value]`; scalars are plain.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

REPLACE = "!replace"
APPEND = "!append"


@dataclass(frozen=True, slots=True)
class Origin:
    file: str          # path relative to the repo root, with forward slashes (line 0: the command line's text)
    line: int          # 1-based; 0 for a value given on the command line (`--set PATH=VALUE`)
    col: int           # 1-based
    layer: str = ""    # e.g. "app-type training-pytorch", "environment prod-sh"

    def where(self) -> str:
        return f"{self.file}:{self.line}:{self.col}" if self.line else self.file

    def sort_key(self) -> tuple:
        return (self.file, self.line, self.col)

    def describe(self) -> str:
        return f"{self.where()} ({self.layer})" if self.layer and self.line else self.where()


@dataclass(frozen=True, slots=True)
class Value:
    data: Any                      # scalar | dict[str, Value] | list[Value]
    origin: Origin
    overrode: tuple[Origin, ...] = ()   # lower-layer origins this value replaced, nearest first
    tag: str | None = None      # REPLACE / APPEND when written with that YAML tag
    key_origin: Origin | None = None  # where the mapping key naming this value was written
    raw: str | None = None      # source text of a plain scalar read as a non-string (`1.10`)

    @property
    def is_map(self) -> bool:
        return isinstance(self.data, dict)

    @property
    def is_list(self) -> bool:
        return isinstance(self.data, list)


def relayer(value: Value, layer: str) -> Value:
    """The same tree, every origin labelled with `layer`."""
    return reorigin(value, lambda o: Origin(o.file, o.line, o.col, layer))


def reorigin(value: Value, place: Callable[[Origin], Origin]) -> Value:
    """The same tree, every origin (and key origin) replaced by `place(origin)`."""
    data = value.data
    if isinstance(data, dict):
        data = {k: reorigin(v, place) for k, v in data.items()}
    elif isinstance(data, list):
        data = [reorigin(v, place) for v in data]
    key = value.key_origin
    return Value(data, place(value.origin), value.overrode, value.tag, place(key) if key else None, value.raw)


def plain(value: Value) -> Any:
    """Strip provenance: the plain data pydantic and the renderers see."""
    data = value.data
    if isinstance(data, dict):
        return {k: plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [plain(v) for v in data]
    return data


def lookup(value: Value | None, path: tuple) -> Value | None:
    """The deepest Value along `path` (keys or list indexes); unknown steps are skipped.

    Pydantic error locations include union-member names; skipping steps that do
    not address anything lets those locations map back to the spec.
    """
    for step in path:
        if value is None:
            return None
        data = value.data
        in_dict = isinstance(data, dict) and isinstance(step, str) and step in data
        in_list = isinstance(data, list) and isinstance(step, int) and 0 <= step < len(data)
        if in_dict or in_list:
            value = data[step]
    return value


def walk(value: Value, path: tuple = ()) -> Iterator[tuple[tuple, Value]]:
    """Every (path, Value) in the tree, depth first, mappings in key order."""
    yield path, value
    data = value.data
    if isinstance(data, dict):
        for k, v in data.items():
            yield from walk(v, path + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from walk(v, path + (i,))
