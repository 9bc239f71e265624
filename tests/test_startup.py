"""Start-up: what a command imports before it works (issue 10). Listing the commands or printing the
version must not pay for the spec models (pydantic), YAML or Helm; each is imported by the command
path that uses it (compiler/commands/__init__.py loads only the invoked command's module)."""
from __future__ import annotations

import ast
import subprocess
import sys

import pytest

HEAVY = {"schemas", "pydantic", "pydantic_core", "yaml", "ruamel", "helm_python", "email"}


def imported_by(*args: str) -> set[str]:
    """The heavy top-level packages `strata ARGS` imported, in a fresh interpreter."""
    code = ("import sys\nfrom compiler.cli import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            "print(sorted({m.split('.')[0] for m in sys.modules}))")
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
    return set(ast.literal_eval(done.stdout.splitlines()[-1])) & HEAVY


@pytest.mark.parametrize("args", [("--version",), ("--help",), ("schema", "--help"), ("capacity", "--help")])
def test_version_and_help_import_no_schema_yaml_or_helm(args):
    assert imported_by(*args) == set()
