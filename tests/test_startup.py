"""Start-up: what a command imports before it works (issue 10). Listing the commands or printing the
version must not pay for the spec models (pydantic), YAML or Helm; each is imported by the command
path that uses it (compiler/commands/__init__.py loads only the invoked command's module)."""
from __future__ import annotations

import ast
import os
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


def test_importing_the_cli_imports_no_schema_yaml_or_helm():
    code = "import sys\nimport compiler.cli\nprint(sorted({m.split('.')[0] for m in sys.modules}))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert set(ast.literal_eval(done.stdout.splitlines()[-1])) & HEAVY == set()


def test_a_one_file_compile_builds_only_the_models_it_validates(tmp_path):
    """A Job edited: no Helm (no chart is rendered), and the spec models of kinds the repository
    does not use are never built (schemas/base.py: `defer_build`)."""
    from repo_fixture import run, write_repo

    repo = write_repo(tmp_path)
    assert run(repo, "compile").exit_code == 0
    train = repo / "projects/demo/train.yaml"
    train.write_text(train.read_text().replace("train:1.0", "train:1.1"))
    code = ("import sys\nfrom compiler.cli import main\n"
            "try:\n    main(['--repo', sys.argv[1], 'compile'])\nexcept SystemExit:\n    pass\n"
            "from schemas.base import Spec\n"
            "pending, built = [Spec], []\n"
            "while pending:\n"
            "    for sub in pending.pop().__subclasses__():\n"
            "        pending.append(sub)\n"
            "        built += [sub.__name__] if sub.__pydantic_complete__ else []\n"
            "print('helm_python' in sys.modules, sorted(built))")
    done = subprocess.run([sys.executable, "-c", code, str(repo)], capture_output=True, text=True, check=True)
    assert "Compiled 2 targets (2 rendered" in done.stdout, done.stdout + done.stderr
    helm, built = done.stdout.splitlines()[-1].split(" ", 1)
    assert helm == "False"
    assert "JobSpec" in built and not {"ServiceSpec", "NotebookSpec", "PipelineSpec", "DatasetSpec"} & set(ast.literal_eval(built))


def test_the_console_script_without_a_daemon_imports_no_schema_yaml_or_helm(tmp_path):
    """`strata --version` through compiler.launch (the console script): it looks for a daemon first."""
    code = ("import sys\nfrom compiler.launch import main\nsys.argv = ['strata', '--version']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(sorted({m.split('.')[0] for m in sys.modules}))")
    env = {**os.environ, "STRATA_DAEMON_DIR": str(tmp_path)}
    env.pop("STRATA_NO_DAEMON", None)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert "strata, version" in done.stdout
    assert set(ast.literal_eval(done.stdout.splitlines()[-1])) & HEAVY == set()


def test_looking_for_a_daemon_imports_neither_click_nor_typing(tmp_path):
    """What the client does before it runs a command itself: the standard library's os, socket,
    struct and signal (compiler/daemon/client.py), nothing of strata's command line."""
    code = ("import sys\nbefore = set(sys.modules)\nfrom compiler.daemon import client\n"
            "assert client.run(['strata', '--version'], {'STRATA_DAEMON_DIR': sys.argv[1]}) is None\n"
            "print(sorted(set(sys.modules) - before))")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=True)
    imported = ast.literal_eval(done.stdout.splitlines()[-1])
    assert {m.split(".")[0] for m in imported} & (HEAVY | {"click", "typing"}) == set()
    assert {m for m in imported if m.startswith("compiler.")} == {
        "compiler.daemon", "compiler.daemon.client", "compiler.daemon.context", "compiler.daemon.protocol"}
