"""Sharded compile (docs/sharding.md): `compile --shard K/N` + `merge` equals one compile, byte for byte.

The example repository (Argo CD and Flux environments) and a generated one (bench/generate.py,
small, with delivered environments added) are compiled whole and in N = 1..4 shards; the
merge of the shards must be the full output file for file. Then the split itself (stable,
balanced, every cell and `_platform` in exactly one shard) and every refusal of `merge`.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from repo_fixture import copy_example, run, write_repo
from test_bench_generator import generate

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "commit.gpgsign=false"]


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _write(folder: Path, files) -> Path:
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    return folder


def _shards(repo: Path, count: int, into: Path) -> list[Path]:
    from compiler.pipeline import compile_repo
    from compiler.shard import Shard

    return [_write(into / f"shard-{k}-of-{count}", compile_repo(repo, shard=Shard(k, count)).files)
            for k in range(1, count + 1)]


def _merged(folders: list[Path]) -> dict[str, bytes]:
    from compiler.shard.join import merge_shards

    joined = merge_shards(folders)
    return {**joined.files, **{rel: path.read_bytes() for rel, path in joined.links.items()}}


def _full(repo: Path) -> dict[str, bytes]:
    from compiler.pipeline import compile_repo

    return dict(compile_repo(repo).files)


def _assert_same(merged: dict[str, bytes], full: dict[str, bytes]) -> None:
    assert sorted(merged) == sorted(full)
    assert [rel for rel in sorted(full) if merged[rel] != full[rel]] == []


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> Path:
    return copy_example(tmp_path_factory.mktemp("example") / "repo")


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    """bench/generate.py, small, with dev-1 delivered by Argo CD (fleet mode) and test-1 by Flux."""
    repo = tmp_path_factory.mktemp("generated") / "repo"
    generate.generate(repo, seed=5, projects=10, envs=3, app_type_count=9, resources_per_project=3)
    delivery = {"dev-1": "delivery: {engine: argocd, repoURL: 'https://git.example.com/r.git', fleet: applicationset}\n",
                "test-1": "delivery: {engine: flux, repoURL: 'https://git.example.com/r.git'}\n"}
    for env, text in delivery.items():
        path = repo / "environments" / f"{env}.yaml"
        path.write_text(path.read_text() + text)
    for group in ("dev", "test"):   # an engine would run a finished job again once its TTL deleted it
        path = repo / "environments" / "groups" / f"{group}.yaml"
        path.write_text(re.sub(r"ttlAfterFinished: \w+", "ttlAfterFinished: null", path.read_text()))
    return repo


# --- N = 1..4: the merge is the full compile ----------------------------------------------------------

@pytest.mark.parametrize("count", [1, 2, 3, 4])
def test_merge_of_the_example_repos_shards_is_its_full_compile(example, tmp_path, count):
    full = _full(example)
    assert any(rel.startswith("_delivery/argocd/") for rel in full) and any(rel.startswith("_delivery/flux/")
                                                                             for rel in full)
    _assert_same(_merged(_shards(example, count, tmp_path)), full)


@pytest.mark.parametrize("count", [1, 2, 3, 4])
def test_merge_of_a_generated_repos_shards_is_its_full_compile(generated, tmp_path, count):
    full = _full(generated)
    assert any(rel.startswith("_delivery/argocd/dev-1/fleet/") for rel in full)
    assert any(rel.startswith("_delivery/flux/test-1/") for rel in full)
    _assert_same(_merged(_shards(generated, count, tmp_path)), full)


def test_cli_compile_shards_and_merge_write_the_full_output(generated, tmp_path):
    assert run(generated, "compile", "--out", str(tmp_path / "full")).exit_code == 0
    for k in (1, 2, 3):
        result = run(generated, "compile", "--shard", f"{k}/3", "--out", str(tmp_path / f"s{k}"))
        assert result.exit_code == 0, result.output
    result = run(generated, "merge", *(str(tmp_path / f"s{k}") for k in (3, 1, 2)), "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Merged 3 shards (")
    _assert_same(_files(tmp_path / "out"), _files(tmp_path / "full"))
    assert "shard" not in json.loads((tmp_path / "out/manifest.json").read_text())


# --- the split ---------------------------------------------------------------------------------------

def _assignment(repo: Path, count: int):
    from compiler.pipeline import load_stage
    from compiler.shard.partial import assignment_of

    build = load_stage(repo)
    return build, assignment_of(build.world, build.docs, count)


def test_the_split_is_deterministic_and_covers_every_cell_and_platform_once(generated):
    build, first = _assignment(generated, 4)
    _, again = _assignment(generated, 4)
    assert first == again
    cells = {(p.env.name, p.name) for p in build.projects}
    owned = [first.cells(k) for k in range(1, 5)]
    assert sorted(c for found in owned for c in found) == sorted(cells)
    platforms = [env for k in range(1, 5) for env in first.platforms(k)]
    assert sorted(platforms) == sorted(build.world.envs)


def test_the_split_is_balanced_by_cost_and_a_chart_service_costs_more(generated):
    from compiler.shard.assign import CHART_SERVICE_COST, TARGET_COST, Unit, assign, target_cost, units_of

    build, assignment = _assignment(generated, 4)
    dearest = max(unit.cost for unit in units_of(build.world, build.docs))
    assert max(assignment.loads) - min(assignment.loads) <= dearest      # greedy LPT's bound
    services = {target_cost(build.world, doc) for docs in build.docs.resources.values() for doc in docs
                if doc.kind == "Service"}
    assert services == {CHART_SERVICE_COST, TARGET_COST}    # KServe's runtime is set by its app type
    two = assign([Unit("a/x", 5.0), Unit("a/y", 3.0), Unit("a/z", 3.0), Unit("b/_platform", 0.5)], 2)
    assert two.shard_of == {"a/x": 1, "a/y": 2, "a/z": 2, "b/_platform": 1} and two.loads == (5.5, 6.0)


def test_each_shard_holds_only_its_folders_and_project_and_platform_objects_once(generated, tmp_path):
    folders = _shards(generated, 4, tmp_path)
    seen: dict[str, int] = {}
    for folder in folders:
        manifest = json.loads((folder / "manifest.json").read_text())
        owned = set(manifest["shard"]["folders"])
        for rel in _files(folder):
            if rel != "manifest.json":
                assert "/".join(rel.split("/")[:2]) in owned, rel
                assert not rel.startswith("_delivery/")
                seen[rel] = seen.get(rel, 0) + 1
        assert manifest["capacity"] == {}
    assert all(count == 1 for count in seen.values())
    assert sum(rel.endswith("/project.yaml") for rel in seen) == sum(
        rel.endswith("/project.yaml") for rel in _full(generated))
    assert sorted(rel for rel in seen if "/_platform/" in rel) == sorted(
        rel for rel in _full(generated) if "/_platform/" in rel)


def test_cross_project_checks_see_every_project_in_every_shard(tmp_path):
    """Two projects sharing a namespace: whichever shards hold them, the clash is reported."""
    repo = write_repo(tmp_path, {"projects/other/project.yaml": """
        kind: Project
        name: other
        owner: team-other
        namespace: demo
        environments: [test]
        """, "projects/demo/project.yaml": """
        kind: Project
        name: demo
        owner: team-demo
        namespace: demo
        environments: [test]
        """})
    for k in (1, 2):
        result = run(repo, "compile", "--shard", f"{k}/2", "--out", str(tmp_path / f"s{k}"))
        assert result.exit_code == 1 and "namespace 'demo'" in result.output and "used by two projects" in result.output


# --- refusals ----------------------------------------------------------------------------------------

@pytest.fixture()
def small(tmp_path) -> Path:
    return write_repo(tmp_path / "repo", {"projects/more/project.yaml": """
        kind: Project
        name: more
        owner: team-more
        environments: [test]
        """, "projects/more/job.yaml": "kind: Job\nname: tune\nspec: {image: 'reg/tune:1'}\n"})


def _cli_shards(repo: Path, count: int, into: Path, *, which=None) -> list[Path]:
    found = []
    for k in which or range(1, count + 1):
        folder = into / f"s{k}of{count}"
        result = run(repo, "compile", "--shard", f"{k}/{count}", "--out", str(folder))
        assert result.exit_code == 0, result.output
        found.append(folder)
    return found


def _merge(repo: Path, folders, out: Path):
    return run(repo, "merge", *map(str, folders), "--out", str(out))


def _refused(result, *needles: str) -> None:
    assert result.exit_code == 1, result.output
    for needle in needles:
        assert needle in result.output, result.output
    assert "nothing was written" in result.output


def test_merge_refuses_a_missing_shard(small, tmp_path):
    folders = _cli_shards(small, 3, tmp_path)
    result = _merge(small, folders[:2], tmp_path / "out")
    _refused(result, "shard 3/3 is missing")
    assert not (tmp_path / "out").exists()


def test_merge_refuses_a_shard_given_twice(small, tmp_path):
    folders = _cli_shards(small, 2, tmp_path)
    copy = tmp_path / "copy"
    shutil.copytree(folders[0], copy)
    _refused(_merge(small, [*folders, copy], tmp_path / "out"), "shard 1/2 is given twice")


def test_merge_refuses_shards_of_different_counts(small, tmp_path):
    two = _cli_shards(small, 2, tmp_path, which=[1])
    three = _cli_shards(small, 3, tmp_path, which=[2, 3])
    _refused(_merge(small, [*two, *three], tmp_path / "out"), "shards of different splits")


def test_merge_refuses_shards_of_another_commit(small, tmp_path):
    subprocess.run([*GIT, "init", "-q"], cwd=small, check=True)
    subprocess.run([*GIT, "add", "-A"], cwd=small, check=True)
    subprocess.run([*GIT, "commit", "-qm", "one"], cwd=small, check=True)
    first = _cli_shards(small, 2, tmp_path, which=[1])
    subprocess.run([*GIT, "commit", "-q", "--allow-empty", "-m", "two"], cwd=small, check=True)
    second = _cli_shards(small, 2, tmp_path, which=[2])
    _refused(_merge(small, [*first, *second], tmp_path / "out"), "was compiled from commit", "shards of another source")


def test_merge_refuses_shards_of_other_inputs(small, tmp_path):
    first = _cli_shards(small, 2, tmp_path, which=[1])
    job = small / "projects/more/job.yaml"
    job.write_text(job.read_text().replace("tune:1", "tune:2"))
    second = _cli_shards(small, 2, tmp_path, which=[2])
    _refused(_merge(small, [*first, *second], tmp_path / "out"), "from other input files")


def _set_version(folder: Path, version: str) -> None:
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["shard"]["tool"]["version"] = version
    (folder / "manifest.json").write_text(json.dumps(manifest))


def test_merge_refuses_shards_of_another_strata(small, tmp_path):
    folders = _cli_shards(small, 2, tmp_path)
    _set_version(folders[1], "9.9.9")
    _refused(_merge(small, folders, tmp_path / "out"), "compiled by strata 9.9.9")
    _set_version(folders[0], "9.9.9")
    _refused(_merge(small, folders, tmp_path / "out"), "this is strata", "merge with the strata that compiled")


def test_merge_refuses_an_edited_or_removed_file(small, tmp_path):
    folders = _cli_shards(small, 2, tmp_path)
    values = next(p for folder in folders for p in sorted(folder.rglob("values.yaml")))
    values.write_text(values.read_text() + "# edited\n")
    _refused(_merge(small, folders, tmp_path / "out"), "was changed after the compile")
    values.unlink()
    _refused(_merge(small, folders, tmp_path / "out"), "is missing (its manifest.json lists it)")


def test_merge_leaves_out_a_file_no_manifest_lists(small, tmp_path):
    folders = _cli_shards(small, 2, tmp_path)
    (folders[0] / "dev" / "stray.yaml").write_text("x: 1\n")
    assert _merge(small, folders, tmp_path / "out").exit_code == 0
    assert run(small, "compile", "--out", str(tmp_path / "full")).exit_code == 0
    assert _files(tmp_path / "out") == _files(tmp_path / "full")


def test_merge_refuses_a_symbolic_link_in_a_shard(small, tmp_path):
    folders = _cli_shards(small, 1, tmp_path)
    values = next(iter(sorted(folders[0].rglob("values.yaml"))))
    (tmp_path / "elsewhere.yaml").write_bytes(values.read_bytes())
    values.unlink()
    values.symlink_to(tmp_path / "elsewhere.yaml")
    _refused(_merge(small, folders, tmp_path / "out"), "is not a regular file")


def test_more_shards_than_cells_leaves_some_empty_and_still_merges(small, tmp_path):
    full = _full(small)
    folders = _shards(small, 8, tmp_path)
    assert any(json.loads((f / "manifest.json").read_text())["shard"]["folders"] == [] for f in folders)
    _assert_same(_merged(folders), full)


def test_merge_refuses_a_full_output_and_an_out_that_is_a_shard(small, tmp_path):
    assert run(small, "compile", "--out", str(tmp_path / "full")).exit_code == 0
    _refused(_merge(small, [tmp_path / "full"], tmp_path / "out"), "not a shard")
    folders = _cli_shards(small, 1, tmp_path)
    _refused(_merge(small, folders, folders[0]), "it would replace shard")


@pytest.mark.parametrize("value, message", [("0/4", "K must be between 1 and N (here 1 to 4)"),
                                            ("5/4", "K must be between 1 and N (here 1 to 4)"),
                                            ("1/0", "N, the number of shards, must be at least 1"),
                                            ("x", "expected K/N")])
def test_compile_refuses_a_bad_shard_value(small, tmp_path, value, message):
    result = run(small, "compile", "--shard", value, "--out", str(tmp_path / "out"))
    assert result.exit_code == 1 and f"--shard {value}: {message}" in result.output
    assert not (tmp_path / "out").exists()


def test_a_shard_compiles_the_whole_repository(small, tmp_path):
    result = run(small, "compile", "--shard", "1/2", "--env", "dev", "--out", str(tmp_path / "out"))
    assert result.exit_code == 1 and "drop --env and --project" in result.output


def test_a_gang_over_another_projects_queue_is_reported_by_the_shard_holding_it(tmp_path):
    """demo's Job runs in project platform's Volcano queue `burst` (4 GPUs) as a gang of 2 × 4:
    every shard with a demo cell renders platform's queue too, to see its limit."""
    from test_capacity_checks import GANG_OVER_ANOTHER_QUEUE

    repo = write_repo(tmp_path, GANG_OVER_ANOTHER_QUEUE)
    reported = set()
    for k in (1, 2, 3, 4):
        result = run(repo, "compile", "--shard", f"{k}/4", "--out", str(tmp_path / f"s{k}"))
        owned = {f for f in json.loads((tmp_path / f"s{k}/manifest.json").read_text())["shard"]["folders"]} \
            if result.exit_code == 0 else set()
        assert (result.exit_code == 1) == ("more than volcano queue burst allows (4" in result.output), result.output
        assert not {"dev/demo", "staging/demo"} & owned
        if result.exit_code == 1:
            reported |= set(re.search(r"demo/Job/train in ([^:]+):", result.output).group(1).split(", "))
    assert reported == {"dev", "staging"}


def test_merge_reads_shards_named_by_relative_paths_and_never_outside_them(small, tmp_path, monkeypatch):
    folders = _cli_shards(small, 2, tmp_path / "deep")
    monkeypatch.chdir(tmp_path / "deep")
    assert run(small, "merge", "../deep/s1of2", "../deep/s2of2", "--out", str(tmp_path / "out")).exit_code == 0
    manifest = json.loads((folders[0] / "manifest.json").read_text())
    entry = manifest["targets"][0]
    entry["outputs"] = {"../../elsewhere.yaml": next(iter(entry["outputs"].values()))}
    (folders[0] / "manifest.json").write_text(json.dumps(manifest))
    _refused(_merge(small, folders, tmp_path / "out2"), "../../elsewhere.yaml is not a regular file")
