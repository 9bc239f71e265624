"""A committed config repo, the Kubernetes API double and (optionally) the Argo Server double,
for the `strata run` / `strata runs` tests — plus a controller the tests play.

The repo: environments `dev` (cluster dev-cluster, runs from a dirty tree allowed) and
`staging` (its own cluster, committed config only), a lock (`Job.activeDeadline`), a policy
(pinned images) and a GPU quota (4 × t4) in dev; project `demo` with a PyTorchJob `train`,
a batch Job `prep`, a scheduled batch Job `nightly` and a Pipeline `flow` (a container step
and a `job:` step, param `epochs`).
"""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from argo_double import ArgoDouble
from kube_double import KubeDouble
from repo_fixture import run, write_repo
from test_plan_support import commit, init_repo

RUN_REPO = {
    "environments/dev.yaml": """
        kind: Environment
        name: dev
        group: test
        cluster: {name: dev-cluster}
        namespaceSuffix: -dev
        vars: {registry: reg.dev.local}
        runs: {allowDirty: true}
        locked: [Job.activeDeadline]
        defaults:
          Job: {activeDeadline: 2h}
        policy: {requirePinnedImages: true}
        """,
    "environments/staging.yaml": """
        kind: Environment
        name: staging
        group: test
        cluster: {name: staging-cluster}
        namespaceSuffix: -staging
        """,
    "projects/demo/project.yaml": """
        kind: Project
        name: demo
        owner: team-demo
        environments: [test]
        quota:
          default: {cpu: "64", memory: 256Gi, gpu: {t4: 4}}
        """,
    "projects/demo/train.yaml": """
        kind: Job
        name: train
        spec:
          framework: pytorch
          image: ${env.vars.registry}/demo/train:1.0
          command: [torchrun, train.py]
          replicas: {master: 1}
          resources: {cpu: "4", memory: 16Gi, gpu: 1, gpuType: t4}
          env:
            - {name: LR, value: "1e-3"}
        """,
    "projects/demo/prep.yaml": """
        kind: Job
        name: prep
        spec:
          image: ${env.vars.registry}/demo/prep:1.0
          command: [python, prep.py]
          resources: {cpu: "1", memory: 2Gi}
        """,
    "projects/demo/nightly.yaml": """
        kind: Job
        name: nightly
        spec:
          image: ${env.vars.registry}/demo/nightly:1.0
          command: [python, nightly.py]
          resources: {cpu: "1", memory: 2Gi}
          schedule: {cron: "0 2 * * *", timezone: UTC}
        """,
    "projects/demo/flow.yaml": """
        kind: Pipeline
        name: flow
        spec:
          params:
            - {name: epochs, default: "3"}
          steps:
            - name: fetch
              container:
                image: ${env.vars.registry}/demo/fetch:1.0
                args: [--epochs, "{{workflow.parameters.epochs}}"]
                resources: {cpu: "1", memory: 1Gi}
            - name: train
              after: [fetch]
              job: prep
        """,
}


@dataclass
class Cluster:
    repo: Path
    kube: KubeDouble
    config: Path
    argo: ArgoDouble | None = None

    def run(self, *args: str, env: str = "dev"):
        return run(self.repo, "run", *args, "--env", env, "--kubeconfig", str(self.config))

    def run_json(self, *args: str, env: str = "dev") -> tuple[int, dict]:
        result = self.run(*args, "--format", "json", env=env)
        try:
            return result.exit_code, json.loads(result.stdout)
        except ValueError:
            raise AssertionError(result.output) from None

    def runs(self, *args: str):
        return run(self.repo, "runs", "--kubeconfig", str(self.config), *args)

    def apply(self, env: str = "dev"):
        result = run(self.repo, "apply", "--env", env, "--kubeconfig", str(self.config))
        assert result.exit_code == 0, result.output
        return result


@contextmanager
def cluster(tmp_path: Path, files: dict | None = None, *, argo: bool = False, cluster_name: str = "dev-cluster",
            committed: bool = True) -> Iterator[Cluster]:
    repo = init_repo(tmp_path / "repo")
    write_repo(repo, {**RUN_REPO, **(files or {})})
    (repo / ".gitignore").write_text("out/\n.strata/\n")
    if committed:
        commit(repo, "config")
    with ExitStack() as stack:
        kube = stack.enter_context(KubeDouble())
        for namespace in ("demo-dev", "demo-staging"):
            kube.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
        argo_double = stack.enter_context(ArgoDouble(kube, token="test-token")) if argo else None
        yield Cluster(repo, kube, kube.kubeconfig(tmp_path, cluster=cluster_name), argo_double)


def play(kube: KubeDouble, kind: str, namespace: str, steps: list[Callable[[dict], None]],
         timeout: float = 10.0) -> threading.Thread:
    """A controller in a thread: waits for the first `kind` run object to appear in `namespace`,
    then calls each step with it, a moment apart (as status updates arrive)."""
    def control() -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [o for o in kube.objects(kind) if o["metadata"].get("namespace") == namespace
                     and "strata.dev/run" in (o["metadata"].get("labels") or {})]
            if found:
                for step in steps:
                    time.sleep(0.05)
                    step(found[0])
                return
            time.sleep(0.02)

    thread = threading.Thread(target=control, daemon=True)
    thread.start()
    return thread
