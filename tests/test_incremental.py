"""Digests and what a change re-renders: the same graph decides for `compile` reuse and `plan` scope."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from compiler.load.discover import BUILTIN_CHARTS_DIR
from compiler.output.cache import reuse_key
from compiler.output.state import State
from compiler.output.write import write_output
from compiler.pipeline import compile_repo
from compiler.plan import plan
from compiler.plan.build import StrataCompiler
from compiler.targets import target_key
from repo_fixture import write_repo
from test_plan_support import commit, committed_repo

DATASET = "projects/demo/data.yaml"
FILES = {
    DATASET: "kind: Dataset\nname: images\nspec:\n  sources: [{name: main, uri: 'pvc://shared/images'}]\n",
    "projects/demo/train.yaml": "kind: Job\nname: train\nspec:\n  image: reg/train:1\n"
                                "  datasets: [{name: images, mountPath: /data}]\n",
    "projects/demo/retrain.yaml": "kind: Pipeline\nname: retrain\nspec:\n  steps: [{name: fit, job: train}]\n",
    "projects/demo/other.yaml": "kind: Job\nname: other\nspec: {image: reg/other:1}\n",
    "projects/demo/lab.yaml": "kind: Notebook\nname: lab\nspec: {image: reg/lab:1}\n",
}
EXPECTED = {"dataset.images", "job.train", "pipeline.retrain"}   # in each of dev and staging


def edit_dataset(repo: Path) -> None:
    path = repo / DATASET
    path.write_text(path.read_text().replace("pvc://shared/images", "pvc://shared/images-v2"))


def compile_into(repo: Path, out: Path):
    """What `strata compile` does: reuse from `out`, write it, record what it was written with."""
    build = compile_repo(repo, reuse_from=out)
    state = State(repo)
    write_output(state, out, dict(build.files))
    state.write_cache(reuse_key(build.config.digest, out))
    return build


@pytest.fixture
def repo(tmp_path) -> Path:
    return committed_repo(tmp_path / "config", FILES)


def test_editing_a_dataset_rerenders_the_job_and_the_pipeline_embedding_it_and_nothing_else(repo):
    out = repo / "out"
    first = compile_into(repo, out)
    edit_dataset(repo)
    second = compile_into(repo, out)
    rendered = {(env, resource) for env, _, resource in second.rendered}
    assert rendered == {(env, r) for env in ("dev", "staging") for r in EXPECTED}
    changed = {key for key in second.digests if second.digests[key] != first.digests[key]}
    assert {(env, resource) for env, _, resource in changed} == rendered
    fresh = compile_repo(repo)   # what reuse produced is what a full render produces
    assert dict(second.files) == dict(fresh.files)


class Recording(StrataCompiler):
    """strata's compiler, noting which targets each side renders."""

    def __init__(self) -> None:
        self.chosen: list[set] = []

    def render(self, build, render_only):
        self.chosen.append({target_key(t)[::2] for t in build.targets if render_only is None or render_only(t)})
        return super().render(build, render_only)


def test_the_plan_renders_the_same_targets(repo):
    edit_dataset(repo)
    compiler = Recording()
    result = plan(repo, "main", compiler=compiler)
    expected = {(env, r) for env in ("dev", "staging") for r in EXPECTED}
    assert compiler.chosen == [expected, expected]                     # base side, then head side
    assert {(e.env, e.resource) for e in result.entries} <= expected
    assert result.rendered == len(expected)
    [cause] = result.notes[("dev", "demo", "job.train")].causes   # the Job's "because" is the Dataset's change
    assert cause.because() == "it mounts Dataset images, whose sources[main].uri changed"
    assert (cause.old, cause.new) == ("pvc://shared/images", "pvc://shared/images-v2")


def test_the_manifest_records_digest_and_references(repo):
    compile_into(repo, repo / "out")
    manifest = json.loads((repo / "out/manifest.json").read_text())
    entries = {t["id"]: t for t in manifest["targets"] if t["env"] == "dev"}
    assert entries["demo/Pipeline/retrain"]["references"] == ["demo/Job/train"]
    assert entries["demo/Job/train"]["references"] == ["demo/Dataset/images"]
    assert entries["demo/Job/other"]["references"] == []
    assert all(len(e["digest"]) == 64 for e in entries.values())
    assert manifest["format_version"] == "1.4"


def test_a_digest_covers_strata_yaml_and_charts(repo, tmp_path):
    before = compile_repo(repo).digests
    (repo / "strata.yaml").write_text("output: out\n")
    after = compile_repo(repo).digests
    assert all(before[k] != after[k] for k in before)   # strata.yaml reaches every target
    shutil.copytree(BUILTIN_CHARTS_DIR, repo / "charts")   # the repo's own copy of the chart: its files are inputs
    write_repo(repo, {"projects/demo/model.yaml": "kind: Model\nname: m\nspec:\n  versions: [{version: 1, uri: 's3://m/1/'}]\n",
                      "projects/demo/svc.yaml": "kind: Service\nname: svc\nspec: {image: reg/svc:1, model: {name: m, version: 1}}\n"},
               base=False)
    key = ("dev", "demo", "service.svc")
    first = compile_repo(repo).digests[key]
    chart = repo / "charts/model-service/values.yaml"
    chart.write_text(chart.read_text() + "\n# a comment\n")
    assert compile_repo(repo).digests[key] != first
