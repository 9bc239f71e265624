"""The whole compile as a pipeline of stages; `compile_repo` is the one entry point.

discover → load → merge (world, targets) → graph (references, inputs) →
render → assemble output. `plan`, `validate`, `explain` and the CLI all build
on these stages; nothing here writes to disk but through the sink `compile_repo` is
given (`strata compile`: the staging folder of compiler.output.write.staged_output).
"""
from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from compiler import collector
from compiler.errors import Problems, StrataError, group
from compiler.graph.build import Graph, build_graph
from compiler.incremental.parsed import ParseCache
from compiler.load import discover as disc
from compiler.load.documents import Documents, load_documents
from compiler.merge.command_layer import CommandLayer
from compiler.merge.targets_of import Selection, build_targets, check_selection
from compiler.merge.world import World, build_world
from compiler.render import RenderContext, Rendered
from compiler.render.stage import RenderSettings, render_all, render_shared, renderable
from compiler.targets import Emitted, Key, Project, Target

if TYPE_CHECKING:
    from compiler.capacity.demand import Demands, Workload
    from compiler.delivery.target import DeliveryTarget, Plan
    from compiler.output.spool import Sink
    from compiler.render.workers import TargetResult
    from compiler.shard import Shard


@dataclass(frozen=True)
class Build:
    """Everything a compile knows, stage by stage: each stage returns a new Build."""

    root: Path
    config: disc.RepoConfig
    selection: Selection
    docs: Documents
    world: World
    projects: list[Project]     # every selected (project, environment) pair
    targets: list[Target]
    graph: Graph                # the targets' references and input files
    rendered: Mapping[Key, Rendered] = field(default_factory=dict)   # what each rendered target produced
    emitted: tuple[Emitted, ...] = ()                        # every object, in output order
    results: tuple[TargetResult, ...] = ()                   # per target compile rendered: refs, records, file hashes
    files: Mapping[str, bytes] = field(default_factory=dict)   # relative to out/, incl. manifest.json (in memory)
    written: Mapping[str, str] = field(default_factory=dict)   # every output file → its sha256
    warnings: list = field(default_factory=list)             # sorted by file:line
    hashes: Mapping[str, str] = field(default_factory=dict)    # input file → sha256
    digests: Mapping[Key, str] = field(default_factory=dict)   # target → content digest (compiler/graph/digest.py)
    reused: int = 0                                          # targets whose previous output was kept
    delivery_plans: tuple[Plan, ...] = ()                    # environments an engine delivers (compiler/delivery)
    delivery_digests: Mapping[str, str] = field(default_factory=dict)   # delivery target folder → digest
    delivery: tuple[DeliveryTarget, ...] = ()                # their rendered delivery targets


def load_stage(root: Path, selection: Selection | None = None, problems: Problems | None = None, *,
               overlay: Mapping[str, str] | None = None, command: CommandLayer | None = None,
               parsed: ParseCache | None = None, resources_of: Collection[str] | None = None,
               projects_of: Collection[str] | None = None,
               narrow: Callable[[World, Documents, Selection], Selection] | None = None,
               raw_trees: bool = True) -> Build:
    """Discover, load, merge, validate and link: every target's effective spec and the target
    graph, nothing rendered.

    Raises StrataError with every problem found, unless the caller passes its own
    `problems` list to collect them in (and decides when to raise). `overlay` maps
    repo-relative YAML files to the text to read instead of theirs (an edit not yet written);
    `command` is `strata run`'s `--set` layer over one target; `parsed` shares YAML parse
    results by content between loads (compiler/incremental/parsed.py: a plan's two sides);
    `resources_of` (project folder names) reads only those projects' resource files, every
    project file still (a plan: the projects its change can reach, and every quota);
    `projects_of` (project folder names) reads no file of the other projects at all, so they are
    not in the world either (a delta compile: theirs cannot have changed, and what its checks
    need of them was recorded, compiler/incremental/recompile.py);
    `narrow` (a shard of a sharded compile, compiler/shard) picks the (environment, project)
    pairs to build once the world is known. `raw_trees=False` leaves out each target's tree
    before interpolation (`Target.raw_tree`: promote, explain and plan read it, a compile does not).
    """
    collect = problems is not None
    selection = selection or Selection()
    problems = problems if problems is not None else Problems()
    config = disc.read_config(root)
    files = disc.discover(root, resources_of, projects_of)
    docs = load_documents(root, files, problems, overlay, config.jsonnet, parsed)
    world = build_world(docs, problems)
    check_selection(world, selection, problems)
    if narrow is not None and not problems.items:   # with errors, build everything: they are all reported
        selection = narrow(world, docs, selection)
    projects, targets = build_targets(world, docs, selection, problems, command, raw_trees=raw_trees)
    envs = [layers.env for name, layers in sorted(world.envs.items()) if not selection.envs or name in selection.envs]
    graph = build_graph(targets, projects, problems, root=root, chart_dirs=config.chart_dirs, reads=docs.reads,
                        envs=envs)
    if not collect:
        problems.raise_if_any()
    return Build(root, config, selection, docs, world, projects, targets, graph, warnings=list(problems.warnings))


