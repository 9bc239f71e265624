"""The delta compile: when only some projects' resource files changed, build only those projects.

compiler.incremental.delta says which project folders changed (and that nothing else did).
Their cells, every (environment, project) pair of those projects, are all that can change:
references never leave a cell (compiler/shard/assign.py). So, built on the pipeline's stages
as a shard is (compiler/shard/partial.py):

load     strata.yaml, layers, environments, and the changed projects' files only (what the
         checks need of the others is recorded in `.strata/delta.bin`); their cells alone are
         merged and linked (`load_stage(projects_of=…, narrow=…)`)
digest   those targets' digests; a target whose digest is unchanged keeps its files
         (compiler.output.cache), where they are
render   the others, the cells' project objects, and the checks: quota per project, capacity
         over the environments (with every project's queue where a rendered target's pods
         start together and may name another project's queue: `pipeline.gang_peers`)
assemble their files; manifest.json is the previous one (compiler.incremental.manifest: its kept
         lines copied, entries decoded only where read) with the cells' entries replaced, the
         delivery targets of their environments built again (from every entry's object refs and
         the facts `.strata/delta.bin` keeps: every target's digest, Models included, and every
         project's namespace and input files), and the capacity figures summed again from every
         entry's `gpus` lines and the recorded quotas
write    only the files that changed, moved into out/ under a journal (compiler.output.write
         `patched_output`), manifest.json last

Other cells' errors and warnings cannot change either: the previous compile succeeded and
printed no warnings (the delta is refused otherwise), and their inputs are unchanged; nor can
the checks that read only project and environment files (namespaces and queue names across
projects, quotas against a pool's capacity), which therefore see only the loaded projects. The
property test (tests/test_incremental_property.py) checks the result against `--no-cache`.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from compiler import collector
from compiler.delivery.target import PROJECT as DELIVERY  # the project of a delivery target's entry
from compiler.delivery.target import member_rows
from compiler.incremental import delta
from compiler.incremental.manifest import Item, Written, having, merged, needle, read_written
from compiler.incremental.parsed import ParseCache
from compiler.incremental.snapshot import Look, Request
from compiler.output.state import State
from compiler.output.write import Patch, locked_output, patched_output
from compiler.shard.join import ENTRY_LISTS  # the manifest's lists of entries with outputs


@dataclass(frozen=True)
class Recompiled:
    """What a delta compile printed and wrote, and the facts for the next one."""

    warnings: tuple[str, ...]
    deployed: int
    files: int
    rendered: int
    facts: delta.Facts


def compile_delta(repo: Path, request: Request, seen: Look, state: State, out: Path, *, jobs: int = 1,
                  lock_timeout: float = 60.0, waiting: Callable[[str], None] | None = None,
                  recovered: Callable[[str | None], None] | None = None,
                  progress: Callable[[int, int], None] | None = None) -> Recompiled | None:
    """Compile only the projects whose resource files changed and patch out/; None when the change
    is not one a delta compile covers (then nothing was written: compile in full). `seen`: what the
    compile saw first (compiler.incremental.snapshot.look)."""
    # The collector paused: nearly everything a delta compile allocates (the loaded specs, the previous
    # manifest.json) lives until it ends; its young collections found nothing (60-150 ms of ~1 s).
    with collector.paused(), locked_output(state, out, lock_timeout=lock_timeout, waiting=waiting, recovered=recovered):
        change = delta.changed_projects(request, str(state.folder), seen)   # under the lock, after any recovery
        old = read_written(out) if change is not None and change.previous.out == str(out) else None
        if change is None or old is None:
            return None
        with patched_output(state, out) as patch:
            done = recompile(repo, out, change, old, patch, state, jobs=jobs, progress=progress)
            state.clear_cache()   # from here until patched, out/ may be neither old nor new
    return done


def recompile(repo: Path, out: Path, change: delta.Change, old: Written, patch: Patch, state: State, *, jobs: int = 1,
              progress: Callable[[int, int], None] | None = None) -> Recompiled:
    """The changed projects' cells compiled into `patch` (their files, manifest.json, and what
    out/ loses, from `old`: out/manifest.json); raises StrataError with every problem, as a full
    compile would."""
    from compiler.output.assemble import MANIFEST, manifest_bytes

    build, kept, replaced, reused = _rendered(repo, out, change, old, patch, state, jobs, progress)
    members = _members(change.facts.members, build, {p.name for p in build.projects})
    environments = change.facts.environments
    lists, made = _entries(build, kept, reused, environments, members, patch)
    doc = {**old.values, **old.lists, **lists, "capacity": _capacity(lists["targets"], environments)}
    patch.spool.write(MANIFEST, manifest_bytes(doc))
    patch.previous = _outputs(replaced)   # every file this compile can write or remove is one of these
    patch.deleted = sorted(set(patch.previous) - set(_outputs(made)))
    files = change.previous.files - len(patch.previous) + len(_outputs(made))
    reads = {f: r for f, r in change.facts.reads.items() if not _under(f, change.dirs)}
    reads.update({f: list(r) for f, r in build.docs.reads.items()})
    return Recompiled(tuple(w.render() for w in build.warnings), _deployed(lists["targets"]), files,
                      len(build.results), replace(change.facts, members=members, reads=reads))


def _rendered(repo: Path, out: Path, change: delta.Change, old: Written, patch: Patch, state: State, jobs: int,
              progress: Callable[[int, int], None] | None) -> tuple:
    """The changed projects' cells loaded, digested and rendered into the patch (those whose digest
    is unchanged keep their files), and the previous manifest's entries split into those kept and
    those replaced."""
    from compiler.output.cache import reusable, reuse_key
    from compiler.pipeline import digest_stage, emit_stage, every_project_world, gang_peers

    parsed = ParseCache()   # the specs a second load (`gang_peers`) reads again
    build = digest_stage(_load(repo, set(change.dirs), parsed))
    kept, replaced = _split(old, {(p.env.name, p.name) for p in build.projects}, _delivered(build))
    reused = reusable(state, out, reuse_key(build.config.digest, out), build, {"targets": replaced["targets"]})
    build = emit_stage(replace(build, reused=len(reused)), patch.spool, jobs=jobs, progress=progress,
                       peers=lambda rendered: gang_peers(build.projects, rendered,
                                                         lambda: every_project_world(build.root, parsed)),
                       render_only=lambda t: t.folder not in reused)
    return build, kept, replaced, reused


def _split(old: Written, cells: set[tuple[str, str]], delivered: set[str]) -> tuple[dict, dict]:
    """Each entry list's entries as written that this compile keeps, and, decoded, those it
    replaces: the rebuilt cells' and the delivery targets of `delivered` environments."""
    needles = [needle("project", name) for name in sorted({project for _, project in cells} | {DELIVERY})]
    kept: dict[str, list[Item]] = {}
    replaced: dict[str, list[dict]] = {}
    for key in ENTRY_LISTS:
        kept[key], replaced[key] = [], []
        for line, entry in having(old.lists.get(key, []), needles):
            if entry is not None and _rebuilt(entry, cells, delivered):
                replaced[key].append(entry)
            else:
                kept[key].append(line)
    return kept, replaced


