"""`strata publish` against local repositories: a config repo with git history and a bare remote.

The git runner is handed in, so a test can play another writer moving the remote branch
between strata's fetch and its push.
"""
from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from compiler.errors import GuardError, StrataError
from compiler.publish import METADATA, Request, publish
from compiler.publish.git import Git, Result
from repo_fixture import run, write_repo

REPO_URL = "https://git.example.com/ml/rendered.git"


def git_env(home: Path) -> dict[str, str]:
    """No user or system config: the tests see only what they set."""
    return {"PATH": os.environ["PATH"], "HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": str(home / "gitconfig"), "LANG": "C"}


def sh(cwd: Path, *args: str, env: dict | None = None) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env=env, check=True)
    return done.stdout.strip()


@dataclass
class Setup:
    repo: Path
    remote: Path
    env: dict[str, str]

    @property
    def git(self) -> Git:
        return Git(self.repo, self.env)

    def commit(self, message: str = "change") -> str:
        sh(self.repo, "add", "-A", env=self.env)
        sh(self.repo, "-c", "user.name=Dev", "-c", "user.email=dev@example.com", "commit", "-qm", message, env=self.env)
        return sh(self.repo, "rev-parse", "HEAD", env=self.env)

    def compile(self) -> None:
        result = run(self.repo, "compile")
        assert result.exit_code == 0, result.output

    def request(self, **kwargs) -> Request:
        return Request(**{"env": "dev", "branch": None, "out_dir": self.repo / "out", **kwargs})

    def files(self, ref: str, where: Path | None = None) -> list[str]:
        return sh(where or self.repo, "ls-tree", "-r", "--name-only", "--full-tree", ref, env=self.env).splitlines()

    def show(self, ref: str, path: str, where: Path | None = None) -> str:
        return sh(where or self.repo, "show", f"{ref}:{path}", env=self.env)


@pytest.fixture
def setup(tmp_path) -> Setup:
    home = tmp_path / "home"
    home.mkdir()
    env = git_env(home)
    repo = write_repo(tmp_path / "config", {
        "environments/groups/test.yaml": f"""
            kind: EnvironmentGroup
            name: test
            vars: {{registry: reg.test.local}}
            delivery: {{engine: argocd, repoURL: {REPO_URL}}}
            """,
        "environments/staging.yaml": None,
        "projects/demo/serve.yaml": """
            kind: Job
            name: batch-score
            spec: {image: "reg/score:1.0"}
            """,
        ".gitignore": "out/\n.strata/\n",
    })
    remote = tmp_path / "rendered.git"
    sh(tmp_path, "init", "-q", "--bare", str(remote), env=env)
    sh(repo, "init", "-q", "-b", "main", env=env)
    sh(repo, "remote", "add", "origin", str(remote), env=env)
    found = Setup(repo, remote, env)
    found.commit("initial config")
    found.compile()
    return found


def branch_exists(setup: Setup, branch: str) -> bool:
    return subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}"], cwd=setup.repo,
                          env=setup.env, capture_output=True).returncode == 0


# --- the branch ---------------------------------------------------------------------------------------

def test_first_publish_writes_the_whole_environment_as_one_root_commit(setup):
    head = sh(setup.repo, "rev-parse", "HEAD", env=setup.env)
    done = publish(setup.repo, setup.git, setup.request())
    assert (done.branch, done.changed, done.parent, done.pushed) == ("env/dev", True, None, False)
    assert sh(setup.repo, "rev-parse", "env/dev", env=setup.env) == done.commit
    manifest = json.loads((setup.repo / "out/manifest.json").read_text())
    listed = {p for e in manifest["targets"] + manifest["projects"] if e["env"] == "dev" for p in e["outputs"]}
    assert set(setup.files("env/dev")) == listed | {METADATA}
    assert {p.split("/")[0] for p in listed} == {"dev", "_delivery"} and "_delivery/argocd/dev/bootstrap.yaml" in listed
    for path in listed:
        assert setup.show("env/dev", path) == (setup.repo / "out" / path).read_text().rstrip("\n")
    assert sh(setup.repo, "rev-list", "--count", "env/dev", env=setup.env) == "1"
    # nothing checked out, nothing staged: the working tree and HEAD are as they were
    assert sh(setup.repo, "status", "--porcelain", env=setup.env) == ""
    assert sh(setup.repo, "rev-parse", "HEAD", env=setup.env) == head
    assert sh(setup.repo, "symbolic-ref", "HEAD", env=setup.env) == "refs/heads/main"


