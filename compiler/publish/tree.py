"""The tree of an environment branch: `out/<env>/`, the environment's delivery files and a root
`strata.metadata.json`, written into git objects with a temporary index (no checkout, no
working tree touched) and compared with what the branch holds.
"""
from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from compiler.errors import StrataError
from compiler.output.assemble import MANIFEST, sha256
from compiler.publish.git import Git

METADATA = "strata.metadata.json"
FILE_MODE = "100644"


@dataclass(frozen=True)
class EnvOutput:
    """What of out/ belongs on the environment branch."""

    env: str
    files: Mapping[str, str]            # path relative to out/ → sha256, as manifest.json lists it
    entries: tuple[dict, ...]           # its manifest.json entries (targets, delivery target, projects)

    @property
    def digest(self) -> str:
        """sha256 of the environment's manifest entries: equal output, equal digest."""
        canonical = json.dumps(sorted(self.entries, key=lambda e: e["folder"]), sort_keys=True, separators=(",", ":"))
        return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def env_output(out_dir: Path, env: str) -> EnvOutput:
    """The environment's files by out/manifest.json, each checked against its recorded hash."""
    try:
        manifest = json.loads((out_dir / MANIFEST).read_text())
    except (OSError, ValueError):
        raise StrataError(f"{out_dir / MANIFEST}: no compiled output here; run strata compile first") from None
    entries = tuple(e for kind in ("targets", "projects") for e in manifest.get(kind, []) if e.get("env") == env)
    if not entries:
        raise StrataError(f"{out_dir / MANIFEST} holds nothing for environment {env}; run strata compile --env {env}")
    files = {path: digest for entry in entries for path, digest in entry.get("outputs", {}).items()}
    for path, digest in sorted(files.items()):
        try:
            data = (out_dir / path).read_bytes()
        except OSError:
            raise StrataError(f"{out_dir / path} is listed in {MANIFEST} but missing; run strata compile") from None
        if sha256(data) != digest:
            raise StrataError(f"{out_dir / path} changed since strata compile wrote it; run strata compile") from None
    return EnvOutput(env, files, entries)


def write_blobs(git: Git, out_dir: Path, output: EnvOutput) -> dict[str, str]:
    """path → blob sha of every file of `output`, written into the repository's objects."""
    paths = sorted(output.files)
    listed = "".join(str((out_dir / p).resolve()) + "\n" for p in paths).encode()
    shas = git.out("hash-object", "-w", "--no-filters", "--stdin-paths", input=listed).split()
    if len(shas) != len(paths):
        raise StrataError(f"git hash-object wrote {len(shas)} objects for {len(paths)} files")
    return dict(zip(paths, shas, strict=True))


def write_tree(git: Git, blobs: Mapping[str, str], metadata: bytes) -> str:
    """The tree of `blobs` and the metadata file, through a temporary index (no working tree)."""
    meta_sha = git.out("hash-object", "-w", "--no-filters", "--stdin", input=metadata)
    lines = "".join(f"{FILE_MODE} {sha}\t{path}\n" for path, sha in {**blobs, METADATA: meta_sha}.items())
    with tempfile.TemporaryDirectory(prefix="strata-publish-") as tmp:
        index = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        git.run("update-index", "--add", "--index-info", input=lines.encode(), extra_env=index)
        return git.out("write-tree", extra_env=index)


def content_of(git: Git, commit: str | None) -> dict[str, str]:
    """path → blob sha of a commit's files, its metadata aside ({} for no commit)."""
    if commit is None:
        return {}
    listing = git.out("ls-tree", "-r", "--full-tree", "-z", commit)
    found = {}
    for item in listing.split("\0"):
        if not item:
            continue
        info, path = item.split("\t", 1)
        if path != METADATA:
            found[path] = info.split()[2]
    return found
