"""Sharded compile for CI matrices (docs/sharding.md).

`strata compile --shard K/N` renders one deterministic, cost-balanced slice of the targets into
a partial output with its own manifest.json; `strata merge DIR... --out OUT` joins the N of them
into the output a single `strata compile` writes, byte for byte.

    assign.py   which shard owns what: (environment, project) cells and each `_platform`, by cost
    source.py   what a shard was compiled from (commit, digest of every input) and by (strata)
    partial.py  one shard's compile, built on the pipeline's stages, and its `shard` record
    join.py     `strata merge`: verify the shards, refuse foreign ones, join them

Nothing here is imported by a full compile.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from compiler.errors import StrataError

_FORM = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class Shard:
    """Shard `index` of `count`, both counted from 1 (`2/4`)."""

    index: int
    count: int

    @property
    def label(self) -> str:
        return f"{self.index}/{self.count}"

    @classmethod
    def parse(cls, text: str) -> Shard:
        """`K/N` with 1 ≤ K ≤ N; anything else is a one-line user error."""
        found = _FORM.match(text)
        if found is None:
            raise StrataError(f"--shard {text}: expected K/N, shard K of N (e.g. 2/4)")
        index, count = int(found.group(1)), int(found.group(2))
        if count < 1:
            raise StrataError(f"--shard {text}: N, the number of shards, must be at least 1")
        if not 1 <= index <= count:
            raise StrataError(f"--shard {text}: K must be between 1 and N (here 1 to {count})")
        return cls(index, count)
