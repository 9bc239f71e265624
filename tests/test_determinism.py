"""Same inputs, same bytes: whatever the hash seed and whatever order files are discovered in."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from compiler.load import discover
from compiler.pipeline import compile_repo

ROOT = Path(__file__).resolve().parent.parent


def _tree(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_discovery_order_does_not_change_output(monkeypatch):
    normal = compile_repo(ROOT).files
    listed = discover._spec_files
    monkeypatch.setattr(discover, "_spec_files", lambda *a, **k: list(reversed(listed(*a, **k))))
    assert compile_repo(ROOT).files == normal


def test_different_hash_seeds_give_identical_bytes(tmp_path):
    outputs = []
    for seed in ("1", "4242"):
        out = tmp_path / f"out-{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-m", "compiler.cli", "--repo", str(ROOT), "compile", "--out", str(out)],
                       check=True, env=env, capture_output=True, cwd=ROOT)
        outputs.append(_tree(out))
    assert outputs[0] == outputs[1] and outputs[0]
