"""How a path into data is written for people and for machines."""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

_STEP = re.compile(r"([^.\[\]]+)|\[([^\]]+)\]")


def json_pointer(path: Iterable[Any]) -> str:
    """RFC 6901: `~` → `~0`, `/` → `~1` (keys like `nvidia.com/gpu` or `app.kubernetes.io/name`)."""
    return "".join("/" + str(step).replace("~", "~0").replace("/", "~1") for step in path)


def dotted(path: Iterable[Any]) -> str:
    """`("env", 0, "value")` → `env[0].value`, as error messages and `strata explain` print it."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text


def parse_path(text: str) -> list[str]:
    """`env[NCCL_DEBUG].value` → ['env', '[NCCL_DEBUG]', 'value']: the path syntax of `explain --path`
    and `run --set` (a `[KEY]` step names a list item by its merge key, or by its index)."""
    steps = []
    for match in _STEP.finditer(text):
        steps.append(match.group(1) if match.group(1) is not None else f"[{match.group(2)}]")
    return steps
