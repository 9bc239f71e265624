"""Write a promotion into `overrides.<env>` of resource documents, keeping every other byte.

ruamel.yaml's round-trip mode makes the edit: it keeps the comments, key order, quoting,
flow/block style and tags (`!replace`) of what it loads. Its dump can still differ from the
original on lines nobody edited — it joins a flow list written across several lines and
realigns the comments after it (1 of the 35 example files). So each file is dumped twice,
unedited and edited, and only the lines that differ between those two dumps are spliced into
the original text, where the unedited dump's neighbouring lines sit in it. A line that cannot
be placed without guessing is an error, never a guess, and the spliced text must read back
as exactly the document ruamel edited.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from difflib import SequenceMatcher, unified_diff
from itertools import pairwise
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import ScalarString

from compiler.errors import StrataError
from compiler.load.yaml_files import LoadError, load_yaml
from compiler.merge.field_rules import ANY, Rule
from compiler.provenance import Value

# (mapping indent, sequence indent, dash offset) tried after the one a file's text shows: the one
# whose unedited dump reproduces the most lines is the file's own style, so new lines match it.
INDENTS = ((2, 4, 2), (2, 2, 0), (4, 4, 2), (4, 6, 4), (4, 4, 0))


@dataclass(frozen=True)
class DocEdit:
    """Merge `patch` into `overrides.<env>` of the document `kind`/`name`."""

    kind: str
    name: str
    patch: dict[str, Any]
    rule: Rule            # the kind's spec rule: which lists merge by key


def edit_file(text: str, rel: str, env: str, edits: list[DocEdit]) -> str:
    """`text` with every edit written; raises StrataError (located at the file) when it cannot."""
    if "\r\n" in text:   # ruamel writes \n: edit with \n, give the file its own line ends back
        return edit_file(text.replace("\r\n", "\n"), rel, env, edits).replace("\n", "\r\n")
    try:
        docs = list(_yaml(INDENTS[0]).load_all(text))   # the indent settings only matter for dumping
        yaml, unedited = _own_style(text, docs)
        for edit in edits:
            overrides, _ = _child_map(_document(docs, edit, rel), "overrides")
            env_map, _ = _child_map(overrides, env)
            _merge(env_map, edit.patch, edit.rule)
        edited = _dump(yaml, docs)
    except YAMLError as error:
        raise StrataError(f"{rel}: ruamel.yaml cannot edit this file: {error}") from None
    result = splice(text, unedited, edited, rel)
    _same_documents(result, edited, rel)
    return result


def _yaml(indent: tuple[int, int, int]) -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096                      # never fold a long line the edit writes
    mapping, sequence, offset = indent
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    # ruamel writes None as an empty value; strata files spell a deletion `null`
    yaml.representer.add_representer(type(None), lambda r, _: r.represent_scalar("tag:yaml.org,2002:null", "null"))
    return yaml


def _own_style(text: str, docs: list[Any]) -> tuple[YAML, str]:
    """The configured YAML whose dump of the unedited `docs` keeps the most lines of `text`, and
    that dump. The indentation the text itself shows is tried first: usually the only dump needed."""
    lines = text.splitlines(keepends=True)
    best: tuple[int, YAML, str] | None = None
    for indent in dict.fromkeys((guess_indent(lines), *INDENTS)):
        yaml = _yaml(indent)
        dumped = _dump(yaml, docs)
        if dumped == text:
            return yaml, dumped
        kept = sum(n for _, _, n in SequenceMatcher(None, lines, dumped.splitlines(keepends=True),
                                                     autojunk=False).get_matching_blocks())
        if best is None or kept > best[0]:
            best = (kept, yaml, dumped)
    assert best is not None
    return best[1], best[2]


def guess_indent(lines: list[str]) -> tuple[int, int, int]:
    """(mapping, sequence, offset) as the first nested mapping and the first block list show them."""
    mapping = offset = None
    for above, line in pairwise(lines):
        key, inner = _indent(above), _indent(line)
        if key is None or inner is None or not above.rstrip().endswith(":"):
            continue
        if line.lstrip().startswith("- "):
            offset = inner - key if offset is None else offset
        elif mapping is None and inner > key:
            mapping = inner - key
    offset = 2 if offset is None else offset
    return mapping or 2, offset + 2, offset


def _indent(line: str) -> int | None:
    stripped = line.lstrip(" ")
    return None if not stripped.strip() or stripped.startswith("#") else len(line) - len(stripped)


def _dump(yaml: YAML, docs: list[Any]) -> str:
    out = io.StringIO()
    yaml.dump_all(docs, out)
    return out.getvalue()


def _document(docs: list[Any], edit: DocEdit, rel: str) -> CommentedMap:
    for doc in docs:
        if isinstance(doc, CommentedMap) and doc.get("kind") == edit.kind and doc.get("name") == edit.name:
            return doc
    raise StrataError(f"{rel}: no document {edit.kind} {edit.name} to edit")


def _child_map(parent: CommentedMap, key: str) -> tuple[CommentedMap, bool]:
    """The mapping at `key` (kept as written: flow or block, tags), created when absent or not a mapping."""
    found = parent.get(key)
    if isinstance(found, CommentedMap):
        return found, False
    created = CommentedMap()
    parent[key] = created
    return created, True


def _merge(node: CommentedMap, patch: dict[str, Any], rule: Rule) -> None:
    """Set every leaf of `patch` in `node`; lists with a merge key are merged item by item."""
    for key, value in patch.items():
        child = rule.child(key) or ANY
        if isinstance(value, dict):
            target, created = _child_map(node, key)
            _merge(target, value, child)
            if created:
                _flow_if_flat(target)
        elif isinstance(value, list) and child.merge_key:
            _merge_items(node, key, value, child)
        else:
            node[key] = _styled(node.get(key), value)


def _merge_items(node: CommentedMap, key: str, items: list[dict[str, Any]], rule: Rule) -> None:
    found = node.get(key)
    if not isinstance(found, CommentedSeq):
        found = CommentedSeq()
        node[key] = found
    merge_key, item_rule = rule.merge_key or "", rule.items or ANY
    for item in items:
        existing = next((e for e in found if isinstance(e, CommentedMap)
                         and str(e.get(merge_key)) == str(item[merge_key])), None)
        if existing is None:
            existing = CommentedMap()
            found.append(existing)
        _merge(existing, item, item_rule)


def _flow_if_flat(node: CommentedMap) -> None:
    """A new mapping of scalars is written `{version: 4}`, as strata's example files do."""
    if node and not any(isinstance(v, (dict, list)) for v in node.values()):
        node.fa.set_flow_style()


