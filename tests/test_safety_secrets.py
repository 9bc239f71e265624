"""Issue 9, secrets: plain values of env vars named like secrets are masked in plan and explain,
and policy forbidPlainSecrets makes them an error pointing to secretRef."""
from __future__ import annotations

import json
import os
import subprocess

import pytest

from compiler.secrets import looks_secret, mask_env
from repo_fixture import run, write_repo

JOB = "projects/demo/train.yaml"
OLD, NEW, ADDED = "hunter2-old-password", "correct-horse-battery", "ghp_added0token0value"


def job(env: str) -> str:
    return f"kind: Job\nname: train\nspec:\n  image: reg/train:1\n  env:\n{env}"


@pytest.mark.parametrize("name", ["DB_PASSWORD", "github_token", "ClientSecret", "AWS_SECRET_ACCESS_KEY", "API_KEY",
                                  "password", "X_TOKEN_FILE"])
def test_secret_looking_names(name):
    assert looks_secret(name)


@pytest.mark.parametrize("name", ["KEYCLOAK_URL", "MONKEY", "PATH", "NCCL_DEBUG", "KEY", "KEY_ID"])
def test_ordinary_names(name):
    assert not looks_secret(name)


def test_mask_env_masks_only_secret_looking_values_and_shares_the_rest():
    container = {"name": "main", "env": [{"name": "DB_PASSWORD", "value": "12345"}, {"name": "MODE", "value": "x"}]}
    masked = mask_env({"spec": {"containers": [container]}, "other": {"a": 1}})
    assert masked["spec"]["containers"][0]["env"] == [{"name": "DB_PASSWORD", "value": "(sensitive, 5 bytes)"},
                                                      {"name": "MODE", "value": "x"}]
    assert container["env"][0]["value"] == "12345"
    plain = {"env": [{"name": "MODE", "value": "x"}]}
    assert mask_env(plain) is plain


def _git(repo, *args):
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@t"})


def test_plan_masks_secret_looking_env_values_in_every_format(tmp_path):
    repo = write_repo(tmp_path / "repo", {".gitignore": "out/\n.strata/\n",
                                          JOB: job(f"    - {{name: DB_PASSWORD, value: {OLD}}}\n    - {{name: MODE, value: fast}}\n")})
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "base")
    write_repo(repo, {JOB: job(f"    - {{name: DB_PASSWORD, value: {NEW}}}\n    - {{name: MODE, value: slow}}\n"
                               f"    - {{name: GITHUB_TOKEN, value: {ADDED}}}\n")}, base=False)
    for fmt in ("text", "markdown", "json"):
        result = run(repo, "plan", "--base", "HEAD", "--format", fmt)
        assert result.exit_code == 0, result.output
        for leaked in (OLD, NEW, ADDED):
            assert leaked not in result.output, (fmt, leaked)
        assert "(sensitive, 21 bytes)" in result.output and "slow" in result.output, (fmt, result.output)
    doc = json.loads(run(repo, "plan", "--base", "HEAD", "--format", "json").output)
    causes = [c for e in doc["entries"] for c in e["caused_by"]["spec"]]
    assert {"path": "env[DB_PASSWORD].value", "old": "(sensitive, 20 bytes)", "new": "(sensitive, 21 bytes)"}.items() <= \
        next(c for c in causes if c["path"] == "env[DB_PASSWORD].value").items()


def test_explain_masks_secret_looking_env_values(tmp_path):
    repo = write_repo(tmp_path / "repo", {JOB: job(f"    - {{name: DB_PASSWORD, value: {OLD}}}\n    - {{name: MODE, value: fast}}\n")})
    for args in ((), ("--path", "env"), ("--path", "env[DB_PASSWORD]"), ("--path", "env[DB_PASSWORD].value")):
        result = run(repo, "explain", "demo/Job/train", "--env", "dev", *args)
        assert result.exit_code == 0, result.output
        assert OLD not in result.output and "(sensitive, 20 bytes)" in result.output, args
    assert "fast" in run(repo, "explain", "demo/Job/train", "--env", "dev").output


def test_policy_forbid_plain_secrets_points_to_secret_ref(tmp_path):
    repo = write_repo(tmp_path / "repo", {
        "environments/groups/test.yaml": "kind: EnvironmentGroup\nname: test\npolicy: {forbidPlainSecrets: true}\n",
        JOB: job(f"    - {{name: DB_PASSWORD, value: {OLD}}}\n    - name: API_TOKEN\n      secretRef: {{name: api, key: token}}\n")})
    result = run(repo, "compile")
    assert result.exit_code == 1
    assert (f"{JOB}:6:34: demo/Job/train in dev, staging: env var DB_PASSWORD holds a plain value but its name looks like a "
            "secret (*PASSWORD*, *TOKEN*, *SECRET*, *_KEY): policy forbidPlainSecrets needs `secretRef: {name: <Secret>, "
            "key: <key>}` instead of `value`") in result.output
    assert "API_TOKEN" not in result.output and OLD not in result.output


def test_the_example_prod_group_forbids_plain_secrets():
    from conftest import ROOT

    assert "forbidPlainSecrets: true" in (ROOT / "environments/groups/prod.yaml").read_text()
