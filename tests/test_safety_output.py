"""Issue 9, writing: strata replaces only its own output folder, one writer at a time, and a kill
at any instant leaves out/ old or new (README "Safety")."""
from __future__ import annotations

import hashlib
import json
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import ROOT
from crash_points import DELTA_STEPS, STEPS, inject
from repo_fixture import SHORT_TICK_NS, run, settle, short_tick, write_repo

from compiler.incremental import recompile
from compiler.output.cache import manifest_identity
from compiler.output.state import State


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def tree(folder: Path) -> dict[str, bytes | None]:
    """Every file and folder (and .git) under `folder`, to show nothing was touched."""
    return {p.relative_to(folder).as_posix(): None if p.is_dir() else p.read_bytes() for p in sorted(folder.rglob("*"))}


def refused(result, *expected: str) -> str:
    assert result.exit_code == 1, result.output
    assert "internal error" not in result.output and "Traceback" not in result.output, result.output
    for text in expected:
        assert text in result.output, result.output
    return result.output


@pytest.fixture
def repo(tmp_path):
    repo = write_repo(tmp_path / "repo")
    (repo / ".git").mkdir()
    (repo / ".git/HEAD").write_text("ref: refs/heads/main\n")
    return repo


# --- the output folder is strata's or it is refused ------------------------------------------------

@pytest.mark.parametrize(("out", "why"), [
    (".", "is the repository root"),
    ("..", "holds the repository"),
    ("projects", "is or holds projects/, which strata reads"),
    ("projects/demo", "lies inside projects/, which strata reads"),
    ("environments/out", "lies inside environments/, which strata reads"),
    ("charts", "is or holds charts/, which strata reads"),
    (".git", "is or holds .git/"),
    (".strata", "is or holds .strata/"),
])
def test_out_naming_the_repository_or_what_strata_reads_is_refused_untouched(repo, out, why):
    before = tree(repo.parent)
    refused(run(repo, "compile", "--out", str(repo / out)), why, "nothing was written")
    assert tree(repo.parent) == before


def test_out_naming_someone_elses_folder_is_refused(repo, tmp_path):
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "notes.txt").write_text("mine\n")
    refused(run(repo, "compile", "--out", str(theirs)), "is not empty and holds no strata manifest.json")
    assert snapshot(theirs) == {"notes.txt": b"mine\n"}


def test_out_holding_git_is_refused(repo, tmp_path):
    other = tmp_path / "other-checkout"
    (other / ".git").mkdir(parents=True)
    refused(run(repo, "compile", "--out", str(other)), "holds .git")
    assert (other / ".git").is_dir()


def test_output_that_is_a_plain_file_is_refused(repo):
    (repo / "build").write_text("a file\n")
    write_repo(repo, {"strata.yaml": "output: build\n"}, base=False)
    refused(run(repo, "compile"), "strata.yaml:1:9: output 'build':", "is a file, not a folder")
    assert (repo / "build").read_text() == "a file\n"


def test_strata_yaml_output_outside_the_repository_is_refused(repo):
    write_repo(repo, {"strata.yaml": "# committed: runs on every pull request\noutput: ..\n"}, base=False)
    before = tree(repo.parent)
    refused(run(repo, "compile"), "strata.yaml:2:9: output '..' resolves outside the repository")
    assert tree(repo.parent) == before


def test_explicit_out_outside_the_repository_is_allowed(repo, tmp_path):
    assert run(repo, "compile", "--out", str(tmp_path / "scratch/out")).exit_code == 0
    assert (tmp_path / "scratch/out/manifest.json").is_file()
    assert run(repo, "compile", "--out", str(tmp_path / "scratch/out")).exit_code == 0   # its own output: replaced


def test_an_empty_folder_is_strata_to_fill(repo):
    (repo / "out").mkdir()
    assert run(repo, "compile").exit_code == 0 and (repo / "out/manifest.json").is_file()


# --- state lives in .strata/; out/ holds exactly the files manifest.json lists --------------------

def test_state_lives_in_dot_strata_and_out_holds_only_listed_files(repo):
    assert run(repo, "compile").exit_code == 0
    manifest = json.loads((repo / "out/manifest.json").read_text())
    listed = {"manifest.json"} | {rel for entry in manifest["targets"] + manifest["projects"] for rel in entry["outputs"]}
    assert set(snapshot(repo / "out")) == listed
    assert sorted(p.name for p in (repo / ".strata").iterdir()) == [".gitignore", "cache.json", "clock", "delta.bin",
                                                                    "lock", "snapshot.bin"]
    assert (repo / ".strata/.gitignore").read_text() == "*\n"
    assert "2 unchanged" in run(repo, "compile").output


