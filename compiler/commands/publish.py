"""`strata publish`: write an environment's compiled output as one commit on its branch."""
from __future__ import annotations

import os
from pathlib import Path

import click

from compiler.commands import repo_of


@click.command("publish")
@click.option("--env", "env", required=True, metavar="ENV", help="The environment to publish (exactly one).")
@click.option("--branch", default=None, metavar="BRANCH",
              help="The branch to write (default: the environment's delivery.branch, else env/<env>).")
@click.option("--staging-branch", is_flag=True,
              help="Write <branch>-next instead, so promotion to the branch the engine reads is a reviewed merge.")
@click.option("--remote", default="origin", show_default=True, help="The remote --push writes to.")
@click.option("--push", is_flag=True, help="Push the commit (with --force-with-lease; rebuilt and retried when the "
                                           "remote moved).")
@click.option("--allow-dirty", is_flag=True, help="Publish although the config repository has uncommitted changes.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The compiled output (default: strata.yaml `output`, else out/ in the repo).")
@click.pass_context
def publish_command(ctx: click.Context, env: str, branch: str | None, staging_branch: bool, remote: str, push: bool,
                    allow_dirty: bool, out_dir: Path | None) -> int:
    """Commit out/<env>/ and its delivery files to the environment's branch, without a checkout."""
    from compiler.load.discover import read_config
    from compiler.output.guard import output_folder
    from compiler.publish import Request, publish
    from compiler.publish.git import Git

    repo = repo_of(ctx)
    config = read_config(repo)
    out_dir = output_folder(repo, config, out_dir)   # the folder compile writes, by the same rules
    request = Request(env, branch, out_dir, remote, push, allow_dirty, staging_branch, config.lock_timeout)
    done = publish(repo, Git(repo, dict(os.environ)), request, _waiting)
    where = f"{remote} {done.branch}" if done.pushed else done.branch
    if not done.changed:
        click.echo(f"{env}: {where} already holds this output (commit {done.commit[:12]}); nothing to commit.")
    else:
        retried = f" after {done.attempts} attempts (the remote moved)" if done.attempts > 1 else ""
        click.echo(f"Published {env} ({done.files} files) to {where}: commit {done.commit[:12]}"
                   f"{' on ' + done.parent[:12] if done.parent else ' (first commit)'}{retried}.")
    return 0


def _waiting(holder: str) -> None:
    click.echo(f"strata: waiting for another strata compile ({holder}) to finish writing the output before "
               "publishing it...", err=True)
