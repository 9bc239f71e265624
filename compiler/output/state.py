"""strata's own state: `.strata/` at the repository root (SPEC §7), never inside out/.

    .strata/.gitignore   `*`: the folder ignores itself, so git (and `strata plan`) never see it
    .strata/lock         held while a compile recovers or writes output (an flock: the kernel
                         releases it when strata exits, however it exits)
    .strata/swap.json    the journal of an output swap in progress (compiler.output.write)
    .strata/cache.json   what the output was last written with (compiler.output.cache)
    .strata/snapshot.bin every input of the last compile by its metadata, for the no-change
                         fast path (compiler.incremental.snapshot)
    .strata/clock        written as a compile starts: its stamp is the start by the clock that
                         stamps the repository's files (compiler.incremental.snapshot)
    .strata/delta.bin    every target's digest and what Jsonnet files read, for a delta compile
                         of changed resource files (compiler.incremental.delta)

Everything here but the lock and the journal is a cache: deleting `.strata/` (when no
compile is running) only makes the next compile slower.

Only `strata compile` and `strata docs generate` (its site is swapped in the same way) write
here (`strata publish` only takes the lock, to read out/ whole); `plan`, `validate` and
`explain` read nothing from it.
A pull request could commit `.strata/` anyway (`git add -f`), so nothing here is trusted
blindly: the folder and its files must not be symlinks, the journal may only name strata's
own temporary folders (compiler.output.write), the reuse stamp names the very file
strata wrote (compiler.output.cache), and the snapshot is sealed with a sha256 and the inode
of the file strata wrote (compiler.incremental.sealed).
"""
from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compiler.errors import StrataError

STATE_DIR = ".strata"
POLL_SECONDS = 0.05


@dataclass(frozen=True)
class State:
    root: Path   # the repository root

    @property
    def folder(self) -> Path:
        return self.root / STATE_DIR

    @property
    def journal(self) -> Path:
        return self.folder / "swap.json"

    @property
    def cache(self) -> Path:
        return self.folder / "cache.json"

    def ensure(self) -> Path:
        if self.folder.is_symlink() or (self.folder.exists() and not self.folder.is_dir()):
            raise StrataError(f"{self.folder} is not a folder (a symlink?); strata keeps its state only in a real "
                              ".strata/ folder at the repository root: remove it")
        try:
            self.folder.mkdir(exist_ok=True)
            ignore = self.folder / ".gitignore"
            if ignore.is_symlink() or not ignore.is_file():
                _replace(ignore, "*\n")
        except OSError as exc:
            raise StrataError(f"cannot create {self.folder} (strata's lock and cache): {exc.strerror or exc}") from None
        return self.folder

    @contextmanager
    def locked(self, timeout: float, waiting: Callable[[str], None] | None = None) -> Iterator[None]:
        """Hold `.strata/lock`; wait up to `timeout` seconds for another strata holding it, then fail."""
        path = self.ensure() / "lock"
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        except OSError as exc:
            raise StrataError(f"cannot open {path}: {exc.strerror or exc}") from None
        try:
            self._acquire(fd, path, timeout, waiting)
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            yield
        finally:
            os.close(fd)   # releases the lock

    def _acquire(self, fd: int, path: Path, timeout: float, waiting: Callable[[str], None] | None) -> None:
        deadline = time.monotonic() + timeout
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                holder = _holder(path)
                if time.monotonic() >= deadline:
                    raise StrataError(f"another strata compile ({holder}) is writing this repository's output; "
                                      f"gave up after waiting {timeout:g} s for {path} (strata.yaml lockTimeoutSeconds); "
                                      "run it again when that one has finished") from None
                if waiting is not None and not told:
                    waiting(holder)
                    told = True
                time.sleep(POLL_SECONDS)

    def read_journal(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.journal.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise StrataError(f"cannot read {self.journal} ({exc}); it records an output swap that was "
                              "interrupted: check the output folder, then delete the file") from None

    def write_journal(self, record: dict[str, Any]) -> None:
        _replace(self.journal, json.dumps(record, sort_keys=True) + "\n")

    def clear_journal(self) -> None:
        self.journal.unlink(missing_ok=True)

    def read_cache(self) -> dict[str, Any] | None:
        try:
            found = json.loads(self.cache.read_text())
        except (OSError, ValueError):
            return None
        return found if isinstance(found, dict) else None

    def write_cache(self, record: dict[str, Any]) -> None:
        self.ensure()
        _replace(self.cache, json.dumps(record, sort_keys=True) + "\n")

    def clear_cache(self) -> None:
        """Forget what out/ was written with (about to change): no reuse, no no-change fast path."""
        from compiler.incremental import delta, snapshot

        self.cache.unlink(missing_ok=True)
        snapshot.forget(str(self.folder))
        delta.forget(str(self.folder))


def _holder(path: Path) -> str:
    try:
        pid = path.read_text().strip()
    except OSError:
        pid = ""
    return f"pid {pid}" if pid.isdigit() else "another process"


def _replace(path: Path, text: str) -> None:
    """Write a small file atomically (a reader, or a killed writer, never leaves half of it),
    replacing a symlink of that name rather than writing through it."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.unlink(missing_ok=True)
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(temporary, path)
