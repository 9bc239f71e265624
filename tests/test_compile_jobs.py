"""`strata compile -j N`: render workers forked before Helm loads, the same bytes for any N.

Every compile here runs in a fresh process: a process that has rendered a chart has Go's
runtime loaded and renders in-process instead (compiler.render.workers.can_fork), and the
test session has.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT
from test_safety_output import _generated_repo, _leftovers, snapshot

from compiler.render import workers

GOLDEN = ROOT / "tests" / "golden" / "example"


def _compile(repo: Path, out: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "compiler.cli", "--repo", str(repo), "compile", "--out", str(out),
                           *args], cwd=ROOT, capture_output=True, text=True, env=env, timeout=600)


# A compile whose render workers run `emit_target` through a wrapper (the script's first argument),
# recording their pids in the file named by STRATA_TEST_PIDS.
PATCHED = """
import os, sys, time, signal
from compiler.render import workers
compile_pid, emit = os.getpid(), workers.emit_target
def wrapped(target, *args, **kwargs):
    if os.getpid() != compile_pid:
        with open(os.environ["STRATA_TEST_PIDS"], "a") as pids:
            pids.write(f"{os.getpid()}\\n")
        WRAPPER
    return emit(target, *args, **kwargs)
workers.emit_target = wrapped
from compiler.cli import main
sys.argv = ["strata", *sys.argv[1:]]
main()
"""


def _patched(wrapper: str, repo: Path, out: Path, pids: Path, *args: str) -> subprocess.Popen:
    script = PATCHED.replace("WRAPPER", wrapper)
    return subprocess.Popen([sys.executable, "-c", script, "--repo", str(repo), "compile", "--out", str(out), *args],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "STRATA_TEST_PIDS": str(pids)})


def _alive(pids: Path) -> list[int]:
    found = {int(p) for p in pids.read_text().split()} if pids.exists() else set()
    alive = []
    for pid in sorted(found):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        alive.append(pid)
    return alive


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    """4 projects x 3 resources x 6 environments = 72 targets: enough for several chunks per worker."""
    return _generated_repo(tmp_path_factory.mktemp("jobs"), projects=4)


def test_load_merge_graph_and_digest_never_load_helm():
    """The workers fork after these stages; forking a process running Go's runtime is unsafe."""
    script = ("import sys; from pathlib import Path; from compiler import cli; from compiler.commands import compile; "
              "from compiler.pipeline import digest_stage, load_stage; "
              f"digest_stage(load_stage(Path({str(ROOT)!r}))); "
              "from compiler.render import workers; "
              "assert 'helm_python' not in sys.modules and workers.can_fork(), sorted(sys.modules)")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_example_compiles_to_its_golden_files_with_any_number_of_workers(tmp_path):
    golden = snapshot(GOLDEN)
    for jobs in ("1", "2", "3"):
        result = _compile(ROOT, tmp_path / jobs, "-j", jobs)
        assert result.returncode == 0, result.stderr
        assert snapshot(tmp_path / jobs) == golden, jobs


def test_a_generated_repo_compiles_to_the_same_bytes_with_any_number_of_workers(generated, tmp_path):
    outputs = []
    for jobs in ("1", "2", "3"):
        result = _compile(generated, tmp_path / jobs, "-j", jobs, "--no-cache")
        assert result.returncode == 0 and "Compiled 72 targets" in result.stdout, result.stderr
        outputs.append(snapshot(tmp_path / jobs))
    assert outputs[0] == outputs[1] == outputs[2]
    assert len(json.loads(outputs[0]["manifest.json"])["targets"]) == 72


def test_strata_jobs_is_read_as_the_default_of_j(generated, tmp_path):
    result = _compile(generated, tmp_path / "out", env={**os.environ, "STRATA_JOBS": "0"})
    assert result.returncode == 1 and "(env var: 'STRATA_JOBS'): 0 is not in the range" in result.stderr, result.stderr


def test_a_problem_found_in_a_worker_is_reported_at_its_line_as_in_process(generated, tmp_path):
    spec = next(p for p in sorted((generated / "projects").rglob("*.yaml")) if "image:" in p.read_text())
    before = spec.read_text()
    lines = before.splitlines()
    row = next(i for i, line in enumerate(lines) if line.strip().startswith("image:"))
    lines[row] = lines[row].split("image:")[0] + "image: registry.example.com/unpinned:latest"
    spec.write_text("\n".join(lines) + "\n")
    try:
        one, two = (_compile(generated, tmp_path / jobs, "-j", jobs) for jobs in ("1", "2"))
    finally:
        spec.write_text(before)
    assert one.returncode == two.returncode == 1
    where = f"{spec.relative_to(generated).as_posix()}:{row + 1}:"
    assert where in two.stderr and "is not pinned" in two.stderr, two.stderr
    assert two.stderr.replace(str(tmp_path / "2"), "OUT") == one.stderr.replace(str(tmp_path / "1"), "OUT")
    assert not (tmp_path / "2").exists() and not [p for p in tmp_path.iterdir() if ".strata-" in p.name]


def test_a_worker_that_dies_fails_the_compile_and_leaves_out_as_it_was(generated, tmp_path):
    out, pids = tmp_path / "out", tmp_path / "pids"
    assert _compile(generated, out).returncode == 0
    old = snapshot(out)
    process = _patched("os.kill(os.getpid(), signal.SIGKILL)", generated, out, pids, "-j", "2", "--no-cache")
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 1, stderr
    assert "render worker process died (killed by signal 9)" in stderr and "Traceback" not in stderr, stderr
    assert f"{out} is unchanged" in stderr, stderr
    assert snapshot(out) == old and not [p for p in tmp_path.iterdir() if ".strata-" in p.name]
    assert _alive(pids) == []


def _with_two_workers_rendering(repo: Path, tmp_path: Path) -> tuple[subprocess.Popen, Path, Path]:
    """A compile whose two workers sleep in their first target: (process, out, pids file)."""
    out, pids = tmp_path / "out", tmp_path / "pids"
    process = _patched("time.sleep(120)", repo, out, pids, "-j", "2")
    assert _until(lambda: len(_alive(pids)) == 2, 120), _alive(pids)
    return process, out, pids


def _until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.1)
    return condition()


def test_ctrl_c_stops_the_workers_and_writes_nothing(generated, tmp_path):
    process, out, pids = _with_two_workers_rendering(generated, tmp_path)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130 and "Traceback" not in stderr, stderr
    assert _until(lambda: _alive(pids) == [], 5)
    assert not out.exists() and not [p for p in tmp_path.iterdir() if ".strata-" in p.name]
    assert _leftovers(generated) == []


def test_a_killed_compile_takes_its_workers_with_it(generated, tmp_path):
    process, _, pids = _with_two_workers_rendering(generated, tmp_path)
    process.kill()
    process.communicate(timeout=30)
    assert _until(lambda: _alive(pids) == [], 10), _alive(pids)


def test_default_jobs_is_the_cpus_this_process_may_use(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 3, 5}, raising=False)
    assert workers.default_jobs() == 3
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(64)), raising=False)
    assert workers.default_jobs() == workers.MAX_JOBS


def test_a_file_the_spool_cannot_write_is_a_one_line_error(tmp_path):
    from compiler.errors import StrataError
    from compiler.output.spool import Spool

    (tmp_path / "dev").write_text("a file where a folder should be")
    with pytest.raises(StrataError, match=r"cannot write .*dev/demo/values.yaml: "):
        Spool(tmp_path).write("dev/demo/values.yaml", b"x: 1\n")
