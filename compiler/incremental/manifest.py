"""The previous out/manifest.json as a delta compile reads it: one line per entry, decoded only
where it is read.

A delta compile keeps nearly every entry of the manifest as it was (at 3,600 targets, all but
a few dozen of 4,800 lines, 6.5 MB): decoding them all and encoding them again cost more than
the rest of the manifest's work. The file is the very one the previous compile wrote (its
identity is checked, compiler.incremental.delta), laid out by compiler.output.assemble
`manifest_chunks`, so each kept entry's line is copied as it is. An entry is decoded only where
its line may be one this compile reads: a search for the bytes its field would be written as
(`"project": "demo"`) finds every such entry, and some others, which decoding then tells apart.
"""
from __future__ import annotations

import bisect
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import Any

Item = bytes | dict   # an entry: its line as written, or decoded (or made by this compile)


@dataclass(frozen=True)
class Written:
    """A manifest.json: its top-level values but the lists of entries, and each list's lines."""

    values: dict[str, Any]
    lists: dict[str, list[bytes]]


def read_written(out: Path) -> Written | None:
    """out/manifest.json, or None when it cannot be read or is not laid out as strata writes it."""
    from compiler.output.assemble import MANIFEST, manifest_lines

    try:
        found = manifest_lines((out / MANIFEST).read_bytes())
    except OSError:
        return None
    return Written(*found) if found is not None else None


def needle(key: str, value: str) -> bytes:
    """How an entry's field `key` with this value is written (`_compact`'s separators)."""
    return f"{json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}".encode()


def decoded(item: Item) -> dict:
    return item if isinstance(item, dict) else json.loads(item)


def having(items: Sequence[Item], needles: Iterable[bytes]) -> Iterator[tuple[Item, dict | None]]:
    """Each item with its entry decoded when its line holds one of `needles` (a made entry always
    is), else None: an entry whose field has a value `needle` was made for is never None."""
    found = _holding(items, tuple(needles))
    for number, item in enumerate(items):
        yield item, decoded(item) if isinstance(item, dict) or number in found else None


def _holding(items: Sequence[Item], needles: tuple[bytes, ...]) -> set[int]:
    """The indexes of the lines holding a needle: searched for in all the lines at once (a line
    holds no newline, a needle neither), which is several times faster than line by line."""
    joined = b"\n".join(item if isinstance(item, bytes) else b"" for item in items)
    starts = list(accumulate((len(item) + 1 if isinstance(item, bytes) else 1 for item in items), initial=0))
    found = set()
    for text in needles:
        at = joined.find(text)
        while at >= 0:
            found.add(bisect.bisect_right(starts, at) - 1)
            at = joined.find(text, at + 1)
    return found


def merged(items: list[Item], fresh: Iterable[dict]) -> list[Item]:
    """`items` (in folder order) with the `fresh` entries put in their places."""
    result = list(items)
    for entry in sorted(fresh, key=lambda e: e["folder"]):
        result.insert(bisect.bisect_left(result, entry["folder"], key=lambda item: decoded(item)["folder"]), entry)
    return result
