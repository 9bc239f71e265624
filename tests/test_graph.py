"""The target graph: references declared on schema fields, resolved after the merge."""
from __future__ import annotations

import pickle
from dataclasses import FrozenInstanceError

import pytest

from compiler.merge.targets_of import Selection
from compiler.pipeline import load_stage, render_stage
from compiler.render import RenderContext, UndeclaredReference
from conftest import ROOT
from repo_fixture import run, write_repo

CV = "cv-shoe-identify"


def edges(graph, env: str) -> dict[str, list[str]]:
    """resource → the resources it references, for one environment (targets without any left out)."""
    return {key[2]: [other[2] for other in graph.references(key)]
            for key in sorted(graph.nodes) if key[0] == env and graph.references(key)}


def test_the_example_repo_graph():
    graph = load_stage(ROOT).graph
    assert edges(graph, "dev") == {
        "job.train-resnet": ["dataset.shoe-images"],
        "job.train-vit-ddp": ["dataset.shoe-images"],
        "notebook.shoe-lab": ["dataset.shoe-images"],
        "pipeline.retrain-weekly": ["dataset.shoe-images", "job.train-resnet"],
        "service.shoe-search": ["model.shoe-embedder"],
        "job.forecast-dau": ["dataset.metrics-store"],
        "job.forecast-gmv": ["dataset.metrics-store"],
        "job.forecast-orders": ["dataset.metrics-store"],
        "job.forecast-refund-rate": ["dataset.metrics-store"],
        "pipeline.hourly-forecast": ["dataset.metrics-store"],
        "job.ctr-wide-deep": ["dataset.user-behavior"],
        "job.xgb-rerank": ["dataset.user-behavior"],
        "service.ranking-online": ["model.ctr-ranker"],
    }
    dataset = ("dev", CV, "dataset.shoe-images")
    assert sorted(k[2] for k in graph.dependants([dataset])) == [
        "job.train-resnet", "job.train-vit-ddp", "notebook.shoe-lab", "pipeline.retrain-weekly"]
    assert graph.dependants([("dev", CV, "pipeline.retrain-weekly")]) == frozenset()


def test_inputs_follow_the_edges():
    graph = load_stage(ROOT).graph
    pipeline = graph.inputs[("dev", CV, "pipeline.retrain-weekly")]
    # the Job it embeds, that Job's layers and the Dataset both mount
    assert {f"projects/{CV}/training/train-resnet.yaml", f"projects/{CV}/data/shoe-images.yaml",
            "layers/training-pytorch.yaml"} <= set(pipeline)
    service = graph.inputs[("dev", CV, "service.shoe-search")]
    assert f"projects/{CV}/models/shoe-embedder.yaml" in service
    assert not any(f.startswith("charts/") for f in service)   # strata's own chart: in its fingerprint, not here


def test_a_renderer_sees_only_its_references_resolved():
    build = load_stage(ROOT)
    resolved = build.graph.resolved(("dev", CV, "pipeline.retrain-weekly"))
    assert sorted(resolved) == [("Dataset", "shoe-images"), ("Job", "train-resnet")]
    assert resolved[("Job", "train-resnet")].env.name == "dev"


JOB_WITH_TYPO = """\
kind: Job
name: train
spec:
  image: reg/train:1
  datasets: [{name: imagenett, mountPath: /data}]
"""
DATASET = "kind: Dataset\nname: imagenet\nspec:\n  sources: [{name: main, uri: 'pvc://shared/imagenet'}]\n"
MODEL = "kind: Model\nname: ctr\nspec:\n  versions: [{version: 1, uri: 's3://m/1/'}]\n"
SERVICE = "kind: Service\nname: svc\nspec:\n  image: reg/svc:1\n  model: {name: ctrr, version: 1}\n"
PIPELINE = "kind: Pipeline\nname: p\nspec:\n  steps:\n  - {name: a, job: trian}\n"

EXPECTED = [   # (where, what): each found in every environment, reported once
    ("projects/demo/train.yaml:5:21: demo/Job/train in ", "dataset 'imagenett' is not defined in project demo here; "
                                                          "did you mean 'imagenet'?"),
    ("projects/demo/svc.yaml:5:17: demo/Service/svc in ", "unknown model 'ctrr': no Model named so in project demo; "
                                                        "did you mean 'ctr'?"),
    ("projects/demo/p.yaml:5:20: demo/Pipeline/p in ", "step 'a': no Job 'trian' in project demo here; "
                                                      "did you mean 'train'?"),
]


def typo_repo(tmp_path):
    return write_repo(tmp_path, {"projects/demo/train.yaml": JOB_WITH_TYPO, "projects/demo/data.yaml": DATASET,
                                 "projects/demo/model.yaml": MODEL, "projects/demo/svc.yaml": SERVICE,
                                 "projects/demo/p.yaml": PIPELINE})


def test_unknown_references_are_located_with_a_suggestion_in_validate(tmp_path):
    result = run(typo_repo(tmp_path), "validate")
    assert result.exit_code == 1
    for where, what in EXPECTED:
        assert f"{where}dev, staging: {what}" in result.output, result.output


def test_explain_sees_unknown_references_too(tmp_path):
    result = run(typo_repo(tmp_path), "explain", "demo/Job/train", "--env", "dev")
    assert result.exit_code == 1
    for where, what in EXPECTED:
        assert f"{where}dev: {what}" in result.output, result.output


def test_targets_are_frozen_and_what_crosses_a_stage_pickles():
    build = render_stage(load_stage(ROOT, Selection(envs=("dev",))))
    target = build.targets[0]
    with pytest.raises(FrozenInstanceError):
        target.files = ()   # type: ignore[misc]
    key = next(k for k in build.rendered if k[2] == "service.shoe-search")
    for value in (target, build.graph, build.rendered[key]):
        assert pickle.loads(pickle.dumps(value)) == value
    assert dict(build.rendered[key].records)["model"]["name"] == "shoe-embedder"


def test_a_renderer_cannot_read_a_target_its_spec_does_not_reference():
    ctx = RenderContext(repo=ROOT, references={("Dataset", "known"): None})
    assert ctx.find("Dataset", "known") is None          # referenced, but unknown: reported by the graph
    with pytest.raises(UndeclaredReference):
        ctx.find("Dataset", "other")
