"""Time strata on a large repo: full compile, 4 shards and their merge, no-change recompile,
one-file change, plan.

Runs `strata --repo R compile --out O` three times, `strata compile --shard K/4` for K = 1..4
and `strata merge` of the four (docs/sharding.md), `strata --repo R plan --base HEAD~1`, and a
full compile with `-j 1` into another folder; then, with a `strata daemon` started for the run
(docs/daemon.md), the no-change compile, a one-file change (another file) and its plan again;
with `--scale 10`, a cold compile of a repo ten times as big.

    python bench/run.py                               # generate 200 x 3 x 6 = 3,600 targets, time it
    python bench/run.py --projects 50 --envs 4        # a smaller generated repo
    python bench/run.py --repo .                      # an existing repo (copied first, never modified)
    python bench/run.py -j 2 --scale 10               # compiles with -j 2; also 36,000 targets

Every step is timed with the wall clock, as a user would see it, from a fresh process, and its
process tree's memory sampled from /proc (the peak of the summed RSS and of the summed PSS). The
baseline is bench/baseline.py (PyYAML C loader + deep merge + C dumper) on the same repo. The
work happens in a scratch copy that is a git repository, so `strata plan --base HEAD~1` can
compare the one-file change with the commit before it. Slowness never fails the run; a step
that exits with an error is reported in the table (and makes the exit status 1).
"""
from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO_ENTRIES = ("strata.yaml", "layers", "environments", "projects", "charts", "crds")
IMAGE_TAG = re.compile(r"^(\s*image:\s*\S+:)(\S+?)(\s*)$", re.MULTILINE)
APP_TYPE = re.compile(r"^appType:[ \t]*(\S+)", re.MULTILINE)
GIT = ["git", "-c", "user.name=strata-bench", "-c", "user.email=bench@example.invalid",
       "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main"]


SHARDS = 4
FULL = "strata compile (full)"
FULL_ONE_JOB = "strata compile (full, -j 1)"
SLOWEST = f"slowest of {SHARDS} shards"
MERGE = f"strata merge ({SHARDS} shards)"
GOALS = {SLOWEST: 0.35, MERGE: 0.05}      # of the full compile (issue 17)
BASELINE_GOALS = {FULL: 1.0, "strata compile (no change)": 0.05,   # of the baseline (issue 10)
                  "strata compile (one file changed)": 0.15, "strata plan --base HEAD~1": 0.10}


def with_daemon(name: str) -> str:
    """`strata compile (no change, with strata daemon)`, `strata plan --base HEAD~1 (with strata daemon)`."""
    return f"{name[:-1]}, with strata daemon)" if name.endswith(")") else f"{name} (with strata daemon)"


BASELINE_GOALS.update({with_daemon(name): goal for name, goal in BASELINE_GOALS.items() if name != FULL})
SCALED_RSS_GOAL_MIB = 1024                 # peak of the 10x compile (issue 10)


@dataclass
class Step:
    name: str
    seconds: float | None
    code: int | None
    note: str = ""
    ok: bool = True
    cpu: float | None = None      # user + system seconds of the process (steadier than wall on a shared machine)
    rss_mib: float | None = None  # the most memory the step's process tree held at once: RSS summed
    pss_mib: float | None = None  # ... and PSS summed (shared pages counted once)


def timed(name: str, command: list[str], cwd: Path, expected: tuple[int, ...] = (0,), daemon: int | None = None) -> Step:
    """Run a command, wall-clock timed and its memory sampled; note its last output line, or its error if it failed.
    With `daemon` (its pid), the command runs in the daemon's child: its CPU is the daemon's reaped
    children's too (the daemon reaps the child before the client exits), and its memory the daemon's
    process tree's too (the resident daemon included)."""
    before = _children_cpu() + _reaped_cpu(daemon)
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=err, text=True)
        peaks = _Peaks(process.pid, daemon)
        process.wait()                     # blocks until the exit: the wall clock is not rounded to the sampling
        seconds = time.perf_counter() - started
        rss, pss = peaks.stop()
        out.seek(0), err.seek(0)
        stdout, stderr = out.read(), err.read()
    ok = process.returncode in expected
    note = _tail(stdout, 1) if ok else _tail(stderr or stdout)
    return Step(name, seconds, process.returncode, note, ok, _children_cpu() + _reaped_cpu(daemon) - before,
                rss / 1024 or None, pss / 1024 or None)


