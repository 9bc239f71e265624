"""Read the base revision from git without touching the working tree or the index."""
from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from compiler.errors import StrataError

WORKING_TREE = "working tree"


def git(repo: Path, *args: str) -> bytes:
    """Run git in `repo`; a failure is a user error naming the command, never a traceback."""
    return finished(started(repo, *args), args)


def started(repo: Path, *args: str) -> subprocess.Popen:
    """git started in `repo`, for `finished` to wait for (so that two can run at once)."""
    try:
        return subprocess.Popen(["git", *args], cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except FileNotFoundError:
        raise StrataError("strata plan needs git on PATH") from None


def finished(process: subprocess.Popen, args: tuple[str, ...]) -> bytes:
    """The output of a git `started` with `args`; a failure is a user error naming the command."""
    try:
        out, err = process.communicate()
    except BaseException:   # Ctrl-C: as subprocess.run, the git dies with the command
        process.kill()
        process.wait()
        raise
    if process.returncode != 0:
        message = err.decode(errors="replace").strip().splitlines()
        raise StrataError(f"git {' '.join(args)}: {message[-1] if message else 'failed'}")
    return out


@dataclass(frozen=True)
class Worktree:
    """Where the config repo sits in its git working tree."""

    repo: Path
    top: Path      # the git top-level folder
    prefix: str    # the repo folder's path inside it ("" or "config/")


def worktree(repo: Path) -> Worktree:
    """The repo's place in its git working tree, or a clear error when it is in none."""
    try:
        top, prefix = (git(repo, "rev-parse", "--show-toplevel", "--show-prefix").decode().split("\n") + [""])[:2]
    except StrataError:
        raise StrataError(f"{repo} is not in a git working tree: strata plan compares git revisions") from None
    return Worktree(repo, Path(top), prefix)


def resolve(repo: Path, ref: str) -> str:
    """The commit sha `ref` names, or a clear error when it names none."""
    try:
        return git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}").decode().strip()
    except StrataError:
        raise StrataError(f"--base {ref}: not a commit in the git repository at {repo}") from None


def locate(repo: Path, ref: str) -> tuple[Worktree, str]:
    """`worktree(repo)` and `resolve(repo, ref)` from one `git rev-parse`; where it fails, those
    two run alone, in that order, for the error that says what is wrong."""
    try:
        out = git(repo, "rev-parse", "--show-toplevel", "--show-prefix", "--verify", "--quiet", "--end-of-options",
                  f"{ref}^{{commit}}")
    except StrataError:
        return worktree(repo), resolve(repo, ref)
    top, prefix, sha = out.decode().split("\n")[:3]
    return Worktree(repo, Path(top), prefix), sha.strip()


@dataclass(frozen=True)
class Status:
    """The working tree against HEAD, from one `git status`."""

    clean: bool                  # nothing modified, staged or untracked (ignored files aside)
    untracked: frozenset[str]    # repo-relative untracked files that are not ignored (but in folders
                                 # that cannot hold inputs: see `status`)
    head: str | None = None      # HEAD's commit sha, None before the first commit

    @property
    def revision(self) -> str:
        """HEAD's sha when the working tree matches it, else "working tree" (`head`'s answer)."""
        return self.head if self.clean and self.head else WORKING_TREE


def status(tree: Worktree, may_hold_inputs: Callable[[str], bool] = lambda folder: True) -> Status:
    """One `git status` of the repo folder: whether it is clean, its untracked files, and HEAD.

    Untracked folders are listed whole only where `may_hold_inputs` (a repo-relative folder):
    an untracked out/ of thousands of files is seen as one entry, not walked (~0.1 s of a plan).
    """
    oid, changes = _porcelain(tree.repo)
    # Porcelain paths are relative to the top-level folder, whatever the current one.
    untracked = [e[2:] for e in changes if e.startswith("? ") and e[2:].startswith(tree.prefix)]
    folders = [p for p in untracked if p.endswith("/") and may_hold_inputs(p[len(tree.prefix):-1])]
    files = [p for p in untracked if not p.endswith("/")] + _untracked_in(tree.top, folders)
    return Status(not changes, frozenset(p[len(tree.prefix):] for p in files), oid)


def _porcelain(repo: Path) -> tuple[str | None, list[str]]:
    """HEAD's sha (None before the first commit) and the changed or untracked entries of the repo
    folder, from `git status --porcelain=v2 --branch`."""
    out = git(repo, "status", "--porcelain=v2", "--branch", "-z", "--untracked-files=normal", "--no-renames", "--", ".")
    entries = [e.decode() for e in out.split(b"\0") if e]
    oid = next((e.split(" ")[2] for e in entries if e.startswith("# branch.oid ")), "(initial)")
    return (None if oid == "(initial)" else oid), [e for e in entries if not e.startswith("# ")]


