"""Which projects a recompile must build again, when only their resource files changed.

The no-change snapshot (compiler.incremental.snapshot) records every entry of the repository
by its metadata. When a compile finds some entries changed, `changed_projects` compares the
snapshot's tree with today's: if every changed file is a resource file of a project
(`projects/<dir>/**/*.yaml` or `.yml`, but the project file; added, edited, deleted or
renamed) and nothing else changed (the same request, strata, Python and packages, out/ the
very folder the snapshot's compile wrote, with no warnings printed), the result names the
project folders to build again; compiler.incremental.recompile does the rest. Anything else
(a layer, an environment, a project file, strata.yaml, a chart, a Jsonnet file or a file it
imports, a new project folder, a symbolic link, a missing or damaged state) is None: the
full compile, which is always correct.

`.strata/delta.bin` (sealed, compiler.incremental.sealed) holds what that needs besides the
snapshot, for the output folder it names: every target's key, identity and digest (Models
too: a delivery target's digest covers them, and out/manifest.json does not list them), the
files each Jsonnet spec read, the repository folders strata reads that are not specs
(charts, CRDs), and what each environment's capacity figures and delivery target need of
every project there (a shard's environment record, compiler/shard/partial.py: the quotas,
namespaces and input files, which only files a delta compile refuses can change). Like the
snapshot, it imports only `os` and the sealed format.
"""
from __future__ import annotations

import contextlib
import os
import stat
from dataclasses import dataclass
from typing import Any

from compiler.incremental import snapshot
from compiler.incremental.sealed import read_sealed, write_sealed

FILE = "delta.bin"
KIND = "delta-facts"
PROJECTS = "projects"
RESOURCE_SUFFIXES = (".yaml", ".yml")
PROJECT_STEM = "project"


@dataclass(frozen=True)
class Facts:
    """What a delta compile needs of the previous compile besides out/manifest.json."""

    members: dict[str, list[list[str]]]    # environment → [project, resource, identity, digest] of every target
    reads: dict[str, list[str]]            # spec file → the files its Jsonnet imports read
    guarded: list[str]                     # repo-relative folders strata reads that are not specs (charts, CRDs)
    environments: dict[str, dict]          # environment → its record (compiler.shard.partial.environment_record)

    def payload(self) -> dict[str, Any]:
        return {"members": self.members, "reads": self.reads, "guarded": self.guarded,
                "environments": self.environments}


@dataclass(frozen=True)
class Change:
    """Only these project folders' resource files changed since the compile `previous` describes."""

    dirs: tuple[str, ...]                  # repo-relative project folders, e.g. `projects/demo`
    previous: snapshot.Previous
    facts: Facts


def changed_projects(request: snapshot.Request, state_dir: str, seen: snapshot.Look) -> Change | None:
    """The project folders whose resource files alone changed since the last compile of `request`,
    or None (nothing changed, or something a delta compile does not cover), by the trees the
    compile `seen` before its clock (what changes after that is seen by the next compile: the
    snapshot records these trees). Call it under the lock, after `recover`
    (compiler.output.write), which finishes or removes what a killed compile left beside out/
    (only beside out/ and in it, which no tree holds): the snapshot is read again here."""
    if os.path.islink(state_dir):
        return None
    found = read_sealed(os.path.join(state_dir, snapshot.FILE), snapshot.KIND)
    recorded = read_sealed(os.path.join(state_dir, FILE), KIND)
    try:
        return _compare(request, state_dir, found, recorded, seen)
    except (TypeError, ValueError, KeyError, IndexError, AttributeError):   # a payload of another shape
        return None


def _compare(request: snapshot.Request, state_dir: str, found: Any, recorded: Any, seen: snapshot.Look) -> Change | None:
    if not isinstance(found, dict) or not isinstance(recorded, dict) or found["key"] != request.key():
        return None
    out = found["out"]
    identity = snapshot.output_identity(out)
    if found["warnings"] or identity != found["output"] or recorded["output"] != found["output"]:
        return None   # warnings: other projects' would have to be printed again (see recompile.py)
    if os.path.lexists(os.path.join(state_dir, "swap.json")) or seen.tool != found["tool"]:
        return None
    if not all(isinstance(record, dict) and isinstance(record["facts"], dict) for record in recorded["environments"].values()):
        return None   # facts of another shape: never used
    facts = Facts(recorded["members"], recorded["reads"], recorded["guarded"], recorded["environments"])
    dirs = _changed_dirs(request.repo, found["repo"], seen.repo_tree(request.repo, out), facts)
    if not dirs:
        return None
    previous = snapshot.Previous(out, (), found["deployed"], found["files"])
    return Change(tuple(sorted(dirs)), previous, facts)


def _changed_dirs(repo: str, before: snapshot.Tree, now: snapshot.Tree, facts: Facts) -> set[str] | None:
    """The project folders of the changed entries, or None if one is not a project's resource file."""
    read = {path for files in facts.reads.values() for path in files}
    dirs: set[str] = set()
    for path in set(before) | set(now):
        old, new = before.get(path, ()), now.get(path, ())
        if old == new or (_is_dir(old) and _is_dir(new)):
            continue   # a folder's own stamp: what was added or removed in it is an entry of its own
        rel = os.path.relpath(path, repo).replace(os.sep, "/")
        project_dir = _project_dir(rel, before, now, repo)
        if project_dir is None or not all(_resource(rel, stamp, read, facts.guarded) for stamp in (old, new)):
            return None
        dirs.add(project_dir)
    return dirs


def _project_dir(rel: str, before: snapshot.Tree, now: snapshot.Tree, repo: str) -> str | None:
    """`projects/<dir>` of an entry below it, when that folder's project file is there, unchanged."""
    parts = rel.split("/")
    if len(parts) < 3 or parts[0] != PROJECTS:
        return None
    folder = "/".join(parts[:2])
    for suffix in (*RESOURCE_SUFFIXES, ".jsonnet"):
        path = os.path.join(repo, folder, PROJECT_STEM + suffix)
        if before.get(path) and before.get(path) == now.get(path) and stat.S_ISREG(before[path][0]):
            return folder
    return None


def _resource(rel: str, stamp: tuple, read: set[str], guarded: list[str]) -> bool:
    """One side of a changed entry: absent, a folder, or a resource spec file no other file is read through."""
    if not stamp or _is_dir(stamp):
        return True
    parts = rel.split("/")
    name, suffix = os.path.splitext(parts[-1])
    if not stat.S_ISREG(stamp[0]) or suffix not in RESOURCE_SUFFIXES or rel in read:
        return False
    if len(parts) == 3 and name == PROJECT_STEM:
        return False
    return not any(rel.startswith(folder.rstrip("/") + "/") for folder in guarded)


def _is_dir(stamp: tuple) -> bool:
    return bool(stamp) and stat.S_ISDIR(stamp[0])


def record(state_dir: str, out: str, facts: Facts) -> None:
    """Write the facts of the compile that has just written `out` (beside its snapshot)."""
    try:
        write_sealed(os.path.join(state_dir, FILE), KIND,
                     {"output": snapshot.output_identity(out), **facts.payload()})
    except OSError:
        forget(state_dir)   # a cache: without it the next compile is a full one


def forget(state_dir: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(os.path.join(state_dir, FILE))
