"""`strata daemon start|stop|status`: the resident fork server (docs/daemon.md).

These three always run in their own process (compiler/launch.py), never through a daemon.
"""
from __future__ import annotations

import os
import time

import click

STOP_WAIT_SECONDS = 10.0


@click.group("daemon")
def daemon_command() -> None:
    """A resident strata that runs each command in a forked copy of itself: no start-up cost."""


@daemon_command.command("start")
@click.option("--idle-timeout", type=click.FloatRange(min=1), default=None, metavar="SECONDS",
              help="Stop after this long without a command (default: 3 hours).")
def start_command(idle_timeout: float | None) -> None:
    """Start the daemon for this user (its socket: $STRATA_DAEMON_DIR, else $XDG_RUNTIME_DIR/strata, else /tmp/strata-UID)."""
    from compiler.daemon import protocol, server

    folder = protocol.runtime_folder(os.environ)
    pid = server.start(folder, idle_timeout or server.IDLE_SECONDS)
    click.echo(f"strata daemon started: pid {pid}, socket {os.path.join(folder, protocol.SOCKET_NAME)}")


@daemon_command.command("stop")
def stop_command() -> None:
    """Stop the daemon (commands it runs finish first)."""
    from compiler.daemon import client, protocol

    answer = client.ask(protocol.runtime_folder(os.environ), "stop")
    if answer is None or answer[0] != protocol.STOPPING:
        click.echo("no strata daemon is running")
        return
    pid = int(answer[1])
    deadline = time.monotonic() + STOP_WAIT_SECONDS
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    click.echo(f"strata daemon stopped (pid {pid})" if not _alive(pid)
               else f"strata daemon stopping (pid {pid}): it waits for the commands it runs")


@daemon_command.command("status")
def status_command() -> int:
    """Whether the daemon runs, and what it holds; exit 1 when none runs."""
    from compiler.daemon import client, protocol

    folder = protocol.runtime_folder(os.environ)
    answer = client.ask(folder, "status")
    if answer is None or answer[0] != protocol.INFO:
        click.echo(f"no strata daemon is running ({os.path.join(folder, protocol.SOCKET_NAME)})")
        return 1
    click.echo(answer[1])
    return 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
