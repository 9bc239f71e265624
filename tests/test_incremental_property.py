"""Property: whatever was edited, a compile with every cache writes exactly what a compile with
none writes, and fails with the same problems.

A seeded random walk edits a generated repo (bench/generate.py, plus a Jsonnet spec with an
import and a repo copy of the model-service chart): specs, layers, environments, the Jsonnet
import, chart files, strata.yaml; files added, deleted and renamed; edits that keep a file's
size and mtime; an error introduced, then fixed; steps that change nothing. Resource edits
come often, since they take the delta compile (compiler/incremental/recompile.py): a resource
moving between projects, a workload's GPUs moving its project's quota and the environment's
capacity figures (or past the quota, an error, fixed the next step), a Job that stops
mounting its Dataset or mounts it again. After each step `compile` (the no-change snapshot,
the delta compile, the reuse of unchanged targets) and `compile --no-cache` on a copy of the
repo into a fresh folder must agree byte for byte, problem for problem. `-m slow` walks longer.
"""
from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from repo_fixture import settle, short_tick, spy

from compiler.cli import main
from compiler.incremental import recompile, snapshot

BENCH = Path(__file__).resolve().parent.parent / "bench"
CHART = Path(__file__).resolve().parent.parent / "compiler" / "charts" / "model-service"
IMAGE_TAG = re.compile(r"(image: \S+:)(\d+)\.(\d+)\.(\d+)")
NUMBER = re.compile(r"^(\s+(?:cpu|weight|target|backoffLimit): )('?)(\d+)'?$", re.MULTILINE)
TIMING = re.compile(r" in \d+\.\d\ds\.")
GPUS = re.compile(r"^(\s+gpu: )(\d+)$", re.MULTILINE)
DATASETS = re.compile(r"^  datasets:\n(?:  - .*\n(?:    .*\n)*)+", re.MULTILINE)


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    repo = tmp_path_factory.mktemp("generated") / "repo"
    subprocess.run([sys.executable, str(BENCH / "generate.py"), "--out", str(repo), "--projects", "3", "--envs", "2",
                    "--app-types", "8", "--resources-per-project", "3", "--seed", "3"], check=True,
                   capture_output=True)
    project = first_project(repo)
    (project / "lib").mkdir()
    (project / "lib" / "metrics.libsonnet").write_text("['gmv', 'dau']\n")
    (project / "forecast.jsonnet").write_text(
        "local metrics = import 'lib/metrics.libsonnet';\n"
        "[{kind: 'Job', name: 'forecast-' + m, spec: {image: 'reg/forecast:1.0.0', command: ['python', 'f.py'],\n"
        "  args: ['--metric', m], scheduling: {queue: 'QUEUE'}}} for m in metrics]\n".replace("QUEUE", project.name))
    shutil.copytree(CHART, repo / "charts" / "model-service")   # the repo's own chart shadows strata's
    delivery = {"dev-1": "delivery: {engine: argocd, repoURL: 'https://git.example.com/r.git', fleet: applicationset}\n",
                "dev-2": "delivery: {engine: flux, repoURL: 'https://git.example.com/r.git'}\n"}
    for env, text in delivery.items():   # delivery targets: built from every target's digest and objects
        path = repo / "environments" / f"{env}.yaml"
        path.write_text(path.read_text() + text)
    pool = repo / "environments" / "dev-1.yaml"   # capacity and GPU quotas: a GPU edit moves their figures
    pool.write_text(pool.read_text().replace("    resourceName: nvidia.com/gpu\n",
                                             "    resourceName: nvidia.com/gpu\n    capacity: 16\n    gpusPerNode: 4\n"))
    for project in (repo / "projects").glob("*/project.yaml"):
        project.write_text(project.read_text().replace("quota:\n  default:\n", "quota:\n  default:\n    gpu: {t4: 4}\n"))
    volcano = repo / "environments" / "dev-2.yaml"   # project queues with GPU limits, which a Job may borrow
    volcano.write_text(volcano.read_text() + "scheduler: volcano\n")
    group = repo / "environments" / "groups" / "dev.yaml"   # an engine would run a finished job again
    group.write_text(re.sub(r"ttlAfterFinished: \w+", "ttlAfterFinished: null", group.read_text()))
    return repo


def first_project(repo: Path) -> Path:
    return sorted((repo / "projects").iterdir())[0]


