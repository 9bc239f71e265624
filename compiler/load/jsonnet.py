"""Jsonnet evaluation with bounds: a wall-clock limit, a memory cap and an output cap per file.

The `jsonnet` binding evaluates in the calling process and cannot be interrupted: an
endless `tailstrict` loop never returns, and a failed allocation aborts the process. So
strata evaluates in a worker process (compiler/load/jsonnet_worker.py) that limits its own
address space, and kills it when a file takes longer than the limit; either way the file
gets a located error and the next file gets a fresh worker. Imports are confined to the
repository and capped like any file, and every file they read is recorded: those files
are inputs of the documents the Jsonnet file produced (the reuse cache and `plan` see them).

One worker serves every Jsonnet file of a load (started on first use), so a repository
without Jsonnet starts none.
"""
from __future__ import annotations

import json
import os
import re
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from compiler.errors import Problem
from compiler.load.yaml_files import MAX_FILE_BYTES, LoadError
from compiler.provenance import Origin
from schemas.repo import JsonnetLimits

WORKER = Path(__file__).with_name("jsonnet_worker.py")
MiB = 1024 * 1024
OUT_OF_MEMORY = (-signal.SIGABRT, -signal.SIGKILL, -signal.SIGSEGV, 86)   # 86: the worker's MemoryError exit


class JsonnetEvaluator:
    """Evaluates the Jsonnet files of one repository; use as a context manager."""

    def __init__(self, repo: Path, limits: JsonnetLimits | None = None):
        self.repo = Path(repo).resolve()
        self.limits = limits or JsonnetLimits()
        self.reads: dict[str, tuple[str, ...]] = {}   # Jsonnet file → the files its imports read
        self._process: subprocess.Popen | None = None

    def __enter__(self) -> JsonnetEvaluator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def evaluate(self, rel: str, real: Path) -> Any:
        """The JSON value `rel` (whose checked real path is `real`) evaluates to; raises LoadError."""
        request = {"repo": str(self.repo), "file": str(real), "max_file": MAX_FILE_BYTES,
                   "max_output": self.limits.maxOutputMiB * MiB}
        reply = self._ask(rel, request)
        real_rel = real.relative_to(self.repo).as_posix()
        self.reads[rel] = tuple(sorted(set(reply.get("reads", ())) - {rel, real_rel}))
        if "error" in reply:
            raise self._error(rel, real_rel, reply)
        try:
            return json.loads(reply["result"])
        except RecursionError:
            raise LoadError(Problem("jsonnet: the result is nested too deeply", Origin(rel, 1, 1))) from None

    def close(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.stdin:
            process.stdin.close()
        try:
            process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()

    def _ask(self, rel: str, request: dict) -> dict:
        process = self._worker()
        assert process.stdin is not None and process.stdout is not None
        try:
            process.stdin.write(json.dumps(request).encode() + b"\n")
            process.stdin.flush()
        except BrokenPipeError:
            return self._died(rel)
        deadline = time.monotonic() + self.limits.timeoutSeconds
        limit = self.limits.maxOutputMiB * MiB * 6 + MiB   # JSON escapes may grow text up to 6x
        chunks: list[bytes] = []
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(left):
                    self._kill()
                    raise LoadError(Problem(
                        f"jsonnet: evaluation took longer than {self.limits.timeoutSeconds:g} s (an endless loop or "
                        "recursion?); strata stopped it (limit: jsonnet.timeoutSeconds in strata.yaml)", Origin(rel, 1, 1)))
                chunk = os.read(process.stdout.fileno(), 1 << 20)
                if not chunk:
                    return self._died(rel)
                chunks.append(chunk)
                if chunk.endswith(b"\n"):
                    return json.loads(b"".join(chunks))
                if sum(map(len, chunks)) > limit:
                    self._kill()
                    raise LoadError(Problem("jsonnet: the result is too large", Origin(rel, 1, 1)))

    def _worker(self) -> subprocess.Popen:
        if self._process is None:
            args = [sys.executable, "-I", str(WORKER), str(self.limits.memoryMiB * MiB), str(self.limits.timeoutSeconds)]
            # No environment: Jsonnet has no business with the caller's variables.
            self._process = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                             stderr=subprocess.DEVNULL, env={}, close_fds=True)
        return self._process

    def _kill(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            process.kill()
            process.wait()
            for stream in (process.stdin, process.stdout):
                if stream:
                    stream.close()

    def _died(self, rel: str) -> dict:
        """The worker ended without a reply: the memory cap (the evaluator aborts) or a crash."""
        process, self._process = self._process, None
        code = process.wait() if process is not None else None
        if process is not None:
            for stream in (process.stdin, process.stdout):
                if stream:
                    stream.close()
        if code in OUT_OF_MEMORY:
            message = (f"jsonnet: evaluation needed more than {self.limits.memoryMiB} MiB of memory; strata stopped it "
                       "(limit: jsonnet.memoryMiB in strata.yaml)")
        else:
            message = f"jsonnet: the evaluator stopped unexpectedly (exit status {code})"
        raise LoadError(Problem(message, Origin(rel, 1, 1)))

    def _error(self, rel: str, real_rel: str, reply: dict) -> LoadError:
        text = str(reply["error"])
        line, col = _position(text, (rel, real_rel))
        first = text.strip().splitlines()[0] if text.strip() else "evaluation failed"
        if reply.get("limit"):
            first += f" (limit: jsonnet.{reply['limit']} in strata.yaml)"
        return LoadError(Problem(f"jsonnet: {first}", Origin(rel, line, col)))   # the worker clipped it


def _position(message: str, names: tuple[str, ...]) -> tuple[int, int]:
    """Where in the file (by any of its `names`) the error is; one inside an import is at the file's start."""
    for name in names:
        match = re.search(re.escape(name) + r":(\d+):(\d+)", message)
        if match:
            return int(match.group(1)), int(match.group(2))
    return 1, 1
