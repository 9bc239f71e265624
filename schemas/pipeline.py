"""Pipeline: an Argo DAG of container, preset-template and job steps."""
from __future__ import annotations

from typing import Any, Optional, Union

from pydantic import Field, StrictBool, StrictInt, StrictStr, model_validator

from schemas.base import Duration, Name, Spec, Text, merge_key
from schemas.common import DatasetMount, EnvVar, Resources, Schedule


class Param(Spec):
    name: StrictStr
    default: Optional[Text] = None


class ContainerStep(Spec):
    image: StrictStr
    command: list[StrictStr] = []
    args: list[StrictStr] = []
    env: list[EnvVar] = merge_key("name", default=[])
    resources: Resources = Resources()
    datasets: list[DatasetMount] = merge_key("name", default=[])


class Step(Spec):
    name: Name
    after: list[Name] = []
    forEach: Optional[list[Union[StrictStr, StrictInt, dict[str, Any]]]] = None
    container: Optional[ContainerStep] = None
    template: Optional[Name] = None
    with_: dict[str, Text] = Field(default={}, alias="with")
    job: Optional[Name] = None

    @model_validator(mode="after")
    def _one_kind(self) -> "Step":
        kinds = [k for k in ("container", "template", "job") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(f"step {self.name!r} needs exactly one of container, template or job"
                             + (f" (has {', '.join(kinds)})" if kinds else ""))
        if self.with_ and self.template is None:
            raise ValueError(f"step {self.name!r}: `with` only goes with a `template` step")
        return self


class PodGC(Spec):
    strategy: StrictStr = "OnPodSuccess"


class TTLStrategy(Spec):
    secondsAfterCompletion: Optional[Duration] = None
    secondsAfterSuccess: Optional[Duration] = None
    secondsAfterFailure: Optional[Duration] = None


class PipelineSpec(Spec):
    params: list[Param] = merge_key("name", default=[])
    schedule: Optional[Schedule] = None
    steps: list[Step] = merge_key("name", min_length=1)
    serviceAccount: Optional[StrictStr] = None
    podGC: Optional[PodGC] = None
    ttl: Optional[TTLStrategy] = None
    archiveLogs: Optional[StrictBool] = None
    parallelism: Optional[StrictInt] = Field(None, ge=1)
