"""The delivery target: `out/_delivery/<engine>/<env>/`, one per environment an engine delivers.

It is a node of the compile like any target: its files are listed in manifest.json with
their hashes, and its digest covers what its output is a function of — strata's version,
strata.yaml, the environment's and its projects' files, and the digest of every target of the
environment (AppProject whitelists and health checks follow the objects they render). A
compile of some projects only (`--project`) keeps the previous delivery target; `strata
publish` refuses an output whose digests do not match the tree.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from compiler import __version__
from compiler.delivery.argocd import argocd_files
from compiler.delivery.flux import flux_files
from compiler.delivery.groups import PLATFORM, RESERVED, env_groups
from compiler.delivery.settings import DeliverySettings, delivered_by_engine, delivery_of
from compiler.errors import Problems
from compiler.graph.build import Graph
from compiler.targets import Env, Key, Project

SCHEME = "strata-delivery-digest/1"
PROJECT = "_delivery"        # the `project` of a delivery target's manifest entry
KIND = "Delivery"


def folder_of(engine: str, env: str) -> str:
    return f"{PROJECT}/{engine}/{env}"


@dataclass(frozen=True)
class DeliveryTarget:
    env: str                                  # the environment's name
    engine: str
    digest: str
    members: tuple[str, ...]                  # the identities of the environment's targets
    inputs: Mapping[str, str]                 # its own input files → sha256
    files: Mapping[str, bytes] = field(default_factory=dict)      # relative to out/
    objects: tuple[dict[str, str], ...] = ()  # refs of the engine objects it emits

    @property
    def folder(self) -> str:
        return folder_of(self.engine, self.env)

    @property
    def identity(self) -> str:
        return self.folder

    def entry(self) -> dict[str, Any]:
        """Its manifest.json entry, in the shape of a target's."""
        from compiler.output.assemble import sha256

        return {"id": self.identity, "env": self.env, "project": PROJECT, "kind": KIND, "name": self.engine,
                "folder": self.folder, "digest": self.digest, "references": list(self.members),
                "inputs": dict(self.inputs), "outputs": {path: sha256(data) for path, data in sorted(self.files.items())},
                "objects": list(self.objects)}


@dataclass(frozen=True)
class Plan:
    """What a delivery target is built from, known after the load stage (no render needed)."""

    env: Env
    engine: str
    namespaces: Mapping[str, str]             # project → namespace
    files: tuple[str, ...]                    # environment and project files
    members: tuple[Key, ...]                  # every graph node of the environment


def delivery_plans(graph: Graph, envs: Iterable[Env], problems: Problems) -> list[Plan]:
    """One plan per environment delivered by Argo CD or Flux among `envs`."""
    plans = []
    for env in sorted(envs, key=lambda e: e.name):
        if not delivered_by_engine(env):
            continue
        projects = [p.project for p in graph.projects if p.project.env.name == env.name]
        for project in projects:
            if project.name == RESERVED:
                problems.add(f"project {RESERVED} cannot be delivered by {env.settings.delivery.engine}: its engine "
                             f"objects would take the names of the environment's shared objects ({env.name}."
                             f"{RESERVED}); rename the project", project.origin, env=env.name)
        plans.append(plan_of(env, projects, (key for key in graph.nodes if key[0] == env.name)))
    return plans


def plan_of(env: Env, projects: Iterable[Project], members: Iterable[Key]) -> Plan:
    """The plan of an environment from its projects and its graph nodes' keys."""
    projects = list(projects)
    return Plan(env, env.settings.delivery.engine, {p.name: p.namespace for p in projects},
                tuple(sorted({*env.files, *(p.file for p in projects)})), tuple(sorted(members)))


def delivery_digest(plan: Plan, graph: Graph, hashes: Mapping[str, str], digests: Mapping[Key, str], config: str = "",
                    version: str = __version__) -> str:
    return digest_of(plan.engine, plan.env.name, [(path, hashes.get(path, "")) for path in plan.files],
                     [(graph.nodes[key].target.identity, digests.get(key, "")) for key in plan.members], config, version)


