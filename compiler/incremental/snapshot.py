"""The no-change snapshot: when nothing a compile read has changed, its output is still right.

After a successful `strata compile`, `.strata/snapshot.bin` records the metadata (type, size,
mtime, inode, ctime; a symlink's target) of every entry of the repository (but `.git`,
`.strata` and the output folder) and of strata's own code and built-in charts; the command's
selection and output folder; the Python and the packages installed beside strata; the
identity of the manifest.json it wrote; and what it printed (the summary's counts, the
warnings). The next compile with the same command compares them first, with nothing but `os`
imported: when every entry matches, out/ is still exactly what that compile would write, so
it prints the same summary and warnings and stops (tens of milliseconds instead of loading,
merging and checking every spec).

Why metadata is enough: every change to a file's content sets its ctime to the current time
(even an edit that restores size and mtime with `touch -d`), and nobody can set a ctime
back. A file's stamp is trusted only when it was last changed at least
`TICK_NS` before the compile started (git's "racy clean" rule: a file changed in the same
timestamp tick as the compile read it could change again without a visible difference), so
a later change always shows as a later ctime; a file changed closer to the start is recorded
as changed (RACY), so the next compile reads it again. A new, deleted or renamed file shows in its
folder's listing. Anything that does not match, a missing or damaged snapshot, a swap left
half done: the compile runs the slow way, which is always correct. Files under out/ are not
checked one by one (that costs more than the rest together); the manifest's identity says
out/ is the folder this strata wrote (a copy or a checkout is a new inode), and
`compile --no-cache` renders everything again.
"""
from __future__ import annotations

import contextlib
import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

from compiler.incremental.sealed import read_sealed, write_sealed

FILE = "snapshot.bin"
KIND = "no-change-snapshot"
TICK_NS = 2_000_000_000    # generous: FAT's mtime tick is 2 s, network filesystems have clock skew
RACY = "racy"              # in place of a stamp that cannot vouch for its file (`_settled`)
MANIFEST = "manifest.json"
SKIPPED = (".git", ".strata")
TOOL_ROOT = Path(__file__).resolve().parent.parent.parent
TOOL_PACKAGES = ("compiler", "schemas")

Tree = dict[str, tuple]


@dataclass(frozen=True)
class Request:
    """What a compile was asked for: the same request over the same files gives the same output."""

    repo: str                    # resolved repository root
    out: str | None              # --out, resolved (None: strata.yaml's `output`, a file in the snapshot)
    options: tuple = ()          # every other option of the command as given (--env, --project, ...)

    def key(self) -> tuple:
        return (self.repo, self.out, self.options, sys.version, sys.prefix, installed())


@dataclass(frozen=True)
class Previous:
    """What the compile a snapshot describes printed and wrote."""

    out: str                     # resolved output folder
    warnings: tuple[str, ...]    # rendered, in order
    deployed: int
    files: int


def unchanged(request: Request, state_dir: str) -> Previous | None:
    """The previous compile's result when nothing it read has changed since, else None."""
    if os.path.islink(state_dir):
        return None
    found = read_sealed(os.path.join(state_dir, FILE), KIND)
    try:
        return _compare(request, state_dir, found)
    except (TypeError, ValueError, KeyError, IndexError):   # a payload of another shape: not ours
        return None


def _compare(request: Request, state_dir: str, found: object) -> Previous | None:
    if not isinstance(found, dict) or found["key"] != request.key():
        return None
    out = found["out"]
    if os.path.lexists(os.path.join(state_dir, "swap.json")) or output_identity(out) != found["output"]:
        return None
    if tool_tree() != found["tool"] or repo_tree(request.repo, out) != found["repo"]:
        return None
    return Previous(out, tuple(found["warnings"]), found["deployed"], found["files"])


