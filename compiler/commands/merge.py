"""`strata merge`: join the partial outputs of `strata compile --shard K/N` into out/ (docs/sharding.md)."""
from __future__ import annotations

import time
from pathlib import Path

import click

from compiler.commands import repo_of


@click.command("merge")
@click.argument("shards", nargs=-1, required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder (default: strata.yaml `output`, else out/ in the repo). It must be absent, "
                   "empty or strata's own output.")
@click.pass_context
def merge_command(ctx: click.Context, shards: tuple[Path, ...], out_dir: Path | None) -> int:
    """Join shards 1..N of one `strata compile --shard K/N` into the output a single compile writes,
    byte for byte; refuses missing, duplicated, edited or foreign shards."""
    from compiler.commands.compile import _shown, _tell, _waiting
    from compiler.errors import StrataError
    from compiler.load.discover import read_config
    from compiler.output.guard import output_folder
    from compiler.output.state import State
    from compiler.output.write import HalfSwapped, recover, write_output
    from compiler.shard.join import merge_shards

    repo = repo_of(ctx)
    started = time.perf_counter()
    config = read_config(repo)
    shown = _shown(out_dir or repo / config.output)
    try:
        out = output_folder(repo, config, out_dir)
        _check_apart(out, shards)
        joined = merge_shards(shards)
        state = State(repo)
        with state.locked(config.lock_timeout, _waiting):
            _tell(recover(state, out))
        state.clear_cache()   # no reuse of a merged output: the shards' strata may be another build
        write_output(state, out, joined.files, links=joined.links, lock_timeout=config.lock_timeout,
                     waiting=_waiting)
    except HalfSwapped:
        raise
    except StrataError as error:
        error.unchanged = error.unchanged or f"{shown} is unchanged"
        raise
    click.echo(f"Merged {len(shards)} shards ({len(joined)} files) into {_shown(out)} in "
               f"{time.perf_counter() - started:.2f}s.")
    return 0


def _check_apart(out: Path, shards: tuple[Path, ...]) -> None:
    """The output replaces a folder as a whole: never a shard's, nor one holding or inside one."""
    from compiler.errors import StrataError

    for shard in shards:
        folder = shard.resolve()
        if folder == out or folder.is_relative_to(out) or out.is_relative_to(folder):
            raise StrataError(f"--out {out}: it would replace shard {shard}; merge into another folder")
