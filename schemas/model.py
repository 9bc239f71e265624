"""Model: the registry kept in git. Versions are pinned URIs; aliases name versions."""
from __future__ import annotations

from pydantic import StrictStr

from schemas.base import Spec, Text, merge_key

# A version is an integer or a string, compared as text (`1.10` stays "1.10").
Version = Text


class ModelVersion(Spec):
    version: Version
    uri: StrictStr
    digest: StrictStr | None = None
    source: StrictStr | None = None


class ModelSpec(Spec):
    format: StrictStr | None = None
    versions: list[ModelVersion] = merge_key("version", default=[])
    aliases: dict[StrictStr, Version] = {}