def every_project_world(root: Path, parsed: ParseCache | None = None) -> World:
    """The world with every project (no resource read, no target built), its problems ignored: for
    the checks that sum every project's quota, where a load read only some projects' files
    (a delta compile, a plan); problems in the others are left to a compile that reads them."""
    return load_stage(root, problems=Problems(), parsed=parsed, resources_of=(),
                      narrow=lambda world, docs, selection: replace(selection, cells=frozenset())).world


Peers: TypeAlias = "list[Project] | Callable[[Demands], list[Project]] | None"   # see emit_stage


def gang_peers(projects: Sequence[Project], rendered: Demands, every_project: Callable[[], World]) -> list[Project]:
    """The projects the cross-project checks compare where only `projects` were loaded (a delta
    compile, a plan): those, and every project of an environment where a rendered target is a gang,
    which may name another project's queue: the capacity checks read that queue's limits.
    `every_project` loads the world with them all, only where a gang needs it."""
    from compiler.merge.world import projects_in_env

    envs = {target.env.name for target, works in rendered if any(work.starts_together for work in works)}
    if not envs:
        return list(projects)
    world = every_project()
    return [*(p for p in projects if p.env.name not in envs),
            *(p for name in sorted(envs) for p in projects_in_env(world, name, projects))]


def compile_repo(repo: Path, *, envs: tuple[str, ...] = (), projects: tuple[str, ...] = (),
                 render_only: Callable[[Target], bool] | None = None,
                 progress: Callable[[int, int], None] | None = None,
                 reuse_from: Path | None = None, shard: Shard | None = None, jobs: int = 1,
                 sink: Sink | None = None) -> Build:
    """Compile the repo (or a selection); raises StrataError with every problem found.

    With `sink` (`strata compile`: a compiler.output.spool.Spool on the staging folder) every
    file is written there as it is produced, targets rendered by `jobs` worker processes, and
    only the files' sha256 are kept (`Build.written`). Without, the files are kept in memory
    (`Build.files`), with every object (`Build.emitted`, `Build.rendered`).
    `reuse_from` (an existing out/ folder) keeps the previous output of targets
    whose digest did not change (compiler.output.cache) instead of rendering them again;
    `.strata/cache.json` must say that folder was written by this strata with this strata.yaml.
    `shard` compiles one shard's partial output instead (compiler/shard, docs/sharding.md).
    """
    with collector.paused():   # what the compile builds lives until it ends: the collector would only rescan it
        return _compile(repo, envs, projects, render_only, progress, reuse_from, shard, jobs, sink)


def _compile(repo: Path, envs: tuple[str, ...], projects: tuple[str, ...], render_only: Callable[[Target], bool] | None,
             progress: Callable[[int, int], None] | None, reuse_from: Path | None, shard: Shard | None, jobs: int,
             sink: Sink | None) -> Build:
    from compiler.output.assemble import write_rest
    from compiler.output.cache import reusable, reuse_key
    from compiler.output.spool import MemorySink
    from compiler.output.state import State

    memory = MemorySink()                  # used only without a sink
    into: Sink = memory if sink is None else sink
    if shard is not None:   # in memory (a shard is a slice), then into the sink
        from compiler.shard.partial import compile_shard
        build = compile_shard(repo, shard, envs=envs, projects=projects, progress=progress)
        for rel, data in sorted(build.files.items()):
            into.write(rel, data)
        return replace(build, files=build.files if sink is None else {}, written=dict(into.hashes))
    build = digest_stage(load_stage(repo, Selection(tuple(envs), tuple(projects)), raw_trees=False))
    # Merged, the loaded documents are not read again but for what Jsonnet read (the next delta
    # compile's facts): let them go rather than hold them (and share them with every worker).
    build = replace(build, docs=Documents(reads=build.docs.reads))
    reused = {} if reuse_from is None else reusable(
        State(repo), reuse_from, reuse_key(build.config.digest, reuse_from), build)
    wanted = render_only or (lambda t: True)
    build = emit_stage(replace(build, reused=len(reused)), into, jobs=jobs, keep=sink is None,
                       render_only=lambda t: t.folder not in reused and wanted(t), progress=progress)
    build = delivery_stage(build, reused)
    write_rest(build, reused, into)
    return replace(build, files=memory.files if sink is None else {}, written=dict(into.hashes))