def test_a_copied_or_committed_out_is_never_reused(repo, tmp_path):
    """A pull request may commit out/ and a forged .strata/cache.json: reuse trusts only files strata wrote."""
    assert run(repo, "compile").exit_code == 0
    stamp = (repo / ".strata/cache.json").read_bytes()
    write_repo(repo, {"projects/demo/train.yaml": "kind: Job\nname: train\nspec: {image: 'real:2'}\n"}, base=False)
    forged = run(repo, "compile", "--out", str(tmp_path / "forged"))   # what the forger commits...
    assert forged.exit_code == 0
    shutil.rmtree(repo / "out")
    shutil.copytree(tmp_path / "forged", repo / "out")
    values = repo / "out/dev/demo/job-train/values.yaml"
    values.write_bytes(values.read_bytes().replace(b"real:2", b"evil:2"))   # ...with one file changed
    manifest = json.loads((repo / "out/manifest.json").read_text())
    for entry in manifest["targets"]:
        if entry["folder"] == "dev/demo/job-train":
            entry["outputs"]["dev/demo/job-train/values.yaml"] = hashlib.sha256(values.read_bytes()).hexdigest()
    (repo / "out/manifest.json").write_text(json.dumps(manifest))
    (repo / ".strata/cache.json").write_bytes(stamp)   # the stamp strata wrote for the real out/
    result = run(repo, "compile")
    assert result.exit_code == 0 and "unchanged" not in result.output
    assert b"real:2" in values.read_bytes()


def test_a_committed_strata_symlink_is_refused(repo, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (repo / ".strata").symlink_to(elsewhere)
    refused(run(repo, "compile"), ".strata is not a folder (a symlink?)")
    assert list(elsewhere.iterdir()) == []


def test_a_forged_journal_is_not_acted_on(repo, tmp_path):
    precious = tmp_path / "precious"
    (precious / "data").mkdir(parents=True)
    (tmp_path / ".precious.strata-new").mkdir()
    (repo / ".strata").mkdir()
    (repo / ".strata/swap.json").write_text(json.dumps(
        {"out": str(precious), "new": str(tmp_path / ".precious.strata-new"), "old": str(tmp_path / ".precious.strata-old")}))
    refused(run(repo, "compile"), "swap.json does not describe a swap of strata's own output")
    assert (precious / "data").is_dir()


def test_an_edited_strata_yaml_or_another_output_folder_renders_again(repo, tmp_path):
    assert run(repo, "compile").exit_code == 0
    assert "unchanged" not in run(repo, "compile", "--out", str(tmp_path / "b")).output   # other folder: cache is its
    assert "unchanged" not in run(repo, "compile").output
    assert "unchanged" in run(repo, "compile").output
    write_repo(repo, {"strata.yaml": "crds: []\n"}, base=False)
    assert "unchanged" not in run(repo, "compile").output


# --- one writer at a time, honest messages ----------------------------------------------------------

def test_a_second_writer_waits_then_gives_up_with_a_clear_message(repo):
    assert run(repo, "compile").exit_code == 0
    before = snapshot(repo / "out")
    write_repo(repo, {"strata.yaml": "lockTimeoutSeconds: 0.3\n",
                      "projects/demo/train.yaml": "kind: Job\nname: train\nspec: {image: 'x:2'}\n"}, base=False)
    with State(repo).locked(1):
        result = run(repo, "compile")
    refused(result, "waiting for another strata compile (pid", "is writing this repository's output; gave up after "
            "waiting 0.3 s", "out is unchanged)")
    assert snapshot(repo / "out") == before


def test_a_writer_that_waited_writes_when_the_lock_is_released(repo):
    write_repo(repo, {"strata.yaml": "lockTimeoutSeconds: 30\n"}, base=False)
    held = State(repo).locked(1)
    held.__enter__()
    timer = threading.Timer(0.5, held.__exit__, (None, None, None))
    timer.start()
    result = run(repo, "compile")
    timer.join()
    assert result.exit_code == 0, result.output
    assert "waiting for another strata compile" in result.output and "Compiled 2 targets" in result.output


def _strata(repo: Path, *args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "compiler.cli", "--repo", str(repo), *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kwargs)


# --- crash safety: SIGKILL at every step of the swap and at random instants -------------------------

# `strata compile` SIGKILLed at one step of compiler.output.write (tests/crash_points.py): by itself,
# or by the render worker that reaches the step (its workers then die with it).
KILLER = """
import os, signal, sys
sys.path.insert(0, "tests")
from crash_points import inject
compile_pid = os.getpid()
inject(sys.argv[1], int(sys.argv[2]), lambda: os.kill(compile_pid, signal.SIGKILL), setattr)
from compiler.cli import main
sys.argv = ["strata", *sys.argv[3:]]
main()
"""
TIMED = (0.6, 0.8, 0.9, 0.97)    # fractions of an undisturbed compile's wall-clock time


def _generated_repo(tmp_path: Path, projects: int) -> Path:
    repo = tmp_path / "big"
    subprocess.run([sys.executable, str(ROOT / "bench/generate.py"), "--projects", str(projects), "--envs", "6",
                    "--out", str(repo)], check=True, capture_output=True)
    return repo


def _leftovers(repo: Path) -> list[str]:
    found = [p.name for p in repo.iterdir() if ".strata-" in p.name]
    return found + (["swap.json"] if (repo / ".strata/swap.json").exists() else [])


def _compile(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "compiler.cli", "--repo", str(repo), "compile", *args],
                          cwd=ROOT, capture_output=True, text=True)


