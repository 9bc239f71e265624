"""Stage 6b, write: put assembled files on disk, crash-safe and one writer at a time.

Under `.strata/lock` (compiler.output.state), a compile writes every file into
`.<out>.strata-new` beside out/, records the swap in `.strata/swap.json`, renames
out/ to `.<out>.strata-old`, the new folder to out/, then drops the journal and the old
folder. Whenever strata is killed, out/ is the complete old output, the complete new
one, or (between the two renames) absent with a journal saying how to finish: the next
compile calls `recover` before anything else and completes the swap. Temporary folders
have those fixed names, so the next run also removes any a kill left behind.

`compile --env/--project` rewrites only its selection and keeps the rest of out/ (and
of manifest.json) as it was.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path

from compiler.capacity.report import merged_blocks
from compiler.errors import StrataError
from compiler.output.assemble import MANIFEST, manifest_bytes
from compiler.output.guard import refusal
from compiler.output.state import State


class HalfSwapped(StrataError):
    """A swap failed and could not be undone: out/ is not as it was, the message says where it is."""


def write_output(state: State, out_dir: Path, files: dict[str, bytes], *, partial: bool = False,
                 lock_timeout: float = 60.0, waiting: Callable[[str], None] | None = None,
                 marker: str = MANIFEST, links: Mapping[str, Path] | None = None) -> None:
    """Replace `out_dir` (resolved, already checked by compiler.output.guard) with `files`; `marker`
    is the file that says a folder is strata's (the docs site writes its own folder the same way).
    `links`: more files, each from an existing file with its bytes (hard-linked where the file
    system allows, else copied): `strata merge` places the shards' verified files this way.

    Raises StrataError leaving `out_dir` as it was, or HalfSwapped when it could not be.
    """
    with state.locked(lock_timeout, waiting):
        recover(state, out_dir)
        why = refusal(out_dir, marker)   # again, now that no other strata can be writing it
        if why:
            raise StrataError(why)
        _write(state, out_dir, files, partial, marker, links or {})


def recover(state: State, out_dir: Path) -> str | None:
    """Finish a swap a killed compile left half done, and remove the temporary folders of one
    killed before or after its swap.

    Call with the lock held, before anything reads `out_dir`. Returns what was done (for
    the user), or None if nothing was.
    """
    journal = state.read_journal()
    done = _finish_swap(state, journal) if journal is not None else None
    try:
        leftovers = [f for f in temporary_folders(out_dir) if f.exists() or f.is_symlink()]
        for folder in leftovers:
            _remove(folder)
    except OSError as exc:
        raise StrataError(f"cannot remove {exc.filename}, left by an interrupted compile: {exc.strerror}") from None
    if leftovers and done is None:
        done = f"removed {', '.join(f.name for f in leftovers)}, left by an interrupted compile"
    return done


def _finish_swap(state: State, journal: dict) -> str:
    out, new, old = _journaled(state, journal)
    try:
        if new.exists():           # every file was written before the journal: finish the swap
            if out.exists():
                _remove(old)
                _rename(out, old)
            _rename(new, out)
            done = f"finished replacing {out} (a compile was interrupted while swapping it in)"
        elif not out.exists() and old.exists():
            _rename(old, out)
            done = f"restored {out} (a compile was interrupted while swapping it in)"
        else:
            done = f"cleaned up after a compile interrupted while replacing {out}"
        state.clear_journal()
        _remove(old)
    except OSError as exc:
        raise StrataError(f"cannot finish the interrupted replacement of {out} ({exc.strerror or exc}) recorded in "
                          f"{state.journal}: its new output is in {new}, the previous one in {old}") from None
    return done


def _journaled(state: State, journal: dict) -> tuple[Path, Path, Path]:
    """The folders a journal names, if it is one strata could have written (it may be committed)."""
    out = Path(str(journal.get("out", "")))
    marker = journal.get("marker", MANIFEST)
    new, old = temporary_folders(out)
    why: str | None = "not an absolute path"
    if not isinstance(marker, str) or not marker or os.path.basename(marker) != marker:
        why = "a marker that is not a file name"
    elif out.is_absolute():
        why = refusal(out, marker)
    if why or journal.get("new") != str(new) or journal.get("old") != str(old):
        raise StrataError(f"{state.journal} does not describe a swap of strata's own output ({why or 'unknown folders'}); "
                          "strata will not act on it: check the output folder, then delete the file")
    return out, new, old


def temporary_folders(out_dir: Path) -> tuple[Path, Path]:
    """Where the next output is written and the previous one is moved to: beside out/, fixed names."""
    return out_dir.with_name(f".{out_dir.name}.strata-new"), out_dir.with_name(f".{out_dir.name}.strata-old")


def _write(state: State, out_dir: Path, files: dict[str, bytes], partial: bool, marker: str,
           links: Mapping[str, Path]) -> None:
    new, old = temporary_folders(out_dir)   # `recover` has removed any a killed compile left
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        if partial and (out_dir / MANIFEST).is_file():
            files = _merge_with_previous(out_dir, files)
        if not links and _already_written(out_dir, files):
            return
        _stage(new, files, links)
    except OSError as exc:
        _remove_quietly(new)
        raise StrataError(f"cannot write {out_dir}: {exc.strerror or exc}") from None
    _swap(state, out_dir, new, old, marker)


def _stage(new: Path, files: dict[str, bytes], links: Mapping[str, Path]) -> None:
    os.mkdir(new)
    for folder in sorted({os.path.dirname(rel) for rel in (*files, *links)} - {""}):
        os.makedirs(new / folder, exist_ok=True)
    for rel, data in sorted(files.items()):
        _write_file(new / rel, data)
    base = str(new)
    for rel, source in sorted(links.items()):
        _place(str(source), os.path.join(base, rel))


def _place(source: str, path: str) -> None:
    try:
        os.link(source, path)
    except OSError:              # another file system, or one without hard links
        shutil.copyfile(source, path)


def _write_file(path: Path, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)


def _swap(state: State, out_dir: Path, new: Path, old: Path, marker: str) -> None:
    try:
        state.write_journal({"out": str(out_dir), "new": str(new), "old": str(old), "marker": marker})
        if out_dir.exists():
            _rename(out_dir, old)
        _rename(new, out_dir)
    except OSError as exc:
        message = f"cannot replace {out_dir}: {exc.strerror or exc}"
        if not _roll_back(state, out_dir, new, old):
            raise HalfSwapped(f"{message}; the previous output is in {old} and the next compile restores it "
                              f"(recorded in {state.journal})") from None
        raise StrataError(message) from None
    with contextlib.suppress(OSError):   # out/ is the new output; the next compile clears what is left
        state.clear_journal()
        _remove(old)


def _roll_back(state: State, out_dir: Path, new: Path, old: Path) -> bool:
    """Put the previous output back after a failed swap; False if it could not be."""
    try:
        if not out_dir.exists() and old.exists():
            _rename(old, out_dir)
        state.clear_journal()
        _remove(new)
    except OSError:
        return False
    return True


def _rename(source: Path, target: Path) -> None:
    os.rename(source, target)


def _remove(folder: Path) -> None:
    if folder.is_symlink() or folder.is_file():
        folder.unlink()
    elif folder.exists():
        shutil.rmtree(folder)


def _remove_quietly(folder: Path) -> None:
    with contextlib.suppress(OSError):   # a leftover with a fixed name: the next compile removes it
        _remove(folder)


def _already_written(out_dir: Path, files: dict[str, bytes]) -> bool:
    """out/ already holds exactly these bytes (a no-change recompile): nothing to write."""
    manifest = out_dir / MANIFEST
    if not manifest.is_file() or manifest.read_bytes() != files.get(MANIFEST):
        return False
    present = {p.relative_to(out_dir).as_posix() for p in out_dir.rglob("*") if p.is_file()}
    if present != set(files):
        return False
    return all((out_dir / rel).read_bytes() == data for rel, data in files.items())


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
    fresh_platforms = {e["env"] for e in new.get("platforms", [])}
    kept_platforms = [e for e in old.get("platforms", []) if e["env"] not in fresh_platforms]
    merged = dict(files)
    for entry in kept_targets + kept_projects + kept_platforms:
        for rel in entry["outputs"]:
            if (out_dir / rel).is_file():
                merged[rel] = (out_dir / rel).read_bytes()
    new["targets"] = sorted(new["targets"] + kept_targets, key=lambda e: e["folder"])
    new["projects"] = sorted(new["projects"] + kept_projects, key=lambda e: e["folder"])
    new["platforms"] = sorted(new.get("platforms", []) + kept_platforms, key=lambda e: e["folder"])
    new["selection"] = {"envs": [], "projects": []}
    new["capacity"] = merged_blocks(old.get("capacity", {}), new.get("capacity", {}), new["targets"])
    merged[MANIFEST] = manifest_bytes(new)
    return merged
