"""How a model pull reaches object storage: the environment's `storage.<scheme>` settings.

Both pullers read object stores through the S3 API — the platform chart's rclone init
container and KServe's storage initializer (boto3) — so `oss://bucket/path` is read as
`s3://bucket/path` at OSS's S3-compatible endpoint. Credentials are references only: a
Secret holding `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` (KServe's default key names in
`inferenceservice-config`), or a ServiceAccount bound to a cloud identity.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from compiler.targets import Env
from schemas.environment import Storage

OBJECT_STORE_SCHEMES = ("oss", "s3")
ACCESS_KEY_ID = "AWS_ACCESS_KEY_ID"
SECRET_ACCESS_KEY = "AWS_SECRET_ACCESS_KEY"
# rclone's S3 provider per scheme (Alibaba: virtual-hosted buckets, as OSS requires).
PROVIDERS = {"oss": "Alibaba", "s3": "AWS"}


@dataclass(frozen=True)
class ModelStorage:
    scheme: str
    settings: Storage | None     # None: the environment declares no `storage.<scheme>`


def scheme_of(uri: str) -> str:
    return uri.split("://", 1)[0] if "://" in uri else ""


def model_storage(env: Env, uri: str) -> ModelStorage | None:
    """The object-store settings a model URI is pulled with; None for other schemes (https, pvc)."""
    scheme = scheme_of(uri)
    if scheme not in OBJECT_STORE_SCHEMES:
        return None
    return ModelStorage(scheme, env.settings.storage.get(scheme))   # type: ignore[call-overload]


def storage_problem(env: Env, name: str, version: str, uri: str) -> str | None:
    """Why model `name`@`version` cannot be pulled here, if so: an oss:// URI has no endpoint a
    puller could assume, so the environment must give `storage.oss`."""
    storage = model_storage(env, uri)
    if storage is None or storage.scheme != "oss" or storage.settings is not None:
        return None
    return (f"model {name} version {version} is on oss://, which is read through OSS's S3 API: environment "
            f"{env.name} needs `storage.oss` (endpoint, region, and a secret or serviceAccount)")


def s3_uri(uri: str) -> str:
    """`oss://bucket/path` → `s3://bucket/path` (the same object through OSS's S3 API)."""
    return "s3://" + uri.split("://", 1)[1] if scheme_of(uri) == "oss" else uri


def chart_values(storage: ModelStorage) -> dict[str, Any]:
    """The chart's `modelStorage.<scheme>` entry: rclone's provider, endpoint, region and where the
    credentials come from (never their values)."""
    settings = storage.settings or Storage()
    provider = "Other" if storage.scheme == "s3" and settings.endpoint else PROVIDERS[storage.scheme]
    out: dict[str, Any] = {"provider": provider}
    if settings.endpoint:
        out["endpoint"] = ("https://" if settings.useHttps else "http://") + settings.endpoint
    if settings.region:
        out["region"] = settings.region
    if settings.secret:
        out["secretName"] = settings.secret
    if settings.serviceAccount:
        out["serviceAccountName"] = settings.serviceAccount
    return out


def kserve_secret_annotations(scheme: str, settings: Storage) -> dict[str, str]:
    """The annotations KServe's credential builder reads from the Secret (it cannot read them from
    anywhere strata writes): what `validate` and docs/cluster-requirements.md ask the Secret to carry."""
    found = {}
    if settings.endpoint:
        found["serving.kserve.io/s3-endpoint"] = settings.endpoint
        found["serving.kserve.io/s3-usehttps"] = "1" if settings.useHttps else "0"
    if settings.region:
        found["serving.kserve.io/s3-region"] = settings.region
    if scheme == "oss":
        found["serving.kserve.io/s3-usevirtualbucket"] = "true"   # OSS refuses path-style requests
    return found
