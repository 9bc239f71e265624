"""The benchmark's repo generator: deterministic, the counts it promises, input strata accepts.

No timing here: bench/run.py measures, tests only check that it measures the right thing.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from conftest import ROOT

SMALL = dict(projects=6, envs=3, app_type_count=9, resources_per_project=2)


def _bench_module(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module     # dataclasses look their module up while being created
    spec.loader.exec_module(module)
    return module


generate = _bench_module("generate")
baseline = _bench_module("baseline")


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def small_repo(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "repo"
    summary = generate.generate(out, seed=3, **SMALL)
    return out, summary


def test_same_seed_same_bytes(tmp_path, small_repo):
    out, _ = small_repo
    again = tmp_path / "again"
    generate.generate(again, seed=3, **SMALL)
    assert _snapshot(again) == _snapshot(out)


def test_other_seed_other_repo(tmp_path, small_repo):
    out, _ = small_repo
    other = tmp_path / "other"
    generate.generate(other, seed=4, **SMALL)
    assert _snapshot(other) != _snapshot(out)


def test_counts(small_repo):
    out, summary = small_repo
    assert (summary.projects, summary.environments, summary.app_types) == (6, 3, 9)
    assert summary.groups == 2                                      # dev-1, dev-2 / test-1
    assert summary.resources == 6 * 2
    assert summary.targets == 6 * 2 * 3
    assert len(list(out.glob("projects/*/project.yaml"))) == 6
    assert len(list(out.glob("environments/*.yaml"))) == 3
    assert len(list(out.glob("layers/*.yaml"))) == 9
    assert sorted(out.glob("layers/*-v2.yaml"))                      # variants `extends` a family


def test_default_size_is_3600_targets():
    envs = generate.environments(6)
    assert [e.name for e in envs] == ["dev-1", "dev-2", "test-1", "test-2", "prod-1", "prod-2"]
    assert 200 * 3 * len(envs) == 3600


def test_strata_compiles_the_repo(small_repo):
    """Every generated target merges, validates and renders (quota, policies, references included)."""
    from compiler.pipeline import compile_repo

    out, summary = small_repo
    build = compile_repo(out)          # raises StrataError listing every problem
    deployed = [t for t in build.targets if t.kind != "Model"]
    assert len(deployed) == summary.targets
    assert build.warnings == []


def test_baseline_writes_every_target(tmp_path, small_repo):
    out, summary = small_repo
    assert baseline.compile_baseline(out, tmp_path / "out") == summary.targets
    assert len(list((tmp_path / "out").rglob("values.yaml"))) == summary.targets


def test_baseline_merge_rules():
    lower = {"a": {"b": 1, "c": [1]}, "d": 1}
    assert baseline.deep_merge(lower, {"a": {"c": [2]}, "d": None}) == {"a": {"b": 1, "c": [2]}}
    assert baseline.deep_merge(lower, {"a": baseline.Replace({"x": 1})}) == {"a": {"x": 1}, "d": 1}
    assert baseline.deep_merge([1], baseline.Append([2])) == [1, 2]


def test_a_step_is_timed_to_its_exit_not_to_the_next_memory_sample(tmp_path):
    """The memory is sampled every 0.1 s; the wall clock must not be: a quick command reads as quick
    (the daemon rows are a few tenths of a second, and a sampling step would round them up)."""
    run = _bench_module("run")
    step = run.timed("true", ["true"], tmp_path)
    assert step.ok and step.seconds < 0.09
    assert run._seconds(0.334) == "0.33" and run._seconds(9.44) == "9.4"