def _rebuilt(entry: dict, cells: set[tuple[str, str]], delivered: set[str]) -> bool:
    if entry.get("project") == DELIVERY:
        return entry.get("env") in delivered
    return (entry.get("env"), entry.get("project")) in cells


def _entries(build, kept: dict[str, list[Item]], reused: Mapping, environments: Mapping[str, dict],
             members: Mapping[str, list[list[str]]], patch: Patch) -> tuple[dict[str, list[Item]], list[dict]]:
    """Each entry list with this compile's entries in their places (the cells' project files and
    their environments' delivery targets written), and those entries."""
    from compiler.output.assemble import manifest_json, write_shared

    cells = replace(build, graph=replace(build.graph, platforms=()), delivery=())
    write_shared(cells, patch.spool)
    fresh = json.loads(b"".join(manifest_json(cells, patch.spool.hashes, reused, capacity={})))
    lists = {key: merged(kept[key], fresh.get(key, [])) for key in ENTRY_LISTS}
    deliveries = []
    for target in _delivery_targets(build, lists, members, environments, _delivered(build)):
        for rel, data in sorted(target.files.items()):
            patch.spool.write(rel, data)
        deliveries.append(target.entry())
    lists["targets"] = merged(lists["targets"], deliveries)
    return lists, [*(e for key in ENTRY_LISTS for e in fresh.get(key, [])), *deliveries]


