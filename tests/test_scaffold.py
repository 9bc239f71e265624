"""`strata init` and `strata new`: a starter repository and resource files that compile at once,
and the platform chart that ships inside strata."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from compiler import __version__
from compiler.cli import main
from compiler.load.discover import BUILTIN_CHARTS_DIR
from compiler.scaffold import NEW_KINDS, SCHEDULERS, requirement_from_direct_url
from conftest import CRDS, ROOT, require_crds


def strata(*args: str, cwd: Path):
    """The real CLI, in-process, from `cwd` (as a user types it: no --repo)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(cwd)
        return CliRunner().invoke(main, list(args), catch_exceptions=False)


def init(tmp_path: Path, *args: str) -> Path:
    result = strata("init", "demo", *args, cwd=tmp_path)
    assert result.exit_code == 0, result.output
    return tmp_path / "demo"


def compile_and_validate(repo: Path, crds: bool = True) -> str:
    result = strata("compile", cwd=repo)
    assert result.exit_code == 0, result.output
    extra = ("--crds", str(require_crds())) if crds else ()
    checked = strata("validate", *extra, cwd=repo)
    assert checked.exit_code == 0, checked.output
    return result.output + checked.output


# --- strata init ----------------------------------------------------------------------------

@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_init_compiles_and_validates_against_upstream_crds(tmp_path, scheduler):
    repo = init(tmp_path, "--scheduler", scheduler)
    output = compile_and_validate(repo)
    assert "Compiled 8 targets" in output and "Valid: 8 targets" in output   # both count the same way
    assert "checked against Kubernetes and CRD schemas" in output
    group = yaml.safe_load((repo / "environments/groups/platform.yaml").read_text())
    assert group["scheduler"] == scheduler


def test_init_validates_without_crds_and_says_custom_resources_are_unchecked(tmp_path):
    repo = init(tmp_path)
    assert strata("compile", cwd=repo).exit_code == 0
    result = strata("validate", cwd=repo)
    assert result.exit_code == 0, result.output
    assert "warning: no CustomResourceDefinition in crds/" in result.output
    assert "kubectl get crd -o yaml" in result.output and "custom resources unchecked" in result.output


def test_init_writes_a_commented_repository_with_its_ci_and_ignores(tmp_path):
    repo = init(tmp_path)
    files = sorted(p.relative_to(repo).as_posix() for p in repo.rglob("*") if p.is_file())
    for expected in (".gitignore", ".github/workflows/strata.yaml", ".gitlab-ci.yml", "strata.yaml", "README.md",
                     "crds/README.md", "requirements-strata.txt", "environments/groups/platform.yaml",
                     "environments/dev.yaml", "environments/prod.yaml", "projects/example/project.yaml"):
        assert expected in files
    kinds = {re.search(r"^kind: (\w+)$", (repo / f).read_text(), re.M).group(1) for f in files if f.startswith("projects/")}
    assert kinds == {"Project", "Dataset", "Job", "Model", "Service", "Pipeline"}
    assert len([f for f in files if f.startswith("layers/")]) >= 6
    assert (repo / ".gitignore").read_text().splitlines()[1:] == ["out/", "site/", ".strata/", ".schemas/"]
    assert (repo / ".github/workflows/strata.yaml").read_bytes() == (ROOT / "examples/ci/github-actions.yaml").read_bytes()
    assert (repo / ".gitlab-ci.yml").read_bytes() == (ROOT / "examples/ci/gitlab-ci.yaml").read_bytes()
    for name in files:
        text = (repo / name).read_text()
        assert "%%" not in text, name
        if name.endswith((".yaml", ".yml")) and not name.startswith("."):
            assert text.startswith("#"), f"{name} starts without a comment"
    assert (repo / "requirements-strata.txt").read_text().rstrip().endswith(f"strata-gitops=={__version__}")


