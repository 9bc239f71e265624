"""The Jsonnet worker: evaluates spec files for strata in a separate, bounded process.

Started by compiler/load/jsonnet.py as `python -I jsonnet_worker.py MEMORY_BYTES SECONDS`. It
imports only the standard library and `_jsonnet`, and limits its own address space before
loading either: the C++ evaluator aborts the process when an allocation fails, which must
end this worker, never strata.

Protocol: one JSON request per line on stdin, `{"repo", "file", "max_output", "max_file"}`
(absolute, symlink-free paths); one JSON reply per line on stdout, `{"result": TEXT}` or
`{"error": TEXT}`, plus `"reads"`: every file an `import`, `importstr` or `importbin` read,
relative to the repository. The worker exits at end of input, and on its own alarm if a
request outlives the parent's deadline (the parent may have been killed).
"""
from __future__ import annotations

import json
import os
import resource
import signal
import stat
import sys

MAX_LINE = 200           # characters kept of each line of an error (a value in it may be megabytes)
MAX_LINES = 40
OUT_OF_MEMORY = 86       # exit status when Python itself runs out (the C++ evaluator aborts instead)


def main() -> None:
    memory, seconds = int(sys.argv[1]), float(sys.argv[2])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    try:
        import _jsonnet

        for line in sys.stdin.buffer:
            signal.alarm(int(seconds) + 2)   # SIGALRM's default action ends the process
            reply = evaluate(_jsonnet, json.loads(line))
            signal.alarm(0)
            sys.stdout.buffer.write(json.dumps(reply).encode() + b"\n")
            sys.stdout.buffer.flush()
    except MemoryError:
        os._exit(OUT_OF_MEMORY)


def evaluate(_jsonnet, request: dict) -> dict:
    repo, max_file = request["repo"], request["max_file"]
    reads: list[str] = []

    def import_callback(base: str, target: str) -> tuple[str, bytes]:
        real = os.path.realpath(os.path.join(base, target))
        if os.path.commonpath([real, repo]) != repo:
            raise RuntimeError(f"import {target[:200]!r} resolves outside the repository")
        try:
            info = os.stat(real)
        except OSError as exc:
            raise RuntimeError(f"import {target[:200]!r}: {exc.strerror}") from None
        if not stat.S_ISREG(info.st_mode):
            raise RuntimeError(f"import {target[:200]!r} is not a regular file")
        with open(real, "rb") as handle:
            data = handle.read(max_file + 1)
        if len(data) > max_file:
            raise RuntimeError(f"import {target[:200]!r} is larger than {max_file // (1024 * 1024)} MiB")
        reads.append(os.path.relpath(real, repo).replace(os.sep, "/"))
        return real, data

    try:
        text = _jsonnet.evaluate_file(request["file"], import_callback=import_callback)
    except RuntimeError as exc:
        lines = str(exc).replace(repo + os.sep, "").splitlines()[:MAX_LINES]
        clipped = [line if len(line) <= MAX_LINE else f"{line[:MAX_LINE]}… ({len(line)} characters)" for line in lines]
        return {"error": "\n".join(clipped), "reads": reads}
    size = len(text.encode())
    if size > request["max_output"]:
        return {"error": f"evaluates to {size / (1024 * 1024):.1f} MiB of JSON, more than the "
                         f"{request['max_output'] // (1024 * 1024)} MiB limit", "limit": "maxOutputMiB", "reads": reads}
    return {"result": text, "reads": reads}


if __name__ == "__main__":
    main()
