"""Stage 2, load: spec files → `Value` trees that remember file, line and column.

YAML is parsed with PyYAML's C composer (line/column marks on every node) and
converted with YAML 1.2 core-schema scalar rules of our own: `on`/`yes` stay
strings, `010` is flagged, keys must be unique. Measured on the 940 spec files
of the 3,600-target benchmark repo: 0.29 s, against 3.6 s for ruamel.yaml's
round-trip loader giving the same positions (12×). ruamel stays the right tool
for edits that must keep comments (promote).

Jsonnet files evaluate to one document or a list of documents, with imports
confined to the repository and no environment or network access.
"""
from __future__ import annotations

import errno
import math
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from compiler.errors import Problem, clip
from compiler.provenance import APPEND, REPLACE, Origin, Value

if TYPE_CHECKING:
    from compiler.incremental.parsed import ParseCache
    from compiler.load.jsonnet import JsonnetEvaluator

MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_NODES_PER_FILE = 200_000  # guards against alias bombs ("billion laughs")
MAX_DEPTH = 100               # nesting levels of one document: deeper input is refused, never recursed into
MAX_INT_DIGITS = 4300         # Python refuses to convert longer decimal text (CVE-2020-10735)
MAX_INT_BITS = 14_000         # the same bound for 0x / 0o literals (about 4,200 decimal digits)

_STR, _SEQ, _MAP = "tag:yaml.org,2002:str", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"
_NULL = re.compile(r"^(~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?[0-9]+$")
_OCT, _HEX = re.compile(r"^0o[0-7]+$"), re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_INF, _NAN = re.compile(r"^[-+]?\.(inf|Inf|INF)$"), re.compile(r"^\.(nan|NaN|NAN)$")


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """No YAML 1.1 implicit typing: every plain scalar arrives as text for our 1.2 rules."""

    yaml_implicit_resolvers: dict = {}


