"""Field sets in the FieldsV1 format of managedFields (sigs.k8s.io/structured-merge-diff).

`f:<name>` a field of a map or struct, `k:<json of the key fields>` an item of an associative
list (with `.` for the item itself), `v:<json>` a set item; an empty node is a leaf, owned whole
(a scalar, an atomic list). The double works on flattened paths (tuples of these keys).
"""
from __future__ import annotations

import json
from typing import Any

from kube_double.resources import list_keys

MISSING = object()
Path = tuple[str, ...]


def trie(value: Any, field: str | None = None) -> dict:
    """The field set a value sets (what an apply of it claims)."""
    if isinstance(value, dict):
        return {"f:" + k: trie(v, k) for k, v in value.items()}
    if isinstance(value, list):
        keys = list_keys(field, value)
        if keys is None:
            return {}
        return {item_key(item, keys): {".": {}, **trie(item)} for item in value}
    return {}


def item_key(item: dict, keys: tuple[str, ...]) -> str:
    return "k:" + json.dumps({k: item[k] for k in keys if k in item}, separators=(",", ":"), sort_keys=True)


def flatten(node: dict, prefix: Path = ()) -> set[Path]:
    found: set[Path] = set()
    for key, child in node.items():
        if key == ".":
            found.add(prefix + (".",))
        elif child:
            found |= flatten(child, prefix + (key,))
        else:
            found.add(prefix + (key,))
    return found


def build(paths: set[Path]) -> dict:
    root: dict = {}
    for path in sorted(paths):
        node = root
        for key in path:
            node = node.setdefault(key, {})
    return root


def value_at(obj: Any, path: Path) -> Any:
    node = obj
    for key in path:
        if key == ".":
            continue
        if key.startswith("f:") and isinstance(node, dict):
            node = node.get(key[2:], MISSING)
        elif key.startswith("k:") and isinstance(node, list):
            wanted = json.loads(key[2:])
            node = next((i for i in node if isinstance(i, dict) and all(i.get(k) == v for k, v in wanted.items())), MISSING)
        elif key.startswith("v:") and isinstance(node, list):
            wanted = json.loads(key[2:])
            node = wanted if wanted in node else MISSING
        else:
            return MISSING
        if node is MISSING:
            return MISSING
    return node


def remove_at(obj: Any, path: Path) -> None:
    """Remove the field or list item `path` names (an item's `.` path removes the item)."""
    if path and path[-1] == ".":
        path = path[:-1]
    if not path:
        return
    parent = value_at(obj, path[:-1])
    key = path[-1]
    if key.startswith("f:") and isinstance(parent, dict):
        parent.pop(key[2:], None)
    elif key.startswith(("k:", "v:")) and isinstance(parent, list):
        target = value_at(parent, (key,))
        if target is not MISSING:
            parent[:] = [i for i in parent if i is not target]


def render_path(path: Path) -> str:
    """`.spec.containers[name="main"].image`, as the API server writes conflict fields."""
    text = ""
    for key in path:
        if key.startswith("f:"):
            text += "." + key[2:]
        elif key.startswith("k:"):
            text += "[" + ",".join(f"{k}={json.dumps(v)}" for k, v in json.loads(key[2:]).items()) + "]"
        elif key.startswith("v:"):
            text += f"[{key[2:]}]"
    return text
