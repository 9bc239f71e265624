"""Reuse of unchanged output: a target whose digest and strata itself are unchanged is not re-rendered.

`out/manifest.json` records every target's content digest (compiler/graph/digest.py:
its input files by content, its references' digests, its chart, strata.yaml, strata's
version) and its output files with their sha256; `.strata/cache.json`
(compiler.output.state) records what that output was written with: strata's own code,
the bytes of strata.yaml, the output folder and the identity (device, inode, change
time) of the manifest.json strata wrote there. When all of these match, the target's
previous files are kept as they are (after checking their hashes), so a no-change
recompile only loads, merges and validates. Anything doubtful (a missing or edited
output file, a manifest without digests, a different strata, an edited strata.yaml,
another output folder, an out/ that was copied or checked out from git rather than
written by this strata) renders again. Inputs are keyed on content, never on a
modification time: an edit that keeps a file's size and mtime is still seen.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from compiler import __version__
from compiler.output.assemble import MANIFEST
from compiler.output.spool import file_sha256
from compiler.output.state import State
from compiler.targets import target_key

_PACKAGES = ("compiler", "schemas")


@dataclass(frozen=True)
class Reused:
    entry: dict               # the previous manifest entry
    source: Path              # the output folder holding its files, verified against the recorded hashes


@lru_cache(maxsize=1)
def tool_fingerprint() -> str:
    """strata's version and the hash of its own files (code, built-in charts, templates): a change to
    any of them invalidates every cached target."""
    digest = hashlib.sha256(__version__.encode())
    root = Path(__file__).resolve().parent.parent.parent
    for package in _PACKAGES:
        for path in sorted((root / package).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def reuse_key(config_digest: str, out_dir: Path) -> dict[str, str]:
    """What output must have been written with to be reused: this strata, this strata.yaml, this
    folder, and the manifest file itself (a committed or copied out/ is a new inode)."""
    return {"fingerprint": tool_fingerprint(), "config": config_digest, "output": str(out_dir),
            "manifest": manifest_identity(out_dir)}


def manifest_identity(out_dir: Path) -> str:
    """Device, inode, change time and size of out/manifest.json: which file it is, not what it says."""
    try:
        found = os.stat(out_dir / MANIFEST)
    except OSError:
        return ""
    return f"{found.st_dev}:{found.st_ino}:{found.st_ctime_ns}:{found.st_size}"


def reusable(state: State, out_dir: Path, key: dict[str, str], build, manifest: dict | None = None) -> dict[str, Reused]:
    """Folder → previous output, for every target whose digest is unchanged since the last compile
    (`manifest`: out/manifest.json, when the caller has read it already)."""
    previous = _previous_manifest(state, out_dir, key, manifest)
    if previous is None:
        return {}
    by_folder = {entry["folder"]: entry for entry in previous.get("targets", [])}
    found: dict[str, Reused] = {}
    for target in build.targets:
        entry = by_folder.get(target.folder)
        if entry is None or entry.get("id") != target.identity:
            continue
        if entry.get("digest") != build.digests[target_key(target)]:
            continue
        if _verified_outputs(out_dir, entry):
            found[target.folder] = Reused(entry, out_dir)
    return found


def _previous_manifest(state: State, out_dir: Path, key: dict[str, str], manifest: dict | None) -> dict | None:
    if state.read_cache() != key:
        return None
    if manifest is not None:
        return manifest
    try:
        return json.loads((out_dir / MANIFEST).read_text())
    except (OSError, ValueError):
        return None


def _verified_outputs(out_dir: Path, entry: dict) -> bool:
    """Every output file of the entry is there with its recorded sha256 (read, not kept: the
    compile holds the lock, so the files are then linked into the staging folder as they are,
    or copied and checked again where links fail)."""
    for rel, digest in entry.get("outputs", {}).items():
        try:
            if file_sha256(out_dir / rel) != digest:
                return False
        except OSError:
            return False
    return True
