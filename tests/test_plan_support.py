"""Helpers for the plan tests: Emitted-like records, a tiny fake compiler, a git repo builder.

The fake compiler stands in for compiler.pipeline.compile_repo where a test is
about the plan's plumbing rather than the real renderers: every
`projects/<p>/<kind>-<name>.yaml` × every `environments/<env>.yaml` becomes a
target whose one ConfigMap holds the resource's keys over the environment's.
"""
from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, Optional

import yaml

from compiler.graph.build import Graph, Node
from compiler.provenance import Origin


@dataclass
class FakeEmitted:
    env: str
    project: str
    resource: str
    obj: dict
    folder: str = ""
    target: Any = None


def emitted(env: str, project: str, resource: str, kind: str, name: str, namespace: str = "ns",
            api: str = "v1", **body: Any) -> FakeEmitted:
    meta = {"name": name, **({"namespace": namespace} if namespace else {})}
    return FakeEmitted(env, project, resource, {"apiVersion": api, "kind": kind, "metadata": meta, **body})


@dataclass
class FakeBuild:
    root: Path
    targets: list = field(default_factory=list)
    call: dict = field(default_factory=dict)

    @property
    def graph(self) -> Graph:
        """No references between fake targets: each node's inputs are its own files."""
        return Graph.of(Node(t, t.files) for t in self.targets)


@dataclass
class FakeCompiler:
    """The plan's two-step compiler protocol; records every load and what each render chose."""

    calls: list = field(default_factory=list)

    def load(self, root: Path, envs=(), projects=()) -> FakeBuild:
        build = FakeBuild(root, call={"repo": root, "projects": tuple(projects), "rendered": None})
        for env_file in sorted((root / "environments").glob("*.yaml")):
            for res_file in sorted((root / "projects").glob("*/*.yaml")):
                if (not envs or env_file.stem in envs) and (not projects or res_file.parent.name in projects):
                    build.targets.append(_target(root, env_file, res_file))
        self.calls.append(build.call)
        return build

    def render(self, build: FakeBuild, render_only: Optional[Callable] = None) -> list:
        chosen = [t for t in build.targets if render_only is None or render_only(t)]
        build.call["rendered"] = [t.name for t in chosen]
        return [_object(t) for t in chosen]


def _target(repo: Path, env_file: Path, res_file: Path) -> SimpleNamespace:
    kind, name = res_file.stem.split("-", 1)
    project = res_file.parent.name
    env_values = yaml.safe_load(env_file.read_text()) or {}
    own = yaml.safe_load(res_file.read_text()) or {}
    rel_res, rel_env = (str(p.relative_to(repo)) for p in (res_file, env_file))
    lines = res_file.read_text().splitlines()
    values = {**env_values, **own}

    def locate(*path: Any) -> Origin:
        if path and path[0] in own:
            line = next((n for n, text in enumerate(lines, 1) if text.startswith(f"{path[0]}:")), 1)
            return Origin(rel_res, line, 1, "resource")
        return Origin(rel_env, 1, 1, "environment")

    return SimpleNamespace(
        kind=kind.capitalize(), name=name, values=values, files=(rel_env, rel_res), tree=None, raw_tree=None, spec=None,
        env=SimpleNamespace(name=env_file.stem),
        project=SimpleNamespace(name=project, file=f"projects/{project}/project.yaml"),
        origin=Origin(rel_res, 1, 1, "resource"), locate=locate)


def _object(target: SimpleNamespace) -> FakeEmitted:
    resource = f"{target.kind.lower()}.{target.name}"
    obj = {"apiVersion": "v1", "kind": target.values.get("emit", "ConfigMap"),
           "metadata": {"name": target.name, "namespace": f"{target.project.name}-{target.env.name}"},
           "data": {k: v for k, v in target.values.items() if k != "emit"}}
    return FakeEmitted(target.env.name, target.project.name, resource, obj)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def init_repo(repo: Path) -> Path:
    repo.mkdir(parents=True, exist_ok=True)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "plan@test")
    git(repo, "config", "user.name", "plan test")
    git(repo, "config", "commit.gpgsign", "false")
    return repo


def committed_repo(folder: Path, files: dict[str, str]) -> Path:
    """A git repository of `files` (with repo_fixture's defaults), out/ ignored, committed as `base`."""
    from repo_fixture import write_repo

    repo = write_repo(init_repo(folder), files)
    (repo / ".gitignore").write_text("out/\n")
    commit(repo, "base")
    return repo


def commit(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def write(repo: Path, path: str, text: str) -> None:
    target = repo / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
