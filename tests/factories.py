"""Build environments, projects and targets in memory for renderer unit tests.

These bypass discover/load/merge: a spec dict goes straight through the kind's
pydantic model, so a renderer test states only what it is about.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Optional

import textwrap

from compiler.errors import Problems
from compiler.load.discover import RepoConfig
from compiler.load.yaml_files import load_yaml
from compiler.provenance import Origin, Value, relayer
from compiler.render import RenderContext
from compiler.merge.field_rules import rule_for_model
from compiler.check.specs import to_data
from compiler.graph.build import Graph, Node
from compiler.graph.references import resolve
from compiler.targets import Env, Project, Target, target_key
from compiler.kinds import kind_of
from schemas import EnvironmentSettings, ProjectDoc
from schemas.project import Quota

DEFAULT_POOLS = {
    "a100": {"resourceName": "nvidia.com/gpu", "nodeSelector": {"gpu.pool": "a100"},
             "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]},
}


# Models in the tests live on oss://, which pullers read through OSS's S3 API.
DEFAULT_STORAGE = {"oss": {"endpoint": "s3.oss-cn-shanghai-internal.aliyuncs.com", "region": "cn-shanghai",
                           "secret": "oss-model-reader"}}


def make_env(name: str = "dev", group: str = "test", **settings: Any) -> Env:
    settings.setdefault("cluster", {"name": f"{name}-cluster"})
    settings.setdefault("gpuPools", DEFAULT_POOLS)
    settings.setdefault("storage", DEFAULT_STORAGE)
    return Env(name=name, group=group, settings=EnvironmentSettings.model_validate(settings),
               origin=Origin(f"environments/{name}.yaml", 1, 1, f"environment {name}"))


def make_project(name: str = "demo", env: Optional[Env] = None, quota: Optional[dict] = None,
                 **doc: Any) -> Project:
    env = env or make_env()
    doc = {"kind": "Project", "name": name, "owner": "team-demo", "environments": [env.name], **doc}
    return Project(name=name, doc=ProjectDoc.model_validate(doc), env=env,
                   quota=Quota.model_validate(quota or {}),
                   origin=Origin(f"projects/{name}/project.yaml", 1, 1, "project"),
                   file=f"projects/{name}/project.yaml")


def make_target(kind: str, name: str, spec: dict[str, Any], project: Optional[Project] = None) -> Target:
    project = project or make_project()
    model = kind_of(kind).spec.model_validate(spec)
    return Target(kind=kind, name=name, project=project, spec=model,
                  origin=Origin(f"projects/{project.name}/{kind.lower()}-{name}.yaml", 1, 1, "resource"),
                  files=(f"projects/{project.name}/{kind.lower()}-{name}.yaml",))


def make_ctx(*targets: Target, repo: Path = Path("."), rendering: Optional[Target] = None) -> RenderContext:
    """The context the render stage gives `rendering` (default: the first deployed target given):
    its references resolved among `targets` as the graph stage does; unknown ones are its problems."""
    ctx = RenderContext(repo=repo, chart_dirs=RepoConfig(repo).chart_dirs)   # the repo's charts/, then strata's
    rendering = rendering or next((t for t in targets if kind_of(t.kind).deployed), None)
    if rendering is None:
        return ctx
    index = {target_key(t): t for t in targets}
    nodes = [Node(t, t.files, resolve(t, index, ctx.problems if t is rendering else Problems())) for t in targets]
    ctx.references = Graph.of(nodes).resolved(target_key(rendering))
    return ctx


def yaml_tree(text: str, file: str) -> Value:
    """A provenance tree of YAML text exactly as the loader builds it, labelled `resource`."""
    return relayer(load_yaml(textwrap.dedent(text), file)[0], "resource")


def located_target(kind: str, name: str, text: str, project: Optional[Project] = None,
                   file: Optional[str] = None) -> Target:
    """A target from a resource document's YAML whose spec values know their file:line."""
    project = project or make_project()
    file = file or f"projects/{project.name}/{kind.lower()}-{name}.yaml"
    root = yaml_tree(text, file)
    tree = root.data["spec"]
    target = make_target(kind, name, to_data(tree, rule_for_model(kind_of(kind).spec), Problems()), project)
    return replace(target, tree=tree, origin=root.origin)
