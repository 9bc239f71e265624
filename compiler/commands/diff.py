"""`strata diff`: the same resources in two environments, side by side, with provenance."""
from __future__ import annotations

import click

from compiler.commands import repo_of


@click.command("diff")
@click.option("--env", "envs", multiple=True, required=True, metavar="ENV",
              help="An environment; give exactly two: --env A --env B (A is the promotion source).")
@click.option("--project", "projects", multiple=True, metavar="P", help="Only this project (repeatable).")
@click.option("--kind", "kinds", multiple=True, metavar="K", help="Only this kind, e.g. Service (repeatable).")
@click.option("--name", "names", multiple=True, metavar="N", help="Only resources of this name (repeatable).")
@click.option("--objects", is_flag=True, help="Compare the compiled Kubernetes objects too.")
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True)
@click.pass_context
def diff_command(ctx: click.Context, envs: tuple[str, ...], projects: tuple[str, ...], kinds: tuple[str, ...],
                 names: tuple[str, ...], objects: bool, fmt: str) -> None:
    """Show every effective-spec value that differs between two environments, with the file:line
    that sets it on each side; promotable fields are marked."""
    from compiler.errors import StrataError
    from compiler.promote import ResourceFilter
    from compiler.promote.envdiff import env_diff
    from compiler.promote.envdiff_format import render

    if len(envs) != 2 or envs[0] == envs[1]:
        raise StrataError("strata diff needs two different environments: --env A --env B")
    result = env_diff(repo_of(ctx), envs[0], envs[1], only=ResourceFilter(projects, kinds, names), objects=objects)
    click.echo(render(result, fmt), nl=False)
