"""`strata merge`: verify the shards, refuse a set that is not one compile's, join them.

Each shard folder must be a `strata compile --shard K/N` output whose every listed file matches
the sha256 its manifest.json records (files it does not list are left out of the merge). The set must be shards 1..N of one
N, each once, of the same source (commit and inputs), by the same strata as this one, owning
disjoint folders. Then the output is the shards' files plus what needs every shard: the
manifest's capacity figures (from the owning shard's facts and every target's `gpus` lines)
and the delivery targets (from the recorded settings and every entry's object refs). The
repository is not loaded and nothing is rendered again.
"""
from __future__ import annotations

import hashlib
import json
import os
import stat
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compiler import __version__
from compiler.errors import Problem, StrataError

MANIFEST = "manifest.json"   # compiler.output.assemble.MANIFEST (not imported: merge starts light)
RECORD = "shard"             # compiler.shard.partial.RECORD
ENTRY_LISTS = ("targets", "projects", "platforms")


@dataclass(frozen=True)
class Part:
    """One shard folder as read: its manifest, its `shard` record and the sha256 of its files."""

    folder: Path
    doc: dict[str, Any]
    files: dict[str, str]          # listed file → sha256 of its content (NOT_A_FILE: not a regular file)

    @property
    def record(self) -> dict[str, Any]:
        return self.doc[RECORD]

    @property
    def label(self) -> str:
        return f"{self.record['index']}/{self.record['count']}"

    @property
    def name(self) -> str:
        return str(self.folder)


@dataclass(frozen=True)
class Joined:
    """The full output: files made here, and the shards' files (relative path → where it is)."""

    files: dict[str, bytes]
    links: dict[str, Path]

    def __len__(self) -> int:
        return len(self.files) + len(self.links)


def merge_shards(folders: Iterable[Path]) -> Joined:
    """The full output of the shards in `folders`; StrataError with one line per reason when they
    are not a complete, untouched set of one compile's shards."""
    parts = [read_part(Path(folder)) for folder in folders]
    problems = [p for part in parts for p in verify(part)]
    problems += check_set(parts)
    if problems:
        raise StrataError([Problem(p) for p in problems])
    return join(parts)


# --- reading and verifying one shard -----------------------------------------------------------------

def read_part(folder: Path) -> Part:
    """Its manifest and the sha256 of every file it lists (compared by `verify`)."""
    try:
        doc = json.loads((folder / MANIFEST).read_bytes())
    except FileNotFoundError:
        raise StrataError(f"{folder}: no {MANIFEST}; a shard is the output of strata compile --shard K/N") from None
    except (OSError, ValueError) as exc:
        raise StrataError(f"{folder}/{MANIFEST}: cannot read it ({getattr(exc, 'strerror', None) or exc})") from None
    if not isinstance(doc, dict) or not _is_record(doc.get(RECORD)):
        raise StrataError(f"{folder}: not a shard (its {MANIFEST} has no shard record); "
                          "a shard is the output of strata compile --shard K/N")
    return Part(folder, doc, _hash_files(folder, _listed(doc)))


def _is_record(record: Any) -> bool:
    keys = {"index": int, "count": int, "source": dict, "tool": dict, "folders": list, "environments": dict,
            "members": dict}
    return isinstance(record, dict) and all(isinstance(record.get(k), t) for k, t in keys.items())


NOT_A_FILE = ""   # the "sha256" of a symbolic link or other non-regular file: never a manifest's
MISSING = "-"     # of a listed file that is not there


def _listed(doc: dict[str, Any]) -> list[str]:
    """The output files the manifest's entries list (anything else in the folder is left out)."""
    entries = [e for key in ENTRY_LISTS for e in doc.get(key, []) if isinstance(e, dict)]
    return sorted({str(rel) for e in entries for rel in e.get("outputs", {})})


def _hash_files(folder: Path, listed: list[str]) -> dict[str, str]:
    """Relative path → sha256 of each listed file that is there (links and other special files
    are not followed: NOT_A_FILE). The folder is not walked: at thousands of folders, listing
    them cost more than hashing."""
    with ThreadPoolExecutor(max_workers=4) as pool:   # reading and hashing release the GIL
        found = dict(zip(listed, pool.map(lambda rel: _sha256(folder, rel), listed), strict=True))
    return {rel: digest for rel, digest in found.items() if digest is not MISSING}


def _sha256(folder: Path, rel: str) -> str:
    if ".." in Path(rel).parts or Path(rel).is_absolute():
        return NOT_A_FILE             # a manifest naming a file outside its shard
    path = folder / rel
    try:
        with open(path, "rb", opener=lambda name, flags: os.open(name, flags | os.O_NOFOLLOW)) as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                return NOT_A_FILE
            return hashlib.sha256(handle.read()).hexdigest()
    except FileNotFoundError:
        return MISSING
    except OSError:
        return NOT_A_FILE


def verify(part: Part) -> list[str]:
    """Every file its manifest lists, there with that sha256; every entry in its folders."""
    expected: dict[str, str] = {}
    problems = []
    owned = set(part.record["folders"])
    for key in ENTRY_LISTS:
        for entry in part.doc.get(key, []):
            expected.update(entry.get("outputs", {}))
            if _cell(entry["folder"]) not in owned:
                problems.append(f"{part.name}: {entry['folder']} is not among the folders shard {part.label} owns")
    for rel in sorted(set(expected) - set(part.files)):
        problems.append(f"{part.name}: {rel} is missing (its {MANIFEST} lists it)")
    for rel in sorted(set(part.files) & set(expected)):
        if part.files[rel] == NOT_A_FILE:
            problems.append(f"{part.name}: {rel} is not a regular file (a shard holds only the files strata wrote)")
        elif part.files[rel] != expected[rel]:
            problems.append(f"{part.name}: {rel} was changed after the compile (its sha256 is not the one "
                            f"{MANIFEST} records)")
    return problems