class Walk:
    """One repository, compiled after every edit with and without caches."""

    def __init__(self, root: Path, source: Path, seed: int) -> None:
        self.repo, self.rng, self.step = root / "repo", random.Random(seed), 0
        shutil.copytree(source, self.repo, symlinks=True)
        self.cached_out, self.fresh = root / "out", root / "fresh"
        self.broken: tuple[Path, bytes] | None = None
        self.dropped: dict[Path, str] = {}     # Jobs whose dataset mounts were taken out → their text before
        self.fast: list[bool] = []
        self.delta: list[bool] = []

    def files(self, *patterns: str) -> list[Path]:
        return sorted(p for pattern in patterns for p in self.repo.glob(pattern) if p.is_file())

    def compile(self, repo: Path, out: Path, *extra: str) -> tuple[int, str]:
        result = CliRunner().invoke(main, ["--repo", str(repo), "compile", "--out", str(out), *extra])
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        text = TIMING.sub(" in Ns.", result.output).replace(str(out), "OUT").replace(str(repo), "REPO")
        return result.exit_code, text

    def check(self, what: str) -> None:
        """`compile` with caches == `compile --no-cache` of a copy into a fresh folder, byte for byte."""
        self.step += 1
        code, said = self.compile(self.repo, self.cached_out)
        copy = self.fresh / f"repo{self.step}"
        shutil.copytree(self.repo, copy, symlinks=True, ignore=shutil.ignore_patterns(".strata"))
        fresh_code, fresh_said = self.compile(copy, self.fresh / f"out{self.step}", "--no-cache")
        assert (code, _problems(said)) == (fresh_code, _problems(fresh_said)), f"step {self.step}: {what}"
        if code == 0:
            assert tree(self.cached_out) == tree(self.fresh / f"out{self.step}"), f"step {self.step}: {what}"
        shutil.rmtree(self.fresh)

    def edit(self) -> str:
        if self.broken is not None:             # the error introduced last step is fixed
            path, data = self.broken
            path.write_bytes(data)
            self.broken = None
            return f"fixed {path.name}"
        name, action = self.rng.choice(EDITS)
        return f"{name}: {action(self)}"


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _problems(said: str) -> str:
    """What a run printed, but the summary line (its reuse counts differ by design)."""
    return "\n".join(line for line in said.splitlines() if not line.startswith("Compiled "))


def bump_image(walk: Walk) -> str:
    path = walk.rng.choice(walk.files("projects/*/*/*.yaml"))
    path.write_text(IMAGE_TAG.sub(lambda m: f"{m[1]}{m[2]}.{m[3]}.{int(m[4]) + 1}", path.read_text(), count=1))
    return path.name


def nudge_number(walk: Walk) -> str:
    """A number in a layer, an environment, a project or a resource, one up or down."""
    candidates = [p for p in walk.files("layers/*.yaml", "environments/**/*.yaml", "projects/**/*.yaml")
                  if NUMBER.search(p.read_text())]
    path = walk.rng.choice(candidates)
    text = path.read_text()
    found = walk.rng.choice(list(NUMBER.finditer(text)))
    value = max(1, int(found[3]) + walk.rng.choice((-1, 1)))   # quoted as it was: a string stays one
    path.write_text(text[:found.start()] + f"{found[1]}{found[2]}{value}{found[2]}" + text[found.end():])
    return f"{path.name} {found[1].strip()}{value}"


def edit_environment(walk: Walk) -> str:
    path = walk.rng.choice(walk.files("environments/*.yaml"))
    text = path.read_text()
    path.write_text(text.replace("region: cn-", "region: cn-x") if "region: cn-x" not in text
                    else text.replace("region: cn-x", "region: cn-"))
    return path.name


def edit_group(walk: Walk) -> str:
    path = walk.rng.choice(walk.files("environments/groups/*.yaml"))
    with path.open("a") as handle:
        handle.write(f"# note {walk.step}\n")   # a comment: a new digest, the same output
    return path.name


def edit_import(walk: Walk) -> str:
    path = first_project(walk.repo) / "lib" / "metrics.libsonnet"
    metrics = ["gmv", "dau", "ctr", "arpu"]
    path.write_text(repr(sorted(walk.rng.sample(metrics, walk.rng.randint(1, 3)))).replace('"', "'") + "\n")
    return path.read_text().strip()


def edit_chart(walk: Walk) -> str:
    path = walk.repo / "charts/model-service/templates/service.yaml"
    text = path.read_text()
    extra = "  type: ClusterIP\n  sessionAffinity: None\n"
    path.write_text(text.replace(extra, "  type: ClusterIP\n") if extra in text
                    else text.replace("  type: ClusterIP\n", extra))
    return "service.yaml sessionAffinity"


def chart_file(walk: Walk) -> str:
    """A chart file appears or goes: the chart's file list is an input too."""
    path = walk.repo / "charts/model-service/templates/_extra.tpl"
    if path.exists():
        path.unlink()
        return "removed _extra.tpl"
    path.write_text('{{- define "model-service.extra" }}x{{ end }}\n')
    return "added _extra.tpl"


def edit_config(walk: Walk) -> str:
    path = walk.repo / "strata.yaml"
    text = path.read_text()
    path.write_text(text.replace("lockTimeoutSeconds: 61\n", "") if "lockTimeoutSeconds" in text
                    else text + "lockTimeoutSeconds: 61\n")
    return "lockTimeoutSeconds"