def test_init_refuses_a_folder_that_is_not_empty_and_touches_nothing(tmp_path):
    target = tmp_path / "demo"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    result = strata("init", "demo", cwd=tmp_path)
    assert result.exit_code == 1 and "not an empty folder" in result.output
    assert [p.name for p in target.iterdir()] == ["notes.txt"] and (target / "notes.txt").read_text() == "mine"
    (tmp_path / "file").write_text("x")
    assert strata("init", "file", cwd=tmp_path).exit_code == 1


def test_init_into_the_current_empty_folder_and_a_new_nested_one(tmp_path):
    here = tmp_path / "here"
    here.mkdir()
    result = strata("init", cwd=here)
    assert result.exit_code == 0 and "Next: strata compile" in result.output
    assert (here / "strata.yaml").is_file()
    assert strata("init", "a/b/c", cwd=tmp_path).exit_code == 0 and (tmp_path / "a/b/c/strata.yaml").is_file()


def test_init_rejects_an_unknown_scheduler(tmp_path):
    result = strata("init", "demo", "--scheduler", "slurm", cwd=tmp_path)
    assert result.exit_code == 1 and not (tmp_path / "demo").exists()


def test_requirement_pins_what_was_installed():
    git = {"url": "https://github.com/acme/strata", "vcs_info": {"vcs": "git", "commit_id": "a" * 40}}
    assert requirement_from_direct_url(git, "0.1.0") == f"strata-gitops @ git+https://github.com/acme/strata@{'a' * 40}"
    wheel = {"url": "https://files.example.com/strata_gitops-0.1.0-py3-none-any.whl",
             "archive_info": {"hashes": {"sha256": "b" * 64}}}
    assert requirement_from_direct_url(wheel, "0.1.0") == \
        f"strata-gitops @ https://files.example.com/strata_gitops-0.1.0-py3-none-any.whl#sha256={'b' * 64}"
    local = {"url": "file:///tmp/strata_gitops-0.1.0-py3-none-any.whl", "archive_info": {}}
    for direct in (None, local, {"url": "file:///src/strata", "dir_info": {"editable": True}}):
        assert requirement_from_direct_url(direct, "0.1.0") == "strata-gitops==0.1.0"


# --- strata new -----------------------------------------------------------------------------

def test_every_new_kind_compiles_and_validates(tmp_path):
    repo = init(tmp_path)
    commands = [("project", "vision"), ("dataset", "frames", "--project", "vision"),
                ("job", "train-detector", "--project", "vision"), ("model", "detector", "--project", "vision"),
                ("service", "detect", "--project", "vision"), ("pipeline", "nightly", "--project", "vision"),
                ("notebook", "lab", "--project", "vision"), ("service", "classify-v2", "--project", "example")]
    assert {c[0] for c in commands} == set(NEW_KINDS)
    written = []
    for command in commands:
        result = strata("new", *command, cwd=repo / "projects")     # from a sub-folder, as users do
        assert result.exit_code == 0, result.output
        written.append(result.output.split()[1].rstrip("."))
    assert written == ["projects/vision/project.yaml", "projects/vision/data/frames.yaml",
                       "projects/vision/training/train-detector.yaml", "projects/vision/models/detector.yaml",
                       "projects/vision/serving/detect.yaml", "projects/vision/pipelines/nightly.yaml",
                       "projects/vision/notebooks/lab.yaml", "projects/example/serving/classify-v2.yaml"]
    for path in written:
        assert (repo / path).read_text().startswith("# ")
    assert yaml.safe_load((repo / written[0]).read_text())["environments"] == ["platform"]
    assert yaml.safe_load((repo / written[4]).read_text())["spec"]["model"] == {"name": "detector", "version": 1}
    assert yaml.safe_load((repo / written[-1]).read_text())["spec"]["model"] == {"name": "classifier", "version": 1}
    output = compile_and_validate(repo, crds=CRDS.is_dir())
    assert "Compiled 20 targets" in output


