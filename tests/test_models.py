"""Model registry: resolving a Service's model reference to one pinned version (SPEC §3 Model)."""
from __future__ import annotations

from typing import Any, Optional

from compiler.render.model_registry import resolve_model, resolve_service_models
from compiler.targets import Project, Target
from factories import located_target, make_ctx, make_env, make_project

CTR_MODEL = """\
spec:
  format: onnx
  versions:
    - version: 41
      uri: oss://models/ctr/41/
      digest: sha256:aaa
    - version: "42"
      uri: oss://models/ctr/42/
  aliases:
    stable: 41
    candidate: 42
    broken: 7
"""


def service(model_ref: str, project: Optional[Project] = None, extra: str = "") -> Target:
    return located_target("Service", "ranker", f"spec:\n  image: reg/ranker:1.0\n  model: {model_ref}\n{extra}",
                          project)


def problems_of(ctx: Any) -> list[str]:
    return [p.render() for p in ctx.problems.items]


def setup(model_ref: str, project: Optional[Project] = None, extra: str = "") -> tuple[Target, Any]:
    project = project or make_project()
    svc = service(model_ref, project, extra)
    ctx = make_ctx(located_target("Model", "ctr", CTR_MODEL, project), svc)
    return svc, ctx


def test_version_resolves_to_its_uri_and_digest():
    svc, ctx = setup("{name: ctr, version: 41}")
    main, canary = resolve_service_models(svc, ctx)
    assert not ctx.problems
    assert (main.name, main.version, main.uri, main.digest) == ("ctr", "41", "oss://models/ctr/41/", "sha256:aaa")
    assert canary is None
    assert ctx.records["model"] == {"name": "ctr", "version": "41", "uri": "oss://models/ctr/41/", "digest": "sha256:aaa"}


def test_versions_compare_as_text():
    svc, ctx = setup('{name: ctr, version: "42"}')
    main, _ = resolve_service_models(svc, ctx)
    assert main.uri == "oss://models/ctr/42/" and "digest" not in ctx.records["model"]


def test_alias_resolves_to_its_version_and_is_recorded():
    svc, ctx = setup("{name: ctr, alias: candidate}")
    main, _ = resolve_service_models(svc, ctx)
    assert not ctx.problems
    assert main.version == "42" and main.uri == "oss://models/ctr/42/"
    assert ctx.records["model"]["alias"] == "candidate" and ctx.records["model"]["version"] == "42"


def test_unknown_version_is_an_error_at_the_reference_line():
    svc, ctx = setup("{name: ctr, version: 40}")
    assert resolve_model(svc, svc.spec.model, ctx) is None
    [problem] = problems_of(ctx)
    assert problem.startswith("projects/demo/service-ranker.yaml:3:")
    assert "model 'ctr' has no version '40' (versions: 41, 42)" in problem
    assert "model" not in ctx.records


def test_unknown_model_is_an_error_at_the_name():
    svc, ctx = setup("{name: ctr-v2, version: 1}")
    assert resolve_service_models(svc, ctx) == (None, None)
    [problem] = problems_of(ctx)
    assert problem.startswith("projects/demo/service-ranker.yaml:3:")
    assert "unknown model 'ctr-v2'" in problem


def test_unknown_alias_lists_the_known_ones():
    svc, ctx = setup("{name: ctr, alias: champion}")
    assert resolve_model(svc, svc.spec.model, ctx) is None
    assert "has no alias 'champion' (aliases: broken, candidate, stable)" in problems_of(ctx)[0]


def test_alias_naming_a_missing_version_points_at_both_files():
    svc, ctx = setup("{name: ctr, alias: broken}")
    assert resolve_model(svc, svc.spec.model, ctx) is None
    [problem] = problems_of(ctx)
    assert problem.startswith("projects/demo/service-ranker.yaml:3:")
    assert "names version '7'" in problem and "projects/demo/model-ctr.yaml:12:" in problem


def test_required_pinned_models_reject_an_alias_at_its_line():
    project = make_project(env=make_env("prod", "prod", policy={"requirePinnedModels": True}))
    svc, ctx = setup("\n    name: ctr\n    alias: stable", project)
    resolve_service_models(svc, ctx)
    [problem] = problems_of(ctx)
    assert problem.startswith("projects/demo/service-ranker.yaml:5:12:")
    assert "requires pinned models" in problem and "'stable'" in problem


def test_pinned_version_passes_the_policy():
    project = make_project(env=make_env("prod", "prod", policy={"requirePinnedModels": True}))
    svc, ctx = setup("{name: ctr, version: 41}", project)
    resolve_service_models(svc, ctx)
    assert not ctx.problems


def test_one_file_pins_one_version_in_prod_and_another_in_staging():
    """Two targets of the same Service file, each seeing its environment's merged spec."""
    file = "projects/demo/serving/ranker.yaml"
    resolved = {}
    for env, version in (("prod", 41), ("staging", 42)):
        project = make_project(env=make_env(env, env))
        svc = located_target("Service", "ranker", f"spec:\n  image: reg/r:1\n  model: {{name: ctr, version: {version}}}\n",
                             project, file)
        ctx = make_ctx(located_target("Model", "ctr", CTR_MODEL, project), svc)
        resolve_service_models(svc, ctx)
        assert not ctx.problems
        resolved[env] = ctx.records["model"]["uri"]
    assert resolved == {"prod": "oss://models/ctr/41/", "staging": "oss://models/ctr/42/"}


def test_models_are_found_per_environment():
    """A Model target of another environment (or project) is not visible."""
    staging = make_project(env=make_env("staging", "test"))
    svc = service("{name: ctr, version: 41}", make_project(env=make_env("prod", "prod")))
    ctx = make_ctx(located_target("Model", "ctr", CTR_MODEL, staging), svc)
    resolve_service_models(svc, ctx)
    assert "unknown model 'ctr'" in problems_of(ctx)[0]


def test_canary_without_a_name_means_another_version_of_the_main_model():
    svc, ctx = setup("{name: ctr, version: 41}", extra="  canary: {model: {alias: candidate}, weight: 10}\n")
    main, canary = resolve_service_models(svc, ctx)
    assert not ctx.problems
    assert (main.version, canary.version) == ("41", "42")
    assert ctx.records["canaryModel"] == {"name": "ctr", "version": "42", "uri": "oss://models/ctr/42/",
                                        "alias": "candidate"}


def test_canary_unknown_version_is_located_under_canary():
    svc, ctx = setup("{name: ctr, version: 41}", extra="  canary:\n    model: {version: 99}\n    weight: 10\n")
    _, canary = resolve_service_models(svc, ctx)
    assert canary is None
    [problem] = problems_of(ctx)
    assert problem.startswith("projects/demo/service-ranker.yaml:5:") and "no version '99'" in problem


def test_canary_with_only_an_image_serves_the_main_model():
    svc, ctx = setup("{name: ctr, version: 41}", extra="  canary: {image: reg/ranker:1.1, weight: 5}\n")
    main, canary = resolve_service_models(svc, ctx)
    assert not ctx.problems and canary == main


def test_canary_with_neither_model_nor_image_is_an_error():
    svc, ctx = setup("{name: ctr, version: 41}", extra="  canary: {weight: 5}\n")
    resolve_service_models(svc, ctx)
    [problem] = problems_of(ctx)
    assert problem.startswith("projects/demo/service-ranker.yaml:4:") and "own model or image" in problem


def test_main_reference_needs_a_name():
    svc, ctx = setup("{version: 41}")
    assert resolve_service_models(svc, ctx) == (None, None)
    assert "needs a name" in problems_of(ctx)[0]
