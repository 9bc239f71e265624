"""Where output files go as they are produced: a staging folder on disk, or memory.

`strata compile` streams its output: each target's files are written into the staging folder
(compiler.output.write's `.<out>.strata-new`) as soon as the target is rendered, by whichever
process rendered it, and only their sha256 are kept (`Spool`). Callers that want the bytes
(tests, `compile_repo` without a folder) get a `MemorySink` with the same interface. Either
way the bytes come from compiler.output.assemble's functions; a sink only stores them.
"""
from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Protocol

from compiler.errors import StrataError

CHUNK = 1 << 20


class Sink(Protocol):
    hashes: dict[str, str]   # every file written so far (relative to out/) → its sha256

    def write(self, rel: str, data: bytes) -> str:
        """Store one file; returns its sha256."""

    def write_chunks(self, rel: str, chunks: Iterable[bytes]) -> str:
        """Store one file given in pieces, never all held at once (manifest.json); returns its sha256."""

    def copy(self, source: Path, rel: str, digest: str) -> None:
        """Store the file at `source` (out/, sha256 `digest` checked under the lock) as `rel`."""

    def read(self, rel: str) -> bytes:
        """A file stored earlier (manifest.json, to merge a partial compile's)."""

    def record(self, hashes: Mapping[str, str]) -> None:
        """Files another process wrote into the same folder."""


def write_file(path: Path, chunks: Iterable[bytes]) -> str:
    """The one place a staged file is written (tests/crash_points.py counts the calls); its sha256."""
    digest = hashlib.sha256()
    with open(path, "wb") as handle:
        for chunk in chunks:
            digest.update(chunk)
            handle.write(chunk)
    return digest.hexdigest()


def link_file(source: Path, path: Path) -> None:
    """A previous output file staged without copying its bytes (tests/crash_points.py counts these too)."""
    os.link(source, path)


def file_sha256(path: Path) -> str:
    """A file's sha256, read in chunks (output files are never all held in memory)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def copy_checked(sink: Sink, source: Path, rel: str, digest: str) -> None:
    """A previous output file into `sink`, one file at a time, refused if it is not what manifest.json says."""
    if sink.write(rel, source.read_bytes()) != digest:
        raise StrataError(f"{source} changed while strata was compiling (its sha256 is not the one "
                          "manifest.json records); compile again")


class Spool:
    """Files written under `folder` (which exists) as they come; only their sha256 are kept."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.hashes: dict[str, str] = {}
        self.placed = False   # files were placed unhashed: out/ cannot be compared by sha256
        self._made: set[str] = set()

    def write(self, rel: str, data: bytes) -> str:
        return self.write_chunks(rel, (data,))

    def write_chunks(self, rel: str, chunks: Iterable[bytes]) -> str:
        try:
            self.hashes[rel] = digest = write_file(self._path(rel), chunks)
        except OSError as exc:   # a full disk, say: in a render worker too, the same one-line error
            raise StrataError(f"cannot write {self.folder / rel}: {exc.strerror or exc}") from None
        return digest

    def copy(self, source: Path, rel: str, digest: str) -> None:
        """A hard link when the file system allows (the caller checked `digest` under the lock,
        and nothing but strata writes out/ then), else a checked copy."""
        try:
            link_file(source, self._path(rel))
        except OSError:
            copy_checked(self, source, rel, digest)
            return
        self.hashes[rel] = digest

    def place(self, source: Path, rel: str) -> None:
        """A file another step verified (`strata merge`: a shard's), linked or copied, not hashed."""
        path = self._path(rel)
        try:
            link_file(source, path)
        except OSError:              # another file system, or one without hard links
            shutil.copyfile(source, path)
        self.placed = True

    def read(self, rel: str) -> bytes:
        return (self.folder / rel).read_bytes()

    def record(self, hashes: Mapping[str, str]) -> None:
        self.hashes.update(hashes)

    def _path(self, rel: str) -> Path:
        parent = os.path.dirname(rel)
        if parent and parent not in self._made:
            os.makedirs(self.folder / parent, exist_ok=True)   # workers may make the same folder at once
            self._made.add(parent)
        return self.folder / rel


class MemorySink:
    """Files kept in memory (`files`), for callers that read the bytes rather than a folder."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.hashes: dict[str, str] = {}

    def write(self, rel: str, data: bytes) -> str:
        self.files[rel] = data
        self.hashes[rel] = digest = hashlib.sha256(data).hexdigest()
        return digest

    def write_chunks(self, rel: str, chunks: Iterable[bytes]) -> str:
        return self.write(rel, b"".join(chunks))

    def copy(self, source: Path, rel: str, digest: str) -> None:
        copy_checked(self, source, rel, digest)

    def read(self, rel: str) -> bytes:
        return self.files[rel]

    def record(self, hashes: Mapping[str, str]) -> None:
        raise TypeError("a MemorySink holds only what this process wrote")
