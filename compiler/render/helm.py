"""Render a Helm chart in process with the real Helm engine (helm-python-sdk), no helm binary.

`render_chart(chart_dir, values, release, namespace)` returns the chart's
objects as plain dicts, sorted like Helm installs them (kind order, then name).
Left out: NOTES.txt and test hooks (`helm.sh/hook: test`), which are not part
of a release's desired state. Problems a user can fix (a values.schema.json
violation, a failing template, a dependency missing from `charts/`) raise
`ChartError`, carrying the values path Helm names where it names one, so the
caller can point at the spec line that produced that value.
"""
from __future__ import annotations

import os
import re
import stat
import threading
from collections.abc import Hashable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from compiler.errors import StrataError
from compiler.render.block_yaml import read_documents

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Helm's install order (pkg/release/util/kind_sorter.go); other kinds follow, by kind name.
INSTALL_ORDER = (
    "PriorityClass", "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "PodSecurityPolicy",
    "PodDisruptionBudget", "ServiceAccount", "Secret", "SecretList", "ConfigMap", "StorageClass",
    "PersistentVolume", "PersistentVolumeClaim", "CustomResourceDefinition", "ClusterRole",
    "ClusterRoleList", "ClusterRoleBinding", "ClusterRoleBindingList", "Role", "RoleList", "RoleBinding",
    "RoleBindingList", "Service", "DaemonSet", "Pod", "ReplicationController", "ReplicaSet", "Deployment",
    "HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob", "IngressClass", "Ingress", "APIService",
    "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
)
_RANK = {kind: rank for rank, kind in enumerate(INSTALL_ORDER)}

# Kinds Helm leaves without a namespace that must stay without one.
CLUSTER_SCOPED = frozenset({
    "Namespace", "PriorityClass", "StorageClass", "PersistentVolume", "CustomResourceDefinition",
    "ClusterRole", "ClusterRoleBinding", "IngressClass", "APIService", "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration", "PodSecurityPolicy", "RuntimeClass", "CSIDriver", "Node",
})
OK_DEPENDENCY = ("ok", "unpacked")   # `unpacked`: the subchart sits in charts/ as a folder

_SCHEMA_LINE = re.compile(r"^- at '([^']*)': (.*)$")
_VALUES_REF = re.compile(r"<\.Values\.([A-Za-z0-9_.]+)>")


@dataclass(frozen=True)
class ChartProblem:
    message: str
    values_path: tuple[Any, ...] = ()   # e.g. ("autoscaling", "minReplicas"); () when unknown


class ChartError(StrataError):
    """A chart that does not render; `problems` say where in the values, when Helm tells."""

    def __init__(self, chart: str, problems: list[ChartProblem]):
        self.chart = chart
        self.chart_problems = problems
        super().__init__("\n".join(f"chart {chart}: {p.message}" for p in problems))


def render_chart(chart_dir: Path, values: dict[str, Any], release: str, namespace: str,
                 cache: dict | None = None) -> list[dict[str, Any]]:
    """Every object the chart renders for `values`, sorted; raises ChartError.

    With `cache` (one dict per compile run), a chart is loaded and its
    dependencies checked once, not once per Service.
    """
    # Imported here, not at the top: loading it starts Go's runtime (see go_runtime_loaded).
    import helm_python

    chart_dir = Path(chart_dir)
    try:
        chart = _loaded(chart_dir, cache if cache is not None else {})
        rendered = chart.render(values=values, name=release, namespace=namespace, is_install=True, revision=1)
    except helm_python.HelmValuesError as err:
        raise ChartError(chart_dir.name, schema_problems(str(err))) from None
    except helm_python.HelmRenderError as err:
        raise ChartError(chart_dir.name, [template_problem(str(err))]) from None
    except helm_python.HelmError as err:
        raise ChartError(chart_dir.name, [ChartProblem(_one_line(str(err)))]) from None
    objects = [doc for name in sorted(rendered) for doc in _documents(name, rendered[name])]
    return sort_objects([_namespaced(obj, namespace) for obj in objects if not is_test_hook(obj)])


def _loaded(chart_dir: Path, cache: dict) -> Any:
    # One handle per rendering thread: the native chart object is not documented as thread-safe.
    key = ("helm-chart", str(chart_dir.resolve()), threading.get_ident())
    if key not in cache:
        import helm_python

        check_dependencies(chart_dir)
        cache[key] = helm_python.Chart.load(chart_dir)   # freed with the cache (weakref finalizer)
    return cache[key]


