"""`strata explain`: where an effective value came from, layer by layer."""
from __future__ import annotations

import click

from compiler.commands import repo_of


@click.command("explain")
@click.argument("resource")
@click.option("--env", "env", required=True, help="Environment whose effective spec to explain.")
@click.option("--path", "path", default=None, metavar="P",
              help="Dotted path inside spec (replicas.max); merge-keyed items as env[NCCL_DEBUG].value.")
@click.pass_context
def explain_command(ctx: click.Context, resource: str, env: str, path: str | None) -> int:
    """Show the effective value(s) of RESOURCE (<project>/<Kind>/<name> or a resource file) and the
    chain of file:line that set and overrode them."""
    from compiler.explain import explain_lines, find_target
    from compiler.merge.targets_of import Selection
    from compiler.pipeline import load_stage

    repo = repo_of(ctx)
    build = load_stage(repo, Selection(envs=(env,)))
    target = find_target(build.targets, repo, resource, env)
    for line in explain_lines(target, path):
        click.echo(line)
    return 0
