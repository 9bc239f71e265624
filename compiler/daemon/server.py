"""`strata daemon start`: a detached process that has imported strata and forks one child per command.

`start` takes the runtime folder's lock (one daemon per folder; a daemon that died leaves its
socket, which the next `start` removes), forks twice and waits for the server to be ready.
The server: a session of its own, `/` as working folder, stdin from /dev/null, stdout and stderr
into the log; it imports every module of compiler/ and schemas/, builds every spec model's
validator that pydantic defers, freezes the lot out of the collector's sight (the children share
those pages), then listens. It never imports `helm_python`, whose Go runtime does not survive a
fork (the children load Helm themselves), nor anything that reads the environment at import
time, and it never reads a repository.

Per connection: the peer's uid (SO_PEERCRED) must be this user's, then a child is forked
(compiler/daemon/child.py) in a process group of its own. The server keeps its end of the
connection to send the child's wait status when it reaps it, and kills the child's group if the
client hangs up first (a client killed by SIGKILL). It ends on `stop` (SIGTERM), when its own
install changes (SIGUSR1, from a child that found out), or after `idle` seconds without a
command; it then stops listening, waits for the commands that run, and exits.
"""
from __future__ import annotations

import contextlib
import fcntl
import gc
import os
import select
import signal
import socket
import struct
import sys
import time
import traceback
from dataclasses import dataclass, field

from compiler import __version__
from compiler.daemon import protocol
from compiler.daemon.child import Forked, handle
from compiler.errors import StrataError

IDLE_SECONDS = 3 * 3600
BACKLOG = 64
SKIPPED = frozenset({"compiler.load.jsonnet_worker"})          # a script, run in a process of its own
NEVER_LOADED = ("helm_python", "kubernetes", "argo_workflows")  # Go's runtime; clients that read $KUBECONFIG at import
# Standard-library modules the commands import when they first need them (a compile's render
# workers, plan's git and temporary folders): imported once here, never per command.
WARM = ("multiprocessing", "multiprocessing.connection", "multiprocessing.popen_fork", "concurrent.futures",
        "concurrent.futures.thread", "subprocess", "tempfile", "shutil", "difflib", "ctypes", "selectors")
_CREDENTIALS = struct.Struct("3i")   # struct ucred: pid, uid, gid
_HUNG_UP = select.POLLHUP | select.POLLERR | getattr(select, "POLLRDHUP", 0)


class DaemonError(StrataError):
    """The daemon cannot start (one runs already, an unsafe folder, a failed preload)."""


@dataclass
class Server:
    """The server's own state (a mutable record of one process, never shared with a command)."""

    folder: str
    fingerprint: bytes
    idle: float
    lock: int
    listener: socket.socket | None = None
    wake: tuple[int, int] = (-1, -1)
    children: dict[int, socket.socket] = field(default_factory=dict)   # pid → its connection
    started: float = field(default_factory=time.time)
    served: int = 0
    stopping: str = ""

    @property
    def socket_path(self) -> str:
        return os.path.join(self.folder, protocol.SOCKET_NAME)

    def close_in_child(self) -> None:
        """A child holds nothing of the server's: not its signal handlers (a signal must not write into
        a closed, soon reused, wake-up fd), the listener, the lock or other clients' connections."""
        signal.set_wakeup_fd(-1)
        for number in (signal.SIGCHLD, signal.SIGTERM, signal.SIGUSR1, signal.SIGHUP):
            signal.signal(number, signal.SIG_DFL)
        for conn in self.children.values():
            conn.close()
        if self.listener is not None:
            self.listener.close()
        for fd in (*self.wake, self.lock):
            os.close(fd)

    def status(self) -> str:
        loaded = ", ".join(name for name in NEVER_LOADED if name in sys.modules) or "none"
        return "\n".join([
            f"pid: {os.getpid()}", f"socket: {self.socket_path}", f"version: {__version__}",
            f"package: {os.path.dirname(os.path.dirname(os.path.abspath(__file__)))}",
            f"up: {_duration(time.time() - self.started)}", f"idle timeout: {_duration(self.idle)}",
            f"commands served: {self.served}", f"commands running: {len(self.children)}",
            f"modules loaded: {len(sys.modules)}", f"of {', '.join(NEVER_LOADED)} loaded: {loaded}"])