def check_dependencies(chart_dir: Path) -> None:
    """Helm silently skips a declared dependency missing from `charts/`; we refuse."""
    import helm_python

    try:
        dependencies = helm_python.dependency_list(chart_dir)
    except helm_python.HelmError as err:
        raise ChartError(chart_dir.name, [ChartProblem(_one_line(str(err)))]) from None
    problems = [ChartProblem(
        f"dependency {dep.get('name')} {dep.get('version')} is {dep.get('status')} in "
        f"{chart_dir.name}/charts/ (vendor it with `helm dependency build`; strata never fetches charts)")
        for dep in dependencies if dep.get("status") not in OK_DEPENDENCY]
    if problems:
        raise ChartError(chart_dir.name, problems)


def go_runtime_loaded() -> bool:
    """Whether this process has loaded Helm's library, and with it Go's runtime and its threads.

    Only Helm's own calls import it, so discover, load, merge, graph and digest never do: a
    compile forks its render workers before (compiler.render.workers), as forking a process
    running Go is unsafe.
    """
    import sys

    return "helm_python" in sys.modules


def chart_version(chart_dir: Path, cache: dict | None = None) -> str | None:
    """The `version:` of a chart's Chart.yaml (text), None when unreadable; read once per run
    with `cache` (the render's per-run memo, as for loaded charts)."""
    key = ("chart-version", str(chart_dir))
    if cache is not None and key in cache:
        return cache[key]
    try:
        meta = yaml.load((Path(chart_dir) / "Chart.yaml").read_text(encoding="utf-8"), Loader=_Loader)
    except (OSError, yaml.YAMLError):
        return None
    version = meta.get("version") if isinstance(meta, dict) else None
    found = None if version is None else str(version)
    if cache is not None:
        cache[key] = found
    return found


def find_chart(chart_dirs: tuple[Path, ...], name: str) -> Path | None:
    """The first `<dir>/<name>` holding a Chart.yaml, in the repo's configured order."""
    for directory in chart_dirs:
        candidate = Path(directory) / name
        if (candidate / "Chart.yaml").is_file():
            return candidate
    return None


