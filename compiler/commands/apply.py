"""`strata apply`: server-side apply of one environment, with owned pruning and guards (compiler/apply)."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from compiler.commands import repo_of

kube_options = [
    click.option("--kubeconfig", metavar="FILE", default=None,
                 help="Kubeconfig (default: $KUBECONFIG, else ~/.kube/config)."),
    click.option("--context", "kube_context", metavar="NAME", default=None,
                 help="Kube context (default: the kubeconfig's current context)."),
]


def with_kube_options(command):
    for option in reversed(kube_options):
        command = option(command)
    return command


def kubeconfig_path(option: str | None) -> str | None:
    """--kubeconfig, else $KUBECONFIG (read here, at the edge: the library is given it)."""
    return option or os.environ.get("KUBECONFIG") or None


@click.command("apply")
@click.option("--env", required=True, metavar="E", help="The environment to apply.")
@click.option("--project", "projects", multiple=True, metavar="P", help="Only this project's objects (repeatable).")
@click.option("--plan", "plan_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="A saved plan (`strata plan --live --out plan.json`): refuse unless it still holds.")
@click.option("--dry-run", is_flag=True, help="Server dry run (dryRun=All): show what would change, change nothing.")
@click.option("--prune", is_flag=True, help="Delete members of strata's ApplySets that are no longer compiled.")
@click.option("--max-deletions", type=click.IntRange(min=0), default=10, show_default=True,
              help="Refuse (exit 3, nothing deleted) when prune would delete more.")
@click.option("--allow-delete-data", is_flag=True, help="Let prune delete Namespaces, PVCs, PVs and Fluid Datasets.")
@with_kube_options
@click.option("--force-conflicts", is_flag=True,
              help="Take over fields another field manager owns (and replace running jobs with --recreate-jobs).")
@click.option("--recreate-jobs", is_flag=True,
              help="Replace run-to-completion objects (training jobs, Jobs) whose spec changed.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def apply_command(ctx: click.Context, env: str, projects: tuple[str, ...], plan_file: Path | None, dry_run: bool,
                  prune: bool, max_deletions: int, allow_delete_data: bool, kubeconfig: str | None,
                  kube_context: str | None, force_conflicts: bool, recreate_jobs: bool, fmt: str) -> int:
    """Server-side apply ENV's compiled objects to its cluster (field manager `strata`)."""
    from compiler.apply import ApplyOptions, apply, connect
    from compiler.apply.report import document, kept_lines, line, summary
    from compiler.commands.compile import print_warnings

    options = ApplyOptions(env, tuple(projects), plan_file, dry_run, prune, max_deletions, allow_delete_data,
                           force_conflicts, recreate_jobs)
    kube = connect(kubeconfig_path(kubeconfig), kube_context)
    text = fmt == "text"
    with _Progress(enabled=text and sys.stderr.isatty()) as progress:
        def show(outcome) -> None:
            progress.advance()
            if text:
                for entry in line(outcome, dry_run=dry_run):
                    progress.echo(_paint(entry))
        result = apply(repo_of(ctx), options, kube, show, on_ready=lambda p: progress.start(len(p.plan.steps)))
    plan = result.prepared.plan
    print_warnings(list(result.prepared.desired.warnings))
    if text:
        for entry in kept_lines(plan.kept):
            click.echo(entry)
        for group in plan.orphans:
            click.secho(f"warning: {group} is in the cluster but compiles to nothing (apply --prune refuses it)", err=True,
                        fg="yellow")
        pending = 0 if prune else len(plan.prunes)
        click.secho(summary(result.outcomes, dry_run=dry_run, pending_prunes=pending), bold=True)
    else:
        click.echo(document(result.outcomes, env=env, context=kube.context, dry_run=dry_run, kept=plan.kept,
                            orphans=plan.orphans, requests=dict(kube.requests)), nl=False)
    return 1 if result.failed else 0


def _paint(text: str) -> str:
    from compiler.apply.report import COLOURS

    colour = COLOURS.get(text[:1])
    return click.style(text, fg=colour) if colour and not text.startswith("    ") else text


class _Progress:
    """A progress bar on a terminal (stderr), result lines on stdout; nothing extra when piped."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar: Any = None
        self.task: Any = None

    def __enter__(self):
        return self

    def start(self, total: int) -> None:
        if self.enabled:
            from rich.progress import Progress

            self.bar = Progress(transient=True)
            self.bar.start()
            self.task = self.bar.add_task("applying", total=total)

    def advance(self) -> None:
        if self.bar is not None:
            self.bar.advance(self.task)

    def echo(self, text: str) -> None:
        if self.bar is not None:
            from rich.text import Text

            self.bar.console.print(Text.from_ansi(text))
        else:
            click.echo(text)

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()
