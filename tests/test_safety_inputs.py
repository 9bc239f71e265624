"""Issue 9, reading: nothing outside the repository, no stale reuse, bounded Jsonnet (README "Safety")."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT
from repo_fixture import run, write_repo

MODEL = "kind: Model\nname: ctr\nspec:\n  format: onnx\n  versions:\n    - {version: '1', uri: 's3://m/1/'}\n"
SERVICE = ("kind: Service\nname: api\nspec:\n  image: reg/api:1\n  chart: {name: model-service}\n"
           "  model: {name: ctr, version: '1'}\n  ports: [{name: http, port: 8080}]\n")
# A chart template that copies files into a ConfigMap, as `.Files.Get` lets any chart do.
FILES_TEMPLATE = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: chart-files}
data:
  direct: {{ .Files.Get "files/direct.txt" | quote }}
  linked: {{ .Files.Get "files/linked.txt" | quote }}
  inner: {{ .Files.Get "files/sub/inner.txt" | quote }}
"""


def service_repo(root: Path, extra: dict | None = None) -> Path:
    """BASE plus a chart Service whose chart reads three files: one plain, two through in-repo symlinks."""
    repo = write_repo(root, {"projects/demo/model.yaml": MODEL, "projects/demo/svc.yaml": SERVICE,
                             "shared/linked.txt": "linked-v1\n", "shared/sub/inner.txt": "inner-v1\n", **(extra or {})})
    chart = repo / "charts/model-service"
    shutil.copytree(ROOT / "compiler/charts/model-service", chart)
    (chart / "templates/files.yaml").write_text(FILES_TEMPLATE)
    (chart / "files").mkdir()
    (chart / "files/direct.txt").write_text("direct-v1\n")
    os.symlink("../../../shared/linked.txt", chart / "files/linked.txt")
    os.symlink("../../../shared/sub", chart / "files/sub")
    return repo


def snapshot(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def same_size_edit(path: Path, old: str, new: str) -> None:
    """Replace `old` by `new` (same length) and put the modification time back: only the bytes differ."""
    assert len(old) == len(new)
    before = path.stat()
    data = path.read_bytes()
    assert data.count(old.encode()) == 1, (path, old)
    path.write_bytes(data.replace(old.encode(), new.encode()))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)


