"""The yardstick strata is compared with: load, deep-merge and dump, as fast as PyYAML goes.

    python bench/baseline.py /tmp/bigrepo            # prints the seconds it took

Reads every YAML file of a strata repo with PyYAML's C loader, merges each resource for each
environment in SPEC §2's layer order (app-type chain, group defaults and appTypes, environment
defaults and appTypes, project defaults, spec, overrides.<group>, overrides.<env>) with a plain
deep merge (maps merge, everything else replaces, null deletes), and writes every merged spec
with the C dumper to out/<env>/<project>/<kind>-<name>/values.yaml in a temporary folder.

It does none of what makes strata's output trustworthy -- no validation, merge keys, locks,
interpolation, provenance, rendering of Kubernetes objects or Helm charts -- so it is a lower
bound on the cost of merely reading and writing the same data.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

try:
    from yaml import CSafeDumper as Dumper, CSafeLoader as Loader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    sys.exit("baseline: PyYAML has no C extension (libyaml); the comparison would be unfair")

Doc = dict[str, Any]


class Replace(dict):
    """A mapping tagged `!replace`: it replaces the lower value instead of merging into it."""


class Append(list):
    """A list tagged `!append`: it extends the lower list."""


class TaggedLoader(Loader):
    """The C loader plus strata's two merge tags."""


TaggedLoader.add_constructor("!replace", lambda loader, node: (
    Replace(loader.construct_mapping(node, deep=True)) if isinstance(node, yaml.MappingNode)
    else loader.construct_sequence(node, deep=True)))
TaggedLoader.add_constructor("!append", lambda loader, node: Append(loader.construct_sequence(node, deep=True)))
DEPLOYED = ("Dataset", "Job", "Service", "Pipeline", "Notebook")   # a Model has no target folder


@dataclass
class Inventory:
    """Every document of the repo, by role."""

    app_types: dict[str, Doc] = field(default_factory=dict)
    groups: dict[str, Doc] = field(default_factory=dict)
    envs: dict[str, Doc] = field(default_factory=dict)
    projects: dict[str, Doc] = field(default_factory=dict)
    resources: list[tuple[str, Doc]] = field(default_factory=list)   # (project, document)


def load(repo: Path) -> Inventory:
    inventory = Inventory()
    for path in sorted(repo.glob("layers/*.yaml")) + sorted(repo.glob("environments/**/*.yaml")):
        for doc in _documents(path):
            _settings(inventory, doc)
    for path in sorted(repo.glob("projects/*/**/*.yaml")):
        project = path.relative_to(repo / "projects").parts[0]
        for doc in _documents(path):
            if doc.get("kind") == "Project":
                inventory.projects[project] = doc
            else:
                inventory.resources.append((project, doc))
    return inventory


def _documents(path: Path) -> list[Doc]:
    with path.open("rb") as stream:
        return [d for d in yaml.load_all(stream, Loader=TaggedLoader) if isinstance(d, dict)]


def _settings(inventory: Inventory, doc: Doc) -> None:
    table = {"AppType": inventory.app_types, "EnvironmentGroup": inventory.groups,
             "Environment": inventory.envs}.get(doc.get("kind"))
    if table is not None:
        table[doc["name"]] = doc


def deep_merge(lower: Any, higher: Any) -> Any:
    """Maps merge key by key; anything else replaces; a null value deletes the key."""
    if isinstance(higher, Append):
        return (lower if isinstance(lower, list) else []) + list(higher)
    if isinstance(higher, Replace):
        return dict(higher)
    if not (isinstance(lower, dict) and isinstance(higher, dict)):
        return higher
    merged = dict(lower)
    for key, value in higher.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = deep_merge(merged.get(key), value)
    return merged


def app_type_chain(inventory: Inventory, name: str | None) -> list[Doc]:
    chain: list[Doc] = []
    while name is not None and name in inventory.app_types:
        chain.insert(0, inventory.app_types[name])
        name = inventory.app_types[name].get("extends")
    return chain


def layers(inventory: Inventory, project: str, doc: Doc, env: str) -> list[Any]:
    """The partial specs of one target, lowest precedence first (SPEC §2)."""
    kind, app_type = doc["kind"], doc.get("appType")
    env_doc = inventory.envs[env]
    group_doc = inventory.groups.get(env_doc.get("group"), {})
    found = [a.get("spec") for a in app_type_chain(inventory, app_type)]
    for scope in (group_doc, env_doc):
        found += [scope.get("defaults", {}).get(kind), scope.get("appTypes", {}).get(app_type)]
    found.append(inventory.projects[project].get("defaults", {}).get(kind))
    found.append(doc.get("spec"))
    overrides = doc.get("overrides") or {}
    found += [overrides.get(env_doc.get("group")), overrides.get(env)]
    return [layer for layer in found if layer is not None]


def target_envs(inventory: Inventory, project: str, doc: Doc) -> list[str]:
    """The project's environments (groups expanded), narrowed by `deployTo`."""
    def expand(names: list[str]) -> list[str]:
        return [e for n in names for e in sorted(inventory.envs)
                if e == n or inventory.envs[e].get("group") == n]
    envs = expand(inventory.projects[project].get("environments", []))
    if "deployTo" in doc:
        allowed = set(expand(doc["deployTo"]))
        envs = [e for e in envs if e in allowed]
    return sorted(set(envs))


def compile_baseline(repo: Path, out: Path) -> int:
    """Merge and write every target; returns how many were written."""
    inventory = load(repo)
    written = 0
    for project, doc in inventory.resources:
        if doc.get("kind") not in DEPLOYED:
            continue
        for env in target_envs(inventory, project, doc):
            spec: Any = {}
            for layer in layers(inventory, project, doc, env):
                spec = deep_merge(spec, layer)
            folder = out / env / project / f"{doc['kind'].lower()}-{doc['name']}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "values.yaml").write_text(yaml.dump(spec, Dumper=Dumper, sort_keys=False))
            written += 1
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("repo", type=Path)
    parser.add_argument("--out", type=Path, help="keep the output here (default: a temporary folder)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="strata-baseline-") as scratch:
        out = args.out or Path(scratch)
        started = time.perf_counter()
        written = compile_baseline(args.repo, out)
        elapsed = time.perf_counter() - started
    print(f"baseline: {written} targets in {elapsed:.2f} s (PyYAML C loader, deep merge, C dumper)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
