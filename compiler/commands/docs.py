"""`strata docs generate|serve`: the static docs site (compiler/docs/)."""
from __future__ import annotations

import gc
import time
from pathlib import Path

import click

from compiler.commands import env_option, project_option, repo_of

DEFAULT_FOLDER = "site"


@click.group("docs")
def docs_command() -> None:
    """A static site: what runs where, where each value comes from, lineage, capacity, search."""


@docs_command.command("generate")
@env_option
@project_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help=f"Site folder (default: {DEFAULT_FOLDER}/ in the repo); replaced as a whole.")
@click.option("--plan", "plan_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="A saved `strata plan --format json`: highlight what it changes.")
@click.pass_context
def generate_command(ctx: click.Context, envs: tuple[str, ...], projects: tuple[str, ...], out_dir: Path | None,
                     plan_file: Path | None) -> int:
    """Build the site from the config (nothing is read from out/); open its index.html or serve it."""
    from compiler.commands.compile import _waiting, print_warnings
    from compiler.docs.changes import read_plan
    from compiler.docs.site import site_files
    from compiler.docs.write import site_folder, write_site
    from compiler.load.discover import read_config
    from compiler.merge.targets_of import Selection
    from compiler.pipeline import load_stage, render_stage

    repo = repo_of(ctx)
    started = time.perf_counter()
    folder = site_folder(repo, read_config(repo), out_dir or repo / DEFAULT_FOLDER)   # refused before any reading
    changes = read_plan(plan_file) if plan_file is not None else None
    build = render_stage(load_stage(repo, Selection(envs, projects)))
    gc.freeze()   # the build is only read from here on: the collector need not rescan its millions of objects
    files = site_files(build, changes)
    write_site(repo, build.config, folder, files, _waiting)
    print_warnings(build.warnings)
    pages = sum(1 for name in files if name.endswith(".html"))
    click.echo(f"Wrote {pages} pages ({len(files)} files) into {folder} in {time.perf_counter() - started:.2f}s; "
               f"open {folder / 'index.html'} or run `strata docs serve`.")
    return 0


@docs_command.command("serve")
@click.option("--dir", "folder", type=click.Path(file_okay=False, path_type=Path), default=None,
              help=f"The generated site (default: {DEFAULT_FOLDER}/ in the repo).")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option("--bind", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.pass_context
def serve_command(ctx: click.Context, folder: Path | None, port: int, bind: str) -> int:
    """Serve a generated site over HTTP until interrupted."""
    from compiler.docs.serve import site_server

    folder = folder or repo_of(ctx) / DEFAULT_FOLDER
    server = site_server(folder, bind, port)
    click.echo(f"Serving {folder} at http://{bind}:{server.server_port}/ (Ctrl+C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:   # the way to stop it: not an error
        click.echo("Stopped.")
    finally:
        server.server_close()
    return 0
