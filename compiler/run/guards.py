"""Refusals before anything is created (exit 3): the same cluster guard as apply, a dirty
working tree where the environment does not allow one, an Argo Server that is not the
environment's."""
from __future__ import annotations

from compiler.apply.guards import check_cluster
from compiler.errors import GuardError
from compiler.run.model import Source
from compiler.targets import Env

__all__ = ["argo_server_of", "check_cluster", "check_source"]


def check_source(env: Env, source: Source, allow_dirty: bool) -> None:
    """A run records the commit it came from; uncommitted changes make that record a lie, so they
    need the environment's `runs: {allowDirty: true}` (a dev cluster) or --allow-dirty."""
    if allow_dirty or env.settings.runs.allowDirty:
        return
    if not source.commit:
        raise GuardError(f"the config repository has no commit to record as the run's source; environment "
                         f"{env.name} runs only committed config (commit first, or pass --allow-dirty)")
    if source.dirty:
        raise GuardError(f"the working tree has uncommitted changes; environment {env.name} runs only committed "
                         f"config (commit them, or pass --allow-dirty: the run is then labelled {source.label})")


def argo_server_of(env: Env, option: str | None) -> str | None:
    """--argo-server, else the environment's `argoServer.url`; an --argo-server that is not the
    environment's declared one is refused (the cluster guard cannot vouch for it)."""
    declared = env.settings.argoServer.url if env.settings.argoServer is not None else None
    if option and declared and _url(option) != _url(declared):
        raise GuardError(f"--argo-server {option} is not environment {env.name}'s Argo Server ({declared})")
    return option or declared


def _url(url: str) -> str:
    return url.strip().rstrip("/").lower()
