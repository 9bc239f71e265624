"""`strata plan` on a git copy of the example config, with the real compiler.

Each scenario commits the example config, edits the working tree like a pull
request would, and checks the plan in every format, its counts and exit codes.
Every scenario also checks the base-side shortcut: a plan that renders only the
changed targets on the base side equals one that renders all of them.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from compiler.errors import StrataError
from compiler.plan import plan, render
from compiler.plan.build import StrataCompiler
from compiler.plan.command import plan as plan_command
from conftest import ROOT
from test_plan_support import commit, init_repo

EXAMPLE = ("strata.yaml", "layers", "environments", "projects")   # Services use the chart inside strata
RESNET = "projects/cv-shoe-identify/training/train-resnet.yaml"
SEARCH = "projects/cv-shoe-identify/serving/shoe-search.yaml"
NOTEBOOK = "projects/cv-shoe-identify/notebooks/shoe-lab.yaml"
PYTORCH_LAYER = "layers/training-pytorch.yaml"


@pytest.fixture(scope="module")
def committed(tmp_path_factory) -> Path:
    """The example config committed once; each test works on its own copy."""
    repo = init_repo(tmp_path_factory.mktemp("example") / "config")
    for name in EXAMPLE:
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, repo / name)
    (repo / ".gitignore").write_text("out/\n")
    commit(repo, "example config")
    return repo


@pytest.fixture
def repo(committed, tmp_path) -> Path:
    copy = tmp_path / "config"
    shutil.copytree(committed, copy, symlinks=True)
    return copy


def edit(repo: Path, path: str, change) -> None:
    """Round-trip the YAML document through `change`, keeping comments and tags like `!replace`."""
    rt = YAML()
    doc = rt.load((repo / path).read_text())
    change(doc)
    with (repo / path).open("w") as out:
        rt.dump(doc, out)


class RenderEverything(StrataCompiler):
    """No shortcut: every loaded target rendered on both sides."""

    def render(self, build, render_only):
        return super().render(build, None)


def check_shortcut(repo: Path, result) -> None:
    reference = plan(repo, "main", compiler=RenderEverything())
    assert result.rendered < result.targets_total
    assert _without_stats(render(result, "json")) == _without_stats(render(reference, "json"))
    assert render(result, "markdown") == render(reference, "markdown")


def _without_stats(text: str) -> dict:
    doc = json.loads(text)
    del doc["stats"]
    return doc


def run_cli(repo: Path, *args: str):
    return CliRunner().invoke(plan_command, ["--base", "main", *args], obj={"repo": repo}, catch_exceptions=False)


def test_no_changes_says_so_and_exits_0(repo):
    (repo / "README.md").write_text("docs do not change objects\n")
    result = plan(repo, "main")
    assert not result.has_changes and result.targets_total == 0   # no input changed: nothing compiled
    cli = run_cli(repo, "--detailed-exitcode")
    assert cli.exit_code == 0 and "No changes." in cli.output and "Plan:" not in cli.output
    assert "**No changes.**" in run_cli(repo, "--format", "markdown").output
    doc = json.loads(run_cli(repo, "--format", "json").output)
    assert doc["summary"]["changes"] is False and doc["entries"] == []


def test_a_plan_without_changed_inputs_loads_no_schema(repo):
    """Start-up: "No changes." for a README change must not pay for the schemas (pydantic) or Helm."""
    (repo / "README.md").write_text("docs do not change objects\n")
    code = ("import sys\nfrom compiler.cli import main\n"
            "try:\n    main(['--repo', sys.argv[1], 'plan', '--base', 'main'])\nexcept SystemExit:\n    pass\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'schemas', 'pydantic', 'helm_python'}))")
    done = subprocess.run([sys.executable, "-c", code, str(repo)], capture_output=True, text=True, check=True)
    assert "No changes." in done.stdout and done.stdout.splitlines()[-1] == "[]"


def test_env_override_changes_only_that_group(repo):
    edit(repo, RESNET, lambda d: d["overrides"]["test"]["resources"].update(memory="40Gi"))
    result = plan(repo, "main")
    counts = result.counts()
    assert counts["add"] == counts["destroy"] == 0 and counts["change"] >= 2
    assert set(result.changed_envs()) == {"dev", "staging"}          # the `test` group only
    changed = {e.resource for e in result.entries if e.project == "cv-shoe-identify"}
    assert "job.train-resnet" in changed
    note = result.notes[("dev", "cv-shoe-identify", "job.train-resnet")]
    assert any(c.path == "resources.memory" and c.new == "40Gi" and c.where.startswith(RESNET) for c in note.causes)
    assert result.rendered < result.targets_total
    assert {e.project for e in result.entries} == {"cv-shoe-identify"}
    text = render(result, "text")
    assert "~ kubeflow.org/v1 PyTorchJob cv-shoe-identify-dev/train-resnet" in text
    assert '"48Gi" → "40Gi"' in text and f"Plan: 0 to add, {counts['change']} to change, 0 to destroy." in text
    cli = run_cli(repo, "--detailed-exitcode")
    assert cli.exit_code == 2 and cli.output == text
    assert run_cli(repo).exit_code == 0
    check_shortcut(repo, result)


def test_add_a_service(repo):
    def rename(doc):
        doc["name"] = "shoe-search-b"
    shutil.copy(repo / SEARCH, repo / "projects/cv-shoe-identify/serving/shoe-search-b.yaml")
    edit(repo, "projects/cv-shoe-identify/serving/shoe-search-b.yaml", rename)
    result = plan(repo, "main")
    assert result.counts()["add"] > 0 and result.counts()["destroy"] == 0
    added = [e for e in result.entries if e.change == "add"]
    assert {e.resource for e in added} == {"service.shoe-search-b"}
    assert {e.env for e in added} == {"dev", "staging", "prod-sh", "prod-bj"}
    assert all(e.after["metadata"]["labels"]["strata.dev/resource"] == "service.shoe-search-b" for e in added)
    md = render(result, "markdown")
    assert "| `dev` |" in md and "+ cv-shoe-identify/service.shoe-search-b" in md
    doc = json.loads(render(result, "json"))
    assert {e["change"] for e in doc["entries"] if e["resource"] == "service.shoe-search-b"} == {"add"}
    check_shortcut(repo, result)


def test_remove_a_notebook(repo):
    (repo / NOTEBOOK).unlink()
    result = plan(repo, "main")
    destroyed = [e for e in result.entries if e.change == "destroy"]
    assert destroyed and {e.resource for e in destroyed} == {"notebook.shoe-lab"}
    assert {e.key.kind for e in destroyed} >= {"Notebook"}
    assert result.counts()["add"] == 0
    text = render(result, "text")
    assert "- kubeflow.org/v1 Notebook cv-shoe-identify-dev/shoe-lab" in text
    assert f"cv-shoe-identify/notebook.shoe-lab  ({NOTEBOOK}:" in text and ", removed)" in text
    assert f"Was defined in `{NOTEBOOK}:" in render(result, "markdown")
    assert json.loads(render(result, "json"))["summary"]["destroy"] == len(destroyed)
    check_shortcut(repo, result)


def test_layer_change_touches_many_targets(repo):
    def threads(doc):
        for item in doc["spec"]["env"]:
            if item["name"] == "OMP_NUM_THREADS":
                item["value"] = "8"
    edit(repo, PYTORCH_LAYER, threads)
    result = plan(repo, "main")
    assert result.counts()["add"] == result.counts()["destroy"] == 0
    assert len(result.changed_envs()) >= 2 and len(result.entries) >= 4
    # the retraining Pipeline embeds the PyTorchJob: it changes although it does not use the layer
    assert ("dev", "cv-shoe-identify", "pipeline.retrain-weekly") in {e.target for e in result.entries}
    assert any(c.path.endswith("/value") and c.new == "8" for e in result.entries for c in e.changes)
    # ... and its "because" names the embedded Job's changed value at the layer's line
    [cause] = result.notes[("dev", "cv-shoe-identify", "pipeline.retrain-weekly")].causes
    assert (cause.embedded, cause.path, cause.old, cause.new) == ("Job train-resnet", "env[OMP_NUM_THREADS].value", "4", "8")
    assert cause.where == PYTORCH_LAYER + ":20:36"
    assert ('because it embeds Job train-resnet, whose env[OMP_NUM_THREADS].value changed: "4" → "8"  '
            f"({PYTORCH_LAYER}:20:36)") in render(result, "text")
    md = render(result, "markdown")
    assert md.count("<details>") == md.count("</details>") and len(md) < 60_000
    for env in result.changed_envs():
        assert f"| `{env}` | 0 | {result.counts(env)['change']} | 0 |" in md
    check_shortcut(repo, result)


def test_a_changed_variable_is_named_at_its_own_line(repo):
    """`image: ${env.vars.registry}/…`: the cause is the variable's line, not the image line."""
    def registry(doc):
        doc["vars"]["registry"] = "registry2.sh.example.com"
    edit(repo, "environments/prod-sh.yaml", registry)
    result = plan(repo, "main", envs=("prod-sh",))
    note = result.notes[("prod-sh", "cv-shoe-identify", "job.train-resnet")]
    [cause] = note.causes
    assert (cause.path, cause.where, cause.via) == ("image", "environments/prod-sh.yaml:15:13", "${env.vars.registry}")
    assert note.files == ("environments/prod-sh.yaml",)
    text = render(result, "text")
    assert ('because image: "registry.sh.example.com/cv/train:1.4.2" → "registry2.sh.example.com/cv/train:1.4.2"  '
            "(environments/prod-sh.yaml:15:13, via ${env.vars.registry})") in text
    assert "and these inputs changed: environments/prod-sh.yaml" not in text     # the cause already cites it
    md = render(result, "markdown")
    assert "at `environments/prod-sh.yaml:15:13` via `${env.vars.registry}`" in md
    assert '\n- /spec/pytorchReplicaSpecs/Master/template/spec/containers/0/image: "registry.sh' in md
    assert '\n+ /spec/pytorchReplicaSpecs/Master/template/spec/containers/0/image: "registry2.sh' in md
    assert not [line for line in md.splitlines() if line.startswith(("    +", "    -", "    ~"))]
    doc = json.loads(render(result, "json"))
    spec = next(e["caused_by"]["spec"] for e in doc["entries"] if e["resource"] == "job.train-resnet")
    assert spec[0]["via"] == "${env.vars.registry}"