def _cell(folder: str) -> str:
    """The unit folder an entry belongs to: `<env>/<project>` or `<env>/_platform`."""
    return "/".join(folder.split("/")[:2])


# --- the set -----------------------------------------------------------------------------------------

def check_set(parts: list[Part]) -> list[str]:
    """One compile's shards 1..N, each once, same source and strata (this version), disjoint folders."""
    first = parts[0]
    problems = [f"{p.name} is shard {p.label} but {first.name} is shard {first.label}: shards of different "
                "splits (compile every shard with the same N)" for p in parts if p.record["count"] != first.record["count"]]
    if problems:
        return problems
    count = first.record["count"]
    by_index: dict[int, list[Part]] = defaultdict(list)
    for part in parts:
        by_index[part.record["index"]].append(part)
    problems += [f"shard {index}/{count} is given twice: {', '.join(p.name for p in found)}"
                 for index, found in sorted(by_index.items()) if len(found) > 1]
    problems += [f"shard {index}/{count} is missing (merge needs all {count}; given: "
                 f"{', '.join(sorted(p.label for p in parts))})" for index in range(1, count + 1) if index not in by_index]
    for part in parts[1:]:
        problems += _foreign(part, first)
    if first.record["tool"].get("version") != __version__:
        problems.append(f"{first.name} was compiled by strata {first.record['tool'].get('version')}, this is "
                        f"strata {__version__}: merge with the strata that compiled the shards")
    if not problems:
        problems += _overlaps(parts)
    return problems


def _foreign(part: Part, first: Part) -> list[str]:
    mine, theirs = part.record, first.record
    found = []
    if mine["source"].get("commit") != theirs["source"].get("commit"):
        found.append(f"{part.name} was compiled from commit {_short(mine['source'].get('commit'))}, {first.name} from "
                     f"{_short(theirs['source'].get('commit'))}: shards of another source")
    elif mine["source"].get("inputs") != theirs["source"].get("inputs"):
        found.append(f"{part.name} was compiled from other input files than {first.name} (an uncommitted edit?): "
                     "shards of another source")
    if mine["tool"] != theirs["tool"]:
        found.append(f"{part.name} was compiled by strata {mine['tool'].get('version')}, {first.name} by strata "
                     f"{theirs['tool'].get('version')}" + (" (another build of it)" if mine["tool"].get("version") ==
                                                           theirs["tool"].get("version") else ""))
    return found


def _short(commit: Any) -> str:
    return str(commit)[:12] if commit else "(no git commit)"


def _overlaps(parts: list[Part]) -> list[str]:
    owner: dict[str, Part] = {}
    problems = []
    for part in parts:
        for folder in part.record["folders"]:
            if folder in owner:
                problems.append(f"{owner[folder].name} and {part.name} both hold {folder}")
            owner[folder] = part
    return problems


# --- joining -----------------------------------------------------------------------------------------

def join(parts: list[Part]) -> Joined:
    """Every shard's files, the delivery targets, and manifest.json as a full compile writes it."""
    links = {rel: Path(os.path.join(part.folder, rel)) for part in parts for rel in part.files}
    files: dict[str, bytes] = {}
    entries = {key: [e for part in parts for e in part.doc.get(key, [])] for key in ENTRY_LISTS}
    deliveries = delivery_targets(parts, [e for key in ENTRY_LISTS for e in entries[key]])
    for delivery in deliveries:
        files.update(delivery.files)
    entries["targets"] += [delivery.entry() for delivery in deliveries]
    files[MANIFEST] = manifest(parts, entries)
    return Joined(files, links)


def manifest(parts: list[Part], entries: dict[str, list[dict]]) -> bytes:
    """The shards' common fields, every entry, and each environment's capacity figures."""
    from compiler.capacity.report import EnvFacts, lines_of_entries, summarize, to_json
    from compiler.output.assemble import manifest_bytes

    doc = {key: value for key, value in parts[0].doc.items() if key != RECORD}
    lines = lines_of_entries(entries["targets"])
    facts = [EnvFacts.from_record(block["facts"]) for part in parts for block in part.record["environments"].values()]
    doc["capacity"] = {f.env: to_json(summarize(f, lines.get(f.env, [])), workloads=False) for f in facts}
    for key, found in entries.items():
        doc[key] = sorted(found, key=lambda e: e["folder"])
    return manifest_bytes(doc)


def delivery_targets(parts: list[Part], entries: list[dict]) -> list:
    """The delivery target of each environment an engine delivers, from the records."""
    from compiler.delivery.settings import DeliverySettings
    from compiler.delivery.target import recorded_delivery

    refs: dict[str, list[tuple[str, dict[str, str]]]] = defaultdict(list)
    for entry in entries:
        refs[entry["env"]] += [(entry["folder"], ref) for ref in entry.get("objects", [])]
    members: dict[str, list[list[str]]] = defaultdict(list)
    for part in parts:
        for env, found in part.record["members"].items():
            members[env] += found
    version = parts[0].record["tool"]["version"]
    found = []
    for part in parts:
        for env, block in sorted(part.record["environments"].items()):
            recipe = block.get("delivery")
            if recipe is None:
                continue
            found.append(recorded_delivery(env, DeliverySettings.from_record(recipe["settings"]), recipe["scheduler"],
                                           recipe["namespaces"], [tuple(f) for f in recipe["files"]], members[env],
                                           refs[env], recipe["config"], version))
    return found
