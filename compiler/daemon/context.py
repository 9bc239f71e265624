"""What a process inherits from whoever starts it, captured by the client and made the child's own.

A forked child is the daemon's copy; it becomes the client's fresh process by taking, from the
request, everything exec would have given that process: argv, the environment, the working
folder (as an fd: the very folder, even one since renamed or deleted), the umask, fds 0/1/2 and
Python's streams on them (rebuilt as Python builds them at start-up), the resource limits, the
CPU affinity (which `-j` reads), the nice value, the signal mask and the signals ignored at
start. What a child cannot take (another user, other groups, another mount/pid/network
namespace, environment variables read only when a process starts or a preloaded module was
imported) is compared instead: when it differs, the child refuses and the client runs the
command itself.

`capture` runs in the client, so it imports only os, sys, signal and resource.
"""
from __future__ import annotations

import io
import os
import signal
import sys
from collections.abc import Mapping

TYPE_CHECKING = False   # the client imports no `typing` (compiler/launch.py)
if TYPE_CHECKING:
    from typing import Any

# Environment variables read only when a process starts (Python, glibc's loader and malloc, OpenSSL
# when hashlib loads it, Go's runtime when Helm's library loads: it reads the environment the process
# started with, never os.environ) or when a module the daemon preloads is imported (pydantic-core,
# ruamel.yaml, the time module's TZ). A child's differing value would not be seen: such a client is refused.
STARTUP_NAMES = frozenset({"LANG", "LANGUAGE", "TZ", "TMPDIR", "GLIBC_TUNABLES", "GOGC", "GOMAXPROCS", "GODEBUG",
                           "GOMEMLIMIT", "GOTRACEBACK", "RUAMEL_DEBUG", "YAMLDEBUG"})
STARTUP_PREFIXES = ("PYTHON", "PYDANTIC", "LC_", "LD_", "MALLOC_", "OPENSSL_", "HELM_")
NAMESPACES = ("ipc", "mnt", "net", "pid", "user", "uts")
STREAMS = (("stdin", 0, False), ("stdout", 1, True), ("stderr", 2, True))


class Refused(Exception):
    """The child cannot be the client's process; the message says why (the client runs the command itself)."""


def capture(argv: list[str]) -> dict[str, list[bytes]]:
    """This process's inheritance, as request sections (before it handles any signal itself)."""
    import resource

    mask = os.umask(0)
    os.umask(mask)
    ignored = [n for n in signal.valid_signals() if _ignored(n)]
    limits = [f"{r} {' '.join(map(str, resource.getrlimit(r)))}" for r in _limits(resource)]
    return {
        "argv": [os.fsencode(a) for a in argv],
        "orig_argv": [os.fsencode(a) for a in sys.orig_argv],
        "env": [key + b"=" + value for key, value in os.environb.items()],
        "umask": [b"%d" % mask],
        "ignored": [b"%d" % n for n in ignored],
        "blocked": [b"%d" % n for n in signal.pthread_sigmask(signal.SIG_BLOCK, ())],
        "limits": [line.encode() for line in limits],
        "cpus": [b"%d" % cpu for cpu in sorted(os.sched_getaffinity(0))],
        "nice": [b"%d" % os.getpriority(os.PRIO_PROCESS, 0)],
        "ids": [identity().encode()],
        "places": [line.encode() for line in places()],
        "streams": [_stream_settings(getattr(sys, name)).encode() for name, _, _ in STREAMS],
    }


def _stream_settings(stream) -> str:
    """What Python's start-up chose for a standard stream: from the locale, PYTHONIOENCODING, -u."""
    return f"{stream.encoding} {stream.errors} {int(stream.write_through)}"


def _ignored(number: int) -> bool:
    try:
        return signal.getsignal(number) == signal.SIG_IGN
    except ValueError:
        return False


def _limits(resource) -> list[int]:
    return sorted(getattr(resource, name) for name in dir(resource) if name.startswith("RLIMIT_"))


def identity() -> str:
    """The ids file access is checked with: the same user is not enough, a client may have other groups."""
    return " ".join(map(str, (os.getuid(), os.geteuid(), os.getgid(), os.getegid(), *sorted(os.getgroups()))))


def places() -> list[str]:
    """The namespaces and root folder this process sees the system through."""
    found = []
    for name in NAMESPACES:
        try:
            found.append(f"{name} {os.readlink(f'/proc/self/ns/{name}')}")
        except OSError:
            found.append(f"{name} ?")
    root = os.stat("/")
    return [*found, f"root {root.st_dev} {root.st_ino}"]


def startup_variables(environ: Mapping[bytes, bytes]) -> dict[bytes, bytes]:
    return {key: value for key, value in environ.items()
            if key.decode("latin-1") in STARTUP_NAMES or key.decode("latin-1").startswith(STARTUP_PREFIXES)}


def environment(request: Mapping[str, list[bytes]]) -> dict[bytes, bytes]:
    pairs = (item.partition(b"=") for item in request["env"])
    return {key: value for key, _, value in pairs}


