"""`strata run` and `strata runs`: start a compiled Job or Pipeline once, and list those runs (compiler/run).

The edge of the command: it reads git (the commit and the user), the clock, $KUBECONFIG and
$ARGO_TOKEN, and passes them in as values.
"""
from __future__ import annotations

import os
import secrets
import time
from datetime import datetime, timezone
from pathlib import Path

import click

from compiler.commands import repo_of
from compiler.commands.apply import kubeconfig_path, with_kube_options


@click.command("run")
@click.argument("resource", metavar="PROJECT/KIND/NAME")
@click.option("--env", required=True, metavar="E", help="The environment to run in.")
@click.option("--set", "settings", multiple=True, metavar="PATH=VALUE",
              help="One more layer over the resource's spec (resources.gpu=2, env[LR].value=3e-4, "
                   "params[horizon].default=72); checked like a committed value. Repeatable.")
@click.option("--wait", is_flag=True, help="Follow the run to its end; exit 1 if it fails.")
@click.option("--dry-run", is_flag=True, help="Print the run object and the server's dry-run answer; start nothing.")
@click.option("--allow-dirty", is_flag=True,
              help="Run uncommitted changes where the environment does not allow it (runs: {allowDirty}).")
@with_kube_options
@click.option("--argo-server", metavar="URL", default=None,
              help="Submit pipelines through this Argo Server (default: the environment's argoServer.url).")
@click.option("--user", metavar="NAME", default=None, help="Who starts the run (default: git config user.email).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def run_command(ctx: click.Context, resource: str, env: str, settings: tuple[str, ...], wait: bool, dry_run: bool,
                allow_dirty: bool, kubeconfig: str | None, kube_context: str | None, argo_server: str | None,
                user: str | None, fmt: str) -> int:
    """Start the compiled Job or Pipeline PROJECT/KIND/NAME once, now, in ENV."""
    from compiler.apply import connect
    from compiler.commands.compile import print_warnings
    from compiler.errors import StrataError
    from compiler.run import RunRequest, Starter, prepare_run, start_run
    from compiler.run.source import git_user, read_source

    repo = repo_of(ctx)
    now = datetime.now(timezone.utc)
    source = read_source(repo)
    starter = Starter(user or git_user(repo), f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}",
                      now.strftime("%Y-%m-%dT%H:%M:%SZ"))
    request = RunRequest(resource, env, tuple(settings), dry_run, allow_dirty, argo_server)
    try:
        prepared = prepare_run(repo, request, source, starter, lambda: connect(kubeconfig_path(kubeconfig), kube_context),
                               _argo)
        started = start_run(prepared, dry_run)
    except StrataError as error:
        with_settings = "".join(f" --set {text}" for text in settings)
        error.unchanged = f"no run was started in {env}" + (f"; compiled with{with_settings}" if with_settings else "")
        raise
    print_warnings(list(started.warnings))
    url = prepared.argo.url if prepared.argo is not None else None
    final, parts = None, []
    if fmt == "text":
        _print_started(prepared, started, source, starter, url)
    if wait and not dry_run:
        final, parts = _wait(prepared, started, text=fmt == "text")
    if fmt == "json":
        from compiler.run.report import run_document

        click.echo(run_document(started, prepared.compiled, source, starter, url, final, parts), nl=False)
    return 1 if final is not None and not _succeeded(final) else 0


def _print_started(prepared, started, source, starter, url) -> None:
    from compiler.run.report import dry_run_lines, started_lines

    if started.dry_run:
        for line in dry_run_lines(started):
            click.echo(line)
    for line in started_lines(started, prepared.compiled, source, starter, url):
        click.echo(line)


def _wait(prepared, started, *, text: bool):
    from compiler.run.failure import failed_parts
    from compiler.run.follow import argo_snapshots, follow, kube_snapshots
    from compiler.run.report import outcome_lines
    from compiler.run.status import progress

    shown: list[str] = []

    def show(obj) -> None:
        line = progress(obj).line()
        if text and line != (shown[-1] if shown else None):
            click.echo(f"  {line}", err=False)
        shown.append(line)

    snapshots = argo_snapshots(prepared.argo, started.obj, time.sleep) if prepared.argo is not None \
        else kube_snapshots(prepared.kube, prepared.resource, started.obj)
    final = follow(snapshots, show)
    parts = [] if progress(final).succeeded else failed_parts(prepared.kube, final)
    if text:
        for line in outcome_lines(final, parts):
            click.secho(line, fg="green" if progress(final).succeeded else "red", bold=line.startswith("Run "))
    return final, parts


def _succeeded(final) -> bool:
    from compiler.run.status import progress

    return progress(final).succeeded


def _argo(url: str, kube):
    """The Argo Server client, with $ARGO_TOKEN or the kubeconfig user's bearer token (client auth mode)."""
    from compiler.run.argo import connect_argo

    token = os.environ.get("ARGO_TOKEN") or kube.client.configuration.get_api_key_with_prefix("BearerToken")
    return connect_argo(url, token)


@click.command("runs")
@click.option("--env", "env", default=None, metavar="E",
              help="The environment whose runs to list (default: every environment on the kube context's cluster).")
@click.option("--project", default=None, metavar="P", help="Only this project's runs.")
@with_kube_options
@click.option("--argo-server", metavar="URL", default=None,
              help="List Workflows through this Argo Server (default: the environment's argoServer.url).")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="At most this many runs.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def runs_command(ctx: click.Context, env: str | None, project: str | None, kubeconfig: str | None,
                 kube_context: str | None, argo_server: str | None, limit: int, fmt: str) -> int:
    """List recent runs started by `strata run`: phase, start, duration, source commit, who started them."""
    from compiler.apply import connect
    from compiler.run.listing import list_runs
    from compiler.run.report import runs_document, runs_lines

    repo = repo_of(ctx)
    kube = connect(kubeconfig_path(kubeconfig), kube_context)
    found = []
    for environment, namespaces, url in _environments(repo, env, project, kube, argo_server):
        argo = _argo(url, kube) if url else None
        found += list_runs(kube, environment, project, namespaces, argo)
    found = sorted(found, key=lambda r: (r.started, r.namespace, r.name), reverse=True)[:limit]
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if fmt == "json":
        click.echo(runs_document(found, now), nl=False)
    else:
        for line in runs_lines(found, now):
            click.echo(line)
    return 0


def _environments(repo: Path, env: str | None, project: str | None, kube, argo_server: str | None):
    """(environment, its project namespaces, Argo Server URL) for --env (guarded like a run), else for every
    environment whose cluster the kube context points at."""
    from compiler.errors import GuardError, StrataError
    from compiler.merge.targets_of import Selection
    from compiler.pipeline import load_stage
    from compiler.run.guards import argo_server_of, check_cluster

    build = load_stage(repo, Selection((env,) if env else (), (project,) if project else ()))
    envs = {p.env.name: p.env for p in build.projects}
    if env is not None:
        envs = {env: envs[env]} if env in envs else {env: build.world.envs[env].env}
        check_cluster(envs[env], kube.context)
    else:
        matching = {}
        for name, found in envs.items():
            try:
                check_cluster(found, kube.context)
            except GuardError:
                continue
            matching[name] = found
        if not matching:
            raise StrataError(f"kube context {kube.context.name!r} points at no environment's cluster; pass --env")
        envs = matching
    for name, found in sorted(envs.items()):
        namespaces = tuple(sorted({p.namespace for p in build.projects if p.env.name == name}))
        yield name, namespaces, argo_server_of(found, argo_server)
