"""`strata promote`: prepare the pull request that promotes one environment's release values to the next.

    from compiler.promote import promote, write_promotion
    result = promote(Path("."), "prod-sh")          # from prod-sh's `promotion.from`
    write_promotion(Path("."), result)              # unless only checking

Built on the stages: `load_stage` gives both environments' targets with their merged specs
before interpolation (`Target.raw_tree`); for each selected resource the promotable fields
(declared on the schema) of the source are compared with the target's, and what differs goes
into `overrides.<target>` of the resource file (`resource.py`), checked against the target's
locks and written with ruamel.yaml keeping every untouched line (`yamledit.py`). The plan of
the promotion compiles the target environment before and after, the edits laid over the repo
in memory (`preview.py`). Files are written only after all of that succeeded (`files.py`).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

from compiler.errors import Problems, StrataError
from compiler.merge.targets_of import UNKNOWN_SELECTION, Selection
from compiler.merge.world import World
from compiler.pipeline import Build, load_stage
from compiler.plan import Plan
from compiler.promote.fields import patterns, spec_rule
from compiler.promote.files import write_files
from compiler.promote.preview import preview, titled
from compiler.promote.resource import ResourcePromotion, promote_resource
from compiler.promote.yamledit import DocEdit, edit_file
from compiler.targets import Target

__all__ = ["Promotion", "ResourceFilter", "promote", "write_promotion"]


@dataclass(frozen=True)
class ResourceFilter:
    """`--project`, `--kind`, `--name` (each repeatable; empty means all)."""

    projects: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    names: tuple[str, ...] = ()

    def wants(self, target: Target) -> bool:
        return ((not self.projects or target.project.name in self.projects)
                and (not self.kinds or target.kind.lower() in {k.lower() for k in self.kinds})
                and (not self.names or target.name in self.names))

    def describe(self) -> str:
        parts = [f"--{flag} {v}" for flag, values in (("project", self.projects), ("kind", self.kinds),
                                                       ("name", self.names)) for v in values]
        return " ".join(parts) or "(all resources)"


@dataclass
class Promotion:
    source: str
    target: str
    resources: list[ResourcePromotion] = field(default_factory=list)   # pending, in identity order
    up_to_date: list[str] = field(default_factory=list)                # identities that get the values already
    skipped: list[tuple[str, str]] = field(default_factory=list)       # (identity, why)
    files: dict[str, tuple[str, str]] = field(default_factory=dict)    # YAML file → (text now, text after)
    plan: Plan | None = None

    @property
    def pending(self) -> bool:
        return bool(self.resources)

    @property
    def by_hand(self) -> list[ResourcePromotion]:
        return [r for r in self.resources if not r.editable]


def promote(repo: Path, target: str, *, source: str | None = None, only: ResourceFilter | None = None) -> Promotion:
    """What promoting `source` (default: the target's `promotion.from`) to `target` changes; writes nothing."""
    only = only or ResourceFilter()
    selection = Selection((target,), only.projects)
    before = _load_target(repo, selection)
    source = source_environment(before.world, target, source)
    with titled(f"{source}, the environment promoted from, does not compile:"):
        origin = load_stage(repo, Selection((source,), only.projects))
    result = Promotion(source, target)
    problems = Problems()
    _compare(before.world, origin.targets, [t for t in before.targets if only.wants(t)], result, problems, only)
    problems.raise_if_any()
    result.files = _edited_files(repo, result.resources, target)
    if result.files:
        edited = {rel: new for rel, (_old, new) in result.files.items()}
        result.plan = preview(repo, before, selection, edited, source=source, target=target)
    return result


def write_promotion(repo: Path, promotion: Promotion) -> list[str]:
    """Write the edited files (each atomically, all computed before the first write); their paths."""
    return write_files(repo, {rel: new for rel, (_old, new) in promotion.files.items()})


def _load_target(repo: Path, selection: Selection) -> Build:
    """The target environment's build; an unknown environment is named as the option that gave it."""
    try:
        return load_stage(repo, selection)
    except StrataError as error:
        renamed = [replace(p, message=p.message.replace("--env ", "--to ", 1)) if p.code == UNKNOWN_SELECTION
                   and p.subject in selection.envs else p for p in error.problems]
        raise StrataError(renamed) from None


def source_environment(world: World, target: str, asked: str | None) -> str:
    """`--from`, else the target's `promotion.from` (checked by the merge stage to name an environment)."""
    if asked is not None:
        if asked not in world.envs:
            raise StrataError(f"--from {asked}: no such environment (known: {', '.join(sorted(world.envs))})")
        if asked == target:
            raise StrataError(f"--from {asked}: an environment cannot be promoted from itself")
        return asked
    promotion = world.envs[target].env.settings.promotion
    if promotion is None or promotion.from_ == target:   # the latter: its group's names this very environment
        raise StrataError(f"environment {target} has no `promotion: {{from: <env>}}`; pass --from ENV")
    return promotion.from_


def _compare(world: World, sources: list[Target], wanted: list[Target], result: Promotion,
             problems: Problems, only: ResourceFilter) -> None:
    by_identity = {t.identity: t for t in sources}
    models = {(t.project.name, t.name): t for t in sources if t.kind == "Model"}
    candidates = [t for t in wanted if patterns(t.kind)]
    if not candidates:
        raise StrataError(f"no resource with promotable fields in {result.target} matches {only.describe()}")
    for target in sorted(candidates, key=lambda t: t.identity):
        source = by_identity.get(target.identity)
        if source is None:
            result.skipped.append((target.identity, f"not deployed to {result.source}"))
            continue
        found = promote_resource(world, source, target, models, problems)
        if found is None:
            result.up_to_date.append(target.identity)
        else:
            result.resources.append(found)


def _edited_files(repo: Path, resources: list[ResourcePromotion], env: str) -> dict[str, tuple[str, str]]:
    from compiler.load.yaml_files import LoadError, read_text

    by_file: dict[str, list[DocEdit]] = defaultdict(list)
    for found in resources:
        if found.editable:
            by_file[found.file].append(DocEdit(found.kind, found.name, found.patch, spec_rule(found.kind)))
    files = {}
    for rel, edits in sorted(by_file.items()):
        try:
            text = read_text(repo, rel)
        except LoadError as error:
            raise StrataError([error.problem]) from None
        files[rel] = (text, edit_file(text, rel, env, edits))
    return files