class _Peaks:
    """The peak memory of a process tree (and a daemon's), sampled every 0.1 s in a thread while the
    caller waits for the process: the wall clock is read when it ends, not at the next sample."""

    def __init__(self, pid: int, daemon: int | None):
        self.pid, self.daemon, self.peak = pid, daemon, (0, 0)
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        while True:
            now = tree_memory(self.pid)
            if self.daemon is not None:
                now = tuple(a + b for a, b in zip(now, tree_memory(self.daemon), strict=True))
            self.peak = (max(self.peak[0], now[0]), max(self.peak[1], now[1]))
            if self.done.wait(0.1):
                return

    def stop(self) -> tuple[int, int]:
        self.done.set()
        self.thread.join()
        return self.peak


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _reaped_cpu(pid: int | None) -> float:
    """User + system seconds of `pid`'s reaped children (/proc/PID/stat cutime and cstime); 0 without one."""
    if pid is None:
        return 0.0
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")


def tree_memory(root: int) -> tuple[int, int]:
    """KiB held now by `root` and every process below it (Linux /proc; 0 elsewhere), summed: RSS
    (pages that forked workers share with their parent count once in each) and PSS (each shared
    page split between its sharers: what the tree really holds)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="utf-8") as handle:
                    parents[int(entry)] = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    return sum(_kib(pid, "status", "VmRSS:") for pid in tree), sum(_kib(pid, "smaps_rollup", "Pss:") for pid in tree)


def _kib(pid: int, file: str, field: str) -> int:
    try:
        with open(f"/proc/{pid}/{file}", encoding="utf-8") as handle:
            return next((int(line.split()[1]) for line in handle if line.startswith(field)), 0)
    except (OSError, ValueError):
        return 0


def _tail(text: str, lines: int = 3) -> str:
    return " | ".join(text.strip().splitlines()[-lines:])


def with_bytecode(cache: Path) -> None:
    """Every step's Python reads compiled bytecode, as an installed strata does (pip compiles a
    wheel's modules when it installs them): strata's own modules are compiled once, before any
    step is timed, into a cache in the scratch folder (never beside the source), and the steps
    may write more there, even where the environment says PYTHONDONTWRITEBYTECODE (some CI
    machines do; every start would then compile strata's ~200 modules again, ~0.1 s of CPU)."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(cache)
    packages = [str(BENCH.parent / name) for name in ("compiler", "schemas") if (BENCH.parent / name).is_dir()]
    if packages:
        subprocess.run([sys.executable, "-m", "compileall", "-q", *packages], check=False,
                       stdout=subprocess.DEVNULL)


def strata_command(explicit: str | None) -> list[str]:
    """`--strata`, else the `strata` next to this Python, else the one on PATH."""
    if explicit:
        return explicit.split()
    beside = Path(sys.executable).parent / "strata"
    found = str(beside) if beside.exists() else shutil.which("strata")
    if found is None:
        sys.exit("run: no `strata` command found; install the project (pip install -e .) or pass --strata")
    return [found]


def copy_repo(source: Path, target: Path) -> None:
    """Only the config repo itself (SPEC §1), never out/, .git or the source code."""
    target.mkdir(parents=True)
    for entry in REPO_ENTRIES:
        path = source / entry
        if path.is_dir():
            shutil.copytree(path, target / entry, ignore=shutil.ignore_patterns("__pycache__"))
        elif path.is_file():
            shutil.copy2(path, target / entry)


def generate(args: argparse.Namespace, target: Path, scale: int = 1) -> Step:
    command = [sys.executable, str(BENCH / "generate.py"), "--out", str(target),
               "--projects", str(args.projects * scale), "--envs", str(args.envs), "--app-types", str(args.app_types),
               "--resources-per-project", str(args.resources_per_project), "--seed", str(args.seed)]
    return timed("generate repo" + (f" ({scale}x projects)" if scale > 1 else ""), command, BENCH)


def scaled_steps(args: argparse.Namespace, scratch: Path, strata: list[str]) -> list[Step]:
    """`--scale N`: a cold full compile of a repo with N times the projects (time linear in targets?)."""
    repo = scratch / f"repo-x{args.scale}"
    steps = [generate(args, repo, args.scale)]
    if steps[-1].ok:
        command = [*strata, "--repo", str(repo), "compile", "--out", str(scratch / f"out-x{args.scale}"), *_jobs(args)]
        steps.append(timed(f"strata compile (full, {args.scale}x targets)", command, repo))
    return steps


def _jobs(args: argparse.Namespace) -> tuple[str, ...]:
    return ("-j", str(args.jobs)) if args.jobs else ()


def git_commit(repo: Path, message: str) -> None:
    if not (repo / ".git").exists():
        subprocess.run([*GIT, "init", "-q"], cwd=repo, check=True)
    subprocess.run([*GIT, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*GIT, "commit", "-q", "--allow-empty", "-m", message], cwd=repo, check=True)


def change_one_file(repo: Path, like: str | None = None) -> str | None:
    """Bump the image tag in the first resource file that has one; returns that file. With `like`
    (a file changed before), in another project's file of the same app type, so that both changes
    render the same kind of target (a chart Service loads Helm, a KServe one does not)."""
    want = _app_type((repo / like).read_text(encoding="utf-8")) if like else None
    for path in sorted((repo / "projects").rglob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        if like and (path.relative_to(repo).parts[1] == Path(like).parts[1] or _app_type(text) != want):
            continue
        changed, count = IMAGE_TAG.subn(lambda m: f"{m.group(1)}{m.group(2)}-bench{m.group(3)}", text, count=1)
        if count:
            path.write_text(changed, encoding="utf-8")
            return str(path.relative_to(repo))
    return None


def _app_type(text: str) -> str | None:
    found = APP_TYPE.search(text)
    return found.group(1) if found else None


def has_command(strata: list[str], name: str, cwd: Path) -> bool:
    return subprocess.run([*strata, name, "--help"], cwd=cwd, capture_output=True).returncode == 0


def run_steps(repo: Path, out: Path, strata: list[str], jobs: tuple[str, ...] = ()) -> list[Step]:
    compile_cmd = [*strata, "--repo", str(repo), "compile", "--out", str(out), *jobs]
    steps = [timed("baseline: PyYAML C load + merge + dump", [sys.executable, str(BENCH / "baseline.py"), str(repo)], repo)]
    steps.append(timed(FULL, compile_cmd, repo))
    steps.append(timed("strata compile (no change)", compile_cmd, repo))
    changed = change_one_file(repo)
    steps.append(timed("strata compile (one file changed)", compile_cmd, repo))
    if steps[-1].ok:
        steps[-1].note = f"changed {changed}; {steps[-1].note}" if changed else "no image tag found to change"
    if changed and has_command(strata, "plan", repo):
        git_commit(repo, "bench: one-file change")
        plan = [*strata, "--repo", str(repo), "plan", "--base", "HEAD~1"]
        steps.append(timed("strata plan --base HEAD~1", plan, repo))
    else:
        steps.append(Step("strata plan --base HEAD~1", None, None, "not available"))
    if jobs != ("-j", "1"):   # a full compile in the compile's own process, for comparison (late: it
        one = [*strata, "--repo", str(repo), "compile", "--out", str(out.with_name("out-j1")), "-j", "1"]
        steps.append(timed(FULL_ONE_JOB, one, repo))   # stamps .strata/ for its folder)
    if has_command(strata, "merge", repo):   # a shard's compile leaves out/ no reuse stamp
        steps += shard_steps(repo, out, strata)
    if changed and has_command(strata, "daemon", repo):
        steps += daemon_steps(repo, compile_cmd, strata, changed)
    return steps


def daemon_steps(repo: Path, compile_cmd: list[str], strata: list[str], first: str) -> list[Step]:
    """The no-change compile, a one-file change (a file like `first`, the one changed before, in
    another project) and its plan, each run by a `strata daemon`'s child (docs/daemon.md), started
    here in the scratch folder and stopped."""
    started = subprocess.run([*strata, "daemon", "start"], cwd=repo, capture_output=True, text=True)
    found = re.search(r"pid (\d+)", started.stdout)
    if started.returncode != 0 or not found:
        return [Step("strata daemon start", None, started.returncode, _tail(started.stderr or started.stdout), False)]
    daemon = int(found.group(1))
    try:
        subprocess.run(compile_cmd, cwd=repo, capture_output=True, check=False)   # out/ current again after the shards
        steps = [timed(with_daemon("strata compile (no change)"), compile_cmd, repo, daemon=daemon)]
        changed = change_one_file(repo, like=first)
        steps.append(timed(with_daemon("strata compile (one file changed)"), compile_cmd, repo, daemon=daemon))
        if steps[-1].ok:
            steps[-1].note = f"changed {changed}; {steps[-1].note}"
        git_commit(repo, "bench: another one-file change")
        plan = [*strata, "--repo", str(repo), "plan", "--base", "HEAD~1"]
        steps.append(timed(with_daemon("strata plan --base HEAD~1"), plan, repo, daemon=daemon))
    finally:
        subprocess.run([*strata, "daemon", "stop"], cwd=repo, capture_output=True, check=False)
    return steps


def shard_steps(repo: Path, out: Path, strata: list[str]) -> list[Step]:
    """Each shard from scratch, one after the other (a CI matrix runs them at once: the slowest is
    what it waits for), then their merge into a new folder, compared file by file with `out`
    (the last compile of the same tree)."""
    folder = out.parent / "shards"
    shards = [folder / f"shard-{k}" for k in range(1, SHARDS + 1)]
    steps = [timed(f"strata compile --shard {k}/{SHARDS}",
                   [*strata, "--repo", str(repo), "compile", "--shard", f"{k}/{SHARDS}", "--out", str(shard)], repo)
             for k, shard in enumerate(shards, 1)]
    timings = [s for s in steps if s.ok and s.seconds is not None]
    slowest = max(timings, key=lambda s: s.seconds or 0.0) if len(timings) == SHARDS else None
    steps.append(Step(SLOWEST, slowest.seconds if slowest else None, None,
                      slowest.name.removeprefix("strata compile ") if slowest else "a shard failed",
                      ok=slowest is not None, cpu=max((s.cpu or 0.0) for s in timings) if slowest else None))
    merge = timed(MERGE, [*strata, "--repo", str(repo), "merge", *map(str, shards), "--out", str(folder / "merged")],
                  repo)
    if merge.ok:
        same = _files(folder / "merged") == _files(out)
        merge.note = ("identical to the full compile; " if same else "DIFFERS from the full compile; ") + merge.note
        merge.ok = same
    return [*steps, merge]


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def ratio(step: Step, steps: list[Step]) -> str:
    """`0.31x full` for the shard and merge rows (wall; CPU after it; the goal); `0.05x baseline` with
    issue 10's goal for the full, no-change, one-file and plan rows; for the 10x compile, its time
    over the full compile's (linear: about 10x) and its peak RSS against 1 GiB. The slowest shard's
    CPU is the most any shard used."""
    full = next((s for s in steps if s.name == FULL and s.ok), None)
    base = next((s.seconds for s in steps if s.name.startswith("baseline") and s.ok), None)
    if step.seconds is None:
        return ""
    if full and full.seconds and (step.name in GOALS or step.name.startswith("strata compile --shard")):
        value = step.seconds / full.seconds
        cpu = f" (CPU {step.cpu / full.cpu:.2f}x)" if step.cpu is not None and full.cpu else ""
        goal = GOALS.get(step.name)
        verdict = f"; goal <= {goal}: {'met' if value <= goal else 'not met'}" if goal is not None else ""
        return f"{value:.2f}x full{cpu}{verdict}"
    if (step.name in BASELINE_GOALS or step.name == FULL_ONE_JOB) and base:
        value = step.seconds / base
        goal = BASELINE_GOALS.get(step.name)
        verdict = f"; goal <= {goal}: {'met' if value <= goal else 'not met'}" if goal is not None else ""
        return f"{value:.2f}x baseline{verdict}"
    if step.name.endswith("x targets)") and full and full.seconds:
        memory = max(step.rss_mib or 0, step.pss_mib or 0)
        peak = (f"; peak <= {SCALED_RSS_GOAL_MIB} MiB: {'met' if step.rss_mib and step.rss_mib <= SCALED_RSS_GOAL_MIB else 'not met'}"
                if memory else "")
        return f"{step.seconds / full.seconds:.1f}x full{peak}"
    return ""


def print_table(steps: list[Step]) -> None:
    width = max(len(s.name) for s in steps)
    ratios = [ratio(s, steps) for s in steps]
    wide = max((len(r) for r in ratios), default=0)
    print(f"{'step':<{width}}  {'seconds':>8}  {'cpu s':>6}  {'RSS MiB':>8}  {'PSS MiB':>8}  {'exit':>4}  "
          f"{'ratio':<{wide}}  note")
    for step, text in zip(steps, ratios, strict=True):
        seconds = f"{step.seconds:8.2f}" if step.seconds is not None else f"{'-':>8}"
        cpu = f"{step.cpu:6.2f}" if step.cpu is not None else f"{'-':>6}"
        code = f"{step.code:>4}" if step.code is not None else f"{'-':>4}"
        print(f"{step.name:<{width}}  {seconds}  {cpu}  {_mib(step.rss_mib):>8}  {_mib(step.pss_mib):>8}  {code}  "
              f"{text:<{wide}}  {step.note}")


def _mib(value: float | None) -> str:
    return f"{value:,.0f}" if value else "–"


def file_system(path: Path) -> str:
    """The type of the file system `path` is on (ext4, tmpfs...), from /proc/mounts; "" elsewhere.
    It matters: the baseline writes 3,600 files, strata 8,400, and creating a file costs ~0.1 ms
    on this machine's ext4 disk against ~0.01 ms on tmpfs."""
    try:
        with open("/proc/mounts", encoding="utf-8") as handle:
            mounts = [line.split()[1:3] for line in handle]
    except OSError:
        return ""
    where = str(path.resolve())
    inside = [(point, kind) for point, kind in mounts if where == point or where.startswith(point.rstrip("/") + "/")]
    return max(inside, key=lambda m: len(m[0]))[1] if inside else ""


def machine(strata: list[str], scratch: Path) -> str:
    """What the figures were measured on: CPU, cores, the scratch folder's file system, Python, strata's version."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            cpu = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), cpu)
    except OSError:
        pass
    version = subprocess.run([*strata, "--version"], capture_output=True, text=True).stdout.strip()
    load = f", load average {os.getloadavg()[0]:.1f} at the end" if hasattr(os, "getloadavg") else ""
    disk = f", scratch folder on {kind}" if (kind := file_system(scratch)) else ""
    return (f"{cpu}, {os.cpu_count()} cores{load}{disk}, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, {version or 'strata (version unknown)'}")


def print_markdown(steps: list[Step], summary: str, strata: list[str], scratch: Path) -> None:
    """The table the README shows, ready to paste: one run, its workload and its machine."""
    print(f"{summary}. Machine: {machine(strata, scratch)}; one run, wall clock (and CPU seconds), "
          "each step a fresh process reading compiled bytecode.\n")
    print("| step | seconds | CPU seconds | peak RSS, MiB | peak PSS, MiB | ratio |\n|---|---:|---:|---:|---:|---|")
    for step in steps:
        seconds = _seconds(step.seconds) if step.seconds is not None else "–"
        cpu = _seconds(step.cpu) if step.cpu is not None else ""
        print(f"| {step.name} | {seconds if step.ok else f'failed (exit {step.code})'} | {cpu} | {_mib(step.rss_mib)} "
              f"| {_mib(step.pss_mib)} | {ratio(step, steps)} |")


def _seconds(value: float) -> str:
    """Two digits that matter: 9.4, 0.33 (a sub-second step's first decimal alone is a third of it)."""
    return f"{value:.1f}" if value >= 1 else f"{value:.2f}"


def workload_options(description: str) -> argparse.ArgumentParser:
    """The options that choose the repo: generated (and how big) or copied (bench/docs.py uses them too)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--repo", type=Path, help="time this repo (copied first) instead of generating one")
    parser.add_argument("--projects", type=int, default=200)
    parser.add_argument("--envs", type=int, default=6)
    parser.add_argument("--app-types", type=int, default=12)
    parser.add_argument("--resources-per-project", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    return parser


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = workload_options(__doc__.split("\n\n")[0])
    parser.add_argument("--strata", help="the strata command (default: the one beside this Python)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder and print its path")
    parser.add_argument("--markdown", action="store_true",
                        help="print the figures as the README's Markdown table, with the machine they ran on")
    parser.add_argument("-j", "--jobs", type=int, help="passed to every `strata compile` (default: strata's own)")
    parser.add_argument("--scale", type=int, default=0,
                        help="also time a cold compile of a repo with this many times the projects (10: 36,000 targets)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    strata = strata_command(args.strata)
    scratch = Path(tempfile.mkdtemp(prefix="strata-bench-"))
    repo, out = scratch / "repo", scratch / "out"
    os.environ["STRATA_DAEMON_DIR"] = str(scratch / "daemon")   # no daemon of the user's runs any step
    os.environ.pop("STRATA_NO_DAEMON", None)
    try:
        with_bytecode(scratch / "pycache")
        steps = _prepare(args, repo)
        if steps[-1].ok:
            git_commit(repo, "bench: initial")
            steps += run_steps(repo, out, strata, _jobs(args))
        if args.scale > 1 and args.repo is None:
            steps += scaled_steps(args, scratch, strata)
        if args.markdown:
            print_markdown(steps, workload(steps, repo, out), strata, scratch)
        else:
            print_table(steps)
    finally:
        if args.keep:
            print(f"scratch folder kept: {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0 if all(s.ok for s in steps) else 1


def workload(steps: list[Step], repo: Path, out: Path) -> str:
    """`N targets (M input files, K output files)`, from what the run produced."""
    inputs = sum(1 for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts)
    outputs = sum(1 for p in out.rglob("*") if p.is_file()) if out.is_dir() else 0
    compiled = next((s.note for s in steps if s.name == FULL), "")
    targets = re.search(r"Compiled (\d+) targets", compiled)
    return f"{targets.group(1) if targets else '?'} targets, {inputs:,} input files, {outputs:,} output files"


def _prepare(args: argparse.Namespace, repo: Path) -> list[Step]:
    if args.repo is None:
        return [generate(args, repo)]
    started = time.perf_counter()
    copy_repo(args.repo.resolve(), repo)
    return [Step(f"copy {args.repo}", time.perf_counter() - started, None)]


if __name__ == "__main__":
    sys.exit(main())