def _untracked_in(top: Path, folders: list[str]) -> list[str]:
    """The untracked files (not ignored) inside untracked `folders` (relative to `top`, as theirs)."""
    if not folders:
        return []
    out = git(top, "ls-files", "-z", "--others", "--exclude-standard", "--", *(f":(literal){f}" for f in folders))
    return [p for p in out.decode().split("\0") if p]


def head(repo: Path) -> str:
    """HEAD's sha when the working tree matches it, else "working tree"."""
    oid, changes = _porcelain(repo)
    return Status(not changes, frozenset(), oid).revision


def changed_files(tree: Worktree, sha: str, may_hold_inputs: Callable[[str], bool] = lambda folder: True
                  ) -> tuple[Status, frozenset[str]]:
    """The working tree's `status`, and the repo-relative paths that differ between `sha` and the
    working tree, its untracked files included (the two git commands run at once).

    Renames count as a deletion plus an addition so both names are seen.
    """
    args = ("diff", "--name-only", "-z", "--no-renames", "--relative", sha, "--")
    diff = started(tree.repo, *args)
    try:
        found = status(tree, may_hold_inputs)
    except BaseException:   # status's error is the one to report
        diff.kill()
        diff.communicate()
        raise
    diffed = finished(diff, args)
    return found, frozenset(p for p in diffed.decode().split("\0") if p) | found.untracked


@contextmanager
def checkout(tree: Worktree, sha: str, projects: Iterable[str] | None = None) -> Iterator[Path]:
    """The repo folder as it is at `sha`, extracted into a temporary directory removed afterwards.

    With `projects`, `projects/` holds only those folders: a change confined to a few
    projects need not extract (and later discover) thousands of unrelated files.
    """
    paths = _paths(tree.top, sha, tree.prefix, projects) if projects is not None else []
    archive = git(tree.top, "archive", "--format=tar", f"{sha}:{tree.prefix}", "--", *paths)
    with tempfile.TemporaryDirectory(prefix="strata-plan-") as tmp:
        root = Path(tmp) / "base"
        root.mkdir()
        _extract(archive, root)
        yield root


def project_folders(tree: Worktree, sha: str) -> frozenset[str]:
    """The folder names under `projects/` at `sha` (empty when there is no such folder)."""
    return _top_level(tree.top, f"{sha}:{tree.prefix}")[1]


def _paths(top: Path, sha: str, prefix: str, projects: Iterable[str]) -> list[str]:
    """Every top-level entry but `projects`, plus the wanted project folders that exist at `sha`."""
    entries, existing = _top_level(top, f"{sha}:{prefix}")
    return [e for e in entries if e != "projects"] + [f"projects/{p}" for p in sorted(set(projects) & existing)]


def _top_level(top: Path, tree: str) -> tuple[list[str], frozenset[str]]:
    """The names in a tree (`<sha>:<path>`) and the names in its `projects` folder, from one
    `git ls-tree` (`projects/` lists that folder's entries in place of its own)."""
    listed = [e for e in git(top, "ls-tree", "--name-only", "-z", tree, "--", ".", "projects/").decode().split("\0") if e]
    inside = frozenset(e.split("/", 1)[1] for e in listed if e.startswith("projects/"))
    entries = [e for e in listed if not e.startswith("projects/")]
    return entries + (["projects"] if inside and "projects" not in entries else []), inside


def _extract(archive: bytes, root: Path) -> None:
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        if hasattr(tarfile, "data_filter"):   # refuses special files and writes through links
            tar.extractall(root, filter=_keep_links)
        else:                                 # pragma: no cover - Python without PEP 706
            tar.extractall(root)


def _keep_links(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo | None:
    """The `data` filter, except that a symlink pointing outside the tree is extracted as it is.

    The base must look like the commit: a link to /etc that no spec uses must not stop the
    plan, and one a spec or chart uses is refused by the loader with a located error, as in
    the working tree. Writing *through* such a link stays impossible: the `data` filter
    checks every regular file's real destination (and a git tree cannot hold `a -> /x` and
    `a/f` together anyway).
    """
    try:
        return tarfile.data_filter(member, dest)
    except tarfile.FilterError:
        if member.issym():
            return member
        raise
