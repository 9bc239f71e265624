"""The config repository's git state and the committer's identity, read by the command (git) and
passed into the run as values."""
from __future__ import annotations

from pathlib import Path

from compiler.errors import StrataError
from compiler.plan.gitbase import git
from compiler.run.model import Source


def read_source(repo: Path) -> Source:
    """HEAD's sha and whether the working tree (under `repo`) has uncommitted changes."""
    try:
        git(repo, "rev-parse", "--is-inside-work-tree")
    except StrataError:
        return Source("", True)
    try:
        commit = git(repo, "rev-parse", "--verify", "--quiet", "HEAD").decode().strip()
    except StrataError:
        commit = ""
    dirty = bool(git(repo, "status", "--porcelain", "--untracked-files=normal", "--", ".").strip())
    return Source(commit, dirty or not commit)


def git_user(repo: Path) -> str:
    """`git config user.email` (else user.name) of the repository, "" when neither is set."""
    for key in ("user.email", "user.name"):
        try:
            found = git(repo, "config", "--get", key).decode().strip()
        except StrataError:
            continue
        if found:
            return found
    return ""
