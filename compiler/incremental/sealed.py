"""The format of strata's binary state files: header, sha256 of the payload, marshal payload.

The header names the kind of file, this format's version and the Python that wrote it
(marshal's format is Python's), and the device and inode of the file itself: `.strata/`
may be committed (`git add -f`), copied or edited, and a file that is not the very one
strata wrote here (a checkout or a copy is a new inode), or whose payload does not match
its hash, reads as None before marshal ever sees its bytes.
"""
from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import sys
from typing import Any

FORMAT = 1
MAGIC = b"strata-state"
_PYTHON = f"{sys.implementation.name}-{sys.version_info[0]}.{sys.version_info[1]}-m{marshal.version}"


def _header(kind: str, info: os.stat_result) -> bytes:
    return b"%s\0%s\0%d\0%s\0%d:%d\0" % (MAGIC, kind.encode(), FORMAT, _PYTHON.encode(), info.st_dev, info.st_ino)


def read_sealed(path: str, kind: str) -> object | None:
    """The payload of a sealed file, or None when it is absent, not strata's, of another format or
    Python, not the file strata wrote, or damaged."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as handle:
            header = _header(kind, os.fstat(handle.fileno()))
            data = handle.read()
    except OSError:
        return None
    digest, body = data[len(header):len(header) + 32], data[len(header) + 32:]
    if not data.startswith(header) or hashlib.sha256(header + body).digest() != digest:
        return None
    try:
        return marshal.loads(body)
    except (EOFError, ValueError, TypeError):
        return None


def write_sealed(path: str, kind: str, payload: Any) -> None:
    """Write atomically (a temporary file renamed over `path`); the header names the new file's inode."""
    body = marshal.dumps(payload)
    temporary = path + ".tmp"
    with contextlib.suppress(FileNotFoundError):
        os.unlink(temporary)
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "wb") as handle:
        header = _header(kind, os.fstat(handle.fileno()))
        handle.write(header + hashlib.sha256(header + body).digest() + body)
    os.replace(temporary, path)   # a rename keeps the inode the header names
