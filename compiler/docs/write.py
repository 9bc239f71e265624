"""Put the site on disk: all at once (compiler.output.write's atomic swap), and only where that is safe.

The swap replaces the whole folder, so the folder must be absent, empty or a site strata
generated (it holds `strata-docs.json`), and never the repository, a folder holding it, or
a folder strata reads specs or charts from.
"""
from __future__ import annotations

import os
from pathlib import Path

from compiler.docs.site import MARKER
from compiler.errors import StrataError
from compiler.output.write import write_output

READ_FOLDERS = ("layers", "environments", "projects", ".git")


def site_folder(repo: Path, out: Path, chart_dirs: tuple[Path, ...] = ()) -> Path:
    """`out` resolved, or StrataError saying why strata will not replace it."""
    repo, folder = repo.resolve(), out.resolve()
    why = _refusal(repo, folder, tuple(d.resolve() for d in chart_dirs))
    if why:
        raise StrataError(f"--out {out}: {why}; nothing was written")
    return folder


def _refusal(repo: Path, out: Path, chart_dirs: tuple[Path, ...]) -> str | None:
    if repo.is_relative_to(out):
        return "is the repository or holds it"
    for folder in (*(repo / name for name in READ_FOLDERS), *chart_dirs):
        if folder.is_relative_to(out) or out.is_relative_to(folder):
            return f"is, holds or lies inside {os.path.relpath(folder, repo)}/, which strata reads"
    if out.exists() and not out.is_dir():
        return "is a file"
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        return f"is not empty and holds no {MARKER}: strata replaces only a folder that is absent, empty or a site it generated"
    return None


def write_site(folder: Path, files: dict[str, bytes]) -> None:
    write_output(folder, files)
