"""Write the promotion's files: each atomically, and none before every edit has succeeded.

A file is written to a temporary file beside it and renamed over it, keeping its permission
bits, so a reader (or a crash) sees the old text or the new, never half of it.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from compiler.errors import StrataError
from compiler.load.yaml_files import inside_repo


def write_files(repo: Path, files: dict[str, str]) -> list[str]:
    """Write `files` (repo-relative path → text); the paths written, sorted."""
    for rel in files:
        if not inside_repo(repo, repo / rel):
            raise StrataError(f"{rel}: outside the repository; strata writes only inside it")
    for rel, text in sorted(files.items()):
        _replace(repo / rel, text.encode("utf-8"))
    return sorted(files)


def _replace(path: Path, data: bytes) -> None:
    try:
        mode = path.stat().st_mode & 0o7777
        handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".strata-tmp", dir=path.parent)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.chmod(tmp, mode)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as error:
        raise StrataError(f"{path}: cannot write: {error.strerror or error}") from None
