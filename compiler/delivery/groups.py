"""What the delivery target is built from: each environment's target groups and their objects.

A group is one Argo CD Application / Flux Kustomization source folder: a project
(`<env>/<project>/`) or the environment's shared objects (`<env>/_platform/`). Its objects
are references (apiVersion, kind, name, namespace), read from what this compile rendered and
from the manifest entries of targets whose previous output was kept, so a delivery target
never needs a target rendered again.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from compiler.kinds import PLATFORM  # the folder of an environment's shared objects (SPEC §7)
from compiler.order import group_of

RESERVED = "platform"           # their name in engine objects and labels, which no project may take


@dataclass(frozen=True)
class Group:
    name: str                               # project name, or PLATFORM
    folder: str                             # <env>/<name>: the source path on the environment branch
    namespace: str                          # the Application's destination namespace ("" for PLATFORM)
    objects: tuple[dict[str, str], ...]     # object refs, sorted

    @property
    def is_platform(self) -> bool:
        return self.name == PLATFORM

    @property
    def label(self) -> str:
        """The group as a label value and name part (`platform` for the shared objects)."""
        return RESERVED if self.is_platform else self.name

    def kinds(self) -> set[tuple[str, str]]:
        return {(ref["apiVersion"], ref["kind"]) for ref in self.objects}

    def namespaced_kinds(self) -> list[tuple[str, str]]:
        """(group, kind) of its namespaced objects, sorted."""
        return sorted({(group_of(r["apiVersion"]), r["kind"]) for r in self.objects if r.get("namespace")})

    def cluster_objects(self) -> list[tuple[str, str, str]]:
        """(group, kind, name) of its cluster-scoped objects, sorted."""
        return sorted({(group_of(r["apiVersion"]), r["kind"], r["name"]) for r in self.objects if not r.get("namespace")})

    def namespaces(self) -> list[str]:
        """Every namespace it writes to: its objects' and its Application's destination."""
        return sorted({r["namespace"] for r in self.objects if r.get("namespace")} | ({self.namespace} - {""}))


def env_groups(env: str, namespaces: dict[str, str], refs: Iterable[tuple[str, dict[str, str]]]) -> list[Group]:
    """The groups of `env`: the shared objects first, then projects by name.

    `namespaces` maps each of the environment's projects to its namespace; `refs` are
    (output folder, object ref) pairs of the whole compile.
    """
    by_group: dict[str, list[dict[str, str]]] = defaultdict(list)
    for folder, ref in refs:
        parts = folder.split("/")
        if len(parts) >= 2 and parts[0] == env and (parts[1] == PLATFORM or parts[1] in namespaces):
            by_group[parts[1]].append(ref)
    groups = [Group(PLATFORM, f"{env}/{PLATFORM}", "", _sorted(by_group[PLATFORM]))] if by_group.get(PLATFORM) else []
    groups += [Group(name, f"{env}/{name}", namespaces[name], _sorted(by_group.get(name, [])))
               for name in sorted(namespaces)]
    return groups


def _sorted(refs: list[dict[str, str]]) -> tuple[dict[str, str], ...]:
    unique = {tuple(sorted(r.items())): r for r in refs}
    return tuple(unique[key] for key in sorted(unique))
