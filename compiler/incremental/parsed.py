"""YAML parse results by content, shared within a run: a `plan` parses a file its change did not
touch once, not once per side.

Keyed by the file's repo path and the sha256 of its text (never by its metadata); the value
is the file's positioned Value trees (compiler/provenance.py), frozen and never mutated, so
both sides can hold the same trees. Not kept on disk: rebuilding the trees from a compact
form (marshal of nested tuples, measured on the 3,600-target bench repo) costs about as much
as parsing with the C loader, since building the Value and Origin objects is most of the work.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable

from compiler.provenance import Value

Parser = Callable[[str, str], list[Value]]


class ParseCache:
    """Parse results of one run, by path and content."""

    def __init__(self) -> None:
        self.trees: dict[str, list[Value]] = {}     # "path\0sha256" → documents
        self.hits = self.misses = 0

    def parse(self, text: str, rel: str, parser: Parser) -> list[Value]:
        """`parser(text, rel)`, or the trees it gave for the same path and text before."""
        key = f"{rel}\0{hashlib.sha256(text.encode()).hexdigest()}"
        found = self.trees.get(key)
        if found is not None:
            self.hits += 1
            return found
        self.misses += 1
        self.trees[key] = parser(text, rel)
        return self.trees[key]
