"""The child the server forks for one connection: it becomes the client's process, then runs the CLI.

`handle` reads the request and the client's fds, answers `status` and `stop` itself, and for a
command: refuses a client whose strata, Python or start-up environment differs from the
daemon's (the client then runs the command itself), takes the client's inheritance
(compiler/daemon/context.py), says `P` with its pid and raises `Forked`. That unwinds the
server's frames up to compiler/launch.py `run_here`, which runs `compiler.cli.main` exactly as
a `strata` process without a daemon does (`run_command`); the server sends its wait status to
the client. Nothing of a request outlives its child, so no state can reach the next command.
"""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn

from compiler.daemon import context, protocol

if TYPE_CHECKING:
    from compiler.daemon.server import Server

RECEIVE_SECONDS = 60       # a client that connects and sends nothing only holds its own child
CLIENT_FDS = 4             # stdin, stdout, stderr, working folder


class Forked(BaseException):
    """This process is a daemon's child that has become the client's: unwind to `run_here`
    (a BaseException, so that no handler on the way takes it for an error)."""


def handle(conn: socket.socket, server: Server) -> NoReturn:
    """In the child just forked for `conn`: raises Forked to run a command, else ends here."""
    os.setpgid(0, 0)                # its own process group: the client's signals reach its workers too
    server.close_in_child()
    try:
        request, fds = _receive(conn)
        kind = request.get("kind", [b""])[0]
        if kind == b"status":
            _answer(conn, protocol.INFO, server.status())
        if kind == b"stop":
            os.kill(os.getppid(), signal.SIGTERM)
            _answer(conn, protocol.STOPPING, str(os.getppid()))
        reason = _refusal(request, server)
        if reason:
            _answer(conn, protocol.REFUSED, reason)
        context.become(request, fds)
    except context.Refused as refused:
        _answer(conn, protocol.REFUSED, str(refused))
    except (ValueError, OSError) as error:    # not a strata client, or one that went away
        print(f"strata daemon: ignored a connection: {error}", file=sys.stderr)
        _answer(conn, protocol.REFUSED, str(error))
    except Exception as error:       # a bug here must never cost the client its command: it runs it itself
        traceback.print_exc()
        _answer(conn, protocol.REFUSED, f"internal error in the daemon: {type(error).__name__}: {error}")
    # Until this process ends, the client can tell it is alive even if the server is gone.
    os.dup(conn.fileno())
    try:
        conn.sendall(protocol.reply(protocol.STARTED, str(os.getpid())))
    except OSError:
        os._exit(1)                   # the client is gone: nobody to run the command for
    conn.close()
    raise Forked


def run_command(main: Callable[[], object]) -> NoReturn:
    """Run the CLI and end as Python's own exit ends a process (Py_FinalizeEx): non-daemon threads
    joined (thread pools too), atexit handlers run, stdout and stderr flushed (exit status 120 if
    that fails), SystemExit's code as the status. Then it leaves without freeing every object, the
    one step skipped: that would write to each page shared with the server and copy it (~25 ms).
    Files are closed by the code that opens them (`with`), never left to the end of the process."""
    try:
        main()
        status = 0
    except SystemExit as end:
        status = _status_of(end.code)
    except BaseException:
        sys.excepthook(*sys.exc_info())
        status = 1
    import atexit
    import threading

    threading._shutdown()      # type: ignore[attr-defined]  # what Py_FinalizeEx calls first
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception as error:
            status = 120
            print(f"Exception ignored in: {stream!r}", *traceback.format_exception_only(error), sep="\n",
                  end="", file=sys.__stderr__)
    os._exit(status)


def _status_of(code: object) -> int:
    """The exit status Python gives a SystemExit that reaches the top (its text printed if it is not a number)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def _receive(conn: socket.socket) -> tuple[dict[str, list[bytes]], list[int]]:
    signal.alarm(RECEIVE_SECONDS)     # SIGALRM's default ends this child
    head, fds, flags, _ = socket.recv_fds(conn, protocol.HEADER_SIZE, CLIENT_FDS + 1)
    if not head:
        raise ValueError("the client sent nothing")
    head += protocol.read_exact(conn, protocol.HEADER_SIZE - len(head)) or b""
    payload = protocol.read_exact(conn, protocol.payload_length(head)) or b""
    signal.alarm(0)
    request = protocol.decode(payload)
    if request.get("kind") == [b"run"] and (len(fds) != CLIENT_FDS or flags & socket.MSG_CTRUNC):
        raise context.Refused(f"expected {CLIENT_FDS} file descriptors, got {len(fds)}")
    return request, fds


def _refusal(request: dict[str, list[bytes]], server: Server) -> str | None:
    if request.get("fingerprint") != [server.fingerprint]:
        if protocol.fingerprint() != server.fingerprint:     # this daemon's own install changed: it is useless now
            os.kill(os.getppid(), signal.SIGUSR1)
        return "strata, its files or its Python differ from the daemon's"
    return context.refusal(request, os.environb)


def _answer(conn: socket.socket, tag: bytes, text: str) -> NoReturn:
    with contextlib.suppress(OSError):
        conn.sendall(protocol.reply(tag, text))
    sys.stderr.flush()
    os._exit(0)
