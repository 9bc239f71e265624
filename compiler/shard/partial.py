"""One shard's compile (`strata compile --shard K/N`), built on the pipeline's stages.

load   every file, the world, and the targets of the shard's cells only (`narrow`)
digest as a full compile, for the targets built
render the shard's targets and project objects; every environment's platform target (its
       Kueue flavors are what the capacity checks read queue limits from); the cross-project
       checks (namespaces, queue names) compare every project of the repository
assemble the shard's folders only, and a manifest.json with a `shard` record (below)

The record is what `strata merge` needs to finish the output without loading the repository:
for each environment whose platform target the shard owns, its capacity facts (pools,
clusters, every project's quota) and, when Argo CD or Flux delivers it, its delivery settings,
projects' namespaces and input files; for each delivered environment, the key, identity and
digest of every target of the shard's cells there (Models too), which the delivery target's
digest covers.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from compiler.errors import StrataError
from compiler.shard import Shard
from compiler.shard.assign import Assignment, assign, units_of

if TYPE_CHECKING:
    from compiler.pipeline import Build

RECORD = "shard"       # its key in a shard's manifest.json (a full compile's has none)


def compile_shard(repo: Path, shard: Shard, *, envs: tuple[str, ...] = (), projects: tuple[str, ...] = (),
                  progress: Callable[[int, int], None] | None = None) -> Build:
    """The shard's Build, `files` its partial output (manifest.json with its `shard` record)."""
    from compiler.merge.world import projects_in_env
    from compiler.pipeline import digest_stage, load_stage, render_stage

    if envs or projects:
        raise StrataError("--shard splits a compile of the whole repository: drop --env and --project")

    def narrow(world, docs, selection):
        return replace(selection, cells=assignment_of(world, docs, shard.count).cells(shard.index))

    build = digest_stage(load_stage(repo, narrow=narrow))
    assignment = assignment_of(build.world, build.docs, shard.count)
    peers = [p for name in sorted(build.world.envs) for p in projects_in_env(build.world, name, build.projects)]
    build = render_stage(build, progress=progress, peers=peers)
    return replace(build, files=partial_files(build, shard, assignment))


def assignment_of(world, docs, count: int) -> Assignment:
    return assign(units_of(world, docs), count)


def partial_files(build, shard: Shard, assignment: Assignment) -> dict[str, bytes]:
    """The shard's folders, and its manifest.json: the full compile's format for what it holds, no
    capacity figures (they need every shard: merge sums them) and the `shard` record."""
    from compiler.output.assemble import MANIFEST, assemble, manifest_bytes

    owned = assignment.platforms(shard.index)
    platforms = tuple(p for p in build.graph.platforms if p.env.name in owned)
    files = assemble(replace(build, graph=replace(build.graph, platforms=platforms), delivery=()))
    doc = json.loads(files[MANIFEST])
    doc["capacity"] = {}
    doc[RECORD] = shard_record(build, shard, assignment)
    files[MANIFEST] = manifest_bytes(doc)
    return files


def shard_record(build, shard: Shard, assignment: Assignment) -> dict[str, Any]:
    from compiler.capacity import selected_envs
    from compiler.delivery.settings import delivered_by_engine
    from compiler.delivery.target import member_rows
    from compiler.shard.source import source_of, tool_of

    envs = selected_envs(build)
    rows = member_rows(build.graph, build.digests)
    delivered = sorted(name for name, env in envs.items() if delivered_by_engine(env))
    return {"index": shard.index, "count": shard.count, "source": source_of(build), "tool": tool_of(),
            "folders": list(assignment.folders(shard.index)),
            "environments": {name: environment_record(build, envs[name])
                             for name in sorted(assignment.platforms(shard.index))},
            "members": {name: rows.get(name, []) for name in delivered}}


def environment_record(build, env) -> dict[str, Any]:
    """What merge needs of an environment besides its targets' entries."""
    from compiler.capacity.report import EnvFacts
    from compiler.delivery.settings import delivered_by_engine, delivery_of
    from compiler.delivery.target import plan_of
    from compiler.load.discover import CONFIG_FILE
    from compiler.merge.world import projects_in_env
    from compiler.output.assemble import known_hashes

    projects = projects_in_env(build.world, env.name, build.projects)
    found: dict[str, Any] = {"facts": EnvFacts.of(env, projects).record()}
    if delivered_by_engine(env):
        plan = plan_of(env, projects, ())
        hashes = known_hashes(build, plan.files)
        found["delivery"] = {"settings": delivery_of(env).record(), "scheduler": env.settings.scheduler,
                             "namespaces": dict(plan.namespaces), "files": [[f, hashes[f]] for f in plan.files],
                             "config": build.hashes.get(CONFIG_FILE, "")}
    return found

