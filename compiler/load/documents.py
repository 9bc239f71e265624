"""Load every discovered file and check each document's kind, name and place.

Every problem of every file is collected, so one run reports them all.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from compiler.errors import Problems, clip
from compiler.incremental.parsed import ParseCache
from compiler.kinds import kind_names
from compiler.load.discover import SourceFiles
from compiler.load.jsonnet import JsonnetEvaluator
from compiler.load.yaml_files import LoadError, load_file
from compiler.provenance import Origin, Value
from compiler.suggest import closest
from schemas.repo import JsonnetLimits

NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")

# Which kinds may live where (SPEC §1); resource folders hold the registry's kinds.
ROLE_KINDS = {
    "layer": ("AppType",),
    "group": ("EnvironmentGroup",),
    "environment": ("Environment",),
    "project": ("Project",),
}


@dataclass(frozen=True)
class Doc:
    kind: str
    name: str
    value: Value
    file: str

    @property
    def origin(self) -> Origin:
        return self.value.origin

    def get(self, key: str) -> Value | None:
        return self.value.data.get(key)

    def where(self, key: str) -> Origin:
        """The origin of `key`'s value, else the document's (for messages about a field that may be absent)."""
        found = self.get(key)
        return found.origin if found is not None else self.origin


@dataclass
class Documents:
    layers: list[Doc] = field(default_factory=list)
    groups: list[Doc] = field(default_factory=list)
    environments: list[Doc] = field(default_factory=list)
    projects: dict[str, Doc] = field(default_factory=dict)          # project dir → doc
    resources: dict[str, list[Doc]] = field(default_factory=dict)   # project dir → docs
    reads: dict[str, tuple[str, ...]] = field(default_factory=dict)  # spec file → other files it read (Jsonnet imports)


def load_documents(root: Path, files: SourceFiles, problems: Problems,
                   overlay: Mapping[str, str] | None = None, jsonnet: JsonnetLimits | None = None,
                   parsed: ParseCache | None = None) -> Documents:
    """Every discovered file's documents; `overlay` (repo-relative path → YAML text) stands in
    for the content of those files, so an edit can be compiled before it is written (promote).
    `jsonnet` bounds the evaluation of Jsonnet files (compiler/load/jsonnet.py); `parsed` shares
    YAML parse results by content between loads (compiler/incremental/parsed.py)."""
    with JsonnetEvaluator(root, jsonnet) as evaluator:
        docs = _load_all(root, files, problems, overlay or {}, _Readers(evaluator, parsed))
    docs.reads = {rel: reads for rel, reads in evaluator.reads.items() if reads}
    _check_unique(docs, problems)
    return docs


@dataclass(frozen=True)
class _Readers:
    jsonnet: JsonnetEvaluator
    parsed: ParseCache | None


def _load_all(root: Path, files: SourceFiles, problems: Problems, overlay: Mapping[str, str],
              readers: _Readers) -> Documents:
    docs = Documents()
    docs.layers = _load_role(root, files.layers, "layer", problems, overlay, readers)
    docs.groups = _load_role(root, files.groups, "group", problems, overlay, readers)
    docs.environments = _load_role(root, files.environments, "environment", problems, overlay, readers)
    for project_dir, project_file in files.projects.items():
        found = _load_role(root, [project_file], "project", problems, overlay, readers)
        if found:
            docs.projects[project_dir] = found[0]
    for project_dir, resource_files in files.resources.items():
        if project_dir not in files.projects:
            problems.add(f"{project_dir} has no project.yaml", Origin(project_dir, 1, 1))
            continue
        docs.resources[project_dir] = _load_role(root, resource_files, "resource", problems, overlay, readers)
    return docs


def _load_role(root: Path, files: list[str], role: str, problems: Problems, overlay: Mapping[str, str],
               readers: _Readers) -> list[Doc]:
    found = []
    for rel in files:
        try:
            values = load_file(root, rel, overlay.get(rel), readers.jsonnet, readers.parsed)
        except LoadError as exc:
            problems.extend([exc.problem])
            continue
        except OSError as exc:
            problems.add(f"cannot read file: {exc.strerror}", Origin(rel, 1, 1))
            continue
        if not values:
            problems.warn("the file holds no document (empty, or only comments); strata ignores it",
                          Origin(rel, 1, 1))
        for value in values:
            doc = _document(value, rel, role, problems)
            if doc is not None:
                found.append(doc)
    return found


def _document(value: Value, rel: str, role: str, problems: Problems) -> Doc | None:
    if not value.is_map:
        problems.add("a spec document must be a mapping with `kind` and `name`", value.origin)
        return None
    kind, name = value.data.get("kind"), value.data.get("name")
    allowed = kind_names() if role == "resource" else ROLE_KINDS[role]
    if kind is None or not isinstance(kind.data, str):
        message = "document has no `kind`" if kind is None else "`kind` must be a string such as Job or Service"
        problems.add(message, value.origin if kind is None else kind.origin)
        return None
    if kind.data not in allowed:
        problems.add(_wrong_kind(kind.data, allowed), kind.origin)
        return None
    if name is None:
        problems.add("document has no `name` (a DNS-1123 label: lower case letters, digits and '-')",
                     value.origin)
        return None
    if not isinstance(name.data, str) or not NAME_RE.match(name.data) or len(name.data) > 63:
        problems.add(f"`name` must be a DNS-1123 label (lower case letters, digits and '-', at most 63 "
                     f"characters), got {clip(repr(name.data))}", name.origin)
        return None
    return Doc(kind.data, name.data, value, rel)


def _wrong_kind(kind: str, allowed: tuple[str, ...]) -> str:
    """A kind of another folder, or a typo of one of this folder's kinds."""
    every = [*kind_names(), *(k for kinds in ROLE_KINDS.values() for k in kinds)]
    if len(kind) > 100:   # no kind is that long; and a message quotes at most ~200 characters of it
        return f"unknown kind {clip(repr(kind))}; files in this folder hold {' or '.join(allowed)}"
    if kind in every:
        return f"kind {kind!r} does not belong here; files in this folder hold {' or '.join(allowed)}"
    guess = closest(kind, allowed)
    if guess is not None:
        return f"unknown kind {kind!r}; did you mean {guess!r}? (kinds are case-sensitive)"
    return f"unknown kind {kind!r}; files in this folder hold {' or '.join(allowed)}"


def _check_unique(docs: Documents, problems: Problems) -> None:
    """Identities are unique: app type / group / env names, and <project>/<Kind>/<name>."""
    groups = {"app type": docs.layers, "environment group": docs.groups, "environment": docs.environments,
              "project": list(docs.projects.values())}
    for what, found in groups.items():
        _report_duplicates(what, [(d.name, d) for d in found], problems)
    for project_dir, found in docs.resources.items():
        _report_duplicates("resource", [(f"{Path(project_dir).name}/{d.kind}/{d.name}", d) for d in found], problems)


def _report_duplicates(what: str, keyed: list[tuple[str, Doc]], problems: Problems) -> None:
    first: dict[str, Doc] = {}
    for key, doc in keyed:
        if key in first:
            problems.add(f"duplicate {what} {key!r}: also defined at {first[key].origin.where()}; "
                         "rename one of them", doc.where("name"))
        else:
            first[key] = doc
