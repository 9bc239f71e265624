"""The CLI: summary line, partial and full rewrites of out/, schema export, usage errors."""
from __future__ import annotations

import json

from repo_fixture import run, write_repo


def _files(out):
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())


def test_compile_writes_spec_layout_and_summary(tmp_path):
    repo = write_repo(tmp_path)
    result = run(repo, "compile")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Compiled 2 targets (")
    files = _files(repo / "out")
    assert "dev/demo/job-train/values.yaml" in files and "staging/demo/job-train/manifests.yaml" in files
    assert "dev/demo/project.yaml" in files and "manifest.json" in files
    manifest = json.loads((repo / "out/manifest.json").read_text())
    entry = next(t for t in manifest["targets"] if t["folder"] == "dev/demo/job-train")
    assert set(entry["inputs"]) == {"environments/dev.yaml", "environments/groups/test.yaml",
                                    "projects/demo/project.yaml", "projects/demo/train.yaml"}
    assert entry["objects"] == [{"apiVersion": "batch/v1", "kind": "Job", "name": "train", "namespace": "demo-dev"}]
    assert manifest["format_version"] == "1.4" and manifest["tool"]["name"] == "strata"


def test_values_yaml_is_the_effective_spec(tmp_path):
    repo = write_repo(tmp_path)
    run(repo, "compile")
    text = (repo / "out/dev/demo/job-train/values.yaml").read_text()
    assert "image: reg.dev.local/demo/train:1.0" in text and "backoffLimit: 3" in text


def test_partial_compile_rewrites_only_its_selection(tmp_path):
    repo = write_repo(tmp_path)
    run(repo, "compile")
    staging_before = (repo / "out/staging/demo/job-train/values.yaml").read_bytes()
    write_repo(repo, {"projects/demo/train.yaml": "kind: Job\nname: train\nspec: {image: 'new:2'}\n"}, base=False)
    result = run(repo, "compile", "--env", "dev")
    assert result.exit_code == 0, result.output
    assert "new:2" in (repo / "out/dev/demo/job-train/values.yaml").read_text()
    assert (repo / "out/staging/demo/job-train/values.yaml").read_bytes() == staging_before
    manifest = json.loads((repo / "out/manifest.json").read_text())
    assert {t["env"] for t in manifest["targets"]} == {"dev", "staging"}


def test_full_compile_removes_targets_that_no_longer_exist(tmp_path):
    repo = write_repo(tmp_path, {"projects/demo/extra.yaml": "kind: Job\nname: extra\nspec: {image: 'x:1'}\n"})
    run(repo, "compile")
    assert (repo / "out/dev/demo/job-extra").is_dir()
    (repo / "projects/demo/extra.yaml").unlink()
    assert run(repo, "compile").exit_code == 0
    assert not (repo / "out/dev/demo/job-extra").exists()


def test_out_option_and_strata_yaml_output(tmp_path):
    repo = write_repo(tmp_path, {"strata.yaml": "output: build/out\n"})
    assert run(repo, "compile").exit_code == 0
    assert (repo / "build/out/manifest.json").is_file()
    assert run(repo, "compile", "--out", str(tmp_path / "elsewhere")).exit_code == 0
    assert (tmp_path / "elsewhere/manifest.json").is_file()


def test_schema_writes_one_json_schema_per_kind_and_the_combined_one(tmp_path):
    repo = write_repo(tmp_path)
    result = run(repo, "schema", "--out", str(tmp_path / "schemas"))
    assert result.exit_code == 0
    names = sorted(p.name for p in (tmp_path / "schemas").iterdir())
    assert names == sorted(f"{k}.schema.json" for k in ("apptype", "dataset", "environment", "environmentgroup",
                                                          "job", "model", "notebook", "pipeline", "project", "service",
                                                          "strata"))


def test_usage_errors_exit_1(tmp_path):
    repo = write_repo(tmp_path)
    assert run(repo, "compile", "--bogus").exit_code == 1
    assert run(repo, "explain", "demo/Job/train").exit_code == 1          # --env missing
    result = run(repo, "compile", "--env", "prod")
    assert result.exit_code == 1 and "--env prod: no such environment" in result.output


def test_explain_unknown_resource(tmp_path):
    result = run(write_repo(tmp_path), "explain", "demo/Job/nope", "--env", "dev")
    assert result.exit_code == 1 and "demo/Job/nope: no such resource deployed to environment dev" in result.output


def test_unwritable_output_is_a_user_error(tmp_path):
    repo = write_repo(tmp_path / "repo")
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = run(repo, "compile", "--out", str(blocker / "out"))
    assert result.exit_code == 1 and "cannot write" in result.output and "internal error" not in result.output
