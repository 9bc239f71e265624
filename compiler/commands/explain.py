"""`strata explain`: where an effective value came from, layer by layer."""
from __future__ import annotations

import click

from compiler.commands import repo_of


@click.command("explain")
@click.argument("subject")
@click.option("--env", "env", default=None,
              help="Environment whose effective values to show (required for a resource or a project).")
@click.option("--path", "path", default=None, metavar="P",
              help="Dotted path (replicas.max, quota.gpu.a100); merge-keyed items as env[NCCL_DEBUG].value.")
@click.pass_context
def explain_command(ctx: click.Context, subject: str, env: str | None, path: str | None) -> int:
    """Show the effective value(s) of SUBJECT and the chain of file:line that set and overrode them.

    SUBJECT is a resource (<project>/<Kind>/<name>, or its file), a project (its name or
    project.yaml: settings and the quota merged for --env) or an environment (its name or file).
    """
    from compiler.explain import explain_lines, find_subject
    from compiler.merge.targets_of import Selection
    from compiler.pipeline import load_stage

    repo = repo_of(ctx)
    build = load_stage(repo, Selection(envs=(env,) if env else ()))
    for line in explain_lines(find_subject(build, repo, subject, env), path):
        click.echo(line)
    return 0
