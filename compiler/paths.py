"""How a path into data is written for people and for machines."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def json_pointer(path: Iterable[Any]) -> str:
    """RFC 6901: `~` → `~0`, `/` → `~1` (keys like `nvidia.com/gpu` or `app.kubernetes.io/name`)."""
    return "".join("/" + str(step).replace("~", "~0").replace("/", "~1") for step in path)


def dotted(path: Iterable[Any]) -> str:
    """`("env", 0, "value")` → `env[0].value`, as error messages and `strata explain` print it."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text
