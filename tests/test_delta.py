"""The delta compile (compiler/incremental/recompile.py): when only resource files of some projects
changed, only their cells are built and only the files that change are written, and the output
is byte for byte a full compile's; any other change compiles in full."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from repo_fixture import copy_example, run, settle, short_tick, spy, write_repo

from compiler.incremental import delta, recompile, snapshot


@pytest.fixture
def took(monkeypatch) -> list[bool]:
    """A short filesystem tick, and whether each compile took the delta path."""
    short_tick(monkeypatch)
    return spy(monkeypatch, recompile, "compile_delta")


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def fresh(repo: Path, tmp_path: Path) -> tuple[int, str, dict[str, bytes]]:
    """`compile --no-cache` of a copy of the repo (without .strata/) into a new folder."""
    copy = tmp_path / "fresh-repo"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(repo, copy, ignore=shutil.ignore_patterns(".strata", "out"))
    result = run(copy, "compile", "--no-cache")
    out = files(copy / "out") if result.exit_code == 0 else {}
    return result.exit_code, _problems(result.output, copy), out


def _problems(said: str, repo: Path) -> str:
    return "\n".join(line for line in said.replace(str(repo), "REPO").splitlines() if not line.startswith("Compiled "))


def compiled(repo: Path) -> str:
    result = run(repo, "compile")
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def example(tmp_path, took) -> Path:
    repo = copy_example(tmp_path / "repo")
    settle()                            # a file changed within the tick is recorded as changed
    compiled(repo)
    settle()
    took.clear()
    return repo


def counted(said: str) -> tuple[int, int]:
    """The targets and files a compile's summary line says it compiled."""
    found = re.search(r"Compiled (\d+) targets \(.*, (\d+) files\)", said)
    assert found, said
    return int(found[1]), int(found[2])


def counts(out: Path) -> tuple[int, int]:
    """The deployed targets (not the delivery targets) manifest.json lists, and the files in `out`."""
    doc = json.loads((out / "manifest.json").read_text())
    return sum(1 for e in doc["targets"] if e["project"] != "_delivery"), len(files(out))


def edit(repo: Path, rel: str, old: str, new: str) -> None:
    path = repo / rel
    text = path.read_text()
    assert old in text, (rel, old)
    path.write_text(text.replace(old, new, 1))


def test_a_resource_edit_builds_only_its_project_and_equals_a_full_compile(example, tmp_path, took):
    before = files(example / "out")
    edit(example, "projects/search-rec/training/ctr-wide-deep.yaml", "ctr-trainer:5.2.0", "ctr-trainer:5.2.1")
    said = compiled(example)
    assert took == [True]
    after = files(example / "out")
    assert after == fresh(example, tmp_path)[2]
    changed = sorted(rel for rel in after if before.get(rel) != after[rel])
    assert changed and all(rel == "manifest.json" or rel.split("/")[1] in ("search-rec", "argocd", "flux")
                           for rel in changed), changed
    assert "rendered" in said and ".strata-new" not in str(sorted(p.name for p in example.iterdir()))


def test_added_deleted_and_renamed_resources_and_a_move_between_projects(example, tmp_path, took):
    steps = [
        lambda: (example / "projects/search-rec/training/extra.yaml").write_text(
            "kind: Job\nname: extra\nspec:\n  image: reg/extra:1.0\n  command: [python, x.py]\n"
            "  resources: {cpu: '1', memory: 1Gi}\n"),
        lambda: (example / "projects/search-rec/training/extra.yaml").rename(
            example / "projects/search-rec/training/renamed.yaml"),
        lambda: (example / "projects/search-rec/training/renamed.yaml").rename(
            example / "projects/metric-forecast/pipelines/moved.yaml"),
        lambda: (example / "projects/metric-forecast/pipelines/moved.yaml").unlink(),
    ]
    for step in steps:
        step()
        said = compiled(example)
        assert files(example / "out") == fresh(example, tmp_path)[2]
        assert counted(said) == counts(example / "out")   # the summary a full compile prints
        settle()
    assert took == [True] * len(steps)
    assert not (example / "out/dev/search-rec/job-extra").exists()


def test_an_error_in_the_changed_file_is_reported_as_a_full_compile_reports_it(example, tmp_path, took):
    before = files(example / "out")
    edit(example, "projects/search-rec/training/ctr-wide-deep.yaml", "replicas: {chief: 1,", "replicas: {chef: 1,")
    result = run(example, "compile")
    assert result.exit_code == 1 and took == [True]
    code, said, _ = fresh(example, tmp_path)
    assert (result.exit_code, _problems(result.output, example)) == (code, said)
    assert files(example / "out") == before
    edit(example, "projects/search-rec/training/ctr-wide-deep.yaml", "replicas: {chef: 1,", "replicas: {chief: 1,")
    compiled(example)
    assert files(example / "out") == before


def test_a_quota_error_found_across_the_projects_cells(example, tmp_path, took):
    edit(example, "projects/search-rec/training/ctr-wide-deep.yaml", 'cpu: "16"', 'cpu: "1600"')
    result = run(example, "compile")
    assert result.exit_code == 1 and "over quota" in result.output, result.output
    assert (1, _problems(result.output, example)) == fresh(example, tmp_path)[:2]
    assert took == [True]