def test_the_metadata_and_the_trailers_trace_the_source_commit(setup):
    from compiler import __version__

    head = sh(setup.repo, "rev-parse", "HEAD", env=setup.env)
    done = publish(setup.repo, setup.git, setup.request())
    metadata = json.loads(setup.show("env/dev", METADATA))
    assert metadata["environment"] == "dev" and metadata["branch"] == "env/dev"
    assert metadata["source"] == {"commit": head, "repo": str(setup.remote), "dirty": False}
    assert metadata["strata"] == {"version": __version__}
    assert metadata["manifest"]["digest"].startswith("sha256:") and metadata["manifest"]["files"] == done.files
    trailers = sh(setup.repo, "log", "-1", "--format=%(trailers:unfold,only)", "env/dev", env=setup.env)
    assert f"Strata-Source-Commit: {head}" in trailers and f"Argocd-reference-commit-sha: {head}" in trailers
    assert f"Strata-Manifest-Digest: {metadata['manifest']['digest']}" in trailers
    assert "Argocd-reference-commit-subject: initial config" in trailers
    assert "Argocd-reference-commit-author: Dev <dev@example.com>" in trailers


def test_an_unchanged_output_makes_no_commit(setup):
    first = publish(setup.repo, setup.git, setup.request())
    (setup.repo / "README.md").write_text("notes\n")          # a new source commit that renders the same
    setup.commit("docs only")
    setup.compile()
    again = publish(setup.repo, setup.git, setup.request())
    assert (again.changed, again.commit) == (False, first.commit)
    assert sh(setup.repo, "rev-list", "--count", "env/dev", env=setup.env) == "1"


def test_a_removed_resource_disappears_from_the_branch(setup):
    first = publish(setup.repo, setup.git, setup.request())
    assert "dev/demo/job-batch-score/manifests.yaml" in setup.files("env/dev")
    (setup.repo / "projects/demo/serve.yaml").unlink()
    setup.commit("drop batch-score")
    setup.compile()
    done = publish(setup.repo, setup.git, setup.request())
    assert done.changed and done.parent == first.commit
    assert not [p for p in setup.files("env/dev") if "job-batch-score" in p]
    assert "dev/demo/job-train/manifests.yaml" in setup.files("env/dev")


def test_the_staging_branch_and_an_explicit_branch(setup):
    assert publish(setup.repo, setup.git, setup.request(staging=True)).branch == "env/dev-next"
    assert publish(setup.repo, setup.git, setup.request(branch="rendered/dev", staging=True)).branch == "rendered/dev-next"
    assert sh(setup.repo, "rev-parse", "--verify", "env/dev-next", env=setup.env)


# --- push ---------------------------------------------------------------------------------------------

def test_push_creates_then_keeps_the_remote_branch(setup):
    done = publish(setup.repo, setup.git, setup.request(push=True))
    assert done.pushed and done.changed and done.parent is None
    assert sh(setup.remote, "rev-parse", "env/dev", env=setup.env) == done.commit
    again = publish(setup.repo, setup.git, setup.request(push=True))
    assert (again.changed, again.pushed, again.commit) == (False, False, done.commit)


class RacingGit(Git):
    """Another writer publishes to the remote branch right before each of our first `moves` pushes."""

    def __init__(self, setup: Setup, moves: int):
        super().__init__(setup.repo, setup.env)
        object.__setattr__(self, "setup", setup)
        object.__setattr__(self, "moves", [moves])

    def run(self, *args, **kwargs) -> Result:
        if args and args[0] == "push" and self.moves[0] > 0:
            self.moves[0] -= 1
            other_writer(self.setup)
        return super().run(*args, **kwargs)


def other_writer(setup: Setup) -> str:
    """A commit on the remote's env/dev made elsewhere (plumbing on the bare repository)."""
    remote, env = setup.remote, setup.env
    parent = subprocess.run(["git", "rev-parse", "--verify", "--quiet", "env/dev"], cwd=remote, capture_output=True,
                            text=True, env=env).stdout.strip()
    blob = subprocess.run(["git", "hash-object", "-w", "--stdin"], cwd=remote, input=f"{parent}\n", capture_output=True,
                          text=True, env=env, check=True).stdout.strip()
    tree = subprocess.run(["git", "mktree"], cwd=remote, input=f"100644 blob {blob}\tother.txt\n", capture_output=True,
                          text=True, env=env, check=True).stdout.strip()
    commit = sh(remote, "-c", "user.name=Other", "-c", "user.email=o@x", "commit-tree", tree,
                *(["-p", parent] if parent else []), "-m", "someone else", env=env)
    sh(remote, "update-ref", "refs/heads/env/dev", commit, env=env)
    return commit


def test_a_moved_remote_is_fetched_rebuilt_and_pushed_again(setup):
    done = publish(setup.repo, RacingGit(setup, moves=1), setup.request(push=True))
    assert done.pushed and done.attempts == 2
    other = sh(setup.remote, "rev-parse", "env/dev^", env=setup.env)
    assert done.parent == other and sh(setup.remote, "log", "-1", "--format=%s", other, env=setup.env) == "someone else"
    assert sh(setup.remote, "rev-parse", "env/dev", env=setup.env) == done.commit
    assert "other.txt" not in setup.files("env/dev", setup.remote)      # the whole tree is replaced


