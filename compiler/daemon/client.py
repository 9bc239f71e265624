"""The client side of every `strata` command (compiler/launch.py): hand the command to the daemon.

`run` connects to the socket, checks that the daemon is this user's, sends the request (the
fingerprint, what this process inherited, compiler/daemon/context.py) with fds 0/1/2 and the
working folder, and waits: `P` is the child that now runs the command (signals sent to this
process go to its process group), `W` its wait status, which this process then ends with (an exit
code, or the same signal). A refusal, or no daemon at all, returns None and the caller runs the
command itself; no command is ever run twice (the child says `P` before it starts).
"""
from __future__ import annotations

import os
import signal
import socket
import struct
import sys

from compiler.daemon import context, protocol

TYPE_CHECKING = False   # the client imports no `typing` (compiler/launch.py)
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)
_CREDENTIALS = struct.Struct("3i")   # struct ucred: pid, uid, gid


def run(argv: list[str], environ: Mapping[str, str]) -> int | None:
    """The wait status of `argv` run by the daemon; None when no daemon may run it."""
    sock = connect(protocol.runtime_folder(environ))
    if sock is None:
        return None
    with sock:
        sections = context.capture(argv)      # before the forwarder changes this process's handlers
        forwarder = Forwarder({int(n) for n in sections["ignored"]})
        try:
            pid = _send(sock, sections, environ)
        except OSError:
            pid = None
        if pid is None:
            forwarder.restore()
            return None
        forwarder.start(pid)
        while True:
            answer = protocol.read_reply(sock)
            if answer is None:
                print(f"strata: the daemon ended while it ran this command (pid {pid}); its exit status is unknown",
                      file=sys.stderr)
                return 1 << 8
            if answer[0] == protocol.WAIT_STATUS:
                return int(answer[1])


def exit_as(status: int) -> None:
    """End this process as the child ended: its exit code, or killed by the same signal."""
    code = os.waitstatus_to_exitcode(status)
    if code >= 0:
        sys.exit(code)
    signal.signal(-code, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [-code])
    os.kill(os.getpid(), -code)
    sys.exit(128 - code)     # a signal whose default is not to end the process


def connect(folder: str) -> socket.socket | None:
    """A connection to this user's daemon in `folder`, or None (no daemon, or not one to trust)."""
    if not protocol.is_private(folder) or not hasattr(socket, "SO_PEERCRED"):
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(os.path.join(folder, protocol.SOCKET_NAME))
        _, uid, _ = _CREDENTIALS.unpack(sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _CREDENTIALS.size))
        if uid == os.geteuid():
            return sock
    except OSError:
        pass
    sock.close()
    return None


def ask(folder: str, kind: str) -> tuple[bytes, str] | None:
    """`status` or `stop`: the daemon's answer, None when none runs."""
    sock = connect(folder)
    if sock is None:
        return None
    with sock:
        payload = protocol.encode({"kind": [kind.encode()]})
        sock.sendall(protocol.header(len(payload)) + payload)
        return protocol.read_reply(sock)


def _send(sock: socket.socket, sections: dict[str, list[bytes]], environ: Mapping[str, str]) -> int | None:
    """Send the request; the child's pid once it runs the command, None if it refused."""
    payload = protocol.encode({"kind": [b"run"], "fingerprint": [protocol.fingerprint()], **sections})
    here = os.open(".", os.O_PATH | os.O_DIRECTORY)
    try:
        socket.send_fds(sock, [protocol.header(len(payload))], [0, 1, 2, here])
    finally:
        os.close(here)
    sock.sendall(payload)
    answer = protocol.read_reply(sock)
    if answer is not None and answer[0] == protocol.STARTED:
        return int(answer[1])
    if answer is not None and environ.get("STRATA_DEBUG"):
        print(f"strata: not run by the daemon: {answer[1]}", file=sys.stderr)
    return None


class Forwarder:
    """Signals to this process go to the child's process group, as a terminal sends them to the
    foreground group of a command run without the daemon; one that arrives before the child is
    known waits for it (or, if the command runs here after all, is raised here again)."""

    def __init__(self, ignored: set[int]):
        self.pid: int | None = None
        self.pending: list[int] = []
        self.previous: dict[int, Any] = {
            number: signal.signal(number, self._forward) for number in FORWARDED if number not in ignored}
        if signal.SIGTSTP not in ignored:
            self.previous[signal.SIGTSTP] = signal.signal(signal.SIGTSTP, self._suspend)

    def start(self, pid: int) -> None:
        self.pid = pid
        for number in self.pending:
            self._send(number)

    def restore(self) -> None:
        for number, handler in self.previous.items():
            signal.signal(number, handler)
        for number in self.pending:
            os.kill(os.getpid(), number)

    def _forward(self, number: int, frame: object) -> None:
        if self.pid is None:
            self.pending.append(number)
        else:
            self._send(number)

    def _suspend(self, number: int, frame: object) -> None:
        """Ctrl-Z: the child's group stops, then this process; `fg` continues both."""
        self._send(signal.SIGTSTP)
        signal.signal(signal.SIGTSTP, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTSTP)          # stopped here until SIGCONT
        signal.signal(signal.SIGTSTP, self._suspend)
        self._send(signal.SIGCONT)

    def _send(self, number: int) -> None:
        if self.pid is not None:
            try:
                os.killpg(self.pid, number)
            except ProcessLookupError:     # already gone: its status is on its way
                return
