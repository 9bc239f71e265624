"""Put the site on disk the way `strata compile` writes out/: compiler.output's guard and its
crash-safe swap under `.strata/lock`, with the site's own marker file.

The swap replaces the whole folder, so it must be absent, empty or a site strata generated (it
holds `strata-docs.json`), and never the repository, a folder holding it, or a folder strata
reads specs or charts from (compiler.output.guard says why, before anything is loaded).
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from compiler.docs.site import MARKER
from compiler.errors import StrataError
from compiler.load.discover import RepoConfig
from compiler.output.guard import replaceable
from compiler.output.state import State
from compiler.output.write import write_output


def site_folder(repo: Path, config: RepoConfig, out: Path) -> Path:
    """`out` resolved, or StrataError saying why strata will not replace it."""
    folder = out.resolve()
    why = replaceable(repo.resolve(), config, folder, MARKER)
    if why:
        raise StrataError(f"--out {out}: {why}; nothing was written")
    return folder


def write_site(repo: Path, config: RepoConfig, folder: Path, files: dict[str, bytes],
               waiting: Callable[[str], None] | None = None) -> None:
    write_output(State(repo), folder, files, lock_timeout=config.lock_timeout, waiting=waiting, marker=MARKER)