def ok(result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


def failed(result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output
    return result.output


# --- the cache key is every byte read ------------------------------------------------------------

JSONNET = """\
local lib = import 'lib.libsonnet';
local note = importstr 'note.txt';
{kind: 'Job', name: 'gen', appType: 'batch', spec: {image: lib.image, args: [note]}}
"""
EDITS = {   # input class → (file, old, new): each edit changes the output of some target
    "spec": ("projects/demo/train.yaml", "train:1.0", "train:2.0"),
    "layer": ("layers/batch.yaml", "layer-v1", "layer-v2"),
    "environment": ("environments/dev.yaml", "reg.dev.local", "reg.dev.lokal"),
    "jsonnet-import": ("projects/demo/lib.libsonnet", "gen:1", "gen:2"),
    "jsonnet-importstr": ("projects/demo/note.txt", "note-v1", "note-v2"),
    "chart-file": ("charts/model-service/files/direct.txt", "direct-v1", "direct-v2"),
    "chart-file-through-symlink": ("shared/linked.txt", "linked-v1", "linked-v2"),
    "chart-folder-through-symlink": ("shared/sub/inner.txt", "inner-v1", "inner-v2"),
    "strata.yaml": ("strata.yaml", "[charts, charts-b]", "[charts-b, charts]"),
}


@pytest.fixture
def cached_repo(tmp_path):
    repo = service_repo(tmp_path / "repo", {
        "strata.yaml": "charts: [charts, charts-b]\n",
        "layers/batch.yaml": "kind: AppType\nname: batch\nfor: Job\nspec:\n  env: [{name: LAYER, value: layer-v1}]\n",
        "projects/demo/gen.jsonnet": JSONNET,
        "projects/demo/lib.libsonnet": "{image: 'reg/gen:1'}\n",
        "projects/demo/note.txt": "note-v1",
    })
    other = repo / "charts-b/model-service"     # the same chart name, found second until strata.yaml swaps the order
    shutil.copytree(repo / "charts/model-service", other, symlinks=True)
    (other / "templates/files.yaml").write_text(FILES_TEMPLATE.replace("chart-files", "chart-b-files"))
    ok(run(repo, "compile"))
    return repo


@pytest.mark.parametrize("input_class", sorted(EDITS))
def test_an_edit_keeping_size_and_mtime_is_never_served_stale(input_class, cached_repo, tmp_path):
    repo = cached_repo
    before = snapshot(repo / "out")
    file, old, new = EDITS[input_class]
    same_size_edit(repo / file, old, new)
    ok(run(repo, "compile"))
    ok(run(repo, "compile", "--no-cache", "--out", str(tmp_path / "fresh")))
    assert snapshot(repo / "out") != before, "the edit should change the output"
    assert snapshot(repo / "out") == snapshot(tmp_path / "fresh")


def test_imports_and_real_chart_files_are_recorded_as_inputs(cached_repo):
    manifest = json.loads((cached_repo / "out/manifest.json").read_text())
    entries = {t["folder"]: t for t in manifest["targets"]}
    assert {"projects/demo/lib.libsonnet", "projects/demo/note.txt"} <= set(entries["dev/demo/job-gen"]["inputs"])
    chart_inputs = set(entries["dev/demo/service-api"]["inputs"])
    assert {"charts/model-service/files/direct.txt", "shared/linked.txt", "shared/sub/inner.txt"} <= chart_inputs
    assert "charts/model-service/files/linked.txt" not in chart_inputs   # the link is recorded as what it reads


# --- confinement: chart files ------------------------------------------------------------------------

def test_chart_file_symlinked_out_of_the_repository_is_refused(tmp_path):
    repo = service_repo(tmp_path / "repo")
    (repo / "charts/model-service/files/direct.txt").unlink()
    os.symlink("/etc/passwd", repo / "charts/model-service/files/direct.txt")
    output = failed(run(repo, "compile"))
    assert ("projects/demo/svc.yaml:5:17: demo/Service/api in dev, staging: chart model-service: "
            "charts/model-service/files/direct.txt resolves outside the repository (/etc/passwd)") in output
    assert "root:" not in output and not (repo / "out").exists()


def test_chart_folder_symlinked_out_of_the_repository_is_refused(tmp_path):
    repo = service_repo(tmp_path / "repo")
    shutil.move(repo / "charts/model-service", tmp_path / "elsewhere")
    os.symlink(tmp_path / "elsewhere", repo / "charts/model-service")
    output = failed(run(repo, "compile"))
    assert "projects/demo/svc.yaml:5:17: demo/Service/api in dev, staging: chart model-service: charts/model-service resolves " \
           "outside the repository" in output


def test_chart_symlink_loop_is_a_located_error(tmp_path):
    repo = service_repo(tmp_path / "repo")
    os.symlink(".", repo / "charts/model-service/files/again")
    output = failed(run(repo, "compile"))
    assert "projects/demo/svc.yaml:5:17:" in output and "charts/model-service/files/again is a symlink loop" in output


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@t"})


def test_plan_markdown_never_carries_a_file_from_outside(tmp_path):
    repo = service_repo(tmp_path / "repo")
    (repo / ".gitignore").write_text("out/\n.strata/\n")
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "base")
    (repo / "charts/model-service/files/direct.txt").unlink()
    os.symlink("/etc/passwd", repo / "charts/model-service/files/direct.txt")
    output = failed(run(repo, "plan", "--base", "HEAD", "--format", "markdown"))
    assert "charts/model-service/files/direct.txt resolves outside the repository" in output
    assert "root:" not in output


def test_plan_base_with_an_absolute_symlink_compiles(tmp_path):
    repo = write_repo(tmp_path / "repo", {".gitignore": "out/\n.strata/\n"})
    os.symlink("/etc/hostname", repo / "docs-link")            # unrelated to specs: the base must still compile
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "base")
    write_repo(repo, {"projects/demo/train.yaml": "kind: Job\nname: train\nspec: {image: 'x:2'}\n"}, base=False)
    output = ok(run(repo, "plan", "--base", "HEAD"))
    assert "Plan: 0 to add, 2 to change, 0 to destroy." in output


def test_plan_base_with_an_absolute_symlink_as_a_spec_is_a_located_error(tmp_path):
    repo = write_repo(tmp_path / "repo", {".gitignore": "out/\n.strata/\n"})
    outside = tmp_path / "outside.yaml"
    outside.write_text("kind: Job\nname: leak\nspec: {image: a}\n")
    os.symlink(outside, repo / "projects/demo/leak.yaml")
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "base")
    (repo / "projects/demo/leak.yaml").unlink()
    output = failed(run(repo, "plan", "--base", "HEAD"))
    assert "does not compile" in output and "projects/demo/leak.yaml:1:1: file resolves outside the repository" in output


def test_spec_symlink_loop_is_a_located_error(tmp_path):
    repo = write_repo(tmp_path / "repo")
    os.symlink("b.yaml", repo / "projects/demo/a.yaml")
    os.symlink("a.yaml", repo / "projects/demo/b.yaml")
    output = failed(run(repo, "compile"))
    assert "projects/demo/a.yaml:1:1: symlink loop" in output and "projects/demo/b.yaml:1:1: symlink loop" in output


def test_a_fifo_is_refused_not_read(tmp_path):
    repo = write_repo(tmp_path / "repo")
    os.mkfifo(repo / "projects/demo/pipe")
    os.symlink("pipe", repo / "projects/demo/pipe.yaml")
    assert "projects/demo/pipe.yaml:1:1: not a regular file" in failed(run(repo, "compile"))


