"""Health checks for the kinds strata emits that Argo CD and Flux do not understand.

Without a check, Argo CD calls a custom resource Healthy as soon as it exists, and Flux's
`wait` reads only a `Ready` condition these kinds do not have. Each `Check` carries one
Lua script (this folder; an `argocd-cm` key `resource.customizations.health.<group>_<kind>`)
and the same judgement as Flux CEL `healthCheckExprs`.

The two engines use health differently, so the judgements differ where they must:
- Argo CD shows each object's health and waits on it between sync waves; strata puts run-to-
  completion objects and notebooks in the last wave, which is never waited on. A running
  training job is Progressing, a queued one Suspended, a finished one Healthy.
- Flux's `wait` holds the Kustomization (and what dependsOn it) until every object is
  Current or the timeout passes. A run that takes days must not fail the Kustomization, so
  for Flux a run is Current once its controller has taken it (created, running, queued or
  done) and Failed when it failed. Flux has no Suspended: a queued job is Current.
- Flux only: batch/v1 Job gets the same treatment (its built-in status waits for completion).

A CEL expression that reads `status` before the controller wrote one is an evaluation error,
which Flux reports as Unknown and polls again: the same as "in progress" for `wait`.
Tests: tests/delivery_health/ (Argo CD's health_test.yaml layout, run with lupa; the CEL with celpy).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

from compiler.order import group_of


def _conditions(types: str, status: str = "True", extra: str = "") -> str:
    return (f"has(status.conditions) && status.conditions.exists(c, c.type in [{types}] && "
            f"c.status == '{status}'{extra})")


_TRAINING = dict(lua="training_job.lua",
                 failed=_conditions("'Failed'"),
                 current=_conditions("'Created', 'Running', 'Restarting', 'Succeeded', 'Suspended'"))
_RUNTIME = dict(lua="runtime.lua",
                current="has(status.workerPhase) && status.workerPhase in ['Ready', 'PartialReady'] && "
                        "(!has(status.masterPhase) || status.masterPhase in ['', 'Ready'])")
_KUEUE = dict(lua="kueue_queue.lua",
              failed=_conditions("'Active'", "False", " && !(has(c.reason) && c.reason in "
                                 "['FlavorNotFound', 'ClusterQueueDoesNotExist', 'ClusterQueueIsInactive', 'Stopped'])"),
              current="(has(spec.stopPolicy) && spec.stopPolicy != 'None') || " + _conditions("'Active'"))
_NOTEBOOK_BROKEN = ("'CrashLoopBackOff', 'ImagePullBackOff', 'ErrImagePull', 'InvalidImageName', "
                    "'CreateContainerConfigError', 'CreateContainerError'")


@dataclass(frozen=True)
class Check:
    api_version: str
    kind: str
    current: str                    # Flux: the object is ready
    failed: str | None = None       # Flux: the object failed
    lua: str | None = None          # Argo CD: the script in this folder (None: Argo CD's built-in check stands)

    @property
    def group(self) -> str:
        return group_of(self.api_version)

    @property
    def argocd_key(self) -> str:
        return f"resource.customizations.health.{self.group}_{self.kind}"

    def script(self) -> str:
        assert self.lua is not None
        return _read(self.lua)

    def flux_expr(self) -> dict[str, str]:
        """A `healthCheckExprs` entry."""
        found = {"apiVersion": self.api_version, "kind": self.kind, "current": self.current}
        if self.failed:
            found["failed"] = self.failed
        return found


CHECKS: tuple[Check, ...] = (
    *(Check("kubeflow.org/v1", kind, **_TRAINING) for kind in ("PyTorchJob", "TFJob", "XGBoostJob", "MPIJob")),
    Check("kubeflow.org/v1", "Notebook", lua="notebook.lua",
          failed="has(status.containerState) && ((has(status.containerState.waiting) && "
                 "has(status.containerState.waiting.reason) && status.containerState.waiting.reason in "
                 f"[{_NOTEBOOK_BROKEN}]) || (has(status.containerState.terminated) && "
                 "has(status.containerState.terminated.exitCode) && status.containerState.terminated.exitCode != 0))",
          current="(has(metadata.annotations) && 'kubeflow-resource-stopped' in metadata.annotations) || "
                  "(has(status.readyReplicas) && status.readyReplicas >= 1)"),
    Check("data.fluid.io/v1alpha1", "Dataset", lua="dataset.lua",
          failed="has(status.phase) && status.phase == 'Failed'",
          current="has(status.phase) && status.phase in ['Bound', 'Updating']"),
    *(Check("data.fluid.io/v1alpha1", kind, **_RUNTIME) for kind in ("AlluxioRuntime", "JindoRuntime", "JuiceFSRuntime")),
    Check("data.fluid.io/v1alpha1", "DataLoad", lua="dataload.lua",
          failed="has(status.phase) && status.phase == 'Failed'",
          current="has(status.phase) && status.phase in ['Executing', 'Complete']"),
    Check("scheduling.volcano.sh/v1beta1", "Queue", lua="volcano_queue.lua",
          current="has(status.state) && status.state in ['Open', 'Closed']"),
    *(Check("kueue.x-k8s.io/v1beta2", kind, **_KUEUE) for kind in ("ClusterQueue", "LocalQueue")),
    Check("batch/v1", "Job",
          failed=_conditions("'Failed'"),
          current="has(status.startTime) || " + _conditions("'Complete', 'SuccessCriteriaMet', 'Suspended'")),
)


def argocd_checks() -> tuple[Check, ...]:
    return tuple(c for c in CHECKS if c.lua is not None)


def flux_checks(kinds: set[tuple[str, str]]) -> list[dict[str, str]]:
    """`healthCheckExprs` for the (apiVersion, kind)s a Kustomization applies."""
    return [c.flux_expr() for c in CHECKS if (c.api_version, c.kind) in kinds]


@cache
def _read(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
