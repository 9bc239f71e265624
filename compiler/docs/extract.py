"""Stage 1 of the site: what it shows, read off a loaded and rendered build.

Everything here is plain frozen data: the environments in promotion order, one
matrix row per (project, kind, name), what each target's cell and page say, each
project's lineage from the target graph, who references whom, the plan's changes.
The page writers (compiler/docs/pages/) only format it.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from compiler.capacity import selected_envs
from compiler.capacity.report import Line, lines_of
from compiler.docs.changes import PlanChanges
from compiler.docs.describe import Descriptions
from compiler.docs.facts import Drift, Facts, drift, facts_of
from compiler.docs.lineage import Lineage, lineages
from compiler.explain import Setting, settings, target_subject
from compiler.kinds import kind_names, kind_of
from compiler.merge.layering import Lock
from compiler.targets import Key, Target, target_key


@dataclass(frozen=True)
class TargetDoc:
    """One target as the site shows it."""

    key: Key
    target: Target
    href: str                          # its page, relative to the site root
    facts: Facts
    source: str = ""                   # its environment's promotion source, when that has the resource too
    drift: tuple[Drift, ...] = ()      # promotable fields that differ from the source's
    change: str = ""                   # the plan's change: add | change | destroy
    description: str = ""
    settings: tuple[Setting, ...] = ()   # every value its layers set, with provenance (as `strata explain`)
    locks: tuple[Lock, ...] = ()         # the locks of its kind in its environment (a field may be locked unset)

    @property
    def slug(self) -> str:
        return kind_of(self.target.kind).slug


@dataclass(frozen=True)
class Row:
    project: str
    kind: str
    name: str
    cells: Mapping[str, TargetDoc]     # environment → the resource there

    @property
    def slug(self) -> str:
        return kind_of(self.kind).slug


@dataclass(frozen=True)
class SiteData:
    envs: tuple[str, ...]                               # the matrix's columns, in promotion order
    sources: Mapping[str, str]                          # environment → its `promotion.from`
    rows: tuple[Row, ...]
    docs: Mapping[Key, TargetDoc]
    lineages: Mapping[tuple[str, str], Lineage]         # (environment, project) → its lineage
    referrers: Mapping[Key, tuple[Key, ...]]            # what references each target
    changes: PlanChanges = field(default_factory=PlanChanges)
    destroyed: tuple[Key, ...] = ()                     # targets the plan removes (no page: not in this build)
    gpu_lines: Mapping[str, list[Line]] = field(default_factory=dict)   # environment → compiler.capacity's lines


def page_href(target: Target) -> str:
    """`r/<env>/<project>/<kind>-<name>.html`: the target's output folder, so the two are easy to map."""
    return f"r/{kind_of(target.kind).folder(target.env.name, target.project.name, target.name)}.html"


def extract(build, changes: PlanChanges | None = None) -> SiteData:
    changes = changes or PlanChanges()
    envs = promotion_order({p.env.name: p.env for p in build.projects})
    sources = {p.env.name: p.env.settings.promotion.from_ for p in build.projects
               if p.env.settings.promotion is not None}
    by_key = {target_key(t): t for t in build.targets}
    describe = Descriptions(build.root)
    gpu_lines = lines_of(build.emitted, selected_envs(build))
    per_target: dict[Key, list[Line]] = defaultdict(list)
    for env, found in gpu_lines.items():
        for line in found:
            per_target[(env, line.project, line.resource)].append(line)
    docs = {}
    for key, target in sorted(by_key.items()):
        source = sources.get(key[0], "")
        there = by_key.get((source, key[1], key[2])) if source else None
        docs[key] = TargetDoc(key, target, page_href(target), facts_of(target, build.rendered.get(key), per_target.get(key, ())),
                              source if there is not None else "", drift(target, there) if there is not None else (),
                              changes.of(key), describe.of(target.origin), *_explained(build, target))
    return SiteData(envs, {e: s for e, s in sources.items() if e in envs}, _rows(docs, envs), docs, lineages(build.graph),
                    _referrers(build.graph), changes,
                    tuple(sorted(k for k, change in changes.targets.items() if change == "destroy" and k not in docs)),
                    gpu_lines)


def _explained(build, target: Target) -> tuple[tuple[Setting, ...], tuple[Lock, ...]]:
    subject = target_subject(build, target)
    return tuple(settings(subject)), tuple(subject.locks)


def promotion_order(envs: Mapping[str, object]) -> tuple[str, ...]:
    """Environments along their promotion chains (`dev` before `staging` before production), then by name."""
    def depth(name: str, seen: frozenset[str] = frozenset()) -> int:
        promotion = getattr(getattr(envs[name], "settings", None), "promotion", None)
        source = promotion.from_ if promotion is not None else None
        if source is None or source not in envs or source in seen:
            return 0
        return 1 + depth(source, seen | {name})

    return tuple(sorted(envs, key=lambda name: (depth(name), name)))


def _rows(docs: Mapping[Key, TargetDoc], envs: tuple[str, ...]) -> tuple[Row, ...]:
    """One row per (project, kind, name), in kind registry order; its cells in column order."""
    order = {name: i for i, name in enumerate(kind_names())}
    cells: dict[tuple[str, str, str], dict[str, TargetDoc]] = defaultdict(dict)
    for key, doc in docs.items():
        cells[(key[1], doc.target.kind, doc.target.name)][key[0]] = doc
    return tuple(Row(project, kind, name, {env: found[env] for env in envs if env in found})
                 for (project, kind, name), found in sorted(cells.items(), key=lambda i: (i[0][0], order[i[0][1]], i[0][2])))


def _referrers(graph) -> dict[Key, tuple[Key, ...]]:
    found: dict[Key, set[Key]] = defaultdict(set)
    for key in graph.nodes:
        for other in graph.references(key):
            found[other].add(key)
    return {key: tuple(sorted(keys)) for key, keys in found.items()}
