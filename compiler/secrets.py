"""Environment variables that hold secrets, known by their name, and masking their plain values.

strata emits references to Secrets (`secretRef`), never their values. An env var whose
name looks secret - it contains PASSWORD, TOKEN or SECRET, or ends in _KEY, in any case
(`*PASSWORD*`, `*TOKEN*`, `*SECRET*`, `*_KEY`) - but has a plain `value` is masked wherever
strata shows values to people (plan in every format, explain), and is an error where the
environment's policy `forbidPlainSecrets` is on (compiler/check/policy.py). Output files
keep the value: they are what the cluster gets.

The shape recognised is Kubernetes' and strata's own env var: a mapping with `name` and
`value`, anywhere in an object or a spec.
"""
from __future__ import annotations

import re
from typing import Any

SECRET_NAME = re.compile(r"PASSWORD|TOKEN|SECRET|_KEY$", re.IGNORECASE)
SECRET_NAME_PATTERN = "*PASSWORD*, *TOKEN*, *SECRET*, *_KEY"


def looks_secret(name: Any) -> bool:
    return isinstance(name, str) and SECRET_NAME.search(name) is not None


def sensitive(size: int) -> str:
    return f"(sensitive, {size} bytes)"


def masked(value: Any) -> str:
    text = value if isinstance(value, str) else "" if value is None else str(value)
    return sensitive(len(text.encode()))


def is_secret_env(item: Any) -> bool:
    return isinstance(item, dict) and "value" in item and looks_secret(item.get("name"))


def mask_env(data: Any) -> Any:
    """`data` with the value of every secret-looking env var masked; unchanged parts are shared."""
    return _masked(data) if _holds_secret_env(data) else data   # most objects hold none: look before copying


def _holds_secret_env(data: Any) -> bool:
    # plain loops, not any(...): this walks every object the docs site shows
    if isinstance(data, dict):
        if is_secret_env(data):
            return True
        for value in data.values():
            if isinstance(value, (dict, list)) and _holds_secret_env(value):
                return True
    elif isinstance(data, list):
        for item in data:
            if isinstance(item, (dict, list)) and _holds_secret_env(item):
                return True
    return False


def _masked(data: Any) -> Any:
    if isinstance(data, dict):
        items = {key: _masked(value) for key, value in data.items()}
        if is_secret_env(data):
            items["value"] = masked(data["value"])
        return data if all(items[k] is data[k] for k in data) else items
    if isinstance(data, list):
        listed = [_masked(item) for item in data]
        return data if all(a is b for a, b in zip(listed, data, strict=True)) else listed
    return data


def in_secret_env(root: Any, path: tuple | list) -> bool:
    """Whether `path` (keys, list indexes) into `root` reaches the value of a secret-looking env var."""
    node = root
    for step in path:
        if step == "value" and is_secret_env(node):
            return True
        if isinstance(node, dict) and step in node:
            node = node[step]
        elif isinstance(node, list) and str(step).isdigit() and int(step) < len(node):
            node = node[int(step)]
        else:
            return False
    return False