class LoadError(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(problem.render())


@dataclass(frozen=True)
class HugeInteger:
    """An integer literal too long to be a number anywhere strata writes (more than 4,300 digits)."""

    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class LeadingZero:
    """`010`: YAML 1.1 read it as octal 8, YAML 1.2 as 10; we refuse to guess."""

    text: str

    def __str__(self) -> str:
        return self.text


def resolve_plain(text: str) -> Any:
    """A plain (unquoted) scalar under the YAML 1.2 core schema."""
    if _NULL.match(text):
        return None
    if text in _BOOL:
        return _BOOL[text]
    if _INT.match(text):
        digits = text.lstrip("+-")
        if len(digits) > MAX_INT_DIGITS:
            return HugeInteger(text)
        return LeadingZero(text) if len(digits) > 1 and digits[0] == "0" else int(text)
    if _OCT.match(text) or _HEX.match(text):
        number = int(text[2:], 8 if text[1] == "o" else 16)
        return HugeInteger(text) if number.bit_length() > MAX_INT_BITS else number
    if _FLOAT.match(text):
        return float(text)
    if _INF.match(text):
        return -math.inf if text.startswith("-") else math.inf
    if _NAN.match(text):
        return math.nan
    return text


class _Converter:
    """Composed YAML nodes → Value trees, for one file."""

    def __init__(self, file: str):
        self.file = file
        self.count = 0
        self.open: set[int] = set()   # ids of the nodes being converted: an alias to one is a cycle

    def origin(self, node: yaml.Node) -> Origin:
        return Origin(self.file, node.start_mark.line + 1, node.start_mark.column + 1)

    def fail(self, node: yaml.Node, message: str) -> LoadError:
        return LoadError(Problem(message, self.origin(node)))

    def value(self, node: yaml.Node, key_origin: Origin | None = None, depth: int = 0) -> Value:
        self.count += 1
        if self.count > MAX_NODES_PER_FILE:
            raise self.fail(node, f"document expands to more than {MAX_NODES_PER_FILE} values "
                                  "(an alias bomb?); strata refuses to expand it")
        if depth > MAX_DEPTH:
            raise self.fail(node, f"nested more than {MAX_DEPTH} levels deep; strata refuses to read it")
        tag = node.tag if node.tag in (REPLACE, APPEND) else None
        if isinstance(node, yaml.ScalarNode):
            data = self.scalar(node)
            raw = node.value if not isinstance(data, str) and not node.style else None
            return Value(data, self.origin(node), tag=tag, key_origin=key_origin, raw=raw)
        if id(node) in self.open:
            raise self.fail(node, "an alias refers to a mapping or list that contains it (a recursive anchor); "
                                  "strata cannot expand it")
        self.open.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return Value(self.mapping(node, depth), self.origin(node), tag=tag, key_origin=key_origin)
            assert isinstance(node, yaml.SequenceNode)
            return Value(self.sequence(node, depth), self.origin(node), tag=tag, key_origin=key_origin)
        finally:
            self.open.discard(id(node))

    def mapping(self, node: yaml.MappingNode, depth: int) -> dict[str, Value]:
        if node.tag not in (_MAP, REPLACE):
            raise self.fail(node, f"unsupported tag {_shown_tag(node.tag)} on a mapping (strata knows !replace)")
        out: dict[str, Value] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != _STR:
                raise self.fail(key_node, "mapping keys must be plain strings (no tags)")
            key = key_node.value
            if key in out:
                first = out[key].key_origin
                raise self.fail(key_node, f"duplicate key {clip(key)!r}" + (f" (first at line {first.line})" if first else ""))
            out[key] = self.value(value_node, self.origin(key_node), depth + 1)
        return out

    def sequence(self, node: yaml.SequenceNode, depth: int) -> list[Value]:
        if node.tag not in (_SEQ, REPLACE, APPEND):
            raise self.fail(node, f"unsupported tag {_shown_tag(node.tag)} on a list (strata knows !replace and !append)")
        return [self.value(item, None, depth + 1) for item in node.value]

    def scalar(self, node: yaml.ScalarNode) -> Any:
        if node.tag in (REPLACE, APPEND):
            raise self.fail(node, f"{node.tag} applies to a mapping or a list, not a scalar")
        if node.tag != _STR and not node.tag.startswith("tag:yaml.org,2002:"):
            raise self.fail(node, f"unsupported tag {_shown_tag(node.tag)} (strata knows !replace and !append)")
        if not node.style and node.tag == _STR:  # plain scalar (C parser: style "")
            data = resolve_plain(node.value)
        elif node.tag == _STR:
            return node.value
        else:
            data = _explicit(node, self)
        if isinstance(data, HugeInteger):
            raise self.fail(node, f"an integer of {len(data.text)} characters is out of range for any field "
                                  f"(strata reads at most {MAX_INT_DIGITS} digits); quote it to keep it as text")
        return data


def _shown_tag(tag: str) -> str:
    """`!!python/object/apply:os.system` as written, not as PyYAML expands it."""
    return clip("!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org,2002:") else tag)


def _explicit(node: yaml.ScalarNode, conv: _Converter) -> Any:
    """Explicit core tags (`!!int 5`) are honoured; anything else is an error."""
    resolved = resolve_plain(node.value)
    wanted = {"tag:yaml.org,2002:int": int, "tag:yaml.org,2002:float": float,
              "tag:yaml.org,2002:bool": bool, "tag:yaml.org,2002:null": type(None)}.get(node.tag)
    if isinstance(resolved, HugeInteger) and wanted is int:
        return resolved
    if wanted is None or not isinstance(resolved, wanted):
        raise conv.fail(node, f"{clip(node.value)!r} is not a valid {clip(node.tag.rsplit(':', 1)[-1])}")
    return resolved


def inside_repo(repo: Path, path: Path) -> bool:
    """`path`, symlinks resolved, lies in `repo` (a symlink loop does not)."""
    try:
        real = path.resolve()
    except (OSError, RuntimeError):   # RuntimeError: a symlink loop, before Python 3.13
        return False
    return _resolved_inside(repo, real)


def _resolved_inside(repo: Path, real: Path) -> bool:
    """`inside_repo` for a path already resolved (resolving costs a syscall per path component)."""
    try:
        real.relative_to(repo.resolve())
        return True
    except (ValueError, OSError, RuntimeError):
        return False


