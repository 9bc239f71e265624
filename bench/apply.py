"""Time `strata apply` on the bench workload against the Kubernetes API double, and count requests.

    python bench/apply.py                          # 200 projects x 3 resources x 6 envs = 3,600 targets
    python bench/apply.py --projects 20 --envs 2   # smaller
    python bench/apply.py --apply-envs 1           # generate all environments, apply only the first

Each environment gets its own API double (tests/kube_double: an in-memory, loopback imitation of
the API server; no real cluster was available) and is applied by a fresh `strata` process, as CI
would run it: first apply (everything created), the same again (nothing changed), one Service's
image changed (one object configured), and `strata plan --live`. Requests are counted on the
server side. The target: no more than one PATCH per changed object, no write for an unchanged one.
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent / "tests"))

from kube_double import KubeDouble  # noqa: E402

IMAGE_TAG = re.compile(r"^(\s*image:\s*\S+:)(\S+?)(\s*)$", re.MULTILINE)


@dataclass
class Row:
    env: str
    step: str
    seconds: float
    objects: int
    changed: int
    requests: Counter
    code: int
    bookkeeping: int = 0      # PATCHes of ApplySet parents (and their namespace), not of the objects

    def cells(self) -> list[str]:
        writes = sum(self.requests[m] for m in ("PATCH", "POST", "PUT", "DELETE"))
        per_object = sum(self.requests.values()) / self.objects if self.objects else 0.0
        return [self.env, self.step, f"{self.seconds:.1f}", str(self.objects), str(self.changed),
                str(self.requests["GET"]), str(self.requests["PATCH"] - self.bookkeeping), str(self.bookkeeping),
                str(writes), f"{per_object:.2f}", str(self.code)]


HEADER = ["env", "step", "seconds", "objects", "changed", "GET", "PATCH objects", "PATCH parents", "writes",
          "req/object", "exit"]


def strata(*args: str) -> list[str]:
    beside = Path(sys.executable).parent / "strata"
    return [str(beside) if beside.exists() else "strata", *args]


def timed_apply(repo: Path, env: str, config: Path, double: KubeDouble, step: str) -> Row:
    double.reset_requests()
    started = time.perf_counter()
    done = subprocess.run(strata("--repo", str(repo), "apply", "--env", env, "--kubeconfig", str(config),
                                 "--format", "json"), capture_output=True, text=True)
    seconds = time.perf_counter() - started
    try:
        summary = json.loads(done.stdout)["summary"]
    except ValueError:
        sys.exit(f"apply {env} failed:\n{done.stderr[-2000:]}")
    objects = sum(summary.values())
    changed = objects - summary["unchanged"]
    parents = sum(1 for method, path, _ in double.requests if method == "PATCH" and "strata-system" in path)
    return Row(env, step, seconds, objects, changed, double.counts(dry_run=False), done.returncode, parents)


def timed_plan(repo: Path, env: str, config: Path, double: KubeDouble) -> Row:
    double.reset_requests()
    started = time.perf_counter()
    done = subprocess.run(strata("--repo", str(repo), "plan", "--live", "--env", env, "--kubeconfig", str(config),
                                 "--format", "json"), capture_output=True, text=True)
    seconds = time.perf_counter() - started
    plan = json.loads(done.stdout) if done.stdout.startswith("{") else {"live": {"objects": []}, "entries": []}
    return Row(env, "plan --live", seconds, len(plan["live"]["objects"]), len(plan["entries"]),
               double.counts(dry_run=False), done.returncode)


def change_one_service(repo: Path) -> str:
    """Bump the image tag of the first Service (again on every call): its Deployment or InferenceService changes."""
    for path in sorted((repo / "projects").rglob("serving/*.yaml")):
        text = path.read_text()
        changed, count = IMAGE_TAG.subn(lambda m: f"{m.group(1)}{m.group(2)}-bench{m.group(3)}", text, count=1)
        if count:
            path.write_text(changed)
            return str(path.relative_to(repo))
    sys.exit("no Service with an image tag to change")


def point_at(repo: Path, env: str, url: str) -> None:
    path = repo / "environments" / f"{env}.yaml"
    path.write_text(re.sub(r"server: \S+", f"server: {url}", path.read_text()))


def run(args: argparse.Namespace, scratch: Path) -> list[Row]:
    repo = scratch / "repo"
    subprocess.run([sys.executable, str(BENCH / "generate.py"), "--out", str(repo), "--projects", str(args.projects),
                    "--envs", str(args.envs), "--seed", str(args.seed)], check=True, capture_output=True)
    envs = sorted(p.stem for p in (repo / "environments").glob("*.yaml"))[: args.apply_envs or None]
    rows: list[Row] = []
    changed_file = ""
    for env in envs:
        with KubeDouble() as double:
            point_at(repo, env, double.url)
            config = double.kubeconfig(scratch, cluster=f"cluster-{env}", context=env)
            rows.append(timed_apply(repo, env, config, double, "first apply"))
            rows.append(timed_apply(repo, env, config, double, "again, no change"))
            rows.append(timed_plan(repo, env, config, double))
            changed_file = change_one_service(repo)
            rows.append(timed_apply(repo, env, config, double, "one Service changed"))
        print("  ".join(rows[-1].cells()[:2]), "done", file=sys.stderr)
    print(f"changed file: {changed_file}")
    return rows


def print_table(rows: list[Row]) -> None:
    table = [HEADER, *(r.cells() for r in rows)]
    widths = [max(len(row[i]) for row in table) for i in range(len(HEADER))]
    for row in table:
        print("  ".join(cell.rjust(w) if i > 1 else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))))
    by_step: dict[str, list[Row]] = {}
    for row in rows:
        by_step.setdefault(row.step, []).append(row)
    print()
    for step, group in by_step.items():
        objects = sum(r.objects for r in group)
        requests = sum(sum(r.requests.values()) for r in group)
        patches = sum(r.requests["PATCH"] - r.bookkeeping for r in group)
        parents = sum(r.bookkeeping for r in group)
        print(f"{step}: {sum(r.seconds for r in group):.1f} s for {objects} objects, {requests} requests "
              f"({requests / max(objects, 1):.2f} per object), {patches} object PATCHes for "
              f"{sum(r.changed for r in group)} changed objects, {parents} ApplySet parent PATCHes")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--projects", type=int, default=200)
    parser.add_argument("--envs", type=int, default=6)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--apply-envs", type=int, default=0, help="apply only the first N environments (0: all)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="strata-bench-apply-") as scratch:
        rows = run(args, Path(scratch))
    print_table(rows)
    return 0 if all(r.code == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
