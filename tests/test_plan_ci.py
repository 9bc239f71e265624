"""The ready-to-copy CI files and the pre-commit hook parse and run the documented commands."""
from __future__ import annotations

import yaml

from conftest import ROOT


def load(path: str):
    return yaml.safe_load((ROOT / path).read_text())


def scripts(node) -> str:
    """Every string in the document, joined: the shell lines wherever they are nested."""
    if isinstance(node, dict):
        return "\n".join(scripts(v) for v in node.values())
    if isinstance(node, list):
        return "\n".join(scripts(v) for v in node)
    return str(node)


def test_github_actions_plans_pull_requests_and_applies_per_environment():
    workflow = load("examples/ci/github-actions.yaml")
    jobs = workflow["jobs"]
    assert set(workflow[True]) == {"pull_request", "push"}          # YAML 1.1 reads `on` as True
    plan = scripts(jobs["plan"])
    assert "strata plan --base" in plan and "--out plan.md" in plan and "<!-- strata-plan -->" in plan
    assert "strata validate" in plan and jobs["plan"]["permissions"]["pull-requests"] == "write"
    apply = jobs["apply"]
    assert apply["strategy"]["matrix"]["env"] and apply["environment"] == "${{ matrix.env }}"
    assert "strata apply --env" in scripts(apply)


def test_gitlab_ci_plans_merge_requests_and_applies_per_environment():
    ci = load("examples/ci/gitlab-ci.yaml")
    assert "strata plan --base" in scripts(ci["plan"]) and "<!-- strata-plan -->" in scripts(ci["plan"])
    assert ci["plan"]["artifacts"]["paths"] == ["plan.md", "plan.json"]
    for job in ("apply:test", "apply:prod"):
        assert ci[job]["extends"] == ".apply" and ci[job]["parallel"]["matrix"][0]["ENV"]
    assert "strata apply --env" in scripts(ci[".apply"])


def test_pre_commit_hook_runs_validate():
    (hook,) = load(".pre-commit-hooks.yaml")
    assert hook["id"] == "strata-validate" and hook["entry"] == "strata validate"
    assert hook["pass_filenames"] is False and hook["language"] == "python"
