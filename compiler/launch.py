"""The `strata` console script: the command runs in a daemon's child when one may run it, else here.

A `strata daemon` (docs/daemon.md) has imported strata already; its child becomes this
process's twin (compiler/daemon/child.py) and runs the same `compiler.cli.main`. Without a
daemon, with `STRATA_NO_DAEMON` set, for `strata daemon ...` itself, or when the daemon refuses
(another strata, Python or start-up environment), the command runs in this process as it always
has. Until then this module imports only os, sys, socket, struct and signal (tests/test_startup.py).
"""
from __future__ import annotations

import os
import sys

TYPE_CHECKING = False   # not `typing`'s: importing typing costs a client without it ~8 ms
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import NoReturn


def main() -> NoReturn:
    if may_use_daemon(sys.argv[1:], os.environ):
        from compiler.daemon import client

        status = client.run(sys.argv, os.environ)
        if status is not None:
            client.exit_as(status)
    run_here()


def run_here() -> NoReturn:
    """`compiler.cli.main` in this process. In a daemon's child, the server's frames unwind to here
    (Forked) once the child has become the client's process, and the command runs in their stead."""
    from compiler.cli import main as cli
    from compiler.daemon.child import Forked, run_command

    forked = False
    try:
        cli()
    except Forked:
        forked = True
    if forked:           # outside the handler: the command's own exceptions must not chain to Forked
        run_command(cli)
    raise SystemExit(0)  # cli() always exits; this is for the type checker


def may_use_daemon(args: list[str], environ: Mapping[str, str]) -> bool:
    """Not when `STRATA_NO_DAEMON` is set, nor for `strata daemon ...` (the first argument that is
    not an option or --repo's value)."""
    if environ.get("STRATA_NO_DAEMON"):
        return False
    after_repo = False
    for arg in args:
        if after_repo:
            after_repo = False
        elif arg == "--repo":
            after_repo = True
        elif not arg.startswith("-"):
            return arg != "daemon"
    return True


if __name__ == "__main__":  # pragma: no cover
    main()
