"""Checks of one environment's merged settings that a schema cannot express.

- Kueue ResourceFlavor names are derived from `gpuPools` keys (compiler/names.py): two
  keys giving the same name, or a key giving no valid one, are errors at the keys' lines.
- `limits.default` may not be below `limits.defaultRequest` (the LimitRange would make
  every pod that relies on both invalid).
"""
from __future__ import annotations

from collections import defaultdict

from compiler.check.quota import parse_quantity
from compiler.errors import Problems
from compiler.names import LABEL_MAX, derived_label
from compiler.provenance import Origin, Value, lookup
from compiler.targets import Env, Project
from schemas.environment import LimitDefaults

DEFAULT_FLAVOR = "default-flavor"   # Kueue's flavor for cpu and memory (compiler/render/platform.py)


def flavor_name(gpu_type: str) -> str:
    """The Kueue ResourceFlavor of a gpuPool: its key as a DNS-1123 label (`H100_80GB` → `h100-80gb`)."""
    return derived_label(gpu_type)


def check_environment(env: Env, problems: Problems) -> None:
    if env.settings.scheduler == "kueue":
        check_flavor_names(env, problems)
    check_limits(env.settings.limits, lambda *path: env.locate("limits", *path), problems, env=env.name)


def check_flavor_names(env: Env, problems: Problems) -> None:
    users: dict[str, list[str]] = defaultdict(list)
    for key in env.settings.gpuPools:
        name = flavor_name(key)
        where = env.locate("gpuPools", key, key=True)
        if not name or len(name) > LABEL_MAX:
            why = "has no letter or digit" if not name else f"gives {len(name)} characters (at most {LABEL_MAX})"
            problems.add(f"gpuPools.{key}: the Kueue ResourceFlavor name is derived from the key, which {why}",
                         where, env=env.name)
        elif name == DEFAULT_FLAVOR:
            problems.add(f"gpuPools.{key}: its ResourceFlavor name {name!r} is the one strata uses for cpu and "
                         f"memory; rename the pool", where, env=env.name)
        else:
            users[name].append(key)
    for name, keys in sorted(users.items()):
        if len(keys) < 2:
            continue
        places = {key: env.locate("gpuPools", key, key=True) for key in keys}
        for key in keys:
            others = ", ".join(f"{other!r} ({places[other].where()})" for other in keys if other != key)
            problems.add(f"gpuPools.{key}: gives the Kueue ResourceFlavor name {name!r}, as does {others}; "
                         f"flavor names are the keys in lower case with other characters as '-'",
                         places[key], env=env.name)


def check_limits(limits: LimitDefaults, locate, problems: Problems, *, env: str = "", target: str = "") -> None:
    """`default` (a limit) below `defaultRequest` makes the LimitRange's pods invalid."""
    if limits.default is None:
        return
    for resource in ("cpu", "memory"):
        request, limit = getattr(limits.defaultRequest, resource), getattr(limits.default, resource)
        if request is not None and limit is not None and parse_quantity(limit) < parse_quantity(request):
            where: Origin = locate("default", resource)
            problems.add(f"limits.default.{resource} ({limit}) is below limits.defaultRequest.{resource} "
                         f"({request}): containers given both defaults would be invalid", where,
                         env=env, target=target)


def check_project_limits(project: Project, written: Value | None, problems: Problems) -> None:
    """The project's `limits` (the Value as written in its file) merged over its environment's."""
    if written is None:
        return

    def locate(*path: str) -> Origin:
        found = lookup(written, path)
        if found is not None and _depth(written, path) == len(path):
            return found.origin
        return project.env.locate("limits", *path)

    check_limits(project.limits, locate, problems, env=project.env.name, target=f"project {project.name}")


def _depth(value: Value, path: tuple) -> int:
    """How many steps of `path` exist under `value`."""
    depth = 0
    for step in path:
        if not (value.is_map and step in value.data):
            break
        value, depth = value.data[step], depth + 1
    return depth
