"""`strata publish`: an environment's rendered output as one commit on its branch (docs/delivery.md).

1. Refuse (exit 3, nothing written) a source tree with uncommitted changes (unless
   --allow-dirty), an out/ that is not the compile of this tree (a target's digest differs),
   and a branch that is checked out here.
   out/ is read under `.strata/lock` (compiler.output.state), the lock a compile holds while it
   swaps out/: no compile replaces it between its check and its last byte read. Publish never
   writes out/ or `.strata/` (but the lock): an interrupted swap is refused, `compile` finishes it.
2. Write the tree with git plumbing — blobs, a temporary index, `write-tree`: no checkout, and
   the whole tree is replaced, so an object removed from the config disappears from the branch.
   A root `strata.metadata.json` says which source commit, repository and strata produced it.
3. No commit when the files (the metadata aside) equal the branch's: a new source commit that
   renders the same output changes nothing an engine would sync.
4. `commit-tree` with trailers that trace the source commit (strata's, and the
   `Argocd-reference-commit-*` ones Argo CD's UI reads), then either move the local branch
   (compare-and-swap) or, with --push, push with --force-with-lease against the remote tip the
   commit was built on; when the remote moved meanwhile, fetch, rebuild on the new tip, retry.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from compiler import __version__
from compiler.delivery.settings import default_branch
from compiler.errors import GuardError, Problem, StrataError
from compiler.output.state import State
from compiler.publish.git import Git
from compiler.publish.tree import METADATA, EnvOutput, content_of, env_output, write_blobs, write_tree
from compiler.targets import Env

ATTEMPTS = 3
ZERO = "0" * 40
FALLBACK_IDENTITY = {"GIT_AUTHOR_NAME": "strata publish", "GIT_AUTHOR_EMAIL": "strata@localhost",
                     "GIT_COMMITTER_NAME": "strata publish", "GIT_COMMITTER_EMAIL": "strata@localhost"}


@dataclass(frozen=True)
class Request:
    env: str
    branch: str | None        # None: the environment's delivery.branch, else env/<env>
    out_dir: Path
    remote: str = "origin"
    push: bool = False
    allow_dirty: bool = False
    staging: bool = False     # write <branch>-next: promotion to the branch the engine reads is a reviewed merge
    lock_timeout: float = 60.0   # seconds to wait for a compile writing out/ (strata.yaml lockTimeoutSeconds)


@dataclass(frozen=True)
class Source:
    commit: str
    repo: str                 # the config repository's origin URL, "" when it has none
    dirty: bool
    author: str = ""
    subject: str = ""
    date: str = ""


@dataclass(frozen=True)
class Published:
    env: str
    branch: str
    commit: str               # the branch tip after publishing
    parent: str | None        # the tip it was built on
    changed: bool             # False: the branch already held this output, nothing was committed
    files: int
    pushed: bool
    attempts: int = 1


def publish(repo: Path, git: Git, request: Request, waiting: Callable[[str], None] | None = None) -> Published:
    """Publish `request.env`; raises GuardError for refusals, StrataError for failures.
    `waiting` is told who holds `.strata/lock` when publish has to wait for it."""
    state = State(repo)
    with state.locked(request.lock_timeout, waiting):
        check_no_swap(state, request.out_dir)
        branch = branch_of(check_fresh(repo, request), request)
        if git.run("check-ref-format", "--branch", branch, check=False).code != 0:
            raise StrataError(f"--branch {branch}: not a valid branch name")
        request = replace(request, branch=branch)
        source = read_source(git, request, branch)
        output = env_output(request.out_dir, request.env)
        blobs = write_blobs(git, request.out_dir, output)   # out/ is read for the last time here
    metadata = metadata_bytes(source, request, branch, output)
    if request.push:
        return _push(git, request, branch, source, output, blobs, metadata)
    parent = git.sha(f"refs/heads/{branch}")
    commit = _commit(git, request, branch, source, output, blobs, metadata, parent)
    if commit is None:
        return Published(request.env, branch, parent or "", parent, False, len(output.files), False)
    git.run("update-ref", f"refs/heads/{branch}", commit, parent or ZERO)
    return Published(request.env, branch, commit, parent, True, len(output.files), False)


# --- refusals ---------------------------------------------------------------------------------------

def read_source(git: Git, request: Request, branch: str) -> Source:
    if git.run("rev-parse", "--is-inside-work-tree", check=False).code != 0:
        raise StrataError(f"{git.root} is not in a git working tree: strata publish traces a source commit")
    problems = []
    head = git.sha("HEAD")
    if head is None:
        raise StrataError("the config repository has no commit yet: commit it, then publish")
    checked_out = git.run("symbolic-ref", "-q", "HEAD", check=False).stdout.strip()
    if checked_out == f"refs/heads/{branch}":
        problems.append(Problem(f"{branch} is the branch checked out in {git.root}; publishing replaces "
                                "its whole tree, so it must not be the branch you work on"))
    dirty = bool(_changes(git, request))
    if dirty and not request.allow_dirty:
        listed = ", ".join(_changes(git, request)[:5])
        problems.append(Problem(f"the config repository has uncommitted changes ({listed}): the published output "
                                "would not match its source commit; commit them, or pass --allow-dirty"))
    if problems:
        raise GuardError(problems)
    log = git.out("log", "-1", "--format=%an <%ae>%x00%s%x00%aI", head).split("\0")
    url = git.run("config", "--get", "remote.origin.url", check=False).stdout.strip()
    return Source(head, url, dirty, *(log + ["", "", ""])[:3])


def _changes(git: Git, request: Request) -> list[str]:
    excluded = [f":(exclude){p}" for p in _inside(git.root, request.out_dir)] + [":(exclude).strata"]
    listing = git.out("status", "--porcelain", "--untracked-files=normal", "--", ".", *excluded)
    return [line[3:] for line in listing.splitlines() if line.strip()]


def _inside(root: Path, path: Path) -> list[str]:
    try:
        return [path.resolve().relative_to(root.resolve()).as_posix()]
    except ValueError:
        return []


def check_no_swap(state: State, out_dir: Path) -> None:
    """A compile killed while swapping out/ left it old, new or absent: `compile` finishes it."""
    if state.read_journal() is not None:
        raise StrataError(f"a strata compile was interrupted while replacing its output ({state.journal} records "
                          f"it); run strata compile, which finishes it, then publish {out_dir}")


def branch_of(env: Env, request: Request) -> str:
    branch = request.branch or env.settings.delivery.branch or default_branch(env.name)
    return branch + ("-next" if request.staging else "")


def check_fresh(repo: Path, request: Request) -> Env:
    """out/ must be the compile of this tree: every target's digest (and the delivery target's)
    as a compile of it would record them now. Returns the environment."""
    from compiler.merge.targets_of import Selection
    from compiler.pipeline import digest_stage, load_stage

    build = digest_stage(load_stage(repo, Selection((request.env,))))
    expected = {t.identity: build.digests[key] for key, node in build.graph.nodes.items()
                if (t := node.target).env.name == request.env and key in build.digests and _deployed(t)}
    expected.update({folder: digest for folder, digest in build.delivery_digests.items()})
    try:
        manifest = json.loads((request.out_dir / "manifest.json").read_text())
    except (OSError, ValueError):
        raise StrataError(f"{request.out_dir}: no compiled output here; run strata compile first") from None
    recorded = {e["id"]: e.get("digest") for e in manifest.get("targets", []) if e.get("env") == request.env}
    stale = sorted(i for i in expected.keys() | recorded.keys() if expected.get(i) != recorded.get(i))
    if stale:
        shown = ", ".join(stale[:5]) + (f" and {len(stale) - 5} more" if len(stale) > 5 else "")
        raise GuardError(f"{request.out_dir} is not the compile of this tree for {request.env} ({shown} differ); "
                         f"run strata compile --env {request.env}, then publish")
    return build.world.envs[request.env].env


def _deployed(target) -> bool:
    from compiler.kinds import kind_of

    return kind_of(target.kind).deployed


# --- the commit ----------------------------------------------------------------------------------------

def metadata_bytes(source: Source, request: Request, branch: str, output: EnvOutput) -> bytes:
    doc = {"environment": request.env, "branch": branch,
           "source": {"commit": source.commit, "repo": source.repo, "dirty": source.dirty},
           "strata": {"version": __version__},
           "manifest": {"digest": output.digest, "files": len(output.files)}}
    return (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode()


def message(source: Source, request: Request, branch: str, output: EnvOutput) -> str:
    trailers = [("Strata-Environment", request.env), ("Strata-Source-Commit", source.commit),
                ("Strata-Manifest-Digest", output.digest), ("Strata-Version", __version__),
                ("Argocd-reference-commit-sha", source.commit)]
    trailers += [(key, value) for key, value in (("Argocd-reference-commit-repourl", source.repo),
                                                 ("Argocd-reference-commit-author", source.author),
                                                 ("Argocd-reference-commit-subject", source.subject),
                                                 ("Argocd-reference-commit-date", source.date)) if value]
    dirty = " (with uncommitted changes)" if source.dirty else ""
    return (f"strata publish {request.env} from {source.commit[:12]}{dirty}\n\n"
            f"{len(output.files)} files of out/ for {request.env} on {branch}, manifest {output.digest}.\n\n"
            + "".join(f"{key}: {value}\n" for key, value in trailers))


def _commit(git: Git, request: Request, branch: str, source: Source, output: EnvOutput, blobs: dict[str, str],
            metadata: bytes, parent: str | None) -> str | None:
    """The new commit on `parent`, or None when `parent` already holds these files."""
    if parent is not None and content_of(git, parent) == blobs:
        return None
    tree = write_tree(git, blobs, metadata)
    args = ["commit-tree", tree, *(["-p", parent] if parent else []), "-F", "-"]
    identity = {} if _has_identity(git) else FALLBACK_IDENTITY
    return git.out(*args, input=message(source, request, branch, output).encode(), extra_env=identity)


def _has_identity(git: Git) -> bool:
    if git.env.get("GIT_COMMITTER_EMAIL") or git.env.get("EMAIL"):
        return True
    return git.run("config", "--get", "user.email", check=False).code == 0


# --- push ---------------------------------------------------------------------------------------------

def _push(git: Git, request: Request, branch: str, source: Source, output: EnvOutput, blobs: dict[str, str],
          metadata: bytes) -> Published:
    ref = f"refs/heads/{branch}"
    for attempt in range(1, ATTEMPTS + 1):
        remote_tip = _remote_tip(git, request.remote, ref)
        commit = _commit(git, request, branch, source, output, blobs, metadata, remote_tip)
        if commit is None:
            assert remote_tip is not None
            git.run("update-ref", ref, remote_tip)
            return Published(request.env, branch, remote_tip, remote_tip, False, len(output.files), False, attempt)
        pushed = git.run("push", "--porcelain", f"--force-with-lease={ref}:{remote_tip or ''}",
                         request.remote, f"{commit}:{ref}", check=False)
        if pushed.code == 0:
            git.run("update-ref", ref, commit)
            return Published(request.env, branch, commit, remote_tip, True, len(output.files), True, attempt)
        if not _moved(pushed.stdout + pushed.stderr):
            lines = (pushed.stderr or pushed.stdout).strip().splitlines()
            raise StrataError(f"git push {request.remote} {branch}: {lines[-1] if lines else 'failed'}")
    raise StrataError(f"{request.remote} {branch} moved while publishing, {ATTEMPTS} times: another writer "
                      "publishes this branch; strata should be its only writer")


def _remote_tip(git: Git, remote: str, branch: str) -> str | None:
    """The remote branch's commit, fetched (its objects are needed to compare and to build on);
    the lease then expects exactly that commit."""
    if not git.out("ls-remote", "--refs", remote, branch):
        return None
    fetched = f"refs/strata/publish/{branch.removeprefix('refs/heads/')}"
    git.run("fetch", "--quiet", "--no-tags", remote, f"+{branch}:{fetched}")
    return git.sha(fetched)


def _moved(output: str) -> bool:
    """A push refused because the remote is not where the lease expected it."""
    return any(reason in output for reason in ("stale info", "fetch first", "non-fast-forward", "already exists"))


__all__ = ["METADATA", "Published", "Request", "publish"]