def _bump_layer(repo: Path) -> None:
    """One app-type layer changes: every target of that type gets new bytes, the rest are reused."""
    layer = repo / "layers/training-pytorch.yaml"
    layer.write_text(layer.read_text().replace("memory: 16Gi", "memory: 17Gi", 1))


def _at_once(tmp_path: Path, *commands: tuple[str, ...]) -> tuple[Path, Path, list[str]]:
    """A compiled 144-target repo, one layer changed, the full output expected from that change
    written elsewhere, then `commands` (strata arguments) run at the same time: (repo, expected, outputs)."""
    repo = _generated_repo(tmp_path, projects=8)
    assert _compile(repo).returncode == 0
    _bump_layer(repo)
    expected = tmp_path / "expected"
    assert _compile(repo, "--out", str(expected)).returncode == 0
    running = [_strata(repo, *command) for command in commands]
    outputs = [p.communicate(timeout=300)[0] for p in running]
    assert [p.returncode for p in running] == [0] * len(commands), outputs
    return repo, expected, outputs


def test_two_compiles_at_once_both_succeed_into_a_consistent_out(tmp_path):
    repo, expected, outputs = _at_once(tmp_path, ("compile",), ("compile", "--no-cache"))
    assert all(o.count("Compiled ") == 1 and "nothing was written" not in o for o in outputs), outputs
    assert snapshot(repo / "out") == snapshot(expected)
    assert _leftovers(repo) == []


def test_two_partial_compiles_at_once_lose_neither_update(tmp_path):
    repo, expected, _ = _at_once(tmp_path, ("compile", "--env", "dev-1"), ("compile", "--env", "dev-2"))
    now, want = snapshot(repo / "out"), snapshot(expected)
    for env in ("dev-1/", "dev-2/"):
        assert {k: v for k, v in now.items() if k.startswith(env)} == {k: v for k, v in want.items() if k.startswith(env)}
    entries = json.loads(now["manifest.json"])["targets"]
    assert {e["env"] for e in entries} == {"dev-1", "dev-2", "prod-1", "prod-2", "test-1", "test-2"}


class Crash(BaseException):
    """Stands for a SIGKILL in-process: nothing of strata's catches it, so nothing cleans up."""


def _crash() -> None:
    raise Crash


@pytest.mark.parametrize(("step", "nth"), STEPS)
def test_a_crash_at_any_step_of_the_swap_is_put_right_by_the_next_run(repo, tmp_path, monkeypatch, step, nth):
    assert run(repo, "compile").exit_code == 0
    old = snapshot(repo / "out")
    write_repo(repo, {"projects/demo/train.yaml": "kind: Job\nname: train\nspec: {image: 'x:2'}\n"}, base=False)
    assert run(repo, "compile", "--out", str(tmp_path / "new")).exit_code == 0
    new = snapshot(tmp_path / "new")
    with monkeypatch.context() as patched:
        inject(step, nth, _crash, patched.setattr)
        try:
            result = run(repo, "compile")
        except Crash:
            result = None
    if result is not None:   # the small repo has fewer files than the step counts to
        assert result.exit_code == 0 and step in ("stage", "remove-old"), result.output
    _put_right_by_the_next_run(repo, old, new)