def chart_files(repo: Path, chart_dir: Path) -> tuple[str, ...]:
    """Every file of a chart, as repo-relative paths after resolving symlinks; ChartError if one leaves the repo.

    Helm follows symlinks when it loads a chart, so a link to /etc/passwd would be read
    and `.Files.Get` would copy it into the output: every folder and file of the chart
    must resolve inside the repository, be a regular file (no FIFO to block on) and stay
    under the 8 MiB cap of any file strata reads. The paths returned are the real files
    read: the inputs of every Service using the chart.
    """
    from compiler.load.yaml_files import MAX_FILE_BYTES

    root = Path(repo).resolve()
    found: set[str] = set()
    problems: list[ChartProblem] = []

    def refuse(path: Path, why: str) -> None:
        problems.append(ChartProblem(f"{os.path.relpath(path, repo)} {why}; strata reads chart files only from "
                                     "inside the repository"))

    def visit(path: Path, folders: frozenset[Path]) -> None:
        try:
            real = path.resolve(strict=True)
            info = real.stat()
        except (OSError, RuntimeError):
            return refuse(path, "is a broken link or a symlink loop")
        if not real.is_relative_to(root):
            return refuse(path, f"resolves outside the repository ({str(real)[:200]})")
        if stat.S_ISDIR(info.st_mode):
            if real in folders:
                return refuse(path, "is a symlink loop")
            for child in sorted(path.iterdir()):
                visit(child, folders | {real})
        elif not stat.S_ISREG(info.st_mode):
            refuse(path, "is not a regular file")
        elif info.st_size > MAX_FILE_BYTES:
            refuse(path, f"is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
        else:
            found.add(real.relative_to(root).as_posix())

    visit(Path(chart_dir), frozenset())
    if problems:
        raise ChartError(Path(chart_dir).name, problems)
    return tuple(sorted(found))


def schema_problems(text: str) -> list[ChartProblem]:
    """Helm's `- at '/a/b': message` lines, sorted (Helm lists them in map order)."""
    found = []
    for line in text.splitlines():
        match = _SCHEMA_LINE.match(line.strip())
        if match:
            pointer, message = match.groups()
            found.append(ChartProblem(f"values.schema.json: at {pointer or '/'}: {message}", pointer_path(pointer)))
    found = sorted(set(found), key=lambda p: ([str(s) for s in p.values_path], p.message))
    return found or [ChartProblem(_one_line(text))]


def template_problem(text: str) -> ChartProblem:
    """A failing template: the message, and the `.Values` path it was evaluating if Helm says."""
    ref = _VALUES_REF.search(text)
    path = tuple(ref.group(1).split(".")) if ref else ()
    return ChartProblem(f"template error: {_one_line(text)}", path)


def pointer_path(pointer: str) -> tuple[Any, ...]:
    """'/ports/0/port' → ('ports', 0, 'port')."""
    steps = [s.replace("~1", "/").replace("~0", "~") for s in pointer.split("/")[1:] if s != ""]
    return tuple(int(s) if s.isdigit() else s for s in steps)


def is_test_hook(obj: dict[str, Any]) -> bool:
    hooks = ((obj.get("metadata") or {}).get("annotations") or {}).get("helm.sh/hook", "")
    return any(h.strip() in ("test", "test-success", "test-failure") for h in str(hooks).split(","))


def sort_objects(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(objects, key=_object_key)


def _object_key(obj: dict[str, Any]) -> tuple:
    kind = str(obj.get("kind", ""))
    meta = obj.get("metadata") or {}
    return (_RANK.get(kind, len(_RANK)), kind, str(meta.get("namespace", "")), str(meta.get("name", "")))


def _documents(name: str, text: str) -> list[dict[str, Any]]:
    if name.endswith("NOTES.txt") or not text.strip():
        return []
    docs = read_documents(text)   # plain block YAML, most of a chart's output; None: anything more
    try:
        docs = list(load_all(text)) if docs is None else docs
    except yaml.YAMLError as err:
        raise ChartError(name.split("/")[0], [ChartProblem(f"{name} renders invalid YAML: {_one_line(str(err))}")]) from None
    return [doc for doc in docs if isinstance(doc, dict) and doc]


_STR, _SEQ, _MAP, _MERGE = (f"tag:yaml.org,2002:{name}" for name in ("str", "seq", "map", "merge"))
_RESOLVER = yaml.resolver.Resolver()


@lru_cache(maxsize=1 << 16)
def _plain_scalar_tag(value: str) -> str:
    return _RESOLVER.resolve(yaml.ScalarNode, value, (True, False))


class _OutputLoader(_Loader):  # type: ignore[misc,valid-type]
    """The safe loader with its resolver's answers remembered: the composer asks it for every node,
    and a chart's output repeats the same keys and values in every document and release."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode:   # the safe resolver has no path resolvers: only the text decides
            return _plain_scalar_tag(value) if implicit[0] else _STR
        return _SEQ if kind is yaml.SequenceNode else _MAP


def load_all(text: str) -> Iterator[Any]:
    """`yaml.load_all(text, CSafeLoader)`, the same data, about three times faster: strings, lists
    and mappings (most of a chart's output) are built straight from the C composer's nodes;
    any other node goes through PyYAML's own constructor, so every scalar type, merge key and
    error is PyYAML's."""
    loader = _OutputLoader(text)
    try:
        while loader.check_node():
            yield _plain(loader.get_node(), loader, {})
            loader.constructed_objects, loader.recursive_objects = {}, {}
    finally:
        loader.dispose()


def _plain(node: Any, loader: Any, made: dict[int, Any]) -> Any:
    tag = node.tag
    if tag == _STR and type(node) is yaml.ScalarNode:
        return node.value
    if id(node) in made:        # an alias: the same object, as PyYAML gives it
        return made[id(node)]
    if tag == _SEQ and type(node) is yaml.SequenceNode:
        items: list[Any] = []
        made[id(node)] = items
        items.extend(_plain(child, loader, made) for child in node.value)
        return items
    if tag == _MAP and type(node) is yaml.MappingNode:
        mapping: dict[Any, Any] = {}
        made[id(node)] = mapping
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:   # `<<`: PyYAML's constructor merges
                break
            key = _plain(key_node, loader, made)
            if type(key) is not str and not isinstance(key, Hashable):   # PyYAML's error, at its place
                break
            mapping[key] = _plain(value_node, loader, made)
        else:
            return mapping
    made[id(node)] = data = loader.construct_object(node, deep=True)
    return data


def _namespaced(obj: dict[str, Any], namespace: str) -> dict[str, Any]:
    """Helm leaves namespaces to `kubectl -n`; strata's output states them (SPEC §4)."""
    meta = obj.get("metadata")
    if isinstance(meta, dict) and "namespace" not in meta and obj.get("kind") not in CLUSTER_SCOPED:
        obj["metadata"] = {"name": meta.get("name"), "namespace": namespace,
                           **{k: v for k, v in meta.items() if k != "name"}}
    return obj


def _one_line(text: str) -> str:
    return " ".join(part.strip() for part in text.strip().splitlines() if part.strip())