def test_new_never_overwrites(tmp_path):
    repo = init(tmp_path)
    job = repo / "projects/example/training/train-classifier.yaml"
    before = job.read_bytes()
    result = strata("new", "job", "train-classifier", cwd=repo)
    assert result.exit_code == 1 and "already has a Job train-classifier" in result.output
    assert job.read_bytes() == before
    assert strata("new", "job", "again", cwd=repo).exit_code == 0
    result = strata("new", "job", "again", cwd=repo)
    assert result.exit_code == 1 and "already" in result.output
    result = strata("new", "project", "example", cwd=repo)
    assert result.exit_code == 1 and "projects/example/project.yaml: already exists" in result.output


@pytest.mark.parametrize(("args", "message"), [
    (("job", "Train_1"), "a name is lower-case letters"),
    (("job", "x", "--project", "nope"), "--project nope: no projects/nope/project.yaml"),
    (("service", "api", "--model", "nope"), "--model nope: project example has no Model nope"),
    (("job", "x", "--model", "m"), "--model goes with strata new service only"),
    (("project", "p", "--project", "example"), "takes no --project"),
])
def test_new_explains_what_is_wrong(tmp_path, args, message):
    repo = init(tmp_path)
    result = strata("new", *args, cwd=repo)
    assert result.exit_code == 1 and message in result.output, result.output
    assert "Traceback" not in result.output


def test_new_asks_for_the_project_or_model_when_there_is_a_choice(tmp_path):
    repo = init(tmp_path)
    assert strata("new", "project", "second", cwd=repo).exit_code == 0
    result = strata("new", "job", "x", cwd=repo)
    assert result.exit_code == 1 and "which project? pass --project (one of example, second)" in result.output
    result = strata("new", "service", "api", "--project", "second", cwd=repo)
    assert result.exit_code == 1 and "strata new model NAME --project second" in result.output


# --- the platform chart shipped inside strata ------------------------------------------------

def _chart_copy(repo: Path, version: str) -> None:
    chart = repo / "charts" / "model-service"
    shutil.copytree(BUILTIN_CHARTS_DIR / "model-service", chart)
    text = (chart / "Chart.yaml").read_text()
    (chart / "Chart.yaml").write_text(text.replace("version: 0.1.0", f"version: {version}", 1))


def _chart_label(repo: Path) -> str:
    manifests = (repo / "out/prod/example/service-classifier/manifests.yaml").read_text()
    return next(doc for doc in yaml.safe_load_all(manifests) if doc["kind"] == "Deployment")[
        "metadata"]["labels"]["helm.sh/chart"]


def test_a_repo_without_charts_uses_the_chart_inside_strata(tmp_path):
    repo = init(tmp_path)
    assert not (repo / "charts").exists()
    assert strata("compile", cwd=repo).exit_code == 0
    assert _chart_label(repo) == "model-service-0.1.0"
    manifest = json.loads((repo / "out/manifest.json").read_text())
    entry = next(t for t in manifest["targets"] if t["folder"] == "prod/example/service-classifier")
    assert not [f for f in entry["inputs"] if "chart" in f]     # strata's own files: its fingerprint covers them


def test_the_repos_own_chart_wins_unless_strata_yaml_pins_strata_first(tmp_path):
    repo = init(tmp_path)
    _chart_copy(repo, "0.2.0")
    assert strata("compile", cwd=repo).exit_code == 0
    assert _chart_label(repo) == "model-service-0.2.0"
    manifest = json.loads((repo / "out/manifest.json").read_text())
    entry = next(t for t in manifest["targets"] if t["folder"] == "prod/example/service-classifier")
    assert "charts/model-service/Chart.yaml" in entry["inputs"]
    settings = (repo / "strata.yaml").read_text().replace("charts: [charts]", 'charts: ["@strata", charts]')
    (repo / "strata.yaml").write_text(settings)
    assert strata("compile", cwd=repo).exit_code == 0
    assert _chart_label(repo) == "model-service-0.1.0"


def test_version_comes_from_one_place():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and result.output == f"strata, version {__version__}\n"
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in project["project"] and project["project"]["dynamic"] == ["version"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "compiler.__version__"}
    data = project["tool"]["setuptools"]["package-data"]["compiler"]
    assert "charts/**/*" in data and "templates/**/*" in data