def _put_right_by_the_next_run(repo: Path, old: dict[str, bytes], new: dict[str, bytes]) -> None:
    """out/ after a crash is old, new, or has a journal; the next compile puts it right even when it
    then fails on a spec; the one after that writes the new output."""
    after_crash = snapshot(repo / "out") if (repo / "out").is_dir() else None
    assert after_crash in (old, new) or (repo / ".strata/swap.json").exists()
    write_repo(repo, {"projects/demo/broken.yaml": "kind: Job\nname: b\nspec: {image: [\n"}, base=False)
    again = run(repo, "compile")   # fails on the spec, but first puts out/ right
    assert again.exit_code == 1 and "malformed YAML" in again.output
    assert snapshot(repo / "out") in (old, new) and _leftovers(repo) == []
    (repo / "projects/demo/broken.yaml").unlink()
    assert run(repo, "compile").exit_code == 0 and snapshot(repo / "out") == new


@pytest.mark.slow
def test_sigkill_at_any_point_leaves_old_or_new_output_after_one_more_run(tmp_path):
    repo = _generated_repo(tmp_path, projects=120)          # 120 projects x 3 resources x 6 envs = 2,160 targets
    assert _compile(repo).returncode == 0
    old, stamp = snapshot(repo / "out"), (repo / ".strata/cache.json").read_bytes()
    assert len(old) > 4000
    _bump_layer(repo)
    copy = tmp_path / "copy"
    shutil.copytree(repo, copy, ignore=shutil.ignore_patterns("out", ".strata"))
    assert _compile(copy).returncode == 0
    new = snapshot(copy / "out")
    assert new != old
    _reset(repo, old, stamp)
    started = time.perf_counter()
    assert _compile(repo).returncode == 0
    duration = time.perf_counter() - started

    bad = next(p for p in sorted((repo / "projects").iterdir()) if p.is_dir()) / "broken.yaml"
    points = [("injected", step, float(n)) for step, n in STEPS] + [("timed", "", f) for f in TIMED]
    assert len(points) >= 10
    for how, step, arg in points:
        _reset(repo, old, stamp)
        if how == "injected":
            killed = subprocess.run([sys.executable, "-c", KILLER, step, str(int(arg)), "--repo", str(repo), "compile"],
                                    cwd=ROOT, capture_output=True, text=True)
            assert killed.returncode == -signal.SIGKILL, (step, arg, killed.stdout, killed.stderr)
        else:
            process = _strata(repo, "compile")
            try:
                process.communicate(timeout=duration * arg)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()
        now = snapshot(repo / "out") if (repo / "out").is_dir() else None
        assert now in (old, new) or (repo / ".strata/swap.json").exists(), (how, step, arg)
        # One more run, which then fails on a spec error: it first puts out/ right.
        bad.write_text("kind: Job\nname: broken\nspec: {image: [\n")
        again = _compile(repo)
        bad.unlink()
        assert again.returncode == 1 and "malformed YAML" in again.stderr, again.stderr
        assert snapshot(repo / "out") in (old, new), (how, step, arg)
        assert _leftovers(repo) == [], (how, step, arg)
    assert _compile(repo).returncode == 0
    assert snapshot(repo / "out") == new and _leftovers(repo) == []


def _reset(repo: Path, old: dict[str, bytes], stamp: bytes) -> None:
    """out/ back to the old output, and its reuse stamp naming these files, as a compile leaves them."""
    shutil.rmtree(repo / "out", ignore_errors=True)
    for rel, data in old.items():
        (repo / "out" / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / "out" / rel).write_bytes(data)
    record = json.loads(stamp)
    record["manifest"] = manifest_identity(repo / "out")
    (repo / ".strata/cache.json").write_text(json.dumps(record))


# --- crash safety of a delta compile's patch of out/ (compiler/incremental/recompile.py) -------------

EXTRA = "kind: Job\nname: extra\nspec: {image: 'x:1', command: [python, x.py]}\n"
TRAIN = "kind: Job\nname: train\nspec: {image: 'x:2'}\n"


@pytest.mark.parametrize(("step", "nth"), DELTA_STEPS)
def test_a_crash_at_any_step_of_a_delta_patch_is_put_right_by_the_next_run(repo, tmp_path, monkeypatch, step, nth):
    short_tick(monkeypatch)
    write_repo(repo, {"projects/demo/extra.yaml": EXTRA}, base=False)
    settle()
    assert run(repo, "compile").exit_code == 0
    old = snapshot(repo / "out")
    settle()
    (repo / "projects/demo/extra.yaml").unlink()                       # a target's files go
    write_repo(repo, {"projects/demo/train.yaml": TRAIN}, base=False)  # another's change
    copy = tmp_path / "copy"
    shutil.copytree(repo, copy, ignore=shutil.ignore_patterns("out", ".strata", ".git"))
    assert run(copy, "compile").exit_code == 0
    new = snapshot(copy / "out")
    entered = []
    compile_delta = recompile.compile_delta
    monkeypatch.setattr(recompile, "compile_delta", lambda *a, **k: entered.append(1) or compile_delta(*a, **k))
    with monkeypatch.context() as patched:
        inject(step, nth, _crash, patched.setattr)
        with pytest.raises(Crash):
            run(repo, "compile")
    assert entered
    _put_right_by_the_next_run(repo, old, new)


