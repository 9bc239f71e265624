"""What a compile's targets share and what it leaves out, to hold 36,000 targets in little memory:
equal spec models validated once per run (compiler.check.specs.share_equal), `Target.values`
made when asked, no `raw_tree`. The bytes written are the golden tests' concern."""
from __future__ import annotations

import pytest
from pydantic import BaseModel

from compiler.check.specs import FieldNames, Shared, share_equal, validate
from compiler.errors import Problems
from compiler.kinds import kind_of
from compiler.pipeline import compile_repo, load_stage
from repo_fixture import write_repo
from test_render_job import tree_of

JOB = {"image": "reg.local/train:1.0", "command": ["python", "train.py"],
       "env": [{"name": "A", "value": "1"}], "resources": {"cpu": "4", "memory": "16Gi"}}


def job(data: dict, shared: Shared | None) -> BaseModel:
    spec = validate(kind_of("Job").spec, tree_of(data), Problems(), shared=shared)
    assert spec is not None
    return spec


def test_equal_specs_of_a_run_are_one_model_and_their_equal_parts_are_shared():
    shared = Shared()
    first, again = job(JOB, shared), job(JOB, shared)
    other = job({**JOB, "image": "reg.local/train:2.0"}, shared)
    assert again is first
    assert other is not first and other.image == "reg.local/train:2.0"
    assert other.resources is first.resources and other.env[0] is first.env[0]
    assert other.model_dump() == {**first.model_dump(), "image": "reg.local/train:2.0"}


def test_without_a_run_to_share_with_each_spec_is_its_own():
    first, again = job(JOB, None), job(JOB, None)
    assert first == again and first is not again and first.resources is not again.resources


def test_a_shared_model_still_says_which_fields_were_set_and_an_assignment_fails():
    spec = job(JOB, Shared())
    assert isinstance(spec.resources.__pydantic_fields_set__, FieldNames)
    assert spec.model_dump(exclude_unset=True)["resources"] == {"cpu": "4", "memory": "16Gi"}
    with pytest.raises(TypeError, match="shared"):
        spec.image = "reg.local/other:1.0"


class Number(BaseModel):
    value: float = 0.0


def test_models_equal_but_written_differently_stay_apart():
    shared = Shared()
    zero, negative = share_equal(Number(value=0.0), shared), share_equal(Number(value=-0.0), shared)
    default = share_equal(Number(), shared)   # equal to `zero`, but its field was not set
    assert negative is not zero and str(negative.value) == "-0.0"
    assert default is not zero and default.model_fields_set == set()


def test_targets_of_one_resource_in_two_environments_share_their_equal_parts(tmp_path):
    repo = write_repo(tmp_path, {"projects/demo/train.yaml": """
        kind: Job
        name: train
        spec:
          image: ${env.vars.registry}/demo/train:1.0
          command: [python, train.py]
          resources: {cpu: "4", memory: 16Gi}
        """})
    dev, staging = sorted(load_stage(repo).targets, key=lambda t: t.env.name)
    assert dev.spec.image != staging.spec.image
    assert dev.spec.resources is staging.spec.resources
    assert dev.values == dev.spec.model_dump(mode="json", by_alias=True, exclude_none=True)


def test_a_compile_keeps_no_tree_before_interpolation_a_load_does(tmp_path):
    repo = write_repo(tmp_path)
    assert all(t.raw_tree is not None for t in load_stage(repo).targets)
    build = compile_repo(repo)
    assert build.targets and all(t.raw_tree is None for t in build.targets)
    assert not build.docs.resources   # the loaded documents let go once merged


def _models_in(annotation, seen: set) -> None:
    """Every pydantic model class reachable from `annotation` (fields, unions, containers)."""
    import typing

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return
        seen.add(annotation)
        annotation.model_rebuild()
        for info in annotation.model_fields.values():
            _models_in(info.annotation, seen)
        return
    for arg in typing.get_args(annotation):
        _models_in(arg, seen)


def test_every_spec_model_is_all_fields_so_equal_ones_may_be_shared():
    """share_equal compares a model's fields and set names only: a model with extra fields or
    private attributes would be shared with one that differs in them."""
    from compiler.kinds import kinds

    seen: set = set()
    for kind in kinds():
        if kind.spec is not None:
            _models_in(kind.spec, seen)
    assert len(seen) > 20
    for model in seen:
        assert model.model_config.get("extra") == "forbid", model
        assert not model.__private_attributes__, model


def test_rendering_changes_no_spec_it_reads():
    """Targets share equal parts of their specs (share_equal): a renderer that changed one in place
    would change the other targets' output too. Stages never mutate what they are given."""
    from pathlib import Path

    from compiler.pipeline import render_stage

    build = load_stage(Path(__file__).resolve().parent.parent)
    before = [target.spec.model_dump() for target in build.targets]
    render_stage(build)
    assert [target.spec.model_dump() for target in build.targets] == before
