"""Stage 6b, write: put assembled files on disk atomically.

Everything is written to a temporary folder beside out/, which is then swapped
in with renames: a failed or interrupted compile leaves the previous out/
untouched. `compile --env/--project` rewrites only its selection and keeps the
rest of out/ (and of manifest.json) as it was.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from compiler.capacity.report import merged_blocks
from compiler.errors import StrataError
from compiler.output.assemble import MANIFEST, manifest_bytes


def write_output(out_dir: Path, files: dict[str, bytes], *, partial: bool = False) -> None:
    try:
        _write(out_dir.resolve(), files, partial)
    except OSError as exc:
        raise StrataError(f"cannot write {out_dir}: {exc.strerror or exc}; the previous output is untouched") from None


def _write(out_dir: Path, files: dict[str, bytes], partial: bool) -> None:
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    if partial and (out_dir / MANIFEST).is_file():
        files = _merge_with_previous(out_dir, files)
    if _already_written(out_dir, files):
        return
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-", dir=out_dir.parent))
    os.chmod(staging, 0o777 & ~_umask())   # mkdtemp makes 0700; out/ should look like any folder
    try:
        for folder in sorted({os.path.dirname(rel) for rel in files} - {""}):
            os.makedirs(os.path.join(staging, folder), exist_ok=True)
        for rel, data in sorted(files.items()):
            with open(os.path.join(staging, rel), "wb") as handle:
                handle.write(data)
        _swap(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _already_written(out_dir: Path, files: dict[str, bytes]) -> bool:
    """out/ already holds exactly these bytes (a no-change recompile): nothing to write."""
    manifest = out_dir / MANIFEST
    if not manifest.is_file() or manifest.read_bytes() != files.get(MANIFEST):
        return False
    present = {p.relative_to(out_dir).as_posix() for p in out_dir.rglob("*") if p.is_file()}
    if present != set(files):
        return False
    return all((out_dir / rel).read_bytes() == data for rel, data in files.items())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _swap(staging: Path, out_dir: Path) -> None:
    old = None
    if out_dir.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
        os.rename(out_dir, old / "out")
    try:
        os.rename(staging, out_dir)
    except OSError:
        if old is not None:
            os.rename(old / "out", out_dir)
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def _merge_with_previous(out_dir: Path, files: dict[str, bytes]) -> dict[str, bytes]:
    """Keep the previous targets outside this compile's selection, files and manifest entries."""
    new = json.loads(files[MANIFEST])
    old = json.loads((out_dir / MANIFEST).read_text())
    fresh_projects = {(e["env"], e["project"]) for e in new["projects"]}
    selection = new["selection"]

    def selected(entry: dict) -> bool:
        return ((not selection["envs"] or entry["env"] in selection["envs"]) and
                (not selection["projects"] or entry["project"] in selection["projects"]))

    kept_targets = [e for e in old.get("targets", []) if not selected(e)]
    kept_projects = [e for e in old.get("projects", []) if not selected(e) and (e["env"], e["project"]) not in fresh_projects]
    merged = dict(files)
    for entry in kept_targets + kept_projects:
        for rel in entry["outputs"]:
            if (out_dir / rel).is_file():
                merged[rel] = (out_dir / rel).read_bytes()
    new["targets"] = sorted(new["targets"] + kept_targets, key=lambda e: e["folder"])
    new["projects"] = sorted(new["projects"] + kept_projects, key=lambda e: e["folder"])
    new["selection"] = {"envs": [], "projects": []}
    new["capacity"] = merged_blocks(old.get("capacity", {}), new.get("capacity", {}), new["targets"])
    merged[MANIFEST] = manifest_bytes(new)
    return merged
