"""Which folder strata may replace with its output (SPEC §7); anything else is refused untouched.

A compile replaces its output folder as a whole, so that folder must be strata's: absent,
empty, or holding strata's own manifest.json. Never the repository root or a folder
holding it, never a folder holding `.git`, never a spec or chart folder (nor inside or
above one), never a plain file. strata.yaml's `output:` must resolve inside the
repository (a committed setting runs on every pull request in CI); an explicit `--out`
may name a folder elsewhere (CI renders to a scratch folder).
"""
from __future__ import annotations

import json
import mmap
import os
from pathlib import Path

from compiler.errors import Problem, StrataError
from compiler.load.discover import CONFIG_FILE, RepoConfig
from compiler.output.assemble import MANIFEST
from compiler.output.state import STATE_DIR
from compiler.provenance import Origin

SPEC_FOLDERS = ("layers", "environments", "projects")


def output_folder(repo: Path, config: RepoConfig, explicit: Path | None) -> Path:
    """The resolved output folder, or StrataError saying why strata refuses to replace it."""
    repo = repo.resolve()
    if explicit is not None:
        out, named, origin = explicit.resolve(), f"--out {explicit}", None
    else:
        out, named = (repo / config.output).resolve(), f"output {config.output!r}"
        origin = config.output_origin or Origin(CONFIG_FILE, 1, 1)
        if not out.is_relative_to(repo):
            raise StrataError([Problem(f"{named} resolves outside the repository ({out}); strata.yaml may only name "
                                       "a folder inside it (pass --out to write elsewhere)", origin)])
    why = replaceable(repo, config, out)
    if why:
        raise StrataError([Problem(f"{named}: {why}", origin)])
    return out


def replaceable(repo: Path, config: RepoConfig, out: Path, marker: str = MANIFEST) -> str | None:
    """Why strata will not replace the resolved folder `out` (by a folder that `marker` names as
    its own: manifest.json for compile's output, strata-docs.json for the docs site), or None."""
    return _protected(repo, config, out) or refusal(out, marker)


def refusal(out: Path, marker: str = MANIFEST) -> str | None:
    """Why the folder `out` is not strata's to replace, or None (checked again under the lock)."""
    if not out.exists():
        return None
    if not out.is_dir():
        return f"{out} is a file, not a folder"
    if (out / ".git").exists():
        return f"{out} holds .git"
    if any(os.scandir(out)) and not is_strata_output(out, marker):
        return (f"{out} is not empty and holds no strata {marker}; strata replaces only a folder that is "
                "absent, empty or its own output")
    return None


def is_strata_output(folder: Path, marker: str = MANIFEST) -> bool:
    """`marker` is a JSON object naming strata as its tool, with a format version."""
    try:
        with open(folder / marker, "rb") as handle:
            head = handle.read(_WHOLE)
            if len(head) < _WHOLE:
                return _is_strata_marker(json.loads(head))
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as whole:
                return (head.startswith(b"{\n") and whole.find(_VERSION) >= 0
                        and _ends_with_strata_tool(whole[-_TAIL:]))
    except (OSError, ValueError):
        return False


# A marker this small is parsed whole. A bigger one is a manifest.json (MBs with thousands of
# targets; every compile reads it twice, and parsing it cost more than the delta compile's
# rendering): strata writes its top-level members one per line, keys sorted, so `tool` is the
# last member, and a search for the format version's line costs a millisecond.
_WHOLE = 64 * 1024
_TAIL = 512
_VERSION = b'\n  "format_version": '
_TOOL = b'\n  "tool": '


def _is_strata_marker(doc: object) -> bool:
    if not isinstance(doc, dict):
        return False
    tool = doc.get("tool")
    return isinstance(tool, dict) and tool.get("name") == "strata" and "format_version" in doc


def _ends_with_strata_tool(tail: bytes) -> bool:
    """The last member is `"tool": {... "name": "strata" ...}` and closes the object."""
    start = tail.rfind(_TOOL)
    if start < 0:
        return False
    text = tail[start + len(_TOOL):].decode("utf-8")
    tool, end = json.JSONDecoder().raw_decode(text)
    return isinstance(tool, dict) and tool.get("name") == "strata" and text[end:].strip() == "}"


def _protected(repo: Path, config: RepoConfig, out: Path) -> str | None:
    """The repository itself, its specs, charts, .git and .strata: never output, nor inside or above it."""
    if out == repo:
        return "is the repository root"
    if repo.is_relative_to(out):
        return f"{out} holds the repository"
    folders = [repo / name for name in (*SPEC_FOLDERS, ".git", STATE_DIR)] + [d.resolve() for d in config.chart_dirs]
    for folder in folders:
        shown = os.path.relpath(folder, repo)
        if folder.is_relative_to(out):
            return f"{out} is or holds {shown}/, which strata reads"
        if out.is_relative_to(folder):
            return f"{out} lies inside {shown}/, which strata reads"
    return None
