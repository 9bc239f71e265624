"""Stage 6b, write: put assembled files on disk, crash-safe and one writer at a time.

Under `.strata/lock` (compiler.output.state), a compile writes every file into
`.<out>.strata-new` beside out/ (as targets finish: `staged_output`), records the swap in `.strata/swap.json`, renames
out/ to `.<out>.strata-old`, the new folder to out/, then drops the journal and the old
folder. Whenever strata is killed, out/ is the complete old output, the complete new
one, or (between the two renames) absent with a journal saying how to finish: the next
compile calls `recover` before anything else and completes the swap. Temporary folders
have those fixed names, so the next run also removes any a kill left behind.

`compile --env/--project` rewrites only its selection and keeps the rest of out/ (and
of manifest.json) as it was.

A delta compile (compiler/incremental/recompile.py) patches out/ in place instead of
swapping it: `patched_output` stages only the files that change, records in the journal
which staged files replace theirs and which files go (manifest.json last), then moves and
removes them. Each step can be done again, so after a kill `recover` rolls the journal
forward: out/ is the old output, the new one, or a journal away from the new one.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from compiler.capacity.report import merged_blocks
from compiler.errors import StrataError
from compiler.output.assemble import MANIFEST, manifest_bytes
from compiler.output.guard import refusal
from compiler.output.spool import Spool, file_sha256
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
    with staged_output(state, out_dir, partial=partial, lock_timeout=lock_timeout, waiting=waiting,
                       marker=marker) as spool:
        for rel, data in sorted(files.items()):
            spool.write(rel, data)
        for rel, source in sorted((links or {}).items()):
            spool.place(source, rel)


@contextlib.contextmanager
def staged_output(state: State, out_dir: Path, *, partial: bool = False, lock_timeout: float = 60.0,
                  waiting: Callable[[str], None] | None = None, marker: str = MANIFEST,
                  recovered: Callable[[str | None], None] | None = None) -> Iterator[Spool]:
    """Under the lock, an empty staging folder for the caller to write the output into (a Spool,
    `marker` last); then, unless out/ already holds exactly those files, the journaled swap.

    `strata compile` renders inside this block, so its files are written as targets finish and
    never all held in memory. Whatever the block raises leaves `out_dir` as it was (the staging
    folder is removed; a kill leaves it for the next `recover`).
    """
    new, old = temporary_folders(out_dir)
    with locked_output(state, out_dir, lock_timeout=lock_timeout, waiting=waiting, marker=marker, recovered=recovered):
        with _cleaned(new, out_dir):
            out_dir.parent.mkdir(parents=True, exist_ok=True)
            os.mkdir(new)
        spool = Spool(new)
        with _cleaned(new, out_dir, ours=False):
            yield spool
        with _cleaned(new, out_dir):
            if partial and (out_dir / marker).is_file():
                _merge_with_previous(out_dir, spool)
            if not spool.placed and _already_written(out_dir, spool.hashes, marker):
                _remove(new)
                return
        _swap(state, out_dir, new, old, marker)


@contextlib.contextmanager
def locked_output(state: State, out_dir: Path, *, lock_timeout: float = 60.0,
                  waiting: Callable[[str], None] | None = None, marker: str = MANIFEST,
                  recovered: Callable[[str | None], None] | None = None) -> Iterator[None]:
    """Hold the lock, having first put right what a killed compile left and checked again that
    `out_dir` is strata's to write."""
    with state.locked(lock_timeout, waiting):
        done = recover(state, out_dir)
        if recovered:
            recovered(done)              # what a killed compile left half done, for the user
        why = refusal(out_dir, marker)   # again, now that no other strata can be writing it
        if why:
            raise StrataError(why)
        yield


@dataclass
class Patch:
    """What a delta compile changes in out/: the files written into `spool` replace theirs (unless
    `previous`, out/'s files by sha256 as manifest.json lists them, says they are the same), the
    `deleted` files go."""

    spool: Spool
    previous: Mapping[str, str] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)


@contextlib.contextmanager
def patched_output(state: State, out_dir: Path) -> Iterator[Patch]:
    """Inside `locked_output`: an empty staging folder for the files that change, then the
    journaled patch of out/ (`_patch`). Whatever the block raises leaves `out_dir` as it was."""
    new, _old = temporary_folders(out_dir)
    with _cleaned(new, out_dir):
        os.mkdir(new)
    patch = Patch(Spool(new))
    with _cleaned(new, out_dir, ours=False):
        yield patch
    with _cleaned(new, out_dir):
        written = _changed_files(patch)
    _patch(state, out_dir, written, sorted(patch.deleted))


def _changed_files(patch: Patch) -> list[str]:
    """The staged files whose bytes out/ does not already hold, manifest.json last; the others are
    dropped from the staging folder."""
    changed = []
    for rel, digest in sorted(patch.spool.hashes.items()):
        if patch.previous.get(rel) == digest and rel != MANIFEST:
            os.unlink(patch.spool.folder / rel)
        elif rel != MANIFEST:
            changed.append(rel)
    return changed + ([MANIFEST] if MANIFEST in patch.spool.hashes else [])


