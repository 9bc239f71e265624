"""`strata capacity`: GPU capacity, quotas and demand per environment, project and pool."""
from __future__ import annotations

import click

from compiler.commands import env_option, repo_of

# What compiler/capacity/formats.py render() prints; named here, not imported from there, so that
# listing the commands (`strata --help`) does not import the capacity report and the schemas.
FORMATS = ("text", "markdown", "json")


@click.command("capacity")
@env_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="What to print.")
@click.pass_context
def capacity_command(ctx: click.Context, envs: tuple[str, ...], fmt: str) -> None:
    """Capacity, quotas and steady / peak GPU demand per pool and project, computed from the
    rendered objects (compiled in memory: nothing is written). See docs/capacity.md."""
    from compiler.capacity import environment_reports
    from compiler.capacity.formats import render
    from compiler.commands.compile import print_warnings
    from compiler.merge.targets_of import Selection
    from compiler.pipeline import load_stage, render_stage

    build = render_stage(load_stage(repo_of(ctx), Selection(envs, ())))
    print_warnings(build.warnings)
    click.echo(render(environment_reports(build), fmt), nl=False)