def digest_of(engine: str, env: str, files: Iterable[tuple[str, str]], members: Iterable[tuple[str, str]],
              config: str = "", version: str = __version__) -> str:
    """The delivery digest from its parts: (path, sha256) of its files, (identity, digest) of the
    environment's targets in key order (`strata merge` computes it from the shards' records)."""
    parts = [f"{SCHEME}\0{version}\0{config}\0{engine}\0{env}\n"]
    parts += [f"file\0{path}\0{digest}\n" for path, digest in files]
    parts += [f"target\0{identity}\0{digest}\n" for identity, digest in members]
    return hashlib.sha256("".join(parts).encode()).hexdigest()


def member_rows(graph: Graph, digests: Mapping[Key, str]) -> dict[str, list[list[str]]]:
    """[project, resource, identity, digest] of every target of `graph`, by environment, in key order:
    what a delivery digest covers, as a shard's record and `.strata/delta.bin` keep it."""
    found: dict[str, list[list[str]]] = {}
    for key, node in sorted(graph.nodes.items()):
        found.setdefault(key[0], []).append([key[1], key[2], node.target.identity, digests.get(key, "")])
    return found


def recorded_delivery(env: str, settings: DeliverySettings, scheduler: str, namespaces: Mapping[str, str],
                      files: Iterable[tuple[str, str]], rows: Iterable[list[str]],
                      refs: Iterable[tuple[str, dict[str, str]]], config: str,
                      version: str = __version__) -> DeliveryTarget:
    """The delivery target of one environment from recorded facts instead of a graph (`strata merge`,
    a delta compile): its input files with their sha256, every target's `member_rows` row, every
    entry's (folder, object ref); the same target `build_delivery` makes."""
    files = list(files)
    ordered = sorted(rows, key=lambda m: (m[0], m[1]))
    out, objects = engine_files(settings, scheduler, namespaces, refs)
    digest = digest_of(settings.engine, env, files, [(m[2], m[3]) for m in ordered], config, version)
    return DeliveryTarget(env, settings.engine, digest, tuple(sorted(m[2] for m in ordered)), dict(files), out,
                          tuple(objects))


def build_delivery(plan: Plan, graph: Graph, digest: str, hashes: Mapping[str, str],
                   refs: Iterable[tuple[str, dict[str, str]]]) -> DeliveryTarget:
    """The delivery target of one environment; `refs` are (folder, object ref) of the whole compile."""
    files, objects = engine_files(delivery_of(plan.env), plan.env.settings.scheduler, plan.namespaces, refs)
    members = tuple(sorted(graph.nodes[key].target.identity for key in plan.members))
    inputs = {path: hashes.get(path, "") for path in plan.files}
    return DeliveryTarget(plan.env.name, plan.engine, digest, members, inputs, files, tuple(objects))


def engine_files(settings: DeliverySettings, scheduler: str, namespaces: Mapping[str, str],
                 refs: Iterable[tuple[str, dict[str, str]]]) -> tuple[dict[str, bytes], list[dict[str, str]]]:
    """The engine's files of one environment (relative to out/) and the refs of the objects in them."""
    from compiler.output.assemble import dump_documents

    groups = env_groups(settings.env, dict(namespaces), refs)
    if settings.engine == "argocd":
        content: dict[str, Any] = argocd_files(settings, groups, scheduler)
    else:
        content = dict(flux_files(settings, groups))
    folder = folder_of(settings.engine, settings.env)
    files: dict[str, bytes] = {}
    objects: list[dict[str, str]] = []
    for name, value in sorted(content.items()):
        if isinstance(value, dict):       # a parameter file of the ApplicationSet's git files generator
            files[f"{folder}/{name}"] = (json.dumps(value, indent=2, sort_keys=True) + "\n").encode()
        else:
            files[f"{folder}/{name}"] = _header(settings, name) + dump_documents(value)
            objects += [_ref(obj) for obj in value]
    return files, objects


def _header(settings: DeliverySettings, name: str) -> bytes:
    return (f"# {settings.engine} objects of {settings.env}: {name}, generated by strata (do not edit; "
            "see docs/delivery.md)\n").encode()


def _ref(obj: dict[str, Any]) -> dict[str, str]:
    from compiler.output.assemble import object_ref

    return object_ref(obj)


__all__ = ["PLATFORM", "DeliveryTarget", "Plan", "build_delivery", "delivery_digest", "delivery_plans", "digest_of",
           "engine_files", "member_rows", "plan_of", "recorded_delivery"]
