"""Where the config repository is: the first thing every command needs, so it imports nothing heavy
(no schemas, no YAML): `strata --version` and a no-change compile stay fast (compiler/incremental)."""
from __future__ import annotations

from pathlib import Path

from compiler.errors import StrataError

CONFIG_FILE = "strata.yaml"


def find_repo(start: Path, explicit: Path | None = None) -> Path:
    """`--repo DIR`, else the nearest folder upward with strata.yaml or layers/ + environments/."""
    if explicit is not None:
        if not explicit.is_dir():
            raise StrataError(f"--repo {explicit}: not a directory")
        return explicit.resolve()
    for folder in (start.resolve(), *start.resolve().parents):
        if (folder / CONFIG_FILE).is_file() or ((folder / "layers").is_dir() and (folder / "environments").is_dir()):
            return folder
    raise StrataError(f"no strata repository at or above {start} (looked for {CONFIG_FILE}, or layers/ and "
                      "environments/); pass --repo DIR")