def refusal(request: Mapping[str, list[bytes]], own_environ: Mapping[bytes, bytes]) -> str | None:
    """Why this process cannot become the client's (what it cannot take, compared), or None."""
    theirs, ours = startup_variables(environment(request)), startup_variables(own_environ)
    differing = sorted(key.decode("latin-1") for key in theirs.keys() | ours.keys() if theirs.get(key) != ours.get(key))
    if differing:
        return f"environment variables read at start-up differ from the daemon's: {', '.join(differing)}"
    if request["ids"] != [identity().encode()]:
        return "the client's user or groups differ from the daemon's"
    if request["places"] != [line.encode() for line in places()]:
        return "the client sees another root or namespace than the daemon"
    return None


def become(request: Mapping[str, list[bytes]], fds: list[int]) -> None:
    """Make this process the client's: `fds` are its stdin, stdout, stderr and working folder.
    What may fail comes first and raises Refused, before anything the client would notice."""
    import codecs
    import resource

    try:
        streams = [_settings(line.decode()) for line in request["streams"]]
        for encoding, _, _ in streams:
            codecs.lookup(encoding)
        os.fchdir(fds[3])
        for line in request["limits"]:
            kind, soft, hard = map(int, line.split())
            if resource.getrlimit(kind) != (soft, hard):
                resource.setrlimit(kind, (soft, hard))
        os.sched_setaffinity(0, [int(cpu) for cpu in request["cpus"]])
        nice = int(request["nice"][0])
        if os.getpriority(os.PRIO_PROCESS, 0) != nice:
            os.setpriority(os.PRIO_PROCESS, 0, nice)
        umask, ignored, blocked = int(request["umask"][0]), _numbers(request["ignored"]), _numbers(request["blocked"])
    except (OSError, ValueError, LookupError) as error:
        raise Refused(f"cannot take the client's streams, working folder, limits, CPUs or priority: {error}") from None
    os.close(fds[3])
    os.umask(umask)
    _signals(ignored, blocked)
    os.environb.clear()
    os.environb.update(environment(request))
    sys.argv = [os.fsdecode(a) for a in request["argv"]]
    sys.orig_argv = [os.fsdecode(a) for a in request["orig_argv"]]
    _streams(fds[:3], streams)


def _settings(line: str) -> tuple[str, str, bool]:
    encoding, errors, write_through = line.split(" ")
    return encoding, errors, write_through == "1"


def _numbers(items: list[bytes]) -> set[int]:
    return {int(item) for item in items}


def _streams(fds: list[int], settings: list[tuple[str, str, bool]]) -> None:
    """fds 0/1/2 become the client's, and sys.stdin/stdout/stderr are built on them as Python's
    start-up builds them (pylifecycle.c create_stdio): line-buffered on a terminal (stderr always),
    unbuffered under -u, the client's encoding and error handler."""
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        if stream is not None:
            stream.flush()     # anything the server wrote goes to its log, not to the client
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    for (name, fd, writing), (encoding, errors, write_through) in zip(STREAMS, settings, strict=True):
        stream = _stream(fd, writing, not write_through, encoding, errors)
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)


def _signals(ignored: set[int], blocked: set[int]) -> None:
    """The dispositions a fresh Python has: what its starter ignored stays ignored, SIGINT raises
    KeyboardInterrupt, the rest default (the server's own handlers are gone)."""
    signal.set_wakeup_fd(-1)
    for number in signal.valid_signals():
        if number in (signal.SIGKILL, signal.SIGSTOP):
            continue
        handler = signal.SIG_IGN if number in ignored else (
            signal.default_int_handler if number == signal.SIGINT else signal.SIG_DFL)
        try:
            signal.signal(number, handler)
        except (OSError, ValueError):   # the C library's own real-time signals
            continue
    signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def _stream(fd: int, writing: bool, buffered: bool, encoding: str, errors: str) -> io.TextIOWrapper:
    """One standard stream, as Python makes it: open() on the fd (a buffer sized by st_blksize), named
    `<stdout>`, line-buffered on a terminal or for stderr, written through under -u. It lives as
    long as the process (Python never closes it either)."""
    binary: io.BufferedReader | io.BufferedWriter | io.FileIO
    if not writing:
        binary = open(fd, "rb", closefd=False)  # noqa: SIM115
    elif buffered:
        binary = open(fd, "wb", closefd=False)  # noqa: SIM115
    else:
        binary = open(fd, "wb", 0, closefd=False)  # noqa: SIM115
    raw: Any = binary if isinstance(binary, io.FileIO) else binary.raw
    raw.name = ("<stdin>", "<stdout>", "<stderr>")[fd]
    stream = io.TextIOWrapper(binary, encoding, errors, "\n", buffered and (raw.isatty() or fd == 2), not buffered)
    stream.mode = "w" if writing else "r"   # type: ignore[misc]  # settable, and set by Python's start-up
    return stream
