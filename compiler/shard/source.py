"""What a shard was compiled from, and by: the marks `strata merge` compares.

- *source*: the git commit of the repository (HEAD; none outside git) and a digest of every
  input file — strata.yaml, every spec file loaded, the repository's chart folders and the
  files Jsonnet imports read — by path and content, so uncommitted edits count too;
- *tool*: strata's version and the fingerprint of its own files (compiler/output/cache.py).
"""
from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from compiler import __version__


def source_of(build) -> dict[str, Any]:
    """`build`: a loaded and digested Build (its input hashes are reused)."""
    return {"commit": head_commit(build.root), "inputs": inputs_digest(build.root, input_files(build), build.hashes)}


def tool_of() -> dict[str, str]:
    from compiler.output.cache import tool_fingerprint

    return {"version": __version__, "fingerprint": tool_fingerprint()}


def input_files(build) -> list[str]:
    """Every file a compile of the whole repository may read, relative to it."""
    from compiler.load.discover import CONFIG_FILE

    root = build.root.resolve()
    docs = build.docs
    loaded = [*docs.layers, *docs.groups, *docs.environments, *docs.projects.values(),
              *(doc for found in docs.resources.values() for doc in found)]
    files = {doc.file for doc in loaded} | {f for reads in docs.reads.values() for f in reads}
    if (build.root / CONFIG_FILE).is_file():
        files.add(CONFIG_FILE)
    for folder in build.config.chart_dirs:
        folder = Path(folder).resolve()
        if folder.is_relative_to(root) and folder.is_dir():
            files.update(p.relative_to(root).as_posix() for p in folder.rglob("*") if p.is_file())
    return sorted(files)


def inputs_digest(root: Path, files: Iterable[str], known: Mapping[str, str]) -> str:
    """By path and content; `known`: sha256 already computed (the load's input hashes)."""
    digest = hashlib.sha256(b"strata-shard-source/1\n")
    for rel in sorted(files):
        content = known.get(rel) or hashlib.sha256((root / rel).read_bytes()).hexdigest()
        digest.update(rel.encode() + b"\0" + content.encode() + b"\n")
    return digest.hexdigest()


def head_commit(root: Path) -> str | None:
    """HEAD's commit when `root` is in a git repository, else None (git missing counts as none)."""
    try:
        done = subprocess.run(["git", "rev-parse", "--verify", "--quiet", "HEAD"], cwd=root, capture_output=True,
                              check=False)
    except OSError:
        return None
    return done.stdout.decode().strip() or None if done.returncode == 0 else None
