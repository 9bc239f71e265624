"""`strata explain`: an effective value and the chain of file:line that set and overrode it."""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from compiler.errors import StrataError
from compiler.merge.field_rules import ANY, Rule, rule_for_model
from compiler.output import yamlout
from compiler.paths import dotted
from compiler.provenance import Value, plain, walk
from compiler.targets import Target
from schemas import RESOURCE_SPECS

_STEP = re.compile(r"([^.\[\]]+)|\[([^\]]+)\]")


def find_target(targets: list[Target], root: Path, ref: str, env: str) -> Target:
    """`<project>/<Kind>/<name>`, or a resource file (which must hold one resource)."""
    candidates = [t for t in targets if t.env.name == env]
    path = Path(ref)
    if (root / ref).is_file() or path.is_file():
        rel = _relative(root, path if path.is_file() else root / ref)
        found = [t for t in candidates if t.origin and t.origin.file == rel]
        if len({t.identity for t in found}) > 1:
            names = ", ".join(sorted({t.identity for t in found}))
            raise StrataError(f"{rel} holds several resources ({names}); name one as <project>/<Kind>/<name>")
    else:
        found = [t for t in candidates if t.identity == ref]
    if not found:
        raise StrataError(f"{ref}: no such resource deployed to environment {env}")
    return found[0]


def _relative(root: Path, path: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        raise StrataError(f"{path} is outside the repository {root}") from None


def parse_path(text: str) -> list[str]:
    """`env[NCCL_DEBUG].value` → ['env', '[NCCL_DEBUG]', 'value']."""
    steps = []
    for match in _STEP.finditer(text):
        steps.append(match.group(1) if match.group(1) is not None else f"[{match.group(2)}]")
    return steps


def resolve(target: Target, text: str) -> tuple[tuple, Value | None]:
    """The Value tree path for a dotted path, following merge keys for list items."""
    node: Value | None = target.tree
    rule: Rule = rule_for_model(RESOURCE_SPECS[target.kind])
    path: list[Any] = []
    for step in parse_path(text):
        if node is None:
            return tuple(path), None
        if step.startswith("["):
            index = _item_index(node, rule, step[1:-1])
            node, rule = (node.data[index] if index is not None else None), rule.items or ANY
            path.append(index if index is not None else step)
        else:
            node = node.data.get(step) if node.is_map else None
            rule = rule.child(step) or ANY
            path.append(step)
    return tuple(path), node


def _item_index(node: Value, rule: Rule, key: str) -> int | None:
    if not node.is_list:
        return None
    if rule.merge_key:
        for i, item in enumerate(node.data):
            found = item.data.get(rule.merge_key) if item.is_map else None
            if found is not None and str(found.data) == key:
                return i
    if key.isdigit() and int(key) < len(node.data):
        return int(key)
    return None


def explain_lines(target: Target, path_text: str | None) -> Iterator[str]:
    yield f"{target.identity} in {target.env.name}"
    yield "layers, lowest first: schema defaults < " + " < ".join(target.chain)
    if path_text:
        _path, node = resolve(target, path_text)
        if node is None:
            value = _effective(target.values, path_text)
            yield f"{path_text} = {_short(value)}  (schema default: no layer sets it)"
            return
        yield from _leaves(node, path_text)
        return
    if target.tree is not None:
        yield from _leaves(target.tree, "")


def _leaves(tree: Value, prefix: str) -> Iterator[str]:
    """Every scalar (or scalar list) under `tree`, each with its chain."""
    for path, node in walk(tree):
        if not node.is_map and not (node.is_list and node.data and (node.data[0].is_map or node.data[0].is_list)):
            label = dotted(path)
            joined = prefix + ("" if not label else (label if label.startswith("[") or not prefix else "." + label))
            yield from _describe(joined, node)


def _describe(label: str, node: Value) -> Iterator[str]:
    yield f"{label} = {_short(plain(node))}"
    yield f"  set by   {node.origin.describe()}"
    for i, origin in enumerate(node.overrode):
        yield f"  {'overrode' if i == 0 else '        '} {origin.describe()}"


def _effective(values: dict, text: str) -> Any:
    node: Any = values
    for step in parse_path(text):
        if isinstance(node, dict) and step in node:
            node = node[step]
        else:
            return None
    return node


def _short(value: Any) -> str:
    """A value on one line: YAML for scalars, compact JSON (valid flow YAML) for mappings and lists."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return yamlout.dump(value).strip()