def _styled(old: Any, new: Any) -> Any:
    """A new string keeps the quoting of the string it replaces."""
    if isinstance(new, str) and isinstance(old, ScalarString):
        return type(old)(new)
    if isinstance(new, list) and all(not isinstance(v, (dict, list)) for v in new):
        seq = CommentedSeq(new)
        seq.fa.set_flow_style()
        return seq
    return new


def splice(original: str, unedited: str, edited: str, rel: str) -> str:
    """`original` with the lines that differ between `unedited` and `edited` (two dumps) replaced."""
    if original and not original.endswith("\n"):   # ruamel ends every dump with a newline
        spliced = splice(original + "\n", unedited, edited, rel)
        return spliced[:-1] if spliced.endswith(original.rsplit("\n", 1)[-1] + "\n") else spliced
    lines = original.splitlines(keepends=True)
    before, after = unedited.splitlines(keepends=True), edited.splitlines(keepends=True)
    place = _placement(lines, before)
    out = list(lines)
    hunks = [op for op in SequenceMatcher(None, before, after, autojunk=False).get_opcodes() if op[0] != "equal"]
    for _tag, i1, i2, j1, j2 in reversed(hunks):
        start, end = _span(place, i1, i2, len(before), rel)
        out[start:end] = after[j1:j2]
    return "".join(out)


def _placement(lines: list[str], dumped: list[str]) -> dict[int, int]:
    """Dumped line index → original line index, for the lines the dump reproduced exactly."""
    place = {}
    for i, j, n in SequenceMatcher(None, lines, dumped, autojunk=False).get_matching_blocks():
        place.update({j + k: i + k for k in range(n)})
    return place


def _span(place: dict[int, int], i1: int, i2: int, total: int, rel: str) -> tuple[int, int]:
    """The original lines a hunk of dumped lines [i1, i2) stands for (an insertion when i1 == i2)."""
    if i1 < i2:
        mapped = [place[i] for i in range(i1, i2) if i in place]
        if len(mapped) == i2 - i1 and mapped == list(range(mapped[0], mapped[0] + len(mapped))):
            return mapped[0], mapped[-1] + 1
    elif i1 > 0 and i1 - 1 in place:
        return place[i1 - 1] + 1, place[i1 - 1] + 1
    elif i1 < total and i1 in place:
        return place[i1], place[i1]
    elif i1 == 0:
        return 0, 0
    raise StrataError(f"{rel}: cannot place the edit without rewriting lines around it (ruamel.yaml "
                      "reformats them); edit this file by hand as `strata promote` shows")


def _same_documents(result: str, edited: str, rel: str) -> None:
    """The spliced text must read back as the document ruamel edited (tags included)."""
    try:
        ours, theirs = load_yaml(result, rel), load_yaml(edited, rel)
    except LoadError as error:
        raise StrataError([error.problem]) from None
    if list(map(_shape, ours)) != list(map(_shape, theirs)):
        raise StrataError(f"{rel}: the edit could not be spliced into the file without changing other lines; "
                          "edit it by hand as `strata promote` shows")


def _shape(value: Value) -> Any:
    data = value.data
    if isinstance(data, dict):
        return (value.tag, {k: _shape(v) for k, v in data.items()})
    if isinstance(data, list):
        return (value.tag, [_shape(v) for v in data])
    return (value.tag, data, value.raw)


def file_diff(old: str, new: str, rel: str) -> list[str]:
    """The unified diff of one file, for people reading what promote wrote (or would write)."""
    return [line.rstrip("\n") for line in unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                                       f"a/{rel}", f"b/{rel}", n=2)]
