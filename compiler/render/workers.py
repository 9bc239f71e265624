"""Compile's render: each target rendered and its files written as it finishes, on every core.

`emit_target` is `render_target` (compiler.render.stage) followed by the target's output files
(compiler.output.assemble's `write_target`) written into the sink; what it returns, a
`TargetResult`, is small: object refs, manifest records, GPU demand, problems, the files' sha256.
`emit_all` runs it in this process (`jobs=1`), or in `jobs` worker processes forked after the
load: they share the loaded build copy-on-write and are sent target indexes, never pickled
targets; each writes its targets' files straight into the staging folder. The results come back
by index and are returned in target order, so the output is the same bytes for any `jobs`.

Forking is safe only before this process loads Helm, whose Go runtime does not survive a fork:
load, merge, graph and digest never import it (compiler.render.helm.go_runtime_loaded, tested),
so a `strata compile` forks first and each worker loads its own Helm. A process that has
already rendered a chart (a long-lived caller, the test suite) renders in-process instead.
A worker that dies is an error naming its targets; Ctrl-C and any error stop every worker;
a worker whose parent dies is killed by the kernel (Linux), so none is left behind.
"""
from __future__ import annotations

import gc
import os
import signal
import sys
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from compiler.capacity.demand import Workload, demand_of
from compiler.capacity.report import workload_lines
from compiler.errors import Problem, StrataError
from compiler.graph.build import Graph
from compiler.output.assemble import object_ref, write_target
from compiler.output.spool import Sink, Spool
from compiler.render import Rendered
from compiler.render.helm import go_runtime_loaded
from compiler.render.stage import RenderSettings, render_target
from compiler.targets import Key, Target, target_key

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

CHUNK = 8          # targets per request to a worker: few round trips, and still balanced
MAX_JOBS = 8       # past this, memory (one Helm and one working set per worker) outgrows the gain


@dataclass(frozen=True, slots=True)   # one per target, held until the manifest is written: no __dict__
class TargetResult:
    """What one rendered target leaves for the rest of the compile (its files are already written)."""

    key: Key
    folder: str
    outputs: Mapping[str, str]                  # file → sha256
    refs: tuple[dict[str, str], ...]            # its objects, as manifest.json lists them
    gpus: tuple[dict[str, Any], ...]            # its manifest entry's GPU lines
    workloads: tuple[Workload, ...]             # its GPU demand, for the capacity checks
    records: tuple[tuple[str, Any], ...]        # e.g. the model versions a Service resolved
    problems: tuple[Problem, ...]
    warnings: tuple[Problem, ...]
    rendered: Rendered | None = None            # kept only when the caller wants every object in memory


def default_jobs() -> int:
    """The CPUs this process may run on (its affinity, not the machine's count), at most MAX_JOBS."""
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:   # not on Linux
        available = os.cpu_count() or 1
    return max(1, min(MAX_JOBS, available))


def emit_target(target: Target, graph: Graph, settings: RenderSettings, sink: Sink, keep: bool = False) -> TargetResult:
    """Render one target, write its files into `sink`, and say what the rest of the compile needs."""
    try:
        rendered = render_target(target, graph.resolved(target_key(target)), settings)
    except StrataError as error:   # the same located problems whichever process rendered it
        rendered = Rendered(problems=tuple(error.problems))
    return result_of(target, rendered, write_target(target, rendered, sink), keep)


def result_of(target: Target, rendered: Rendered, outputs: Mapping[str, str], keep: bool = False) -> TargetResult:
    """What the rest of the compile needs of a target rendered and written (`outputs`: file → sha256)."""
    workloads = demand_of(target, rendered.objects)
    gpus = tuple(line.record() for line in workload_lines(target.project.name, target.resource, workloads))
    return TargetResult(target_key(target), target.folder, outputs, tuple(object_ref(o) for o in rendered.objects),
                        gpus, workloads, rendered.records, rendered.problems, rendered.warnings,
                        rendered if keep else None)


def emit_all(todo: list[Target], graph: Graph, settings: RenderSettings, sink: Sink, *, jobs: int = 1,
             keep: bool = False, progress: Callable[[int, int], None] | None = None) -> list[TargetResult]:
    """Every target of `todo` rendered and written, results in `todo` order."""
    strings: dict[str, str] = {}
    if jobs > 1 and len(todo) > CHUNK and isinstance(sink, Spool) and not keep and can_fork():
        results = _forked(todo, graph, settings, sink.folder, jobs, progress, strings)
        for result in results:
            sink.record(result.outputs)
        return results
    results = []
    for done, target in enumerate(todo, 1):
        results.append(_one_copy(emit_target(target, graph, settings, sink, keep), strings))
        if progress:
            progress(done, len(todo))
    return results


def _one_copy(result: TargetResult, strings: dict[str, str]) -> TargetResult:
    """`result` with one copy (the first in `strings`) of the strings many results repeat: its
    environment and project, and its objects' API versions, kinds and namespaces. The compile
    holds every result until the manifest is written; each brought its own copies (a worker's
    were unpickled, and a namespace is made anew for each object)."""
    env, project, resource = result.key
    refs = tuple({key: strings.setdefault(value, value) if key != "name" and isinstance(value, str) else value
                  for key, value in ref.items()} for ref in result.refs)
    return replace(result, key=(strings.setdefault(env, env), strings.setdefault(project, project), resource),
                   refs=refs)


def can_fork() -> bool:
    # multiprocessing is imported here, not with the module: a compile that renders a few targets never forks.
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods() and not go_runtime_loaded()


