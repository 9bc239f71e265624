"""A config repo and a Kubernetes API double for the apply tests.

The repo: environment `dev` (cluster `dev-cluster`) with project `demo`: a batch Job, a
PyTorchJob mounting an NFS Dataset (PV + PVC), a Notebook with its workspace PVC.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kube_double import KubeDouble
from repo_fixture import run, write_repo

APPLY_REPO = {
    "projects/demo/project.yaml": """
        kind: Project
        name: demo
        owner: team-demo
        environments: [dev]
        quota:
          default: {cpu: "64", memory: 512Gi, gpu: {t4: 8}}
        """,
    "projects/demo/data.yaml": """
        kind: Dataset
        name: shared
        spec:
          sources:
            - {name: main, uri: "nfs://nas.dev.local/exports/shared"}
          cache: {engine: none}
        """,
    "projects/demo/ddp.yaml": """
        kind: Job
        name: ddp
        spec:
          framework: pytorch
          image: ${env.vars.registry}/demo/ddp:1.0
          command: [torchrun, train.py]
          replicas: {master: 1, worker: 1}
          resources: {cpu: "4", memory: 16Gi, gpu: 1, gpuType: t4}
          datasets:
            - {name: shared, mountPath: /data}
        """,
    "projects/demo/lab.yaml": """
        kind: Notebook
        name: lab
        spec:
          image: ${env.vars.registry}/jupyter:1.0
          resources: {cpu: "2", memory: 8Gi}
          workspace: {size: 20Gi}
        """,
}


def make_repo(root: Path, files: dict | None = None) -> Path:
    return write_repo(root, {**APPLY_REPO, **(files or {})})


@contextmanager
def cluster(tmp_path: Path, files: dict | None = None, *, applied: bool = False) -> Iterator[tuple[Path, KubeDouble, Path]]:
    """(repo, API double, kubeconfig); `applied`: after a first apply, with the request log cleared."""
    repo = make_repo(tmp_path / "repo", files)
    with KubeDouble() as kube:
        config = kube.kubeconfig(tmp_path)
        if applied:
            assert apply(repo, config).exit_code == 0
            kube.reset_requests()
        yield repo, kube, config


def strata(repo: Path, *args: str):
    return run(repo, *args)


def apply(repo: Path, config: Path, *args: str, env: str = "dev"):
    return run(repo, "apply", "--env", env, "--kubeconfig", str(config), *args)


def apply_json(repo: Path, config: Path, *args: str, env: str = "dev") -> tuple[int, dict]:
    result = apply(repo, config, "--format", "json", *args, env=env)
    try:
        return result.exit_code, json.loads(result.stdout)
    except ValueError:
        raise AssertionError(result.output) from None


def statuses(document: dict) -> dict[str, str]:
    """`Kind namespace/name` → status, from apply's JSON."""
    return {f"{o['kind']} {o['namespace'] or ''}/{o['name']}".replace(" /", " "): o["status"] for o in document["objects"]}


def write(repo: Path, rel: str, text: str | None) -> None:
    """Change one file of the repo (None removes it)."""
    import textwrap

    path = repo / rel
    if text is None:
        path.unlink()
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
