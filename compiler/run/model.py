"""What a run is made of: the request, who starts it from which commit, and what it creates."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

RUN_LABEL = "strata.dev/run"                   # a run id; its presence marks an object as a run
COMMIT_LABEL = "strata.dev/source-commit"      # the config repo's HEAD (`-dirty` with uncommitted changes)
USER_LABEL = "strata.dev/user"                 # who started it, in label-value characters
RUNNABLE = ("Job", "Pipeline")
VIA_KUBERNETES, VIA_ARGO = "kubernetes", "argo-server"
_NOT_LABEL = re.compile(r"[^A-Za-z0-9._-]+")
LABEL_MAX = 63


@dataclass(frozen=True)
class Source:
    """The config repository's git state, read by the command and passed in."""

    commit: str = ""        # HEAD's sha; "" outside git or before the first commit
    dirty: bool = False     # uncommitted changes in the working tree

    @property
    def label(self) -> str:
        if not self.commit:
            return "none"
        return f"{self.commit}-dirty" if self.dirty else self.commit


@dataclass(frozen=True)
class Starter:
    """Who starts the run, and when (the command's clock): no global state below the command."""

    user: str               # git config user.email, or --user
    run_id: str             # unique per run: `strata.dev/run`
    now: str                # RFC 3339, UTC


@dataclass(frozen=True)
class RunRequest:
    ref: str                                 # <project>/<Kind>/<name>
    env: str
    settings: tuple[str, ...] = ()           # --set PATH=VALUE
    dry_run: bool = False
    allow_dirty: bool = False
    argo_server: str | None = None           # --argo-server (else the environment's argoServer.url)


@dataclass(frozen=True)
class Start:
    """The object a run creates, and how it is sent."""

    obj: dict[str, Any]                      # complete: what the Kubernetes path POSTs (generateName, labels)
    via: str = VIA_KUBERNETES
    submit_from: tuple[str, str] | None = None   # (kind, name) the Argo Server builds the Workflow from
    parameters: tuple[tuple[str, str], ...] = ()
    note: str = ""                           # how it relates to the object in the cluster

    @property
    def kind(self) -> str:
        return str(self.obj["kind"])

    @property
    def namespace(self) -> str:
        return str(self.obj["metadata"].get("namespace") or "")

    @property
    def labels(self) -> dict[str, str]:
        return dict(self.obj["metadata"].get("labels") or {})


@dataclass(frozen=True)
class Started:
    """What the server answered: the object created (or, on a dry run, what it would store)."""

    start: Start
    obj: dict[str, Any]
    dry_run: bool = False
    warnings: tuple = field(default=(), compare=False)

    @property
    def name(self) -> str:
        return str(self.obj["metadata"].get("name") or "")


def run_labels(starter: Starter, source: Source) -> dict[str, str]:
    return {RUN_LABEL: starter.run_id, COMMIT_LABEL: source.label, USER_LABEL: label_value(starter.user)}


def label_value(text: str) -> str:
    """`alice@example.com` → `alice_example.com`: a label value keeps [A-Za-z0-9._-], 63 at most,
    alphanumeric at both ends."""
    cleaned = _NOT_LABEL.sub("_", text)[:LABEL_MAX].strip("._-")
    return cleaned or "unknown"
