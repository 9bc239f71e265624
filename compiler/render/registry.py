"""Kind → renderer. Each renderer module owns one output family."""
from __future__ import annotations

from compiler.render import Renderer

RENDERERS: dict[str, Renderer] = {}
