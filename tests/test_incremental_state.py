"""`.strata/`'s incremental state: sealed files, the no-change snapshot and its racy-clean rule, the
lazy CLI that lets a no-change compile skip the pipeline's imports."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from repo_fixture import run, settle, short_tick, spy, write_repo

from compiler.incremental import sealed, snapshot

OPTIONS = (("envs", "()"), ("projects", "()"), ("shard", "None"))   # what a plain `strata compile` passes


@pytest.fixture
def fast(monkeypatch) -> list[bool]:
    """A short filesystem tick, and a record of what each compile's snapshot check decided."""
    short_tick(monkeypatch)
    return spy(monkeypatch, snapshot, "look", took=lambda seen: seen.previous is not None)


def compiled(repo: Path, *args: str) -> str:
    result = run(repo, "compile", *args)
    assert result.exit_code == 0, result.output
    return result.output


def test_sealed_file_round_trip_and_refusals(tmp_path):
    path = str(tmp_path / "state.bin")
    sealed.write_sealed(path, "kind", {"a": (1, "b")})
    assert sealed.read_sealed(path, "kind") == {"a": (1, "b")}
    assert sealed.read_sealed(path, "other-kind") is None
    data = bytearray(Path(path).read_bytes())
    data[-2] ^= 1
    Path(path).write_bytes(bytes(data))            # same inode, damaged payload
    assert sealed.read_sealed(path, "kind") is None
    sealed.write_sealed(path, "kind", [1])
    shutil.copy(path, path + ".copy")              # a copy (or a checkout) is not the file strata wrote
    assert sealed.read_sealed(path + ".copy", "kind") is None
    Path(path).write_bytes(Path(path).read_bytes()[:20])
    assert sealed.read_sealed(path, "kind") is None
    assert sealed.read_sealed(str(tmp_path / "absent"), "kind") is None


def test_a_no_change_compile_repeats_the_summary_and_warnings(tmp_path, fast):
    repo = write_repo(tmp_path, {"projects/demo/empty.yaml": "# nothing yet\n"})
    settle()
    first = compiled(repo)
    assert "holds no document" in first
    second = compiled(repo)
    assert fast == [False, True]
    assert second.split(" in ")[0] == first.split(" in ")[0].replace("(2 rendered,", "(0 rendered, 2 unchanged,")
    assert "holds no document" in second