def record(request: Request, state_dir: str, started_ns: int, previous: Previous) -> bool:
    """Write the snapshot of a compile that started at `started_ns` (time.time_ns()) and has just
    written its output. A file changed too close to that start to be told apart from a later
    change is recorded as `RACY`, a stamp no file has: it reads as changed next time (the delta
    compile of compiler.incremental.delta builds its project again). True if written."""
    path = os.path.join(state_dir, FILE)
    tool, repo = _settled(tool_tree(), started_ns), _settled(repo_tree(request.repo, previous.out), started_ns)
    try:
        write_sealed(path, KIND, {
            "key": request.key(), "out": previous.out, "output": output_identity(previous.out),
            "tool": tool, "repo": repo, "warnings": list(previous.warnings),
            "deployed": previous.deployed, "files": previous.files,
        })
    except OSError:
        return False   # a cache: without it the next compile is only slower
    return True


def forget(state_dir: str) -> None:
    """Remove the snapshot. One that cannot be removed is harmless: it names the manifest.json it
    was taken with, and a compile that writes out/ replaces that file."""
    with contextlib.suppress(OSError):
        os.unlink(os.path.join(state_dir, FILE))


def output_identity(out: str) -> tuple:
    """The output folder and its manifest.json as files (which inode, changed when), and whether
    a swap left its temporary folders beside it (then the slow path must clean up)."""
    parent, name = os.path.split(out)
    temporary = tuple(os.path.lexists(os.path.join(parent, f".{name}.strata-{end}")) for end in ("new", "old"))
    return (_stamp(out), _stamp(os.path.join(out, MANIFEST)), temporary)


def installed() -> tuple:
    """The packages strata runs with (PyYAML, pydantic, Helm...): an upgrade renames their
    `*.dist-info` folders, so the listing of every site-packages folder tells one apart."""
    found = []
    for folder in sys.path:
        if os.path.basename(folder) in ("site-packages", "dist-packages") and os.path.isdir(folder):
            found.append((folder, tuple(sorted(os.listdir(folder)))))
    return tuple(found)


def tool_tree() -> Tree:
    """strata's own files: its code, schemas and built-in charts (a change to any is a new strata)."""
    found: Tree = {}
    for package in TOOL_PACKAGES:
        found.update(tree(str(TOOL_ROOT / package), skip=lambda path: path.endswith("__pycache__")))
    return found


def repo_tree(repo: str, out: str) -> Tree:
    """The repository's entries but .git, .strata, the output folder and its temporary folders
    beside it (`output_identity` tells whether those exist; their names are
    compiler.output.write.temporary_folders', not imported: the snapshot starts light)."""
    parent, name = os.path.split(out)
    temporary = {os.path.join(parent, f".{name}.strata-{end}") for end in ("new", "old")}
    skipped = {os.path.join(repo, name) for name in SKIPPED} | {out} | temporary
    return tree(repo, skip=skipped.__contains__)


def tree(top: str, skip) -> Tree:
    """Every entry under `top` (symlinks not followed: a link records where it points) → its stamp."""
    found: Tree = {top: _stamp(top)}
    folders = [top]
    while folders:
        folder = folders.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue   # unreadable: its stamp is recorded, and the slow path will say what is wrong
        for entry in entries:
            if skip(entry.path):
                continue
            found[entry.path] = _stamp(entry.path)
            if entry.is_dir(follow_symlinks=False):
                folders.append(entry.path)
    return found


def _stamp(path: str) -> tuple:
    try:
        info = os.lstat(path)
    except OSError:
        return ()
    stamp: tuple = (info.st_mode, info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev)
    if stat.S_ISLNK(info.st_mode):
        try:
            stamp += (os.readlink(path),)
        except OSError:
            stamp += (None,)
    return stamp


def _settled(found: Tree, started_ns: int) -> Tree:
    """The tree with the stamp of each file (or link) changed within a tick of the compile's start,
    which cannot vouch for it, replaced by its type and RACY."""
    limit = started_ns - TICK_NS
    return {path: (stamp[0], RACY) if stamp and not stat.S_ISDIR(stamp[0]) and max(stamp[2], stamp[3]) >= limit
            else stamp for path, stamp in found.items()}