def add_resource(walk: Walk) -> str:
    """A small Job (within any project's quota) in a new file."""
    project = walk.rng.choice(sorted(p for p in (walk.repo / "projects").iterdir() if p.is_dir()))
    path = project / "training" / f"extra-{walk.step}.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(f"kind: Job\nname: extra-{walk.step}\nspec:\n  image: reg/extra:1.0.{walk.step}\n"
                    f"  command: [python, x.py]\n  resources: {{cpu: '1', memory: 1Gi}}\n"
                    f"  scheduling: {{queue: {project.name}}}\n")
    return path.relative_to(walk.repo).as_posix()


def delete_resource(walk: Walk) -> str:
    """One of the files `add_resource` wrote (the generated ones are referenced by others)."""
    added = walk.files("projects/*/training/extra-*.yaml", "projects/*/training/r*-extra-*.yaml")
    if not added:
        return add_resource(walk)
    path = walk.rng.choice(added)
    path.unlink()
    return f"deleted {path.name}"


def rename_resource(walk: Walk) -> str:
    path = walk.rng.choice(walk.files("projects/*/*/*.yaml"))
    target = path.with_name(f"r{walk.step}-{path.name}")
    path.rename(target)
    return f"{path.name} -> {target.name}"


def same_size_same_mtime(walk: Walk) -> str:
    """A digit of an image tag changed, the size and mtime put back: only the content (and ctime) differ."""
    candidates = [p for p in walk.files("projects/*/*/*.yaml") if IMAGE_TAG.search(p.read_text())]
    path = walk.rng.choice(candidates)
    before = path.stat()
    text = path.read_text()
    found = IMAGE_TAG.search(text)
    digit = str((int(found[4][-1]) + 1) % 10)
    path.write_text(text[:found.end() - 1] + digit + text[found.end():])
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size
    return path.name


def break_file(walk: Walk) -> str:
    path = walk.rng.choice(walk.files("layers/*.yaml", "environments/*.yaml", "projects/*/*/*.yaml"))
    walk.broken = (path, path.read_bytes())
    with path.open("a") as handle:
        handle.write("spec: [unclosed\n")
    return path.name


def break_resource(walk: Walk) -> str:
    """An error in a resource file (a delta compile must report it as a full one does), fixed next step."""
    path = walk.rng.choice(walk.files("projects/*/*/*.yaml"))
    walk.broken = (path, path.read_bytes())
    text = path.read_text()
    path.write_text(walk.rng.choice([text + "spec: [unclosed\n", text.replace("kind: ", "kind: Jbo", 1),
                                     text.replace("image: ", "imagee: ", 1)]))
    return f"broke {path.name}"


def change_gpus(walk: Walk) -> str:
    """A workload's GPUs change: its project's quota use and the environment's capacity figures
    move; past the quota, an error (put back the next step)."""
    candidates = [p for p in walk.files("projects/*/*/*.yaml") if GPUS.search(p.read_text())]
    path = walk.rng.choice(candidates)
    text = path.read_text()
    found = walk.rng.choice(list(GPUS.finditer(text)))
    value = walk.rng.choice((0, 1, 2, 64))
    if value == 64:
        walk.broken = (path, path.read_bytes())
    path.write_text(text[:found.start()] + f"{found[1]}{value}" + text[found.end():])
    return f"{path.name} gpu: {value}"


def toggle_datasets(walk: Walk) -> str:
    """A Job stops mounting its Dataset (an edge of the target graph goes), or mounts it again."""
    back = [p for p in sorted(walk.dropped) if p.is_file()]
    if back and walk.rng.random() < 0.5:
        path = walk.rng.choice(back)
        path.write_text(walk.dropped.pop(path))
        return f"{path.name} mounts its datasets again"
    candidates = [p for p in walk.files("projects/*/*/*.yaml") if DATASETS.search(p.read_text())]
    if not candidates:
        return nothing(walk)
    path = walk.rng.choice(candidates)
    walk.dropped[path] = text = path.read_text()
    path.write_text(DATASETS.sub("", text, count=1))
    return f"{path.name} mounts no dataset"


def move_resource(walk: Walk) -> str:
    """A resource file moves to another project (its queue with it): both projects are built again."""
    added = walk.files("projects/*/training/extra-*.yaml", "projects/*/training/r*-extra-*.yaml")
    if not added:
        return add_resource(walk)
    path = walk.rng.choice(added)
    source = path.parents[1].name
    target = walk.rng.choice(sorted(p.name for p in (walk.repo / "projects").iterdir() if p.is_dir()))
    moved = walk.repo / "projects" / target / "training" / f"m{walk.step}-{path.name}"
    moved.parent.mkdir(exist_ok=True)
    moved.write_text(path.read_text().replace(f"queue: {source}}}", f"queue: {target}}}"))
    path.unlink()
    return f"{path.name}: {source} -> {target}"


