"""`${...}` references in string values, resolved after merging (SPEC §2).

Known references: env.name, env.group, env.cluster, env.namespace,
env.vars.<k>, group.vars.<k>, project.name, project.namespace,
project.vars.<k>, resource.name, resource.kind. `$${` escapes. Every unknown
reference of a run is reported, each at the file:line of its string.

A `${...}` without a strata prefix (`${NP}`, `${workers[0]}`, `${DIR:-/mnt}`) is a shell's,
not strata's: it is left as written, so upstream commands work verbatim (issue 16). Only
when it looks like a strata reference with a typo (`${env.vars.registy}`, `${regstry}` close
to a known key) is it an error, which also says how to write a shell variable.
"""
from __future__ import annotations

import re

from compiler.errors import Problems
from compiler.provenance import Value
from compiler.suggest import closest

_REF = re.compile(r"\$\$\{|\$\{([^}]*)\}")
STRATA_PREFIXES = ("env.", "group.", "project.", "resource.")


def references(text: str) -> list[str]:
    """The strata `${...}` keys of a string, each once, in order (`$${` escapes and shell
    variables are not references)."""
    return list(dict.fromkeys(m.strip() for m in _REF.findall(text) if m.strip().startswith(STRATA_PREFIXES)))


def is_shell_variable(key: str, refs: dict[str, str]) -> bool:
    """No strata prefix and not a near miss of a strata reference: left to the shell."""
    return not key.startswith(STRATA_PREFIXES) and bool(key) and closest(key, refs, cutoff=0.75) is None \
        and not any(ref.endswith("." + key) for ref in refs)


def reference_value(project, key: str) -> str | None:
    """What `${key}` resolves to for `project`'s targets; None for references this cannot tell
    (`group.vars.*`, `resource.*`, unknown keys)."""
    if key.startswith(("group.vars.", "resource.")):
        return None
    return context(env=project.env, group_vars={}, project=project, kind="", name="").get(key)


def context(*, env, group_vars: dict[str, str], project, kind: str, name: str) -> dict[str, str]:
    """Every reference a spec may use, flattened to dotted keys."""
    found = {
        "env.name": env.name, "env.group": env.group, "env.cluster": env.cluster,
        "env.namespace": project.namespace, "project.name": project.name,
        "project.namespace": project.namespace, "resource.name": name, "resource.kind": kind,
    }
    found.update({f"env.vars.{k}": v for k, v in env.settings.vars.items()})
    found.update({f"group.vars.{k}": v for k, v in group_vars.items()})
    found.update({f"project.vars.{k}": v for k, v in project.doc.vars.items()})
    return found


def interpolate(value: Value, refs: dict[str, str], problems: Problems,
                memo: dict[int, tuple[Value, bool]] | None = None) -> Value:
    """The tree with references replaced; untouched subtrees are shared, not copied.

    `memo` (id → (value, "holds a `$`")) lets many targets that share layer
    subtrees skip the ones without references after the first look; it keeps
    each value alive so an id is never reused while the memo lives.
    """
    return _interpolated(value, refs, problems, memo if memo is not None else {})[0]


def _interpolated(value: Value, refs: dict[str, str], problems: Problems,
                  memo: dict[int, tuple[Value, bool]]) -> tuple[Value, bool]:
    """(the value interpolated, whether it holds a `$`), in one pass over what the memo does not know."""
    known = memo.get(id(value))
    if known is not None and not known[1]:
        return value, False
    data = value.data
    if isinstance(data, str):
        return (_string(value, refs, problems), True) if "$" in data else (value, False)
    if isinstance(data, dict):
        done = {k: _interpolated(v, refs, problems, memo) for k, v in data.items()}
        dollar = any(found for _, found in done.values())
        changed = dollar and any(new is not data[k] for k, (new, _) in done.items())
        result = Value({k: new for k, (new, _) in done.items()}, value.origin, value.overrode, value.tag,
                       value.key_origin) if changed else value
    elif isinstance(data, list):
        items = [_interpolated(v, refs, problems, memo) for v in data]
        dollar = any(found for _, found in items)
        changed = dollar and any(new is not old for (new, _), old in zip(items, data, strict=True))
        result = Value([new for new, _ in items], value.origin, value.overrode, value.tag,
                       value.key_origin) if changed else value
    else:
        return value, False
    memo[id(value)] = (value, dollar)
    return result, dollar


def _string(value: Value, refs: dict[str, str], problems: Problems) -> Value:
    def replace(match: re.Match) -> str:
        if match.group(0) == "$${":
            return "${"
        key = match.group(1).strip()
        if key in refs:
            return refs[key]
        if is_shell_variable(key, refs):
            return match.group(0)
        problems.add(f"unknown reference ${{{key}}}{_hint(key, refs)}", value.origin)
        return match.group(0)

    text = _REF.sub(replace, value.data)
    if text == value.data:
        return value
    return Value(text, value.origin, value.overrode, value.tag, value.key_origin)


def _hint(key: str, refs: dict[str, str]) -> str:
    guess = closest(key, refs, cutoff=0.75) or next((r for r in refs if r.endswith("." + key)), None)
    if guess is not None:
        shell = "" if key.startswith(STRATA_PREFIXES) else f" (for a shell variable write $${{{key}}})"
        return f"; did you mean ${{{guess}}}?{shell}"
    prefix = key.rsplit(".", 1)[0] + "." if "." in key else ""
    known = sorted(k for k in refs if k.startswith(prefix)) if prefix else []
    if known and len(known) <= 8:
        return f" (known here: {', '.join(known)})"
    return " (see SPEC §2 Interpolation for the references strata knows)"