def _capacity(targets: list[Item], environments: Mapping[str, dict]) -> dict:
    """Each environment's GPU figures, from every target entry's `gpus` lines and its recorded facts."""
    from compiler.capacity.report import EnvFacts, lines_of_entries, summarize, to_json

    lines = lines_of_entries(entry for _, entry in having(targets, [b'"gpus": ']) if entry is not None)
    return {name: to_json(summarize(EnvFacts.from_record(record["facts"]), lines.get(name, [])), workloads=False)
            for name, record in sorted(environments.items())}


def _load(repo: Path, dirs: set[str], parsed: ParseCache):
    """The load stage over strata.yaml, the layers, the environments and the changed projects'
    files (no other project's: `delta.Facts` recorded what the checks need of them), building the
    changed projects' cells."""
    from compiler.pipeline import load_stage

    def narrow(world, docs, selection):
        names = {name for name, folder in world.project_dirs.items() if folder in dirs}
        return replace(selection, cells=frozenset((env, name) for env in world.envs for name in names))

    folders = {Path(folder).name for folder in dirs}
    return load_stage(repo, narrow=narrow, resources_of=folders, projects_of=folders, parsed=parsed)


def _delivered(build) -> set[str]:
    """The environments of the rebuilt cells whose delivery target is built again."""
    from compiler.delivery.settings import delivered_by_engine

    return {p.env.name for p in build.projects if delivered_by_engine(p.env)}


def _members(previous: Mapping[str, list[list[str]]], build, names: set[str]) -> dict[str, list[list[str]]]:
    """Every target's [project, resource, identity, digest] by environment, in key order: the
    rebuilt projects' from this build, the others' as recorded."""
    found = {env: [m for m in rows if m[0] not in names] for env, rows in previous.items()}
    for env, rows in member_rows(build.graph, build.digests).items():
        found[env] = sorted(found.get(env, []) + rows, key=lambda m: (m[0], m[1]))
    return dict(sorted(found.items()))


def _delivery_targets(build, lists: Mapping[str, list[Item]], members: Mapping[str, list[list[str]]],
                      environments: Mapping[str, dict], envs: set[str]) -> list:
    """The delivery target of each of `envs`, as a full compile builds it (compiler/delivery/target.py),
    from the entries' object refs, every target's digest and the environments' recorded projects
    (their namespaces, and the input files with their sha256: none can have changed)."""
    from compiler.delivery.settings import delivery_of
    from compiler.delivery.target import recorded_delivery
    from compiler.load.discover import CONFIG_FILE

    found = []
    for name in sorted(envs):
        env, recipe = build.world.envs[name].env, environments[name]["delivery"]
        refs = [(e["folder"], ref) for key in ENTRY_LISTS for _, e in having(lists[key], [needle("env", name)])
                if e is not None and e["env"] == name for ref in e.get("objects", [])]
        found.append(recorded_delivery(name, delivery_of(env), env.settings.scheduler, recipe["namespaces"],
                                       [(f, digest) for f, digest in recipe["files"]], members.get(name, []), refs,
                                       build.hashes.get(CONFIG_FILE, "")))
    return found


def _outputs(entries: Mapping[str, list[dict]] | list[dict]) -> dict[str, str]:
    """Every output file the entries list → its sha256 (`entries`: a list, or lists by name)."""
    found = [e for key in ENTRY_LISTS for e in entries.get(key, [])] if isinstance(entries, Mapping) else entries
    return {rel: digest for e in found for rel, digest in e["outputs"].items()}


def _deployed(targets: list[Item]) -> int:
    return sum(1 for _, e in having(targets, [needle("project", DELIVERY)]) if e is None or e["project"] != DELIVERY)


def _under(path: str, dirs: Iterable[str]) -> bool:
    return any(path.startswith(folder + "/") for folder in dirs)


def facts_of(build) -> delta.Facts:
    """What a full compile leaves for the next delta compile (compiler.incremental.delta)."""
    from compiler.capacity import selected_envs
    from compiler.shard.partial import environment_record

    guarded = [Path(folder).resolve().relative_to(build.root.resolve()).as_posix()
               for folder in (*build.config.chart_dirs, *(build.root / c for c in build.config.crds))
               if Path(folder).resolve().is_relative_to(build.root.resolve())]
    reads = {f: list(r) for f, r in build.docs.reads.items()}
    environments = {name: environment_record(build, env) for name, env in selected_envs(build).items()}
    return delta.Facts(member_rows(build.graph, build.digests), reads, sorted(guarded), environments)
