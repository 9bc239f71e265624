"""Golden files: the example repository's whole output, byte for byte.

Refresh with `pytest tests/test_golden.py --update-golden` after an intended
change, and review the diff. CI never refreshes (CI=true fails on a missing file).
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from compiler.pipeline import compile_repo

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "example"


@pytest.fixture(scope="module")
def example_files():
    return compile_repo(ROOT).files


def test_example_output_matches_golden_files(example_files, request):
    if request.config.getoption("--update-golden"):
        if os.environ.get("CI"):
            pytest.fail("--update-golden is refused under CI")
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for rel, data in example_files.items():
            (GOLDEN / rel).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / rel).write_bytes(data)
    golden = {p.relative_to(GOLDEN).as_posix(): p.read_bytes() for p in sorted(GOLDEN.rglob("*")) if p.is_file()}
    assert golden, "no golden files: run pytest tests/test_golden.py --update-golden"
    assert sorted(example_files) == sorted(golden), "output files differ from tests/golden/example"
    for rel, data in sorted(example_files.items()):
        assert data == golden[rel], f"{rel} differs from its golden file (refresh with --update-golden if intended)"
