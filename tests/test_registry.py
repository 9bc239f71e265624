"""The kind registry (compiler/kinds.py) is the one place that says what a kind is."""
from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest
from pydantic import BaseModel

import schemas
from compiler.kinds import PLATFORM_RANK, PROJECT_RANK, kind_names, kind_of, kinds
from conftest import ROOT
from factories import make_target


def spec_models() -> dict[str, type[BaseModel]]:
    """Every `<Kind>Spec` model defined in a schemas module: the resource kinds the schemas describe."""
    found = {}
    for module_info in pkgutil.iter_modules(schemas.__path__):
        module = importlib.import_module(f"schemas.{module_info.name}")
        for name, obj in inspect.getmembers(module, inspect.isclass):
            if (issubclass(obj, BaseModel) and obj.__module__ == module.__name__
                    and name.endswith("Spec") and name != "Spec"):
                found[name] = obj
    return found


def test_every_kind_in_schemas_has_exactly_one_registry_entry():
    models = spec_models()
    registered = [kind.spec for kind in kinds()]
    assert sorted(m.__name__ for m in registered) == sorted(models)          # none missing, none extra
    assert len(set(registered)) == len(registered)                           # none registered twice
    assert all(kind.spec.__name__ == f"{kind.name}Spec" for kind in kinds())
    assert len(set(kind_names())) == len(kind_names())


def test_apply_order():
    """Shared objects, then project objects, then data, services and run-to-completion work: one
    table per Kubernetes kind (compiler/order.py), which the Argo CD root's ranks follow."""
    from compiler.order import apply_rank

    assert apply_rank("scheduling.k8s.io/v1", "PriorityClass")[0] == PLATFORM_RANK
    assert apply_rank("v1", "Namespace")[0] == PROJECT_RANK
    kinds_in_order = [("v1", "Namespace"), ("v1", "ResourceQuota"), ("data.fluid.io/v1alpha1", "Dataset"),
                      ("apps/v1", "Deployment"), ("kubeflow.org/v1", "PyTorchJob"), ("argoproj.io/v1alpha1", "CronWorkflow")]
    ranks = [apply_rank(*kind) for kind in kinds_in_order]
    assert ranks == sorted(ranks) and PLATFORM_RANK < PROJECT_RANK


def test_a_model_is_not_deployed_and_workloads_are_the_quota_kinds():
    assert not kind_of("Model").deployed
    assert [k.name for k in kinds() if k.workload] == ["Job", "Service", "Notebook"]


def test_references_are_read_off_the_schema_fields():
    assert {k.name: sorted(k.references) for k in kinds() if k.references} == {
        "Job": ["Dataset"], "Service": ["Dataset", "Model"], "Pipeline": ["Dataset", "Job"], "Notebook": ["Dataset"]}


def test_folder_and_resource_label_come_from_the_registry():
    job = make_target("Job", "train", {"image": "x:1"})
    assert job.folder == "dev/demo/job-train" and job.resource == "job.train"


STAGES = ("load", "merge", "graph", "check", "output", "plan", "commands", "docs")


# compiler/scaffold.py fills the per-kind templates of `strata new` (optional for a new kind);
# compiler/order.py names Kubernetes kinds, some of which share a resource kind's name (batch
# Job, Fluid Dataset, Kubeflow Notebook).
NAMES_KINDS = ("kinds.py", "scaffold.py", "order.py")


def modules_of(stage: str) -> list[Path]:
    """A stage folder's modules; "" for compiler/'s own top-level modules but those above."""
    if stage:
        return sorted((ROOT / "compiler" / stage).rglob("*.py"))
    return [p for p in sorted((ROOT / "compiler").glob("*.py")) if p.name not in NAMES_KINDS]


@pytest.mark.parametrize("stage", ("", *STAGES))
def test_stages_do_not_name_kinds(stage):
    """Outside the registry and the renderers, no compiler module spells a resource kind's name."""
    names = set(kind_names())
    for path in modules_of(stage):
        found = [node.value for node in ast.walk(ast.parse(path.read_text()))
                 if isinstance(node, ast.Constant) and node.value in names]
        assert not found, f"{path.relative_to(ROOT)} names {found}: declare it in compiler/kinds.py"


def test_an_app_type_for_an_unknown_kind_is_located_with_a_suggestion(tmp_path):
    from repo_fixture import compile_targets, write_repo

    _, problems = compile_targets(write_repo(tmp_path, {"layers/x.yaml": "kind: AppType\nname: x\nfor: Jbo\n"}))
    assert [p.render() for p in problems.items] == [
        "layers/x.yaml:3:6: for: 'Jbo' is not a resource kind; did you mean 'Job'?"]
