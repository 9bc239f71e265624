"""Stage 1, discover: find the repo root, read strata.yaml, list spec files by role.

Files are listed in sorted order, but nothing downstream depends on that order:
precedence comes from layer roles (SPEC §2), never from file names.
"""
from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from compiler.errors import Problem, StrataError
from compiler.load.root import CONFIG_FILE, find_repo  # noqa: F401  (find_repo: re-exported)
from compiler.provenance import Origin
from schemas.repo import JsonnetLimits

SPEC_SUFFIXES = (".yaml", ".yml", ".jsonnet")
# In strata.yaml `charts:`, this entry stands for the charts that ship inside strata (compiler/charts/).
BUILTIN_CHARTS = "@strata"
BUILTIN_CHARTS_DIR = Path(__file__).resolve().parent.parent / "charts"


@dataclass(frozen=True)
class RepoConfig:
    root: Path
    output: str = "out"
    charts: tuple[str, ...] = ("charts",)
    crds: tuple[str, ...] = ()
    jsonnet: JsonnetLimits = field(default_factory=JsonnetLimits)
    lock_timeout: float = 60.0
    output_origin: Origin | None = None   # where strata.yaml sets `output`, for errors about it
    digest: str = ""                      # sha256 of strata.yaml ("" without one): part of the reuse key

    @property
    def chart_dirs(self) -> tuple[Path, ...]:
        """Chart folders in lookup order: the repo's own, then strata's (unless `charts:` places "@strata")."""
        entries = self.charts if BUILTIN_CHARTS in self.charts else (*self.charts, BUILTIN_CHARTS)
        return tuple(BUILTIN_CHARTS_DIR if entry == BUILTIN_CHARTS else self.root / entry for entry in entries)


@dataclass
class SourceFiles:
    """Repo-relative paths of every spec file, grouped by the layer role they play."""

    layers: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    environments: list[str] = field(default_factory=list)
    projects: dict[str, str] = field(default_factory=dict)          # project dir → project file
    resources: dict[str, list[str]] = field(default_factory=dict)   # project dir → resource files

    def all(self) -> list[str]:
        files = self.layers + self.groups + self.environments + list(self.projects.values())
        return sorted(files + [f for fs in self.resources.values() for f in fs])


def read_config(root: Path) -> RepoConfig:
    path = root / CONFIG_FILE
    if not path.is_file():
        return RepoConfig(root)
    from compiler.check.specs import validate_document
    from compiler.load.yaml_files import LoadError, inside_repo, load_yaml, read_text
    from schemas.repo import RepoSettings

    try:
        text = read_text(root, CONFIG_FILE)
        docs = load_yaml(text, CONFIG_FILE)
    except LoadError as exc:
        raise StrataError([exc.problem]) from None
    data = validate_document(RepoSettings, docs[0] if docs else None, CONFIG_FILE)
    outside = [c for c in data.charts if c != BUILTIN_CHARTS and not inside_repo(root, root / c)]
    if outside:
        where = docs[0].data["charts"].origin
        raise StrataError([Problem(f"chart folders must be inside the repository: {', '.join(outside)}", where)])
    output = docs[0].data.get("output") if docs and docs[0].is_map else None
    return RepoConfig(root, data.output, tuple(data.charts), tuple(data.crds), data.jsonnet, data.lockTimeoutSeconds,
                      output.origin if output is not None else None, hashlib.sha256(text.encode()).hexdigest())


def shown_chart_folder(path: Path, root: Path) -> str:
    """A chart folder as messages show it: relative to the repo, or `@strata/<name>` for strata's own."""
    path = Path(path).resolve()
    for base, prefix in ((BUILTIN_CHARTS_DIR, BUILTIN_CHARTS), (Path(root).resolve(), "")):
        if path.is_relative_to(base):
            relative = path.relative_to(base).as_posix()
            return "/".join(p for p in (prefix, relative) if p and p != ".") or "."
    return path.as_posix()


def _spec_files(root: Path, folder: str, recursive: bool = False) -> list[str]:
    base = root / folder
    if not base.is_dir():
        return []
    pattern = base.rglob("*") if recursive else base.iterdir()
    return sorted(p.relative_to(root).as_posix() for p in pattern
                  if p.suffix in SPEC_SUFFIXES and (p.is_file() or p.is_symlink()))


def discover(root: Path, resources_of: Collection[str] | None = None,
             projects_of: Collection[str] | None = None) -> SourceFiles:
    """Every spec file by role. With `resources_of` (project folder names), only those projects'
    resource files are listed; every project file still is: a pool's quotas are only known whole
    (the capacity checks sum every project's), the resources of projects a change cannot reach
    are not needed. With `projects_of` (project folder names), no other project folder is listed
    at all (a delta compile, a plan: their files are read only where a check sums every quota)."""
    found = SourceFiles(
        layers=_spec_files(root, "layers"),
        groups=_spec_files(root, "environments/groups"),
        environments=_spec_files(root, "environments"),
    )
    projects = root / "projects"
    folders = (p for p in projects.iterdir() if projects_of is None or p.name in projects_of) if projects.is_dir() else ()
    for project_dir in sorted(p for p in folders if p.is_dir()):
        rel = project_dir.relative_to(root).as_posix()
        wanted = resources_of is None or project_dir.name in resources_of
        files = _spec_files(root, rel, recursive=wanted)
        project_files = [f for f in files if Path(f).stem == "project" and Path(f).parent.as_posix() == rel]
        if project_files:
            found.projects[rel] = project_files[0]
        found.resources[rel] = [f for f in files if f not in project_files] if wanted else []
    return found
