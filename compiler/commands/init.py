"""`strata init`: a new, commented config repository that compiles and validates as it is."""
from __future__ import annotations

from pathlib import Path

import click

from compiler.scaffold import SCHEDULERS


@click.command("init")
@click.argument("directory", required=False, default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--scheduler", type=click.Choice(SCHEDULERS), default="default", show_default=True,
              help="The clusters' batch scheduler: the plain kube-scheduler, Volcano or Kueue.")
def init_command(directory: Path, scheduler: str) -> int:
    """Start a config repository in DIRECTORY (default: here), which must be empty or new."""
    from compiler.scaffold import init_repo, installed_requirement

    files = init_repo(directory, scheduler=scheduler, requirement=installed_requirement())
    click.echo(f"Created a strata config repository in {directory} ({len(files)} files).")
    where = "" if directory.resolve() == Path.cwd().resolve() else f"cd {directory} && "
    click.echo(f"Next: {where}strata compile && strata validate   (README.md says what is where)")
    return 0
