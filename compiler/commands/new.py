"""`strata new <kind> NAME`: one commented resource file in the right folder, never overwriting."""
from __future__ import annotations

import click

from compiler.commands import repo_of
from compiler.scaffold import NEW_KINDS


@click.command("new")
@click.argument("kind", type=click.Choice(list(NEW_KINDS)))
@click.argument("name")
@click.option("--project", default=None, metavar="PROJECT",
              help="The project to add it to (default: the repository's only project).")
@click.option("--model", default=None, metavar="MODEL",
              help="service only: the Model it serves (default: the project's only Model).")
@click.pass_context
def new_command(ctx: click.Context, kind: str, name: str, project: str | None, model: str | None) -> int:
    """Add a PROJECT, or a DATASET, JOB, MODEL, SERVICE, PIPELINE or NOTEBOOK to a project."""
    from compiler.errors import StrataError
    from compiler.scaffold import new_resource

    if project is not None and kind == "project":
        raise StrataError("strata new project NAME takes no --project")
    if model is not None and kind != "service":
        raise StrataError("--model goes with strata new service only")
    written = new_resource(repo_of(ctx), kind, name, project=project, model=model)
    click.echo(f"Wrote {written}. Edit it, then: strata compile")
    return 0
