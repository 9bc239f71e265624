"""The model registry: resolve a Service's model reference to one pinned version.

A Model is a target like any other (merged per environment, so prod and staging
may see different versions and aliases) but is never written to out/. A
reference names a version (`{name, version}`) or an alias (`{name, alias}`);
either way the Service ends up with exactly one version and its URI, and the
resolution is recorded (`ctx.record`) for manifest.json. Which Model a name
means was resolved by the graph stage, which also reported unknown names.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from compiler.targets import Target
from schemas.model import ModelVersion
from schemas.service import ModelRef

MAIN_PATH = ("model",)
CANARY_PATH = ("canary", "model")


@dataclass(frozen=True)
class ResolvedModel:
    name: str
    version: str
    uri: str
    digest: str | None = None
    alias: str | None = None       # the alias the reference used, if any
    model: Target | None = None    # the Model target (for locating its values)
    index: int = -1                   # position of the version in the Model's `versions`

    @property
    def format(self) -> str | None:
        return self.model.spec.format if self.model is not None else None

    def record(self) -> dict[str, str]:
        """What values.yaml and manifest.json keep about the resolution."""
        out = {"name": self.name, "version": self.version, "uri": self.uri}
        if self.digest:
            out["digest"] = self.digest
        if self.alias:
            out["alias"] = self.alias
        return out


def resolve_model(target: Target, ref: ModelRef, ctx: Any, *, path: tuple = MAIN_PATH,
                  default_name: str | None = None) -> ResolvedModel | None:
    """The version `ref` names, or None after reporting why not (at the reference's file:line)."""
    name = ref.name or default_name
    if not name:
        ctx.error(target, path, "a model reference needs a name")
        return None
    model = ctx.find("Model", name)
    if model is None:
        return None   # an unknown model: reported by the graph stage
    version = _version_of(target, ref, model, ctx, path)
    if version is None:
        return None
    return _pick(target, ref, model, version, ctx, path)


def _version_of(target: Target, ref: ModelRef, model: Target, ctx: Any, path: tuple) -> str | None:
    if ref.alias is None:
        return ref.version
    if target.env.settings.policy.requirePinnedModels:
        ctx.error(target, path + ("alias",), f"environment {target.env.name} requires pinned models: "
                                             f"name a version of {model.name!r}, not the alias {ref.alias!r}")
    version = model.spec.aliases.get(ref.alias)
    if version is None:
        known = ", ".join(sorted(model.spec.aliases)) or "none"
        ctx.error(target, path + ("alias",), f"model {model.name!r} has no alias {ref.alias!r} (aliases: {known})")
    return version


def _pick(target: Target, ref: ModelRef, model: Target, version: str, ctx: Any,
          path: tuple) -> ResolvedModel | None:
    for index, entry in enumerate(model.spec.versions):
        if entry.version == version:
            return _resolved(model, entry, index, ref.alias)
    known = ", ".join(v.version for v in model.spec.versions) or "none"
    if ref.alias is None:
        ctx.error(target, path + ("version",), f"model {model.name!r} has no version {version!r} (versions: {known})")
    else:
        where = model.locate("aliases", ref.alias)
        ctx.error(target, path + ("alias",), f"alias {ref.alias!r} of model {model.name!r} names version "
                                             f"{version!r}, which it does not list (versions: {known})"
                                             + (f"; the alias is set at {where.where()}" if where else ""))
    return None


def _resolved(model: Target, entry: ModelVersion, index: int, alias: str | None) -> ResolvedModel:
    return ResolvedModel(name=model.name, version=entry.version, uri=entry.uri, digest=entry.digest,
                         alias=alias, model=model, index=index)


def resolve_service_models(target: Target, ctx: Any) -> tuple[ResolvedModel | None, ResolvedModel | None]:
    """(main, canary) of a Service, recorded as `model` / `canaryModel` for manifest.json.

    A canary that names no model serves the main model (with its own image);
    one that omits the model name means another version of the main model.
    """
    spec = target.spec
    main = resolve_model(target, spec.model, ctx)
    if main is not None:
        ctx.record("model", main.record())
    canary = None
    if spec.canary is not None:
        canary = _resolve_canary(target, ctx, main)
        if canary is not None:
            ctx.record("canaryModel", canary.record())
    return main, canary


def _resolve_canary(target: Target, ctx: Any, main: ResolvedModel | None) -> ResolvedModel | None:
    canary = target.spec.canary
    if canary.model is None:
        if canary.image is None:
            ctx.error(target, ("canary",), "a canary needs its own model or image "
                                           "(otherwise it is the main Deployment again)")
        return main
    return resolve_model(target, canary.model, ctx, path=CANARY_PATH, default_name=target.spec.model.name)
