"""`strata daemon` (docs/daemon.md): a command run by the daemon's forked child is the command run
in a process of its own — the same output bytes, stdout, stderr and exit code — and whatever
the daemon cannot be for a client, the client does itself.

Every test runs its own daemon in its own folder (`STRATA_DAEMON_DIR`, under /tmp: a socket's
path is at most 107 bytes) through the console script, and stops it.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from repo_fixture import copy_example, write_repo
from test_plan_support import commit, init_repo

from compiler import __version__
from compiler.daemon import protocol
from compiler.daemon.server import peer_allowed

STRATA = Path(sys.executable).parent / "strata"
pytestmark = [pytest.mark.skipif(not STRATA.exists(), reason="needs the console script (pip install -e .)"),
              pytest.mark.skipif(sys.platform != "linux", reason="the daemon needs Linux (SO_PEERCRED)")]
SECONDS = re.compile(r" in \d+\.\d+s")


@dataclass
class Daemon:
    env: dict[str, str]
    folder: Path

    def served(self) -> int:
        status = strata(["daemon", "status"], env=self.env)
        assert status.returncode == 0, status.stdout + status.stderr
        return int(re.search(r"commands served: (\d+)", status.stdout).group(1))


def strata(args: list[str], cwd: Path | None = None, env: dict[str, str] | None = None,
           **options) -> subprocess.CompletedProcess:
    return subprocess.run([str(STRATA), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
                          **options)


def in_process(env: dict[str, str]) -> dict[str, str]:
    return {**env, "STRATA_NO_DAEMON": "1"}


@pytest.fixture
def scratch():
    folder = Path(tempfile.mkdtemp(prefix="sd-", dir="/tmp"))
    env = {**os.environ, protocol.FOLDER_VARIABLE: str(folder / "run")}
    env.pop(protocol.OFF_VARIABLE, None)
    yield Daemon(env, folder / "run")
    stopped = strata(["daemon", "stop"], env=env)
    assert stopped.returncode == 0, stopped.stderr
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def daemon(scratch):
    started = strata(["daemon", "start", "--idle-timeout", "600"], env=scratch.env)
    assert started.returncode == 0, started.stdout + started.stderr
    return scratch


def outputs(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file's bytes and permission bits."""
    return {p.relative_to(folder).as_posix(): (p.read_bytes(), stat.S_IMODE(p.stat().st_mode))
            for p in sorted(folder.rglob("*")) if p.is_file()}


def same_run(first: subprocess.CompletedProcess, second: subprocess.CompletedProcess) -> None:
    assert (first.returncode, SECONDS.sub(" in Ts", first.stdout), first.stderr) == \
           (second.returncode, SECONDS.sub(" in Ts", second.stdout), second.stderr)


def test_the_example_compiled_by_the_daemon_is_the_example_compiled_in_process(daemon, tmp_path):
    repo = copy_example(tmp_path / "repo")
    umask = lambda: os.umask(0o027)   # noqa: E731 - the child takes the client's umask: the files' modes show it
    served = daemon.served()
    through = strata(["compile"], cwd=repo, env=daemon.env, preexec_fn=umask)
    assert through.returncode == 0, through.stderr
    assert daemon.served() == served + 2          # the compile, and the status before this one
    first = outputs(repo / "out")
    assert first and all(mode == 0o640 for _, mode in first.values())
    shutil.rmtree(repo / "out")
    shutil.rmtree(repo / ".strata")
    here = strata(["compile"], cwd=repo, env=in_process(daemon.env), preexec_fn=umask)
    same_run(through, here)
    assert outputs(repo / "out") == first


def test_a_bad_spec_is_the_same_one_line_error_and_exit_1(daemon, tmp_path):
    repo = write_repo(tmp_path / "repo", {"projects/demo/train.yaml": "kind: Job\nname: train\nspec:\n  imagee: x\n"})
    through = strata(["--repo", ".", "compile"], cwd=repo, env=daemon.env)
    assert through.returncode == 1 and "projects/demo/train.yaml:4:" in through.stderr
    same_run(through, strata(["--repo", ".", "compile"], cwd=repo, env=in_process(daemon.env)))


def test_plan_detailed_exitcode_is_2_through_the_daemon(daemon, tmp_path):
    repo = copy_example(init_repo(tmp_path / "repo") / "config")
    commit(repo, "example")
    resnet = repo / "projects/cv-shoe-identify/training/train-resnet.yaml"
    resnet.write_text(resnet.read_text().replace("train:1.4.2", "train:1.4.3"))
    args = ["plan", "--base", "HEAD", "--detailed-exitcode"]
    through = strata(args, cwd=repo, env=daemon.env)
    assert through.returncode == 2, through.stderr
    same_run(through, strata(args, cwd=repo, env=in_process(daemon.env)))


