"""The plumbing the HTTP test doubles share: a server on 127.0.0.1 in a daemon thread, and a
request handler that reads the request and writes the answer (the doubles route in between)."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


class LoopbackServer:
    """`with double:` serves `handler` (bound to the double as `handler.double`) until the block ends."""

    def _listen(self, handler: type[BaseHTTPRequestHandler]) -> None:
        bound = type(f"Bound{handler.__name__}", (handler,), {"double": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), bound)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


class Handler(BaseHTTPRequestHandler):
    double: Any = None                       # set on the subclass LoopbackServer binds
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True           # headers and body are two writes: no 40 ms delayed-ACK stall

    def log_message(self, *args) -> None:    # keep test output clean
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        raise NotImplementedError

    def _request(self, method: str) -> tuple[str, dict[str, str], bytes]:
        """(path, query, body) of the request, recorded on the double."""
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        self.double.record(method, url.path, query)
        return url.path, query, raw

    def _answer(self, code: int, body: Any) -> None:
        """JSON, or plain text for a str body (pods/log)."""
        if isinstance(body, str):
            data, content_type = body.encode(), "text/plain"
        else:
            data, content_type = json.dumps(body).encode(), "application/json"
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
