"""The no-change snapshot: when nothing a compile read has changed, its output is still right.

After a successful `strata compile`, `.strata/snapshot.bin` records the metadata (type, size,
mtime, inode, ctime; a symlink's target) of every entry of the repository (but `.git`,
`.strata` and the output folder) and of strata's own code and built-in charts; the command's
selection and output folder; the Python and the packages installed beside strata; the
identity of the manifest.json it wrote; and what it printed (the summary's counts, the
warnings). The next compile with the same command compares them first, with nothing but `os`
imported: when every entry matches, out/ is still exactly what that compile would write, so
it prints the same summary and warnings and stops (tens of milliseconds instead of loading,
merging and checking every spec). The trees that comparison scans (`look`) are the ones the
delta compile compares (compiler.incremental.delta) and the next snapshot records: one scan per
compile, taken before its clock, whose start is then moved back to before the scan.

Why metadata is enough: every change to a file's content sets its ctime to the current time
(even an edit that restores size and mtime with `touch -d`), and nobody can set a ctime
back. A file's stamp is trusted only when it was last changed at least
a tick before the compile started (git's "racy clean" rule: a file changed in the same
timestamp tick as the compile read it could change again without a visible difference), so
a later change always shows as a later ctime; a file changed closer to the start is recorded
as changed (RACY), so the next compile reads it again. The start is the stamp of a file the
compile writes into `.strata/` before it reads anything (`Clock`): the clock that stamps the
repository's files (a network file system's server, too), as git compares with its index
file's. On that file system, when it stamps finer than whole seconds, the tick is
`FINE_TICK_NS` (a compile just after an edit, or a save hook, then leaves a snapshot the next
compile can use); elsewhere (strata's own files, another mount, a `.strata/` that cannot be
written) it is the generous `TICK_NS` by this machine's clock. A new, deleted or renamed file shows in its
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
import time
from dataclasses import dataclass
from pathlib import Path

from compiler.incremental.sealed import read_sealed, write_sealed

FILE = "snapshot.bin"
KIND = "no-change-snapshot"
TICK_NS = 2_000_000_000    # generous: FAT's mtime tick is 2 s, network filesystems have clock skew
FINE_TICK_NS = 100_000_000  # Linux stamps files from its coarse clock: a tick of at most 10 ms, ten times over
CLOCK = "clock"            # the file in .strata/ whose stamp is the compile's start (`start_clock`)
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


@dataclass(frozen=True)
class Look:
    """What a compile saw before it started its clock: whether nothing has changed, and the trees it
    scanned to tell, which the delta compile and the next snapshot reuse rather than scanning again
    (a scan of a 1,000-file repository is ~15 ms; a compile made three)."""

    since_ns: int                # this machine's clock just before the scans
    previous: Previous | None    # the previous compile's result, when nothing it read has changed
    tool: Tree
    repo: Tree | None            # scanned without the output folder `out`; None when no snapshot named one
    out: str | None

    def repo_tree(self, repo: str, out: str) -> Tree:
        """The repository's tree for output folder `out`: the one seen, when it was scanned for that folder."""
        return self.repo if self.repo is not None and self.out == out else repo_tree(repo, out)


def look(request: Request, state_dir: str) -> Look:
    """Read the snapshot and scan what it recorded: `previous` is the previous compile's result when
    nothing it read has changed since, else None."""
    since = time.time_ns()
    found = None if os.path.islink(state_dir) else read_sealed(os.path.join(state_dir, FILE), KIND)
    tool = tool_tree()
    out = found.get("out") if isinstance(found, dict) else None
    repo = repo_tree(request.repo, out) if isinstance(out, str) else None
    try:
        previous = _compare(request, state_dir, found, tool, repo)
    except (TypeError, ValueError, KeyError, IndexError):   # a payload of another shape: not ours
        previous = None
    return Look(since, previous, tool, repo, out if isinstance(out, str) else None)


def _compare(request: Request, state_dir: str, found: object, tool: Tree, repo: Tree | None) -> Previous | None:
    if not isinstance(found, dict) or found["key"] != request.key():
        return None
    out = found["out"]
    if os.path.lexists(os.path.join(state_dir, "swap.json")) or output_identity(out) != found["output"]:
        return None
    if tool != found["tool"] or repo != found["repo"]:
        return None
    return Previous(out, tuple(found["warnings"]), found["deployed"], found["files"])