def test_the_child_runs_in_the_clients_folder_with_its_environment(daemon, tmp_path):
    repo = write_repo(tmp_path / "repo")
    (repo / "projects/demo/nested").mkdir()
    relative = strata(["--repo", "repo", "compile"], cwd=tmp_path, env=daemon.env)
    assert relative.returncode == 0 and "Compiled 2 targets" in relative.stdout, relative.stderr
    (repo / "strata.yaml").write_text("output: out\n")      # found upward from a folder inside
    upward = strata(["validate"], cwd=repo / "projects/demo/nested", env=daemon.env)
    assert upward.returncode == 0, upward.stderr
    bad_jobs = {**daemon.env, "STRATA_JOBS": "0"}     # read by `compile -j` from the client's environment
    through = strata(["--repo", ".", "compile", "--no-cache"], cwd=repo, env=bad_jobs)
    assert through.returncode == 1 and "STRATA_JOBS" in through.stderr + through.stdout
    same_run(through, strata(["--repo", ".", "compile", "--no-cache"], cwd=repo, env=in_process(bad_jobs)))


def serve_and_signal(repo: Path, env: dict[str, str], number: int) -> tuple[int, str, str]:
    """`docs serve` started, asked for a page (so it serves), then sent signal `number`."""
    served = subprocess.Popen([str(STRATA), "--repo", ".", "docs", "serve", "--port", "0"], cwd=repo, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = re.search(r"http://\S+", served.stdout.readline()).group(0)
    urllib.request.urlopen(url + "strata-docs.json", timeout=30).read()
    served.send_signal(number)
    out, err = served.communicate(timeout=30)
    return served.returncode, out, err


@pytest.mark.parametrize(("number", "ended"), [(signal.SIGINT, (0, "Stopped.\n", "")),     # Ctrl-C: its way to stop
                                               (signal.SIGTERM, (-signal.SIGTERM, "", ""))])  # killed by the same signal
def test_a_signal_to_the_client_reaches_the_command(daemon, tmp_path, number, ended):
    """The client sends it to the child's process group; the client ends as the child did."""
    repo = write_repo(tmp_path / "repo")
    (repo / "site").mkdir()
    (repo / "site" / "strata-docs.json").write_text("{}")
    assert serve_and_signal(repo, daemon.env, number) == serve_and_signal(repo, in_process(daemon.env), number) == ended


def test_a_client_killed_takes_its_command_with_it(daemon, tmp_path):
    repo = write_repo(tmp_path / "repo")
    (repo / "site").mkdir()
    (repo / "site" / "strata-docs.json").write_text("{}")
    served = subprocess.Popen([str(STRATA), "--repo", ".", "docs", "serve", "--port", "0"], cwd=repo, env=daemon.env,
                              stdout=subprocess.PIPE, text=True)
    assert "Serving" in served.stdout.readline()
    served.kill()
    served.wait()
    deadline = time.monotonic() + 10
    while "commands running: 0" not in strata(["daemon", "status"], env=daemon.env).stdout:
        assert time.monotonic() < deadline, "the child outlived its client"
        time.sleep(0.1)


def test_without_a_daemon_or_with_strata_no_daemon_the_command_runs_here(scratch, tmp_path):
    repo = write_repo(tmp_path / "repo")
    alone = strata(["--repo", ".", "compile"], cwd=repo, env=scratch.env)
    assert alone.returncode == 0 and "Compiled 2 targets" in alone.stdout
    assert strata(["daemon", "start"], env=scratch.env).returncode == 0
    off = strata(["--repo", ".", "compile"], cwd=repo, env=in_process(scratch.env))
    assert off.returncode == 0 and scratch.served() == 1      # only the status itself


def test_a_client_the_daemon_cannot_be_runs_the_command_itself(daemon, tmp_path):
    """Another interpreter flag (the fingerprint) or a start-up variable: refused, run in the client."""
    repo = write_repo(tmp_path / "repo")
    other_flags = subprocess.run([sys.executable, "-B", str(STRATA), "--repo", ".", "compile"], cwd=repo, env=daemon.env,
                                 capture_output=True, text=True)
    assert other_flags.returncode == 0 and "Compiled 2 targets" in other_flags.stdout, other_flags.stderr
    other_zone = strata(["--repo", ".", "compile"], cwd=repo, env={**daemon.env, "TZ": "Asia/Tokyo", "STRATA_DEBUG": "1"})
    assert other_zone.returncode == 0 and "not run by the daemon: environment variables read at start-up " \
                                          "differ from the daemon's: TZ" in other_zone.stderr
    assert daemon.served() == 3        # the two refusals and this status


def test_a_daemon_whose_own_files_changed_stops_and_another_installs_client_does_not_stop_it(daemon, tmp_path):
    other_path = strata(["--version"], env={**daemon.env, "PYTHONPATH": str(tmp_path), "STRATA_DEBUG": "1"})
    assert other_path.returncode == 0 and "strata, its files or its Python differ" in other_path.stderr
    assert strata(["daemon", "status"], env=daemon.env).returncode == 0       # not its own files: it stays
    edited = Path(protocol.__file__).with_name("__init__.py")
    before = edited.stat()
    os.utime(edited, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000_000))   # as an edit would
    try:
        assert strata(["--version"], env=daemon.env).stdout == "strata, version " + __version__ + "\n"
    finally:
        os.utime(edited, ns=(before.st_atime_ns, before.st_mtime_ns))
    deadline = time.monotonic() + 10
    while (daemon.folder / protocol.SOCKET_NAME).exists():
        assert time.monotonic() < deadline, "a daemon whose files changed kept running"
        time.sleep(0.1)
    assert "stopped: strata's files or Python changed" in (daemon.folder / protocol.LOG_NAME).read_text()


