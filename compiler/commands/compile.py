"""`strata compile`: compile every target (or a selection) and write out/ atomically."""
from __future__ import annotations

import sys
import time
from collections.abc import Iterable
from pathlib import Path

import click

from compiler.commands import deployed_count, env_option, project_option, repo_of


@click.command("compile")
@env_option
@project_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder (default: strata.yaml `output`, else out/ in the repo). It must be absent, "
                   "empty or strata's own output.")
@click.option("--no-cache", is_flag=True, help="Render every target, even those whose inputs are unchanged.")
@click.option("--shard", metavar="K/N", default=None, callback=lambda ctx, param, value: _shard(value),
              help="Render only shard K of N into a partial output, for `strata merge` (docs/sharding.md).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, envvar="STRATA_JOBS", show_envvar=True,
              help="Render in this many processes (default: the CPUs strata may use, at most 8; 1: in this process).")
@click.pass_context
def compile_command(ctx: click.Context, envs: tuple[str, ...], projects: tuple[str, ...],
                    out_dir: Path | None, no_cache: bool, shard, jobs: int | None) -> int:
    """Compile specs into Helm values and manifests under out/."""
    from compiler.incremental import snapshot
    from compiler.output.state import State

    repo = repo_of(ctx)
    started = time.perf_counter()
    # Every option but --out, --no-cache and -j (the same bytes for any N) is part of what the snapshot
    # was taken for, so an option added later (a selection, a shard) can never reuse another
    # invocation's snapshot.
    options = tuple(sorted((name, repr(value)) for name, value in ctx.params.items()
                           if name not in ("out_dir", "no_cache", "jobs")))
    request = snapshot.Request(str(repo), str(out_dir.resolve()) if out_dir else None, options)
    seen = None if no_cache else snapshot.look(request, str(State(repo).folder))
    if seen is not None and seen.previous is not None:   # nothing it read has changed: out/ is up to date
        return _summary(seen.previous, started)
    from compiler.errors import StrataError
    from compiler.load.discover import read_config
    from compiler.output.guard import output_folder
    from compiler.output.write import HalfSwapped

    config = read_config(repo)
    shown = _shown(out_dir or repo / config.output)
    whole = not (envs or projects or shard)   # a delta compile and its facts are for the whole repository
    try:
        out = output_folder(repo, config, out_dir)   # refused before anything is read or written
        state = State(repo)
        # Before the compile reads its inputs (strata.yaml again too: `config` only chose `out`).
        clock = snapshot.start_clock(_state_folder(state))
        done = _delta(repo, request, seen, state, out, config, jobs) if whole and seen is not None else None
        if done is None:
            done = _full(repo, state, out, config, envs, projects, shard, jobs, no_cache, whole)
    except HalfSwapped:
        raise                                        # its message says where the previous output is
    except StrataError as error:
        error.unchanged = error.unchanged or f"{shown} is unchanged"
        raise
    from compiler.incremental import delta
    from compiler.output.cache import reuse_key

    previous, reused, facts = done
    state.write_cache(reuse_key(config.digest, out))
    if snapshot.record(request, str(state.folder), clock, previous, seen) and whole:
        delta.record(str(state.folder), str(out), facts)
    return _summary(previous, started, reused)


def _state_folder(state) -> str:
    """`.strata/`, made now if it can be (the compile makes it anyway), so that even a first
    compile's start is stamped by the repository's file system (compiler.incremental.snapshot)."""
    from contextlib import suppress

    from compiler.errors import StrataError

    with suppress(StrataError):   # a symlink or a read-only repository: the compile says so when it takes the lock
        state.ensure()
    return str(state.folder)


def _delta(repo: Path, request, seen, state, out: Path, config, jobs: int | None) -> tuple | None:
    """Only the projects whose resource files changed, patched into out/ (compiler/incremental/recompile.py);
    None when the change is not one it covers."""
    from compiler.incremental import snapshot
    from compiler.incremental.recompile import compile_delta
    from compiler.render.workers import default_jobs

    with _progress() as progress:
        done = compile_delta(repo, request, seen, state, out, jobs=jobs or default_jobs(), lock_timeout=config.lock_timeout,
                             waiting=_waiting, recovered=_tell, progress=progress)
    if done is None:
        return None
    previous = snapshot.Previous(str(out), done.warnings, done.deployed, done.files)
    return previous, done.deployed - done.rendered, done.facts


def _full(repo: Path, state, out: Path, config, envs: tuple[str, ...], projects: tuple[str, ...], shard,
          jobs: int | None, no_cache: bool, whole: bool) -> tuple:
    """Every target (but those whose output is kept), written into a staging folder swapped in."""
    from compiler.incremental import snapshot
    from compiler.incremental.recompile import facts_of
    from compiler.output.write import staged_output
    from compiler.pipeline import compile_repo
    from compiler.render.workers import default_jobs

    # Under the lock from here: what a killed compile left is put right first, then every
    # file is written into the staging folder as its target finishes, then swapped in.
    with staged_output(state, out, partial=bool(envs or projects), lock_timeout=config.lock_timeout,
                       waiting=_waiting, recovered=_tell) as spool, _progress() as progress:
        build = compile_repo(repo, envs=envs, projects=projects, progress=progress,
                             reuse_from=None if no_cache else out, shard=shard, jobs=jobs or default_jobs(),
                             sink=spool)
        state.clear_cache()                          # from here until written, out/ may be neither old nor new
    previous = snapshot.Previous(str(out), tuple(w.render() for w in build.warnings), deployed_count(build.targets),
                                 len(build.written))
    return previous, build.reused, facts_of(build) if whole else None


def _summary(done, started: float, reused: int | None = None) -> int:
    """The warnings and the one-line summary; `reused` None: nothing rendered, all kept (no change)."""
    for warning in done.warnings:
        click.secho(warning, err=True, fg="yellow")
    reused = done.deployed if reused is None else reused
    kept = f", {reused} unchanged" if reused else ""
    click.echo(f"Compiled {done.deployed} targets ({done.deployed - reused} rendered{kept}, {done.files} files) "
               f"into {_shown(Path(done.out))} in {time.perf_counter() - started:.2f}s.")
    return 0


def _shard(value: str | None):
    if value is None:
        return None
    from compiler.shard import Shard

    return Shard.parse(value)


def print_warnings(warnings: Iterable) -> None:
    for warning in warnings:
        click.secho(warning.render(), err=True, fg="yellow")


def _waiting(holder: str) -> None:
    click.echo(f"strata: waiting for another strata compile ({holder}) to finish writing the output...", err=True)


def _tell(done: str | None) -> None:
    if done:
        click.echo(f"strata: {done}", err=True)


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd())) or "."
    except ValueError:
        return str(path)


class _progress:
    """A rich progress bar on a terminal; nothing when output is piped (CI logs stay clean)."""

    def __enter__(self):
        if not sys.stderr.isatty():
            return None
        from rich.progress import Progress

        self.bar = Progress(transient=True)
        self.bar.start()
        self.task = self.bar.add_task("compiling", total=None)
        return self.update

    def update(self, done: int, total: int) -> None:
        self.bar.update(self.task, completed=done, total=total)

    def __exit__(self, *exc) -> None:
        if sys.stderr.isatty():
            self.bar.stop()
