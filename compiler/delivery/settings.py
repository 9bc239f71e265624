"""An environment's delivery settings with their defaults resolved, and the checks on them.

`delivery:` merges group → environment like every setting; what is left unset here takes
the defaults of docs/delivery.md: branch `env/<env>`, automated sync and self-heal on,
prune on outside production and off in production, the engine's usual namespace.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from compiler.errors import Problems
from compiler.provenance import Origin, Value
from compiler.targets import Env
from schemas.environment import Cluster

ENGINES_WITH_TARGET = ("argocd", "flux")   # engines whose objects compile emits
NAMESPACES = {"argocd": "argocd", "flux": "flux-system"}


@dataclass(frozen=True)
class DeliverySettings:
    env: str
    engine: str
    repo_url: str
    branch: str
    automated: bool
    prune: bool
    self_heal: bool
    fleet: bool                      # one ApplicationSet per environment instead of Applications
    production: bool
    namespace: str
    secret_ref: str | None
    clusters: tuple[Cluster, ...]

    @property
    def revision(self) -> str:
        """Fully qualified, so Argo CD never guesses between a branch and a tag of that name."""
        return f"refs/heads/{self.branch}"

    def record(self) -> dict[str, Any]:
        """As JSON data: a shard records it, `strata merge` builds the delivery target from it
        (a cluster's labels as pairs: their order is the order of the Applications' labels)."""
        found: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "clusters"}
        found["clusters"] = [{"name": c.name, "server": c.server, "labels": list(c.labels.items()), "ring": c.ring}
                             for c in self.clusters]
        return found

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> DeliverySettings:
        clusters = tuple(Cluster(name=c["name"], server=c["server"], labels=dict(c["labels"]), ring=c["ring"])
                         for c in data["clusters"])
        return cls(**{k: v for k, v in data.items() if k != "clusters"}, clusters=clusters)


def default_branch(env: str) -> str:
    return f"env/{env}"


def delivery_of(env: Env) -> DeliverySettings:
    d = env.settings.delivery
    return DeliverySettings(
        env=env.name, engine=d.engine, repo_url=d.repoURL or "", branch=d.branch or default_branch(env.name),
        automated=d.automated is not False, prune=d.prune if d.prune is not None else not d.production,
        self_heal=d.selfHeal is not False, fleet=d.fleet == "applicationset", production=d.production,
        namespace=d.namespace or NAMESPACES.get(d.engine, ""), secret_ref=d.secretRef,
        clusters=env.settings.all_clusters())


def delivered_by_engine(env: Env) -> bool:
    return env.settings.delivery.engine in ENGINES_WITH_TARGET


def slug(name: str) -> str:
    """A DNS label for a cluster name (kube context names can be ARNs): lower case, other characters
    become `-`, and a name that had to change (or is long) gets 6 hex digits of its hash."""
    cleaned = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")
    if cleaned == name and len(name) <= 40:
        return name
    return f"{cleaned[:33].rstrip('-') or 'cluster'}-{hashlib.sha256(name.encode()).hexdigest()[:6]}"


# --- checks, after the merge (a group may set the engine and an environment the repository) ----------

def check_delivery(env: Env, settings: Value | None, problems: Problems) -> None:
    """Located errors for delivery settings that cannot work; `settings` is the merged tree."""
    d = env.settings.delivery
    delivery = _child(settings, "delivery")
    where = delivery.origin if delivery is not None else env.origin

    def at(key: str) -> Origin:
        found = _child(delivery, key)
        return found.origin if found is not None else where

    def add(message: str, origin: Origin) -> None:
        problems.add(message, origin, env=env.name)

    if env.settings.cluster is not None and env.settings.clusters:
        cluster = _child(settings, "cluster")
        add("cluster: and clusters: are both set; cluster: is the shorthand for a one-item clusters: list, "
            "use one of them", cluster.origin if cluster is not None else env.origin)
    names = [c.name for c in env.settings.all_clusters()]
    labels = [slug(n) for n in names]
    clashing = sorted({n for n, label in zip(names, labels, strict=True) if labels.count(label) > 1})
    if len(clashing) > 1:
        add(f"clusters {', '.join(clashing)} get the same name in the engine's objects; rename one", env.origin)
    if d.engine == "ci":
        if d.fleet != "applications":
            add("delivery.fleet has no effect with engine ci (CI applies with strata apply)", at("fleet"))
        return
    if not d.repoURL:
        add(f"delivery.engine {d.engine} needs delivery.repoURL: the repository strata publish writes "
            f"{env.name}'s branch to and {_engine(d.engine)} reads", at("engine"))
    if not names:
        add(f"delivery.engine {d.engine} needs the environment's cluster (`cluster:` or `clusters:`)", at("engine"))
    if d.engine == "flux":
        for key, value in (("automated", d.automated), ("selfHeal", d.selfHeal)):
            if value is False:
                add(f"delivery.{key}: false is not supported by flux: Flux reconciles and corrects drift on every "
                    "interval (engine argocd syncs by hand)", at(key))
        if d.fleet != "applications":
            add("delivery.fleet: applicationset is an Argo CD mode; flux runs in each cluster", at("fleet"))
    if d.engine == "argocd" and d.secretRef is not None:
        add("delivery.secretRef is for flux; Argo CD reads repository credentials from its own repository "
            "Secrets", at("secretRef"))
    if d.fleet == "applicationset" and any(not c.server for c in env.settings.all_clusters()):
        add("delivery.fleet: applicationset needs `server` on every cluster: the AppProject permits exactly "
            "those servers and the clusters generator matches Argo CD's cluster Secrets", at("fleet"))


def _engine(engine: str) -> str:
    return {"argocd": "Argo CD", "flux": "Flux"}.get(engine, engine)


def _child(value: Value | None, key: str) -> Value | None:
    return value.data.get(key) if value is not None and value.is_map else None
