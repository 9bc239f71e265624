"""The git runner `strata publish` is given: the repository root and the environment to run git in.

Nothing here reads global state: the command builds a `Git` from its repository root and the
process environment, and tests give one with their own (or wrap it to play a race).
"""
from __future__ import annotations

import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from compiler.errors import StrataError


@dataclass(frozen=True)
class Result:
    code: int
    stdout: str
    stderr: str


@dataclass(frozen=True)
class Git:
    root: Path
    env: Mapping[str, str] = field(default_factory=dict)      # the environment git runs with

    def run(self, *args: str, input: bytes | None = None, extra_env: Mapping[str, str] | None = None,
            check: bool = True) -> Result:
        """Run `git args` in the repository; with `check`, a failure is a user error naming the command."""
        try:
            done = subprocess.run(["git", *args], cwd=self.root, input=input, capture_output=True, check=False,
                                  env={**self.env, **(extra_env or {})})
        except FileNotFoundError:
            raise StrataError("strata publish needs git on PATH") from None
        result = Result(done.returncode, done.stdout.decode(errors="replace"), done.stderr.decode(errors="replace"))
        if check and result.code != 0:
            lines = result.stderr.strip().splitlines()
            raise StrataError(f"git {' '.join(args[:3])}{' …' if len(args) > 3 else ''}: "
                              f"{lines[-1] if lines else 'failed (exit ' + str(result.code) + ')'}")
        return result

    def out(self, *args: str, **kwargs) -> str:
        return self.run(*args, **kwargs).stdout.strip()

    def sha(self, ref: str) -> str | None:
        """The commit `ref` names, None when it names none."""
        found = self.run("rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}", check=False)
        return found.stdout.strip() if found.code == 0 else None