def test_a_remote_that_keeps_moving_is_an_error(setup):
    with pytest.raises(StrataError, match="moved while publishing, 3 times"):
        publish(setup.repo, RacingGit(setup, moves=10), setup.request(push=True))


# --- refusals -----------------------------------------------------------------------------------------

def test_a_dirty_source_tree_is_refused_unless_allowed(setup):
    (setup.repo / "projects/demo/notes.yaml").write_text("# scratch\n")
    with pytest.raises(GuardError, match="uncommitted changes .*projects/demo/notes.yaml"):
        publish(setup.repo, setup.git, setup.request())
    assert not branch_exists(setup, "env/dev")
    done = publish(setup.repo, setup.git, setup.request(allow_dirty=True))
    assert json.loads(setup.show("env/dev", METADATA))["source"]["dirty"] is True
    assert "(with uncommitted changes)" in sh(setup.repo, "log", "-1", "--format=%s", done.commit, env=setup.env)


def test_an_output_that_is_not_the_compile_of_the_tree_is_refused(setup):
    train = setup.repo / "projects/demo/train.yaml"
    train.write_text(train.read_text().replace("1.0", "1.1"))
    setup.commit("bump")                       # committed, but never compiled
    with pytest.raises(GuardError, match="not the compile of this tree for dev .*demo/Job/train"):
        publish(setup.repo, setup.git, setup.request())
    setup.compile()
    assert publish(setup.repo, setup.git, setup.request()).changed


def test_the_checked_out_branch_is_never_published_to(setup):
    with pytest.raises(GuardError, match="main is the branch checked out"):
        publish(setup.repo, setup.git, setup.request(branch="main"))


def test_refusals_through_the_cli_exit_3_and_write_nothing(setup, monkeypatch):
    for key, value in setup.env.items():
        monkeypatch.setenv(key, value)
    (setup.repo / "projects/demo/notes.yaml").write_text("# scratch\n")
    result = run(setup.repo, "publish", "--env", "dev")
    assert result.exit_code == 3 and "uncommitted changes" in result.output and "Traceback" not in result.output
    assert not branch_exists(setup, "env/dev")
    (setup.repo / "projects/demo/notes.yaml").unlink()
    result = run(setup.repo, "publish", "--env", "dev", "--push")
    assert result.exit_code == 0 and "Published dev" in result.output and "to origin env/dev" in result.output
    result = run(setup.repo, "publish", "--env", "nope")
    assert result.exit_code == 1 and "nope" in result.output


def test_a_missing_output_is_an_error(setup):
    import shutil

    shutil.rmtree(setup.repo / "out")
    with pytest.raises(StrataError, match="run strata compile"):
        publish(setup.repo, setup.git, setup.request())


# --- out/ and .strata/ (compiler/output/state.py) ------------------------------------------------------

def test_publish_reads_out_under_the_compile_lock(setup):
    from compiler.output.state import State

    told = []
    with State(setup.repo).locked(1.0):        # a compile swapping out/ holds it
        with pytest.raises(StrataError, match="another strata compile .* gave up after waiting 0.2 s"):
            publish(setup.repo, setup.git, setup.request(lock_timeout=0.2), told.append)
    assert told and str(os.getpid()) in told[0] and not branch_exists(setup, "env/dev")
    assert publish(setup.repo, setup.git, setup.request(lock_timeout=0.2)).changed


def test_an_interrupted_swap_is_left_to_compile(setup):
    from compiler.output.state import State

    state = State(setup.repo)
    state.write_journal({"out": str(setup.repo / "out")})
    before = sorted(p.relative_to(setup.repo).as_posix() for p in (setup.repo / "out").rglob("*"))
    with pytest.raises(StrataError, match="interrupted while replacing its output .*run strata compile"):
        publish(setup.repo, setup.git, setup.request())
    assert state.read_journal() is not None     # publish never finishes (writes) a swap itself
    assert sorted(p.relative_to(setup.repo).as_posix() for p in (setup.repo / "out").rglob("*")) == before
    assert not branch_exists(setup, "env/dev")


def test_the_cli_reads_the_folder_compile_writes_by_the_same_rules(setup, monkeypatch):
    for key, value in setup.env.items():
        monkeypatch.setenv(key, value)
    result = run(setup.repo, "publish", "--env", "dev", "--out", str(setup.repo / "projects"))
    assert result.exit_code == 1 and "which strata reads" in result.output and "Traceback" not in result.output
    assert not branch_exists(setup, "env/dev")
