"""The repository's own example config: compiles, and every object it emits is schema-valid."""
from __future__ import annotations

from pathlib import Path

from conftest import require_crds
from repo_fixture import run

ROOT = Path(__file__).resolve().parent.parent


def test_example_validates_against_upstream_crds_and_kubernetes_schemas():
    # A custom resource kind with no CRD under ../shared/crds fails this too ("no schema for ...").
    result = run(ROOT, "validate", "--crds", str(require_crds()))
    assert result.exit_code == 0, result.output
    assert "checked against Kubernetes and CRD schemas" in result.output


def test_example_emits_every_workload_family():
    from compiler.pipeline import compile_repo

    objects = [e.obj for e in compile_repo(ROOT).emitted]
    kinds = {(o["apiVersion"], o["kind"]) for o in objects + _embedded(objects)}
    for expected in [("kubeflow.org/v1", "PyTorchJob"), ("kubeflow.org/v1", "TFJob"), ("kubeflow.org/v1", "XGBoostJob"),
                     ("batch/v1", "Job"), ("data.fluid.io/v1alpha1", "Dataset"), ("kubeflow.org/v1", "Notebook"),
                     ("argoproj.io/v1alpha1", "WorkflowTemplate"), ("argoproj.io/v1alpha1", "CronWorkflow"),
                     ("v1", "Namespace"), ("v1", "ResourceQuota")]:
        assert expected in kinds, expected


def _embedded(objects):
    """Jobs a CronWorkflow or pipeline step creates live in resource templates as YAML text."""
    import yaml

    found = []
    for obj in objects:
        for template in (obj.get("spec", {}).get("workflowSpec") or obj.get("spec", {})).get("templates", []):
            if "resource" in template:
                found.append(yaml.safe_load(template["resource"]["manifest"]))
    return found