DELTA_KILLER = KILLER.replace("from crash_points import inject\n", "from crash_points import inject\n"
                              "from compiler.incremental import snapshot\n"
                              f"snapshot.TICK_NS = snapshot.FINE_TICK_NS = {SHORT_TICK_NS}\n")


@pytest.mark.slow
def test_sigkill_at_any_step_of_a_delta_patch_leaves_old_or_new_output_after_one_more_run(tmp_path):
    repo = _generated_repo(tmp_path, projects=12)
    project = next(p for p in sorted((repo / "projects").iterdir()) if p.is_dir())
    resource = next(p for p in sorted(project.rglob("*.yaml")) if p.name != "project.yaml" and "image:" in p.read_text())
    extra = project / "training" / "extra.yaml"
    extra.parent.mkdir(exist_ok=True)
    copy = tmp_path / "copy"
    for how, step, nth in [("injected", step, n) for step, n in DELTA_STEPS]:
        shutil.rmtree(repo / "out", ignore_errors=True)
        shutil.rmtree(repo / ".strata", ignore_errors=True)
        extra.write_text(EXTRA.replace("x.py]", "x.py], resources: {cpu: '1', memory: 1Gi}, scheduling: {queue: "
                                       + project.name + "}"))
        original = resource.read_text()
        time.sleep(2.1)                                   # the real tick: the files must be older than it
        assert _compile(repo).returncode == 0
        old = snapshot(repo / "out")
        extra.unlink()
        resource.write_text(original.replace("image: ", "image: x", 1))
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(repo, copy, ignore=shutil.ignore_patterns("out", ".strata"))
        assert _compile(copy).returncode == 0
        new = snapshot(copy / "out")
        killed = subprocess.run([sys.executable, "-c", DELTA_KILLER, step, str(nth), "--repo", str(repo), "compile"],
                                cwd=ROOT, capture_output=True, text=True)
        assert killed.returncode == -signal.SIGKILL, (step, nth, killed.stdout, killed.stderr)
        now = snapshot(repo / "out")
        assert now in (old, new) or (repo / ".strata/swap.json").exists(), (how, step, nth)
        assert _compile(repo).returncode == 0, (how, step, nth)
        assert snapshot(repo / "out") == new and _leftovers(repo) == [], (how, step, nth)
        resource.write_text(original)


def _manifest_text(tool: str = '{"name": "strata", "version": "0.1.0"}', version: bool = True, size: int = 100_000,
                   end: str = "\n}\n") -> str:
    """A manifest.json as strata writes one (top-level members one per line, keys sorted), padded
    past the size the guard parses whole."""
    members = [f'  "capacity": {{"pad": "{"x" * size}"}}']
    members += ['  "format_version": "1.4"'] if version else []
    members += ['  "targets": [\n    {"id": "a"}\n  ]', f'  "tool": {tool}']
    return "{\n" + ",\n".join(members) + end


@pytest.mark.parametrize("size", [10, 100_000])
@pytest.mark.parametrize("text, ours", [
    (_manifest_text(), True),
    (_manifest_text(tool='{"name": "kapitan", "version": "1"}'), False),
    (_manifest_text(version=False), False),
    (_manifest_text(tool='"strata"'), False),
    (_manifest_text(end="\n"), False),
])
def test_a_big_or_small_manifest_is_strata_output_only_when_it_says_so(tmp_path, text, ours, size):
    """The guard reads a big manifest's first line, format version line and last member only
    (parsing MBs twice per compile cost more than a delta compile's rendering): it must decide as
    parsing the whole file does."""
    from compiler.output.guard import is_strata_output

    text = text.replace("x" * 100_000, "x" * size)
    (tmp_path / "manifest.json").write_text(text)
    assert is_strata_output(tmp_path) is ours
    try:
        whole = json.loads(text)
        parsed = isinstance(whole.get("tool"), dict) and whole["tool"].get("name") == "strata" and "format_version" in whole
    except ValueError:
        parsed = False
    assert parsed is ours
