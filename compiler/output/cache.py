"""Reuse of unchanged output: a target whose digest and strata itself are unchanged is not re-rendered.

`out/manifest.json` records every target's content digest (compiler/graph/digest.py:
its input files, its references' digests, its chart, strata.yaml, strata's version)
and its output files with their sha256; `out/.strata-cache.json` records a
fingerprint of strata's own code. When both match, the target's previous files are
kept as they are (after checking their hashes), so a no-change recompile only loads,
merges and validates. Anything doubtful (a missing or edited output file, a manifest
without digests, a different strata) renders again.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from compiler import __version__
from compiler.output.assemble import MANIFEST, sha256
from compiler.targets import target_key

CACHE_FILE = ".strata-cache.json"
_PACKAGES = ("compiler", "schemas")


@dataclass(frozen=True)
class Reused:
    entry: dict               # the previous manifest entry
    files: dict[str, bytes]   # its output files, verified against the recorded hashes


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


def cache_file_bytes() -> bytes:
    return (json.dumps({"fingerprint": tool_fingerprint()}, sort_keys=True) + "\n").encode()


def reusable(out_dir: Path | None, build) -> dict[str, Reused]:
    """Folder → previous output, for every target whose digest is unchanged since the last compile."""
    previous = _previous_manifest(out_dir)
    if previous is None or out_dir is None:
        return {}
    by_folder = {entry["folder"]: entry for entry in previous.get("targets", [])}
    found: dict[str, Reused] = {}
    for target in build.targets:
        entry = by_folder.get(target.folder)
        if entry is None or entry.get("id") != target.identity:
            continue
        if entry.get("digest") != build.digests[target_key(target)]:
            continue
        files = _verified_outputs(out_dir, entry)
        if files is not None:
            found[target.folder] = Reused(entry, files)
    return found


def _previous_manifest(out_dir: Path | None) -> dict | None:
    if out_dir is None:
        return None
    try:
        stamp = json.loads((out_dir / CACHE_FILE).read_text())
        if stamp.get("fingerprint") != tool_fingerprint():
            return None
        return json.loads((out_dir / MANIFEST).read_text())
    except (OSError, ValueError):
        return None


def _verified_outputs(out_dir: Path, entry: dict) -> dict[str, bytes] | None:
    files = {}
    for rel, digest in entry.get("outputs", {}).items():
        try:
            data = (out_dir / rel).read_bytes()
        except OSError:
            return None
        if sha256(data) != digest:
            return None
        files[rel] = data
    return files