def _patch(state: State, out_dir: Path, written: list[str], deleted: list[str]) -> None:
    new, old = temporary_folders(out_dir)
    try:
        state.write_journal({"out": str(out_dir), "new": str(new), "old": str(old), "marker": MANIFEST,
                             "patch": {"write": written, "delete": deleted}})
        _roll_forward(out_dir, new, written, deleted)
    except OSError as exc:
        raise HalfSwapped(f"cannot update {out_dir}: {exc.strerror or exc}; the next compile finishes the update "
                          f"(recorded in {state.journal}) from {new}") from None
    with contextlib.suppress(OSError):   # out/ is the new output; the next compile clears what is left
        state.clear_journal()
        _remove(new)


def _roll_forward(out_dir: Path, new: Path, written: Sequence[str], deleted: Sequence[str]) -> None:
    """Move each staged file still in `new` over its place in out/, remove the deleted files (and
    the folders they leave empty), manifest.json last. Done again after a kill, it does what is left."""
    for rel in [r for r in written if r != MANIFEST]:
        _move_staged(new, out_dir, rel)
    for rel in deleted:
        _delete_output(out_dir, rel)
    if MANIFEST in written:
        _move_staged(new, out_dir, MANIFEST)


def _move_staged(new: Path, out_dir: Path, rel: str) -> None:
    source = new / rel
    if not source.is_file():
        return   # moved before the kill
    (out_dir / rel).parent.mkdir(parents=True, exist_ok=True)
    _rename(source, out_dir / rel)


def _delete_output(out_dir: Path, rel: str) -> None:
    (out_dir / rel).unlink(missing_ok=True)
    folder = (out_dir / rel).parent
    while folder != out_dir and folder.is_relative_to(out_dir):
        try:
            folder.rmdir()
        except OSError:
            return   # not empty (or gone): the folders above are not empty either
        folder = folder.parent


@contextlib.contextmanager
def _cleaned(new: Path, out_dir: Path, ours: bool = True) -> Iterator[None]:
    """Whatever fails or interrupts here removes the staging folder (out/ is untouched so far);
    an OSError of this module's own steps (`ours`) is reported as one."""
    try:
        yield
    except OSError as exc:
        _remove_quietly(new)
        if not ours:
            raise
        raise StrataError(f"cannot write {out_dir}: {exc.strerror or exc}") from None
    except BaseException:
        _remove_quietly(new)
        raise


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
    if "patch" in journal:
        return _finish_patch(state, journal, out, new)
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


def _finish_patch(state: State, journal: dict, out: Path, new: Path) -> str:
    written, deleted = _patch_lists(state, journal.get("patch"))
    try:
        _roll_forward(out, new, written, deleted)
        state.clear_journal()
        _remove(new)
    except OSError as exc:
        raise StrataError(f"cannot finish the interrupted update of {out} ({exc.strerror or exc}) recorded in "
                          f"{state.journal}: its remaining new files are in {new}") from None
    return f"finished updating {out} (a compile was interrupted while writing it)"


def _patch_lists(state: State, patch: object) -> tuple[list[str], list[str]]:
    """The journal's files to move and delete, if each is a plain path inside the output folder."""
    lists = [patch.get(key) if isinstance(patch, dict) else None for key in ("write", "delete")]
    if all(isinstance(found, list) and all(_inside(rel) for rel in found) for found in lists):
        return lists[0], lists[1]   # type: ignore[return-value]
    raise StrataError(f"{state.journal} does not describe an update of strata's own output (a path outside it); "
                      "strata will not act on it: check the output folder, then delete the file")


def _inside(rel: object) -> bool:
    return isinstance(rel, str) and bool(rel) and not os.path.isabs(rel) and ".." not in rel.split("/")


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


def _already_written(out_dir: Path, hashes: dict[str, str], marker: str) -> bool:
    """out/ already holds exactly these files (a no-change recompile): nothing to swap. Compared
    by sha256, the staged files' known from writing them, out/'s read one at a time."""
    if hashes.get(marker) is None or not (out_dir / marker).is_file():
        return False
    if file_sha256(out_dir / marker) != hashes[marker]:
        return False
    present = {p.relative_to(out_dir).as_posix() for p in out_dir.rglob("*") if p.is_file()}
    if present != set(hashes):
        return False
    return all(file_sha256(out_dir / rel) == digest for rel, digest in hashes.items())


def _merge_with_previous(out_dir: Path, spool: Spool) -> None:
    """Keep the previous targets outside this compile's selection: their files (copied from out/
    as they are) and manifest entries; manifest.json is rewritten."""
    new = json.loads(spool.read(MANIFEST))
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
    for entry in kept_targets + kept_projects + kept_platforms:
        for rel in entry["outputs"]:
            if (out_dir / rel).is_file():
                spool.write(rel, (out_dir / rel).read_bytes())
    new["targets"] = sorted(new["targets"] + kept_targets, key=lambda e: e["folder"])
    new["projects"] = sorted(new["projects"] + kept_projects, key=lambda e: e["folder"])
    new["platforms"] = sorted(new.get("platforms", []) + kept_platforms, key=lambda e: e["folder"])
    new["selection"] = {"envs": [], "projects": []}
    new["capacity"] = merged_blocks(old.get("capacity", {}), new.get("capacity", {}), new["targets"])
    spool.write(MANIFEST, manifest_bytes(new))