def test_a_new_environment_can_be_planned_alone(repo):
    def clone(doc):
        doc["name"], doc["namespaceSuffix"] = "dev2", "-dev2"
        doc["cluster"]["name"] = "dev2-cluster"
    shutil.copy(repo / "environments/dev.yaml", repo / "environments/dev2.yaml")
    edit(repo, "environments/dev2.yaml", clone)
    result = plan(repo, "main", envs=("dev2",))              # dev2 does not exist at main
    assert result.has_changes and result.changed_envs() == ["dev2"]
    assert result.counts()["change"] == result.counts()["destroy"] == 0
    assert any(e.key.kind == "Namespace" and e.key.name.endswith("-dev2") for e in result.entries)
    (repo / "environments/dev2.yaml").unlink()
    edit(repo, "environments/dev.yaml", lambda d: d["vars"].update(region="cn-shanghai"))
    with pytest.raises(StrataError, match="dev2: not found at the base revision nor in the working tree"):
        plan(repo, "main", envs=("dev2",))                   # a typo is not "No changes."


def test_committed_change_plans_against_an_older_ref(repo):
    edit(repo, RESNET, lambda d: d["overrides"]["test"]["resources"].update(memory="40Gi"))
    commit(repo, "smaller smoke runs")
    assert plan(repo, "HEAD").has_changes is False
    result = plan(repo, "HEAD~1")
    assert result.head != "working tree" and result.counts()["change"] >= 2


