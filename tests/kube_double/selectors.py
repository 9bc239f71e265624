"""Label selectors as LIST accepts them (https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/):
equality (`k=v`, `k==v`, `k!=v`), set (`k in (a,b)`, `k notin (a,b)`), existence (`k`, `!k`), ANDed by commas."""
from __future__ import annotations

import re
from collections.abc import Callable

SET = re.compile(r"^\s*([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")


def parse(selector: str) -> Callable[[dict], bool]:
    requirements = [_requirement(part) for part in _split(selector) if part.strip()]
    return lambda labels: all(r(labels or {}) for r in requirements)


def _split(selector: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in selector:
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current]


def _requirement(text: str) -> Callable[[dict], bool]:
    found = SET.match(text)
    if found:
        key, op, values = found.group(1), found.group(2), {v.strip() for v in found.group(3).split(",")}
        return (lambda labels: labels.get(key) in values) if op == "in" else (lambda labels: labels.get(key) not in values)
    text = text.strip()
    if "!=" in text:
        key, value = (s.strip() for s in text.split("!=", 1))
        return lambda labels: labels.get(key) != value
    if "=" in text:
        key, value = (s.strip() for s in text.replace("==", "=").split("=", 1))
        return lambda labels: labels.get(key) == value
    if text.startswith("!"):
        return lambda labels: text[1:] not in labels
    return lambda labels: text in labels