# --- Jsonnet is bounded ------------------------------------------------------------------------------

GEN = "projects/demo/gen.jsonnet"


def jsonnet_repo(tmp_path: Path, source: str, settings: str = "", extra: dict | None = None) -> Path:
    return write_repo(tmp_path / "repo", {GEN: source, **({"strata.yaml": settings} if settings else {}), **(extra or {})})


def test_endless_tailstrict_recursion_is_stopped_at_the_time_limit(tmp_path):
    repo = jsonnet_repo(tmp_path, "local f(n) = f(n + 1) tailstrict; f(0)", "jsonnet: {timeoutSeconds: 1}\n")
    output = failed(run(repo, "compile"))
    assert f"{GEN}:1:1: jsonnet: evaluation took longer than 1 s" in output and "jsonnet.timeoutSeconds" in output


@pytest.mark.parametrize("source", [
    "[{a: x} for x in std.range(1, 100000000)]",                                     # a large comprehension
    "{kind: 'Job', name: 'x', spec: {image: std.repeat('a', 50000000)}}",            # a 50M-character string
])
def test_memory_hungry_jsonnet_is_stopped_at_the_memory_cap(tmp_path, source):
    output = failed(run(jsonnet_repo(tmp_path, source, "jsonnet: {memoryMiB: 256}\n"), "compile"))
    assert f"{GEN}:1:1: jsonnet: evaluation needed more than 256 MiB of memory" in output
    assert max(len(line) for line in output.splitlines()) < 400


def test_importstr_obeys_the_file_size_cap(tmp_path):
    big = b"x" * (8 * 1024 * 1024 + 1)
    repo = jsonnet_repo(tmp_path, "local s = importstr 'big.txt'; {kind: 'Job', name: 'x', spec: {image: s}}",
                        extra={"projects/demo/big.txt": big})
    assert f"{GEN}:1:11: jsonnet: RUNTIME ERROR: couldn't open import \"big.txt\": import 'big.txt' is larger than 8 MiB" \
        in failed(run(repo, "compile"))


def test_jsonnet_output_is_capped(tmp_path):
    repo = jsonnet_repo(tmp_path, "local s = importstr 'chunk.txt'; [s, s, s]", "jsonnet: {maxOutputMiB: 1}\n",
                        extra={"projects/demo/chunk.txt": "y" * 400_000})
    assert f"{GEN}:1:1: jsonnet: evaluates to 1.1 MiB of JSON, more than the 1 MiB limit (limit: jsonnet.maxOutputMiB" \
        in failed(run(repo, "compile"))


def test_a_huge_jsonnet_error_is_quoted_briefly(tmp_path):
    output = failed(run(jsonnet_repo(tmp_path, "error std.repeat('a', 100000)"), "compile"))
    assert f"{GEN}:1:1: jsonnet: RUNTIME ERROR: aaaa" in output and "(100015 characters)" in output
    assert max(len(line) for line in output.splitlines()) < 400


def test_jsonnet_imports_stay_inside_the_repository_through_symlinks(tmp_path):
    (tmp_path / "secret.libsonnet").write_text("{image: 'leaked:1'}")
    repo = jsonnet_repo(tmp_path, "local l = import 'lib.libsonnet'; {kind: 'Job', name: 'x', spec: l}")
    os.symlink(tmp_path / "secret.libsonnet", repo / "projects/demo/lib.libsonnet")
    output = failed(run(repo, "compile"))
    assert f"{GEN}:1:11: jsonnet: RUNTIME ERROR: couldn't open import \"lib.libsonnet\": import 'lib.libsonnet' resolves " \
           "outside the repository" in output


# --- error messages quote at most ~200 characters of a value -----------------------------------------

@pytest.mark.parametrize("spec", [
    "kind: Job\nname: " + "n" * 100_000 + "\nspec: {image: a}\n",                           # a name
    "kind: " + "K" * 100_000 + "\nname: x\nspec: {image: a}\n",                             # a kind
    "kind: Job\nname: x\nspec: {image: a, resources: {cpu: '" + "9x" * 50_000 + "'}}\n",    # a quantity
    "kind: Job\nname: x\nspec: {image: a, framework: " + "f" * 100_000 + "}\n",             # a literal
    "kind: Job\nname: x\nspec: {image: a, retry: {backoffLimit: !!int " + "7" * 4000 + "x}}\n",  # an explicit tag
])
def test_error_messages_quote_values_briefly(tmp_path, spec):
    output = failed(run(write_repo(tmp_path / "repo", {"projects/demo/huge.yaml": spec}), "compile"))
    assert "projects/demo/huge.yaml:" in output
    assert max(len(line) for line in output.splitlines()) < 700, max(len(line) for line in output.splitlines())