def confined(repo: Path, rel: str) -> Path:
    """The real path of a repo file strata may read: inside the repo, a regular file, at most 8 MiB.

    Raises LoadError located at the file. The same rule for every file strata reads
    (specs, Jsonnet imports, chart files): nothing outside the repository, no FIFOs or
    devices that would block a read, no file too large to hold in memory safely.
    """
    origin = Origin(rel, 1, 1)
    try:
        real = (repo / rel).resolve(strict=True)
        info = real.stat()
    except (OSError, RuntimeError) as exc:
        loop = isinstance(exc, RuntimeError) or getattr(exc, "errno", None) == errno.ELOOP
        raise LoadError(Problem("symlink loop; strata cannot read this file" if loop
                                else f"cannot read file: {getattr(exc, 'strerror', None) or exc}", origin)) from None
    if not _resolved_inside(repo, real):
        raise LoadError(Problem(f"file resolves outside the repository ({clip(str(real))}); strata only reads "
                                "files inside the repo", origin))
    if not stat.S_ISREG(info.st_mode):
        raise LoadError(Problem("not a regular file (a FIFO or device?); strata only reads regular files", origin))
    if info.st_size > MAX_FILE_BYTES:
        raise LoadError(Problem(f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB", origin))
    return real


def read_text(repo: Path, rel: str) -> str:
    """UTF-8 text of a repo file, refusing symlinks that leave the repo and oversized files."""
    origin = Origin(rel, 1, 1)
    with open(confined(repo, rel), "rb") as handle:
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:   # grew since the check
        raise LoadError(Problem(f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB", origin))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise LoadError(Problem(f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); spec files must be UTF-8",
                                Origin(rel, line, col))) from None


def load_yaml(text: str, rel: str) -> list[Value]:
    """Every non-empty document of a YAML stream."""
    conv = _Converter(rel)
    docs = []
    try:
        for node in yaml.compose_all(text, Loader=_Loader):
            if node is not None and not _empty(node):
                docs.append(conv.value(node))
    except yaml.MarkedYAMLError as exc:
        raise LoadError(yaml_problem(exc, text, rel)) from None
    except yaml.YAMLError as exc:
        raise LoadError(Problem(f"malformed YAML: {exc}", Origin(rel, 1, 1))) from None
    return docs


def yaml_problem(exc: yaml.MarkedYAMLError, text: str, rel: str) -> Problem:
    """PyYAML's parser message turned into the probable mistake, at the line to fix.

    The parser's own words stay at the end (they are what a web search finds).
    """
    raw = " ".join(str(p) for p in (exc.context, exc.problem) if p)
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line, mark.column) if mark else (0, 0)
    lines = text.splitlines()
    cause, line, col = _probable_cause(raw, exc, lines, line, col)
    message = f"malformed YAML: {cause} (parser: {raw})" if cause else f"malformed YAML: {raw}"
    return Problem(message, Origin(rel, line + 1, col + 1))


def _probable_cause(raw: str, exc: yaml.MarkedYAMLError, lines: list[str], line: int,
                    col: int) -> tuple[str, int, int]:
    """(what is probably wrong, 0-based line and column to report it at)."""
    here = lines[line] if line < len(lines) else ""
    opened = exc.context_mark
    if "cannot start any token" in raw and col < len(here):
        char = here[col]
        if char == "\t":
            return "a tab character; YAML is indented with spaces only", line, col
        return f"a plain value cannot start with {char!r}; quote the value", line, col
    if "while scanning an alias" in raw:
        return "a value starting with '*' is read as an alias; quote it (a cron line: \"0 * * * *\")", line, col
    if "undefined alias" in raw:
        return "'*' refers to an anchor (&name) that is not defined; quote the value if it is text", line, col
    if "could not find expected ':'" in raw and opened is not None:
        return "this key has no ':' after it (write `key: value`)", opened.line, opened.column
    if "while scanning a quoted scalar" in raw and opened is not None:
        return "this quote is never closed", opened.line, opened.column
    if "while parsing a flow" in raw and opened is not None:
        bracket = lines[opened.line][opened.column] if opened.line < len(lines) else "["
        return f"this {bracket!r} is never closed, or a ',' is missing between its items", opened.line, opened.column
    if "did not find expected key" in raw:
        return _indentation_cause(lines, line, col), line, col
    if "mapping values are not allowed" in raw:
        return _colon_cause(lines, line, col)
    return "", line, col


def _indentation_cause(lines: list[str], line: int, col: int) -> str:
    here = lines[line] if line < len(lines) else ""
    if here.lstrip().startswith("- "):
        return "a list item where a key was expected: indent the `- ` lines under the key that holds the list"
    above = sorted({_indent(t) for t in lines[:line] if t.strip() and not t.lstrip().startswith("#")})
    return (f"this line is indented by {col} space{'s' if col != 1 else ''}, which matches no mapping above it "
            f"(keys above are indented by {' or '.join(map(str, above))} spaces); check its indentation")


def _colon_cause(lines: list[str], line: int, col: int) -> tuple[str, int, int]:
    """`key: value: more`, a key above without its colon, or a line indented under a scalar."""
    here = lines[line] if line < len(lines) else ""
    if ": " in here[:col].split("#")[0] and not here[:col].lstrip().startswith("- "):
        return "a value holds ': '; quote the value", line, col
    previous = next((i for i in range(line - 1, -1, -1) if lines[i].strip() and
                     not lines[i].lstrip().startswith("#")), None)
    if previous is not None:
        text = lines[previous].strip()
        if ":" not in text and not text.startswith("- "):
            return "the key on this line has no ':' after it (write `key: value`)", previous, _indent(lines[previous])
        if re.search(r":[^\s]", text) and not re.search(r":(\s|$)", text):
            return "a ':' needs a space after it (`key: value`)", previous, text.index(":") + _indent(lines[previous])
        if _indent(here) > _indent(lines[previous]):
            return ("this line is indented more than the key above it, so YAML reads it as part of that "
                    "key's value; align it with the other keys", line, _indent(here))
    return "", line, col


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip(" "))