class LoadEverything(StrataCompiler):
    """Every project's resource files read on both sides, as a compile would."""

    def load(self, root, envs, projects):
        from compiler.merge.targets_of import Selection
        from compiler.pipeline import load_stage

        return load_stage(root, Selection(tuple(envs), tuple(projects)), parsed=self.parsed)


def test_a_change_in_one_project_reads_only_that_projects_resources(repo):
    edit(repo, SEARCH, lambda d: d["spec"]["replicas"].update(max=12))   # the capacity section lists a pool
    compiler = StrataCompiler()
    result = plan(repo, "main", compiler=compiler)
    read = {key.split("\0")[0] for key in compiler.parsed.trees}
    others = {p for p in read if p.startswith("projects/") and not p.startswith("projects/cv-shoe-identify/")}
    assert others == {"projects/metric-forecast/project.yaml", "projects/search-rec/project.yaml"}   # quotas
    assert json.loads(render(result, "json"))["capacity"]["environments"]
    assert render(result, "json") == render(plan(repo, "main", compiler=LoadEverything()), "json")


def test_a_side_that_does_not_compile_is_reported(repo):
    project = "projects/cv-shoe-identify/project.yaml"
    good = (repo / project).read_text()
    edit(repo, project, lambda d: d.update(owner=None))
    with pytest.raises(StrataError) as head_error:            # the working tree is broken
        plan(repo, "main")
    assert "base revision" not in str(head_error.value) and project in str(head_error.value)
    commit(repo, "broken project")
    (repo / project).write_text(good)                          # the pull request fixes it
    with pytest.raises(StrataError, match=r"the base revision HEAD \([0-9a-f]{12}\) does not compile") as base_error:
        plan(repo, "HEAD")
    assert project in str(base_error.value)