def borrow_queue(walk: Walk) -> str:
    """A gang Job that names another project's Volcano queue (in dev-2), or one taken out again: its
    capacity check reads that queue's GPU limit from the other project's objects, which a delta
    compile of this project alone must render too."""
    found = walk.files("projects/*/*/*borrow*.yaml")
    if found and walk.rng.random() < 0.5:
        path = walk.rng.choice(found)
        path.unlink()
        return f"removed {path.name}"
    owner, lender = walk.rng.sample(sorted(p for p in (walk.repo / "projects").iterdir() if p.is_dir()), 2)
    gpus = walk.rng.choice((1, 4, 4))   # 2 pods x 4: more than the lender's queue (and the owner's quota) allows
    path = owner / "training" / f"borrow-{walk.step}.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(borrowing_job(path.stem, lender.name, gpus))
    return f"{path.name} in {owner.name} borrows {lender.name}'s queue ({gpus} GPUs per pod)"


def borrowing_job(name: str, queue: str, gpus: int) -> str:
    return (f"kind: Job\nname: {name}\nspec:\n  image: reg/borrow:1.0.0\n  command: [python, x.py]\n"
            f"  framework: pytorch\n  replicas: {{master: 1, worker: 1}}\n"
            f"  resources: {{cpu: '1', memory: 1Gi, gpu: {gpus}}}\n  scheduling: {{queue: {queue}, gang: true}}\n")


def nothing(walk: Walk) -> str:
    return "nothing changed"


EDITS: list[tuple[str, Callable[[Walk], str]]] = [
    ("image", bump_image), ("number", nudge_number), ("environment", edit_environment), ("group", edit_group),
    ("import", edit_import), ("chart", edit_chart), ("chart file", chart_file), ("strata.yaml", edit_config),
    ("add", add_resource), ("delete", delete_resource), ("rename", rename_resource),
    ("same size and mtime", same_size_same_mtime), ("error", break_file), ("none", nothing), ("none", nothing),
    ("resource error", break_resource), ("gpus", change_gpus), ("gpus", change_gpus), ("datasets", toggle_datasets),
    ("move", move_resource), ("image", bump_image), ("add", add_resource), ("borrow", borrow_queue),
]


def walk_and_check(tmp_path: Path, generated: Path, seed: int, steps: int, monkeypatch) -> Walk:
    short_tick(monkeypatch)
    walk = Walk(tmp_path, generated, seed)
    walk.fast = spy(monkeypatch, snapshot, "look", took=lambda seen: seen.previous is not None)
    walk.delta = spy(monkeypatch, recompile, "compile_delta")   # raised: it found problems, as a full compile does
    walk.check("first compile")
    for _ in range(steps):
        what = walk.edit()
        settle()    # so that this compile may leave a snapshot for the next
        walk.check(what)
    return walk


def test_a_cached_compile_equals_an_uncached_one_after_every_edit(tmp_path, generated, monkeypatch):
    walk = walk_and_check(tmp_path, generated, seed=11, steps=30, monkeypatch=monkeypatch)
    assert any(walk.fast), "no step took the no-change fast path"
    assert sum(walk.delta) >= 5, f"only {sum(walk.delta)} steps took the delta compile"
    assert (walk.cached_out / "_delivery/argocd/dev-1").is_dir() and (walk.cached_out / "_delivery/flux/dev-2").is_dir()


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(5))
def test_a_long_walk(tmp_path, generated, monkeypatch, seed):
    walk_and_check(tmp_path, generated, seed=seed, steps=120, monkeypatch=monkeypatch)


def test_a_delta_compile_checks_a_borrowed_queue_against_its_owner(tmp_path, generated, monkeypatch):
    """A Job added to one project names another project's Volcano queue and needs more GPUs than it
    allows: the delta compile (this project only) reports what a full compile reports, which it can
    only do with the other project's queue rendered."""
    walk = walk_and_check(tmp_path, generated, seed=0, steps=0, monkeypatch=monkeypatch)
    settle()
    walk.check("nothing changed: the copy's files are no longer racy")
    owner, lender = sorted(p for p in (walk.repo / "projects").iterdir() if p.is_dir())[:2]
    (owner / "training").mkdir(exist_ok=True)
    (owner / "training" / "borrow.yaml").write_text(borrowing_job("borrow", lender.name, 4))
    settle()
    walk.check("a Job borrows another project's queue")
    assert walk.delta[-1], "the change did not take the delta compile"
    code, said = walk.compile(walk.repo, walk.cached_out)
    assert code == 1 and f"more than volcano queue {lender.name} allows" in said, said