def _empty(node: yaml.Node) -> bool:
    """A document that is only `---` (or a comment) holds nothing."""
    return isinstance(node, yaml.ScalarNode) and not node.style and node.value == "" and node.tag == _STR


def load_jsonnet(repo: Path, rel: str, jsonnet: JsonnetEvaluator | None = None) -> list[Value]:
    """Evaluate a Jsonnet file (bounded, imports confined to the repo); one doc or a list of docs."""
    from compiler.load.jsonnet import JsonnetEvaluator

    real = confined(repo, rel)   # same guards as YAML: inside the repo, a regular file, size
    read_text(repo, rel)         # and UTF-8
    if jsonnet is None:
        with JsonnetEvaluator(repo) as own:
            result = own.evaluate(rel, real)
    else:
        result = jsonnet.evaluate(rel, real)
    docs = result if isinstance(result, list) else [result]
    return [from_plain(doc, Origin(rel, 1, 1)) for doc in docs]


def from_plain(data: Any, origin: Origin, depth: int = 0) -> Value:
    """Plain data (from Jsonnet) as a Value tree; every node points at `origin`."""
    if depth > MAX_DEPTH and isinstance(data, (dict, list)):
        raise LoadError(Problem(f"jsonnet: the result is nested more than {MAX_DEPTH} levels deep; "
                                "strata refuses to read it", origin))
    if isinstance(data, dict):
        return Value({str(k): from_plain(v, origin, depth + 1) for k, v in data.items()}, origin, key_origin=origin)
    if isinstance(data, list):
        return Value([from_plain(v, origin, depth + 1) for v in data], origin)
    return Value(data, origin)


def load_file(repo: Path, rel: str, text: str | None = None, jsonnet: JsonnetEvaluator | None = None,
              parsed: ParseCache | None = None) -> list[Value]:
    """A spec file's documents; `text` stands in for a YAML file's content (an edit not yet written),
    `jsonnet` evaluates .jsonnet files (one bounded worker for a whole load), `parsed` shares YAML
    parse results by content between loads (compiler/incremental/parsed.py)."""
    if rel.endswith(".jsonnet"):
        return load_jsonnet(repo, rel, jsonnet)
    text = read_text(repo, rel) if text is None else text
    return load_yaml(text, rel) if parsed is None else parsed.parse(text, rel, load_yaml)
