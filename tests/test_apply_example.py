"""The embedded example's environments, applied to the API double: every kind strata emits
(Helm-rendered Deployments, KServe, Kubeflow, Fluid, Argo, Volcano, Kueue) applies, and a
second apply and a live plan find nothing to do."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from apply_fixture import apply, apply_json, strata
from kube_double import KubeDouble

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("env", ["dev", "staging", "prod-sh"])
def test_the_example_applies_and_converges(tmp_path, env):
    repo = tmp_path / "repo"
    repo.mkdir()
    for entry in ("strata.yaml", "layers", "environments", "projects"):   # Services use the chart inside strata
        source = ROOT / entry
        (shutil.copytree if source.is_dir() else shutil.copy)(source, repo / entry)
    with KubeDouble() as kube:
        env_file = repo / "environments" / f"{env}.yaml"
        # every cluster of the environment (block or flow style) points at the double
        env_file.write_text(re.sub(r'server: "?[^\s",}]+"?', f'server: "{kube.url}"', env_file.read_text()))
        config = kube.kubeconfig(tmp_path, cluster="example")
        code, doc = apply_json(repo, config, env=env)
        assert code == 0, [o for o in doc["objects"] if o["status"] != "created"]
        assert doc["summary"]["created"] == len(doc["objects"]) > 10
        assert doc["summary"]["failed"] == 0
        kube.reset_requests()
        code, doc = apply_json(repo, config, env=env)
        changed = [o for o in doc["objects"] if o["status"] != "unchanged"]
        assert code == 0 and changed == []
        assert kube.writes() == []
        result = strata(repo, "plan", "--live", "--env", env, "--kubeconfig", str(config), "--detailed-exitcode")
        assert result.exit_code == 0, result.output
        assert apply(repo, config, "--prune", env=env).exit_code == 0
