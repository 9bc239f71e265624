"""Content digests: everything a target's output is a function of, as one sha256.

A target's digest covers
  - strata's version and this digest scheme,
  - `strata.yaml` (chart folders and output settings apply to every target),
  - the target's identity (environment, project, kind and name),
  - its own input files, each by path and sha256 (the layers it was merged from,
    the files their Jsonnet imports read, the chart files it renders with), and
  - the identity and digest of every target it references, so a Dataset's change
    reaches the Job that mounts it and, through the Job, the Pipeline that embeds it.

A platform node's digest (`out/<env>/_platform`) covers the same prefix, its key and its
input files: the environment's and its group's.

Equal digests mean equal output: `compile` keeps a target's previous output when its
digest is unchanged (compiler/output/cache.py); `manifest.json` records it. strata's
own code is not in the digest (a development build does not bump the version): the
reuse cache also checks a fingerprint of strata's source.
"""
from __future__ import annotations

import hashlib
from collections.abc import Mapping

from compiler import __version__
from compiler.graph.build import Graph
from compiler.targets import Key

SCHEME = "strata-target-digest/1"


def target_digests(graph: Graph, hashes: Mapping[str, str], config: str = "",
                   version: str = __version__) -> dict[Key, str]:
    """Every node's digest; `hashes` maps each input file to its sha256, `config` is strata.yaml's."""
    found: dict[Key, str] = {}
    prefix = f"{SCHEME}\0{version}\0{config}\0"
    for key in graph.nodes:
        _digest(graph, key, hashes, prefix, found, ())
    for platform in graph.platforms:
        parts = [prefix, "\0".join(platform.key), "\n"]
        parts += [f"file\0{path}\0{hashes[path]}\n" for path in platform.files]
        found[platform.key] = hashlib.sha256("".join(parts).encode()).hexdigest()
    return found


def _digest(graph: Graph, key: Key, hashes: Mapping[str, str], prefix: str, found: dict[Key, str],
            visiting: tuple[Key, ...]) -> str:
    if key in found:
        return found[key]
    if key in visiting:   # references cannot form a cycle between today's kinds; never loop if one does
        return ""
    node = graph.nodes[key]
    parts = [prefix, "\0".join(key), "\n"]
    parts += [f"file\0{path}\0{hashes[path]}\n" for path in node.files]
    for other in sorted(set(graph.references(key))):
        parts.append(f"ref\0{chr(0).join(other)}\0{_digest(graph, other, hashes, prefix, found, (*visiting, key))}\n")
    found[key] = hashlib.sha256("".join(parts).encode()).hexdigest()
    return found[key]
