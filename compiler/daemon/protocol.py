"""Where the daemon listens, which daemon may serve a client, and the bytes between them.

Imported by the client (compiler/launch.py) on every `strata` command: the standard library's
os, stat, struct and sys only.

A request is one header (MAGIC and the payload's length, sent with the client's fds as
SCM_RIGHTS) and a payload of named sections, each a list of byte strings. Every reply is a
tag, a length and a payload: `P` the child's pid (it runs the command), `R` a refusal and why
(the client runs the command itself), `W` the child's wait status (sent by the server when it
reaps the child), `I` the text of `strata daemon status`, `K` the server's pid when it stops.
"""
from __future__ import annotations

import os
import stat
import struct
import sys
from collections.abc import Mapping

FOLDER_VARIABLE = "STRATA_DAEMON_DIR"     # the runtime folder, instead of the per-user default
OFF_VARIABLE = "STRATA_NO_DAEMON"         # set (non-empty): every command runs in its own process
SOCKET_NAME, LOCK_NAME, LOG_NAME = "daemon.sock", "daemon.lock", "daemon.log"

MAGIC = b"strata-daemon/1\n"
MAX_REQUEST = 64 * 1024 * 1024            # an environment is rarely above 100 KiB
STARTED, REFUSED, WAIT_STATUS, INFO, STOPPING = b"P", b"R", b"W", b"I", b"K"
_LENGTH = struct.Struct(">I")
HEADER_SIZE = len(MAGIC) + _LENGTH.size


def runtime_folder(environ: Mapping[str, str]) -> str:
    """`$STRATA_DAEMON_DIR`, else `$XDG_RUNTIME_DIR/strata`, else `/tmp/strata-<uid>`."""
    if environ.get(FOLDER_VARIABLE):
        return environ[FOLDER_VARIABLE]
    if environ.get("XDG_RUNTIME_DIR"):
        return os.path.join(environ["XDG_RUNTIME_DIR"], "strata")
    return f"/tmp/strata-{os.geteuid()}"


def is_private(folder: str) -> bool:
    """A folder (not a link to one) of this user's that nobody else may enter: the only kind
    whose socket can be trusted to lead to this user's own daemon."""
    try:
        info = os.lstat(folder)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid() and info.st_mode & 0o077 == 0


def fingerprint() -> bytes:
    """Everything a daemon's preloaded state depends on: strata's version and files (their size
    and mtime: an edited or upgraded install never talks to an old daemon), the interpreter,
    its flags and module path, and the folders on that path (installing a package changes
    site-packages' mtime). Client and server must compute the same bytes (~2 ms)."""
    import compiler

    package = os.path.dirname(os.path.abspath(compiler.__file__))
    facts = [compiler.__version__, package, sys.executable, repr(sys.path), repr(tuple(sys.flags)),
             repr(sys.warnoptions), repr(sorted(sys._xoptions.items())), sys.getfilesystemencoding(),
             sys.getfilesystemencodeerrors()]
    facts += [f"{entry} {_mtime(entry)}" for entry in sys.path]
    for folder in (package, os.path.join(os.path.dirname(package), "schemas")):
        facts += sorted(_files(folder, folder))
    return "\0".join(facts).encode("utf-8", "surrogateescape")


def _mtime(path: str) -> int:
    try:
        return os.stat(path or ".").st_mtime_ns
    except OSError:
        return -1


def _files(folder: str, root: str) -> list[str]:
    """`path mtime size` of every file below `folder` (bytecode caches left out; `path` relative to
    `root`, which `folder` is or is below)."""
    found: list[str] = []
    skip = len(root) + 1
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if entry.name != "__pycache__":
                    found += _files(entry.path, root)
            else:
                info = entry.stat(follow_symlinks=False)
                found.append(f"{entry.path[skip:]} {info.st_mtime_ns} {info.st_size}")
    return found


def encode(sections: Mapping[str, list[bytes]]) -> bytes:
    parts = [_LENGTH.pack(len(sections))]
    for name, items in sections.items():
        parts += [_field(name.encode()), _LENGTH.pack(len(items)), *map(_field, items)]
    return b"".join(parts)


def decode(data: bytes) -> dict[str, list[bytes]]:
    """The sections of a payload; ValueError if it is not one `encode` made."""
    reader = _Reader(data)
    sections = {}
    for _ in range(reader.count()):
        name = reader.field().decode()
        sections[name] = [reader.field() for _ in range(reader.count())]
    if reader.offset != len(data):
        raise ValueError("trailing bytes after the request")
    return sections


def header(length: int) -> bytes:
    return MAGIC + _LENGTH.pack(length)


def payload_length(head: bytes) -> int:
    """The payload length a header announces; ValueError for anything but a strata client's header."""
    if len(head) != HEADER_SIZE or not head.startswith(MAGIC):
        raise ValueError("not a strata client")
    length = _LENGTH.unpack_from(head, len(MAGIC))[0]
    if length > MAX_REQUEST:
        raise ValueError(f"request of {length} bytes")
    return length


def reply(tag: bytes, text: str = "") -> bytes:
    data = text.encode("utf-8", "surrogateescape")
    return tag + _LENGTH.pack(len(data)) + data


def read_reply(sock) -> tuple[bytes, str] | None:
    """The next reply on `sock` (tag, text); None at the end of the connection."""
    head = read_exact(sock, 1 + _LENGTH.size)
    if head is None:
        return None
    data = read_exact(sock, _LENGTH.unpack_from(head, 1)[0])
    return None if data is None else (head[:1], data.decode("utf-8", "surrogateescape"))


def read_exact(sock, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _field(data: bytes) -> bytes:
    return _LENGTH.pack(len(data)) + data


class _Reader:
    def __init__(self, data: bytes):
        self.data, self.offset = data, 0

    def count(self) -> int:
        if self.offset + _LENGTH.size > len(self.data):
            raise ValueError("truncated request")
        value = _LENGTH.unpack_from(self.data, self.offset)[0]
        self.offset += _LENGTH.size
        return value

    def field(self) -> bytes:
        size = self.count()
        if self.offset + size > len(self.data):
            raise ValueError("truncated request")
        value = self.data[self.offset:self.offset + size]
        self.offset += size
        return value