@dataclass(frozen=True)
class Clock:
    """When a compile started: by this machine's clock, and by the stamp a file written into
    `.strata/` then got from its file system (None when there was no `.strata/` to write in)."""

    local_ns: int
    file_ns: int | None = None
    device: int | None = None    # that file's file system: only its files are judged by its stamp
    fine: bool = False           # it stamps finer than whole seconds (FAT, ext3 and HFS+ do not)

    def moved_back_to(self, local_ns: int) -> Clock:
        """The start as if the clock had been started at `local_ns` by this machine's clock (earlier):
        the file system's stamp moved back by as much, which only makes more files racy."""
        early = max(0, self.local_ns - local_ns)
        return Clock(min(local_ns, self.local_ns), None if self.file_ns is None else self.file_ns - early,
                     self.device, self.fine)


def start_clock(state_dir: str) -> Clock:
    """The compile's start, taken before it reads any input (the caller makes `.strata/`)."""
    local = time.time_ns()
    if os.path.islink(state_dir) or not os.path.isdir(state_dir):
        return Clock(local)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        handle = os.open(os.path.join(state_dir, CLOCK), flags, 0o644)
        try:
            os.write(handle, b"\n")   # a write sets the file's mtime and ctime to its file system's now
            info = os.fstat(handle)
        finally:
            os.close(handle)
    except OSError:
        return Clock(local)
    return Clock(local, max(info.st_mtime_ns, info.st_ctime_ns), info.st_dev, info.st_mtime_ns % 10**9 != 0)


def record(request: Request, state_dir: str, started: Clock, previous: Previous, seen: Look | None = None) -> bool:
    """Write the snapshot of a compile that started at `started` and has just written its output.
    A file changed too close to that start to be told apart from a later change is recorded as
    `RACY`, a stamp no file has: it reads as changed next time (the delta compile of
    compiler.incremental.delta builds its project again). With `seen` (the compile's `look`), its
    trees are recorded, taken before the clock, so the start is moved back to `seen.since_ns`; the
    folders the compile itself changed (the output's parent, `.strata/`'s) are stamped again.
    True if written."""
    path = os.path.join(state_dir, FILE)
    if seen is None:
        tool, repo = tool_tree(), repo_tree(request.repo, previous.out)
    else:
        started = started.moved_back_to(seen.since_ns)
        changed = {os.path.dirname(previous.out), os.path.dirname(os.path.abspath(state_dir))}
        tool, repo = seen.tool, _stamped_again(seen.repo_tree(request.repo, previous.out), changed)
    tool, repo = _settled(tool, started), _settled(repo, started)
    try:
        write_sealed(path, KIND, {
            "key": request.key(), "out": previous.out, "output": output_identity(previous.out),
            "tool": tool, "repo": repo, "warnings": list(previous.warnings),
            "deployed": previous.deployed, "files": previous.files,
        })
    except OSError:
        return False   # a cache: without it the next compile is only slower
    return True


def _stamped_again(found: Tree, folders: set[str]) -> Tree:
    """`found` with the stamps of those of `folders` it holds taken now. A folder's own stamp vouches
    for nothing (what is added to or removed from it is an entry of its own): only a next compile's
    comparison of trees must not see the compile's own changes to it."""
    return {**found, **{folder: _stamp(folder) for folder in folders if folder in found}}


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


def _settled(found: Tree, started: Clock) -> Tree:
    """The tree with the stamp of each file (or link) changed within a tick of the compile's start,
    which cannot vouch for it, replaced by its type and RACY."""
    coarse = started.local_ns - TICK_NS
    near = coarse if started.file_ns is None else started.file_ns - (FINE_TICK_NS if started.fine else TICK_NS)

    def racy(stamp: tuple) -> bool:
        limit = near if stamp[5] == started.device else coarse
        return not stat.S_ISDIR(stamp[0]) and max(stamp[2], stamp[3]) >= limit

    return {path: (stamp[0], RACY) if stamp and racy(stamp) else stamp for path, stamp in found.items()}
