"""One plan, three renderings: text (terminal, CI log), markdown (PR comment), json (machines)."""
from __future__ import annotations

from pathlib import Path

from compiler.plan.jsonout import render_json
from compiler.plan.markdown import render_markdown
from compiler.plan.model import Plan
from compiler.plan.text import render_text

FORMATS = ("text", "markdown", "json")
SUFFIXES = {".json": "json", ".md": "markdown", ".markdown": "markdown", ".txt": "text"}


def render(plan: Plan, fmt: str, *, color: bool = False) -> str:
    if fmt == "json":
        return render_json(plan)
    if fmt == "markdown":
        return render_markdown(plan)
    return render_text(plan, color=color)


def format_for(path: Path, default: str) -> str:
    """A file's format follows its suffix (`plan.json`, `comment.md`), else `--format`."""
    return SUFFIXES.get(path.suffix.lower(), default)