def test_an_edit_keeping_size_and_mtime_is_seen(tmp_path, fast):
    repo = write_repo(tmp_path)
    settle()
    compiled(repo)
    spec = repo / "projects/demo/train.yaml"
    before = spec.stat()
    spec.write_text(spec.read_text().replace("train:1.0", "train:1.1"))
    os.utime(spec, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (spec.stat().st_size, spec.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    compiled(repo)
    assert fast == [False, False]
    assert "train:1.1" in (repo / "out/dev/demo/job-train/manifests.yaml").read_text()


def test_a_file_changed_within_a_tick_of_the_compile_is_recorded_as_changed(tmp_path, fast, monkeypatch):
    monkeypatch.setattr(snapshot, "TICK_NS", 3600 * 10**9)   # every file is "racy"
    monkeypatch.setattr(snapshot, "FINE_TICK_NS", 3600 * 10**9)
    repo = write_repo(tmp_path)
    compiled(repo)
    found = snapshot.read_sealed(str(repo / ".strata" / snapshot.FILE), snapshot.KIND)
    stamps = [stamp for path, stamp in found["repo"].items() if path.endswith(".yaml")]
    assert stamps and all(stamp[1:] == (snapshot.RACY,) for stamp in stamps)
    compiled(repo)
    assert fast == [False, False]


@pytest.mark.parametrize("change", ["new file", "deleted file", "copied manifest", "swap journal", "other out",
                                   "selection", "tampered snapshot", "strata code"])
def test_what_makes_a_compile_go_the_slow_way(tmp_path, fast, change, monkeypatch):
    repo = write_repo(tmp_path, {"projects/demo/other.yaml": "kind: Job\nname: other\nspec: {image: reg/o:1}\n"})
    settle()
    compiled(repo)
    args: tuple[str, ...] = ()
    state = repo / ".strata"
    if change == "new file":
        (repo / "projects/demo/more.yaml").write_text("kind: Job\nname: more\nspec: {image: reg/m:1}\n")
    elif change == "deleted file":
        (repo / "projects/demo/other.yaml").unlink()
    elif change == "copied manifest":
        manifest = repo / "out/manifest.json"
        shutil.copy(manifest, manifest.with_suffix(".tmp"))
        os.replace(manifest.with_suffix(".tmp"), manifest)
    elif change == "swap journal":
        assert snapshot.look(snapshot.Request(str(repo), None, OPTIONS), str(state)).previous is not None
        (state / "swap.json").write_text("{}")
        assert snapshot.look(snapshot.Request(str(repo), None, OPTIONS), str(state)).previous is None
        return
    elif change == "other out":
        args = ("--out", str(tmp_path / "elsewhere"))
    elif change == "selection":
        args = ("--env", "dev")
    elif change == "tampered snapshot":
        data = bytearray((state / snapshot.FILE).read_bytes())
        data[-1] ^= 1
        (state / snapshot.FILE).write_bytes(bytes(data))
    elif change == "strata code":
        monkeypatch.setattr(snapshot, "tool_tree", lambda: {"compiler/new.py": (0o100644, 1, 0, 0, 1, 1)})
    compiled(repo, *args)
    assert fast == [False, False]


def test_an_unwritable_state_folder_is_only_slower(tmp_path, fast, monkeypatch):
    repo = write_repo(tmp_path)
    settle()

    def refuse(*args):
        raise OSError("read-only")

    monkeypatch.setattr(snapshot, "write_sealed", refuse)
    compiled(repo)
    compiled(repo)
    assert fast == [False, False]


def test_the_start_is_the_stamp_of_a_file_written_into_strata(tmp_path):
    """The clock that stamps the repository's files (a network file system's server, too)."""
    assert snapshot.start_clock(str(tmp_path / ".strata")).file_ns is None   # no .strata/ yet: none made
    assert not (tmp_path / ".strata").exists()
    (tmp_path / ".strata").mkdir()
    clock = snapshot.start_clock(str(tmp_path / ".strata"))
    written = os.stat(tmp_path / ".strata" / snapshot.CLOCK)
    assert clock.file_ns == max(written.st_mtime_ns, written.st_ctime_ns) and clock.device == written.st_dev
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / snapshot.CLOCK).mkdir()                     # cannot be written: this machine's clock
    assert snapshot.start_clock(str(tmp_path / "elsewhere")).file_ns is None


def test_the_fine_tick_applies_to_the_files_of_the_clock_file_system_only():
    second = 10**9
    fine = snapshot.Clock(local_ns=100 * second, file_ns=100 * second, device=1, fine=True)
    coarse = snapshot.Clock(local_ns=100 * second, file_ns=100 * second, device=1, fine=False)

    def stamp(age_ns: int, device: int = 1) -> tuple:
        return (0o100644, 1, 100 * second - age_ns, 100 * second - age_ns, 7, device)

    tree = {"a": stamp(second // 2), "b": stamp(second // 2, device=2), "c": stamp(3 * second), "d": stamp(second // 20)}
    assert {k for k, v in snapshot._settled(tree, fine).items() if v[1:] == (snapshot.RACY,)} == {"b", "d"}
    assert {k for k, v in snapshot._settled(tree, coarse).items() if v[1:] == (snapshot.RACY,)} == {"a", "b", "d"}
    assert snapshot._settled(tree, snapshot.Clock(local_ns=100 * second)) == snapshot._settled(tree, coarse)


def test_a_compile_soon_after_an_edit_leaves_a_snapshot_the_next_compile_uses(tmp_path, monkeypatch):
    """The real ticks: an edit a few tenths of a second before a compile (a save hook) is settled
    for the file system's clock, so the next compile is the no-change one."""
    took = spy(monkeypatch, snapshot, "look", took=lambda seen: seen.previous is not None)
    repo = write_repo(tmp_path)
    time.sleep(snapshot.TICK_NS / 1e9 + 0.1)
    compiled(repo)                                   # makes .strata/
    spec = repo / "projects/demo/train.yaml"
    spec.write_text(spec.read_text().replace("1.0", "1.1"))
    time.sleep(3 * snapshot.FINE_TICK_NS / 1e9)
    compiled(repo)
    compiled(repo)
    if os.stat(spec).st_mtime_ns % 10**9 == 0:       # pragma: no cover - a file system stamping whole seconds
        pytest.skip("this file system stamps whole seconds: the generous tick applies")
    assert took == [False, False, True]
    assert "train:1.1" in (repo / "out/dev/demo/job-train/manifests.yaml").read_text()


def test_a_compile_scans_the_repository_once(tmp_path, fast, monkeypatch):
    """The no-change check's scan is the one the delta compile compares and the snapshot records."""
    scans = spy(monkeypatch, snapshot, "repo_tree", took=lambda tree: True)
    tools = spy(monkeypatch, snapshot, "tool_tree", took=lambda tree: True)
    repo = write_repo(tmp_path)
    settle()
    compiled(repo)                                        # no snapshot yet: scanned when recorded
    compiled(repo)                                        # no change
    spec = repo / "projects/demo/train.yaml"
    spec.write_text(spec.read_text().replace("train:1.0", "train:1.1"))
    settle()
    compiled(repo)                                        # one resource file: the delta compile
    (repo / "environments/dev.yaml").write_text((repo / "environments/dev.yaml").read_text() + "\n")
    settle()
    compiled(repo)                                        # an environment: the full compile
    assert fast == [False, True, False, False]
    assert (len(scans), len(tools)) == (4, 4)
    assert "train:1.1" in (repo / "out/dev/demo/job-train/manifests.yaml").read_text()


def test_a_file_changed_just_before_the_scan_is_racy_however_late_the_clock(tmp_path, monkeypatch):
    """The scan precedes the clock: the start is moved back to before the scan, so a file edited just
    before it (the same tick as an edit just after it could fall in) is recorded as changed, even
    when the clock is started long after the scan."""
    repo = write_repo(tmp_path)
    time.sleep(snapshot.TICK_NS / 1e9 + 0.1)
    compiled(repo)
    start_clock = snapshot.start_clock

    def late(state_dir: str) -> snapshot.Clock:
        time.sleep(3 * snapshot.FINE_TICK_NS / 1e9)      # a stalled process between the scan and the clock
        return start_clock(state_dir)

    monkeypatch.setattr(snapshot, "start_clock", late)
    spec = repo / "projects/demo/train.yaml"
    spec.write_text(spec.read_text().replace("1.0", "1.1"))
    compiled(repo)
    found = snapshot.read_sealed(str(repo / ".strata" / snapshot.FILE), snapshot.KIND)
    assert found["repo"][str(spec)][1:] == (snapshot.RACY,)
    clock = snapshot.Clock(local_ns=50, file_ns=1_000, device=1, fine=True)
    assert clock.moved_back_to(20) == snapshot.Clock(local_ns=20, file_ns=970, device=1, fine=True)
    assert clock.moved_back_to(80) == clock                 # never later than it was


def test_no_change_compile_does_not_import_the_pipeline(tmp_path):
    """A fresh process, as a user runs it: the second compile decides from `.strata/` alone."""
    repo = write_repo(tmp_path)
    time.sleep(snapshot.TICK_NS / 1e9 + 0.1)    # the real tick: the files must be older than it
    script = ("import sys, json\nfrom compiler.cli import main\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
              "print(json.dumps(sorted(m for m in sys.modules if m.startswith(('compiler', 'schemas', 'yaml')))))")
    command = [sys.executable, "-c", script, "--repo", str(repo), "compile"]
    first = subprocess.run(command, capture_output=True, text=True, check=True)
    second = subprocess.run(command, capture_output=True, text=True, check=True)
    assert "compiler.pipeline" in json.loads(first.stdout.splitlines()[-1])
    modules = json.loads(second.stdout.splitlines()[-1])
    assert "compiler.pipeline" not in modules and "schemas" not in modules and "yaml" not in modules
    assert second.stdout.splitlines()[0].startswith("Compiled 2 targets (0 rendered, 2 unchanged")


def test_version_imports_no_command():
    script = ("import sys\nfrom compiler.cli import main\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
              "print(sorted(m for m in sys.modules if m.startswith('compiler.')))")
    result = subprocess.run([sys.executable, "-c", script, "--version"], capture_output=True, text=True, check=True)
    assert "compiler.commands.compile" not in result.stdout and "compiler.capacity" not in result.stdout


# --- YAML parse results by content ----------------------------------------------------------------

EXAMPLE = Path(__file__).resolve().parent.parent


def load_example(parsed):
    from compiler.errors import Problems
    from compiler.load import discover as disc
    from compiler.load.documents import load_documents

    return load_documents(EXAMPLE, disc.discover(EXAMPLE), Problems(), parsed=parsed)


def test_a_shared_parse_cache_gives_the_same_documents():
    from compiler.incremental.parsed import ParseCache

    cache = ParseCache()
    assert load_example(cache) == load_example(None) and cache.hits == 0 and cache.misses > 0
    assert load_example(cache) == load_example(None) and cache.hits == cache.misses


def test_parse_results_are_keyed_by_path_and_content():
    from compiler.incremental.parsed import ParseCache
    from compiler.load.yaml_files import load_yaml

    cache = ParseCache()
    assert cache.parse("a: 1\n", "f.yaml", load_yaml) == load_yaml("a: 1\n", "f.yaml")
    assert cache.parse("a: 1\n", "g.yaml", load_yaml)[0].origin.file == "g.yaml"
    assert cache.parse("a: 2\n", "f.yaml", load_yaml)[0].data["a"].data == 2
    assert (cache.hits, cache.misses) == (0, 3)


def test_a_plan_parses_an_unchanged_file_once(tmp_path):
    from compiler.plan import plan
    from compiler.plan.build import StrataCompiler
    from test_plan_support import commit, init_repo

    repo = write_repo(init_repo(tmp_path / "config"))
    commit(repo, "base")
    (repo / "projects/demo/train.yaml").write_text((repo / "projects/demo/train.yaml").read_text()
                                                   .replace("train:1.0", "train:1.1"))
    compiler = StrataCompiler()
    result = plan(repo, "main", compiler=compiler)
    assert result.has_changes
    assert compiler.parsed.misses == 6 and compiler.parsed.hits == 4   # 5 files, 1 changed, each side