@pytest.mark.parametrize("change", ["layer", "environment", "project file", "new project", "jsonnet resource",
                                    "not a spec", "strata.yaml", "symlink"])
def test_any_other_change_compiles_in_full(example, tmp_path, took, change):
    repo = example
    if change == "layer":
        edit(repo, "layers/training-xgboost.yaml", "kind: AppType", "kind: AppType\n# a comment")
    elif change == "environment":
        path = next(iter(sorted((repo / "environments").glob("*.yaml"))))
        path.write_text(path.read_text() + "# a comment\n")
    elif change == "project file":
        edit(repo, "projects/search-rec/project.yaml", "kind: Project", "kind: Project\n# a comment")
    elif change == "new project":
        shutil.copytree(repo / "projects/search-rec", repo / "projects/search-rec-2")
    elif change == "jsonnet resource":
        path = repo / "projects/metric-forecast/jobs/headline-forecasts.jsonnet"
        path.write_text(path.read_text() + "\n")
    elif change == "not a spec":
        (repo / "projects/search-rec/NOTES.md").write_text("notes\n")
    elif change == "strata.yaml":
        path = repo / "strata.yaml"
        path.write_text(path.read_text() + "# a comment\n")
    else:
        (repo / "projects/search-rec/training/link.yaml").symlink_to(repo / "projects/search-rec/training/xgb-rerank.yaml")
    result = run(repo, "compile")
    assert took == [False]
    code, said, out = fresh(repo, tmp_path)
    assert (result.exit_code, _problems(result.output, repo)) == (code, said)
    if code == 0:
        assert files(repo / "out") == out


def test_a_selection_or_no_cache_never_takes_the_delta_path(example, took):
    edit(example, "projects/search-rec/training/ctr-wide-deep.yaml", "ctr-trainer:5.2.0", "ctr-trainer:5.2.1")
    assert run(example, "compile", "--project", "search-rec").exit_code == 0
    assert run(example, "compile", "--no-cache").exit_code == 0
    assert took == []


def test_previous_warnings_make_it_compile_in_full(tmp_path, took):
    repo = write_repo(tmp_path / "repo", {"projects/demo/empty.yaml": "# nothing yet\n"})
    assert "warning" in compiled(repo)
    settle()
    (repo / "projects/demo/train.yaml").write_text((repo / "projects/demo/train.yaml").read_text().replace("1.0", "1.1"))
    assert "warning" in compiled(repo)
    assert took == [False, False]


def test_a_change_within_a_tick_of_the_compile_is_built_again(tmp_path, took):
    """The snapshot records a file changed too close to the compile's start as changed: the next
    compile builds its project again, whatever its stamp says."""
    repo = write_repo(tmp_path / "repo")
    compiled(repo)                      # every file was written within the tick: all recorded as changed
    found = snapshot.read_sealed(str(repo / ".strata" / snapshot.FILE), snapshot.KIND)
    assert found is not None and (repo / ".strata" / delta.FILE).is_file()
    compiled(repo)                      # the layers and environments are among them: in full
    assert took == [False, False]


def test_the_delta_facts_are_forgotten_when_out_changes(example, took):
    (example / "out/manifest.json").write_bytes((example / "out/manifest.json").read_bytes())   # a new ctime
    edit(example, "projects/search-rec/training/ctr-wide-deep.yaml", "ctr-trainer:5.2.0", "ctr-trainer:5.2.1")
    compiled(example)
    assert took == [False]
    doc = json.loads((example / "out/manifest.json").read_text())
    assert any("ctr-trainer:5.2.1" in (example / "out" / rel).read_text()
               for e in doc["targets"] if e["name"] == "ctr-wide-deep" for rel in e["outputs"])


@pytest.mark.parametrize("damage", ["environments of another shape", "no environments", "damaged"])
def test_recorded_facts_not_of_this_strata_compile_in_full(example, tmp_path, took, damage):
    """`.strata/delta.bin` holds what the delta compile reads of the projects it does not build
    (their quotas, namespaces and input files, by environment): facts of another shape (an older
    strata's) or a damaged file are never used, the compile is a full one and records them again."""
    path = example / ".strata" / delta.FILE
    recorded = delta.read_sealed(str(path), delta.KIND)
    assert isinstance(recorded, dict) and set(recorded["environments"]) == {"dev", "prod-bj", "prod-sh", "staging"}
    if damage == "damaged":
        data = bytearray(path.read_bytes())
        data[-3] ^= 1
        path.write_bytes(bytes(data))
    else:
        if damage == "no environments":
            del recorded["environments"]
        else:
            recorded["environments"] = {"dev": "facts"}
        delta.write_sealed(str(path), delta.KIND, recorded)
    edit(example, "projects/search-rec/training/ctr-wide-deep.yaml", "ctr-trainer:5.2.0", "ctr-trainer:5.2.1")
    compiled(example)
    settle()
    edit(example, "projects/search-rec/training/ctr-wide-deep.yaml", "ctr-trainer:5.2.1", "ctr-trainer:5.2.2")
    compiled(example)
    assert took == [False, True]
    assert files(example / "out") == fresh(example, tmp_path)[2]
