"""`strata docs serve`: the generated site over HTTP on this machine (the site also works from file://)."""
from __future__ import annotations

import functools
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from compiler.docs.site import MARKER
from compiler.errors import StrataError


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


def site_server(folder: Path, bind: str, port: int) -> ThreadingHTTPServer:
    """A server for `folder` (which must hold a generated site); `port` 0 picks a free one."""
    if not (folder / MARKER).is_file():
        raise StrataError(f"{folder} holds no generated site ({MARKER} is missing); run `strata docs generate` first")
    handler = functools.partial(_QuietHandler, directory=str(folder))
    try:
        return ThreadingHTTPServer((bind, port), handler)
    except OSError as exc:
        raise StrataError(f"cannot serve on {bind}:{port}: {exc.strerror or exc}") from None