@dataclass
class _Worker:
    process: Any                    # multiprocessing's forked Process
    conn: Connection
    region: int                     # its own part of the targets (`_regions`)
    chunk: list[int] | None = None  # the indexes of `todo` it is rendering


def _forked(todo: list[Target], graph: Graph, settings: RenderSettings, folder: Path, jobs: int,
            progress: Callable[[int, int], None] | None, strings: dict[str, str]) -> list[TargetResult]:
    import multiprocessing
    from multiprocessing.connection import wait

    jobs = min(jobs, -(-len(todo) // CHUNK))
    regions = _regions(todo, jobs)
    results: dict[int, TargetResult] = {}
    workers: list[_Worker] = []
    # No gc.collect() first: the load forms no garbage cycles (compiler.collector), so it would only
    # walk every object, 0.25-0.45 s at 3,600 targets, ten times that at 36,000.
    gc.freeze()   # the collector would otherwise write to (and so copy) every shared object in every worker
    try:
        context = multiprocessing.get_context("fork")
        for number in range(jobs):
            ours, theirs = context.Pipe()
            process = context.Process(target=_serve, args=(theirs, todo, graph, settings, folder, os.getpid()),
                                      daemon=True)
            process.start()
            theirs.close()
            workers.append(_Worker(process, ours, number))
        for worker in workers:
            _give(worker, regions)
        while any(w.chunk is not None for w in workers):
            busy = [w for w in workers if w.chunk is not None]
            ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy]))
            for worker in busy:
                if worker.conn in ready or worker.process.sentinel in ready:
                    _collect(worker, todo, results, strings)
                    if progress:
                        progress(len(results), len(todo))
                    _give(worker, regions)
    finally:
        _stop(workers)
        gc.unfreeze()
    return [results[index] for index in range(len(todo))]


def _regions(todo: list[Target], jobs: int) -> list[list[list[int]]]:
    """Chunks of `todo` indexes, one contiguous region per worker in the order the targets lie in
    memory (CPython's id): a worker writing reference counts copies the pages it touches, so each
    should touch its own. Which worker renders what never changes the bytes written."""
    placed = sorted(range(len(todo)), key=lambda i: id(todo[i]))
    chunks = [placed[start:start + CHUNK] for start in range(0, len(placed), CHUNK)]
    size = -(-len(chunks) // jobs)
    return [chunks[start:start + size] for start in range(0, len(chunks), size)]


def _give(worker: _Worker, regions: list[list[list[int]]]) -> None:
    """The next chunk of the worker's own region; once that is done, the last of the largest left."""
    own = regions[worker.region] if worker.region < len(regions) else []
    if own:
        worker.chunk = own.pop(0)
    else:
        largest = max(regions, key=len)
        worker.chunk = largest.pop() if largest else None
    worker.conn.send(worker.chunk)


def _collect(worker: _Worker, todo: list[Target], results: dict[int, TargetResult], strings: dict[str, str]) -> None:
    chunk = worker.chunk
    assert chunk is not None
    payload: Any = None
    try:
        status, payload = worker.conn.recv() if worker.conn.poll() else ("died", None)
    except (EOFError, OSError):
        status, payload = "died", None
    if status == "died":
        worker.process.join(5)
        code = worker.process.exitcode
        how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit status {code}"
        first = todo[chunk[0]]
        raise StrataError(f"a render worker process died ({how}) while rendering {first.identity} in "
                          f"{first.env.name} or one of {len(chunk) - 1} other targets (out of memory?); "
                          "nothing was written: compile again, or with -j 1")
    if status == "failed":
        assert isinstance(payload, BaseException)
        raise payload
    results.update(zip(chunk, (_one_copy(r, strings) for r in payload), strict=True))


def _stop(workers: list[_Worker]) -> None:
    for worker in workers:
        if worker.process.is_alive() and worker.chunk is not None:
            worker.process.terminate()      # an error or Ctrl-C: what it is rendering is not needed
    for worker in workers:
        worker.process.join(10)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join()
        worker.conn.close()


def _serve(conn: Connection, todo: list[Target], graph: Graph, settings: RenderSettings, folder: Path,
           parent: int) -> None:
    """A worker: render the chunks of `todo` it is sent, write their files, send back the results."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C is the parent's: it stops the workers
    gc.enable()   # paused in the parent while it loaded (compiler.collector); frozen, its objects are not rescanned
    _die_with(parent)
    spool = Spool(folder)
    while True:
        try:
            task = conn.recv()
        except EOFError:   # the compile is gone
            return
        if task is None:
            return
        try:
            results = [emit_target(todo[i], graph, settings, spool) for i in task]
        except BaseException as error:   # a bug: the parent raises it as -j 1 would
            conn.send(("failed", _portable(error)))
            return
        conn.send(("done", results))
        spool.hashes.clear()   # the results carry them to the parent, which records them


def _die_with(parent: int) -> None:
    """Have the kernel kill this worker when the compile that forked it dies (Linux's PR_SET_PDEATHSIG)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    ctypes.CDLL(None).prctl(1, signal.SIGKILL)
    if os.getppid() != parent:   # it died before the call
        os._exit(1)


def _portable(error: BaseException) -> BaseException:
    """The worker's exception if it pickles, else its traceback as text."""
    import pickle

    try:
        pickle.dumps(error)
        return error
    except Exception:
        return RuntimeError("".join(traceback.format_exception(error)))