def test_the_server_never_loads_helm_and_its_folder_is_private(daemon, tmp_path):
    repo = copy_example(tmp_path / "repo")
    assert strata(["compile"], cwd=repo, env=daemon.env).returncode == 0     # its children render charts
    status = strata(["daemon", "status"], env=daemon.env).stdout
    assert "of helm_python, kubernetes, argo_workflows loaded: none" in status
    assert stat.S_IMODE(daemon.folder.stat().st_mode) == 0o700
    again = strata(["daemon", "start"], env=daemon.env)
    assert again.returncode == 1 and "already running" in again.stderr


def test_start_removes_a_stale_socket_and_writes_nothing_into_the_repository(scratch, tmp_path):
    repo = write_repo(tmp_path / "repo")
    scratch.folder.mkdir(mode=0o700)
    dead = socket.socket(socket.AF_UNIX)
    dead.bind(str(scratch.folder / protocol.SOCKET_NAME))
    dead.close()                                     # a socket file nobody listens on
    before = sorted(p.relative_to(repo) for p in repo.rglob("*"))
    assert strata(["daemon", "start"], cwd=repo, env=scratch.env).returncode == 0
    assert scratch.served() == 1
    assert sorted(p.relative_to(repo) for p in repo.rglob("*")) == before


def test_an_idle_daemon_stops(scratch):
    assert strata(["daemon", "start", "--idle-timeout", "1"], env=scratch.env).returncode == 0
    deadline = time.monotonic() + 20
    while (scratch.folder / protocol.SOCKET_NAME).exists():     # (asking it would keep it busy)
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert strata(["daemon", "status"], env=scratch.env).returncode == 1
    assert "stopped: idle for 0h00m01s" in (scratch.folder / protocol.LOG_NAME).read_text()


def test_only_the_same_user_is_served():
    me = os.geteuid()
    assert peer_allowed(struct.pack("3i", 4242, me, 0), me)
    assert not peer_allowed(struct.pack("3i", 4242, me + 1, 0), me)
    assert not peer_allowed(b"", me)


def test_a_socket_folder_others_may_enter_or_a_link_is_never_trusted(tmp_path):
    folder = tmp_path / "run"
    folder.mkdir(mode=0o700)
    assert protocol.is_private(str(folder))
    folder.chmod(0o755)
    assert not protocol.is_private(str(folder))
    folder.chmod(0o700)
    (tmp_path / "link").symlink_to(folder)
    assert not protocol.is_private(str(tmp_path / "link"))


def test_requests_round_trip():
    sections = {"argv": [b"strata", b"\xff"], "env": [], "kind": [b"run"]}
    assert protocol.decode(protocol.encode(sections)) == sections
    with pytest.raises(ValueError):
        protocol.decode(protocol.encode(sections)[:-1])
    with pytest.raises(ValueError):
        protocol.payload_length(b"GET / HTTP/1.1\r\n\r\n\r\n")
