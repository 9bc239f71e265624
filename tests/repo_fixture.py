"""Small config repos written into a temp folder, dbt-style: a dict of path → YAML text.

`BASE` is a minimal valid repo (one group, two environments, one project); a
test states only the files it is about, which replace or extend the base.
"""
from __future__ import annotations

import textwrap
import time
from pathlib import Path

from click.testing import CliRunner

BASE = {
    "environments/groups/test.yaml": """
        kind: EnvironmentGroup
        name: test
        vars: {registry: reg.test.local, region: test-1}
        gpuPools:
          t4: {resourceName: nvidia.com/gpu, nodeSelector: {pool: t4}}
        """,
    "environments/dev.yaml": """
        kind: Environment
        name: dev
        group: test
        cluster: {name: dev-cluster}
        namespaceSuffix: -dev
        vars: {registry: reg.dev.local}
        """,
    "environments/staging.yaml": """
        kind: Environment
        name: staging
        group: test
        cluster: {name: staging-cluster}
        """,
    "projects/demo/project.yaml": """
        kind: Project
        name: demo
        owner: team-demo
        environments: [test]
        vars: {team: vision}
        """,
    "projects/demo/train.yaml": """
        kind: Job
        name: train
        spec:
          image: ${env.vars.registry}/demo/train:1.0
          command: [python, train.py]
        """,
}


def write_repo(root: Path, files: dict[str, str | None] | None = None, *, base: bool = True) -> Path:
    """Write BASE (unless base=False) updated with `files`; a None value removes a base file."""
    content = dict(BASE) if base else {}
    content.update(files or {})
    for rel, text in content.items():
        if text is None:
            continue
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text).lstrip("\n"))
    return root


def copy_example(folder: Path, entries: tuple[str, ...] = ("strata.yaml", "layers", "environments", "projects",
                                                             "charts")) -> Path:
    """The example config repository (this checkout's) copied into `folder`, which it creates."""
    import shutil

    from conftest import ROOT

    folder.mkdir(parents=True)
    for name in entries:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, folder / name)
        elif source.is_file():
            shutil.copy(source, folder / name)
    return folder


# Every repo a test compiled without errors, as {path: text} of its spec files: the editor
# schema must accept all of them (tests/test_editor_schema.py, which runs last).
COMPILED: list[dict[str, str]] = []
SPEC_GLOBS = ("layers/*.yaml", "environments/**/*.yaml", "projects/**/*.yaml")


def record_compiled(repo: Path) -> None:
    COMPILED.append({p.relative_to(repo).as_posix(): p.read_text() for pattern in SPEC_GLOBS
                     for p in sorted(repo.glob(pattern)) if p.is_file()})


def run(repo: Path, *args: str):
    """Invoke the real CLI (with its single error handler) in-process."""
    from compiler.cli import main

    result = CliRunner().invoke(main, ["--repo", str(repo), *args], catch_exceptions=False)
    if result.exit_code == 0 and args and args[0] in ("compile", "validate"):
        record_compiled(repo)
    return result


def compile_targets(repo: Path, **selection):
    from compiler.errors import Problems
    from compiler.merge.targets_of import Selection
    from compiler.pipeline import load_stage

    problems = Problems()
    build = load_stage(repo, Selection(**selection), problems)
    if not problems:
        record_compiled(repo)
    return build, problems


def target(build, identity: str, env: str):
    return next(t for t in build.targets if t.identity == identity and t.env.name == env)


def compiled_objects(repo: Path, env: str = "dev") -> dict[str, dict]:
    """Every object one environment's compile emits, by `Kind/name`."""
    from compiler.pipeline import compile_repo
    build = compile_repo(repo, envs=(env,))
    return {f"{e.obj['kind']}/{e.obj['metadata']['name']}": e.obj for e in build.emitted}


def compile_errors(repo: Path, env: str = "dev") -> str:
    """The rendered problems of a compile that must fail."""
    import pytest

    from compiler.errors import StrataError
    from compiler.pipeline import compile_repo
    with pytest.raises(StrataError) as caught:
        compile_repo(repo, envs=(env,))
    return "\n".join(p.render() for p in caught.value.problems)


def spy(monkeypatch, owner, name: str, took=lambda found: found is not None) -> list[bool]:
    """Wrap `owner.name` (a function) so that each call records whether it took its path: `took` of
    what it returned (by default: something other than None), or raised (a compile that found problems)."""
    function = getattr(owner, name)
    taken: list[bool] = []

    def wrapper(*args, **kwargs):
        try:
            found = function(*args, **kwargs)
        except Exception:
            taken.append(True)
            raise
        taken.append(took(found))
        return found

    monkeypatch.setattr(owner, name, wrapper)
    return taken


SHORT_TICK_NS = 20_000_000   # the tests' filesystem tick: files are edited, then compiled, within milliseconds


def short_tick(monkeypatch) -> None:
    """Both of the no-change snapshot's ticks (compiler.incremental.snapshot) set to SHORT_TICK_NS."""
    from compiler.incremental import snapshot

    monkeypatch.setattr(snapshot, "TICK_NS", SHORT_TICK_NS)
    monkeypatch.setattr(snapshot, "FINE_TICK_NS", SHORT_TICK_NS)


def settle() -> None:
    """Past the short tick: the files written so far are stamps that vouch for themselves."""
    time.sleep(2 * SHORT_TICK_NS / 1e9)
