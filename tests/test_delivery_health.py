"""The health checks strata ships for its custom kinds, run against fixtures in Argo CD's layout.

tests/delivery_health/<group>/<Kind>/ holds what argo-cd's resource_customizations/ holds for a
check: `health_test.yaml` (expected Argo CD status and message per `testdata/` object) and, for
Flux, `flux_test.yaml` (expected kstatus). Argo CD's Lua runs in lupa with only the libraries
Argo CD opens (base, table; no `string`, `os`, `io`); Flux's CEL in celpy, wrapped the way
kustomize-controller evaluates it (fluxcd/pkg runtime/cel StatusEvaluator).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from compiler.delivery.health import CHECKS, Check, argocd_checks

lupa = pytest.importorskip("lupa")
celpy = pytest.importorskip("celpy")

FIXTURES = Path(__file__).parent / "delivery_health"
CLOSED_LIBRARIES = ("string", "io", "os", "debug", "math", "utf8", "coroutine", "require", "load", "loadstring",
                    "dofile", "loadfile", "package")


def folder(check: Check) -> Path:
    return FIXTURES / check.group / check.kind


def cases(check: Check, name: str) -> list[tuple[dict, dict]]:
    path = folder(check) / name
    if not path.is_file():
        return []
    return [(yaml.safe_load((folder(check) / case["inputPath"]).read_text()), case)
            for case in yaml.safe_load(path.read_text())["tests"]]


# --- Argo CD: Lua ---------------------------------------------------------------------------------

def argo_health(script: str, obj: dict) -> dict:
    lua = lupa.LuaRuntime(unpack_returned_tuples=True)
    env = lua.globals()
    for name in CLOSED_LIBRARIES:       # what Argo CD leaves closed unless useOpenLibs is set
        env[name] = None
    env.obj = lua.table_from(obj, recursive=True)
    result = lua.execute(script)
    return {key: result[key] for key in ("status", "message") if result[key] is not None}


@pytest.mark.parametrize("check", argocd_checks(), ids=lambda c: f"{c.group}/{c.kind}")
def test_each_lua_script_passes_its_fixtures(check):
    found = cases(check, "health_test.yaml")
    assert len(found) >= 2, f"{folder(check)}: no health_test.yaml fixtures"
    for obj, case in found:
        assert argo_health(check.script(), obj) == case["healthStatus"], case["inputPath"]


def test_the_scripts_cover_every_state_of_a_training_job():
    """Kueue: a queued job is Suspended, not Progressing (it would hold its Application there)."""
    [pytorch] = [c for c in argocd_checks() if c.kind == "PyTorchJob"]
    states = {case["healthStatus"]["status"] for _, case in cases(pytorch, "health_test.yaml")}
    assert states == {"Progressing", "Healthy", "Degraded", "Suspended"}
    queued = yaml.safe_load((folder(pytorch) / "testdata/queued_by_kueue.yaml").read_text())
    assert "status" not in queued and argo_health(pytorch.script(), queued)["status"] == "Suspended"


def test_every_custom_kind_strata_emits_without_a_built_in_check_has_one():
    """InferenceService and the Argo Workflows kinds have Argo CD's own checks; ResourceFlavors,
    WorkloadPriorityClasses and WorkflowTemplates have no status to judge."""
    kinds = {(c.api_version, c.kind) for c in argocd_checks()}
    assert kinds == {("kubeflow.org/v1", k) for k in ("PyTorchJob", "TFJob", "XGBoostJob", "MPIJob", "Notebook")} | {
        ("data.fluid.io/v1alpha1", k) for k in ("Dataset", "AlluxioRuntime", "JindoRuntime", "JuiceFSRuntime", "DataLoad")} | {
        ("scheduling.volcano.sh/v1beta1", "Queue"), ("kueue.x-k8s.io/v1beta2", "ClusterQueue"),
        ("kueue.x-k8s.io/v1beta2", "LocalQueue")}


# --- Flux: CEL ------------------------------------------------------------------------------------

_TOP_LEVEL = re.compile(r"(?<![.\w])(status|spec|metadata)\.")


def flux_status(check: Check, obj: dict) -> str:
    """kustomize-controller's StatusEvaluator: a stale observedGeneration is InProgress; then
    inProgress, failed, current in that order; none true is InProgress. cel-go evaluates an
    expression naming a top-level field the object lacks (no `status` yet) as an error, which
    the poller reports as Unknown and polls again; celpy would read it as false, so that case is
    decided here first."""
    status = obj.get("status") or {}
    if "observedGeneration" in status and status["observedGeneration"] != obj["metadata"].get("generation"):
        return "InProgress"
    env = celpy.Environment()
    activation = {key: celpy.json_to_cel(value) for key, value in obj.items()}
    for expr, result in ((check.failed, "Failed"), (check.current, "Current")):
        if not expr:
            continue
        if any(name not in obj for name in _TOP_LEVEL.findall(expr)):
            return "Unknown"
        if env.program(env.compile(expr)).evaluate(activation):
            return result
    return "InProgress"


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: f"{c.group}/{c.kind}")
def test_each_cel_check_passes_its_fixtures(check):
    found = cases(check, "flux_test.yaml")
    assert len(found) >= 2, f"{folder(check)}: no flux_test.yaml fixtures"
    for obj, case in found:
        assert flux_status(check, obj) == case["status"], case["inputPath"]


def test_for_flux_a_run_is_current_once_its_controller_took_it():
    """Flux's `wait` holds a Kustomization until every object is Current: a training job that
    runs for days, or waits in its queue, must not time it out."""
    [pytorch] = [c for c in CHECKS if c.kind == "PyTorchJob"]
    expected = {case["inputPath"]: case["status"] for _, case in cases(pytorch, "flux_test.yaml")}
    assert expected["testdata/running.yaml"] == expected["testdata/suspended.yaml"] == "Current"
    assert expected["testdata/failed.yaml"] == "Failed"


def test_every_expression_compiles_as_cel():
    env = celpy.Environment()
    for check in CHECKS:
        for expr in (check.current, check.failed):
            if expr:
                env.program(env.compile(expr))


# --- the fixtures look like the real objects ------------------------------------------------------

def test_the_fixtures_validate_against_the_upstream_crds(crd_schemas):
    """Status included: a fixture with a field or value its controller never writes would test nothing."""
    schemas = crd_schemas
    checked = 0
    for path in sorted(FIXTURES.rglob("testdata/*.yaml")):
        obj = yaml.safe_load(path.read_text())
        if not schemas.knows(obj["apiVersion"], obj["kind"]):
            continue
        assert schemas.errors(obj) == [], path
        checked += 1
    assert checked > 50