def emit_stage(build: Build, sink: Sink, *, jobs: int = 1, keep: bool = False,
               render_only: Callable[[Target], bool] | None = None,
               progress: Callable[[int, int], None] | None = None,
               peers: Peers = None) -> Build:
    """Render every target, writing its files into `sink` as it finishes (compiler.render.workers),
    then the project and platform objects and the checks over all of them; `keep` keeps every
    object in memory too (`rendered`, `emitted`), as `render_stage` does. `peers`: every project
    the cross-project checks compare (default: the build's), as for `render_stage`, or a function
    of the rendered targets and their GPU demand that says which (`gang_peers`)."""
    from compiler.render.workers import emit_all

    settings = RenderSettings(build.root, build.config.chart_dirs)
    results = emit_all(renderable(build.targets, render_only), build.graph, settings, sink, jobs=jobs, keep=keep,
                       progress=progress)
    targets = {key: node.target for key, node in build.graph.nodes.items()}
    demands = [(targets[r.key], r.workloads) for r in results]
    if callable(peers):
        peers = peers(demands)
    report = RenderContext(repo=build.root)
    shared = render_shared(build.projects, build.graph, report, peers)
    capacity = check_capacity_of(build, tuple(shared), demands)
    warnings = _checked(build, [*(p for r in results for p in r.problems), *report.problems.items],
                        [*(w for r in results for w in r.warnings), *report.warnings.items], capacity)
    rendered = {r.key: r.rendered for r in results if r.rendered is not None}
    emitted = [Emitted(t.env.name, t.project.name, t.resource, t.folder, obj, t)
               for r in results if r.rendered is not None for t in (targets[r.key],) for obj in r.rendered.objects]
    return replace(build, rendered=rendered, emitted=(*emitted, *shared), results=tuple(results), warnings=warnings)


def digest_stage(build: Build) -> Build:
    """Input hashes and content digests of every target, and of the delivery targets to build.

    A compile of some projects only builds no delivery target (it would list only those
    projects): the previous one is kept, and `strata publish` refuses it once it is stale.
    """
    from compiler.delivery.target import delivery_digest, delivery_plans, folder_of
    from compiler.graph.digest import target_digests
    from compiler.output.assemble import input_hashes

    problems = Problems()
    envs = [layers.env for name, layers in sorted(build.world.envs.items())
            if not build.selection.envs or name in build.selection.envs]
    plans = delivery_plans(build.graph, envs, problems) if not build.selection.projects else []
    problems.raise_if_any()
    config = [disc.CONFIG_FILE] if (build.root / disc.CONFIG_FILE).is_file() else []
    hashes = input_hashes(build.root, {*config, *(f for files in build.graph.inputs.values() for f in files),
                                       *(f for platform in build.graph.platforms for f in platform.files),
                                       *(f for plan in plans for f in plan.files)})
    config_hash = hashes.get(disc.CONFIG_FILE, "")
    digests = target_digests(build.graph, hashes, config_hash)
    delivery = {folder_of(plan.engine, plan.env.name): delivery_digest(plan, build.graph, hashes, digests, config_hash)
                for plan in plans}
    return replace(build, hashes=hashes, digests=digests, delivery_plans=tuple(plans), delivery_digests=delivery)


def delivery_stage(build: Build, reused: Mapping | None = None) -> Build:
    """The delivery targets, from the objects this compile rendered and those of the targets it kept."""
    from compiler.delivery.target import build_delivery, folder_of
    from compiler.output.assemble import object_ref

    if not build.delivery_plans:
        return build
    refs = [(result.folder, ref) for result in build.results for ref in result.refs]
    refs += [(item.folder, object_ref(item.obj)) for item in build.emitted if item.target is None]
    refs += [(folder, ref) for folder, kept in sorted((reused or {}).items()) for ref in kept.entry.get("objects", [])]
    targets = tuple(build_delivery(plan, build.graph, build.delivery_digests[folder_of(plan.engine, plan.env.name)],
                                   build.hashes, refs) for plan in build.delivery_plans)
    return replace(build, delivery=targets)


def render_stage(build: Build, *, render_only: Callable[[Target], bool] | None = None,
                 progress: Callable[[int, int], None] | None = None, peers: Peers = None) -> Build:
    """Render a loaded build in memory (no output files): its objects and warnings (the load's too).
    `peers`: every project the cross-project checks compare (default: the build's), or a function
    that says which, as for `emit_stage`."""
    settings = RenderSettings(build.root, build.config.chart_dirs)
    result = render_all(build.targets, build.projects, build.graph, settings,
                        render_only=render_only, progress=progress, peers=peers)
    capacity = check_capacity_of(build, result.emitted)
    warnings = _checked(build, result.problems, result.warnings, capacity)
    return replace(build, rendered=result.rendered, emitted=result.emitted, warnings=warnings)


def _checked(build: Build, problems: Sequence, warnings: Sequence, capacity: Problems) -> list:
    """Raise every problem of the render and the capacity checks together; else all warnings
    of the run (the load's too), grouped by file:line."""
    if problems or capacity.items:
        raise StrataError([*problems, *capacity.items])
    return group([*build.warnings, *warnings, *capacity.warnings])


def check_capacity_of(build: Build, emitted: tuple[Emitted, ...],
                      workloads: Sequence[tuple[Target, Sequence[Workload]]] = ()) -> Problems:
    """The capacity checks (compiler/capacity/checks.py) of the selected environments' rendered
    objects (and targets' `workloads`, rendered elsewhere), with every project's quota there
    (selected or not); `.warnings` holds the warnings."""
    from compiler.capacity.checks import check_capacity
    from compiler.merge.world import projects_in_env

    problems, warnings = Problems(), Problems()
    envs = {p.env.name: p.env for p in build.projects}
    check_capacity(emitted, lambda env: projects_in_env(build.world, env, build.projects), envs, problems, warnings,
                   workloads)
    return Problems(problems.items, warnings.items)
