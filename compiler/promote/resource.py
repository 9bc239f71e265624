"""One resource's promotion: the promotable values the target environment should get from the
source, the override that gives them, and the locks that may forbid it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from compiler.errors import Problem, Problems, StrataError
from compiler.load.yaml_files import from_plain
from compiler.merge.layering import env_locks, lookup_exact
from compiler.merge.rule import merge
from compiler.merge.world import World
from compiler.paths import dotted
from compiler.plan.diff import differences
from compiler.plan.model import ABSENT
from compiler.promote.fields import (
    Path,
    as_yaml,
    comparable,
    concrete_paths,
    delta,
    label,
    nest,
    rule_at,
    spec_rule,
    value_at,
    writable,
)
from compiler.promote.pinning import pin_aliases
from compiler.provenance import Origin, Value, plain
from compiler.targets import Target


@dataclass(frozen=True)
class FieldChange:
    """One promoted leaf: what the target environment gets now and after (before interpolation)."""

    path: str                  # `model.version`, `steps[train].container.image`
    old: Any = ABSENT
    new: Any = ABSENT          # ABSENT: the value is removed (written as `null`)
    where: str = ""            # where the old value is set, file:line:col
    layer: str = ""            # and in which layer


@dataclass(frozen=True)
class ResourcePromotion:
    identity: str
    kind: str
    name: str
    file: str                  # the resource file, which gets `overrides.<env>`
    source: str                # where the document starts, file:line:col
    patch: dict[str, Any]      # what goes into `overrides.<env>` (None = null)
    changes: tuple[FieldChange, ...]
    notes: tuple[str, ...] = ()

    @property
    def editable(self) -> bool:
        """A Jsonnet file is a program: strata reports the change instead of rewriting it."""
        return not self.file.endswith(".jsonnet")


def promote_resource(world: World, source: Target, target: Target, models: dict[tuple[str, str], Target],
                     problems: Problems) -> ResourcePromotion | None:
    """What promoting `source`'s promotable values to `target` writes; None when it gets them already.

    Locks of the target environment the override would break are reported into `problems`.
    """
    patch: dict[str, Any] = {}
    changes: list[FieldChange] = []
    notes: list[str] = []
    wanted_at: dict[Path, Any] = {}
    pinned = target.env.settings.policy.requirePinnedModels
    for path in concrete_paths(target.kind, source.raw_tree, target.raw_tree):
        rule = rule_at(target.kind, path)
        current = writable(value_at(target.raw_tree, path))
        wanted = writable(value_at(source.raw_tree, path))
        if pinned:
            wanted = pin_aliases(wanted, rule, source, models, path, problems, notes)
        if comparable(current) == comparable(wanted):
            continue
        wanted_at[path] = wanted
        nest(patch, path, delta(current, wanted, rule))
        changes += _changes(target, path, current, wanted)
        notes += _leaks(wanted, source, target, path)
    if not patch:
        return None
    assert target.origin is not None
    promotion = ResourcePromotion(target.identity, target.kind, target.name, target.origin.file,
                                  target.origin.where(), as_yaml(patch), tuple(changes), tuple(notes))
    after = _merged_with(target, promotion)
    for path, wanted in wanted_at.items():   # the merge rule itself must agree with `delta`
        if comparable(writable(value_at(after, path))) != comparable(wanted):
            raise StrataError(f"{target.identity}: internal error: overrides.{target.env.name} would not give "
                              f"{label(path)} the value of {source.env.name}; please report it")
    _check_locks(world, target, after, promotion, problems)
    return promotion


def _changes(target: Target, path: Path, current: Any, wanted: Any) -> list[FieldChange]:
    found = []
    for sub, old, new in differences(current, wanted):
        value = value_at(target.raw_tree, path)
        at = lookup_exact(value, sub) if value is not None and sub else value
        origin = at.origin if at is not None and old is not ABSENT else None
        text = label(path) + (("" if isinstance(sub[0], int) else ".") + dotted(sub) if sub else "")
        found.append(FieldChange(text, old, new, origin.where() if origin else "", origin.layer if origin else ""))
    return found


def _leaks(wanted: Any, source: Target, target: Target, path: Path) -> list[str]:
    """A source environment's own variable written out literally would reach the target unchanged."""
    mine, theirs = source.env.settings.vars, target.env.settings.vars
    found = []
    for text in _strings(wanted):
        for key, value in sorted(mine.items()):
            if len(value) >= 4 and theirs.get(key) != value and value in text:
                found.append(f"warning: {label(path)} names {source.env.name}'s env.vars.{key} ({value}) literally; "
                             f"write ${{env.vars.{key}}} so that {target.env.name} gets its own")
    return found


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _merged_with(target: Target, promotion: ResourcePromotion) -> Value:
    """The target's merged spec (before interpolation) with the override on top, by the merge rule itself."""
    assert target.raw_tree is not None
    override = from_plain(promotion.patch, Origin(promotion.file, 1, 1, f"overrides.{target.env.name}"))
    problems: list[Problem] = []
    merged = merge(target.raw_tree, override, spec_rule(target.kind), problems.append)
    if problems or merged is None:
        raise StrataError(problems or f"{promotion.identity}: the promotion would delete its whole spec")
    return merged


def _check_locks(world: World, target: Target, after: Value, promotion: ResourcePromotion,
                 problems: Problems) -> None:
    """A lock of the target environment whose value the promotion would change stops it, at the lock's line."""
    for lock in env_locks(world, target.env.name, target.kind):
        old, new = _plain_at(target.raw_tree, lock.path), _plain_at(after, lock.path)
        if comparable(old) != comparable(new):
            fields = ", ".join(c.path for c in promotion.changes)
            problems.add(f"{promotion.identity}: promoting {fields} to {target.env.name} would change "
                         f"{'.'.join(lock.path)} ({_shown(old)} → {_shown(new)}), which {lock.text} locks here",
                         lock.origin)


def _plain_at(tree: Value | None, path: tuple[str, ...]) -> Any:
    found = lookup_exact(tree, path) if tree is not None else None
    return plain(found) if found is not None else None


def _shown(value: Any) -> str:
    return "unset" if value is None else repr(value)
