"""The `strata plan` command (registered in compiler/cli.py)."""
from __future__ import annotations

from pathlib import Path

import click

from compiler.commands.apply import kubeconfig_path, with_kube_options
from compiler.errors import StrataError
from compiler.plan import FORMATS, format_for, render
from compiler.plan import plan as make_plan

EXIT_CHANGES = 2   # with --detailed-exitcode, as Terraform: 0 no changes, 1 error, 2 changes


@click.command("plan")
@click.option("--base", default=None, metavar="REF",
              help="Git revision to compare the working tree with (a branch, tag or sha).")
@click.option("--live", is_flag=True,
              help="Compare with the live cluster of --env instead (drift; what `strata apply` would do).")
@click.option("--env", "envs", multiple=True, metavar="E", help="Only these environments (repeatable).")
@click.option("--project", "projects", multiple=True, metavar="P", help="Only these projects (repeatable).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="What to print on stdout.")
@click.option("--out", "outs", multiple=True, metavar="FILE", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the plan to FILE (repeatable); .json → json, .md → markdown, "
                   ".txt → text, any other suffix → --format.")
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 2 when there are changes (0 none, 1 error).")
@with_kube_options
@click.pass_context
def plan(ctx: click.Context, base: str | None, live: bool, envs: tuple[str, ...], projects: tuple[str, ...], fmt: str,
         outs: tuple[Path, ...], detailed_exitcode: bool, kubeconfig: str | None, kube_context: str | None) -> None:
    """Show what the working tree changes against REF (--base), or against the cluster (--live), object by object.

    `+` add, `~` change, `-` destroy, grouped by environment and target.
    """
    if live == (base is not None):
        raise click.UsageError("give exactly one of --base REF and --live")
    if base is None:
        result = _live(_repo(ctx), envs, projects, kubeconfig, kube_context)
    else:
        result = make_plan(_repo(ctx), base, envs=envs, projects=projects)
    for out in outs:
        _write(out, render(result, format_for(out, fmt)))
    # click.echo drops the colours when stdout is not a terminal.
    click.echo(render(result, fmt, color=fmt == "text"), nl=False)
    if detailed_exitcode and result.has_changes:
        ctx.exit(EXIT_CHANGES)


def _live(repo: Path, envs: tuple[str, ...], projects: tuple[str, ...], kubeconfig: str | None,
          kube_context: str | None):
    from compiler.apply import connect, live_plan
    from compiler.plan.gitbase import WORKING_TREE, head

    if len(envs) != 1:
        raise click.UsageError("--live compares one environment with its cluster: give exactly one --env")
    kube = connect(kubeconfig_path(kubeconfig), kube_context)
    try:
        revision = head(repo)
    except StrataError:
        revision = WORKING_TREE
    return live_plan(repo, envs[0], projects, kube, revision)


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise StrataError(f"--out {path}: {error.strerror or error}") from None


def _repo(ctx: click.Context) -> Path:
    repo = (ctx.obj or {}).get("repo") if isinstance(ctx.obj, dict) else None
    return Path(repo) if repo else Path.cwd()