def start(folder: str, idle: float = IDLE_SECONDS) -> int:
    """Start a daemon serving `folder`'s socket; its pid once it listens. DaemonError if it cannot."""
    if not hasattr(socket, "SO_PEERCRED") or not hasattr(os, "sched_getaffinity"):
        raise DaemonError("strata daemon needs Linux (SO_PEERCRED)")
    private_folder(folder)
    lock = os.open(os.path.join(folder, protocol.LOCK_NAME), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(lock)
        raise DaemonError(f"a strata daemon is already running ({os.path.join(folder, protocol.SOCKET_NAME)}); "
                          "`strata daemon stop` ends it") from None
    server = Server(folder, protocol.fingerprint(), idle, lock)
    ready, told = os.pipe()
    first = os.fork()
    if first == 0:
        os.close(ready)
        _detach_and_serve(server, told)
    os.close(told)
    os.close(lock)          # the server holds the lock through its own copy
    os.waitpid(first, 0)
    with os.fdopen(ready, "rb") as pipe:
        answer = pipe.read().decode(errors="replace")
    if not answer.startswith("ready "):
        raise DaemonError(f"strata daemon did not start: {answer.strip() or 'it ended at once'} "
                          f"(see {os.path.join(folder, protocol.LOG_NAME)})")
    return int(answer.split()[1])


def private_folder(folder: str) -> None:
    """Make `folder` (mode 0700), or check that an existing one is this user's alone."""
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
    except OSError as error:
        raise DaemonError(f"cannot make the daemon's folder {folder}: {error}") from None
    if not protocol.is_private(folder):
        raise DaemonError(f"{folder} must be a folder of this user's that nobody else may enter (mode 0700)")


def peer_allowed(credentials: bytes, uid: int) -> bool:
    """Whether SO_PEERCRED's `credentials` are those of a process running as `uid`."""
    return len(credentials) == _CREDENTIALS.size and _CREDENTIALS.unpack(credentials)[1] == uid


def _detach_and_serve(server: Server, told: int) -> None:
    """The first child: a new session, then the server in its child (never a session leader, so
    it cannot acquire a terminal). Returns only by raising Forked, in a command's child."""
    try:
        os.setsid()
        if os.fork() != 0:
            os._exit(0)
        _daemonize(server.folder)
        preload()
        server.listener = _listen(server.socket_path)
        os.write(told, f"ready {os.getpid()}".encode())
    except BaseException as error:
        traceback.print_exc()
        os.write(told, f"{type(error).__name__}: {error}".encode())
        os._exit(1)
    os.close(told)
    _log(f"started: pid {os.getpid()}, strata {__version__}, {len(sys.modules)} modules loaded")
    try:
        serve(server)
    except Forked:
        raise
    except BaseException:
        traceback.print_exc()
        os._exit(1)
    _log(f"stopped: {server.stopping}")
    os._exit(0)


def _daemonize(folder: str) -> None:
    os.chdir("/")
    os.umask(0o077)
    log = os.open(os.path.join(folder, protocol.LOG_NAME), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    null = os.open(os.devnull, os.O_RDONLY)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(null)
    os.close(log)


def preload() -> None:
    """Import what every command needs and build what pydantic defers, once; then freeze it all."""
    import importlib
    import pkgutil

    import compiler
    import schemas

    for package in (compiler, schemas):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if module.name not in SKIPPED:
                importlib.import_module(module.name)
    for name in WARM:
        importlib.import_module(name)
    _build_validators()
    _fill_caches()
    loaded = [name for name in NEVER_LOADED if name in sys.modules]
    if loaded:
        raise RuntimeError(f"preloading imported {', '.join(loaded)}, which a daemon must never load")
    gc.collect()
    gc.freeze()     # the children's collections never scan (and so never copy) these pages


def _build_validators() -> None:
    from pydantic import BaseModel

    pending = [BaseModel]
    while pending:
        for model in pending.pop().__subclasses__():
            pending.append(model)
            if model.__module__.startswith(("compiler.", "schemas.")) and not model.__pydantic_complete__:
                model.model_rebuild()


def _fill_caches() -> None:
    """What every compile or plan works out the same way before it reads anything: each kind's merge
    rules and reference fields, and strata's own fingerprint (the hash of its files, ~20 ms: the
    daemon stops when any of them changes, so its children may share the one it made)."""
    from compiler.kinds import kinds
    from compiler.merge.field_rules import reference_fields, rule_for_model
    from compiler.output.cache import tool_fingerprint
    from schemas.environment import EnvironmentSettings
    from schemas.project import Quota

    for kind in kinds():
        rule_for_model(kind.spec)
        reference_fields(kind.spec)
    rule_for_model(EnvironmentSettings)
    rule_for_model(Quota)
    tool_fingerprint()


def _listen(path: str) -> socket.socket:
    """The socket at `path`; one left by a daemon that died is removed (the lock is held)."""
    if os.path.lexists(path):
        os.unlink(path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(BACKLOG)
    return listener


def serve(server: Server) -> None:
    """Accept, fork, reap until stopped and every child has ended."""
    assert server.listener is not None
    server.wake = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    signal.set_wakeup_fd(server.wake[1])
    signal.signal(signal.SIGCHLD, lambda number, frame: None)
    signal.signal(signal.SIGTERM, lambda number, frame: _stop(server, "asked to stop"))
    signal.signal(signal.SIGUSR1, lambda number, frame: _stop(server, "strata's files or Python changed"))
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    poller = select.poll()
    poller.register(server.listener, select.POLLIN)
    poller.register(server.wake[0], select.POLLIN)
    last = time.monotonic()
    while not (server.stopping and not server.children):
        if server.stopping and server.listener is not None:
            poller.unregister(server.listener)
            _close_listener(server)
        wait = None if server.children or server.stopping else max(0.0, last + server.idle - time.monotonic())
        events = poller.poll(None if wait is None else wait * 1000 + 1)
        for fd, event in events:
            if server.listener is not None and fd == server.listener.fileno():
                _accept(server, poller)
            elif fd == server.wake[0]:
                _drain(fd)
            elif event & _HUNG_UP:
                _hung_up(server, fd)
        _reap(server, poller)
        if server.children or events:
            last = time.monotonic()
        elif time.monotonic() - last >= server.idle:
            _stop(server, f"idle for {_duration(server.idle)}")
    _close_listener(server)


def _accept(server: Server, poller: select.poll) -> None:
    assert server.listener is not None
    try:
        conn, _ = server.listener.accept()
    except OSError:
        return
    credentials = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _CREDENTIALS.size)
    if not peer_allowed(credentials, os.geteuid()):
        _log(f"refused a connection from uid {_CREDENTIALS.unpack(credentials)[1]}")
        conn.close()
        return
    server.served += 1              # before the fork: `status` counts itself
    pid = os.fork()
    if pid == 0:
        handle(conn, server)
    with contextlib.suppress(OSError):      # the child did it first
        os.setpgid(pid, pid)
    server.children[pid] = conn
    poller.register(conn, _HUNG_UP)


def _hung_up(server: Server, fd: int) -> None:
    """The client went away before its command ended (killed): so does the command, as it would have."""
    for pid, conn in server.children.items():
        if conn.fileno() == fd:
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)


def _reap(server: Server, poller: select.poll) -> None:
    while server.children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        conn = server.children.pop(pid, None)
        if conn is None:
            continue
        poller.unregister(conn)
        with contextlib.suppress(OSError):
            conn.sendall(protocol.reply(protocol.WAIT_STATUS, str(status)))
        conn.close()


def _stop(server: Server, reason: str) -> None:
    server.stopping = server.stopping or reason


def _close_listener(server: Server) -> None:
    """Stop listening: the socket goes first, so no client connects to a daemon that is leaving."""
    if server.listener is None:
        return
    with contextlib.suppress(OSError):
        os.unlink(server.socket_path)
    server.listener.close()
    server.listener = None


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 512):
            pass
    except BlockingIOError:
        pass


def _log(message: str) -> None:
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} strata daemon: {message}", file=sys.stderr, flush=True)


def _duration(seconds: float) -> str:
    minutes, second = divmod(int(seconds), 60)
    hours, minute = divmod(minutes, 60)
    return f"{hours}h{minute:02d}m{second:02d}s"
