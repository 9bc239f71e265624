"""Pipeline: an Argo DAG of container, preset-template and job steps."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, StrictBool, StrictStr, model_validator

from schemas.base import Duration32, Int32, Int64, Name, Quantity, Spec, Text, merge_key, preset, promotable, ref
from schemas.common import Container, DatasetMount, EnvVar, Resources, Schedule
from schemas.patch import Patch
from schemas.pod import ObjectMeta, Pod


class Param(Spec):
    name: StrictStr
    default: Text | None = None


class ContainerStep(Spec):
    image: StrictStr = promotable()
    command: list[StrictStr] = []
    args: list[StrictStr] = []
    env: list[EnvVar] = merge_key("name", default=[])
    resources: Resources = preset(Resources)
    datasets: list[DatasetMount] = merge_key("name", default=[])
    pod: Pod | None = None


class Backoff(Spec):
    duration: StrictStr | None = None      # Argo durations as strings: "10s", "1m"
    factor: Int32 | None = Field(None, ge=1)
    maxDuration: StrictStr | None = None
    cap: StrictStr | None = None           # the longest one wait may grow to


class StepRetry(Spec):
    """Argo's retryStrategy of a container step."""

    limit: Int32 = Field(ge=0)
    policy: Literal["Always", "OnFailure", "OnError", "OnTransientError"] = "OnFailure"
    backoff: Backoff | None = None


# `<step>.<output>`: an output of a step this one runs after.
OUTPUT_REF = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?\.[A-Za-z0-9_-]+$"


class OutputParam(Spec):
    name: StrictStr
    path: StrictStr                        # the file whose content becomes the parameter


class Artifact(Spec):
    name: StrictStr
    path: StrictStr


class StepOutputs(Spec):
    """What a container step leaves for later steps (artifacts need the cluster's artifact repository)."""

    parameters: list[OutputParam] = merge_key("name", default=[])
    artifacts: list[Artifact] = merge_key("name", default=[])


class InputParam(Spec):
    name: StrictStr                        # read in the step as {{inputs.parameters.<name>}}
    from_: StrictStr = Field(alias="from", pattern=OUTPUT_REF)


class InputArtifact(Spec):
    name: StrictStr
    from_: StrictStr = Field(alias="from", pattern=OUTPUT_REF)
    path: StrictStr                        # where the step finds it


class StepInputs(Spec):
    """Outputs of earlier steps (`from: <step>.<output>`; the step must be in `after`)."""

    parameters: list[InputParam] = merge_key("name", default=[])
    artifacts: list[InputArtifact] = merge_key("name", default=[])


class RunWorkspace(Spec):
    """A volume created for each run and deleted with it, mounted into every container step."""

    size: Quantity
    storageClass: StrictStr | None = None
    mountPath: StrictStr = "/workspace"


class Step(Spec):
    name: Name
    after: list[Name] = []
    forEach: list[StrictStr | Int64 | dict[str, Any]] | None = None
    when: StrictStr | None = None          # an Argo expression ("{{tasks.x.outputs.result}} == heads"), passed through
    retry: StepRetry | None = None
    forEachFrom: StrictStr | None = Field(None, pattern=OUTPUT_REF)   # <step>.<param> or <step>.result: withParam
    inputs: StepInputs | None = None
    outputs: StepOutputs | None = None
    container: ContainerStep | None = None
    template: Name | None = None
    with_: dict[str, Text] = Field(default={}, alias="with")
    job: Name | None = ref("Job", default=None)

    @model_validator(mode="after")
    def _one_kind(self) -> Step:
        kinds = [k for k in ("container", "template", "job") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(f"step {self.name!r} needs exactly one of container, template or job"
                             + (f" (has {', '.join(kinds)})" if kinds else ""))
        if (self.inputs is not None or self.outputs is not None) and self.container is None:
            raise ValueError(f"step {self.name!r}: inputs and outputs go with a `container` step")
        if self.forEach is not None and self.forEachFrom is not None:
            raise ValueError(f"step {self.name!r}: forEach or forEachFrom, not both")
        if self.retry is not None and self.container is None:
            raise ValueError(f"step {self.name!r}: `retry` only goes with a `container` step (a job retries "
                             "by its own retry.backoffLimit)")
        if self.with_ and self.template is None:
            raise ValueError(f"step {self.name!r}: `with` only goes with a `template` step")
        return self


class PodGC(Spec):
    strategy: StrictStr = "OnPodSuccess"


class TTLStrategy(Spec):
    secondsAfterCompletion: Duration32 | None = None   # Argo's TTLStrategy fields are int32
    secondsAfterSuccess: Duration32 | None = None
    secondsAfterFailure: Duration32 | None = None


class PipelineSpec(Spec):
    params: list[Param] = merge_key("name", default=[])
    schedule: Schedule | None = None
    steps: list[Step] = merge_key("name", min_length=1)
    serviceAccount: StrictStr | None = None
    podGC: PodGC | None = None
    ttl: TTLStrategy | None = None
    archiveLogs: StrictBool | None = None
    parallelism: Int64 | None = Field(None, ge=1)
    pod: Pod | None = None
    metadata: ObjectMeta | None = None
    patches: list[Patch] = merge_key("name", default=[])
    workspace: RunWorkspace | None = None
    onExit: ContainerStep | None = None    # runs when a run ends, whatever its {{workflow.status}}

    def containers(self) -> tuple[Container, ...]:
        """Each `container` step (one pod per run); presets and job steps run elsewhere."""
        return tuple(Container(("steps", i, "container"), step.container.image, step.container.resources, 1,
                               f"step {step.name}: ", f"step {step.name}")
                     for i, step in enumerate(self.steps) if step.container is not None) + (
            (Container(("onExit",), self.onExit.image, self.onExit.resources, 1, "onExit: ", "onExit"),)
            if self.onExit is not None else ())
