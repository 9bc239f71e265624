"""What a target's spec refers to: other resources of its project and environment, and GPU pools.

The fields that name resources are declared on the schema (`ref("Dataset")`);
`resolve` reads them off a target's effective spec through
`compiler.merge.field_rules.reference_fields`, and reports each name that no
target of that kind carries in the same project and environment at the field
that wrote it, with a suggestion where one is close.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from compiler.errors import Problems
from compiler.kinds import kind_of
from compiler.merge.field_rules import EACH, reference_fields
from compiler.suggest import closest, did_you_mean
from compiler.targets import Key, Target
from schemas.common import Resources


@dataclass(frozen=True)
class Reference:
    """A spec field of one target naming another target of its project and environment."""

    kind: str
    name: str
    key: Key | None = None   # the target it names; None when there is none (reported)


def resolve(target: Target, index: Mapping[Key, Target], problems: Problems) -> tuple[Reference, ...]:
    """Every reference `target` makes, in spec order, each with the target it names (or None)."""
    found = []
    for path, kind, name in spec_references(target):
        key = (target.env.name, target.project.name, kind_of(kind).resource(name))
        if key not in index:
            _report_unknown(target, path, kind, name, index, problems)
        found.append(Reference(kind, name, key if key in index else None))
    return tuple(found)


def spec_references(target: Target) -> Iterator[tuple[tuple, str, str]]:
    """(spec path, kind, name) of every field of the effective spec that names a resource."""
    values = target.values   # made on each call (compiler.targets): once here
    for pattern, kind in reference_fields(kind_of(target.kind).spec):
        for path, name in _matches(values, pattern, ()):
            if isinstance(name, str):
                yield path, kind, name


def _matches(node: Any, pattern: tuple[str, ...], path: tuple) -> Iterator[tuple[tuple, Any]]:
    if not pattern:
        yield path, node
        return
    step, rest = pattern[0], pattern[1:]
    if step == EACH and isinstance(node, list):
        for index, item in enumerate(node):
            yield from _matches(item, rest, (*path, index))
    elif step == EACH and isinstance(node, dict):
        for key, item in node.items():
            yield from _matches(item, rest, (*path, key))
    elif isinstance(node, dict) and step in node:
        yield from _matches(node[step], rest, (*path, step))


def _report_unknown(target: Target, path: tuple, kind: str, name: str, index: Mapping[Key, Target],
                    problems: Problems) -> None:
    env, project = target.env.name, target.project.name
    known = [t.name for (e, p, _), t in index.items() if (e, p) == (env, project) and t.kind == kind]
    referenced = kind_of(kind)
    problems.add(_item_label(target, path) + referenced.unknown_reference(name, project)
                 + did_you_mean(name, known, known=f"its {referenced.slug}s"),
                 target.locate(*path), target.chain, target=target.identity, env=env)


def _item_label(target: Target, path: tuple) -> str:
    """`step 'train': ` for a reference inside a named list item (unless it is that item's name)."""
    label, node = "", target.values
    for depth, step in enumerate(path[:-1]):
        node = node[step]
        if isinstance(node, dict) and "name" in node and isinstance(step, int) and path[depth + 1:] != ("name",):
            label = f"{str(path[depth - 1]).removesuffix('s')} {node['name']!r}: "
    return label


# --- GPU pools --------------------------------------------------------------------------------

def check_gpu_pools(targets: list[Target], problems: Problems) -> None:
    """A GPU request needs a gpuType, and the gpuType a pool in the target's environment."""
    for target in targets:
        for container in target.spec.containers():
            _check_gpu(target, container.path + ("resources",), container.resources, problems)


def _check_gpu(target: Target, path: tuple, resources: Resources, problems: Problems) -> None:
    pools = target.env.settings.gpuPools
    if resources.gpu and not resources.gpuType:
        problems.add(f"resources.gpu is {resources.gpu} but no gpuType is set "
                     f"(this environment's pools: {', '.join(sorted(pools)) or 'none'})",
                     target.locate(*path, "gpu"), target.chain,
                     target=target.identity, env=target.env.name)
    elif resources.gpuType and resources.gpuType not in pools:
        guess = closest(resources.gpuType, pools)
        problems.add(f"gpuType {resources.gpuType!r} is not in this environment's "
                     f"gpuPools ({', '.join(sorted(pools)) or 'none'})"
                     + (f"; did you mean {guess!r}?" if guess else ""),
                     target.locate(*path, "gpuType"), target.chain,
                     target=target.identity, env=target.env.name)


# --- priority classes -------------------------------------------------------------------------

def check_priorities(targets: list[Target], problems: Problems) -> None:
    """`scheduling.priority` names one of the environment's `priorityClasses`: the platform
    target emits only those, and a pod naming a PriorityClass that does not exist is refused."""
    for target in targets:
        priority = getattr(getattr(target.spec, "scheduling", None), "priority", None)
        declared = target.env.settings.priorityClasses
        if priority is None or priority in declared:
            continue
        guess = closest(priority, declared)
        problems.add(f"scheduling.priority {priority!r} is not one of this environment's priorityClasses "
                     f"({', '.join(sorted(declared)) or 'none declared'})"
                     + (f"; did you mean {guess!r}?" if guess else "")
                     + "; an environment or its group declares it under `priorityClasses:` with its value",
                     target.locate("scheduling", "priority"), target.chain,
                     target=target.identity, env=target.env.name)
