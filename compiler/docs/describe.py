"""A resource's description: the comment block written right above its document.

Config repos document a resource the way this repository's example and `strata new`'s
templates do, with comment lines above `kind:`; the loader drops comments, so they are
read here from the file (already known to be inside the repository).
"""
from __future__ import annotations

from pathlib import Path

from compiler.provenance import Origin

COMMENT_MARKS = ("#", "//")
MAX_CHARS = 600


class Descriptions:
    """Reads each file once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.lines: dict[str, list[str]] = {}

    def of(self, origin: Origin | None) -> str:
        """The comment lines just above `origin`'s line (a `---` or any other line ends them), as one text."""
        if origin is None:
            return ""
        lines = self._lines(origin.file)
        found: list[str] = []
        for line in reversed(lines[: origin.line - 1]):
            text = line.strip()
            mark = next((m for m in COMMENT_MARKS if text.startswith(m)), None)
            if mark is None:
                break
            found.append(text[len(mark):].strip())
        text = " ".join(t for t in reversed(found) if t)
        return text if len(text) <= MAX_CHARS else text[: MAX_CHARS - 1] + "…"

    def _lines(self, file: str) -> list[str]:
        if file not in self.lines:
            try:
                self.lines[file] = (self.root / file).read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError):
                self.lines[file] = []
        return self.lines[file]
