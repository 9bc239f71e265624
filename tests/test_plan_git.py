"""plan() end to end over a real git repository, with a fake compiler (the plumbing, not the renderers)."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import compiler.plan as plan_pkg
from compiler.errors import StrataError
from compiler.plan import gitbase, plan, render
from compiler.plan.command import plan as plan_command
from compiler.plan.scope import is_input
from test_plan_support import FakeCompiler, commit, git, init_repo, write


@pytest.fixture
def repo(tmp_path):
    repo = init_repo(tmp_path / "config")
    write(repo, "environments/dev.yaml", "replicas: 1\n")
    write(repo, "environments/prod.yaml", "replicas: 3\n")
    write(repo, "projects/a/job-train.yaml", "image: train:1\n")
    write(repo, "projects/a/notebook-lab.yaml", "image: lab:1\n")
    write(repo, "projects/b/job-etl.yaml", "image: etl:1\nschedule: hourly\n")
    write(repo, ".gitignore", "out/\n")
    commit(repo, "base")
    return repo


def test_no_changes(repo):
    fake = FakeCompiler()
    result = plan(repo, "main", compiler=fake)
    assert not result.has_changes
    assert result.head == git(repo, "rev-parse", "HEAD").strip()
    assert fake.calls == []            # no input changed: identical objects, nothing to compile
    assert "No changes." in render(result, "text")


def test_env_override_changes_only_that_env(repo):
    write(repo, "environments/prod.yaml", "replicas: 5\n")
    fake = FakeCompiler()
    result = plan(repo, "main", compiler=fake)
    assert result.counts() == {"add": 0, "change": 3, "destroy": 0}
    assert {e.env for e in result.entries} == {"prod"}
    assert sorted(fake.calls[1]["rendered"]) == ["etl", "lab", "train"]   # prod only: 3 of 6
    assert sorted(fake.calls[0]["rendered"]) == ["etl", "lab", "train"]   # the same on the head side
    assert result.rendered == 3 and result.targets_total == 6
    assert [(c.path, c.old, c.new) for c in result.entries[0].changes] == [("/data/replicas", 3, 5)]
    note = result.notes[("prod", "a", "job.train")]
    assert note.files == ("environments/prod.yaml",)
    assert [(c.path, c.old, c.new, c.where) for c in note.causes] == [("replicas", 3, 5, "environments/prod.yaml:1:1")]
    assert result.head == "working tree"


def test_add_change_destroy_in_one_plan(repo):
    write(repo, "projects/b/service-serve.yaml", "image: serve:1\n")           # untracked: add
    (repo / "projects/a/notebook-lab.yaml").unlink()                             # destroy
    write(repo, "projects/a/job-train.yaml", "image: train:2\n")               # change
    result = plan(repo, "main", compiler=FakeCompiler())
    assert result.counts() == {"add": 2, "change": 2, "destroy": 2}
    assert [(e.env, e.resource, e.change) for e in result.entries] == [
        ("dev", "job.train", "change"), ("dev", "notebook.lab", "destroy"), ("dev", "service.serve", "add"),
        ("prod", "job.train", "change"), ("prod", "notebook.lab", "destroy"), ("prod", "service.serve", "add")]
    cause = result.notes[("dev", "a", "job.train")].causes[0]
    assert (cause.path, cause.old, cause.new, cause.where) == ("image", "train:1", "train:2", "projects/a/job-train.yaml:1:1")
    assert "Plan: 2 to add, 2 to change, 2 to destroy." in render(result, "text")


def test_a_change_inside_one_project_compiles_only_that_project(repo):
    write(repo, "projects/a/job-train.yaml", "image: train:2\n")
    fake = FakeCompiler()
    result = plan(repo, "main", compiler=fake)
    assert [c["projects"] for c in fake.calls] == [("a",), ("a",)]
    assert result.counts() == {"add": 0, "change": 2, "destroy": 0}


def test_a_removed_project_is_compiled_on_the_base_side_only(repo):
    for path in (repo / "projects/b").iterdir():
        path.unlink()
    (repo / "projects/b").rmdir()
    write(repo, "projects/c/job-new.yaml", "image: new:1\n")
    fake = FakeCompiler()
    result = plan(repo, "main", compiler=fake)
    assert [c["projects"] for c in fake.calls] == [("c",), ("b",)]
    assert result.counts() == {"add": 2, "change": 0, "destroy": 2}


def test_committed_changes_against_an_older_ref(repo):
    first = git(repo, "rev-parse", "HEAD").strip()
    write(repo, "projects/b/job-etl.yaml", "image: etl:2\nschedule: hourly\n")
    second = commit(repo, "etl 2")
    result = plan(repo, first, compiler=FakeCompiler())
    assert result.head == second and result.base_sha == first
    assert result.counts()["change"] == 2
    assert not plan(repo, "HEAD", compiler=FakeCompiler()).has_changes


def test_renamed_file_counts_both_names(repo):
    git(repo, "mv", "projects/a/job-train.yaml", "projects/a/job-fit.yaml")
    result = plan(repo, "main", compiler=FakeCompiler())
    assert result.counts() == {"add": 2, "change": 0, "destroy": 2}


def test_untracked_folders_are_walked_only_where_inputs_may_be(repo):
    """An untracked output folder (or dot-folder) is one status entry, never listed file by file;
    new files in new folders that may hold inputs are all seen, nested ones too."""
    git(repo, "rm", "-q", "--cached", ".gitignore")
    (repo / ".gitignore").unlink()
    write(repo, "out/dev/a/job.train/job.yaml", "kind: Job\n")
    write(repo, ".cache/x.yaml", "a: 1\n")
    write(repo, "projects/c/sub/job-x.yaml", "image: x:1\n")
    write(repo, "projects/a/job-new.yaml", "image: new:1\n")
    write(repo, "lib/util.libsonnet", "{}\n")
    walked = []
    found = gitbase.status(gitbase.worktree(repo), lambda folder: walked.append(folder) or is_input(folder))
    assert found.untracked == {"projects/c/sub/job-x.yaml", "projects/a/job-new.yaml", "lib/util.libsonnet"}
    assert sorted(walked) == [".cache", "lib", "out", "projects/c"] and not found.clean


def test_an_untracked_output_folder_alone_still_makes_a_working_tree_head(repo):
    (repo / ".gitignore").unlink()
    commit(repo, "the output folder is not ignored")
    write(repo, "out/dev/a/job.train/job.yaml", "kind: Job\n")
    fake = FakeCompiler()
    result = plan(repo, "main", compiler=fake)
    assert not result.has_changes and result.head == "working tree" and fake.calls == []


def test_one_status_says_whether_the_tree_is_clean_and_which_commit_head_is(repo, tmp_path):
    tree = gitbase.worktree(repo)
    sha = git(repo, "rev-parse", "HEAD").strip()
    assert gitbase.status(tree).revision == sha == gitbase.head(repo)
    write(repo, "projects/a/job-train.yaml", "image: train:2\n")
    found = gitbase.status(tree)
    assert (found.head, found.revision, gitbase.head(repo)) == (sha, "working tree", "working tree")
    empty = init_repo(tmp_path / "unborn")
    assert gitbase.status(gitbase.worktree(empty)).revision == "working tree" == gitbase.head(empty)


def test_the_top_level_and_the_project_folders_of_a_revision_from_one_listing(repo, tmp_path):
    sha = git(repo, "rev-parse", "HEAD").strip()
    tree = gitbase.worktree(repo)
    assert gitbase._top_level(tree.top, f"{sha}:") == ([".gitignore", "environments", "projects"],
                                                        frozenset({"a", "b"}))
    assert gitbase.project_folders(tree, sha) == {"a", "b"}
    assert gitbase._paths(tree.top, sha, "", ["b", "c"]) == [".gitignore", "environments", "projects/b"]
    none = init_repo(tmp_path / "none")
    write(none, "environments/dev.yaml", "replicas: 1\n")
    write(none, "projects", "a file, not a folder\n")
    bare = commit(none, "no project folders")
    assert gitbase._top_level(none, f"{bare}:") == (["environments", "projects"], frozenset())
    assert gitbase.project_folders(gitbase.worktree(none), bare) == frozenset()


def test_working_tree_and_index_are_untouched(repo):
    write(repo, "projects/a/job-train.yaml", "image: train:2\n")
    git(repo, "add", "projects/a/job-train.yaml")
    write(repo, "environments/dev.yaml", "replicas: 2\n")
    before = git(repo, "status", "--porcelain"), git(repo, "worktree", "list"), git(repo, "stash", "list")
    plan(repo, "main", compiler=FakeCompiler())
    assert (git(repo, "status", "--porcelain"), git(repo, "worktree", "list"), git(repo, "stash", "list")) == before
    assert (repo / "projects/a/job-train.yaml").read_text() == "image: train:2\n"


def test_base_side_is_compiled_from_a_temporary_copy(repo):
    write(repo, "projects/a/job-train.yaml", "image: train:2\n")
    fake = FakeCompiler()
    plan(repo, "main", compiler=fake)
    base_root = fake.calls[1]["repo"]
    assert base_root != repo and not base_root.exists()


def test_unknown_ref_is_a_user_error(repo):
    with pytest.raises(StrataError, match="--base nope: not a commit"):
        plan(repo, "nope", compiler=FakeCompiler())


def test_not_a_git_repository(tmp_path):
    with pytest.raises(StrataError, match="not in a git working tree"):
        plan(tmp_path, "main", compiler=FakeCompiler())


def test_base_compile_errors_say_so(repo):
    write(repo, "projects/a/job-train.yaml", "image: train:2\n")

    class BrokenBase(FakeCompiler):
        def load(self, root, envs=(), projects=()):
            if root != repo:
                raise StrataError("projects/a/job-train.yaml:1:1: boom")
            return super().load(root, envs, projects)

    with pytest.raises(StrataError, match=r"the base revision main \([0-9a-f]{12}\) does not compile") as caught:
        plan(repo, "main", compiler=BrokenBase())
    assert "boom" in str(caught.value)


def test_config_in_a_subfolder_of_the_git_repository(tmp_path):
    top = init_repo(tmp_path / "mono")
    write(top, "README.md", "hi\n")
    write(top, "config/environments/dev.yaml", "replicas: 1\n")
    write(top, "config/projects/a/job-train.yaml", "image: train:1\n")
    commit(top, "base")
    write(top, "config/projects/a/job-train.yaml", "image: train:2\n")
    write(top, "elsewhere/job-x.yaml", "ignored: true\n")
    fake = FakeCompiler()
    result = plan(top / "config", "main", compiler=fake)
    assert [(e.resource, e.change) for e in result.entries] == [("job.train", "change")]
    assert result.notes[("dev", "a", "job.train")].files == ("projects/a/job-train.yaml",)
    write(top, "config/projects/a/job-new é.yaml", "image: new:1\n")       # untracked, named from the top
    result = plan(top / "config", "main", compiler=FakeCompiler())
    assert [(e.resource, e.change) for e in result.entries] == [("job.new é", "add"), ("job.train", "change")]


def test_env_and_project_selection_is_passed_to_both_sides(repo):
    write(repo, "environments/prod.yaml", "replicas: 5\n")
    fake = FakeCompiler()
    result = plan(repo, "main", envs=("prod",), projects=("a",), compiler=fake)
    assert {(e.env, e.project) for e in result.entries} == {("prod", "a")}
    assert result.envs == ("prod",)


def test_unknown_project_is_an_error_even_when_nothing_is_compiled(repo):
    write(repo, "projects/a/job-train.yaml", "image: train:2\n")
    with pytest.raises(StrataError, match="--project typo: no such project"):
        plan(repo, "main", projects=("typo",), compiler=FakeCompiler())
    assert not plan(repo, "main", projects=("b",), compiler=FakeCompiler()).has_changes


@pytest.fixture
def cli(repo, monkeypatch):
    monkeypatch.setattr(plan_pkg, "StrataCompiler", FakeCompiler)

    def run(*args: str):
        return CliRunner().invoke(plan_command, list(args), obj={"repo": repo}, catch_exceptions=False)
    return run


def test_command_exit_codes(repo, cli):
    assert cli("--base", "main").exit_code == 0
    assert cli("--base", "main", "--detailed-exitcode").exit_code == 0
    write(repo, "environments/dev.yaml", "replicas: 2\n")
    result = cli("--base", "main")
    assert result.exit_code == 0 and "Plan: 0 to add, 3 to change, 0 to destroy." in result.output
    assert cli("--base", "main", "--detailed-exitcode").exit_code == 2


def test_command_formats_and_out_files(repo, cli, tmp_path):
    write(repo, "environments/dev.yaml", "replicas: 2\n")
    out_json, out_md = tmp_path / "plan.json", tmp_path / "comment.md"
    result = cli("--base", "main", "--format", "markdown", "--out", str(out_json), "--out", str(out_md))
    assert result.output.startswith("<!-- strata-plan -->") and result.output == out_md.read_text()
    doc = json.loads(out_json.read_text())
    assert doc["summary"]["change"] == 3 and doc["head"] == "working tree"
    assert "\x1b[" not in cli("--base", "main").output   # no colour when stdout is not a terminal


def test_command_json_output_is_stable(repo, cli):
    write(repo, "environments/dev.yaml", "replicas: 2\n")
    first, second = cli("--base", "main", "--format", "json").output, cli("--base", "main", "--format", "json").output
    assert first == second and json.loads(first)["format_version"] == "1.3"


def test_command_out_to_a_missing_folder_is_a_user_error(repo, cli, tmp_path):
    write(repo, "environments/dev.yaml", "replicas: 2\n")
    with pytest.raises(StrataError, match="--out .*plan.json: No such file or directory"):
        cli("--base", "main", "--out", str(tmp_path / "missing" / "plan.json"))
